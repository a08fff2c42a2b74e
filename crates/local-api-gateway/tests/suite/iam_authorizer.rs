//! `AWS_IAM` routes: AWS's own Signature Version 4 test vectors are accepted and every change to
//! them refused; requests signed by real clients (the aws-sigv4 signer the AWS SDK for Rust uses,
//! and curl's `--aws-sigv4`) reach the function with the caller in the event, shaped as captures
//! of real events show it; each refusal answers as API Gateway does.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use aws_sigv4::http_request::{PayloadChecksumKind, SigningSettings};
use axum::{
    body::Body,
    http::{HeaderMap, HeaderName, HeaderValue, Request},
};
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use local_api_gateway::{
    authorizer::{AuthRequest, Denial, SignatureFailure, iam},
    gateway::{Gateway, Settings},
    model::{ApiKind, RouteAuth},
    server,
};
use serde_json::{Value, json};

use crate::support::{
    ACCOUNT, Answer, NoEvents, Recorder, TestGateway, read, send, sigv4, verifier,
};

const VECTORS: &str = include_str!("../fixtures/aws-docs/sigv4-test-suite.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).unwrap()
}

/// The credentials of the test suite (or of `case`, when it signs with a session token).
fn suite_credentials(suite: &Value, case: &Value) -> iam::Credentials {
    iam::Credentials {
        access_key_id: suite["access_key_id"].as_str().unwrap().into(),
        secret_access_key: suite["secret_access_key"].as_str().unwrap().into(),
        session_token: case["session_token"].as_str().map(str::to_owned),
        account_id: ACCOUNT.into(),
        user_arn: format!("arn:aws:iam::{ACCOUNT}:user/local"),
    }
}

/// 2015-08-30T12:36:00Z, when the suite's requests were signed.
const SIGNED_AT: u64 = 1_440_938_160;

