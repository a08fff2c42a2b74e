//! Authorizers: every way API Gateway decides who may call a route, behind one seam. The
//! gateway hands an [`Authorizer`] the request ([`AuthRequest`]) and what it may use
//! ([`Services`]: the token verifier, the function invoker); it gets back a [`Grant`] (what the
//! integration learns about the caller) or a [`Denial`] (which of API Gateway's own responses
//! answers the client; the API kind renders it). Each type's rules live in its own module, as
//! AWS documents them; where the documentation is silent, the module's header says what was
//! chosen.
//!
//! | type | module | API | decides with |
//! |---|---|---|---|
//! | JWT | [`jwt`] | HTTP | the issuer's keys: signature, `iss`, `aud`/`client_id`, route scopes |
//! | Cognito user pools | [`cognito`] | REST | the pools' keys: signature, token type by method scopes |

pub mod cognito;
pub mod jwt;

use std::borrow::Cow;

use axum::http::HeaderMap;

use serde_json::Value;

use crate::{
    event::{AuthorizerContext, query_pairs},
    invoke::Invoke,
    keys::FetchJwks,
    verify::{Claims, Verifier},
};

/// How a route is protected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteAuth {
    /// No authorizer (`Authorizer: NONE`, or none configured).
    None,
    /// The API's authorizer `name`; with scopes, the token needs at least one of them.
    Authorizer { name: String, scopes: Vec<String> },
}

/// One authorizer of an API, as the template configures it.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthorizerConfig {
    Jwt(jwt::JwtConfig),
    Cognito(cognito::CognitoConfig),
}

impl std::fmt::Display for AuthorizerConfig {
    /// What the authorizer enforces, for `local-api-gateway routes`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Jwt(jwt) => write!(
                f,
                "JWT from {}: issuer {}, audience {}",
                jwt.identity,
                jwt.issuer,
                jwt.audience.join(" ")
            ),
            Self::Cognito(cognito) => {
                write!(
                    f,
                    "Cognito user pools from {}: {}",
                    cognito.identity,
                    cognito.issuers.join(" ")
                )?;
                if let Some(pattern) = &cognito.audience_pattern {
                    write!(f, ", aud matching {}", pattern.source())?;
                }
                Ok(())
            }
        }
    }
}

impl std::fmt::Display for IdentitySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Header(name) => write!(f, "header {name}"),
            Self::Query(name) => write!(f, "query {name}"),
        }
    }
}

/// Where an authorizer takes the caller's identity from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// A header, its name lower-cased (header names are case-insensitive).
    Header(String),
    /// A query string parameter (case-sensitive).
    Query(String),
}

/// What an authorizer sees of a request.
#[derive(Debug, Clone, Copy)]
pub struct AuthRequest<'a> {
    pub headers: &'a HeaderMap,
    pub raw_query: &'a str,
    /// Unix time, in seconds.
    pub now: u64,
}

impl AuthRequest<'_> {
    /// The identity source's value. A header sent twice is refused: API Gateway would see the
    /// values joined, and no token survives that.
    pub fn identity(&self, source: &IdentitySource) -> Result<Option<String>, Denial> {
        match source {
            IdentitySource::Header(name) => {
                let mut values = self.headers.get_all(name.as_str()).iter();
                match (values.next(), values.next()) {
                    (None, _) => Ok(None),
                    (Some(value), None) => Ok(value.to_str().ok().map(str::to_owned)),
                    (Some(_), Some(_)) => Err(Denial::unauthorized(format!(
                        "the request has more than one {name} header"
                    ))),
                }
            }
            IdentitySource::Query(name) => Ok(query_pairs(self.raw_query)
                .into_iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value)),
        }
    }
}

/// What authorizers may use: the token verifier (one key cache for the process) and the
/// function invoker.
pub struct Services<'a, F, I> {
    pub verifier: &'a Verifier<F>,
    pub invoker: &'a I,
}

/// What an authorizer let through: what the integration's event says about the caller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grant {
    /// `requestContext.authorizer`.
    pub context: Option<AuthorizerContext>,
}

/// Why API Gateway refuses a request, as the gateway response it answers with. The API kind
/// renders it (an HTTP API's `{"message": ...}`, a REST API's gateway response with its
/// `x-amzn-ErrorType` and template customizations); the reason goes only to the log (and, for
/// JWT authorizers, to `www-authenticate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// `UNAUTHORIZED`, 401: no identity, a bad token.
    Unauthorized {
        reason: Cow<'static, str>,
        /// The `www-authenticate` value (HTTP API JWT authorizers).
        challenge: Option<String>,
    },
    /// `ACCESS_DENIED`, 403: an HTTP API answers `{"message":"Forbidden"}` (a JWT without the
    /// route's scopes).
    AccessDenied {
        reason: Cow<'static, str>,
        challenge: Option<String>,
    },
}

impl Denial {
    pub fn unauthorized(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::Unauthorized {
            reason: reason.into(),
            challenge: None,
        }
    }

    /// For the access log.
    pub fn reason(&self) -> &str {
        match self {
            Self::Unauthorized { reason, .. } | Self::AccessDenied { reason, .. } => reason,
        }
    }

    /// The `www-authenticate` header, if the authorizer sends one.
    pub fn challenge(&self) -> Option<&str> {
        match self {
            Self::Unauthorized { challenge, .. } | Self::AccessDenied { challenge, .. } => {
                challenge.as_deref()
            }
        }
    }
}

/// One configured authorizer, ready to decide.
#[derive(Debug)]
pub struct Authorizer {
    config: AuthorizerConfig,
}

impl Authorizer {
    pub fn new(config: AuthorizerConfig) -> Self {
        Self { config }
    }

    pub fn config(&self) -> &AuthorizerConfig {
        &self.config
    }

    /// Decides a request to a route that requires `scopes` (empty: none).
    pub async fn authorize<F: FetchJwks, I: Invoke>(
        &self,
        scopes: &[String],
        request: &AuthRequest<'_>,
        services: &Services<'_, F, I>,
    ) -> Result<Grant, Denial> {
        match &self.config {
            AuthorizerConfig::Jwt(config) => config.authorize(scopes, request, services).await,
            AuthorizerConfig::Cognito(config) => config.authorize(scopes, request, services).await,
        }
    }
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

/// An array claim's item as text: strings unquoted, anything else as JSON.
fn item_text(item: &Value) -> String {
    match item {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
