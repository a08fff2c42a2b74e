//! The HTTP API JWT authorizer, as API Gateway documents it ("Controlling access to HTTP APIs with
//! JWT authorizers"): token from the identity source with or without `Bearer `, RSA signature by
//! the issuer's key named by `kid`, exact `iss`, `aud` (or `client_id` when `aud` is absent),
//! `exp`/`nbf`/`iat`, and the route's scopes.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use jsonwebtoken::{Algorithm, Validation, errors::ErrorKind};
use serde_json::{Map, Value};

use crate::{
    jwks::{FetchJwks, KeyCache, KeyError, VerificationKey},
    template::JwtAuthorizerConfig,
};

/// API Gateway only accepts RSA-signed tokens.
const RSA_ALGORITHMS: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// Tokens longer than this are refused before any parsing. Cognito tokens are 1-2 KB; API Gateway
/// caps all request headers together at 10 KB.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// A token the authorizer accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub claims: Map<String, Value>,
    /// The token's scopes, given to the function only when the route requires scopes.
    pub scopes: Option<Vec<String>>,
}

/// Why a request was refused: 401, or 403 for missing scopes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("the token does not have a required scope")]
    Forbidden { required: Vec<String> },
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthorized(_) => 401,
            Self::Forbidden { .. } => 403,
        }
    }

    /// The `www-authenticate` value, in API Gateway's format.
    pub fn challenge(&self) -> String {
        match self {
            Self::Unauthorized(description) => {
                format!(
                    r#"Bearer scope="" error="invalid_token" error_description="{description}""#
                )
            }
            Self::Forbidden { required } => format!(
                r#"Bearer scope="{}" error="insufficient_scope" error_description="the token does not have a required scope""#,
                required.join(" ")
            ),
        }
    }
}

/// Tokens whose signature was checked, so a client sending the same token again (they do, for
/// up to an hour) does not pay for RSA again: 180 µs -> a few µs (BENCHMARKS.md). Claims are
/// still checked on every request (expiry!), and an entry counts only while the key that
/// verified it is the cached key for its kid, so a refetched or expired key set voids it.
const MAX_VERIFIED_TOKENS: usize = 10_000;

struct VerifiedToken {
    claims: Arc<Map<String, Value>>,
    kid: String,
    key: Arc<VerificationKey>,
}

pub struct JwtAuthorizer<F> {
    config: JwtAuthorizerConfig,
    keys: Arc<KeyCache<F>>,
    verified: Mutex<HashMap<String, VerifiedToken>>,
}

impl<F: FetchJwks> JwtAuthorizer<F> {
    pub fn new(config: JwtAuthorizerConfig, keys: Arc<KeyCache<F>>) -> Self {
        Self {
            config,
            keys,
            verified: Mutex::new(HashMap::new()),
        }
    }

    pub fn config(&self) -> &JwtAuthorizerConfig {
        &self.config
    }

    /// Verifies `identity` (the identity-source value) for a route that requires `route_scopes`
    /// (none: any valid token). `now` is the current Unix time in seconds.
    pub async fn verify(
        &self,
        identity: Option<&str>,
        route_scopes: &[String],
        now: u64,
    ) -> Result<Verified, Refusal> {
        let token = bearer_token(identity)?;
        if let Some(claims) = self.already_verified(token) {
            self.check_claims(&claims, now)?;
            let scopes = check_scopes(&claims, route_scopes)?;
            return Ok(Verified {
                claims: Map::clone(&claims),
                scopes,
            });
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Refusal::Unauthorized("the token is malformed"))?;
        if !RSA_ALGORITHMS.contains(&header.alg) {
            return Err(Refusal::Unauthorized(
                "the token is not signed with an RSA algorithm",
            ));
        }
        let kid = header
            .kid
            .as_deref()
            .ok_or(Refusal::Unauthorized("the token has no key id (kid)"))?;
        // The key set is always the configured issuer's, never one the token points at.
        let key = self.keys.key(&self.config.issuer, kid).await.map_err(|err| match err {
            KeyError::UnknownKid(_) => Refusal::Unauthorized("the token's signing key is not in the issuer's key set"),
            KeyError::Unavailable(cause) => {
                tracing::warn!(issuer = %self.config.issuer, error = %cause, "signing keys unavailable");
                Refusal::Unauthorized("the issuer's signing keys could not be fetched")
            }
        })?;
        if key.algorithm.is_some_and(|alg| alg != header.alg) {
            return Err(Refusal::Unauthorized(
                "the token's algorithm does not match its signing key",
            ));
        }

        // The library checks the signature; every claim is checked below, with API Gateway's
        // rules and an explicit clock.
        let mut validation = Validation::new(header.alg);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
            .map_err(|err| {
                Refusal::Unauthorized(match err.kind() {
                    ErrorKind::InvalidSignature => "the token signature is invalid",
                    _ => "the token is malformed",
                })
            })?
            .claims;

        self.check_claims(&claims, now)?;
        let scopes = check_scopes(&claims, route_scopes)?;
        self.remember(token, &claims, kid, key);
        Ok(Verified { claims, scopes })
    }

