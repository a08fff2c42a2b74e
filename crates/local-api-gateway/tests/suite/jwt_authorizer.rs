//! The HTTP API's JWT authorizer (the shared verifier core + the JWT policy) against tokens
//! signed at test time: every way a token can be wrong.
use std::{sync::Arc, time::Duration};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use local_api_gateway::{
    authorizer::{
        Denial, IdentitySource,
        jwt::{self, Admitted, JwtConfig},
    },
    keys::{KeyCache, KeyCacheSettings},
    verify::{Refusal, Verifier},
};
use serde_json::{Value, json};

use crate::support::{
    CLIENT, ISSUER, MemoryJwks, Shared, issuer_key, jwks, now, other_key, unsigned_token,
};

/// The JWT authorizer of the template: its configuration and a verifier over `source`'s keys.
struct Authorizer {
    config: JwtConfig,
    verifier: Verifier<Shared>,
}

impl Authorizer {
    async fn verify(
        &self,
        header: Option<&str>,
        scopes: &[String],
        now: u64,
    ) -> Result<Admitted, Refusal> {
        self.config.check(&self.verifier, header, scopes, now).await
    }
}

fn jwt_config() -> JwtConfig {
    JwtConfig {
        issuer: ISSUER.into(),
        audience: vec![CLIENT.into()],
        identity: IdentitySource::Header("authorization".into()),
    }
}

/// An authorizer whose key cache refetches on an unknown kid after `cooldown`.
fn authorizer_with(source: &Arc<MemoryJwks>, cooldown: Duration) -> Authorizer {
    let settings = KeyCacheSettings {
        cooldown,
        ..KeyCacheSettings::default()
    };
    let cache = KeyCache::with_settings(Shared(Arc::clone(source)), settings);
    Authorizer {
        config: jwt_config(),
        verifier: Verifier::new(Arc::new(cache)),
    }
}

fn authorizer() -> (Authorizer, Arc<MemoryJwks>) {
    let source = MemoryJwks::new(Some(jwks(&[issuer_key()])));
    (authorizer_with(&source, Duration::from_secs(3600)), source)
}

/// Claims of a Cognito ID token issued a minute ago, valid for an hour.
fn id_claims() -> Value {
    let now = now();
    json!({
        "sub": "7d8ca528-4931-4254-9273-ea5ee853f271",
        "aud": CLIENT,
        "iss": ISSUER,
        "token_use": "id",
        "cognito:username": "user-a",
        "email": "usera@example.com",
        "cognito:groups": ["admin"],
        "iat": now - 60,
        "auth_time": now - 60,
        "exp": now + 3600,
    })
}

