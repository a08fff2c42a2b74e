//! The REST API Cognito user pool authorizer (`COGNITO_USER_POOLS`), as API Gateway documents it
//! ("Integrate a REST API with an Amazon Cognito user pool") and as deployments behave:
//! - tokens of any pool in `UserPoolArn` (a string or a list), from any app client of the pool:
//!   `aud` is not checked unless the authorizer has an identity validation expression;
//! - a method without `AuthorizationScopes` takes ID tokens only; a method with scopes takes
//!   access tokens only, carrying one of them; every other case is `401 Unauthorized` (never 403);
//! - the function gets `requestContext.authorizer.claims`, every value a string.
//!
//! The documentation shows no claims object, so the wire format follows public captures of real
//! REST APIs (an AWS re:Post question on `cognito:groups`, a REST Cognito authorizer's claims
//! published in a GitHub README, chalice#783's `split(',')`). Where nothing public settles it,
//! the choice is made here, once:
//! - `ValidationExpression` must match the whole `aud` (or `client_id` of an access token);
//! - several groups arrive comma-separated (`"admin,staging-manager"`, captured); one group is
//!   `"admin"` (captured); any other array claim is rendered the same way (chosen);
//! - `exp` and `iat` are Java `Date` strings (`"Tue Apr 04 18:39:39 UTC 2023"`, captured); every
//!   other number stays a number's text (`"auth_time": "1680629979"`, captured);
//! - object claims arrive as JSON text; null-valued claims are left out (chosen, as the HTTP API);
//! - `nbf`/`iat` in the future are refused as by the JWT authorizer (the shared core; chosen).

use std::{collections::BTreeMap, fmt};

use regex::Regex;
use serde_json::{Map, Value};
use time::{OffsetDateTime, macros::format_description};

use super::{
    AuthRequest, Denial, Grant, IdentitySource, Services, item_text, token_audiences, token_scopes,
};
use crate::{
    event::AuthorizerContext,
    invoke::Invoke,
    keys::FetchJwks,
    verify::{Claims, Refusal, Verifier, bearer_token},
};

#[derive(Debug, Clone, PartialEq)]
pub struct CognitoConfig {
    /// `https://cognito-idp.<region>.amazonaws.com/<pool id>` of every pool in `UserPoolArn`.
    pub issuers: Vec<String>,
    /// `Identity.ValidationExpression`, matched against the whole `aud` (or `client_id`).
    pub audience_pattern: Option<Pattern>,
    /// `Identity.Header` (default `Authorization`).
    pub identity: IdentitySource,
}

/// A regular expression that must match a whole value; equal when written the same.
#[derive(Clone)]
pub struct Pattern {
    source: String,
    regex: Regex,
}

impl Pattern {
    /// `expression`, anchored at both ends.
    pub fn whole(expression: &str) -> Result<Self, regex::Error> {
        Ok(Self {
            regex: Regex::new(&format!("^(?:{expression})$"))?,
            source: expression.to_owned(),
        })
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.source)
    }
}

impl CognitoConfig {
    pub(super) async fn authorize<F: FetchJwks, I: Invoke>(
        &self,
        route_scopes: &[String],
        request: &AuthRequest<'_>,
        services: &Services<'_, F, I>,
    ) -> Result<Grant, Denial> {
        let identity = request.identity(&self.identity)?;
        let claims = self
            .check(
                services.verifier,
                identity.as_deref(),
                route_scopes,
                request.now,
            )
            .await
            // Every refusal is the same 401; the reason is only logged.
            .map_err(|refusal| Denial::unauthorized(refusal.to_string()))?;
        Ok(Grant {
            context: Some(AuthorizerContext::Claims {
                claims: render_claims(&claims),
            }),
            ..Grant::default()
        })
    }

    /// The whole decision: the token of the identity value, the shared verifier core for these
    /// pools, then this authorizer's own rules. `now` is Unix time.
    pub async fn check<F: FetchJwks>(
        &self,
        verifier: &Verifier<F>,
        identity: Option<&str>,
        route_scopes: &[String],
        now: u64,
    ) -> Result<Claims, Refusal> {
        let token = bearer_token(identity)?;
        let claims = verifier.verify(token, &self.issuers, now).await?;
        self.admit(claims, route_scopes)
    }

