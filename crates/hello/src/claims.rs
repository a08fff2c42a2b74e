//! The one place that reads the verified Cognito claims out of a request.
//!
//! API Gateway hands the claims over in two shapes:
//! - HTTP API (payload 2.0, JWT authorizer): `requestContext.authorizer.jwt.claims`, where every
//!   value is a string (`"email_verified": "true"`, `"cognito:groups": "[admin dev]"`), plus
//!   `requestContext.authorizer.jwt.scopes` (null unless the route has authorization scopes).
//! - REST API (payload 1.0, Cognito user pool authorizer): `requestContext.authorizer.claims`,
//!   every value a string too, but several groups arrive comma-separated (`"admin,dev"`) and
//!   `exp`/`iat` as dates. JSON arrays and booleans are read as well (hand-written events).
//!
//! - A Lambda authorizer's context: REST `requestContext.authorizer` (`principalId` and the
//!   context's values, all strings), HTTP `requestContext.authorizer.lambda` (values as the
//!   authorizer gave them). The caller is `sub` (REST: else `principalId`), `username`, `email`,
//!   `groups`.
//! - `AWS_IAM`: the signer's ARN, REST `requestContext.identity.userArn`, HTTP
//!   `requestContext.authorizer.iam.userArn`; the name is its last segment.
//!
//! Everything else in the crate works with the typed [`Claims`].

use std::collections::HashMap;

use lambda_http::{Request, RequestExt, request::RequestContext};
use serde::Serialize;
use serde_json::Value;

/// Which kind of Cognito token the authorizer accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenUse {
    Id,
    Access,
}

/// The caller, as the authorizer verified them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claims {
    pub sub: String,
    /// `cognito:username` (ID token) or `username` (access token); `sub` when neither is present.
    pub username: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    pub groups: Vec<String>,
    pub token_use: Option<TokenUse>,
    /// `aud` of an ID token or `client_id` of an access token: the app client the token was issued to.
    pub client_id: Option<String>,
    pub scopes: Vec<String>,
}

/// Why a request carries no usable identity. Every variant is answered with 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the request has no authorizer context")]
    NoAuthorizer,
    #[error("the authorizer context has no claims")]
    NoClaims,
    #[error("claim `{0}` is missing")]
    MissingClaim(&'static str),
    #[error("claim `{0}` has a value of the wrong shape")]
    MalformedClaim(&'static str),
}

impl Claims {
    /// Reads the claims of an HTTP API (2.0) or REST API (1.0) request.
    pub fn from_request(req: &Request) -> Result<Self, AuthError> {
        match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => {
                let authorizer = ctx.authorizer.as_ref().ok_or(AuthError::NoAuthorizer)?;
                if let Some(jwt) = &authorizer.jwt {
                    return Self::from_raw(&RawClaims::Strings(&jwt.claims), jwt.scopes.as_deref());
                }
                if !authorizer.fields.is_empty() {
                    return Self::from_context(&RawClaims::Map(&authorizer.fields), None);
                }
                match authorizer
                    .iam
                    .as_ref()
                    .and_then(|iam| iam.user_arn.as_deref())
                {
                    Some(arn) => Self::from_signer(arn),
                    None => Err(AuthError::NoClaims),
                }
            }
            Some(RequestContext::ApiGatewayV1(ctx)) => {
                let fields = &ctx.authorizer.fields;
                match (fields.get("claims"), fields.get("principalId")) {
                    (Some(Value::Object(claims)), _) => {
                        Self::from_raw(&RawClaims::Json(claims), None)
                    }
                    (Some(_), _) => Err(AuthError::MalformedClaim("claims")),
                    (None, Some(Value::String(principal))) => {
                        Self::from_context(&RawClaims::Map(fields), Some(principal))
                    }
                    (None, _) if fields.is_empty() => match ctx.identity.user_arn.as_deref() {
                        Some(arn) => Self::from_signer(arn),
                        None => Err(AuthError::NoAuthorizer),
                    },
                    (None, _) => Err(AuthError::NoClaims),
                }
            }
            _ => Err(AuthError::NoAuthorizer),
        }
    }

    /// A Lambda authorizer's context; REST APIs name the principal besides.
    fn from_context(raw: &RawClaims<'_>, principal: Option<&str>) -> Result<Self, AuthError> {
        let sub = raw
            .string("sub")?
            .or_else(|| principal.map(str::to_owned))
            .filter(|s| !s.trim().is_empty())
            .ok_or(AuthError::MissingClaim("sub"))?;
        Ok(Self {
            username: raw
                .string("username")?
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| sub.clone()),
            email: raw.string("email")?,
            email_verified: None,
            groups: raw.list("groups")?,
            sub,
            token_use: None,
            client_id: None,
            scopes: Vec::new(),
        })
    }

    /// The signer of an `AWS_IAM` request: `arn:aws:iam::<account>:user/<name>`,
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    fn from_signer(arn: &str) -> Result<Self, AuthError> {
        let name = arn
            .rsplit(['/', ':'])
            .next()
            .filter(|name| !name.is_empty())
            .ok_or(AuthError::MalformedClaim("userArn"))?;
        Ok(Self {
            sub: arn.to_owned(),
            username: name.to_owned(),
            email: None,
            email_verified: None,
            groups: Vec::new(),
            token_use: None,
            client_id: None,
            scopes: Vec::new(),
        })
    }

    fn from_raw(raw: &RawClaims<'_>, route_scopes: Option<&[String]>) -> Result<Self, AuthError> {
        let sub = raw
            .string("sub")?
            .filter(|s| !s.trim().is_empty())
            .ok_or(AuthError::MissingClaim("sub"))?;
        let username = match raw.string("cognito:username")? {
            Some(name) => Some(name),
            None => raw.string("username")?,
        }
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| sub.clone());
        let token_use = match raw.string("token_use")?.as_deref() {
            None => None,
            Some("id") => Some(TokenUse::Id),
            Some("access") => Some(TokenUse::Access),
            Some(_) => return Err(AuthError::MalformedClaim("token_use")),
        };
        let client_id = match raw.string("aud")? {
            Some(aud) => Some(aud),
            None => raw.string("client_id")?,
        };
        // With route scopes API Gateway passes the token's scopes separately; otherwise the
        // `scope` claim (access tokens only) is the source.
        let scopes = match route_scopes {
            Some(scopes) => scopes.to_vec(),
            None => raw
                .string("scope")?
                .map(|s| s.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
        };
        Ok(Self {
            email: raw.string("email")?,
            email_verified: raw.boolean("email_verified")?,
            groups: raw.list("cognito:groups")?,
            sub,
            username,
            token_use,
            client_id,
            scopes,
        })
    }
}

