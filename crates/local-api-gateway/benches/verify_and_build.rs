//! In-process cost of what the local gateway adds per request, for each API kind: authorize the
//! token (cached key) and build the event, serialized as it is sent. HTTP API: JWT authorizer and
//! payload 2.0; REST API: Cognito authorizer and payload 1.0; each with a Lambda authorizer too
//! (REST TOKEN, HTTP REQUEST 2.0), cached by token, against a function answering in process.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/suite/support/keys.rs"]
mod keys;

use std::{
    collections::BTreeMap,
    hint::black_box,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::http::{HeaderMap, HeaderValue, Method};
use criterion::{Criterion, criterion_group, criterion_main};
use local_api_gateway::{
    authorizer::{
        AuthRequest, Authorizer, AuthorizerConfig, Grant, IdentitySource, RequestEvents, Services,
        cognito::CognitoConfig,
        jwt::JwtConfig,
        lambda::{Flavor, LambdaConfig},
    },
    event::{AuthorizerContext, EventContext, PayloadVersion, RequestParts, v1, v2},
    invoke::{FunctionTarget, Invoke, InvokeError},
    keys::KeyCache,
    verify::{Verifier, bearer_token},
};
use serde_json::json;

use keys::{CLIENT, ISSUER};

/// The JWT and Cognito authorizers build no request events.
struct NoEvents;

impl RequestEvents for NoEvents {
    fn event(&self, _: PayloadVersion) -> serde_json::Value {
        serde_json::Value::Null
    }
}

/// The Lambda authorizer's function, answering in process: an Allow for the stage, with a
/// context (the JWT and Cognito authorizers invoke nothing).
struct AllowFunction(Vec<u8>);

impl AllowFunction {
    fn new() -> Self {
        Self(
            serde_json::to_vec(&json!({
                "principalId": "user-a",
                "policyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Action": "execute-api:Invoke", "Effect": "Allow",
                    "Resource": "arn:aws:execute-api:us-east-1:123456789012:local/dev/*"}]},
                "context": {"sub": "7d8ca528", "username": "user-a", "groups": "admin,dev"},
            }))
            .unwrap(),
        )
    }
}

