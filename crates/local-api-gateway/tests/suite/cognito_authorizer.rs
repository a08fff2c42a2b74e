//! The REST API's Cognito user pool authorizer (the shared verifier core + the Cognito rules)
//! over every case its rules distinguish: token type x method scopes, app clients, pools,
//! validation expression, expiry, tampering, and how the token is sent.
use std::sync::Arc;

use axum::http::HeaderMap;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use local_api_gateway::{
    authorizer::{
        self, AuthorizerConfig, Denial, IdentitySource, Services,
        cognito::{CognitoConfig, Pattern, render_claims},
    },
    event::AuthorizerContext,
    keys::KeyCache,
    verify::{Claims, Refusal, Verifier},
};
use serde_json::{Value, json};

use crate::support::{
    MemoryJwks, NoFunctions, Shared, auth_request, issuer_key, jwks, now, other_key,
};

const POOL_A: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_PoolA";
const POOL_B: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_PoolB";
const OUTSIDER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other";

struct Authorizer {
    config: CognitoConfig,
    verifier: Verifier<Shared>,
}

/// A Cognito authorizer on pools A and B, with an optional validation expression.
fn authorizer(expression: Option<&str>) -> Authorizer {
    let source = MemoryJwks::new(Some(jwks(&[issuer_key()])));
    Authorizer {
        config: CognitoConfig {
            issuers: vec![POOL_A.into(), POOL_B.into()],
            audience_pattern: expression.map(|e| Pattern::whole(e).unwrap()),
            identity: IdentitySource::Header("authorization".into()),
        },
        verifier: Verifier::new(Arc::new(KeyCache::new(Shared(source)))),
    }
}

impl Authorizer {
    async fn call(&self, header: Option<&str>, scopes: &[&str]) -> Result<Claims, Refusal> {
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        self.config
            .check(&self.verifier, header, &scopes, now())
            .await
    }

    async fn bearer(&self, token: &str, scopes: &[&str]) -> Result<Claims, Refusal> {
        self.call(Some(&format!("Bearer {token}")), scopes).await
    }

    /// The whole authorizer, as the gateway calls it.
    async fn seam(&self, token: &str, scopes: &[&str]) -> Result<authorizer::Grant, Denial> {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        let request = auth_request(&headers, "");
        let services = Services {
            verifier: &self.verifier,
            invoker: &NoFunctions,
            credentials: &[],
            region: "us-east-1",
        };
        authorizer::Authorizer::new(AuthorizerConfig::Cognito(self.config.clone()))
            .authorize(&scopes, &request, &services)
            .await
    }
}

fn id_claims(iss: &str, client: &str) -> Value {
    let now = now();
    json!({
        "sub": "7d8ca528-4931-4254-9273-ea5ee853f271", "aud": client, "iss": iss,
        "token_use": "id", "cognito:username": "user-a", "email_verified": true,
        "cognito:groups": ["admin", "dev"], "iat": now - 60, "auth_time": now - 60, "exp": now + 3600,
    })
}

fn access_claims(iss: &str, client: &str, scope: &str) -> Value {
    let now = now();
    json!({
        "sub": "7d8ca528-4931-4254-9273-ea5ee853f271", "client_id": client, "iss": iss,
        "token_use": "access", "username": "user-a", "scope": scope,
        "iat": now - 60, "exp": now + 3600,
    })
}

fn refused(description: &'static str) -> Result<Claims, Refusal> {
    Err(Refusal::Unauthorized(description))
}

#[tokio::test]
async fn without_method_scopes_only_id_tokens_pass() {
    let authorizer = authorizer(None);
    let id = issuer_key().sign(&id_claims(POOL_A, "client-1"));
    let claims = authorizer.bearer(&id, &[]).await.unwrap();
    assert_eq!(claims["cognito:username"], "user-a");
    let grant = authorizer.seam(&id, &[]).await.unwrap();
    let Some(AuthorizerContext::Claims { claims }) = grant.context else {
        panic!("payload 1.0 gets the claims, and no scopes");
    };
    assert_eq!(claims["cognito:username"], "user-a");
    let access = issuer_key().sign(&access_claims(POOL_A, "client-1", "openid hello/read"));
    assert_eq!(
        authorizer.bearer(&access, &[]).await,
        refused("a method without authorization scopes takes ID tokens only")
    );
}

#[tokio::test]
async fn with_method_scopes_only_access_tokens_with_one_of_them_pass() {
    let authorizer = authorizer(None);
    let scopes = ["hello/write", "hello/read"];
    let access = issuer_key().sign(&access_claims(POOL_A, "client-1", "openid hello/read"));
    assert!(authorizer.bearer(&access, &scopes).await.is_ok());
    let other_scope = issuer_key().sign(&access_claims(POOL_A, "client-1", "openid hello/admin"));
    let refusal = authorizer.bearer(&other_scope, &scopes).await;
    assert_eq!(refusal, refused("the token does not have a required scope"));
    // Not 403 as the HTTP API answers: a REST Cognito authorizer only ever says 401.
    assert_eq!(
        authorizer.seam(&other_scope, &scopes).await,
        Err(Denial::unauthorized(
            "the token does not have a required scope"
        ))
    );
    let id = issuer_key().sign(&id_claims(POOL_A, "client-1"));
    assert_eq!(
        authorizer.bearer(&id, &scopes).await,
        refused("a method with authorization scopes takes access tokens only")
    );
}

