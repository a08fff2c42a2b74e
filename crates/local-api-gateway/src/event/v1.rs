//! Payload 1.0 (REST API Lambda proxy integrations, and HTTP API integrations that ask for it):
//! the event, and the response API Gateway makes of the result ("Lambda proxy integrations in API
//! Gateway"; "Create AWS Lambda proxy integrations for HTTP APIs", format 1.0).

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::Serialize;
use serde_json::Value;

use super::{
    AuthorizerContext, EventContext, FunctionResponse, HeaderMerge, MalformedResponse,
    RequestParts, check_headers, content_type, domain, query_pairs, result_body, result_headers,
    status_code,
};

/// What payload 1.0 adds to [`EventContext`].
#[derive(Debug, Clone)]
pub struct V1Context<'a> {
    /// The resource's id (`resourceId`, REST APIs), stable per resource path; `null` from HTTP APIs.
    pub resource_id: Option<&'a str>,
    pub extended_request_id: &'a str,
    pub dialect: Dialect<'a>,
}

/// Where the REST API's and the HTTP API's payload 1.0 differ.
#[derive(Debug, Clone, Copy)]
pub enum Dialect<'a> {
    /// REST APIs: header names as the client sent them (Title-Case here, see [`title_case`]);
    /// bodies base64-encoded only for the API's `BinaryMediaTypes`.
    Rest { binary_media_types: &'a [String] },
    /// HTTP APIs: `version: "1.0"`, lower-case header names, non-text bodies base64-encoded, as
    /// in payload 2.0.
    Http,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestApiEvent<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<&'static str>,
    pub resource: String,
    pub path: String,
    pub http_method: String,
    pub headers: BTreeMap<String, String>,
    pub multi_value_headers: BTreeMap<String, Vec<String>>,
    pub query_string_parameters: Option<BTreeMap<String, String>>,
    pub multi_value_query_string_parameters: Option<BTreeMap<String, Vec<String>>>,
    pub path_parameters: Option<BTreeMap<String, String>>,
    pub stage_variables: Option<BTreeMap<String, String>>,
    pub request_context: RequestContext<'a>,
    pub body: Option<String>,
    pub is_base64_encoded: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestContext<'a> {
    pub account_id: String,
    pub api_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer: Option<V1Authorizer<'a>>,
    pub domain_name: String,
    pub domain_prefix: String,
    pub extended_request_id: String,
    pub http_method: String,
    pub identity: Identity,
    /// The path as the client sent it, stage included: `/dev/hello`.
    pub path: String,
    pub protocol: String,
    pub request_id: String,
    pub request_time: String,
    pub request_time_epoch: i64,
    pub resource_id: Option<String>,
    pub resource_path: String,
    pub stage: String,
}

/// `requestContext.authorizer` in payload 1.0: an HTTP API's JWT claims come as
/// `{"claims": ..., "scopes": ...}` rather than under `jwt`; the rest as the authorizer made it.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum V1Authorizer<'a> {
    Jwt {
        claims: &'a BTreeMap<String, String>,
        scopes: &'a Option<Vec<String>>,
    },
    Other(&'a AuthorizerContext),
}

impl<'a> From<&'a AuthorizerContext> for V1Authorizer<'a> {
    fn from(context: &'a AuthorizerContext) -> Self {
        match context {
            AuthorizerContext::Jwt { jwt } => Self::Jwt {
                claims: &jwt.claims,
                scopes: &jwt.scopes,
            },
            other => Self::Other(other),
        }
    }
}

/// The caller's identity: only `sourceIp` and `userAgent` are known without IAM or an identity
/// pool; the rest is `null`, as API Gateway sends it. A signed request (`AWS_IAM`) fills in the
/// signer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub access_key: Option<String>,
    /// Only for methods that require an API key (captures of other methods have neither).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_id: Option<String>,
    pub account_id: Option<String>,
    pub caller: Option<String>,
    pub cognito_authentication_provider: Option<String>,
    pub cognito_authentication_type: Option<String>,
    pub cognito_identity_id: Option<String>,
    pub cognito_identity_pool_id: Option<String>,
    pub principal_org_id: Option<String>,
    pub source_ip: String,
    pub user: Option<String>,
    pub user_agent: String,
    pub user_arn: Option<String>,
}