    fn already_verified(&self, token: &str) -> Option<Arc<Map<String, Value>>> {
        let verified = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = verified.get(token)?;
        let current = self.keys.cached_key(&self.config.issuer, &entry.kid)?;
        Arc::ptr_eq(&current, &entry.key).then(|| Arc::clone(&entry.claims))
    }

    fn remember(
        &self,
        token: &str,
        claims: &Map<String, Value>,
        kid: &str,
        key: Arc<VerificationKey>,
    ) {
        let mut verified = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
        if verified.len() >= MAX_VERIFIED_TOKENS {
            verified.clear();
        }
        verified.insert(
            token.to_owned(),
            VerifiedToken {
                claims: Arc::new(claims.clone()),
                kid: kid.to_owned(),
                key,
            },
        );
    }

    fn check_claims(&self, claims: &Map<String, Value>, now: u64) -> Result<(), Refusal> {
        if claims.get("iss").and_then(Value::as_str) != Some(self.config.issuer.as_str()) {
            return Err(Refusal::Unauthorized(
                "the token does not have a valid issuer",
            ));
        }
        let audience_ok = match claims.get("aud") {
            Some(Value::String(aud)) => self.config.audience.contains(aud),
            Some(Value::Array(auds)) => auds
                .iter()
                .filter_map(Value::as_str)
                .any(|aud| self.config.audience.iter().any(|a| a == aud)),
            // Only when `aud` is absent does `client_id` count (Cognito access tokens).
            None => claims
                .get("client_id")
                .and_then(Value::as_str)
                .is_some_and(|id| self.config.audience.iter().any(|a| a == id)),
            Some(_) => false,
        };
        if !audience_ok {
            return Err(Refusal::Unauthorized(
                "the token does not have a valid audience",
            ));
        }
        let time = |name: &str| -> Result<Option<f64>, Refusal> {
            match claims.get(name) {
                None => Ok(None),
                Some(value) => value.as_f64().map(Some).ok_or(Refusal::Unauthorized(
                    "the token has a malformed time claim",
                )),
            }
        };
        let now = now as f64;
        match time("exp")? {
            None => return Err(Refusal::Unauthorized("the token has no expiry (exp)")),
            Some(exp) if exp <= now => return Err(Refusal::Unauthorized("the token has expired")),
            Some(_) => {}
        }
        if time("nbf")?.is_some_and(|nbf| nbf > now) {
            return Err(Refusal::Unauthorized("the token is not valid yet (nbf)"));
        }
        if time("iat")?.is_some_and(|iat| iat > now) {
            return Err(Refusal::Unauthorized(
                "the token was issued in the future (iat)",
            ));
        }
        Ok(())
    }
}

/// The token of an identity-source value: `Bearer <jwt>` or a bare `<jwt>`. The scheme is matched
/// case-insensitively, as HTTP auth schemes are (RFC 9110, 11.1).
pub fn bearer_token(identity: Option<&str>) -> Result<&str, Refusal> {
    let value = identity
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(Refusal::Unauthorized("the request has no token"))?;
    if value.len() > MAX_TOKEN_BYTES {
        return Err(Refusal::Unauthorized("the token is too large"));
    }
    let token = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim_start(),
        _ => value,
    };
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(Refusal::Unauthorized("the token is malformed"));
    }
    Ok(token)
}

/// With route scopes, the token's `scope` (or `scp`) must hold at least one of them.
fn check_scopes(
    claims: &Map<String, Value>,
    route_scopes: &[String],
) -> Result<Option<Vec<String>>, Refusal> {
    if route_scopes.is_empty() {
        return Ok(None);
    }
    let token_scopes: Vec<String> = match claims.get("scope").or_else(|| claims.get("scp")) {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    if route_scopes.iter().any(|s| token_scopes.contains(s)) {
        Ok(Some(token_scopes))
    } else {
        Err(Refusal::Forbidden {
            required: route_scopes.to_vec(),
        })
    }
}