/// The wire shapes of a claims map.
enum RawClaims<'a> {
    Strings(&'a HashMap<String, String>),
    Json(&'a serde_json::Map<String, Value>),
    /// A Lambda authorizer's context.
    Map(&'a HashMap<String, Value>),
}

/// One claim value, borrowed from either shape. A JSON `null` counts as absent, as API Gateway
/// omits null-valued claims.
enum RawClaim<'a> {
    Str(&'a str),
    Json(&'a Value),
}

impl<'a> RawClaims<'a> {
    fn get(&self, name: &str) -> Option<RawClaim<'a>> {
        match self {
            Self::Strings(map) => map.get(name).map(|s| RawClaim::Str(s)),
            Self::Json(map) => json_claim(map.get(name)),
            Self::Map(map) => json_claim(map.get(name)),
        }
    }

    fn string(&self, name: &'static str) -> Result<Option<String>, AuthError> {
        match self.get(name) {
            None => Ok(None),
            Some(RawClaim::Str(s)) => Ok(Some(s.to_owned())),
            Some(RawClaim::Json(_)) => Err(AuthError::MalformedClaim(name)),
        }
    }

    fn boolean(&self, name: &'static str) -> Result<Option<bool>, AuthError> {
        match self.get(name) {
            None => Ok(None),
            Some(RawClaim::Str("true")) | Some(RawClaim::Json(Value::Bool(true))) => Ok(Some(true)),
            Some(RawClaim::Str("false")) | Some(RawClaim::Json(Value::Bool(false))) => {
                Ok(Some(false))
            }
            Some(_) => Err(AuthError::MalformedClaim(name)),
        }
    }

    fn list(&self, name: &'static str) -> Result<Vec<String>, AuthError> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(RawClaim::Str(s)) => Ok(match self {
                Self::Strings(_) => parse_bracketed_list(s),
                Self::Json(_) | Self::Map(_) => parse_comma_list(s),
            }),
            Some(RawClaim::Json(Value::Array(items))) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or(AuthError::MalformedClaim(name)),
            Some(RawClaim::Json(_)) => Err(AuthError::MalformedClaim(name)),
        }
    }
}

fn json_claim(value: Option<&Value>) -> Option<RawClaim<'_>> {
    match value {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(RawClaim::Str(s)),
        Some(other) => Some(RawClaim::Json(other)),
    }
}

/// API Gateway renders an array claim as `"[admin dev]"`: brackets, space-separated, unquoted.
/// A JSON array in a string (`"[\"admin\",\"dev\"]"`) and a bare `"admin"` are read too.
fn parse_bracketed_list(raw: &str) -> Vec<String> {
    if let Ok(items) = serde_json::from_str::<Vec<String>>(raw) {
        return items;
    }
    let raw = raw.trim();
    let inner = raw
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(raw);
    inner.split_whitespace().map(str::to_owned).collect()
}

/// The REST API's Cognito authorizer renders an array claim as `"admin,dev"`.
fn parse_comma_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comma_lists_as_the_rest_api_sends_them() {
        assert_eq!(parse_comma_list("admin,dev"), ["admin", "dev"]);
        assert_eq!(parse_comma_list("admin"), ["admin"]);
        assert_eq!(parse_comma_list(""), Vec::<String>::new());
        assert_eq!(parse_comma_list("a, b,,c"), ["a", "b", "c"]);
    }

    #[test]
    fn bracketed_lists_in_every_form_api_gateway_and_tests_use() {
        assert_eq!(
            parse_bracketed_list("[admin poweruser]"),
            ["admin", "poweruser"]
        );
        assert_eq!(parse_bracketed_list("[admin]"), ["admin"]);
        assert_eq!(parse_bracketed_list("[]"), Vec::<String>::new());
        assert_eq!(parse_bracketed_list(""), Vec::<String>::new());
        assert_eq!(parse_bracketed_list("admin"), ["admin"]);
        assert_eq!(parse_bracketed_list(r#"["a b","c"]"#), ["a b", "c"]);
    }
}
