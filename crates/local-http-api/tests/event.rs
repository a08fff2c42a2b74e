//! The payload 2.0 event, compared field by field with an API Gateway event fixture, and read
//! back by lambda_http and the `hello` function's claims adapter.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use local_http_api::{
    authorizer::Verified,
    event::{EventContext, RequestParts, build_v2_event},
};
use serde_json::{Map, Value, json};

/// A real-shaped HTTP API event: GET /hello with an ID token, through API Gateway.
const FIXTURE: &str = include_str!("../../../events/http-api-id-token.json");

/// Every leaf of a JSON document by its path (`requestContext.http.method`).
fn leaves(value: &Value, path: String, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, item) in map {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                leaves(item, child, out);
            }
        }
        other => {
            out.insert(path, other.clone());
        }
    }
}

/// The request API Gateway received for the fixture, and the claims it verified, as inputs.
fn fixture_inputs(fixture: &Value) -> (HeaderMap, Map<String, Value>) {
    let mut headers = HeaderMap::new();
    for (name, value) in fixture["headers"].as_object().unwrap() {
        // API Gateway adds these itself.
        if name.starts_with("x-forwarded-") {
            continue;
        }
        headers.append(
            HeaderName::try_from(name.as_str()).unwrap(),
            HeaderValue::try_from(value.as_str().unwrap()).unwrap(),
        );
    }
    // The token's claims with their JSON types, as the authorizer decoded them.
    let claims = json!({
        "aud": "4r3o1vbb0e2j1cnm9u8qugp5u4",
        "auth_time": 1787992402,
        "cognito:username": "user-a",
        "email": "usera@example.com",
        "email_verified": true,
        "event_id": "4a4c8e44-8c3d-4e68-8a53-8f4b8a6d1f0e",
        "exp": 1787996002,
        "iat": 1787992402,
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE01",
        "jti": "2b9d3f0e-7c6a-4b1e-9f57-0d6c1e2a3b4c",
        "origin_jti": "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b",
        "sub": "7d8ca528-4931-4254-9273-ea5ee853f271",
        "token_use": "id",
        "phone_number": null
    });
    (headers, claims.as_object().unwrap().clone())
}

fn build(
    fixture: &Value,
    headers: &HeaderMap,
    verified: &Verified,
    body: &[u8],
    query: &str,
) -> Value {
    let context = &fixture["requestContext"];
    let event = build_v2_event(
        &RequestParts {
            method: &Method::GET,
            raw_path: "/hello",
            raw_query: query,
            headers,
            body,
            source_ip: "203.0.113.10".into(),
            protocol: "HTTP/1.1",
            scheme: "https",
            port: 443,
        },
        &EventContext {
            route_key: "GET /hello",
            path_parameters: &BTreeMap::new(),
            authorizer: Some(verified),
            request_id: context["requestId"].as_str().unwrap(),
            time: context["time"].as_str().unwrap(),
            time_epoch_ms: context["timeEpoch"].as_i64().unwrap(),
            account_id: context["accountId"].as_str().unwrap(),
            api_id: context["apiId"].as_str().unwrap(),
        },
    );
    serde_json::to_value(event).unwrap()
}

#[test]
fn the_event_matches_api_gateways_field_by_field() {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let (headers, claims) = fixture_inputs(&fixture);
    let verified = Verified {
        claims,
        scopes: None,
    };
    let built = build(&fixture, &headers, &verified, b"", "");

    let (mut expected, mut actual) = (BTreeMap::new(), BTreeMap::new());
    leaves(&fixture, String::new(), &mut expected);
    leaves(&built, String::new(), &mut actual);
    for (path, value) in &expected {
        assert_eq!(actual.get(path), Some(value), "field {path}");
    }
    let extra: Vec<_> = actual
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .collect();
    assert!(
        extra.is_empty(),
        "fields API Gateway does not send: {extra:?}"
    );
}

#[test]
fn query_cookies_and_binary_bodies_are_shaped_like_api_gateway() {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let (mut headers, claims) = fixture_inputs(&fixture);
    headers.append("cookie", HeaderValue::from_static("a=1; b=2"));
    headers.append("x-multi", HeaderValue::from_static("one"));
    headers.append("x-multi", HeaderValue::from_static("two"));
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/octet-stream"),
    );
    let verified = Verified {
        claims,
        scopes: Some(vec!["hello/read".into()]),
    };
    let built = build(
        &fixture,
        &headers,
        &verified,
        &[0, 159, 146, 150],
        "q=a%20b&q=c&flag",
    );
    assert_eq!(built["rawQueryString"], "q=a%20b&q=c&flag");
    assert_eq!(
        built["queryStringParameters"],
        json!({"q": "a b,c", "flag": ""})
    );
    assert_eq!(built["cookies"], json!(["a=1", "b=2"]));
    assert!(built["headers"].get("cookie").is_none());
    assert_eq!(built["headers"]["x-multi"], "one,two");
    assert_eq!(built["body"], "AJ+Slg==");
    assert_eq!(built["isBase64Encoded"], true);
    assert_eq!(
        built["requestContext"]["authorizer"]["jwt"]["scopes"],
        json!(["hello/read"])
    );
}

#[test]
fn the_function_reads_the_built_event() {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let (headers, claims) = fixture_inputs(&fixture);
    let mut claims = claims;
    claims.insert("cognito:groups".into(), json!(["admin", "dev"]));
    let verified = Verified {
        claims,
        scopes: None,
    };
    let built = build(&fixture, &headers, &verified, b"", "");
    let request =
        lambda_http::request::from_str(&built.to_string()).expect("lambda_http reads the event");
    let claims = hello::Claims::from_request(&request).expect("hello reads the claims");
    assert_eq!(claims.username, "user-a");
    assert_eq!(claims.email.as_deref(), Some("usera@example.com"));
    assert_eq!(claims.email_verified, Some(true));
    assert_eq!(claims.groups, ["admin", "dev"]);
}
