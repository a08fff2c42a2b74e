//! The HTTP API payload 2.0 event, built as API Gateway builds it.
//!
//! Our own serializable types rather than `aws_lambda_events`' ones: those skip `scopes: null` and
//! carry deprecated fields, and the wire shape here must be API Gateway's exactly.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, Method};
use base64::{Engine, engine::general_purpose::STANDARD};
use percent_encoding::percent_decode_str;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::authorizer::Verified;

/// The parts of an HTTP request the event carries.
#[derive(Debug, Clone)]
pub struct RequestParts<'a> {
    pub method: &'a Method,
    /// The path as received, still percent-encoded.
    pub raw_path: &'a str,
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
    pub route_key: &'a str,
    pub path_parameters: &'a BTreeMap<String, String>,
    pub authorizer: Option<&'a Verified>,
    pub request_id: &'a str,
    pub time: &'a str,
    pub time_epoch_ms: i64,
    pub account_id: &'a str,
    pub api_id: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpApiEvent {
    pub version: &'static str,
    pub route_key: String,
    pub raw_path: String,
    pub raw_query_string: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cookies: Vec<String>,
    pub headers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub query_string_parameters: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub path_parameters: BTreeMap<String, String>,
    pub request_context: RequestContext,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub is_base64_encoded: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestContext {
    pub account_id: String,
    pub api_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer: Option<Authorizer>,
    pub domain_name: String,
    pub domain_prefix: String,
    pub http: Http,
    pub request_id: String,
    pub route_key: String,
    pub stage: &'static str,
    pub time: String,
    pub time_epoch: i64,
}

#[derive(Debug, Serialize)]
pub struct Authorizer {
    pub jwt: Jwt,
}

#[derive(Debug, Serialize)]
pub struct Jwt {
    pub claims: BTreeMap<String, String>,
    /// `null` unless the route has authorization scopes: serialized even when `None`.
    pub scopes: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Http {
    pub method: String,
    pub path: String,
    pub protocol: String,
    pub source_ip: String,
    pub user_agent: String,
}

pub fn build_v2_event(req: &RequestParts<'_>, ctx: &EventContext<'_>) -> HttpApiEvent {
    let (headers, cookies) = event_headers(req);
    let host = req
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let domain_name = host
        .rsplit_once(':')
        .map_or(host, |(name, _)| name)
        .to_owned();
    let domain_prefix = domain_name.split('.').next().unwrap_or_default().to_owned();
    let (body, is_base64_encoded) = event_body(req);
    HttpApiEvent {
        version: "2.0",
        route_key: ctx.route_key.to_owned(),
        raw_path: req.raw_path.to_owned(),
        raw_query_string: req.raw_query.to_owned(),
        cookies,
        query_string_parameters: query_parameters(req.raw_query),
        path_parameters: ctx.path_parameters.clone(),
        request_context: RequestContext {
            account_id: ctx.account_id.to_owned(),
            api_id: ctx.api_id.to_owned(),
            authorizer: ctx.authorizer.map(|verified| Authorizer {
                jwt: Jwt {
                    claims: render_claims(&verified.claims),
                    scopes: verified.scopes.clone(),
                },
            }),
            domain_name,
            domain_prefix,
            http: Http {
                method: req.method.as_str().to_owned(),
                path: req.raw_path.to_owned(),
                protocol: req.protocol.to_owned(),
                source_ip: req.source_ip.clone(),
                user_agent: headers.get("user-agent").cloned().unwrap_or_default(),
            },
            request_id: ctx.request_id.to_owned(),
            route_key: ctx.route_key.to_owned(),
            stage: "$default",
            time: ctx.time.to_owned(),
            time_epoch: ctx.time_epoch_ms,
        },
        body,
        is_base64_encoded,
        headers,
    }
}

/// Lower-cased names, repeated headers joined with commas, `cookie` moved to `cookies`, and the
/// `x-forwarded-*` headers API Gateway adds.
fn event_headers(req: &RequestParts<'_>) -> (BTreeMap<String, String>, Vec<String>) {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut cookies = Vec::new();
    for (name, value) in req.headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        if name == "cookie" {
            cookies.extend(
                value
                    .split(';')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned),
            );
            continue;
        }
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|existing| {
                existing.push(',');
                existing.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    headers
        .entry("x-forwarded-for".into())
        .and_modify(|existing| {
            existing.push_str(", ");
            existing.push_str(&req.source_ip);
        })
        .or_insert_with(|| req.source_ip.clone());
    headers.insert("x-forwarded-port".into(), req.port.to_string());
    headers.insert("x-forwarded-proto".into(), req.scheme.to_owned());
    (headers, cookies)
}

/// Repeated keys joined with commas; keys and values percent-decoded.
pub fn query_parameters(raw_query: &str) -> BTreeMap<String, String> {
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode_str(key).decode_utf8_lossy().into_owned();
        let value = percent_decode_str(value).decode_utf8_lossy().into_owned();
        params
            .entry(key)
            .and_modify(|existing| {
                existing.push(',');
                existing.push_str(&value);
            })
            .or_insert(value);
    }
    params
}

/// Text bodies are passed as they are; anything else is base64-encoded, as HTTP APIs do.
fn event_body(req: &RequestParts<'_>) -> (Option<String>, bool) {
    if req.body.is_empty() {
        return (None, false);
    }
    let content_type = req
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if is_text(content_type)
        && let Ok(text) = std::str::from_utf8(req.body)
    {
        return (Some(text.to_owned()), false);
    }
    (Some(STANDARD.encode(req.body)), true)
}

fn is_text(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    mime.starts_with("text/")
        || matches!(
            mime.as_str(),
            "application/json" | "application/javascript" | "application/xml" | "application/yaml"
        )
        || mime.ends_with("+json")
        || mime.ends_with("+xml")
}

/// Claims in the wire format measured on a live HTTP API: every value a string, arrays as
/// `[a b]`, objects as JSON text, null-valued claims left out.
pub fn render_claims(claims: &Map<String, Value>) -> BTreeMap<String, String> {
    claims
        .iter()
        .filter_map(|(name, value)| render_claim(value).map(|v| (name.clone(), v)))
        .collect()
}

fn render_claim(value: &Value) -> Option<String> {
    Some(match value {
        Value::Null => return None,
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|item| match item {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            format!("[{}]", items.join(" "))
        }
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        let rendered = render_claims(claims.as_object().unwrap());
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

    #[test]
    fn repeated_query_parameters_are_joined_and_decoded() {
        let params = query_parameters("a=1&b=x%20y&a=2&flag&=empty");
        assert_eq!(params["a"], "1,2");
        assert_eq!(params["b"], "x y");
        assert_eq!(params["flag"], "");
        assert_eq!(params[""], "empty");
    }

    #[test]
    fn content_types_that_stay_text() {
        for text in [
            "text/plain",
            "application/json; charset=utf-8",
            "application/vnd.api+json",
            "image/svg+xml",
        ] {
            assert!(is_text(text), "{text}");
        }
        for binary in [
            "",
            "application/octet-stream",
            "image/png",
            "application/x-www-form-urlencoded",
        ] {
            assert!(!is_text(binary), "{binary}");
        }
    }
}