struct Case {
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Case {
    fn of(case: &Value) -> Self {
        let mut headers = HeaderMap::new();
        for pair in case["headers"].as_array().unwrap() {
            headers.append(
                HeaderName::from_bytes(pair[0].as_str().unwrap().as_bytes()).unwrap(),
                HeaderValue::from_str(pair[1].as_str().unwrap()).unwrap(),
            );
        }
        headers.insert(
            "authorization",
            HeaderValue::from_str(case["authorization"].as_str().unwrap()).unwrap(),
        );
        Self {
            method: case["method"].as_str().unwrap().into(),
            path: case["path"].as_str().unwrap().into(),
            query: case["query"].as_str().unwrap().into(),
            headers,
            body: case["body"].as_str().unwrap().as_bytes().to_vec(),
        }
    }

    /// The suite's service, region and credentials, checked at `now`.
    fn check(&self, suite: &Value, case: &Value, now: u64) -> Result<(), Denial> {
        self.check_with(&[suite_credentials(suite, case)], now)
    }

    fn check_with(&self, credentials: &[iam::Credentials], now: u64) -> Result<(), Denial> {
        let no_variables = BTreeMap::new();
        let request = AuthRequest {
            headers: &self.headers,
            raw_query: &self.query,
            stage: "dev",
            stage_variables: &no_variables,
            method: &self.method,
            path: &self.path,
            resource_path: &self.path,
            route_key: "ANY /",
            source_ip: "127.0.0.1",
            request_id: "r",
            account_id: ACCOUNT,
            api_id: "local",
            method_arn: "arn:aws:execute-api:us-east-1:123456789012:local/dev/GET/",
            full_path: &self.path,
            body: &self.body,
            now,
            events: &NoEvents,
        };
        iam::authorize(&request, credentials, "us-east-1", "service").map(|_| ())
    }
}

fn failure(result: Result<(), Denial>) -> SignatureFailure {
    match result {
        Err(Denial::Signature { kind, .. }) => kind,
        other => panic!("expected a signature failure, got {other:?}"),
    }
}

#[test]
fn every_vector_of_the_aws_test_suite_is_accepted() {
    let suite = vectors();
    for case in suite["cases"].as_array().unwrap() {
        let request = Case::of(case);
        assert_eq!(
            request.check(&suite, case, SIGNED_AT),
            Ok(()),
            "{}",
            case["name"]
        );
    }
}

#[test]
fn any_change_to_a_signed_request_is_an_invalid_signature() {
    let suite = vectors();
    for case in suite["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let original = Case::of(case);
        let mut changes: Vec<(&str, Case)> = Vec::new();
        let mut method = Case::of(case);
        method.method = if original.method == "GET" {
            "POST"
        } else {
            "GET"
        }
        .into();
        changes.push(("method", method));
        let mut path = Case::of(case);
        path.path.push('x');
        changes.push(("path", path));
        let mut query = Case::of(case);
        query.query = if original.query.is_empty() {
            "a=b".into()
        } else {
            format!("{}x", original.query)
        };
        changes.push(("query", query));
        let mut body = Case::of(case);
        body.body.extend_from_slice(b"x");
        changes.push(("body", body));
        let mut date = Case::of(case);
        date.headers
            .insert("x-amz-date", HeaderValue::from_static("20150830T123601Z"));
        changes.push(("x-amz-date", date));
        let mut signature = Case::of(case);
        let header = case["authorization"].as_str().unwrap();
        let flipped = if header.ends_with('0') { '1' } else { '0' };
        signature.headers.insert(
            "authorization",
            HeaderValue::from_str(&format!("{}{flipped}", &header[..header.len() - 1])).unwrap(),
        );
        changes.push(("signature", signature));
        if original.headers.contains_key("my-header1") {
            let mut value = Case::of(case);
            value
                .headers
                .insert("my-header1", HeaderValue::from_static("other"));
            changes.push(("signed header", value));
        }
        for (what, changed) in changes {
            assert_eq!(
                failure(changed.check(&suite, case, SIGNED_AT)),
                SignatureFailure::Invalid,
                "{name}: changed {what}"
            );
        }
        // A header the client did not sign may change freely.
        let mut unsigned = Case::of(case);
        unsigned
            .headers
            .insert("user-agent", HeaderValue::from_static("changed"));
        assert_eq!(unsigned.check(&suite, case, SIGNED_AT), Ok(()), "{name}");
    }
}

#[test]
fn signatures_expire_fifteen_minutes_either_side_of_now() {
    let suite = vectors();
    let case = &suite["cases"][0];
    let request = Case::of(case);
    for now in [SIGNED_AT - 15 * 60, SIGNED_AT + 15 * 60] {
        assert_eq!(request.check(&suite, case, now), Ok(()));
    }
    for now in [SIGNED_AT - 15 * 60 - 1, SIGNED_AT + 15 * 60 + 1, 0] {
        assert_eq!(
            failure(request.check(&suite, case, now)),
            SignatureFailure::Expired
        );
    }
}

#[test]
fn credentials_must_be_known_with_their_session_token() {
    let suite = vectors();
    let plain = &suite["cases"][0];
    let other_key = iam::Credentials {
        access_key_id: "AKIDOTHER".into(),
        ..suite_credentials(&suite, plain)
    };
    assert_eq!(
        failure(Case::of(plain).check_with(std::slice::from_ref(&other_key), SIGNED_AT)),
        SignatureFailure::UnknownKey
    );
    assert_eq!(
        failure(Case::of(plain).check_with(&[], SIGNED_AT)),
        SignatureFailure::UnknownKey
    );
    let known = suite_credentials(&suite, plain);
    assert_eq!(
        Case::of(plain).check_with(&[other_key, known.clone()], SIGNED_AT),
        Ok(())
    );
    let wrong_secret = iam::Credentials {
        secret_access_key: "not-the-secret".into(),
        ..known
    };
    assert_eq!(
        failure(Case::of(plain).check_with(&[wrong_secret], SIGNED_AT)),
        SignatureFailure::Invalid
    );
    // Temporary credentials are known only with their token.
    let sts = suite["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["session_token"].is_string())
        .unwrap();
    let without_token = suite_credentials(&suite, plain);
    assert_eq!(
        failure(Case::of(sts).check_with(&[without_token], SIGNED_AT)),
        SignatureFailure::UnknownKey
    );
    let mut no_token_header = Case::of(sts);
    no_token_header.headers.remove("x-amz-security-token");
    assert_eq!(
        failure(no_token_header.check(&suite, sts, SIGNED_AT)),
        SignatureFailure::UnknownKey
    );
}

#[test]
fn malformed_authorization_headers_are_incomplete_or_missing() {
    let suite = vectors();
    let case = &suite["cases"][0];
    let with = |value: Option<&str>| {
        let mut request = Case::of(case);
        match value {
            Some(value) => {
                request
                    .headers
                    .insert("authorization", HeaderValue::from_str(value).unwrap());
            }
            None => {
                request.headers.remove("authorization");
            }
        }
        request.check(&suite, case, SIGNED_AT)
    };
    assert_eq!(failure(with(None)), SignatureFailure::Missing);
    let sig = "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    for incomplete in [
        "Bearer token".to_owned(),
        "AWS4-HMAC-SHA256".to_owned(),
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, {sig}"
        ),
        format!("AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, {sig}"),
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service, SignedHeaders=host;x-amz-date, {sig}"
        ),
    ] {
        assert_eq!(
            failure(with(Some(&incomplete))),
            SignatureFailure::Incomplete,
            "{incomplete}"
        );
    }
    // Each missing parameter is named; the ones present are not.
    match with(Some(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request",
    )) {
        Err(Denial::Signature { message, .. }) => assert_eq!(
            message,
            "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."
        ),
        other => panic!("expected a signature failure, got {other:?}"),
    }
    let mut no_date = Case::of(case);
    no_date.headers.remove("x-amz-date");
    assert_eq!(
        failure(no_date.check(&suite, case, SIGNED_AT)),
        SignatureFailure::Incomplete
    );
    // A scope for another service, region or day.
    for scope in [
        "AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request",
        "AKIDEXAMPLE/20150830/eu-west-1/service/aws4_request",
        "AKIDEXAMPLE/20150831/us-east-1/service/aws4_request",
    ] {
        let header =
            format!("AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;x-amz-date, {sig}");
        assert_eq!(
            failure(with(Some(&header))),
            SignatureFailure::Invalid,
            "{scope}"
        );
    }
}