pub fn build_event<'a>(
    req: &RequestParts<'_>,
    ctx: &EventContext<'a>,
    v1: &V1Context<'_>,
) -> RestApiEvent<'a> {
    let multi_value_headers = event_headers(req, v1.dialect);
    let headers: BTreeMap<String, String> = multi_value_headers
        .iter()
        .filter_map(|(name, values)| Some((name.clone(), values.last()?.clone())))
        .collect();
    let mut multi_query: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, value) in query_pairs(req.raw_query) {
        multi_query.entry(key).or_default().push(value);
    }
    let query: BTreeMap<String, String> = multi_query
        .iter()
        .filter_map(|(key, values)| Some((key.clone(), values.last()?.clone())))
        .collect();
    let (domain_name, domain_prefix) = domain(req.headers);
    let (body, is_base64_encoded) = match v1.dialect {
        Dialect::Rest { binary_media_types } => event_body(req, binary_media_types),
        Dialect::Http => super::v2::event_body(req),
    };
    let user_agent = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("user-agent"))
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    RestApiEvent {
        version: matches!(v1.dialect, Dialect::Http).then_some("1.0"),
        resource: ctx.route_key.to_owned(),
        // REST: below the stage; HTTP APIs keep a named stage in every path.
        path: match v1.dialect {
            Dialect::Rest { .. } => req.raw_path.to_owned(),
            Dialect::Http => req.full_path.to_owned(),
        },
        http_method: req.method.as_str().to_owned(),
        headers,
        multi_value_headers,
        query_string_parameters: (!query.is_empty()).then_some(query),
        multi_value_query_string_parameters: (!multi_query.is_empty()).then_some(multi_query),
        path_parameters: (!ctx.path_parameters.is_empty()).then(|| ctx.path_parameters.clone()),
        stage_variables: (!ctx.stage_variables.is_empty()).then(|| ctx.stage_variables.clone()),
        request_context: RequestContext {
            account_id: ctx.account_id.to_owned(),
            api_id: ctx.api_id.to_owned(),
            // A REST API tells the integration who signed in `identity` alone (captures).
            authorizer: ctx
                .authorizer
                .filter(|a| {
                    !(matches!(v1.dialect, Dialect::Rest { .. })
                        && matches!(a, AuthorizerContext::Iam { .. }))
                })
                .map(V1Authorizer::from),
            domain_name,
            domain_prefix,
            extended_request_id: v1.extended_request_id.to_owned(),
            http_method: req.method.as_str().to_owned(),
            identity: Identity {
                access_key: ctx.caller.map(|c| c.access_key.clone()),
                api_key: ctx.api_key.map(|k| k.value.clone()),
                api_key_id: ctx.api_key.map(|k| k.id.clone()),
                account_id: ctx.caller.map(|c| c.account_id.clone()),
                caller: ctx.caller.map(|c| c.caller.clone()),
                cognito_authentication_provider: None,
                cognito_authentication_type: None,
                cognito_identity_id: None,
                cognito_identity_pool_id: None,
                principal_org_id: None,
                source_ip: req.source_ip.clone(),
                user: ctx.caller.map(|c| c.user.clone()),
                user_agent,
                user_arn: ctx.caller.map(|c| c.user_arn.clone()),
            },
            path: req.full_path.to_owned(),
            protocol: req.protocol.to_owned(),
            request_id: ctx.request_id.to_owned(),
            request_time: ctx.time.to_owned(),
            request_time_epoch: ctx.time_epoch_ms,
            resource_id: v1.resource_id.map(str::to_owned),
            resource_path: ctx.route_key.to_owned(),
            stage: ctx.stage.to_owned(),
        },
        body,
        is_base64_encoded,
    }
}

