//! Property tests of the local API: hostile tokens and header values, any request, any function
//! result, mutated templates. Nothing panics; nothing a client sends gets a 5xx; no made-up token
//! is ever accepted. Cases per property: PROPTEST_CASES (256 in `make test`, more in `make fuzz`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/keys.rs"]
mod keys;

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{body::Body, http::Request};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::JwkSet;
use local_http_api::{
    authorizer::{JwtAuthorizer, Refusal},
    event::render_claims,
    gateway::{LocalApi, Settings},
    invoke::{Invoke, InvokeError, map_function_response},
    jwks::{FetchError, FetchJwks, KeyCache},
    template::{
        HttpApi, IdentitySource, JwtAuthorizerConfig, LocalValues, Resolver, Template, create_input,
    },
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const TEMPLATE: &str = include_str!("../../../template.yaml");
const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_PROP";

struct StaticJwks(JwkSet);

impl FetchJwks for StaticJwks {
    async fn fetch(&self, _: &str) -> Result<JwkSet, FetchError> {
        Ok(self.0.clone())
    }
}

struct Ok200;

impl Invoke for Ok200 {
    async fn invoke(&self, _: &str, _: Vec<u8>, _: Duration) -> Result<Vec<u8>, InvokeError> {
        Ok(br#"{"statusCode":200,"body":"{}"}"#.to_vec())
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn authorizer() -> JwtAuthorizer<StaticJwks> {
    JwtAuthorizer::new(
        JwtAuthorizerConfig {
            name: "CognitoJwt".into(),
            identity_source: IdentitySource::Header("authorization".into()),
            issuer: ISSUER.into(),
            audience: vec!["client".into()],
            scopes: vec![],
        },
        Arc::new(KeyCache::new(StaticJwks(keys::jwks(&[keys::issuer_key()])))),
    )
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,24}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::hash_map(".{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Three base64url segments: a JSON header and payload of any shape, and random signature bytes.
fn jwt_shaped() -> impl Strategy<Value = String> {
    let header = prop_oneof![
        any_json(),
        any_json().prop_map(|extra| json!({"alg": "RS256", "kid": "key-1", "x": extra})),
        prop_oneof![
            Just("none"),
            Just("HS256"),
            Just("RS256"),
            Just("PS512"),
            Just("ES256")
        ]
        .prop_map(|alg| json!({"alg": alg, "kid": "key-1", "typ": "JWT"})),
    ];
    (
        header,
        any_json(),
        prop::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(h, p, sig)| {
            format!(
                "{}.{}.{}",
                URL_SAFE_NO_PAD.encode(h.to_string()),
                URL_SAFE_NO_PAD.encode(p.to_string()),
                URL_SAFE_NO_PAD.encode(sig)
            )
        })
}

proptest! {
    #[test]
    fn proptest_any_authorization_value_is_refused(value in ".{0,400}", bearer in any::<bool>()) {
        let header = if bearer { format!("Bearer {value}") } else { value };
        let result = runtime().block_on(authorizer().verify(Some(&header), &[], now()));
        prop_assert!(matches!(result, Err(Refusal::Unauthorized(_))), "{:?}", result);
    }

    #[test]
    fn proptest_any_unsigned_token_is_refused(token in jwt_shaped()) {
        let result = runtime().block_on(authorizer().verify(Some(&token), &[], now()));
        prop_assert!(matches!(result, Err(Refusal::Unauthorized(_))), "{:?}", result);
    }

    #[test]
    fn proptest_a_signed_token_with_any_claims_never_panics(claims in any_json()) {
        // Really signed by the issuer's key, with claims of any shape: accepted only when
        // iss, aud and exp are right.
        let token = keys::issuer_key().sign(&claims);
        let result = runtime().block_on(authorizer().verify(Some(&token), &[], now()));
        if let Ok(verified) = result {
            prop_assert_eq!(verified.claims.get("iss"), Some(&json!(ISSUER)));
        }
    }

    #[test]
    fn proptest_any_request_gets_a_4xx_or_2xx(
        method in "(GET|POST|PUT|DELETE|PATCH|OPTIONS|HEAD|[A-Z]{1,10})",
        path in "/[A-Za-z0-9._~%/-]{0,40}",
        query in "[A-Za-z0-9=&%+.-]{0,40}",
        headers in prop::collection::vec(("[a-z][a-z0-9-]{0,20}", "[ -~]{0,60}"), 0..8),
        body in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let api = local_api();
        let mut request = Request::builder().method(method.as_str()).uri(format!("{path}?{query}"));
        for (name, value) in &headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let Ok(request) = request.body(Body::from(body)) else {
            return Ok(()); // not a request hyper would have produced
        };
        let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let response = runtime().block_on(api.handle(request, peer));
        let status = response.status().as_u16();
        prop_assert!(status < 500, "status {} for {} {}", status, method, path);
        // Only the route's authorizer can let a request through, and no generated header is a
        // valid token.
        prop_assert!(status != 200, "a request without a valid token got through");
    }

    #[test]
    fn proptest_any_function_result_maps_or_is_refused(result in any_json()) {
        let payload = result.to_string();
        if let Ok(response) = map_function_response(payload.as_bytes()) {
            prop_assert!((100..=599).contains(&response.status));
        }
    }

    #[test]
    fn proptest_claims_render_as_strings(claims in prop::collection::hash_map(".{0,12}", any_json(), 0..10)) {
        let claims: Map<String, Value> = claims.into_iter().collect();
        let rendered = render_claims(&claims);
        for (name, value) in &claims {
            prop_assert_eq!(rendered.contains_key(name), !value.is_null());
        }
    }

    #[test]
    fn proptest_mutated_templates_are_read_or_refused(edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, ".{0,3}"), 1..6)) {
        let mut lines: Vec<String> = TEMPLATE.lines().map(str::to_owned).collect();
        for (at, kind, text) in edits {
            let i = at.index(lines.len());
            match kind {
                0 => { lines.remove(i); }
                1 => { let copy = lines[i].clone(); lines.insert(i, copy); }
                2 => { let line = &mut lines[i]; let cut = line.char_indices().nth(line.chars().count() / 2).map_or(0, |(b, _)| b); line.insert_str(cut, &text); }
                _ => { let next = (i + 1) % lines.len(); lines.swap(i, next); }
            }
            if lines.is_empty() { break; }
        }
        let text = lines.join("\n");
        if let Ok(template) = Template::parse(&text) {
            let values = local_values();
            let resolver = Resolver::new(&template, &values);
            let _ = HttpApi::from_template(&template, &resolver, None);
            let _ = create_input(&template, &resolver, "UserPool");
            let _ = create_input(&template, &resolver, "UserPoolClient");
        }
    }
}

fn local_values() -> LocalValues {
    LocalValues {
        resource_ids: BTreeMap::from([
            ("UserPool".into(), "us-east-1_PROP".into()),
            ("UserPoolClient".into(), "client".into()),
        ]),
        ..LocalValues::default()
    }
}

fn local_api() -> LocalApi<StaticJwks, Ok200> {
    let template = Template::parse(TEMPLATE).unwrap();
    let values = local_values();
    let api = HttpApi::from_template(&template, &Resolver::new(&template, &values), None).unwrap();
    LocalApi::new(
        api,
        Arc::new(KeyCache::new(StaticJwks(keys::jwks(&[keys::issuer_key()])))),
        Ok200,
        Settings {
            account_id: "123456789012".into(),
            api_id: "local".into(),
            port: 3000,
        },
    )
}