const KEY_ID: &str = "AKIALOCALTEST";
const SECRET: &str = "local/secret/key";

fn known() -> iam::Credentials {
    iam::Credentials {
        access_key_id: KEY_ID.into(),
        secret_access_key: SECRET.into(),
        session_token: None,
        account_id: ACCOUNT.into(),
        user_arn: format!("arn:aws:iam::{ACCOUNT}:user/local"),
    }
}

const TEMPLATE: &str = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: dev
      Auth:
        DefaultAuthorizer: AWS_IAM
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        EnableIamAuthorizer: true
        DefaultAuthorizer: AWS_IAM
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: bootstrap
      Runtime: provided.al2023
      Events:
        Rest:
          Type: Api
          Properties: {RestApiId: !Ref Rest, Path: /iam, Method: post}
        Open:
          Type: Api
          Properties: {RestApiId: !Ref Rest, Path: /open, Method: get, Auth: {Authorizer: NONE}}
        Http:
          Type: HttpApi
          Properties: {ApiId: !Ref Http, Path: /iam, Method: post}
"#;

fn signed_gateway(kind: ApiKind) -> (TestGateway<Recorder>, Recorder) {
    let api = read(TEMPLATE, kind);
    let recorder = Recorder::new(Ok(json!({"statusCode": 200, "body": "signed"})));
    let settings = Settings {
        region: "us-east-1".into(),
        account_id: ACCOUNT.into(),
        api_id: "local".into(),
        port: 3000,
        credentials: vec![known()],
    };
    let gateway = Gateway::new(api, Arc::new(verifier()), recorder.clone(), settings);
    (gateway, recorder)
}

