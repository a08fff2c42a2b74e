//! Property tests of the local gateway. The generators aim where decisions are made: the real
//! routes, the `Authorization` header, tokens really signed by the issuer's key whose claims are
//! the valid ones with some of them mutated (wrong value, wrong JSON type, missing). Every
//! verdict is compared with an oracle written straight from the documented rules, for both
//! authorizer types. Cases per property: PROPTEST_CASES (256 in `make test`, more in
//! `make fuzz`).
use std::{net::SocketAddr, time::Duration};

use axum::{body::Body, http::Request};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use local_api_gateway::{
    authorizer::{
        IdentitySource,
        cognito::{self, CognitoConfig},
        jwt::{self, JwtConfig},
        policy::{Decision, PolicyDocument, wildcard_match},
    },
    event::{v1, v2},
    invoke::{Invoke, InvokeError},
    model::ApiKind,
    template::{Resolver, Template, create_input, read_apis},
    verify::Refusal,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::support::{
    self, CLIENT, ISSUER, TEMPLATE, TestGateway, issuer_key, local_values, now, read, verifier,
};

const SCOPE: &str = "hello/read";

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

fn jwt_config() -> JwtConfig {
    JwtConfig {
        issuer: ISSUER.into(),
        audience: vec![CLIENT.into()],
        identity: IdentitySource::Header("authorization".into()),
    }
}

fn cognito_config() -> CognitoConfig {
    CognitoConfig {
        issuers: vec![ISSUER.into()],
        audience_pattern: None,
        identity: IdentitySource::Header("authorization".into()),
    }
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
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

/// Mostly `valid`, sometimes one of `others` (wrong values, wrong types), missing (`None`), or
/// anything at all.
fn claim(valid: Value, others: Vec<Value>) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        6 => Just(Some(valid)),
        2 => prop::sample::select(others).prop_map(Some),
        1 => Just(None),
        1 => any_json().prop_map(Some),
    ]
}

/// Claims of a Cognito token (ID or access), each of the claims the rules read possibly mutated.
fn claims() -> impl Strategy<Value = Value> {
    let now = now() as i64;
    (
        claim(
            json!(ISSUER),
            vec![
                json!(format!("{ISSUER}/")),
                json!("https://cognito-idp.us-east-1.amazonaws.com/other"),
                json!(42),
            ],
        ),
        claim(
            json!(CLIENT),
            vec![
                json!("other"),
                json!([CLIENT]),
                json!(["x", CLIENT]),
                json!(["x"]),
                json!(7),
            ],
        ),
        claim(json!(CLIENT), vec![json!("other"), json!(1)]),
        claim(
            json!(now + 600),
            vec![
                json!(now - 1),
                json!(now),
                json!((now + 600).to_string()),
                json!(now as f64 + 0.5),
                json!(1e300),
            ],
        ),
        claim(json!(now - 60), vec![json!(now + 60), json!("yesterday")]),
        claim(json!(now - 60), vec![json!(now + 60), json!(true)]),
        claim(
            json!("id"),
            vec![json!("access"), json!("refresh"), json!(1)],
        ),
        claim(
            json!(format!("openid {SCOPE}")),
            vec![json!("openid"), json!([SCOPE]), json!(SCOPE), json!(3)],
        ),
        any::<bool>(),
    )
        .prop_map(
            |(iss, aud, client_id, exp, iat, nbf, token_use, scope, access_shape)| {
                let mut claims = Map::new();
                claims.insert("sub".into(), json!("abc"));
                let mut put = |name: &str, value: Option<Value>| {
                    if let Some(value) = value {
                        claims.insert(name.into(), value);
                    }
                };
                put("iss", iss);
                // Access tokens have `client_id` and no `aud`.
                if access_shape {
                    put("client_id", client_id);
                } else {
                    put("aud", aud);
                }
                put("exp", exp);
                put("iat", iat);
                put("nbf", nbf);
                put("token_use", token_use);
                put("scope", scope);
                Value::Object(claims)
            },
        )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Allow,
    Unauthorized,
    Forbidden,
}

/// The time and issuer rules both authorizers share.
fn core_allows(claims: &Value, now: u64) -> bool {
    let now = now as f64;
    let time = |name: &str| claims.get(name).map(Value::as_f64);
    let iss_ok = claims["iss"] == json!(ISSUER);
    let exp_ok = matches!(time("exp"), Some(Some(exp)) if exp > now);
    let not_future = |name| {
        matches!(time(name), None | Some(Some(_))) && time(name).flatten().is_none_or(|t| t <= now)
    };
    iss_ok && exp_ok && not_future("nbf") && not_future("iat")
}

fn scopes_of(claims: &Value) -> Vec<String> {
    match &claims["scope"] {
        Value::String(s) => s.split_whitespace().map(str::to_owned).collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => vec![],
    }
}

