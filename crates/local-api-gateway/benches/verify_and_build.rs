//! In-process cost of what the local gateway adds per request, for each API kind: authorize the
//! token (cached key) and build the event, serialized as it is sent. HTTP API: JWT authorizer and
//! payload 2.0; REST API: Cognito authorizer and payload 1.0.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/suite/support/keys.rs"]
mod keys;

use std::{
    collections::BTreeMap,
    hint::black_box,
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use axum::http::{HeaderMap, HeaderValue, Method};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::jwk::JwkSet;
use local_api_gateway::{
    authorizer::{
        AuthRequest, Authorizer, AuthorizerConfig, Grant, IdentitySource, RequestEvents, Services,
        cognito::CognitoConfig, jwt::JwtConfig,
    },
    event::{EventContext, PayloadVersion, RequestParts, v1, v2},
    invoke::{Invoke, InvokeError},
    keys::{FetchError, FetchJwks, KeyCache},
    verify::{Verifier, bearer_token},
};
use serde_json::json;

const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_BENCH";

struct StaticJwks(JwkSet);

impl FetchJwks for StaticJwks {
    async fn fetch(&self, _: &str) -> Result<JwkSet, FetchError> {
        Ok(self.0.clone())
    }
}

/// The JWT and Cognito authorizers build no request events.
struct NoEvents;

impl RequestEvents for NoEvents {
    fn event(&self, _: PayloadVersion) -> serde_json::Value {
        serde_json::Value::Null
    }
}

/// The JWT and Cognito authorizers invoke nothing.
struct NoFunctions;

impl Invoke for NoFunctions {
    async fn invoke(
        &self,
        _: &str,
        _: Vec<u8>,
        _: std::time::Duration,
    ) -> Result<Vec<u8>, InvokeError> {
        Err(InvokeError::NoSuchFunction("none".into()))
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let key = keys::issuer_key();
    let key_cache = Arc::new(KeyCache::new(StaticJwks(keys::jwks(&[key]))));
    let verifier = Verifier::new(Arc::clone(&key_cache));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // A Cognito-sized ID token.
    let token = key.sign(&json!({
        "sub": "7d8ca528-4931-4254-9273-ea5ee853f271", "aud": "client", "iss": ISSUER,
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
    let context = |route_key, authorizer| EventContext {
        caller: None,
        api_key: None,
        route_key,
        path_parameters: &no_parameters,
        authorizer: Some(authorizer),
        request_id: "AAAAAJndqP5L6g==",
        stage: "dev",
        stage_variables: &no_parameters,
        time: "26/Nov/2026:13:00:00 +0000",
        time_epoch_ms: 1_795_698_000_000,
        account_id: "123456789012",
        api_id: "local",
    };
    let rest = v1::V1Context {
        resource_id: Some("x1y2z3"),
        extended_request_id: "AAAAAJndqP5L6g==",
        dialect: v1::Dialect::Rest {
            binary_media_types: &[],
        },
    };
    let identity = IdentitySource::Header("authorization".into());
    let kinds = [
        (
            "http",
            Authorizer::new(AuthorizerConfig::Jwt(JwtConfig {
                issuer: ISSUER.into(),
                audience: vec!["client".into()],
                identity: identity.clone(),
            })),
        ),
        (
            "rest",
            Authorizer::new(AuthorizerConfig::Cognito(CognitoConfig {
                issuers: vec![ISSUER.into()],
                audience_pattern: None,
                identity,
            })),
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
    for (kind, authorizer) in &kinds {
        let services = Services {
            verifier: &verifier,
            invoker: &NoFunctions,
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
            let authorizer = grant.context.clone().unwrap();
            if *kind == "http" {
                serde_json::to_vec(&v2::build_event(
                    &request,
                    &context("GET /hello", authorizer),
                ))
            } else {
                serde_json::to_vec(&v1::build_event(
                    &request,
                    &context("/hello", authorizer),
                    &rest,
                ))
            }
            .unwrap()
        };
        let grant = runtime.block_on(authorize());
        // A token this verifier has not seen: decode, RSA signature, claims (keys cached).
        group.bench_function(format!("{kind}/authorize_first_seen"), |b| {
            b.to_async(&runtime).iter(|| async {
                let fresh = Verifier::new(Arc::clone(&key_cache));
                let services = Services {
                    verifier: &fresh,
                    invoker: &NoFunctions,
                    credentials: &[],
                    region: "us-east-1",
                };
                authorizer
                    .authorize(&[], black_box(&auth_request), &services)
                    .await
                    .unwrap()
            })
        });
        // The same token again, as a client sends it: claims re-checked, signature remembered.
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