/// `method url` with `body`, signed for execute-api as the AWS SDK for Rust signs it.
fn signed(
    method: &str,
    url: &str,
    body: &str,
    credentials: &iam::Credentials,
    at: SystemTime,
) -> Request<Body> {
    signed_with(
        method,
        url,
        body,
        credentials,
        at,
        SigningSettings::default(),
    )
}

fn signed_with(
    method: &str,
    url: &str,
    body: &str,
    credentials: &iam::Credentials,
    at: SystemTime,
    settings: SigningSettings,
) -> Request<Body> {
    let host = url.split('/').nth(2).unwrap();
    let unsigned = [("host", host), ("content-type", "application/json")];
    let signer = sigv4::Signer {
        at,
        settings,
        session_token: credentials.session_token.as_deref(),
        ..sigv4::Signer::new(&credentials.access_key_id, &credentials.secret_access_key)
    };
    let mut request = Request::builder().method(method).uri(url);
    for (name, value) in unsigned {
        request = request.header(name, value);
    }
    for (name, value) in signer.headers(method, url, &unsigned, body.as_bytes()) {
        request = request.header(name, value);
    }
    request.body(Body::from(body.to_owned())).unwrap()
}

#[tokio::test]
async fn a_rest_api_tells_the_function_who_signed_in_identity() {
    let (gateway, recorder) = signed_gateway(ApiKind::Rest);
    assert_eq!(
        gateway
            .api()
            .routes
            .iter()
            .find(|r| r.path == "/iam")
            .unwrap()
            .auth,
        RouteAuth::Iam
    );
    let request = signed(
        "POST",
        "http://127.0.0.1:3000/dev/iam",
        "{}",
        &known(),
        SystemTime::now(),
    );
    let answer = send(&gateway, request).await;
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let calls = recorder.calls.lock().unwrap();
    let context = &calls[0].1["requestContext"];
    // As the captured REST event: the signer in `identity`, no `authorizer`.
    assert!(context.get("authorizer").is_none(), "{context}");
    let identity = &context["identity"];
    assert_eq!(identity["accessKey"], KEY_ID);
    assert_eq!(identity["accountId"], ACCOUNT);
    assert_eq!(
        identity["userArn"],
        format!("arn:aws:iam::{ACCOUNT}:user/local")
    );
    assert!(identity["caller"].is_string() && identity["user"].is_string());
    assert_eq!(identity["cognitoIdentityId"], Value::Null);
}

#[tokio::test]
async fn an_http_api_tells_the_function_who_signed_in_authorizer_iam() {
    let (gateway, recorder) = signed_gateway(ApiKind::Http);
    let request = signed(
        "POST",
        "http://127.0.0.1:3000/iam",
        "{\"a\":1}",
        &known(),
        SystemTime::now(),
    );
    let answer = send(&gateway, request).await;
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let event = calls_event(&recorder);
    // The keys of a captured HTTP API event's `authorizer.iam`, nulls included.
    let iam = &event["requestContext"]["authorizer"]["iam"];
    let keys: Vec<&str> = iam
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "accessKey",
            "accountId",
            "callerId",
            "cognitoIdentity",
            "principalOrgId",
            "userArn",
            "userId"
        ]
    );
    // And as aws_lambda_events reads it.
    let typed: ApiGatewayV2httpRequest = serde_json::from_value(event).unwrap();
    let iam = typed.request_context.authorizer.unwrap().iam.unwrap();
    assert_eq!(iam.access_key.as_deref(), Some(KEY_ID));
    assert_eq!(iam.account_id.as_deref(), Some(ACCOUNT));
    assert_eq!(
        iam.user_arn.as_deref(),
        Some(format!("arn:aws:iam::{ACCOUNT}:user/local").as_str())
    );
}

