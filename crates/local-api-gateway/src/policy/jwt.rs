//! The HTTP API JWT authorizer, as API Gateway documents it ("Controlling access to HTTP APIs with
//! JWT authorizers"): exact `iss`, `aud` (or `client_id` when `aud` is absent) among the
//! configured audience, any token type, and the route's scopes (403 without one of them).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Grant, token_audiences, token_scopes};
use crate::{
    response::GatewayError,
    verify::{Claims, Refusal},
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtPolicy {
    pub issuer: String,
    pub audience: Vec<String>,
}

impl JwtPolicy {
    pub(super) fn admit(&self, claims: Claims, route_scopes: &[String]) -> Result<Grant, Refusal> {
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
        Ok(Grant { claims, scopes })
    }
}

/// 401 or 403, each with API Gateway's `www-authenticate` challenge.
pub(super) fn refusal(refusal: &Refusal) -> GatewayError {
    match refusal {
        Refusal::Unauthorized(description) => GatewayError::Unauthorized {
            challenge: Some(format!(
                r#"Bearer scope="" error="invalid_token" error_description="{description}""#
            )),
        },
        Refusal::Forbidden { required } => GatewayError::Forbidden {
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

/// An array item: strings unquoted, anything else as JSON.
pub(super) fn item_text(item: &Value) -> String {
    match item {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
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