    /// The rules over claims whose signature, issuer and times are verified.
    pub fn admit(&self, claims: Claims, route_scopes: &[String]) -> Result<Claims, Refusal> {
        let token_use = claims.get("token_use").and_then(Value::as_str);
        if route_scopes.is_empty() {
            if token_use != Some("id") {
                return Err(Refusal::Unauthorized(
                    "a method without authorization scopes takes ID tokens only",
                ));
            }
        } else {
            if token_use != Some("access") {
                return Err(Refusal::Unauthorized(
                    "a method with authorization scopes takes access tokens only",
                ));
            }
            let scopes = token_scopes(&claims);
            if !route_scopes.iter().any(|s| scopes.contains(s)) {
                return Err(Refusal::Unauthorized(
                    "the token does not have a required scope",
                ));
            }
        }
        if let Some(pattern) = &self.audience_pattern {
            let matches = token_audiences(&claims)
                .is_some_and(|auds| auds.iter().any(|aud| pattern.is_match(aud)));
            if !matches {
                return Err(Refusal::Unauthorized(
                    "the token's audience does not match the validation expression",
                ));
            }
        }
        Ok(claims)
    }
}

/// The issuer of the pool an ARN names:
/// `arn:aws:cognito-idp:<region>:<account>:userpool/<pool id>` ->
/// `https://cognito-idp.<region>.amazonaws.com/<pool id>`.
pub fn issuer_of_user_pool_arn(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_partition), Some("cognito-idp"), Some(region), Some(_account)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let pool = parts.next()?.strip_prefix("userpool/")?;
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    (valid(region) && valid(pool))
        .then(|| format!("https://cognito-idp.{region}.amazonaws.com/{pool}"))
}

/// Claims as the REST API's Cognito authorizer hands them over (see the module's notes).
pub fn render_claims(claims: &Map<String, Value>) -> BTreeMap<String, String> {
    claims
        .iter()
        .filter_map(|(name, value)| {
            let text = match (name.as_str(), value) {
                (_, Value::Null) => return None,
                ("exp" | "iat", Value::Number(n)) => n
                    .as_i64()
                    .and_then(java_date)
                    .unwrap_or_else(|| n.to_string()),
                (_, Value::String(s)) => s.clone(),
                (_, Value::Array(items)) => {
                    items.iter().map(item_text).collect::<Vec<_>>().join(",")
                }
                (_, other) => other.to_string(),
            };
            Some((name.clone(), text))
        })
        .collect()
}

/// `Tue Apr 04 18:39:39 UTC 2023`: `java.util.Date#toString` in UTC.
fn java_date(unix: i64) -> Option<String> {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()?
        .format(format_description!(
            "[weekday repr:short] [month repr:short] [day] [hour]:[minute]:[second] UTC [year]"
        ))
        .ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_pool_arn_names_its_issuer() {
        assert_eq!(
            issuer_of_user_pool_arn(
                "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC123"
            ),
            Some("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123".into())
        );
        for bad in [
            "arn:aws:cognito-idp:eu-west-1:123456789012:pool/eu-west-1_AbC123",
            "arn:aws:s3:eu-west-1:123456789012:userpool/eu-west-1_AbC123",
            "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/",
            "arn:aws:cognito-idp:eu west:123456789012:userpool/x",
            "us-east-1_AbC123",
        ] {
            assert_eq!(issuer_of_user_pool_arn(bad), None, "{bad}");
        }
    }

    #[test]
    fn claims_are_rendered_as_the_cognito_authorizer_sends_them() {
        let claims = json!({
            "sub": "abc",
            "exp": 1680633579,
            "iat": 1680629979,
            "auth_time": 1680629979,
            "email_verified": true,
            "cognito:groups": ["admin", "dev"],
            "one": ["solo"],
            "nothing": null,
            "address": {"country": "NL"},
        });
        let rendered = render_claims(claims.as_object().unwrap_or(&Map::new()));
        let expected: BTreeMap<String, String> = [
            ("sub", "abc"),
            ("exp", "Tue Apr 04 18:39:39 UTC 2023"),
            ("iat", "Tue Apr 04 17:39:39 UTC 2023"),
            ("auth_time", "1680629979"),
            ("email_verified", "true"),
            ("cognito:groups", "admin,dev"),
            ("one", "solo"),
            ("address", r#"{"country":"NL"}"#),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(rendered, expected);
    }
}
