//! The HTTP API JWT authorizer, as API Gateway documents it ("Controlling access to HTTP APIs with
//! JWT authorizers"): the token from the identity source (`Bearer ` optional), exact `iss`, `aud`
//! (or `client_id` when `aud` is absent) among the configured audience, any token type, and the
//! route's scopes (403 without one of them). The function gets `requestContext.authorizer.jwt`:
//! every claim a string (arrays as `[a b]`), and `scopes` (`null` unless the route has some).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{
    AuthRequest, Denial, Grant, IdentitySource, Services, item_text, token_audiences, token_scopes,
};
use crate::{
    event::{AuthorizerContext, JwtContext},
    invoke::Invoke,
    keys::FetchJwks,
    verify::{Claims, Refusal, Verifier, bearer_token},
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtConfig {
    pub issuer: String,
    pub audience: Vec<String>,
    /// `IdentitySource` (default `$request.header.Authorization`).
    pub identity: IdentitySource,
}

/// What the authorizer let through: the verified claims, and the scopes the function is told
/// about (only when the route requires some).
#[derive(Debug, Clone, PartialEq)]
pub struct Admitted {
    pub claims: Claims,
    pub scopes: Option<Vec<String>>,
}

impl JwtConfig {
    pub(super) async fn authorize<F: FetchJwks, I: Invoke>(
        &self,
        route_scopes: &[String],
        request: &AuthRequest<'_>,
        services: &Services<'_, F, I>,
    ) -> Result<Grant, Denial> {
        let identity = request.identity(&self.identity)?;
        let admitted = self
            .check(
                services.verifier,
                identity.as_deref(),
                route_scopes,
                request.now,
            )
            .await
            .map_err(|refusal| denial(&refusal))?;
        Ok(Grant {
            context: Some(AuthorizerContext::Jwt {
                jwt: JwtContext {
                    claims: render_claims(&admitted.claims),
                    scopes: admitted.scopes,
                },
            }),
            ..Grant::default()
        })
    }

    /// The whole decision: the token of the identity value, the shared verifier core for this
    /// issuer, then this authorizer's own rules. `now` is Unix time.
    pub async fn check<F: FetchJwks>(
        &self,
        verifier: &Verifier<F>,
        identity: Option<&str>,
        route_scopes: &[String],
        now: u64,
    ) -> Result<Admitted, Refusal> {
        let token = bearer_token(identity)?;
        let claims = verifier
            .verify(token, std::slice::from_ref(&self.issuer), now)
            .await?;
        self.admit(claims, route_scopes)
    }

    /// The rules over claims whose signature, issuer and times are verified.
    pub fn admit(&self, claims: Claims, route_scopes: &[String]) -> Result<Admitted, Refusal> {
        let audience_ok = token_audiences(&claims).is_some_and(|auds| {
            auds.iter()
                .any(|aud| self.audience.iter().any(|a| a == aud))
        });
        if !audience_ok {
            return Err(Refusal::Unauthorized(
                "the token does not have a valid audience",
            ));
        }
        // The function learns the token's scopes only when the route requires some.
        let scopes = if route_scopes.is_empty() {
            None
        } else {
            let scopes = token_scopes(&claims);
            if !route_scopes.iter().any(|s| scopes.contains(s)) {
                return Err(Refusal::Forbidden {
                    required: route_scopes.to_vec(),
                });
            }
            Some(scopes)
        };
        Ok(Admitted { claims, scopes })
    }
}

/// 401 or 403, each with API Gateway's `www-authenticate` challenge.
pub fn denial(refusal: &Refusal) -> Denial {
    match refusal {
        Refusal::Unauthorized(description) => Denial::Unauthorized {
            reason: (*description).into(),
            challenge: Some(format!(
                r#"Bearer scope="" error="invalid_token" error_description="{description}""#
            )),
        },
        Refusal::Forbidden { required } => Denial::AccessDenied {
            reason: refusal.to_string().into(),
            explicit: false,
            challenge: Some(format!(
                r#"Bearer scope="{}" error="insufficient_scope" error_description="the token does not have a required scope""#,
                required.join(" ")
            )),
        },
    }
}

/// Claims in the wire format measured on a live HTTP API: every value a string, arrays as
/// `[a b]`, objects as JSON text, null-valued claims left out.
pub fn render_claims(claims: &Map<String, Value>) -> BTreeMap<String, String> {
    claims
        .iter()
        .filter_map(|(name, value)| {
            let text = match value {
                Value::Null => return None,
                Value::String(s) => s.clone(),
                Value::Array(items) => format!(
                    "[{}]",
                    items.iter().map(item_text).collect::<Vec<_>>().join(" ")
                ),
                other => other.to_string(),
            };
            Some((name.clone(), text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn claims_are_rendered_as_api_gateway_sends_them() {
        let claims = json!({
            "sub": "abc",
            "exp": 1787996002,
            "email_verified": true,
            "cognito:groups": ["admin", "poweruser"],
            "nothing": null,
            "address": {"country": "NL"},
            "ratio": 0.5
        });
        let rendered = render_claims(claims.as_object().unwrap_or(&Map::new()));
        let expected: BTreeMap<String, String> = [
            ("sub", "abc"),
            ("exp", "1787996002"),
            ("email_verified", "true"),
            ("cognito:groups", "[admin poweruser]"),
            ("address", r#"{"country":"NL"}"#),
            ("ratio", "0.5"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(rendered, expected);
    }
}
