//! Authorizers: every way API Gateway decides who may call a route, behind one seam. The
//! gateway hands an [`Authorizer`] the request ([`AuthRequest`]) and what it may use
//! ([`Services`]: the token verifier, the function invoker); it gets back a [`Grant`] (what the
//! integration learns about the caller) or a [`Denial`] (which of API Gateway's own responses
//! answers the client; the API kind renders it). Each type's rules live in its own module, as
//! AWS documents them; where the documentation is silent, the module's header says what was
//! chosen.
//!
//! Modules: [`jwt`] (HTTP API JWT), [`cognito`] (REST Cognito user pools), [`lambda`] and
//! [`policy`] (Lambda TOKEN / REQUEST and the IAM policies they answer), [`iam`] (`AWS_IAM`),
//! [`api_key`] (REST API keys). What each enforces and answers: the crate README's table.

pub mod api_key;
pub mod cognito;
pub mod iam;
pub mod jwt;
pub mod lambda;
pub mod policy;

use std::{borrow::Cow, collections::BTreeMap, fmt};

use axum::http::HeaderMap;
use serde_json::Value;

use crate::{
    event::{AuthorizerContext, Caller, PayloadVersion, query_pairs},
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
    /// `AWS_IAM`: a Signature Version 4 signature.
    Iam,
}

/// One authorizer of an API, as the template configures it.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthorizerConfig {
    Jwt(jwt::JwtConfig),
    Cognito(cognito::CognitoConfig),
    Lambda(lambda::LambdaConfig),
}

impl fmt::Display for AuthorizerConfig {
    /// What the authorizer enforces, for `local-api-gateway routes`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
            Self::Lambda(config) => config.fmt(f),
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
    /// A stage variable.
    StageVariable(String),
    /// A context variable (`identity.sourceIp`, `routeKey`, ...).
    Context(String),
}

impl fmt::Display for IdentitySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Header(name) => write!(f, "header {name}"),
            Self::Query(name) => write!(f, "query {name}"),
            Self::StageVariable(name) => write!(f, "stage variable {name}"),
            Self::Context(name) => write!(f, "context {name}"),
        }
    }
}

/// The context variables an identity source may name, as API Gateway spells them.
pub const CONTEXT_VARIABLES: &[&str] = &[
    "accountId",
    "apiId",
    "httpMethod",
    "identity.sourceIp",
    "identity.userAgent",
    "path",
    "protocol",
    "requestId",
    "resourcePath",
    "routeKey",
    "stage",
];

/// What an authorizer sees of a request.
#[derive(Clone, Copy)]
pub struct AuthRequest<'a> {
    pub headers: &'a HeaderMap,
    pub raw_query: &'a str,
    pub stage: &'a str,
    pub stage_variables: &'a BTreeMap<String, String>,
    pub method: &'a str,
    /// The path below the stage, as received.
    pub path: &'a str,
    /// The route's path (`/items/{id}`) and key (`GET /items/{id}`).
    pub resource_path: &'a str,
    pub route_key: &'a str,
    pub source_ip: &'a str,
    pub request_id: &'a str,
    pub account_id: &'a str,
    pub api_id: &'a str,
    /// `arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>`.
    pub method_arn: &'a str,
    /// The path as received (stage included), and the body: what a signature covers.
    pub full_path: &'a str,
    pub body: &'a [u8],
    /// Unix time, in seconds.
    pub now: u64,
    /// The request as a proxy integration's event (what REQUEST authorizers get, reshaped).
    pub events: &'a dyn RequestEvents,
}

/// Builds the integration event of the request being authorized, for the authorizer events
/// that are made from it.
pub trait RequestEvents: Send + Sync {
    fn event(&self, payload: PayloadVersion) -> Value;
}

impl AuthRequest<'_> {
    /// The identity source's value. A header sent twice is refused: API Gateway would see the
    /// values joined, and no token survives that.
    pub fn identity(&self, source: &IdentitySource) -> Result<Option<String>, Denial> {
        Ok(match source {
            IdentitySource::Header(name) => {
                let mut values = self.headers.get_all(name.as_str()).iter();
                match (values.next(), values.next()) {
                    (None, _) => None,
                    (Some(value), None) => value.to_str().ok().map(str::to_owned),
                    (Some(_), Some(_)) => {
                        return Err(Denial::unauthorized(format!(
                            "the request has more than one {name} header"
                        )));
                    }
                }
            }
            IdentitySource::Query(name) => query_pairs(self.raw_query)
                .into_iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value),
            IdentitySource::StageVariable(name) => self.stage_variables.get(name).cloned(),
            IdentitySource::Context(name) => self.context(name).map(str::to_owned),
        })
    }

    fn context(&self, name: &str) -> Option<&str> {
        Some(match name {
            "accountId" => self.account_id,
            "apiId" => self.api_id,
            "httpMethod" => self.method,
            "identity.sourceIp" => self.source_ip,
            "identity.userAgent" => self
                .headers
                .get("user-agent")
                .and_then(|v| v.to_str().ok())?,
            "path" => self.path,
            "protocol" => "HTTP/1.1",
            "requestId" => self.request_id,
            "resourcePath" => self.resource_path,
            "routeKey" => self.route_key,
            "stage" => self.stage,
            _ => return None,
        })
    }
}