/// Claims of a Cognito access token: `client_id` and `scope`, no `aud`.
fn access_claims() -> Value {
    let now = now();
    json!({
        "sub": "7d8ca528-4931-4254-9273-ea5ee853f271",
        "client_id": CLIENT,
        "iss": ISSUER,
        "token_use": "access",
        "username": "user-a",
        "scope": "aws.cognito.signin.user.admin hello/read",
        "iat": now - 60,
        "exp": now + 3600,
    })
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

async fn verify(authorizer: &Authorizer, header: &str) -> Result<Admitted, Refusal> {
    authorizer.verify(Some(header), &[], now()).await
}

fn unauthorized(description: &'static str) -> Result<Admitted, Refusal> {
    Err(Refusal::Unauthorized(description))
}

#[tokio::test]
async fn a_valid_id_token_is_accepted_with_its_claims() {
    let (authorizer, _) = authorizer();
    // One set of claims: id_claims() reads the clock, which may tick between two calls.
    let claims = id_claims();
    let token = issuer_key().sign(&claims);
    let verified = verify(&authorizer, &format!("Bearer {token}"))
        .await
        .unwrap();
    assert_eq!(*verified.claims, *claims.as_object().unwrap());
    assert_eq!(verified.scopes, None, "no route scopes: scopes stay null");
}

#[tokio::test]
async fn a_valid_access_token_is_accepted_by_client_id() {
    let (authorizer, _) = authorizer();
    let token = issuer_key().sign(&access_claims());
    let verified = verify(&authorizer, &format!("Bearer {token}"))
        .await
        .unwrap();
    assert_eq!(verified.claims["username"], "user-a");
}

#[tokio::test]
async fn the_bearer_prefix_is_optional_and_case_insensitive() {
    let (authorizer, _) = authorizer();
    let token = issuer_key().sign(&id_claims());
    for header in [
        token.clone(),
        format!("bearer {token}"),
        format!("BEARER  {token}"),
    ] {
        assert!(verify(&authorizer, &header).await.is_ok(), "{header:.20}");
    }
}

#[tokio::test]
async fn no_token_is_refused() {
    let (authorizer, source) = authorizer();
    assert_eq!(
        authorizer.verify(None, &[], now()).await,
        unauthorized("the request has no token")
    );
    assert_eq!(
        verify(&authorizer, "   ").await,
        unauthorized("the request has no token")
    );
    assert_eq!(
        verify(&authorizer, "Bearer ").await,
        unauthorized("the token is malformed")
    );
    assert_eq!(source.fetches(), 0, "no key fetch for a missing token");
}

#[tokio::test]
async fn tokens_up_to_8_kib_are_read_and_larger_ones_refused_unread() {
    let (authorizer, _) = authorizer();
    // A valid token of several KB (claims padded): accepted.
    let big = issuer_key().sign(&with(id_claims(), "padding", json!("x".repeat(5000))));
    assert!(big.len() > 6000);
    assert!(verify(&authorizer, &big).await.is_ok());
    // At exactly 8 KiB a value is read (and then found malformed); one byte more is not read.
    let at_limit = "a".repeat(8 * 1024);
    assert_eq!(
        verify(&authorizer, &at_limit).await,
        unauthorized("the token is malformed")
    );
    assert_eq!(
        verify(&authorizer, &format!("{at_limit}a")).await,
        unauthorized("the token is too large")
    );
}

#[tokio::test]
async fn the_8_kib_limit_counts_the_token_not_the_scheme() {
    let (authorizer, _) = authorizer();
    let at_limit = "a".repeat(8 * 1024);
    assert_eq!(
        verify(&authorizer, &format!("Bearer {at_limit}")).await,
        unauthorized("the token is malformed")
    );
    assert_eq!(
        verify(&authorizer, &format!("Bearer {at_limit}a")).await,
        unauthorized("the token is too large")
    );
}

/// RFC 7515 4.1.11 and RFC 7519 4: a signed token with a header parameter or claim twice, or
/// with `crit`, is refused, however well signed.
#[tokio::test]
async fn duplicate_members_and_crit_are_refused_though_signed() {
    let (authorizer, source) = authorizer();
    let key = issuer_key();
    let claims = id_claims().to_string();
    let header = format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{}"}}"#, key.kid);
    // The signer is sound: without duplicates the same construction is accepted.
    assert!(
        verify(&authorizer, &key.sign_raw(&header, &claims))
            .await
            .is_ok()
    );
    let duplicate = unauthorized("the token has a duplicate header parameter or claim");
    for (name, value) in [
        ("token_use", r#""access""#),
        ("sub", r#""other""#),
        ("exp", "1"),
    ] {
        // The same key again, last: serde_json alone would keep the second value.
        let twice = format!("{},\"{name}\":{value}}}", claims.trim_end_matches('}'));
        assert_eq!(
            verify(&authorizer, &key.sign_raw(&header, &twice)).await,
            duplicate,
            "{name}"
        );
    }
    // Escaped, the key is still the same key.
    let escaped = format!("{},\"\\u0073ub\":\"other\"}}", claims.trim_end_matches('}'));
    assert_eq!(
        verify(&authorizer, &key.sign_raw(&header, &escaped)).await,
        duplicate
    );
    let nested = claims.replacen('{', r#"{"address":{"a":1,"a":2},"#, 1);
    assert_eq!(
        verify(&authorizer, &key.sign_raw(&header, &nested)).await,
        duplicate
    );
    let header_twice = format!(r#"{{"alg":"RS256","kid":"other","kid":"{}"}}"#, key.kid);
    assert_eq!(
        verify(&authorizer, &key.sign_raw(&header_twice, &claims)).await,
        duplicate
    );
    let critical = format!(
        r#"{{"alg":"RS256","kid":"{}","crit":["exp"],"exp":1}}"#,
        key.kid
    );
    assert_eq!(
        verify(&authorizer, &key.sign_raw(&critical, &claims)).await,
        unauthorized(
            "the token has critical header parameters (crit) the verifier does not understand"
        )
    );
    assert_eq!(source.fetches(), 1, "refused before any further key fetch");
}

/// A segment that is not exactly one JSON object (RFC 7515 4, RFC 7519 7.2) is malformed, however
/// well signed: not a duplicate, which is a refusal of its own.
#[tokio::test]
async fn a_segment_that_is_not_one_json_object_is_malformed_though_signed() {
    let (authorizer, _) = authorizer();
    let key = issuer_key();
    let claims = id_claims().to_string();
    let header = format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{}"}}"#, key.kid);
    let malformed = unauthorized("the token is malformed");
    for (what, header, claims) in [
        (
            "a header cut short",
            header.trim_end_matches('}').to_owned(),
            claims.clone(),
        ),
        (
            "claims cut short",
            header.clone(),
            claims[..claims.len() - 1].to_owned(),
        ),
        ("claims as an array", header.clone(), format!("[{claims}]")),
        (
            "a second object after the claims",
            header.clone(),
            format!("{claims}{{}}"),
        ),
        (
            "a second object after the header",
            format!("{header}{{}}"),
            claims.clone(),
        ),
    ] {
        assert_eq!(
            verify(&authorizer, &key.sign_raw(&header, &claims)).await,
            malformed,
            "{what}"
        );
    }
}

#[tokio::test]
async fn garbage_is_refused() {
    let (authorizer, _) = authorizer();
    // A valid token behind another scheme is not a bearer token.
    let valid = issuer_key().sign(&id_claims());
    assert_eq!(
        verify(&authorizer, &format!("Basic {valid}")).await,
        unauthorized("the token is malformed")
    );
    for garbage in [
        "garbage",
        "a.b.c",
        "Bearer a.b",
        "Basic dXNlcjpwYXNz",
        "Bearer x.y.z extra",
    ] {
        assert_eq!(
            verify(&authorizer, garbage).await,
            unauthorized("the token is malformed"),
            "{garbage}"
        );
    }
}

#[tokio::test]
async fn alg_none_is_refused() {
    let (authorizer, _) = authorizer();
    let token = unsigned_token(&json!({"alg": "none", "kid": "key-1"}), &id_claims());
    let token = format!("{}.", token.rsplit_once('.').unwrap().0);
    assert_eq!(
        verify(&authorizer, &token).await,
        unauthorized("the token is malformed")
    );
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_refused() {
    let (authorizer, source) = authorizer();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("key-1".into());
    let secret = EncodingKey::from_secret(&issuer_key().public_key_bytes());
    let token = jsonwebtoken::encode(&header, &id_claims(), &secret).unwrap();
    assert_eq!(
        verify(&authorizer, &token).await,
        unauthorized("the token is not signed with an RSA algorithm")
    );
    assert_eq!(source.fetches(), 0);
}

#[tokio::test]
async fn a_token_without_kid_is_refused() {
    let (authorizer, _) = authorizer();
    let token = issuer_key().sign_with_kid(&id_claims(), None);
    assert_eq!(
        verify(&authorizer, &token).await,
        unauthorized("the token has no key id (kid)")
    );
}

#[tokio::test]
async fn an_unknown_kid_is_refetched_once_then_refused() {
    let source = MemoryJwks::new(Some(jwks(&[issuer_key()])));
    let authorizer = authorizer_with(&source, Duration::ZERO);
    verify(&authorizer, &issuer_key().sign(&id_claims()))
        .await
        .unwrap();
    assert_eq!(source.fetches(), 1);
    let token = issuer_key().sign_with_kid(&id_claims(), Some("rotated-away"));
    assert_eq!(
        verify(&authorizer, &token).await,
        unauthorized("the token's signing key is not in the issuer's key set")
    );
    assert_eq!(source.fetches(), 2, "one refetch for the unknown kid");
}

#[tokio::test]
async fn unknown_kids_do_not_refetch_within_the_cooldown() {
    let (authorizer, source) = authorizer();
    verify(&authorizer, &issuer_key().sign(&id_claims()))
        .await
        .unwrap();
    for kid in ["forged-1", "forged-2", "forged-3"] {
        let token = issuer_key().sign_with_kid(&id_claims(), Some(kid));
        assert!(verify(&authorizer, &token).await.is_err());
    }
    assert_eq!(source.fetches(), 1, "no refetch storm");
}

#[tokio::test]
async fn a_rotated_in_key_is_picked_up_by_the_refetch() {
    let source = MemoryJwks::new(Some(jwks(&[other_key()])));
    let authorizer = authorizer_with(&source, Duration::ZERO);
    let token = issuer_key().sign(&id_claims());
    assert!(verify(&authorizer, &token).await.is_err());
    source.serve(Some(jwks(&[other_key(), issuer_key()])));
    assert!(verify(&authorizer, &token).await.is_ok());
}

#[tokio::test]
async fn a_token_signed_by_another_key_is_refused() {
    let (authorizer, _) = authorizer();
    // Another issuer's key, claiming our kid: the signature does not verify.
    let forged = other_key().sign_with_kid(&id_claims(), Some("key-1"));
    assert_eq!(
        verify(&authorizer, &forged).await,
        unauthorized("the token signature is invalid")
    );
    // Another issuer's key under its own kid: not in our key set.
    let foreign = other_key().sign(&id_claims());
    assert_eq!(
        verify(&authorizer, &foreign).await,
        unauthorized("the token's signing key is not in the issuer's key set")
    );
}

#[tokio::test]
async fn a_tampered_payload_is_refused() {
    let (authorizer, _) = authorizer();
    let token = issuer_key().sign(&id_claims());
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged_payload = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        with(id_claims(), "cognito:username", json!("admin")).to_string(),
    );
    parts[1] = &forged_payload;
    assert_eq!(
        verify(&authorizer, &parts.join(".")).await,
        unauthorized("the token signature is invalid")
    );
}

#[tokio::test]
async fn time_claims_are_enforced() {
    let (authorizer, _) = authorizer();
    let now = now() as i64;
    let cases = [
        (
            with(id_claims(), "exp", json!(now - 1)),
            "the token has expired",
        ),
        (
            with(id_claims(), "exp", json!(now)),
            "the token has expired",
        ),
        (
            with(id_claims(), "nbf", json!(now + 60)),
            "the token is not valid yet (nbf)",
        ),
        (
            with(id_claims(), "iat", json!(now + 60)),
            "the token was issued in the future (iat)",
        ),
        (
            with(id_claims(), "exp", json!("tomorrow")),
            "the token has a malformed time claim",
        ),
    ];
    for (claims, description) in cases {
        assert_eq!(
            verify(&authorizer, &issuer_key().sign(&claims)).await,
            unauthorized(description)
        );
    }
    let mut no_exp = id_claims();
    no_exp.as_object_mut().unwrap().remove("exp");
    assert_eq!(
        verify(&authorizer, &issuer_key().sign(&no_exp)).await,
        unauthorized("the token has no expiry (exp)")
    );
    // Issued this very second and valid from now: accepted.
    let fresh = with(with(id_claims(), "iat", json!(now)), "nbf", json!(now));
    assert!(
        verify(&authorizer, &issuer_key().sign(&fresh))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn the_issuer_must_match_exactly() {
    let (authorizer, _) = authorizer();
    for iss in [
        format!("{ISSUER}/"),
        ISSUER.replace("https", "http"),
        ISSUER.to_uppercase(),
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OTHER".to_owned(),
    ] {
        let token = issuer_key().sign(&with(id_claims(), "iss", json!(iss)));
        assert_eq!(
            verify(&authorizer, &token).await,
            unauthorized("the token does not have a valid issuer"),
            "{iss}"
        );
    }
    let mut no_iss = id_claims();
    no_iss.as_object_mut().unwrap().remove("iss");
    assert_eq!(
        verify(&authorizer, &issuer_key().sign(&no_iss)).await,
        unauthorized("the token does not have a valid issuer")
    );
}

#[tokio::test]
async fn the_audience_must_match() {
    let (authorizer, _) = authorizer();
    let bad_audience = unauthorized("the token does not have a valid audience");
    let wrong_aud = issuer_key().sign(&with(id_claims(), "aud", json!("another-client")));
    assert_eq!(verify(&authorizer, &wrong_aud).await, bad_audience);
    let listed = issuer_key().sign(&with(id_claims(), "aud", json!(["x", CLIENT])));
    assert!(
        verify(&authorizer, &listed).await.is_ok(),
        "one of several audiences matches"
    );
    // `aud` wins over `client_id` when both are present.
    let both = issuer_key().sign(&with(
        with(id_claims(), "aud", json!("x")),
        "client_id",
        json!(CLIENT),
    ));
    assert_eq!(verify(&authorizer, &both).await, bad_audience);
    let other_client =
        issuer_key().sign(&with(access_claims(), "client_id", json!("another-client")));
    assert_eq!(verify(&authorizer, &other_client).await, bad_audience);
    let mut neither = access_claims();
    neither.as_object_mut().unwrap().remove("client_id");
    assert_eq!(
        verify(&authorizer, &issuer_key().sign(&neither)).await,
        bad_audience
    );
}

#[tokio::test]
async fn scopes_may_come_as_a_list_or_as_scp() {
    let (authorizer, _) = authorizer();
    let route = ["hello/read".to_owned()];
    let mut as_list = access_claims();
    as_list["scope"] = json!(["openid", "hello/read"]);
    let mut as_scp = access_claims();
    as_scp.as_object_mut().unwrap().remove("scope");
    as_scp["scp"] = json!(["hello/read"]);
    for claims in [as_list, as_scp] {
        let token = issuer_key().sign(&claims);
        let grant = authorizer
            .verify(Some(&token), &route, now())
            .await
            .unwrap();
        assert!(
            grant.scopes.unwrap().contains(&"hello/read".to_owned()),
            "{claims}"
        );
    }
}

#[tokio::test]
async fn route_scopes_need_one_matching_token_scope() {
    let (authorizer, _) = authorizer();
    let access = issuer_key().sign(&access_claims());
    let route = ["hello/write".to_owned(), "hello/read".to_owned()];
    let verified = authorizer
        .verify(Some(&access), &route, now())
        .await
        .unwrap();
    assert_eq!(
        verified.scopes,
        Some(vec![
            "aws.cognito.signin.user.admin".to_owned(),
            "hello/read".to_owned()
        ])
    );
    let route = ["hello/admin".to_owned()];
    let refusal = authorizer
        .verify(Some(&access), &route, now())
        .await
        .unwrap_err();
    assert_eq!(
        refusal,
        Refusal::Forbidden {
            required: vec!["hello/admin".into()]
        }
    );
    let Denial::AccessDenied {
        challenge: Some(challenge),
        ..
    } = jwt::denial(&refusal)
    else {
        panic!("a missing scope is a 403 with a challenge");
    };
    assert!(
        challenge.contains(r#"error="insufficient_scope""#),
        "{challenge}"
    );
    assert!(challenge.contains(r#"scope="hello/admin""#), "{challenge}");
    // An ID token has no scopes at all.
    let id = issuer_key().sign(&id_claims());
    assert!(matches!(
        authorizer.verify(Some(&id), &route, now()).await,
        Err(Refusal::Forbidden { .. })
    ));
}

#[tokio::test]
async fn an_unreachable_issuer_fails_closed() {
    let source = MemoryJwks::new(None);
    let authorizer = authorizer_with(&source, Duration::ZERO);
    let token = issuer_key().sign(&id_claims());
    assert_eq!(
        verify(&authorizer, &token).await,
        unauthorized("the issuer's signing keys could not be fetched")
    );
}

#[test]
fn challenges_use_api_gateways_format() {
    assert_eq!(
        jwt::denial(&Refusal::Unauthorized("the token has expired")),
        Denial::Unauthorized {
            reason: "the token has expired".into(),
            challenge: Some(
                r#"Bearer scope="" error="invalid_token" error_description="the token has expired""#
                    .into()
            )
        }
    );
}

#[tokio::test]
async fn a_remembered_token_is_still_checked_for_expiry() {
    let (authorizer, _) = authorizer();
    let now = now();
    let token = issuer_key().sign(&with(id_claims(), "exp", json!(now + 2)));
    assert!(authorizer.verify(Some(&token), &[], now).await.is_ok());
    assert!(authorizer.verify(Some(&token), &[], now + 1).await.is_ok());
    assert_eq!(authorizer.verifier.stats().remembered, 1, "remembered");
    assert_eq!(
        authorizer.verify(Some(&token), &[], now + 2).await,
        unauthorized("the token has expired")
    );
}

#[tokio::test]
async fn a_remembered_token_still_needs_route_scopes() {
    let (authorizer, _) = authorizer();
    let token = issuer_key().sign(&access_claims());
    assert!(authorizer.verify(Some(&token), &[], now()).await.is_ok());
    let refusal = authorizer
        .verify(Some(&token), &["hello/admin".to_owned()], now())
        .await;
    assert!(matches!(refusal, Err(Refusal::Forbidden { .. })));
    assert_eq!(
        authorizer.verifier.stats().remembered,
        1,
        "the second call was remembered"
    );
}

#[tokio::test]
async fn a_refetched_key_set_voids_remembered_tokens() {
    let source = MemoryJwks::new(Some(jwks(&[issuer_key()])));
    let authorizer = authorizer_with(&source, Duration::ZERO);
    let token = issuer_key().sign(&id_claims());
    assert!(verify(&authorizer, &token).await.is_ok());
    // The issuer rotates key-1 out; an unknown kid makes the cache refetch.
    source.serve(Some(jwks(&[other_key()])));
    let probe = other_key().sign_with_kid(&id_claims(), Some("not-published"));
    assert!(verify(&authorizer, &probe).await.is_err());
    assert_eq!(source.fetches(), 2);
    assert_eq!(
        verify(&authorizer, &token).await,
        unauthorized("the token's signing key is not in the issuer's key set")
    );
}

#[tokio::test]
async fn a_key_replaced_under_the_same_kid_voids_remembered_tokens() {
    let source = MemoryJwks::new(Some(jwks(&[issuer_key()])));
    let authorizer = authorizer_with(&source, Duration::ZERO);
    let token = issuer_key().sign(&id_claims());
    assert!(verify(&authorizer, &token).await.is_ok());
    // The issuer publishes other key material under the same kid ("key-1").
    let mut replaced = other_key().jwk();
    replaced["kid"] = json!(issuer_key().kid);
    source.serve(Some(
        serde_json::from_value(json!({ "keys": [replaced] })).unwrap(),
    ));
    let probe = other_key().sign_with_kid(&id_claims(), Some("not-published"));
    assert!(verify(&authorizer, &probe).await.is_err());
    assert_eq!(source.fetches(), 2);
    assert_eq!(
        verify(&authorizer, &token).await,
        unauthorized("the token signature is invalid"),
        "remembered under the old key, checked again with the new one"
    );
}