/// Every header with all its values, plus the `X-Forwarded-*` API Gateway adds. REST names in
/// Title-Case: a REST API passes names in the case the client sent them, which the local server
/// (hyper) does not keep; Title-Case is what curl and SDKs send and what AWS's examples show.
/// Functions should compare names case-insensitively either way (lambda_http does). HTTP APIs
/// lower-case every name.
fn event_headers(req: &RequestParts<'_>, dialect: Dialect<'_>) -> BTreeMap<String, Vec<String>> {
    let name_of = |name: &str| match dialect {
        Dialect::Rest { .. } => title_case(name),
        Dialect::Http => name.to_owned(),
    };
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in req.headers {
        headers
            .entry(name_of(name.as_str()))
            .or_default()
            .push(String::from_utf8_lossy(value.as_bytes()).into_owned());
    }
    let forwarded_for = headers.entry(name_of("x-forwarded-for")).or_default();
    match forwarded_for.last_mut() {
        Some(existing) => {
            existing.push_str(", ");
            existing.push_str(&req.source_ip);
        }
        None => forwarded_for.push(req.source_ip.clone()),
    }
    headers.insert(name_of("x-forwarded-port"), vec![req.port.to_string()]);
    headers.insert(name_of("x-forwarded-proto"), vec![req.scheme.to_owned()]);
    headers
}

/// `x-amzn-trace-id` -> `X-Amzn-Trace-Id`.
pub fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// A REST API passes bodies as text unless the content type is one of `BinaryMediaTypes`.
fn event_body(req: &RequestParts<'_>, binary_media_types: &[String]) -> (Option<String>, bool) {
    if req.body.is_empty() {
        return (None, false);
    }
    if is_binary(&content_type(req.headers), binary_media_types) {
        return (Some(STANDARD.encode(req.body)), true);
    }
    (Some(String::from_utf8_lossy(req.body).into_owned()), false)
}

/// `image/png` matches `image/png`, `image/*` and `*/*`.
fn is_binary(mime: &str, binary_media_types: &[String]) -> bool {
    let major = mime.split('/').next().unwrap_or_default();
    binary_media_types.iter().any(|t| {
        let t = t.to_ascii_lowercase();
        t == "*/*" || t == mime || t.strip_suffix("/*").is_some_and(|m| m == major)
    })
}

/// A proxy result must be an object with `statusCode`; `body` a string; when both `headers`
/// and `multiValueHeaders` name a header, only the multi values count. A base64 body
/// (`isBase64Encoded`) is decoded only when the request's `Accept` is a binary media type, as
/// API Gateway does; otherwise the client gets the base64 text. Anything else: "Malformed Lambda
/// proxy response" (502).
pub fn map_result(
    payload: &[u8],
    request_headers: &HeaderMap,
    binary_media_types: &[String],
) -> Result<FunctionResponse, MalformedResponse> {
    let value: Value =
        serde_json::from_slice(payload).map_err(|e| MalformedResponse(format!("not JSON: {e}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| MalformedResponse("not a JSON object".into()))?;
    let status = status_code(object)?;
    let mut headers = result_headers(object, HeaderMerge::MultiWins)?;
    check_headers(&mut headers)?;
    let accept = request_headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let body = result_body(object, is_binary(&accept, binary_media_types))?;
    Ok(FunctionResponse {
        status,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_title_cased() {
        assert_eq!(title_case("x-amzn-trace-id"), "X-Amzn-Trace-Id");
        assert_eq!(title_case("authorization"), "Authorization");
        assert_eq!(title_case("a--b"), "A--B");
    }

    #[test]
    fn binary_media_types_match_exactly_or_by_wildcard() {
        let types = ["image/*".to_owned(), "application/octet-stream".to_owned()];
        assert!(is_binary("image/png", &types));
        assert!(is_binary("application/octet-stream", &types));
        assert!(!is_binary("application/json", &types));
        assert!(!is_binary("", &types));
        assert!(is_binary("text/plain", &["*/*".to_owned()]));
        assert!(!is_binary("image/png", &[]));
    }
}
