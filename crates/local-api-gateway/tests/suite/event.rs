//! The events, compared field by field with the examples AWS publishes
//! (`tests/fixtures/aws-docs/`) and with the sample events of `events/` (claims as captured from
//! real APIs), the fields that must differ named with the reason; then read back by lambda_http
//! and the `hello` function.
use std::collections::BTreeMap;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use local_api_gateway::{
    authorizer::{cognito, jwt},
    event::{AuthorizerContext, EventContext, JwtContext, RequestParts, v1, v2},
};
use serde_json::{Value, json};

const AWS_V2: &str = include_str!("../fixtures/aws-docs/http-api-v2.json");
const AWS_REST: &str = include_str!("../fixtures/aws-docs/rest-api-proxy.json");
const HTTP_ID_TOKEN: &str = include_str!("../../../../events/http-api-id-token.json");
const REST_ID_TOKEN: &str = include_str!("../../../../events/rest-api-id-token.json");

/// Every leaf of a JSON document by its path (`requestContext.http.method`).
fn leaves(value: &Value) -> BTreeMap<String, Value> {
    fn walk(value: &Value, path: String, out: &mut BTreeMap<String, Value>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (key, item) in map {
                    let child = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    walk(item, child, out);
                }
            }
            other => {
                out.insert(path, other.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(value, String::new(), &mut out);
    out
}

/// Compares `built` with `expected` leaf by leaf. `differ` names the leaves that must not be
/// equal, each with why; a leaf of `expected` that `built` lacks counts as differing. Leaves
/// only `built` has must be listed in `extra`.
pub fn compare(expected: &Value, built: &Value, differ: &[(&str, &str)], extra: &[&str]) {
    let (expected, built) = (leaves(expected), leaves(built));
    let mut problems = Vec::new();
    for (path, value) in &expected {
        let named = differ.iter().find(|(p, _)| p == path);
        match (built.get(path) == Some(value), named) {
            (true, Some((_, why))) => problems.push(format!("{path}: expected to differ ({why})")),
            (false, None) => problems.push(format!(
                "{path}: expected {value}, built {}",
                built.get(path).map_or("nothing".into(), Value::to_string)
            )),
            _ => {}
        }
    }
    for (path, _) in differ {
        if !expected.contains_key(*path) {
            problems.push(format!("{path}: named as differing but not in the example"));
        }
    }
    for path in built.keys().filter(|p| !expected.contains_key(*p)) {
        if !extra
            .iter()
            .any(|e| path == e || path.starts_with(&format!("{e}.")))
        {
            problems.push(format!("{path}: built but not in the example"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::try_from(*name).unwrap(),
            HeaderValue::try_from(*value).unwrap(),
        );
    }
    map
}

/// `requestContext.authorizer` as the HTTP API's JWT authorizer makes it.
fn jwt_context(claims: Value, scopes: Option<Vec<String>>) -> AuthorizerContext {
    AuthorizerContext::Jwt {
        jwt: JwtContext {
            claims: jwt::render_claims(claims.as_object().unwrap()),
            scopes,
        },
    }
}

/// `requestContext.authorizer` as the REST API's Cognito authorizer makes it.
fn cognito_context(claims: Value) -> AuthorizerContext {
    AuthorizerContext::Claims {
        claims: cognito::render_claims(claims.as_object().unwrap()),
    }
}

fn no_variables() -> BTreeMap<String, String> {
    BTreeMap::new()
}

/// The stage variables of an AWS example event.
fn example_stage_variables(example: &Value) -> BTreeMap<String, String> {
    serde_json::from_value(example["stageVariables"].clone()).unwrap()
}

/// What a REST API adds to the event.
fn rest<'a>(
    resource_id: &'a str,
    extended_request_id: &'a str,
    binary_media_types: &'a [String],
) -> v1::V1Context<'a> {
    v1::V1Context {
        resource_id: Some(resource_id),
        extended_request_id,
        dialect: v1::Dialect::Rest { binary_media_types },
    }
}

/// The request behind AWS's payload 2.0 example, through the v2 builder.
fn build_aws_v2(example: &Value) -> Value {
    let ctx = &example["requestContext"];
    let headers = headers(&[
        ("header1", "value1"),
        ("header2", "value1"),
        ("header2", "value2"),
        ("cookie", "cookie1; cookie2"),
        ("user-agent", "agent"),
        ("host", "id.execute-api.us-east-1.amazonaws.com"),
        ("content-type", "text/plain"),
    ]);
    let path_parameters = BTreeMap::from([("parameter1".to_owned(), "value1".to_owned())]);
    let claims = ctx["authorizer"]["jwt"]["claims"].clone();
    let scopes = Some(vec!["scope1".to_owned(), "scope2".to_owned()]);
    serde_json::to_value(v2::build_event(
        &RequestParts {
            method: &Method::POST,
            raw_path: "/my/path",
            full_path: "/my/path",
            raw_query: example["rawQueryString"].as_str().unwrap(),
            headers: &headers,
            body: b"Hello from Lambda",
            source_ip: ctx["http"]["sourceIp"].as_str().unwrap().into(),
            protocol: "HTTP/1.1",
            scheme: "https",
            port: 443,
        },
        &EventContext {
            caller: None,
            api_key: None,
            route_key: "$default",
            path_parameters: &path_parameters,
            authorizer: Some(&jwt_context(claims, scopes)),
            request_id: ctx["requestId"].as_str().unwrap(),
            stage: "$default",
            stage_variables: &example_stage_variables(example),
            time: ctx["time"].as_str().unwrap(),
            time_epoch_ms: ctx["timeEpoch"].as_i64().unwrap(),
            account_id: ctx["accountId"].as_str().unwrap(),
            api_id: ctx["apiId"].as_str().unwrap(),
        },
    ))
    .unwrap()
}

#[test]
fn the_http_api_event_matches_aws_payload_2_0_example() {
    let example: Value = serde_json::from_str(AWS_V2).unwrap();
    let built = build_aws_v2(&example);
    compare(
        &example,
        &built,
        &[
            (
                "requestContext.authentication.clientCert.clientCertPem",
                "no mutual TLS locally",
            ),
            (
                "requestContext.authentication.clientCert.subjectDN",
                "no mutual TLS locally",
            ),
            (
                "requestContext.authentication.clientCert.issuerDN",
                "no mutual TLS locally",
            ),
            (
                "requestContext.authentication.clientCert.serialNumber",
                "no mutual TLS locally",
            ),
            (
                "requestContext.authentication.clientCert.validity.notBefore",
                "no mutual TLS locally",
            ),
            (
                "requestContext.authentication.clientCert.validity.notAfter",
                "no mutual TLS locally",
            ),
        ],
        // The example lists two headers; a real request has these too, and API Gateway adds
        // the x-forwarded-* ones.
        &[
            "headers.user-agent",
            "headers.host",
            "headers.content-type",
            "headers.x-forwarded-for",
            "headers.x-forwarded-port",
            "headers.x-forwarded-proto",
        ],
    );
}

#[test]
fn the_http_api_event_matches_the_id_token_sample_event() {
    let sample: Value = serde_json::from_str(HTTP_ID_TOKEN).unwrap();
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (name, value) in sample["headers"].as_object().unwrap() {
        if !name.starts_with("x-forwarded-") {
            pairs.push((name.clone(), value.as_str().unwrap().to_owned()));
        }
    }
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let ctx = &sample["requestContext"];
    // The token's claims with their JSON types, as the verifier decoded them.
    let claims = json!({
        "aud": "4r3o1vbb0e2j1cnm9u8qugp5u4", "auth_time": 1787992402, "cognito:username": "user-a",
        "email": "usera@example.com", "email_verified": true,
        "event_id": "4a4c8e44-8c3d-4e68-8a53-8f4b8a6d1f0e", "exp": 1787996002, "iat": 1787992402,
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE01",
        "jti": "2b9d3f0e-7c6a-4b1e-9f57-0d6c1e2a3b4c", "origin_jti": "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b",
        "sub": "7d8ca528-4931-4254-9273-ea5ee853f271", "token_use": "id", "phone_number": null
    });
    let headers = headers(&pairs);
    let event = serde_json::to_value(v2::build_event(
        &RequestParts {
            method: &Method::GET,
            raw_path: "/hello",
            full_path: "/hello",
            raw_query: "",
            headers: &headers,
            body: b"",
            source_ip: "203.0.113.10".into(),
            protocol: "HTTP/1.1",
            scheme: "https",
            port: 443,
        },
        &EventContext {
            caller: None,
            api_key: None,
            route_key: "GET /hello",
            path_parameters: &BTreeMap::new(),
            authorizer: Some(&jwt_context(claims, None)),
            request_id: ctx["requestId"].as_str().unwrap(),
            stage: "$default",
            stage_variables: &no_variables(),
            time: ctx["time"].as_str().unwrap(),
            time_epoch_ms: ctx["timeEpoch"].as_i64().unwrap(),
            account_id: ctx["accountId"].as_str().unwrap(),
            api_id: ctx["apiId"].as_str().unwrap(),
        },
    ))
    .unwrap();
    compare(&sample, &event, &[], &[]);
}

/// The REST example's request: `POST /testStage/hello/world?name=me&multivalueName=you&multivalueName=me`.
fn build_aws_rest(example: &Value) -> Value {
    let ctx = &example["requestContext"];
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (name, values) in example["multiValueHeaders"].as_object().unwrap() {
        // Added in front of the API (X-Forwarded-Port/Proto by API Gateway, the rest by the
        // CloudFront edge of an edge-optimized API): not what a client sends.
        if name.is_empty()
            || name.starts_with("X-Forwarded-P")
            || name.starts_with("CloudFront-")
            || name == "Via"
            || name == "X-Amz-Cf-Id"
        {
            continue;
        }
        for value in values.as_array().unwrap() {
            pairs.push((
                name.to_ascii_lowercase(),
                value.as_str().unwrap().to_owned(),
            ));
        }
    }
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let headers = headers(&pairs);
    let path_parameters = BTreeMap::from([("proxy".to_owned(), "hello/world".to_owned())]);
    let stage_variables = BTreeMap::from([(
        "stageVariableName".to_owned(),
        "stageVariableValue".to_owned(),
    )]);
    serde_json::to_value(v1::build_event(
        &RequestParts {
            method: &Method::POST,
            raw_path: "/hello/world",
            full_path: "/testStage/hello/world",
            raw_query: "name=me&multivalueName=you&multivalueName=me",
            headers: &headers,
            body: example["body"].as_str().unwrap().as_bytes(),
            source_ip: ctx["identity"]["sourceIp"].as_str().unwrap().into(),
            protocol: "HTTP/1.1",
            scheme: "https",
            port: 443,
        },
        &EventContext {
            caller: None,
            api_key: None,
            route_key: "/{proxy+}",
            path_parameters: &path_parameters,
            authorizer: None,
            request_id: ctx["requestId"].as_str().unwrap(),
            stage: "testStage",
            stage_variables: &stage_variables,
            time: "15/Sep/2016:12:34:56 +0000",
            time_epoch_ms: 1_473_942_896_000,
            account_id: ctx["accountId"].as_str().unwrap(),
            api_id: ctx["apiId"].as_str().unwrap(),
        },
        &rest("abc123", "X=", &[]),
    ))
    .unwrap()
}

#[test]
fn the_rest_api_event_matches_aws_proxy_integration_example() {
    let example: Value = serde_json::from_str(AWS_REST).unwrap();
    let built = build_aws_rest(&example);
    let case =
        "a REST API passes names in the client's case; the local server keeps none, so Title-Case";
    let edge = "added by the CloudFront edge of an edge-optimized API; there is no edge locally";
    let mut differ: Vec<(String, &str)> = Vec::new();
    for name in [
        "CloudFront-Forwarded-Proto",
        "CloudFront-Is-Desktop-Viewer",
        "CloudFront-Is-Mobile-Viewer",
        "CloudFront-Is-SmartTV-Viewer",
        "CloudFront-Is-Tablet-Viewer",
        "CloudFront-Viewer-Country",
        "Via",
        "X-Amz-Cf-Id",
    ] {
        differ.push((format!("headers.{name}"), edge));
        differ.push((format!("multiValueHeaders.{name}"), edge));
    }
    let differ: Vec<(&str, &str)> = differ.iter().map(|(p, why)| (p.as_str(), *why)).collect();
    compare(
        &example,
        &built,
        &[
            differ.as_slice(),
            &[
                ("headers.cache-control", case),
                ("headers.headerName", case),
                ("multiValueHeaders.cache-control", case),
                ("multiValueHeaders.headerName", case),
                (
                    "headers.X-Forwarded-For",
                    "the example's sourceIp is not the last address of its X-Forwarded-For",
                ),
                (
                    "multiValueHeaders.X-Forwarded-For",
                    "the example's sourceIp is not the last address of its X-Forwarded-For",
                ),
                (
                    "multiValueHeaders.",
                    "the example's page has an empty header, which HTTP cannot carry",
                ),
                ("requestContext.resourceId", "a made-up id per resource"),
                (
                    "requestContext.identity.apiKey",
                    "the method requires no API key: newer captures then show no apiKey",
                ),
            ],
        ]
        .concat(),
        &[
            // Fields the current documentation's example shows and this older one does not.
            "headers.Cache-Control",
            "headers.Headername",
            "multiValueHeaders.Cache-Control",
            "multiValueHeaders.Headername",
            "requestContext.domainName",
            "requestContext.domainPrefix",
            "requestContext.extendedRequestId",
            "requestContext.identity.accessKey",
            "requestContext.identity.principalOrgId",
            "requestContext.path",
            "requestContext.protocol",
            "requestContext.requestTime",
            "requestContext.requestTimeEpoch",
        ],
    );
    assert_eq!(built["requestContext"]["path"], "/testStage/hello/world");
    assert_eq!(built["headers"]["Cache-Control"], "no-cache");
}

#[test]
fn the_rest_api_event_matches_the_captured_format_sample_event() {
    let sample: Value = serde_json::from_str(REST_ID_TOKEN).unwrap();
    let ctx = &sample["requestContext"];
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (name, value) in sample["headers"].as_object().unwrap() {
        if !name.starts_with("X-Forwarded-") {
            pairs.push((
                name.to_ascii_lowercase(),
                value.as_str().unwrap().to_owned(),
            ));
        }
    }
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let headers = headers(&pairs);
    // The same token as the HTTP API sample, with two groups.
    let claims = json!({
        "aud": "4r3o1vbb0e2j1cnm9u8qugp5u4", "auth_time": 1787992402, "cognito:username": "user-a",
        "cognito:groups": ["admin", "dev"], "email": "usera@example.com", "email_verified": true,
        "event_id": "4a4c8e44-8c3d-4e68-8a53-8f4b8a6d1f0e", "exp": 1787996002, "iat": 1787992402,
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE01",
        "jti": "2b9d3f0e-7c6a-4b1e-9f57-0d6c1e2a3b4c", "origin_jti": "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b",
        "sub": "7d8ca528-4931-4254-9273-ea5ee853f271", "token_use": "id"
    });
    let event = serde_json::to_value(v1::build_event(
        &RequestParts {
            method: &Method::GET,
            raw_path: "/hello",
            full_path: "/dev/hello",
            raw_query: "",
            headers: &headers,
            body: b"",
            source_ip: ctx["identity"]["sourceIp"].as_str().unwrap().into(),
            protocol: "HTTP/1.1",
            scheme: "https",
            port: 443,
        },
        &EventContext {
            caller: None,
            api_key: None,
            route_key: "/hello",
            path_parameters: &BTreeMap::new(),
            authorizer: Some(&cognito_context(claims)),
            request_id: ctx["requestId"].as_str().unwrap(),
            stage: "dev",
            stage_variables: &no_variables(),
            time: ctx["requestTime"].as_str().unwrap(),
            time_epoch_ms: ctx["requestTimeEpoch"].as_i64().unwrap(),
            account_id: ctx["accountId"].as_str().unwrap(),
            api_id: ctx["apiId"].as_str().unwrap(),
        },
        &rest(
            ctx["resourceId"].as_str().unwrap(),
            ctx["extendedRequestId"].as_str().unwrap(),
            &[],
        ),
    ))
    .unwrap();
    compare(&sample, &event, &[], &[]);
}

#[test]
fn query_cookies_and_binary_bodies_are_shaped_like_api_gateway() {
    let example: Value = serde_json::from_str(AWS_V2).unwrap();
    let mut built = build_aws_v2(&example);
    assert_eq!(built["cookies"], json!(["cookie1", "cookie2"]));
    assert!(built["headers"].get("cookie").is_none());
    assert_eq!(built["headers"]["header2"], "value1,value2");
    let headers = headers(&[("content-type", "application/octet-stream")]);
    let event = serde_json::to_value(v2::build_event(
        &RequestParts {
            method: &Method::POST,
            raw_path: "/x",
            full_path: "/x",
            raw_query: "q=a%20b&q=c&flag",
            headers: &headers,
            body: &[0, 159, 146, 150],
            source_ip: "127.0.0.1".into(),
            protocol: "HTTP/1.1",
            scheme: "http",
            port: 3000,
        },
        &EventContext {
            caller: None,
            api_key: None,
            route_key: "POST /x",
            path_parameters: &BTreeMap::new(),
            authorizer: None,
            request_id: "r",
            stage: "$default",
            stage_variables: &no_variables(),
            time: "t",
            time_epoch_ms: 0,
            account_id: "a",
            api_id: "b",
        },
    ))
    .unwrap();
    built = event;
    assert_eq!(
        built["queryStringParameters"],
        json!({"q": "a b,c", "flag": ""})
    );
    assert_eq!(built["body"], "AJ+Slg==");
    assert_eq!(built["isBase64Encoded"], true);
    assert!(built["requestContext"].get("authorizer").is_none());
}

#[test]
fn rest_bodies_are_base64_only_for_binary_media_types() {
    let headers = headers(&[("content-type", "image/png")]);
    let build = |types: &[String]| {
        serde_json::to_value(v1::build_event(
            &RequestParts {
                method: &Method::POST,
                raw_path: "/x",
                full_path: "/dev/x",
                raw_query: "a=1&a=2",
                headers: &headers,
                body: &[0, 159, 146, 150],
                source_ip: "127.0.0.1".into(),
                protocol: "HTTP/1.1",
                scheme: "http",
                port: 3001,
            },
            &EventContext {
                caller: None,
                api_key: None,
                route_key: "/x",
                path_parameters: &BTreeMap::new(),
                authorizer: None,
                request_id: "r",
                stage: "dev",
                stage_variables: &no_variables(),
                time: "t",
                time_epoch_ms: 0,
                account_id: "a",
                api_id: "b",
            },
            &rest("r", "e", types),
        ))
        .unwrap()
    };
    let binary = build(&["image/*".to_owned()]);
    assert_eq!(
        (&binary["body"], &binary["isBase64Encoded"]),
        (&json!("AJ+Slg=="), &json!(true))
    );
    let text = build(&[]);
    assert_eq!(text["isBase64Encoded"], false);
    assert_eq!(
        text["queryStringParameters"],
        json!({"a": "2"}),
        "the last value"
    );
    assert_eq!(
        text["multiValueQueryStringParameters"],
        json!({"a": ["1", "2"]})
    );
    assert_eq!(text["pathParameters"], Value::Null);
    assert_eq!(text["stageVariables"], Value::Null);
}

/// What `hello` answers to an event, through lambda_http as in Lambda.
async fn greeting(event: &Value) -> (u16, Value) {
    let request =
        lambda_http::request::from_str(&event.to_string()).expect("lambda_http reads the event");
    let claims = hello::Claims::from_request(&request);
    assert!(claims.is_ok(), "hello reads the claims: {claims:?}");
    let response = hello::handle(request).await.unwrap();
    let status = response.status().as_u16();
    let lambda_http::Body::Text(text) = response.into_body() else {
        panic!("a text body");
    };
    (status, serde_json::from_str(&text).unwrap())
}

#[tokio::test]
async fn the_function_reads_both_built_events_and_greets_alike() {
    let claims = json!({
        "sub": "abc", "cognito:username": "user-a", "email": "usera@example.com",
        "email_verified": true, "cognito:groups": ["admin", "dev"], "token_use": "id",
        "aud": "client-1", "exp": 1788082402, "iat": 1788078802,
    });
    let headers = headers(&[("host", "127.0.0.1:3000"), ("user-agent", "curl/8.5.0")]);
    let request = RequestParts {
        method: &Method::GET,
        raw_path: "/hello",
        full_path: "/hello",
        raw_query: "",
        headers: &headers,
        body: b"",
        source_ip: "127.0.0.1".into(),
        protocol: "HTTP/1.1",
        scheme: "http",
        port: 3000,
    };
    let no_parameters = BTreeMap::new();
    let (jwt, cognito) = (jwt_context(claims.clone(), None), cognito_context(claims));
    let context = |route_key, authorizer| EventContext {
        caller: None,
        api_key: None,
        route_key,
        path_parameters: &no_parameters,
        authorizer: Some(authorizer),
        request_id: "r",
        stage: "$default",
        stage_variables: &no_parameters,
        time: "29/Aug/2026:08:33:22 +0000",
        time_epoch_ms: 0,
        account_id: "123456789012",
        api_id: "local",
    };
    let v2_event =
        serde_json::to_value(v2::build_event(&request, &context("GET /hello", &jwt))).unwrap();
    let v1_event = serde_json::to_value(v1::build_event(
        &request,
        &context("/hello", &cognito),
        &rest("r", "e", &[]),
    ))
    .unwrap();
    let (http_status, http_body) = greeting(&v2_event).await;
    let (rest_status, rest_body) = greeting(&v1_event).await;
    assert_eq!((http_status, rest_status), (200, 200));
    assert_eq!(http_body, rest_body);
    assert_eq!(http_body["groups"], json!(["admin", "dev"]));
    assert_eq!(http_body["email_verified"], true);
}