/// What authorizers may use: the token verifier (one key cache for the process), the function
/// invoker, and the credentials signatures are checked against.
pub struct Services<'a, F, I> {
    pub verifier: &'a Verifier<F>,
    pub invoker: &'a I,
    pub credentials: &'a [iam::Credentials],
    pub region: &'a str,
}

/// What an authorizer let through: what the integration's event says about the caller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grant {
    /// `requestContext.authorizer`.
    pub context: Option<AuthorizerContext>,
    /// `requestContext.identity` (REST APIs) of a signed request.
    pub caller: Option<Caller>,
    /// A REST Lambda authorizer's `usageIdentifierKey`: the API key, for `ApiKeySourceType:
    /// AUTHORIZER`.
    pub usage_identifier_key: Option<String>,
    /// The API key the request was let through with (`identity.apiKey`, `identity.apiKeyId`).
    pub api_key: Option<api_key::UsedKey>,
}

/// Why API Gateway refuses a request, as the gateway response it answers with. The API kind
/// renders it (an HTTP API's `{"message": ...}`, a REST API's gateway response with its
/// `x-amzn-ErrorType` and template customizations); the reason goes only to the log (and, for
/// JWT authorizers, to `www-authenticate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// `UNAUTHORIZED`, 401: no identity, a bad token, a Lambda authorizer's `Unauthorized`.
    Unauthorized {
        reason: Cow<'static, str>,
        /// The `www-authenticate` value (HTTP API JWT authorizers).
        challenge: Option<String>,
    },
    /// `ACCESS_DENIED`, 403: a policy's `Deny` (`explicit`) or no `Allow`; an HTTP API answers
    /// `{"message":"Forbidden"}` for those, for `isAuthorized: false`, and for a JWT without the
    /// route's scopes.
    AccessDenied {
        reason: Cow<'static, str>,
        explicit: bool,
        challenge: Option<String>,
    },
    /// `AUTHORIZER_CONFIGURATION_ERROR`, 500: a Lambda authorizer failed, timed out, or answered
    /// something API Gateway cannot read.
    ConfigurationError { reason: Cow<'static, str> },
    /// `INVALID_API_KEY`, 403: no API key, an unknown one, or one without a usage plan of the
    /// stage.
    InvalidApiKey { reason: Cow<'static, str> },
    /// A request to an `AWS_IAM` route without a valid signature; `message` is what a REST API
    /// answers.
    Signature {
        kind: SignatureFailure,
        message: Cow<'static, str>,
    },
}

/// Why a signature was refused, as the gateway response types name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureFailure {
    /// `MISSING_AUTHENTICATION_TOKEN`: no `Authorization` header.
    Missing,
    /// `DEFAULT_4XX`, `IncompleteSignatureException`: not a SigV4 `Authorization`.
    Incomplete,
    /// `ACCESS_DENIED`: credentials the local API does not know.
    UnknownKey,
    /// `INVALID_SIGNATURE`: a signature (or scope) that does not match.
    Invalid,
    /// `EXPIRED_TOKEN`: signed more than 15 minutes from now.
    Expired,
}

impl Denial {
    pub fn unauthorized(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::Unauthorized {
            reason: reason.into(),
            challenge: None,
        }
    }

    pub fn access_denied(reason: impl Into<Cow<'static, str>>, explicit: bool) -> Self {
        Self::AccessDenied {
            reason: reason.into(),
            explicit,
            challenge: None,
        }
    }

    pub fn configuration_error(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::ConfigurationError {
            reason: reason.into(),
        }
    }

    /// For the access log.
    pub fn reason(&self) -> &str {
        match self {
            Self::Unauthorized { reason, .. }
            | Self::AccessDenied { reason, .. }
            | Self::ConfigurationError { reason }
            | Self::InvalidApiKey { reason } => reason,
            Self::Signature { message, .. } => message,
        }
    }

    /// The `www-authenticate` header, if the authorizer sends one.
    pub fn challenge(&self) -> Option<&str> {
        match self {
            Self::Unauthorized { challenge, .. } | Self::AccessDenied { challenge, .. } => {
                challenge.as_deref()
            }
            Self::ConfigurationError { .. }
            | Self::InvalidApiKey { .. }
            | Self::Signature { .. } => None,
        }
    }
}

/// One configured authorizer, ready to decide (with its cache of results, for the types that
/// have one).
#[derive(Debug)]
pub struct Authorizer {
    config: AuthorizerConfig,
    results: lambda::Results,
}

impl Authorizer {
    pub fn new(config: AuthorizerConfig) -> Self {
        Self {
            config,
            results: lambda::Results::default(),
        }
    }

    pub fn config(&self) -> &AuthorizerConfig {
        &self.config
    }

    /// Decides a request to an `AWS_IAM` route.
    pub fn authorize_signature<F, I>(
        request: &AuthRequest<'_>,
        services: &Services<'_, F, I>,
    ) -> Result<Grant, Denial> {
        iam::authorize(
            request,
            services.credentials,
            services.region,
            "execute-api",
        )
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
            AuthorizerConfig::Lambda(config) => {
                config
                    .authorize(&self.results, request, services.invoker)
                    .await
            }
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
