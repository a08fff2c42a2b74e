//! One request at a time through `Gateway::handle`, for the template's HTTP API and REST API,
//! with keys generated at test time and a recording in-memory invoker: routing, auth, limits,
//! CORS, and how function results and failures become responses.
use std::time::Duration;

use axum::{body::Body, http::Request};
use local_api_gateway::{
    gateway::AuthOutcome,
    invoke::InvokeError,
    model::ApiKind,
    model::{AuthorizerConfig, IdentitySource, Integration},
};
use serde_json::{Value, json};

use crate::support::{
    Answer, CLIENT, POOL, Recorder, TEMPLATE, TestGateway, gateway, issuer_key, now, read, send,
    send_as_is,
};

const ORIGIN: &str = "http://localhost:5173";

type Api = TestGateway<Recorder>;

/// The template's API of `kind`, with keys generated at test time and a recording invoker.
fn gateway_of(kind: ApiKind, answer: Result<Value, InvokeError>) -> (Api, Recorder) {
    gateway_with(kind, answer, |_| {})
}

/// Like [`gateway_of`], with the API read from the template changed by `change` first.
fn gateway_with(
    kind: ApiKind,
    answer: Result<Value, InvokeError>,
    change: impl FnOnce(&mut local_api_gateway::model::Api),
) -> (Api, Recorder) {
    let mut api = read(TEMPLATE, kind);
    change(&mut api);
    let recorder = Recorder::new(answer);
    (gateway(api, recorder.clone()), recorder)
}

fn local_api(answer: Result<Value, InvokeError>) -> (Api, Recorder) {
    gateway_of(ApiKind::Http, answer)
}

fn rest_api(answer: Result<Value, InvokeError>) -> (Api, Recorder) {
    gateway_of(ApiKind::Rest, answer)
}

fn ok_function() -> Result<Value, InvokeError> {
    Ok(
        json!({"statusCode": 200, "headers": {"content-type": "application/json"}, "body": "{\"ok\":true}"}),
    )
}

fn id_token() -> String {
    let now = now();
    issuer_key().sign(&json!({
        "sub": "abc", "aud": CLIENT, "token_use": "id", "cognito:username": "user-a",
        "iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{POOL}"),
        "iat": now, "exp": now + 600, "cognito:groups": ["admin", "dev"],
    }))
}

fn access_token() -> String {
    let now = now();
    issuer_key().sign(&json!({
        "sub": "abc", "client_id": CLIENT, "token_use": "access", "username": "user-a",
        "iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{POOL}"),
        "scope": "aws.cognito.signin.user.admin", "iat": now, "exp": now + 600,
    }))
}

/// A browser's CORS preflight for `method` from `origin`.
fn preflight(uri: &str, origin: &str, method: &str) -> axum::http::request::Builder {
    Request::builder()
        .method("OPTIONS")
        .uri(uri)
        .header("origin", origin)
        .header("access-control-request-method", method)
}

fn get(uri: &str) -> axum::http::request::Builder {
    Request::builder()
        .method("GET")
        .uri(uri)
        .header("host", "127.0.0.1:3000")
}

