//! Property tests: whatever claims and events API Gateway could hand over, the handler answers
//! with a JSON response and a 2xx/4xx status; it never panics and never answers 5xx.
//! Cases per property: PROPTEST_CASES (256 in `make test`, more in `make fuzz`).
use crate::fixtures::{ID_TOKEN, REST_ID_TOKEN};

use lambda_http::Body;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,24}".prop_map(Value::String),
        Just(json!("[admin dev]")),
        Just(json!("true")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::hash_map(".{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Claim names the adapter reads, and others.
fn claim_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("sub".to_owned()),
        Just("cognito:username".to_owned()),
        Just("username".to_owned()),
        Just("email".to_owned()),
        Just("email_verified".to_owned()),
        Just("cognito:groups".to_owned()),
        Just("token_use".to_owned()),
        Just("aud".to_owned()),
        Just("client_id".to_owned()),
        Just("scope".to_owned()),
        ".{0,16}",
    ]
}

fn handle(event: &str) -> Option<(u16, Value)> {
    // What lambda_http cannot read never reaches the handler (the runtime answers it).
    let request = lambda_http::request::from_str(event).ok()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let response = runtime
        .block_on(hello::handle(request))
        .expect("the handler never returns Err");
    assert_eq!(response.headers()["content-type"], "application/json");
    let Body::Text(text) = response.body() else {
        panic!("not a text body");
    };
    Some((
        response.status().as_u16(),
        serde_json::from_str(text).expect("the body is JSON"),
    ))
}

/// Every leaf path of a JSON document, as JSON pointers.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push(format!("{at}/{k}"));
            pointers(v, format!("{at}/{k}"), out);
        }),
        Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| {
            out.push(format!("{at}/{i}"));
            pointers(v, format!("{at}/{i}"), out);
        }),
        _ => {}
    }
}

const UPSTREAM_UNWRAPPED: [&str; 11] = [
    "/headers/host",
    "/multiValueHeaders/host",
    "/multiValueHeaders/host/0",
    "/headers/x-forwarded-proto",
    "/multiValueHeaders/x-forwarded-proto/0",
    "/rawPath",
    "/rawQueryString",
    "/path",
    "/requestContext/domainName",
    // query_map 0.7 (under lambda_http) indexes `values[0]` of each query parameter when it
    // rebuilds a REST API query string; API Gateway never sends a parameter with no value.
    "/queryStringParameters",
    "/multiValueQueryStringParameters",
];

proptest! {
    #[test]
    fn proptest_any_http_api_claims(
        claims in prop::collection::hash_map(claim_name(), ".{0,40}", 0..12),
        method in "(GET|POST|PUT|DELETE|PATCH|HEAD)",
        path in prop_oneof![Just("/hello".to_owned()), "/[a-z0-9/]{0,16}"],
    ) {
        let mut event: Value = serde_json::from_str(ID_TOKEN).unwrap();
        event["requestContext"]["authorizer"]["jwt"]["claims"] = json!(claims);
        event["requestContext"]["http"]["method"] = json!(method);
        event["rawPath"] = json!(path);
        let (status, body) = handle(&event.to_string()).expect("a well-shaped event deserializes");
        match (path.as_str(), method.as_str()) {
            ("/hello", "GET") => {
                prop_assert!(status == 200 || status == 401, "status {}", status);
                let usable_sub = claims.get("sub").is_some_and(|s| !s.trim().is_empty());
                if !usable_sub {
                    prop_assert_eq!(status, 401);
                }
                if status == 401 {
                    prop_assert_eq!(body, json!({"message": "Unauthorized"}));
                } else {
                    prop_assert_eq!(&body["sub"], &json!(claims["sub"]));
                }
            }
            ("/hello", _) => prop_assert_eq!(status, 405),
            _ => prop_assert_eq!(status, 404),
        }
    }

    #[test]
    fn proptest_any_rest_api_claims(claims in prop::collection::hash_map(claim_name(), any_json(), 0..10)) {
        let mut event: Value = serde_json::from_str(REST_ID_TOKEN).unwrap();
        event["requestContext"]["authorizer"]["claims"] = json!(claims);
        let (status, _) = handle(&event.to_string()).expect("a well-shaped event deserializes");
        prop_assert!(status == 200 || status == 401, "status {}", status);
    }

    #[test]
    fn proptest_any_field_of_the_event_replaced(which in any::<prop::sample::Index>(), value in any_json(), rest in any::<bool>()) {
        let mut event: Value = serde_json::from_str(if rest { REST_ID_TOKEN } else { ID_TOKEN }).unwrap();
        let mut paths = Vec::new();
        pointers(&event, String::new(), &mut paths);
        // Fields API Gateway itself sets or validates: lambda_http 1.3 builds the request URI from
        // them with `Url::parse(..).unwrap()` / `.expect(..)` and panics on an unparsable host,
        // path, query or scheme. No client can get such values past API Gateway (or past hyper and
        // the local API, which refuses an unparsable Host with a 400).
        paths.retain(|p| {
            let p = p.to_ascii_lowercase();
            !UPSTREAM_UNWRAPPED.iter().map(|f| f.to_ascii_lowercase()).any(|f| p == f || p.starts_with(&format!("{f}/")))
        });
        let path = which.get(&paths).clone();
        *event.pointer_mut(&path).unwrap() = value;
        if let Some((status, _)) = handle(&event.to_string()) {
            prop_assert!([200, 401, 404, 405].contains(&status), "status {} after replacing {}", status, path);
        }
    }
}
