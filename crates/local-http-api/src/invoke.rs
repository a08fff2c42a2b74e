//! Calling the function through the Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`),
//! which `cargo lambda watch` serves, and reading its answer as API Gateway does.

use std::{future::Future, time::Duration};

use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    #[error("the invoke endpoint {endpoint} is not reachable: {reason}")]
    Unreachable { endpoint: String, reason: String },
    #[error("the invoke endpoint has no function named `{0}`")]
    NoSuchFunction(String),
    #[error("the function did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the function failed ({error_type})")]
    FunctionError { error_type: String },
}

/// Something that runs a function with a payload and returns its result payload.
pub trait Invoke: Send + Sync + 'static {
    fn invoke(
        &self,
        function: &str,
        payload: Vec<u8>,
        timeout: Duration,
    ) -> impl Future<Output = Result<Vec<u8>, InvokeError>> + Send;
}

/// The Lambda Invoke API over HTTP.
#[derive(Clone)]
pub struct LambdaInvokeClient {
    client: reqwest::Client,
    endpoint: String,
}

impl LambdaInvokeClient {
    pub fn new(endpoint: &str) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .no_proxy()
            .build()?;
        Ok(Self {
            client,
            endpoint: endpoint.trim_end_matches('/').to_owned(),
        })
    }
}

impl Invoke for LambdaInvokeClient {
    async fn invoke(
        &self,
        function: &str,
        payload: Vec<u8>,
        timeout: Duration,
    ) -> Result<Vec<u8>, InvokeError> {
        let url = format!(
            "{}/2015-03-31/functions/{function}/invocations",
            self.endpoint
        );
        let sent = self
            .client
            .post(&url)
            .header("content-type", "application/json")
            .timeout(timeout)
            .body(payload)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(err) if err.is_timeout() => return Err(InvokeError::Timeout(timeout)),
            Err(err) => {
                return Err(InvokeError::Unreachable {
                    endpoint: self.endpoint.clone(),
                    reason: root_cause(&err),
                });
            }
        };
        let status = response.status();
        let function_error = response
            .headers()
            .get("x-amz-function-error")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = match response.bytes().await {
            Ok(body) => body.to_vec(),
            Err(err) if err.is_timeout() => return Err(InvokeError::Timeout(timeout)),
            Err(err) => {
                return Err(InvokeError::Unreachable {
                    endpoint: self.endpoint.clone(),
                    reason: root_cause(&err),
                });
            }
        };
        // The real Invoke API answers 200 with X-Amz-Function-Error; `cargo lambda watch`
        // answers 500 with the error document, and 404 for a function it does not know.
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(InvokeError::NoSuchFunction(function.to_owned()));
        }
        if function_error.is_some() || !status.is_success() {
            let error_type = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|doc| {
                    doc.get("errorType")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .or(function_error)
                .unwrap_or_else(|| format!("HTTP {status}"));
            return Err(InvokeError::FunctionError { error_type });
        }
        Ok(body)
    }
}

fn root_cause(err: &dyn std::error::Error) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
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

/// Payload 2.0 rules: an object with `statusCode` is a structured response (`headers`,
/// `multiValueHeaders`, `cookies`, `body`, `isBase64Encoded`); any other valid JSON is a 200
/// `application/json` response whose body is that JSON.
pub fn map_function_response(payload: &[u8]) -> Result<FunctionResponse, MalformedResponse> {
    let value: Value =
        serde_json::from_slice(payload).map_err(|e| MalformedResponse(format!("not JSON: {e}")))?;
    let Some(object) = value.as_object().filter(|o| o.contains_key("statusCode")) else {
        return Ok(FunctionResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: payload.to_vec(),
        });
    };
    let status = object
        .get("statusCode")
        .and_then(Value::as_u64)
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| MalformedResponse("statusCode is not an HTTP status".into()))?
        as u16;

    let mut headers: Vec<(String, String)> = Vec::new();
    if let Some(multi) = non_null(object.get("multiValueHeaders")) {
        let multi = multi
            .as_object()
            .ok_or_else(|| MalformedResponse("multiValueHeaders is not an object".into()))?;
        for (name, values) in multi {
            let values = values.as_array().ok_or_else(|| {
                MalformedResponse(format!("multiValueHeaders.{name} is not a list"))
            })?;
            for value in values {
                headers.push((name.to_ascii_lowercase(), header_text(value, name)?));
            }
        }
    }
    if let Some(single) = non_null(object.get("headers")) {
        let single = single
            .as_object()
            .ok_or_else(|| MalformedResponse("headers is not an object".into()))?;
        for (name, value) in single {
            let name = name.to_ascii_lowercase();
            headers.retain(|(existing, _)| *existing != name);
            headers.push((name.clone(), header_text(value, &name)?));
        }
    }
    if let Some(cookies) = non_null(object.get("cookies")) {
        let cookies = cookies
            .as_array()
            .ok_or_else(|| MalformedResponse("cookies is not a list".into()))?;
        for cookie in cookies {
            headers.push(("set-cookie".into(), header_text(cookie, "cookies")?));
        }
    }
    headers.retain(|(name, _)| !GATEWAY_OWNED_HEADERS.contains(&name.as_str()));
    for (name, value) in &headers {
        if axum::http::HeaderName::try_from(name.as_str()).is_err()
            || axum::http::HeaderValue::try_from(value.as_str()).is_err()
        {
            return Err(MalformedResponse(format!(
                "header `{name}` is not a valid HTTP header"
            )));
        }
    }

    let body = match non_null(object.get("body")) {
        None => Vec::new(),
        Some(Value::String(text)) => {
            let base64 = match non_null(object.get("isBase64Encoded")) {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => {
                    return Err(MalformedResponse("isBase64Encoded is not a boolean".into()));
                }
            };
            if base64 {
                STANDARD
                    .decode(text)
                    .map_err(|_| MalformedResponse("body is not valid base64".into()))?
            } else {
                text.clone().into_bytes()
            }
        }
        Some(_) => return Err(MalformedResponse("body is not a string".into())),
    };
    Ok(FunctionResponse {
        status,
        headers,
        body,
    })
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
