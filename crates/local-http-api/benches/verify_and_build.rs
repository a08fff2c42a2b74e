//! In-process cost of what the local API adds per request: verify the token (cached key) and
//! build the payload 2.0 event, serialized as it is sent.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/support/keys.rs"]
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
use local_http_api::{
    authorizer::{JwtAuthorizer, bearer_token},
    event::{EventContext, RequestParts, build_v2_event},
    jwks::{FetchError, FetchJwks, KeyCache},
    template::{IdentitySource, JwtAuthorizerConfig},
};
use serde_json::json;

const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_BENCH";

struct StaticJwks(JwkSet);

impl FetchJwks for StaticJwks {
    async fn fetch(&self, _: &str) -> Result<JwkSet, FetchError> {
        Ok(self.0.clone())
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let key = keys::issuer_key();
    let config = JwtAuthorizerConfig {
        name: "CognitoJwt".into(),
        identity_source: IdentitySource::Header("authorization".into()),
        issuer: ISSUER.into(),
        audience: vec!["client".into()],
        scopes: vec![],
    };
    let key_cache = Arc::new(KeyCache::new(StaticJwks(keys::jwks(&[key]))));
    let authorizer = JwtAuthorizer::new(config.clone(), Arc::clone(&key_cache));
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
    runtime
        .block_on(authorizer.verify(Some(&header), &[], now))
        .expect("the token verifies");

    let verify = || async {
        authorizer
            .verify(Some(black_box(&header)), &[], now)
            .await
            .unwrap()
    };
    let build = |verified: &_| {
        let event = build_v2_event(
            &RequestParts {
                method: &Method::GET,
                raw_path: "/hello",
                raw_query: "",
                headers: &headers,
                body: b"",
                source_ip: "127.0.0.1".into(),
                protocol: "HTTP/1.1",
                scheme: "http",
                port: 3000,
            },
            &EventContext {
                route_key: "GET /hello",
                path_parameters: &BTreeMap::new(),
                authorizer: Some(verified),
                request_id: "AAAAAJndqP5L6g==",
                time: "26/Nov/2026:13:00:00 +0000",
                time_epoch_ms: 1_795_698_000_000,
                account_id: "123456789012",
                api_id: "local",
            },
        );
        serde_json::to_vec(&event).unwrap()
    };
    let verified = runtime.block_on(verify());

    let mut group = c.benchmark_group("gateway");
    group.bench_function("bearer_token", |b| {
        b.iter(|| bearer_token(Some(black_box(&header))).unwrap().len())
    });
    // A token this authorizer has not seen: decode, RSA signature, claims (keys already cached).
    group.bench_function("verify_token_first_seen", |b| {
        b.to_async(&runtime).iter(|| async {
            let fresh = JwtAuthorizer::new(config.clone(), Arc::clone(&key_cache));
            fresh
                .verify(Some(black_box(&header)), &[], now)
                .await
                .unwrap()
        })
    });
    // The same token again, as a client sends it: claims re-checked, signature remembered.
    group.bench_function("verify_token", |b| b.to_async(&runtime).iter(verify));
    group.bench_function("build_v2_event", |b| b.iter(|| build(black_box(&verified))));
    group.bench_function("verify_and_build", |b| {
        b.to_async(&runtime)
            .iter(|| async { build(&verify().await) })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