impl Invoke for AllowFunction {
    async fn invoke(
        &self,
        _: &str,
        _: Vec<u8>,
        _: std::time::Duration,
    ) -> Result<Vec<u8>, InvokeError> {
        Ok(self.0.clone())
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let key = keys::issuer_key();
    let key_cache = Arc::new(KeyCache::new(keys::Shared(keys::MemoryJwks::new(Some(
        keys::jwks(&[key]),
    )))));
    let verifier = Verifier::new(Arc::clone(&key_cache));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // A Cognito-sized ID token.
    let token = key.sign(&json!({
        "sub": "7d8ca528-4931-4254-9273-ea5ee853f271", "aud": CLIENT, "iss": ISSUER,
        "token_use": "id", "cognito:username": "user-a", "email": "usera@example.com",
        "email_verified": true, "cognito:groups": ["admin", "dev"], "auth_time": now,
        "iat": now, "exp": now + 3600, "jti": "2b9d3f0e-7c6a-4b1e-9f57-0d6c1e2a3b4c",
        "origin_jti": "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b", "event_id": "4a4c8e44-8c3d-4e68-8a53-8f4b8a6d1f0e",
    }));
    let header = format!("Bearer {token}");
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("host", "127.0.0.1:3000"),
        ("user-agent", "curl/8.5.0"),
        ("accept", "*/*"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert("authorization", HeaderValue::from_str(&header).unwrap());
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
    fn context<'a>(
        route_key: &'a str,
        authorizer: &'a AuthorizerContext,
        no_parameters: &'a BTreeMap<String, String>,
    ) -> EventContext<'a> {
        EventContext {
            caller: None,
            api_key: None,
            route_key,
            path_parameters: no_parameters,
            authorizer: Some(authorizer),
            request_id: "AAAAAJndqP5L6g==",
            stage: "dev",
            stage_variables: no_parameters,
            time: "26/Nov/2026:13:00:00 +0000",
            time_epoch_ms: 1_795_698_000_000,
            account_id: "123456789012",
            api_id: "local",
        }
    }
    let rest = v1::V1Context {
        resource_id: Some("x1y2z3"),
        extended_request_id: "AAAAAJndqP5L6g==",
        dialect: v1::Dialect::Rest {
            binary_media_types: &[],
        },
    };
    let identity = IdentitySource::Header("authorization".into());
    let function = FunctionTarget {
        logical_id: "Authorizer".into(),
        name: "authorizer".into(),
        timeout: Duration::from_secs(3),
    };
    let lambda = |flavor| {
        AuthorizerConfig::Lambda(LambdaConfig {
            function: function.clone(),
            flavor,
            identity: vec![identity.clone()],
            ttl: Duration::from_secs(300),
        })
    };
    let kinds = [
        (
            "http",
            AuthorizerConfig::Jwt(JwtConfig {
                issuer: ISSUER.into(),
                audience: vec![CLIENT.into()],
                identity: identity.clone(),
            }),
        ),
        (
            "rest",
            AuthorizerConfig::Cognito(CognitoConfig {
                issuers: vec![ISSUER.into()],
                audience_pattern: None,
                identity: identity.clone(),
            }),
        ),
        (
            "rest-lambda-token",
            lambda(Flavor::Token { validation: None }),
        ),
        (
            "http-lambda-request",
            lambda(Flavor::Http {
                payload: PayloadVersion::V2,
                simple_responses: false,
            }),
        ),
    ];
    let auth_request = AuthRequest {
        headers: &headers,
        raw_query: "",
        stage: "dev",
        stage_variables: &no_parameters,
        method: "GET",
        path: "/hello",
        resource_path: "/hello",
        route_key: "GET /hello",
        source_ip: "127.0.0.1",
        request_id: "r",
        account_id: "123456789012",
        api_id: "local",
        method_arn: "arn:aws:execute-api:us-east-1:123456789012:local/dev/GET/hello",
        full_path: "/dev/hello",
        body: b"",
        now,
        events: &NoEvents,
    };
    let mut group = c.benchmark_group("gateway");
    group.bench_function("bearer_token", |b| {
        b.iter(|| bearer_token(Some(black_box(&header))).unwrap().len())
    });
    let allow = AllowFunction::new();
    for (kind, config) in &kinds {
        let authorizer = Authorizer::new(config.clone());
        let is_lambda = matches!(config, AuthorizerConfig::Lambda(_));
        let services = Services {
            verifier: &verifier,
            invoker: &allow,
            credentials: &[],
            region: "us-east-1",
        };
        let authorize = || async {
            authorizer
                .authorize(&[], black_box(&auth_request), &services)
                .await
                .unwrap()
        };
        let build = |grant: &Grant| {
            let authorizer = grant.context.as_ref().unwrap();
            if kind.starts_with("http") {
                serde_json::to_vec(&v2::build_event(
                    &request,
                    &context("GET /hello", authorizer, &no_parameters),
                ))
            } else {
                serde_json::to_vec(&v1::build_event(
                    &request,
                    &context("/hello", authorizer, &no_parameters),
                    &rest,
                ))
            }
            .unwrap()
        };
        let grant = runtime.block_on(authorize());
        // A token not seen before: decode, RSA signature, claims (keys cached); for a Lambda
        // authorizer, its event, the in-process function's answer read and decided.
        group.bench_function(format!("{kind}/authorize_first_seen"), |b| {
            b.to_async(&runtime).iter(|| async {
                let fresh = Verifier::new(Arc::clone(&key_cache));
                let services = Services {
                    verifier: &fresh,
                    invoker: &allow,
                    credentials: &[],
                    region: "us-east-1",
                };
                if is_lambda {
                    let uncached = Authorizer::new(config.clone());
                    uncached
                        .authorize(&[], black_box(&auth_request), &services)
                        .await
                        .unwrap()
                } else {
                    authorizer
                        .authorize(&[], black_box(&auth_request), &services)
                        .await
                        .unwrap()
                }
            })
        });
        // The same token again, as a client sends it: claims re-checked, signature remembered;
        // for a Lambda authorizer, its cached answer decided again for this method.
        group.bench_function(format!("{kind}/authorize"), |b| {
            b.to_async(&runtime).iter(authorize)
        });
        group.bench_function(format!("{kind}/build_event"), |b| {
            b.iter(|| build(black_box(&grant)))
        });
        group.bench_function(format!("{kind}/authorize_and_build"), |b| {
            b.to_async(&runtime)
                .iter(|| async { build(&authorize().await) })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