/// HTTPie's signer (as in captured events) also signs `x-amz-content-sha256`: that hash must be
/// the body's.
#[tokio::test]
async fn a_signed_payload_hash_must_be_the_bodys() {
    let (gateway, recorder) = signed_gateway(ApiKind::Http);
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let url = "http://127.0.0.1:3000/iam";
    let request = signed_with(
        "POST",
        url,
        "{}",
        &known(),
        SystemTime::now(),
        settings.clone(),
    );
    assert!(request.headers().contains_key("x-amz-content-sha256"));
    assert_eq!(send(&gateway, request).await.status, 200);
    let mut tampered = signed_with("POST", url, "{}", &known(), SystemTime::now(), settings);
    *tampered.body_mut() = Body::from("[]");
    assert_eq!(send(&gateway, tampered).await.status, 403);
    assert_eq!(recorder.calls.lock().unwrap().len(), 1);
}

fn calls_event(recorder: &Recorder) -> Value {
    recorder.calls.lock().unwrap()[0].1.clone()
}

#[tokio::test]
async fn refusals_answer_as_a_rest_api_does() {
    let (gateway, recorder) = signed_gateway(ApiKind::Rest);
    let now = SystemTime::now();
    let url = "http://127.0.0.1:3000/dev/iam";
    let check = |answer: Answer, error_type: &str, message: &str| {
        assert_eq!(answer.status, 403);
        assert_eq!(answer.header("x-amzn-errortype"), Some(error_type));
        let body = answer.json();
        assert!(
            body["message"].as_str().unwrap().starts_with(message),
            "{body}"
        );
    };
    let unsigned = Request::post(url)
        .header("host", "127.0.0.1:3000")
        .body(Body::empty())
        .unwrap();
    check(
        send(&gateway, unsigned).await,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    );
    let bearer = Request::post(url)
        .header("host", "127.0.0.1:3000")
        .header("authorization", "Bearer abc")
        .body(Body::empty())
        .unwrap();
    check(
        send(&gateway, bearer).await,
        "IncompleteSignatureException",
        "Invalid key=value pair",
    );
    let stranger = iam::Credentials {
        access_key_id: "AKIASTRANGER".into(),
        ..known()
    };
    check(
        send(&gateway, signed("POST", url, "{}", &stranger, now)).await,
        "AccessDeniedException",
        "The security token included in the request is invalid.",
    );
    let wrong_secret = iam::Credentials {
        secret_access_key: "guess".into(),
        ..known()
    };
    check(
        send(&gateway, signed("POST", url, "{}", &wrong_secret, now)).await,
        "InvalidSignatureException",
        "The request signature we calculated does not match",
    );
    let old = now - Duration::from_secs(16 * 60);
    check(
        send(&gateway, signed("POST", url, "{}", &known(), old)).await,
        "InvalidSignatureException",
        "Signature expired",
    );
    // The body is signed: another body is another signature.
    let mut tampered = signed("POST", url, "{}", &known(), now);
    *tampered.body_mut() = Body::from("{\"admin\":true}");
    check(
        send(&gateway, tampered).await,
        "InvalidSignatureException",
        "The request signature",
    );
    assert!(
        recorder.calls.lock().unwrap().is_empty(),
        "nothing reached the function"
    );
    // A route with `Authorizer: NONE` stays open.
    let open = Request::get("http://127.0.0.1:3000/dev/open")
        .header("host", "127.0.0.1:3000")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&gateway, open).await.status, 200);
}

#[tokio::test]
async fn an_http_api_answers_every_refusal_with_forbidden() {
    let (gateway, recorder) = signed_gateway(ApiKind::Http);
    let url = "http://127.0.0.1:3000/iam";
    let stranger = iam::Credentials {
        access_key_id: "AKIASTRANGER".into(),
        ..known()
    };
    for request in [
        Request::post(url)
            .header("host", "127.0.0.1:3000")
            .body(Body::empty())
            .unwrap(),
        signed("POST", url, "{}", &stranger, SystemTime::now()),
        signed("POST", url, "{}", &known(), UNIX_EPOCH),
    ] {
        let answer = send(&gateway, request).await;
        assert_eq!(
            (answer.status, answer.json()),
            (403, json!({"message": "Forbidden"}))
        );
    }
    assert!(recorder.calls.lock().unwrap().is_empty());
}