#[tokio::test]
async fn any_app_client_of_the_pools_passes_unless_an_expression_says_otherwise() {
    let open = authorizer(None);
    for client in ["client-1", "another-app-client"] {
        let id = issuer_key().sign(&id_claims(POOL_A, client));
        assert!(open.bearer(&id, &[]).await.is_ok(), "{client}");
    }
    let narrowed = authorizer(Some("client-[0-9]+"));
    let id = issuer_key().sign(&id_claims(POOL_A, "client-1"));
    assert!(narrowed.bearer(&id, &[]).await.is_ok());
    let refusal = refused("the token's audience does not match the validation expression");
    let other = issuer_key().sign(&id_claims(POOL_A, "another-app-client"));
    assert_eq!(narrowed.bearer(&other, &[]).await, refusal);
    // The whole `aud` must match, not a part of it.
    let longer = issuer_key().sign(&id_claims(POOL_A, "client-1-evil"));
    assert_eq!(narrowed.bearer(&longer, &[]).await, refusal);
    // Access tokens carry the client in `client_id`.
    let access = issuer_key().sign(&access_claims(POOL_A, "client-2", "hello/read"));
    assert!(narrowed.bearer(&access, &["hello/read"]).await.is_ok());
    let access = issuer_key().sign(&access_claims(POOL_A, "other", "hello/read"));
    assert_eq!(narrowed.bearer(&access, &["hello/read"]).await, refusal);
}

#[tokio::test]
async fn every_listed_pool_passes_and_no_other() {
    let authorizer = authorizer(None);
    let from_b = issuer_key().sign(&id_claims(POOL_B, "client-b"));
    assert!(authorizer.bearer(&from_b, &[]).await.is_ok());
    let outsider = issuer_key().sign(&id_claims(OUTSIDER, "client-1"));
    assert_eq!(
        authorizer.bearer(&outsider, &[]).await,
        refused("the token does not have a valid issuer")
    );
    assert_eq!(
        authorizer.verifier.keys().fetches(),
        1,
        "keys of pool B only: an unlisted issuer is refused before any fetch"
    );
}

#[tokio::test]
async fn expired_tampered_and_foreign_signed_tokens_fail() {
    let authorizer = authorizer(None);
    let expired = issuer_key().sign(&{
        let mut claims = id_claims(POOL_A, "client-1");
        claims["exp"] = json!(now() - 1);
        claims
    });
    assert_eq!(
        authorizer.bearer(&expired, &[]).await,
        refused("the token has expired")
    );
    let valid = issuer_key().sign(&id_claims(POOL_A, "client-1"));
    let mut parts: Vec<String> = valid.split('.').map(str::to_owned).collect();
    let mut claims = id_claims(POOL_A, "client-1");
    claims["cognito:username"] = json!("admin");
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    assert_eq!(
        authorizer.bearer(&parts.join("."), &[]).await,
        refused("the token signature is invalid")
    );
    let forged = other_key().sign_with_kid(&id_claims(POOL_A, "client-1"), Some("key-1"));
    assert_eq!(
        authorizer.bearer(&forged, &[]).await,
        refused("the token signature is invalid")
    );
}

#[tokio::test]
async fn the_token_comes_with_or_without_bearer_and_must_come() {
    let authorizer = authorizer(None);
    let id = issuer_key().sign(&id_claims(POOL_A, "client-1"));
    assert!(authorizer.call(Some(&id), &[]).await.is_ok(), "bare");
    assert!(
        authorizer
            .call(Some(&format!("Bearer {id}")), &[])
            .await
            .is_ok()
    );
    assert_eq!(
        authorizer.call(None, &[]).await,
        refused("the request has no token")
    );
    assert_eq!(
        authorizer.call(Some(""), &[]).await,
        refused("the request has no token")
    );
}

#[tokio::test]
async fn the_function_gets_the_claims_in_the_rest_apis_format() {
    let mut claims = id_claims(POOL_A, "client-1");
    claims["exp"] = json!(1_680_633_579);
    claims["iat"] = json!(1_680_629_979);
    claims["auth_time"] = json!(1_680_629_979);
    let context = AuthorizerContext::Claims {
        claims: render_claims(claims.as_object().unwrap()),
    };
    // As captures of real REST APIs' Cognito authorizers show (src/authorizer/cognito.rs): every
    // value a string, dates for exp/iat, groups comma-separated.
    assert_eq!(
        serde_json::to_value(context).unwrap(),
        json!({"claims": {
            "sub": "7d8ca528-4931-4254-9273-ea5ee853f271", "aud": "client-1", "iss": POOL_A,
            "token_use": "id", "cognito:username": "user-a", "email_verified": "true",
            "cognito:groups": "admin,dev", "auth_time": "1680629979",
            "iat": "Tue Apr 04 17:39:39 UTC 2023", "exp": "Tue Apr 04 18:39:39 UTC 2023",
        }})
    );
}
