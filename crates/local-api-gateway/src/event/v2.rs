//! Payload 2.0 (HTTP API): the event, and the response API Gateway makes of the result
//! ("Create AWS Lambda proxy integrations for HTTP APIs").

use std::collections::BTreeMap;

use base64::{Engine, engine::general_purpose::STANDARD};
use serde::Serialize;
use serde_json::Value;

use super::{
    AuthorizerContext, EventContext, FunctionResponse, HeaderMerge, MalformedResponse,
    RequestParts, check_headers, content_type, domain, header_text, non_null, query_pairs,
    result_body, result_headers, status_code,
};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpApiEvent<'a> {
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
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub stage_variables: BTreeMap<String, String>,
    pub request_context: RequestContext<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub is_base64_encoded: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestContext<'a> {
    pub account_id: String,
    pub api_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer: Option<&'a AuthorizerContext>,
    pub domain_name: String,
    pub domain_prefix: String,
    pub http: Http,
    pub request_id: String,
    pub route_key: String,
    pub stage: String,
    pub time: String,
    pub time_epoch: i64,
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

pub fn build_event<'a>(req: &RequestParts<'_>, ctx: &EventContext<'a>) -> HttpApiEvent<'a> {
    let (headers, cookies) = event_headers(req);
    let (domain_name, domain_prefix) = domain(req.headers);
    let (body, is_base64_encoded) = event_body(req);
    HttpApiEvent {
        version: "2.0",
        route_key: ctx.route_key.to_owned(),
        // An HTTP API's paths keep a named stage (`/prod/hello`); `$default` has none.
        raw_path: req.full_path.to_owned(),
        raw_query_string: req.raw_query.to_owned(),
        cookies,
        query_string_parameters: query_parameters(req.raw_query),
        path_parameters: ctx.path_parameters.clone(),
        stage_variables: ctx.stage_variables.clone(),
        request_context: RequestContext {
            account_id: ctx.account_id.to_owned(),
            api_id: ctx.api_id.to_owned(),
            authorizer: ctx.authorizer,
            domain_name,
            domain_prefix,
            http: Http {
                method: req.method.as_str().to_owned(),
                path: req.full_path.to_owned(),
                protocol: req.protocol.to_owned(),
                source_ip: req.source_ip.clone(),
                user_agent: headers.get("user-agent").cloned().unwrap_or_default(),
            },
            request_id: ctx.request_id.to_owned(),
            route_key: ctx.route_key.to_owned(),
            stage: ctx.stage.to_owned(),
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
    for (key, value) in query_pairs(raw_query) {
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
pub(super) fn event_body(req: &RequestParts<'_>) -> (Option<String>, bool) {
    if req.body.is_empty() {
        return (None, false);
    }
    if is_text(&content_type(req.headers))
        && let Ok(text) = std::str::from_utf8(req.body)
    {
        return (Some(text.to_owned()), false);
    }
    (Some(STANDARD.encode(req.body)), true)
}

fn is_text(mime: &str) -> bool {
    mime.starts_with("text/")
        || matches!(
            mime,
            "application/json" | "application/javascript" | "application/xml" | "application/yaml"
        )
        || mime.ends_with("+json")
        || mime.ends_with("+xml")
}

/// An object with `statusCode` is a structured response (`headers`, `multiValueHeaders`,
/// `cookies`, `body`, `isBase64Encoded`); any other valid JSON is a 200 `application/json`
/// response whose body is that JSON.
pub fn map_result(payload: &[u8]) -> Result<FunctionResponse, MalformedResponse> {
    let value: Value =
        serde_json::from_slice(payload).map_err(|e| MalformedResponse(format!("not JSON: {e}")))?;
    let Some(object) = value.as_object().filter(|o| o.contains_key("statusCode")) else {
        return Ok(FunctionResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: payload.to_vec(),
        });
    };
    let status = status_code(object)?;
    let mut headers = result_headers(object, HeaderMerge::SingleWins)?;
    if let Some(cookies) = non_null(object.get("cookies")) {
        let cookies = cookies
            .as_array()
            .ok_or_else(|| MalformedResponse("cookies is not a list".into()))?;
        for cookie in cookies {
            headers.push(("set-cookie".into(), header_text(cookie, "cookies")?));
        }
    }
    check_headers(&mut headers)?;
    let body = result_body(object, true)?;
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
            "application/json",
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