/// curl signs on its own (`--aws-sigv4`): a client the gateway shares no code with, over HTTP.
#[tokio::test]
async fn curl_signed_requests_are_accepted_over_http() {
    let (gateway, recorder) = signed_gateway(ApiKind::Http);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(server::serve(listener, Arc::new(gateway), async {
        let _ = stopped.await;
    }));
    let curl = |user: String| {
        let url = format!("http://127.0.0.1:{port}/iam");
        let mut command = std::process::Command::new("curl");
        command
            .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"])
            .args([
                "--aws-sigv4",
                "aws:amz:us-east-1:execute-api",
                "--user",
                &user,
            ])
            .args([
                "-H",
                "content-type: application/json",
                "--data",
                "{\"from\":\"curl\"}",
                &url,
            ]);
        tokio::task::spawn_blocking(move || command.output().unwrap())
    };
    let ok = curl(format!("{KEY_ID}:{SECRET}")).await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&ok.stdout),
        "200",
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let wrong = curl(format!("{KEY_ID}:wrong")).await.unwrap();
    assert_eq!(String::from_utf8_lossy(&wrong.stdout), "403");
    stop.send(()).unwrap();
    served.await.unwrap().unwrap();
    assert_eq!(calls_event(&recorder)["body"], "{\"from\":\"curl\"}");
}

/// What a log line or a panic message would show of the credentials: the key id and who it is,
/// never the secret or the session token.
#[test]
fn credentials_show_their_key_never_their_secret() {
    let credentials = iam::Credentials {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI-the-secret".into(),
        session_token: Some("the-session-token".into()),
        account_id: "111122223333".into(),
        user_arn: "arn:aws:iam::111122223333:user/local".into(),
    };
    let shown = format!("{credentials:?}");
    assert!(shown.starts_with("Credentials {"), "{shown}");
    assert!(shown.contains("AKIDEXAMPLE"), "{shown}");
    assert!(
        shown.contains("arn:aws:iam::111122223333:user/local"),
        "{shown}"
    );
    assert!(!shown.contains("the-secret"), "{shown}");
    assert!(!shown.contains("the-session-token"), "{shown}");
}

/// `x-amz-content-sha256: UNSIGNED-PAYLOAD` (S3-style clients send it) leaves the body out of the
/// signature: any body passes with it, where a hashed payload must be the body's own.
#[tokio::test]
async fn an_unsigned_payload_leaves_the_body_out_of_the_signature() {
    let (gateway, recorder) = signed_gateway(ApiKind::Http);
    let credentials = known();
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let url = "http://127.0.0.1:3000/iam";
    let unsigned = [
        ("host", "127.0.0.1:3000"),
        ("content-type", "application/json"),
    ];
    let signer = sigv4::Signer {
        settings,
        unsigned_payload: true,
        ..sigv4::Signer::new(&credentials.access_key_id, &credentials.secret_access_key)
    };
    for body in ["{}", "[1, 2, 3]"] {
        let mut request = Request::builder().method("POST").uri(url);
        for (name, value) in unsigned {
            request = request.header(name, value);
        }
        for (name, value) in signer.headers("POST", url, &unsigned, b"{}") {
            request = request.header(name, value);
        }
        let request = request.body(Body::from(body)).unwrap();
        assert_eq!(
            request.headers()["x-amz-content-sha256"],
            "UNSIGNED-PAYLOAD"
        );
        assert_eq!(send(&gateway, request).await.status, 200, "{body}");
    }
    assert_eq!(recorder.calls.lock().unwrap().len(), 2);
}