/// The HTTP API JWT authorizer, from its documentation.
fn jwt_oracle(claims: &Value, route_scopes: &[String], now: u64) -> Verdict {
    if !core_allows(claims, now) {
        return Verdict::Unauthorized;
    }
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == CLIENT,
        Some(Value::Array(auds)) => auds.contains(&json!(CLIENT)),
        Some(_) => false,
        None => claims.get("client_id") == Some(&json!(CLIENT)),
    };
    if !audience_ok {
        return Verdict::Unauthorized;
    }
    if !route_scopes.is_empty() && !route_scopes.iter().any(|s| scopes_of(claims).contains(s)) {
        return Verdict::Forbidden;
    }
    Verdict::Allow
}

/// The REST API Cognito authorizer, from its documentation.
fn cognito_oracle(claims: &Value, route_scopes: &[String], now: u64) -> Verdict {
    if !core_allows(claims, now) {
        return Verdict::Unauthorized;
    }
    let allowed = if route_scopes.is_empty() {
        claims["token_use"] == "id"
    } else {
        claims["token_use"] == "access"
            && route_scopes.iter().any(|s| scopes_of(claims).contains(s))
    };
    if allowed {
        Verdict::Allow
    } else {
        Verdict::Unauthorized
    }
}

fn verdict_of<T>(result: Result<T, Refusal>) -> Verdict {
    match result {
        Ok(_) => Verdict::Allow,
        Err(Refusal::Unauthorized(_)) => Verdict::Unauthorized,
        Err(Refusal::Forbidden { .. }) => Verdict::Forbidden,
    }
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
    (header, claims(), prop::collection::vec(any::<u8>(), 0..300)).prop_map(|(h, p, sig)| {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(h.to_string()),
            URL_SAFE_NO_PAD.encode(p.to_string()),
            URL_SAFE_NO_PAD.encode(sig)
        )
    })
}

/// What a client puts in `Authorization`: a signed token (bare or Bearer), a made-up one,
/// garbage, or nothing.
fn authorization() -> impl Strategy<Value = (Option<String>, Option<Value>)> {
    prop_oneof![
        4 => (claims(), any::<bool>()).prop_map(|(claims, bearer)| {
            let token = issuer_key().sign(&claims);
            (Some(if bearer { format!("Bearer {token}") } else { token }), Some(claims))
        }),
        1 => jwt_shaped().prop_map(|t| (Some(format!("Bearer {t}")), None)),
        1 => ".{0,200}".prop_map(|v| (Some(v), None)),
        1 => Just((None, None)),
    ]
}

fn route_scopes() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        Just(vec![]),
        Just(vec![SCOPE.to_owned()]),
        Just(vec!["hello/admin".to_owned(), SCOPE.to_owned()])
    ]
}

/// IAM's wildcards as a regular expression: `*` is `.*`, `?` is `.`, the rest literal.
fn wildcard_oracle(pattern: &str) -> regex::Regex {
    let body: String = pattern
        .chars()
        .map(|c| match c {
            '*' => ".*".to_owned(),
            '?' => ".".to_owned(),
            c => regex::escape(&c.to_string()),
        })
        .collect();
    regex::Regex::new(&format!("(?s)^{body}$")).unwrap()
}

/// A statement over a small alphabet of method ARNs, and the decision the documented rules give.
fn statement() -> impl Strategy<Value = (bool, String)> {
    (any::<bool>(), "[ab*?/]{0,6}")
}

