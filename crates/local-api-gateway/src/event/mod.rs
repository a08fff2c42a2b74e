//! The events API Gateway sends a Lambda proxy integration, and how it reads the result:
//! payload 2.0 for HTTP APIs ([`v2`]), payload 1.0 for REST APIs ([`v1`]).
//!
//! Our own serializable types rather than `aws_lambda_events`' ones: those skip `null` fields
//! API Gateway sends (`scopes`, `pathParameters`, ...) and carry deprecated ones, and the wire
//! shape here must be API Gateway's exactly.

pub mod v1;
pub mod v2;

use std::collections::BTreeMap;

use crate::authorizer::api_key::UsedKey;
use crate::wire::percent_decode as decode;
use axum::http::{HeaderMap, Method};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::Serialize;
use serde_json::{Map, Value};

/// The event format of a Lambda proxy integration (and of an HTTP API's Lambda authorizer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadVersion {
    /// `1.0`: REST APIs, and HTTP APIs that ask for it.
    V1,
    /// `2.0`: HTTP APIs' default.
    V2,
}

/// `requestContext.authorizer` of an event, as the route's authorizer shapes it; typed so it is
/// serialized straight into the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AuthorizerContext {
    /// HTTP API JWT authorizer: `{"jwt": {"claims": ..., "scopes": ...}}`.
    Jwt { jwt: JwtContext },
    /// REST API Cognito authorizer: `{"claims": ...}`.
    Claims { claims: BTreeMap<String, String> },
    /// REST API Lambda authorizer: `principalId`, `integrationLatency` and the context's values.
    Fields(BTreeMap<String, Value>),
    /// HTTP API Lambda authorizer: `{"lambda": <context or null>}`.
    Lambda { lambda: Option<Value> },
    /// HTTP API `AWS_IAM`: `{"iam": {...}}` (REST APIs put the caller in `identity` instead).
    Iam { iam: IamContext },
}

/// Who signed a request to an `AWS_IAM` route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub access_key: String,
    pub account_id: String,
    pub caller: String,
    pub user: String,
    pub user_arn: String,
}

/// `requestContext.authorizer.iam` of an HTTP API event (captured events show these keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IamContext {
    pub access_key: String,
    pub account_id: String,
    pub caller_id: String,
    pub cognito_identity: Option<Value>,
    pub principal_org_id: Option<String>,
    pub user_arn: String,
    pub user_id: String,
}

