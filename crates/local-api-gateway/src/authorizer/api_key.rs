//! API keys (REST APIs): a method with `apiKeyRequired` takes a key from the `x-api-key` header
//! (`ApiKeySourceType: HEADER`, the default) or from its Lambda authorizer's `usageIdentifierKey`
//! (`AUTHORIZER`), and lets the request through only if the key is enabled and in a usage plan
//! of the stage ("Choose an API key source", "Usage plans and API keys"). A missing, unknown or
//! disabled key, or one whose plan does not include the stage, is `403 {"message":"Forbidden"}`
//! (`INVALID_API_KEY`, `x-amzn-ErrorType: ForbiddenException`; public captures, LocalStack).
//!
//! Chosen where AWS decides alone: a key without `Value` (AWS generates one at deploy) is
//! `local-<LogicalId>` unless `--api-key LogicalId=VALUE` gives it; the key is checked after the
//! authorizer (the order API Gateway applies: authorization, then the usage plan). Usage plans'
//! quotas and throttles are not enforced.

use axum::http::HeaderMap;

use super::Denial;

/// Where a method that requires an API key takes it from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiKeySource {
    /// The `x-api-key` header.
    #[default]
    Header,
    /// The Lambda authorizer's `usageIdentifierKey`.
    Authorizer,
}

impl std::fmt::Display for ApiKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Header => "from the x-api-key header",
            Self::Authorizer => "from the authorizer's usageIdentifierKey",
        })
    }
}

/// One API key the API accepts, and the stages its usage plans cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// The key's id (`$context.identity.apiKeyId`): its resource's local id.
    pub id: String,
    pub value: String,
    pub stages: Vec<String>,
}

/// A REST API's keys.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiKeys {
    pub source: ApiKeySource,
    pub keys: Vec<ApiKey>,
}

/// The key a request was let through with: `requestContext.identity.apiKey` / `apiKeyId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedKey {
    pub id: String,
    pub value: String,
}

impl ApiKeys {
    /// The key of a request to `stage`: from the header, or from what the authorizer returned.
    pub fn check(
        &self,
        stage: &str,
        headers: &HeaderMap,
        usage_identifier_key: Option<&str>,
    ) -> Result<UsedKey, Denial> {
        let presented = match self.source {
            ApiKeySource::Header => {
                let mut values = headers.get_all("x-api-key").iter();
                match (values.next(), values.next()) {
                    (Some(value), None) => value.to_str().ok(),
                    _ => None,
                }
            }
            ApiKeySource::Authorizer => usage_identifier_key,
        };
        let Some(presented) = presented.filter(|v| !v.is_empty()) else {
            return Err(Denial::InvalidApiKey {
                reason: "no API key".into(),
            });
        };
        let key = self
            .keys
            .iter()
            .find(|key| key.value == presented)
            .ok_or_else(|| Denial::InvalidApiKey {
                reason: "an unknown API key".into(),
            })?;
        if !key.stages.iter().any(|s| s == stage) {
            return Err(Denial::InvalidApiKey {
                reason: format!("API key {} is in no usage plan of stage {stage}", key.id).into(),
            });
        }
        Ok(UsedKey {
            id: key.id.clone(),
            value: key.value.clone(),
        })
    }
}