proptest! {
    #[test]
    fn proptest_policy_wildcards_match_like_the_oracle(pattern in "[ab*?/:.]{0,8}", text in "[ab/:.]{0,10}") {
        prop_assert_eq!(wildcard_match(&pattern, &text), wildcard_oracle(&pattern).is_match(&text));
    }

    #[test]
    fn proptest_a_policy_denies_unless_an_allow_matches_and_no_deny_does(statements in prop::collection::vec(statement(), 0..5), arn in "[ab/]{0,6}") {
        let document = json!({"Version": "2012-10-17", "Statement": statements.iter().map(|(allow, resource)| json!({
            "Effect": if *allow { "Allow" } else { "Deny" },
            "Action": "execute-api:Invoke",
            "Resource": resource,
        })).collect::<Vec<_>>()});
        let matches = |allow: bool| statements.iter().any(|(a, r)| *a == allow && wildcard_oracle(r).is_match(&arn));
        let expected = if matches(false) {
            Decision::ExplicitDeny
        } else if matches(true) {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        };
        prop_assert_eq!(PolicyDocument::parse(&document).unwrap().decide(&arn), expected);
    }

    #[test]
    fn proptest_the_jwt_authorizer_decides_as_documented(claims in claims(), scopes in route_scopes()) {
        let token = issuer_key().sign(&claims);
        let now = now();
        let result = runtime().block_on(jwt_config().check(&verifier(), Some(&token), &scopes, now));
        prop_assert_eq!(verdict_of(result), jwt_oracle(&claims, &scopes, now), "{}", claims);
    }

    #[test]
    fn proptest_the_cognito_authorizer_decides_as_documented(claims in claims(), scopes in route_scopes()) {
        let token = issuer_key().sign(&claims);
        let now = now();
        let result = runtime().block_on(cognito_config().check(&verifier(), Some(&token), &scopes, now));
        prop_assert_eq!(verdict_of(result), cognito_oracle(&claims, &scopes, now), "{}", claims);
    }

    #[test]
    fn proptest_no_made_up_token_or_header_value_is_accepted(token in jwt_shaped(), raw in ".{0,400}") {
        for value in [token.as_str(), raw.as_str()] {
            let jwt = runtime().block_on(jwt_config().check(&verifier(), Some(value), &[], now()));
            prop_assert!(matches!(jwt, Err(Refusal::Unauthorized(_))), "{:?}", jwt);
            let cognito = runtime().block_on(cognito_config().check(&verifier(), Some(value), &[], now()));
            prop_assert!(matches!(cognito, Err(Refusal::Unauthorized(_))), "{:?}", cognito);
        }
    }

    #[test]
    fn proptest_every_request_gets_the_status_api_gateway_would_give(
        rest in any::<bool>(),
        method in prop_oneof![3 => Just("GET".to_owned()), 1 => Just("POST".to_owned()), 1 => Just("OPTIONS".to_owned()), 1 => "[A-Z]{1,8}"],
        path in prop_oneof![2 => Just("/hello".to_owned()), 2 => Just("/dev/hello".to_owned()), 1 => Just("/dev/hello/".to_owned()), 1 => "/[A-Za-z0-9._~%/-]{0,30}"],
        query in "[A-Za-z0-9=&%+.-]{0,30}",
        (authorization, claims) in authorization(),
        extra in prop::collection::vec(("x-[a-z0-9-]{1,12}", "[ -~]{0,40}"), 0..4),
        body in prop::collection::vec(any::<u8>(), 0..128),
    ) {
        let kind = if rest { ApiKind::Rest } else { ApiKind::Http };
        let api = gateway(kind);
        let mut request = Request::builder()
            .method(method.as_str())
            .uri(format!("{path}?{query}"))
            .header("host", "127.0.0.1:3000");
        if let Some(value) = &authorization {
            request = request.header("authorization", value.as_str());
        }
        for (name, value) in &extra {
            request = request.header(name.as_str(), value.as_str());
        }
        let Ok(request) = request.body(Body::from(body)) else {
            return Ok(()); // not a request hyper would have produced
        };
        let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let status = runtime().block_on(api.handle(request, peer)).status().as_u16();

        let verdict = || match &claims {
            Some(claims) if rest => cognito_oracle(claims, &[], now()),
            Some(claims) => jwt_oracle(claims, &[], now()),
            None => Verdict::Unauthorized,
        };
        let token_status = || match verdict() {
            Verdict::Allow => 200,
            Verdict::Unauthorized => 401,
            Verdict::Forbidden => 403,
        };
        let expected = match (rest, method.as_str(), path.as_str()) {
            (false, "GET", "/hello") | (true, "GET", "/dev/hello") => token_status(),
            // SAM's MOCK OPTIONS method, unauthenticated.
            (true, "OPTIONS", "/dev/hello") => 200,
            (false, _, _) => 404,
            (true, _, _) => 403,
        };
        prop_assert_eq!(status, expected, "{} {} {:?}", method, path, claims);
    }

    #[test]
    fn proptest_any_function_result_maps_or_is_refused(result in any_json()) {
        let payload = result.to_string();
        if let Ok(response) = v2::map_result(payload.as_bytes()) {
            prop_assert!((100..=599).contains(&response.status));
        }
        if let Ok(response) = v1::map_result(payload.as_bytes(), &axum::http::HeaderMap::new(), &[]) {
            prop_assert!((100..=599).contains(&response.status));
            prop_assert!(result.get("statusCode").is_some(), "REST needs a statusCode");
        }
    }

    #[test]
    fn proptest_claims_render_as_strings(claims in prop::collection::hash_map(".{0,12}", any_json(), 0..10)) {
        let claims: Map<String, Value> = claims.into_iter().collect();
        let http = jwt::render_claims(&claims);
        let rest = cognito::render_claims(&claims);
        for (name, value) in &claims {
            prop_assert_eq!(http.contains_key(name), !value.is_null());
            prop_assert_eq!(rest.contains_key(name), !value.is_null());
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
            let _ = read_apis(&template, &values);
            let _ = create_input(&template, &resolver, "UserPool");
            let _ = create_input(&template, &resolver, "UserPoolClient");
        }
    }
}

fn gateway(kind: ApiKind) -> TestGateway<Ok200> {
    support::gateway(read(TEMPLATE, kind), Ok200)
}