#[tokio::test]
async fn an_unknown_route_is_404_and_invokes_nothing() {
    let (api, recorder) = local_api(ok_function());
    for request in [
        get("/nope").body(Body::empty()).unwrap(),
        Request::builder()
            .method("POST")
            .uri("/hello")
            .body(Body::empty())
            .unwrap(),
    ] {
        let answer = send(&api, request).await;
        assert_eq!(
            (answer.status, answer.json()),
            (404, json!({"message": "Not Found"}))
        );
        assert_eq!(answer.header("content-type"), Some("application/json"));
    }
    assert!(recorder.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn no_token_is_401_with_a_challenge_and_invokes_nothing() {
    let (api, recorder) = local_api(ok_function());
    let answer = send(&api, get("/hello").body(Body::empty()).unwrap()).await;
    assert_eq!(
        (answer.status, answer.json()),
        (401, json!({"message": "Unauthorized"}))
    );
    assert_eq!(
        answer.header("www-authenticate"),
        Some(
            r#"Bearer scope="" error="invalid_token" error_description="the request has no token""#
        )
    );
    assert_eq!(
        answer.outcome.auth,
        AuthOutcome::Refused("the request has no token".into())
    );
    assert!(answer.header("apigw-requestid").is_some());
    assert!(recorder.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_valid_token_reaches_the_function_with_its_claims() {
    let (api, recorder) = local_api(ok_function());
    let request = get("/hello?x=1")
        .header("authorization", format!("Bearer {}", id_token()))
        .body(Body::empty())
        .unwrap();
    let answer = send(&api, request).await;
    assert_eq!((answer.status, answer.json()), (200, json!({"ok": true})));
    assert_eq!(answer.outcome.auth, AuthOutcome::Allowed);
    assert_eq!(answer.outcome.route.as_deref(), Some("GET /hello"));
    let calls = recorder.calls.lock().unwrap();
    let (function, event, deadline) = &calls[0];
    assert_eq!(function, "hello");
    assert_eq!(*deadline, Duration::from_secs(5), "the function's Timeout");
    assert_eq!(event["routeKey"], "GET /hello");
    assert_eq!(event["rawQueryString"], "x=1");
    assert_eq!(
        event["requestContext"]["requestId"],
        answer.header("apigw-requestid").unwrap()
    );
    let jwt = &event["requestContext"]["authorizer"]["jwt"];
    assert_eq!(jwt["claims"]["cognito:username"], "user-a");
    assert_eq!(jwt["claims"]["cognito:groups"], "[admin dev]");
    assert_eq!(
        jwt["claims"]["exp"]
            .as_str()
            .map(|s| s.parse::<u64>().is_ok()),
        Some(true)
    );
    assert_eq!(jwt["scopes"], Value::Null);
    // When API Gateway took the request, in milliseconds.
    let now_ms = (now() * 1000) as i64;
    let time_epoch = event["requestContext"]["timeEpoch"].as_i64().unwrap();
    assert!(
        (now_ms - 5000..=now_ms + 5000).contains(&time_epoch),
        "{time_epoch}"
    );
}

#[tokio::test]
async fn the_function_response_is_mapped_header_by_header() {
    let (api, _) = local_api(Ok(json!({
        "statusCode": 201,
        "multiValueHeaders": {"x-a": ["1", "2"], "x-b": ["3"]},
        "headers": {"x-a": "single", "x-count": 42, "x-flag": true, "content-length": "999"},
        "cookies": ["a=1", "b=2"],
        "body": "aGk=",
        "isBase64Encoded": true
    })));
    let request = get("/hello")
        .header("authorization", id_token())
        .body(Body::empty())
        .unwrap();
    let answer = send(&api, request).await;
    assert_eq!(answer.status, 201);
    assert_eq!(answer.body, b"hi");
    let all = |name: &str| -> Vec<&str> {
        answer
            .headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    };
    // Payload 2.0: `headers` replaces the name's multi values; the others stay.
    assert_eq!(all("x-a"), ["single"]);
    assert_eq!(all("x-b"), ["3"]);
    assert_eq!(all("x-count"), ["42"]);
    assert_eq!(all("x-flag"), ["true"]);
    assert_eq!(all("set-cookie"), ["a=1", "b=2"]);
    assert_ne!(all("content-length"), ["999"], "API Gateway sets its own");
}

#[tokio::test]
async fn a_header_http_cannot_carry_is_a_malformed_result() {
    for headers in [json!({"bad name": "x"}), json!({"x-ok": "line\nbreak"})] {
        for api in [local_api(Ok(json!({"statusCode": 200, "headers": headers}))).0] {
            let request = get("/hello")
                .header("authorization", id_token())
                .body(Body::empty())
                .unwrap();
            assert_eq!(send(&api, request).await.status, 500, "{headers}");
        }
        let (rest, _) = rest_api(Ok(json!({"statusCode": 200, "headers": headers})));
        let request = get("/dev/hello")
            .header("authorization", id_token())
            .body(Body::empty())
            .unwrap();
        assert_eq!(send(&rest, request).await.status, 502, "{headers}");
    }
}

#[tokio::test]
async fn a_body_of_10_mib_passes_the_api_and_stops_at_lambdas_6_mb_payload() {
    let request = |path: &str, bytes: usize| {
        get(path)
            .header("authorization", id_token())
            .header("content-type", "text/plain")
            .body(Body::from(vec![b'x'; bytes]))
            .unwrap()
    };
    let (rest, recorder) = rest_api(ok_function());
    // Not the API's own 413 (RequestTooLongException): Lambda's, as a capture shows it.
    let answer = send(&rest, request("/dev/hello", 10 * 1024 * 1024)).await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.body, br#"{"message": "Request Too Long"}"#);
    assert_eq!(
        answer.header("x-amzn-errortype"),
        Some("BadRequestException")
    );
    // The event is the body and some 2 KB more: 6 MiB of body is over, 6 MiB less 16 KiB is not.
    assert_eq!(
        send(&rest, request("/dev/hello", 6 * 1024 * 1024))
            .await
            .status,
        413
    );
    assert!(recorder.calls.lock().unwrap().is_empty());
    let fits = 6 * 1024 * 1024 - 16 * 1024;
    assert_eq!(send(&rest, request("/dev/hello", fits)).await.status, 200);
    assert_eq!(
        recorder.calls.lock().unwrap()[0].1["body"]
            .as_str()
            .map(str::len),
        Some(fits)
    );
    // An HTTP API: the same 413 as for its own limit (chosen; not documented).
    let (http, recorder) = local_api(ok_function());
    let answer = send(&http, request("/hello", 10 * 1024 * 1024)).await;
    assert_eq!(
        (answer.status, answer.json()),
        (413, json!({"message": "Request Entity Too Large"}))
    );
    assert!(recorder.calls.lock().unwrap().is_empty());
}

#[test]
fn the_access_log_names_the_auth_outcome() {
    assert_eq!(AuthOutcome::None.to_string(), "none");
    assert_eq!(AuthOutcome::Allowed.to_string(), "allowed");
    assert_eq!(
        AuthOutcome::Refused("the token has expired".into()).to_string(),
        "refused: the token has expired"
    );
}

/// The access log's `error=` says why the gateway answered itself, naming the cause; a request the
/// function answered has none.
#[tokio::test]
async fn the_access_log_says_why_the_gateway_answered_itself() {
    let (api, _) = local_api(ok_function());
    let error = |answer: Answer| answer.outcome.error;
    let two_hosts = get("/hello")
        .header("host", "x")
        .header("authorization", id_token())
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        error(send(&api, two_hosts).await).as_deref(),
        Some("the request has more than one Host header")
    );
    let nowhere = get("/nowhere").body(Body::empty()).unwrap();
    assert_eq!(
        error(send(&api, nowhere).await).as_deref(),
        Some("no route")
    );
    let fine = get("/hello")
        .header("authorization", id_token())
        .body(Body::empty())
        .unwrap();
    assert_eq!(error(send(&api, fine).await), None);
    let (down, _) = local_api(Err(InvokeError::Unreachable {
        endpoint: "http://127.0.0.1:9000".into(),
        reason: "Connection refused (os error 111)".into(),
    }));
    let request = get("/hello")
        .header("authorization", id_token())
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        error(send(&down, request).await).as_deref(),
        Some("function unreachable")
    );
}

#[tokio::test]
async fn function_failures_become_api_gateway_errors() {
    let cases = [
        (
            Err(InvokeError::FunctionError {
                error_type: "Panic".into(),
                message: None,
            }),
            500,
            json!({"message": "Internal Server Error"}),
        ),
        (
            // The function ran past its own Timeout (5 s), before the route's (30 s).
            Err(InvokeError::Timeout(Duration::from_secs(5))),
            500,
            json!({"message": "Internal Server Error"}),
        ),
        (
            Ok(json!({"statusCode": "two hundred"})),
            500,
            json!({"message": "Internal Server Error"}),
        ),
        (
            Ok(json!({"statusCode": 200, "body": {"not": "a string"}})),
            500,
            json!({"message": "Internal Server Error"}),
        ),
    ];
    for (answer, status, body) in cases {
        let (api, _) = local_api(answer);
        let request = get("/hello")
            .header("authorization", id_token())
            .body(Body::empty())
            .unwrap();
        let answer = send(&api, request).await;
        assert_eq!((answer.status, answer.json()), (status, body));
    }
}

#[tokio::test]
async fn an_unreachable_function_is_a_502_without_internals() {
    let (api, _) = local_api(Err(InvokeError::Unreachable {
        endpoint: "http://127.0.0.1:9000".into(),
        reason: "Connection refused (os error 111)".into(),
    }));
    let request = get("/hello")
        .header("authorization", id_token())
        .body(Body::empty())
        .unwrap();
    let answer = send(&api, request).await;
    // The endpoint and the OS error are for the log; the client sees API Gateway's kind of body.
    assert_eq!(
        (answer.status, answer.json()),
        (502, json!({"message": "Bad Gateway"}))
    );
}

#[tokio::test]
async fn a_bare_json_result_is_a_200_json_response() {
    let (api, _) = local_api(Ok(json!({"hello": "world"})));
    let request = get("/hello")
        .header("authorization", id_token())
        .body(Body::empty())
        .unwrap();
    let answer = send(&api, request).await;
    assert_eq!(
        (answer.status, answer.json()),
        (200, json!({"hello": "world"}))
    );
    assert_eq!(answer.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn cors_preflight_is_answered_without_auth() {
    let (api, recorder) = local_api(ok_function());
    let request = preflight("/hello", ORIGIN, "GET")
        .header("access-control-request-headers", "authorization")
        .body(Body::empty())
        .unwrap();
    let answer = send(&api, request).await;
    assert_eq!(answer.status, 204);
    assert_eq!(answer.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(answer.header("access-control-allow-methods"), Some("GET"));
    assert_eq!(
        answer.header("access-control-allow-headers"),
        Some("authorization,content-type")
    );
    assert_eq!(answer.header("access-control-max-age"), Some("600"));
    assert!(recorder.calls.lock().unwrap().is_empty());

    let foreign = preflight("/hello", "https://evil.example", "GET")
        .body(Body::empty())
        .unwrap();
    let answer = send(&api, foreign).await;
    assert_eq!(answer.status, 204);
    assert_eq!(answer.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn responses_carry_cors_headers_for_the_allowed_origin_only() {
    // A function that sets CORS headers itself, a preflight's included: API Gateway replaces
    // them all with its own.
    let (api, _) = local_api(Ok(json!({
        "statusCode": 200, "body": "{}",
        "headers": {"access-control-allow-origin": "*", "access-control-allow-methods": "*",
                    "access-control-max-age": "99999"}
    })));
    let request = get("/hello")
        .header("origin", ORIGIN)
        .header("authorization", id_token())
        .body(Body::empty())
        .unwrap();
    let answer = send(&api, request).await;
    assert_eq!(answer.header("access-control-allow-origin"), Some(ORIGIN));
    let unauthorized = send(
        &api,
        get("/hello")
            .header("origin", ORIGIN)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(unauthorized.status, 401);
    assert_eq!(
        unauthorized.header("access-control-allow-origin"),
        Some(ORIGIN)
    );
    let other = get("/hello")
        .header("origin", "https://evil.example")
        .header("authorization", id_token());
    let answer = send(&api, other.body(Body::empty()).unwrap()).await;
    assert_eq!(
        answer.header("access-control-allow-origin"),
        None,
        "the function's `*` is not passed on"
    );
    assert_eq!(answer.header("access-control-allow-methods"), None);
    assert_eq!(answer.header("access-control-max-age"), None);
}

#[tokio::test]
async fn oversized_requests_get_a_clear_4xx() {
    let (api, recorder) = local_api(ok_function());
    let long_uri = format!("/hello?q={}", "a".repeat(11 * 1024));
    let answer = send(&api, get(&long_uri).body(Body::empty()).unwrap()).await;
    assert_eq!(
        (answer.status, answer.json()),
        (414, json!({"message": "Request-URI Too Long"}))
    );

    let answer = send(
        &api,
        get("/hello")
            .header("x-big", "b".repeat(11 * 1024))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        (answer.status, answer.json()),
        (431, json!({"message": "Request Header Fields Too Large"}))
    );

    let declared = get("/hello").header("content-length", (11 * 1024 * 1024).to_string());
    let answer = send(&api, declared.body(Body::empty()).unwrap()).await;
    assert_eq!(
        (answer.status, answer.json()),
        (413, json!({"message": "Request Entity Too Large"}))
    );

    // A streamed body over the limit, with a valid token: refused while reading.
    let big = vec![b'x'; 10 * 1024 * 1024 + 1];
    let request = Request::builder()
        .method("GET")
        .uri("/hello")
        .header("authorization", id_token())
        .body(Body::from_stream(chunked(big)))
        .unwrap();
    let answer = send(&api, request).await;
    assert_eq!(
        (answer.status, answer.json()),
        (413, json!({"message": "Request Entity Too Large"}))
    );

    let oversized_token = format!("Bearer {}", "a".repeat(9 * 1024));
    let answer = send(
        &api,
        get("/hello")
            .header("authorization", oversized_token)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, 401);
    assert!(
        answer
            .header("www-authenticate")
            .unwrap()
            .contains("too large")
    );
    assert!(recorder.calls.lock().unwrap().is_empty());
}

/// A body without a content-length, in 64 KiB chunks.
fn chunked(
    data: Vec<u8>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        data.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    futures_util::stream::iter(chunks)
}

#[tokio::test]
async fn a_host_the_function_could_not_parse_is_a_400() {
    let (api, recorder) = local_api(ok_function());
    for host in ["xn--", "a b", "[::1", "exa mple.com:80", "host/path"] {
        let request = Request::builder()
            .uri("/hello")
            .header("host", host)
            .header("authorization", id_token())
            .body(Body::empty())
            .unwrap();
        let answer = send(&api, request).await;
        assert_eq!(answer.status, 400, "host {host:?}");
        assert_eq!(answer.json()["message"], "Bad Request");
    }
    let two_hosts = get("/hello")
        .header("host", "x")
        .header("authorization", id_token())
        .body(Body::empty())
        .unwrap();
    let answer = send(&api, two_hosts).await;
    assert_eq!(
        (answer.status, answer.json()),
        (400, json!({"message": "Bad Request"})),
        "two Host headers (lambda_http would join and then panic on them)"
    );
    assert!(recorder.calls.lock().unwrap().is_empty());
    let fine = get("/hello")
        .header("authorization", id_token())
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(&api, fine).await.status,
        200,
        "127.0.0.1:3000 is a valid host"
    );
}

#[tokio::test]
async fn an_http_1_1_request_needs_a_host_and_http_1_0_does_not() {
    let (api, recorder) = local_api(ok_function());
    let request = |version| {
        Request::builder()
            .version(version)
            .uri("/hello")
            .header("authorization", id_token())
            .body(Body::empty())
            .unwrap()
    };
    let answer = send_as_is(&api, request(axum::http::Version::HTTP_11)).await;
    assert_eq!(
        (answer.status, answer.json()),
        (400, json!({"message": "Bad Request"}))
    );
    assert!(recorder.calls.lock().unwrap().is_empty());
    let answer = send_as_is(&api, request(axum::http::Version::HTTP_10)).await;
    assert_eq!(answer.status, 200);
}

/// API Gateway would see two values joined, which no token survives: both APIs refuse them, even
/// when one is a valid token.
#[tokio::test]
async fn two_authorization_headers_are_refused() {
    for (kind, path) in [(ApiKind::Http, "/hello"), (ApiKind::Rest, "/dev/hello")] {
        let (api, recorder) = gateway_of(kind, ok_function());
        for (first, second) in [
            (id_token(), "garbage".to_owned()),
            ("garbage".to_owned(), id_token()),
        ] {
            let request = get(path)
                .header("authorization", first)
                .header("authorization", second)
                .body(Body::empty())
                .unwrap();
            let answer = send(&api, request).await;
            assert_eq!(
                (answer.status, answer.json()),
                (401, json!({"message": "Unauthorized"})),
                "{kind:?}"
            );
        }
        assert!(recorder.calls.lock().unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_integration_timeout_wins_when_it_is_shorter_than_the_functions() {
    for (kind, status, body) in [
        (
            ApiKind::Http,
            503,
            json!({"message": "Service Unavailable"}),
        ),
        (
            ApiKind::Rest,
            504,
            json!({"message": "Endpoint request timed out"}),
        ),
    ] {
        let (api, recorder) = gateway_with(
            kind,
            Err(InvokeError::Timeout(Duration::from_secs(2))),
            |api| {
                let Integration::Lambda(lambda) = &mut api.routes[0].integration else {
                    panic!("a Lambda route");
                };
                lambda.timeout = Duration::from_secs(2);
            },
        );
        let uri = if kind == ApiKind::Http {
            "/hello"
        } else {
            "/dev/hello"
        };
        let request = get(uri)
            .header("authorization", id_token())
            .body(Body::empty())
            .unwrap();
        let answer = send(&api, request).await;
        assert_eq!((answer.status, answer.json()), (status, body), "{kind:?}");
        assert_eq!(recorder.calls.lock().unwrap()[0].2, Duration::from_secs(2));
    }
}

// ---- the REST API ------------------------------------------------------------------------------

const REST_ORIGIN_HEADER: (&str, &str) = ("access-control-allow-origin", ORIGIN);

#[tokio::test]
async fn rest_without_a_token_is_401_with_the_gateway_responses_headers() {
    let (api, recorder) = rest_api(ok_function());
    let answer = send(&api, get("/dev/hello").body(Body::empty()).unwrap()).await;
    assert_eq!(
        (answer.status, answer.json()),
        (401, json!({"message": "Unauthorized"}))
    );
    assert_eq!(
        answer.header("x-amzn-errortype"),
        Some("UnauthorizedException")
    );
    assert_eq!(
        answer.header("www-authenticate"),
        None,
        "the reason is only logged"
    );
    assert_eq!(
        answer.header(REST_ORIGIN_HEADER.0),
        Some(REST_ORIGIN_HEADER.1),
        "DEFAULT_4XX adds it, so a browser can read the 401"
    );
    assert_eq!(
        answer.outcome.auth,
        AuthOutcome::Refused("the request has no token".into())
    );
    assert!(answer.header("x-amzn-requestid").is_some());
    assert!(recorder.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn rest_with_an_id_token_reaches_the_function_with_payload_1_0() {
    let (api, recorder) = rest_api(Ok(json!({
        "statusCode": 200,
        "headers": {"content-type": "application/json", "access-control-allow-origin": "*"},
        "multiValueHeaders": {"x-multi": ["a", "b"]},
        "body": "{\"ok\":true}"
    })));
    let request = get("/dev/hello?x=1&x=2")
        .header("authorization", id_token())
        .body(Body::empty())
        .unwrap();
    let answer = send(&api, request).await;
    assert_eq!((answer.status, answer.json()), (200, json!({"ok": true})));
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("*"),
        "a REST proxy integration passes the function's headers through"
    );
    assert_eq!(
        answer.headers.get_all("x-multi").iter().collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(answer.outcome.route.as_deref(), Some("GET /hello"));
    let calls = recorder.calls.lock().unwrap();
    let (function, event, deadline) = &calls[0];
    assert_eq!(
        (function.as_str(), *deadline),
        ("hello", Duration::from_secs(5))
    );
    assert_eq!(event["resource"], "/hello");
    assert_eq!(event["path"], "/hello");
    assert_eq!(event["httpMethod"], "GET");
    assert_eq!(event["queryStringParameters"], json!({"x": "2"}));
    assert_eq!(
        event["multiValueQueryStringParameters"],
        json!({"x": ["1", "2"]})
    );
    assert_eq!(event["requestContext"]["path"], "/dev/hello");
    assert_eq!(event["requestContext"]["stage"], "dev");
    assert_eq!(event["requestContext"]["resourcePath"], "/hello");
    let now_ms = (now() * 1000) as i64;
    let epoch = event["requestContext"]["requestTimeEpoch"]
        .as_i64()
        .unwrap();
    assert!((now_ms - 5000..=now_ms + 5000).contains(&epoch), "{epoch}");
    assert_eq!(
        event["requestContext"]["requestId"],
        answer.header("x-amzn-requestid").unwrap()
    );
    let claims = &event["requestContext"]["authorizer"]["claims"];
    assert_eq!(claims["cognito:username"], "user-a");
    assert_eq!(claims["cognito:groups"], "admin,dev");
    assert!(
        claims["exp"].as_str().unwrap().contains(" UTC "),
        "a date: {}",
        claims["exp"]
    );
    assert!(event["requestContext"]["authorizer"].get("jwt").is_none());
}

#[tokio::test]
async fn rest_takes_id_tokens_only_without_scopes() {
    let (api, recorder) = rest_api(ok_function());
    let request = get("/dev/hello")
        .header("authorization", format!("Bearer {}", access_token()))
        .body(Body::empty())
        .unwrap();
    let answer = send(&api, request).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.outcome.auth,
        AuthOutcome::Refused("a method without authorization scopes takes ID tokens only".into())
    );
    assert!(recorder.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn rest_unknown_resources_methods_and_stages_are_403_missing_authentication_token() {
    let (api, recorder) = rest_api(ok_function());
    for (method, uri) in [
        ("GET", "/dev/nope"),
        ("POST", "/dev/hello"),
        ("GET", "/hello"),
        ("GET", "/prod/hello"),
        ("GET", "/devx/hello"),
        ("GET", "/dev"),
    ] {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", id_token())
            .body(Body::empty())
            .unwrap();
        let answer = send(&api, request).await;
        assert_eq!(
            (answer.status, answer.json()),
            (403, json!({"message": "Missing Authentication Token"})),
            "{method} {uri}"
        );
        assert_eq!(
            answer.header("x-amzn-errortype"),
            Some("MissingAuthenticationTokenException")
        );
        assert_eq!(
            answer.header(REST_ORIGIN_HEADER.0),
            Some(REST_ORIGIN_HEADER.1)
        );
    }
    assert!(recorder.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn rest_preflight_is_sams_mock_method_without_auth() {
    let (api, recorder) = rest_api(ok_function());
    let request = preflight("/dev/hello", "https://anyone.example", "GET")
        .body(Body::empty())
        .unwrap();
    let answer = send(&api, request).await;
    assert_eq!(answer.status, 200);
    // Static headers, whoever asks: the browser compares the origin.
    assert_eq!(answer.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(
        answer.header("access-control-allow-methods"),
        Some("GET,OPTIONS")
    );
    assert_eq!(
        answer.header("access-control-allow-headers"),
        Some("authorization,content-type")
    );
    assert_eq!(answer.header("access-control-max-age"), Some("600"));
    // A route like any other, served by its MOCK integration.
    assert_eq!(answer.outcome.route.as_deref(), Some("OPTIONS /hello"));
    assert!(recorder.calls.lock().unwrap().is_empty());
    let elsewhere = Request::builder()
        .method("OPTIONS")
        .uri("/dev/nope")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&api, elsewhere).await.status, 403);
}

#[tokio::test]
async fn rest_preflight_with_sams_default_needs_a_token() {
    let (api, _) = gateway_with(ApiKind::Rest, ok_function(), |api| {
        let preflight = api
            .routes
            .iter_mut()
            .find(|route| route.method == "OPTIONS")
            .expect("SAM's CORS preflight method");
        preflight.auth = local_api_gateway::model::RouteAuth::Authorizer {
            name: "CognitoUserPool".into(),
            scopes: vec![],
        };
    });
    let request = preflight("/dev/hello", ORIGIN, "GET")
        .body(Body::empty())
        .unwrap();
    let answer = send(&api, request).await;
    assert_eq!(
        answer.status, 401,
        "what AddDefaultAuthorizerToCorsPreflight: true does to browsers"
    );
}

#[tokio::test]
async fn rest_function_failures_are_502_and_timeouts_504() {
    let cases = [
        (
            Err(InvokeError::FunctionError {
                error_type: "Runtime.ExitError".into(),
                message: None,
            }),
            502,
            json!({"message": "Internal server error"}),
        ),
        (
            Err(InvokeError::Timeout(Duration::from_secs(5))),
            502,
            json!({"message": "Internal server error"}),
        ),
        (
            Ok(json!({"hello": "world"})),
            502,
            json!({"message": "Internal server error"}),
        ),
        (
            Ok(json!("just a string")),
            502,
            json!({"message": "Internal server error"}),
        ),
        (
            Ok(json!({"statusCode": 200, "body": {"not": "a string"}})),
            502,
            json!({"message": "Internal server error"}),
        ),
    ];
    for (result, status, body) in cases {
        let (api, _) = rest_api(result.clone());
        let request = get("/dev/hello")
            .header("authorization", id_token())
            .body(Body::empty())
            .unwrap();
        let answer = send(&api, request).await;
        assert_eq!((answer.status, answer.json()), (status, body), "{result:?}");
        assert_eq!(
            answer.header("x-amzn-errortype"),
            Some("InternalServerErrorException")
        );
        assert_eq!(
            answer.header(REST_ORIGIN_HEADER.0),
            Some(REST_ORIGIN_HEADER.1),
            "DEFAULT_5XX"
        );
    }
}

#[tokio::test]
async fn request_ids_look_like_api_gateways_and_differ() {
    let (http, _) = local_api(ok_function());
    let (rest, recorder) = rest_api(ok_function());
    let mut seen = Vec::new();
    for _ in 0..2 {
        let answer = send(&http, get("/hello").body(Body::empty()).unwrap()).await;
        let id = answer.header("apigw-requestid").unwrap().to_owned();
        // Base64 of a few bytes, like `JKJaXmPLvHcESHA=`.
        assert_eq!(id.len(), 16, "{id}");
        let text = id.trim_end_matches('=');
        assert!(
            text.len() >= 14
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/'),
            "{id}"
        );
        seen.push(id);
    }
    for _ in 0..2 {
        let request = get("/dev/hello")
            .header("authorization", id_token())
            .body(Body::empty())
            .unwrap();
        let answer = send(&rest, request).await;
        let id = answer.header("x-amzn-requestid").unwrap().to_owned();
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12],
            "{id}"
        );
        assert!(
            id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'),
            "{id}"
        );
        assert!(
            answer
                .header("x-amz-apigw-id")
                .is_some_and(|v| v.len() == 16)
        );
        seen.push(id);
    }
    let unique: std::collections::BTreeSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "{seen:?}");
    let calls = recorder.calls.lock().unwrap();
    let resource_id = calls[0].1["requestContext"]["resourceId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        resource_id.len() == 6
            && resource_id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
        "{resource_id}"
    );
    assert_eq!(
        calls[1].1["requestContext"]["resourceId"],
        resource_id.as_str(),
        "stable"
    );
}

#[tokio::test]
async fn a_rest_root_resource_is_the_stage_itself() {
    let (api, recorder) = gateway_with(ApiKind::Rest, ok_function(), |api| {
        api.routes[0].path = "/".into();
    });
    for uri in ["/dev", "/dev/"] {
        let request = get(uri)
            .header("authorization", id_token())
            .body(Body::empty())
            .unwrap();
        assert_eq!(send(&api, request).await.status, 200, "{uri}");
    }
    let request = get("/devx")
        .header("authorization", id_token())
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&api, request).await.status, 403);
    assert_eq!(recorder.calls.lock().unwrap()[0].1["path"], "/");
}

#[tokio::test]
async fn a_query_string_identity_source_is_read_by_name() {
    let (api, _) = gateway_with(ApiKind::Http, ok_function(), |api| {
        let Some(AuthorizerConfig::Jwt(jwt)) = api.authorizers.get_mut("CognitoJwt") else {
            panic!("the template's JWT authorizer");
        };
        jwt.identity = IdentitySource::Query("token".into());
    });
    let uri = format!("/hello?other=x&token={}", id_token());
    assert_eq!(
        send(&api, get(&uri).body(Body::empty()).unwrap())
            .await
            .status,
        200
    );
    let uri = format!("/hello?other={}", id_token());
    assert_eq!(
        send(&api, get(&uri).body(Body::empty()).unwrap())
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn the_size_limits_are_exact() {
    let (api, _) = local_api(ok_function());
    // The request line (no headers, HTTP/1.0): path + `?` + query = 10 KiB is read (and is a
    // 401: no token); one more byte is refused.
    let query = |len: usize| {
        let uri = format!("/hello?q={}", "a".repeat(len - "/hello?q=".len()));
        Request::builder()
            .version(axum::http::Version::HTTP_10)
            .uri(uri)
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(send_as_is(&api, query(10 * 1024)).await.status, 401);
    assert_eq!(send_as_is(&api, query(10 * 1024 + 1)).await.status, 414);
    // The request line and the headers together: `/hello` + host + x-big = 10 KiB.
    let headers = |total: usize| {
        let used = "/hello".len() + "host".len() + "127.0.0.1:3000".len() + "x-big".len();
        get("/hello")
            .header("x-big", "b".repeat(total - used))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(send(&api, headers(10 * 1024)).await.status, 401);
    assert_eq!(send(&api, headers(10 * 1024 + 1)).await.status, 431);
    // The declared body: 10 MiB is taken, one byte more is not.
    let declared = |len: usize| {
        let request = get("/hello").header("content-length", len.to_string());
        request.body(Body::empty()).unwrap()
    };
    assert_eq!(send(&api, declared(10 * 1024 * 1024)).await.status, 401);
    assert_eq!(send(&api, declared(10 * 1024 * 1024 + 1)).await.status, 413);
}

#[tokio::test]
async fn only_an_options_request_with_origin_and_method_is_a_preflight() {
    let (api, _) = local_api(ok_function());
    let options = Request::builder()
        .method("OPTIONS")
        .uri("/hello")
        .header("access-control-request-method", "GET")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(&api, options).await.status,
        404,
        "no Origin: a request like any other"
    );
    let post = Request::builder()
        .method("POST")
        .uri("/hello")
        .header("origin", ORIGIN)
        .header("access-control-request-method", "GET")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&api, post).await.status, 404, "not OPTIONS");
}

#[tokio::test]
async fn an_http_preflight_for_a_method_cors_does_not_allow_gets_no_cors_headers() {
    let (api, _) = local_api(ok_function());
    let request = preflight("/hello", ORIGIN, "DELETE")
        .body(Body::empty())
        .unwrap();
    let answer = send(&api, request).await;
    assert_eq!(answer.status, 204);
    assert_eq!(answer.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn exposed_headers_are_listed_when_configured() {
    let (plain, _) = local_api(ok_function());
    let (exposing, _) = gateway_with(ApiKind::Http, ok_function(), |api| {
        let cors = api.cors.as_mut().expect("CORS");
        cors.expose_headers = vec!["x-request-id".into(), "x-other".into()];
    });
    for (api, expected) in [(&plain, None), (&exposing, Some("x-request-id,x-other"))] {
        let request = get("/hello")
            .header("origin", ORIGIN)
            .header("authorization", id_token());
        let answer = send(api, request.body(Body::empty()).unwrap()).await;
        assert_eq!(answer.header("access-control-expose-headers"), expected);
    }
}

#[tokio::test]
async fn sams_preflight_lists_the_paths_methods_when_allow_methods_is_not_set() {
    let template = TEMPLATE
        .replace(
            "        AllowMethods: \"'GET,OPTIONS'\"\n",
            "",
        )
        .replace(
            "        GetHelloRest:\n",
            "        PostHelloRest:\n          Type: Api\n          Properties:\n            RestApiId: !Ref RestApi\n            Method: POST\n            Path: /hello\n        GetHelloRest:\n",
        );
    assert_ne!(template, TEMPLATE);
    let api = gateway(read(&template, ApiKind::Rest), Recorder::new(ok_function()));
    let preflight = Request::builder()
        .method("OPTIONS")
        .uri("/dev/hello")
        .body(Body::empty())
        .unwrap();
    let answer = send(&api, preflight).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert_eq!(
        answer.header("access-control-allow-methods"),
        Some("GET,OPTIONS,POST")
    );
}

#[tokio::test]
async fn rest_gateway_responses_pick_the_specific_type_then_the_class_default() {
    use local_api_gateway::model::{GatewayResponse, RouteAuth};
    let response = |status: Option<u16>, value: &str| GatewayResponse {
        status,
        headers: vec![("x-class".into(), value.into())],
    };
    let (api, _) = gateway_with(ApiKind::Rest, Ok(json!("not a proxy result")), |api| {
        api.gateway_responses = [
            ("DEFAULT_4XX".to_owned(), response(None, "4xx")),
            ("DEFAULT_5XX".to_owned(), response(None, "5xx")),
            (
                "MISSING_AUTHENTICATION_TOKEN".to_owned(),
                response(Some(404), "specific"),
            ),
        ]
        .into();
        // A second route whose authorizer does not exist: fails closed with a 500.
        let mut broken = api.routes[0].clone();
        broken.path = "/broken".into();
        broken.auth = RouteAuth::Authorizer {
            name: "Missing".into(),
            scopes: vec![],
        };
        api.routes.push(broken);
    });
    let cases = [
        ("/dev/hello", false, 401, "4xx"),
        ("/dev/hello", true, 502, "5xx"),
        ("/dev/broken", true, 500, "5xx"),
        ("/dev/nope", true, 404, "specific"),
    ];
    for (uri, token, status, class) in cases {
        let mut request = get(uri);
        if token {
            request = request.header("authorization", id_token());
        }
        let answer = send(&api, request.body(Body::empty()).unwrap()).await;
        assert_eq!(
            (answer.status, answer.header("x-class")),
            (status, Some(class)),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn rest_base64_bodies_are_decoded_only_for_an_accepted_binary_type() {
    let (api, _) = gateway_with(
        ApiKind::Rest,
        Ok(json!({"statusCode": 200, "body": "aGk=", "isBase64Encoded": true})),
        |api| {
            api.binary_media_types = vec!["image/png".into()];
        },
    );
    for (accept, body) in [
        ("image/png", &b"hi"[..]),
        ("application/json", &b"aGk="[..]),
    ] {
        let request = get("/dev/hello")
            .header("authorization", id_token())
            .header("accept", accept)
            .body(Body::empty())
            .unwrap();
        assert_eq!(send(&api, request).await.body, body, "{accept}");
    }
}
