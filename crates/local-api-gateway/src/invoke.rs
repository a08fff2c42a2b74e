//! Calling the function through the Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`),
//! which `cargo lambda watch` serves. The result is read by [`crate::event`].

use std::{future::Future, time::Duration};

use serde_json::Value;

/// Lambda's limit on a synchronous invocation's response; larger is a function error. Not 6 MiB:
/// Lambda's `Function.ResponseSizeTooLarge` names "maximum allowed payload size (6291556
/// bytes)", and a response of exactly that size is returned (seen: Zac Charles, "Deep Dive:
/// Lambda's Response Payload Size Limit", 2022). The request side is 6 MiB (`gateway.rs`).
pub const MAX_RESULT_BYTES: usize = 6_291_556;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    #[error("the invoke endpoint {endpoint} is not reachable: {reason}")]
    Unreachable { endpoint: String, reason: String },
    #[error("the invoke endpoint has no function named `{0}`")]
    NoSuchFunction(String),
    #[error("the function did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the function failed ({error_type})")]
    FunctionError {
        error_type: String,
        /// The error document's `errorMessage` (a Lambda authorizer's `Unauthorized`).
        message: Option<String>,
    },
}

/// A function an integration or a Lambda authorizer invokes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionTarget {
    /// The function's logical id.
    pub logical_id: String,
    /// Its name at the invoke endpoint: the cargo-lambda binary
    /// (`Metadata.BuildProperties.Binary`), else the logical id.
    pub name: String,
    /// The function's `Timeout` (or `Globals.Function.Timeout`, or Lambda's 3 s).
    pub timeout: Duration,
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
    pub fn new(endpoint: &str) -> Result<Self, crate::keys::ClientError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .no_proxy()
            // reqwest needs a TLS set-up even for plain http: the key fetcher's.
            .tls_backend_preconfigured(crate::keys::tls_config(None)?)
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
        let mut response = response;
        let body = match crate::wire::read_capped(&mut response, MAX_RESULT_BYTES).await {
            Ok(Some(body)) => body,
            Ok(None) => {
                return Err(InvokeError::FunctionError {
                    error_type: "Function.ResponseSizeTooLarge".into(),
                    message: None,
                });
            }
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
            let document = serde_json::from_slice::<Value>(&body).ok();
            let field = |name: &str| {
                document
                    .as_ref()
                    .and_then(|doc| doc.get(name))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let error_type = field("errorType")
                .or(function_error)
                .unwrap_or_else(|| format!("HTTP {status}"));
            return Err(InvokeError::FunctionError {
                error_type,
                message: field("errorMessage"),
            });
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
