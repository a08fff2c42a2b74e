//! What differs between authorizer types, as values, so the verifier core ([`crate::verify`]) is
//! one: which issuers sign, which tokens a route takes, what a refusal looks like to the client,
//! and how the verified claims reach the function.
//!
//! | | HTTP API, JWT authorizer ([`jwt`]) | REST API, Cognito authorizer ([`cognito`]) |
//! |---|---|---|
//! | issuers | exactly the configured `issuer` | any pool of `UserPoolArn` |
//! | `aud` | one of `audience` (`client_id` when `aud` is absent) | not checked, unless `ValidationExpression` |
//! | token type | ID or access | ID without scopes; access with scopes |
//! | scopes missing | 403 `Forbidden` | 401 `Unauthorized` |
//! | refusal headers | `www-authenticate` with the reason | none (the reason is only logged) |
//! | claims | `authorizer.jwt.claims`, arrays as `[a b]`, + `scopes` | `authorizer.claims`, arrays as `a,b`, `exp`/`iat` as dates |

pub mod cognito;
pub mod jwt;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::{
    keys::FetchJwks,
    response::GatewayError,
    verify::{Claims, Refusal, Verifier, bearer_token},
};

/// The rules of one authorizer.
#[derive(Debug, Clone)]
pub enum Policy {
    Jwt(jwt::JwtPolicy),
    CognitoUserPools(cognito::CognitoPolicy),
}

/// What an authorizer let through: the claims, and the scopes the function is told about.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    pub claims: Claims,
    pub scopes: Option<Vec<String>>,
}

impl Policy {
    /// The issuers whose tokens may be verified at all.
    pub fn issuers(&self) -> &[String] {
        match self {
            Self::Jwt(policy) => std::slice::from_ref(&policy.issuer),
            Self::CognitoUserPools(policy) => &policy.issuers,
        }
    }

    /// The whole authorizer: the token of the identity value (`Bearer ` optional), the shared
    /// verifier core for this policy's issuers, then this policy's own rules. `now` is Unix time.
    pub async fn authorize<F: FetchJwks>(
        &self,
        verifier: &Verifier<F>,
        identity: Option<&str>,
        route_scopes: &[String],
        now: u64,
    ) -> Result<Grant, Refusal> {
        let token = bearer_token(identity)?;
        let claims = verifier.verify(token, self.issuers(), now).await?;
        self.admit(claims, route_scopes)
    }

    /// This authorizer's own rules over claims whose signature, issuer and times are verified,
    /// for a route that requires `route_scopes` (empty: none).
    pub fn admit(&self, claims: Claims, route_scopes: &[String]) -> Result<Grant, Refusal> {
        match self {
            Self::Jwt(policy) => policy.admit(claims, route_scopes),
            Self::CognitoUserPools(policy) => policy.admit(claims, route_scopes),
        }
    }

    /// What API Gateway answers for `refusal`.
    pub fn refusal(&self, refusal: &Refusal) -> GatewayError {
        match self {
            Self::Jwt(_) => jwt::refusal(refusal),
            Self::CognitoUserPools(_) => GatewayError::Unauthorized { challenge: None },
        }
    }

    /// `requestContext.authorizer` as the function receives it.
    pub fn authorizer_context(&self, grant: &Grant) -> AuthorizerContext {
        match self {
            Self::Jwt(_) => AuthorizerContext::Jwt {
                jwt: JwtContext {
                    claims: jwt::render_claims(&grant.claims),
                    scopes: grant.scopes.clone(),
                },
            },
            Self::CognitoUserPools(_) => AuthorizerContext::Cognito {
                claims: cognito::render_claims(&grant.claims),
            },
        }
    }
}

/// `requestContext.authorizer` of an event, typed so it is serialized straight into the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AuthorizerContext {
    /// HTTP API JWT authorizer: `{"jwt": {"claims": ..., "scopes": ...}}`.
    Jwt { jwt: JwtContext },
    /// REST API Cognito authorizer: `{"claims": ...}`.
    Cognito { claims: BTreeMap<String, String> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JwtContext {
    pub claims: BTreeMap<String, String>,
    /// `null` unless the route has authorization scopes: serialized even when `None`.
    pub scopes: Option<Vec<String>>,
}

/// The token's scopes: `scope` (space-separated) or `scp` (a list or a string).
fn token_scopes(claims: &Claims) -> Vec<String> {
    match claims.get("scope").or_else(|| claims.get("scp")) {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// `aud` when present (a string or a list), else `client_id`: the app client(s) the token was
/// issued to. Cognito ID tokens carry `aud`, access tokens only `client_id`.
fn token_audiences(claims: &Claims) -> Option<Vec<&str>> {
    match claims.get("aud") {
        Some(Value::String(aud)) => Some(vec![aud.as_str()]),
        Some(Value::Array(auds)) => Some(auds.iter().filter_map(Value::as_str).collect()),
        Some(_) => None,
        None => claims
            .get("client_id")
            .and_then(Value::as_str)
            .map(|id| vec![id]),
    }
}