impl IamContext {
    pub fn of(caller: &Caller) -> Self {
        Self {
            access_key: caller.access_key.clone(),
            account_id: caller.account_id.clone(),
            caller_id: caller.caller.clone(),
            cognito_identity: None,
            principal_org_id: None,
            user_arn: caller.user_arn.clone(),
            user_id: caller.user.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JwtContext {
    pub claims: BTreeMap<String, String>,
    /// `null` unless the route has authorization scopes: serialized even when `None`.
    pub scopes: Option<Vec<String>>,
}

/// The parts of an HTTP request an event carries.
#[derive(Debug, Clone)]
pub struct RequestParts<'a> {
    pub method: &'a Method,
    /// The path below the stage, still percent-encoded: what routes match.
    pub raw_path: &'a str,
    /// The path as received, stage included.
    pub full_path: &'a str,
    pub raw_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub source_ip: String,
    /// `HTTP/1.1`
    pub protocol: &'a str,
    /// `http` or `https`, and the port the request came in on: `x-forwarded-proto` and
    /// `x-forwarded-port`.
    pub scheme: &'a str,
    pub port: u16,
}

/// What API Gateway knows about the request besides the request itself.
#[derive(Debug, Clone)]
pub struct EventContext<'a> {
    /// HTTP API: `GET /hello`; REST API: the resource path, `/hello`.
    pub route_key: &'a str,
    pub path_parameters: &'a BTreeMap<String, String>,
    /// `requestContext.authorizer`, as the route's authorizer renders it.
    pub authorizer: Option<&'a AuthorizerContext>,
    /// The signer of a request to an `AWS_IAM` route (REST: `requestContext.identity`).
    pub caller: Option<&'a Caller>,
    /// The API key a REST method that requires one was called with.
    pub api_key: Option<&'a UsedKey>,
    pub request_id: &'a str,
    /// The stage's name (`$default`, `dev`) and its variables.
    pub stage: &'a str,
    pub stage_variables: &'a BTreeMap<String, String>,
    /// `12/Mar/2020:19:03:58 +0000`
    pub time: &'a str,
    pub time_epoch_ms: i64,
    pub account_id: &'a str,
    pub api_id: &'a str,
}

/// The query string's pairs in order, keys and values percent-decoded (`+` stays `+`, as API
/// Gateway leaves it).
pub fn query_pairs(raw_query: &str) -> Vec<(String, String)> {
    raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

/// The `Host` header's name part: `domainName`, and its first label `domainPrefix`.
fn domain(headers: &HeaderMap) -> (String, String) {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let name = host
        .rsplit_once(':')
        .map_or(host, |(name, _)| name)
        .to_owned();
    let prefix = name.split('.').next().unwrap_or_default().to_owned();
    (name, prefix)
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The HTTP response API Gateway makes of a function's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The function answered something API Gateway cannot turn into a response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed function response: {0}")]
pub struct MalformedResponse(pub String);

/// Headers API Gateway sets itself; the function's values are dropped.
const GATEWAY_OWNED_HEADERS: [&str; 4] = [
    "content-length",
    "connection",
    "transfer-encoding",
    "keep-alive",
];

/// Which value wins when a header is in both `headers` and `multiValueHeaders`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderMerge {
    /// Payload 2.0: `headers` replaces the name's values.
    SingleWins,
    /// REST ("Lambda proxy integrations"): "only the values from multiValueHeaders will appear".
    MultiWins,
}

/// `statusCode`: an integer HTTP status.
fn status_code(object: &Map<String, Value>) -> Result<u16, MalformedResponse> {
    object
        .get("statusCode")
        .and_then(Value::as_u64)
        .filter(|s| (100..=599).contains(s))
        .map(|s| s as u16)
        .ok_or_else(|| MalformedResponse("statusCode is not an HTTP status".into()))
}

/// `multiValueHeaders` and `headers`, names lower-cased, merged as `merge` says.
fn result_headers(
    object: &Map<String, Value>,
    merge: HeaderMerge,
) -> Result<Vec<(String, String)>, MalformedResponse> {
    let mut multi_values: Vec<(String, String)> = Vec::new();
    if let Some(multi) = non_null(object.get("multiValueHeaders")) {
        let multi = multi
            .as_object()
            .ok_or_else(|| MalformedResponse("multiValueHeaders is not an object".into()))?;
        for (name, values) in multi {
            let values = values.as_array().ok_or_else(|| {
                MalformedResponse(format!("multiValueHeaders.{name} is not a list"))
            })?;
            for value in values {
                multi_values.push((name.to_ascii_lowercase(), header_text(value, name)?));
            }
        }
    }
    let mut headers = multi_values;
    if let Some(single) = non_null(object.get("headers")) {
        let single = single
            .as_object()
            .ok_or_else(|| MalformedResponse("headers is not an object".into()))?;
        for (name, value) in single {
            let name = name.to_ascii_lowercase();
            let in_multi = headers.iter().any(|(existing, _)| *existing == name);
            match (merge, in_multi) {
                (HeaderMerge::MultiWins, true) => continue,
                (HeaderMerge::SingleWins, true) => {
                    headers.retain(|(existing, _)| *existing != name)
                }
                (_, false) => {}
            }
            headers.push((name.clone(), header_text(value, &name)?));
        }
    }
    Ok(headers)
}

/// `body` (a string, or absent/null) as bytes: decoded from base64 when `isBase64Encoded` says
/// it is and `decode` allows it, else as the text it is.
fn result_body(object: &Map<String, Value>, decode: bool) -> Result<Vec<u8>, MalformedResponse> {
    let text = match non_null(object.get("body")) {
        None => return Ok(Vec::new()),
        Some(Value::String(text)) => text,
        Some(_) => return Err(MalformedResponse("body is not a string".into())),
    };
    let base64 = match non_null(object.get("isBase64Encoded")) {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(MalformedResponse("isBase64Encoded is not a boolean".into())),
    };
    if base64 && decode {
        STANDARD
            .decode(text)
            .map_err(|_| MalformedResponse("body is not valid base64".into()))
    } else {
        Ok(text.as_bytes().to_vec())
    }
}

/// Drops the headers API Gateway owns and refuses names or values HTTP cannot carry.
fn check_headers(headers: &mut Vec<(String, String)>) -> Result<(), MalformedResponse> {
    headers.retain(|(name, _)| !GATEWAY_OWNED_HEADERS.contains(&name.as_str()));
    for (name, value) in headers.iter() {
        if crate::wire::header(name, value).is_none() {
            return Err(MalformedResponse(format!(
                "header `{name}` is not a valid HTTP header"
            )));
        }
    }
    Ok(())
}

fn non_null(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null())
}

fn header_text(value: &Value, name: &str) -> Result<String, MalformedResponse> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(MalformedResponse(format!(
            "header `{name}` is not a string"
        ))),
    }
}
