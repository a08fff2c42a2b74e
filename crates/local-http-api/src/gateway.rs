//! One request through the local HTTP API: limits, CORS, route, authorizer, event, invoke,
//! response. Plain `http` types in and out, so tests drive it without sockets.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    body::{Body, to_bytes},
    http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::Serialize;
use time::{OffsetDateTime, macros::format_description};

use crate::{
    authorizer::{JwtAuthorizer, Refusal},
    event::{EventContext, RequestParts, build_v2_event},
    invoke::{Invoke, InvokeError, map_function_response},
    jwks::{FetchJwks, KeyCache},
    router::match_route,
    template::{CorsConfig, HttpApi, IdentitySource, RouteAuth},
};

/// API Gateway HTTP API quotas: 10 MB payload; request line and headers 10 KB together.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_REQUEST_LINE_AND_HEADERS: usize = 10 * 1024;

/// Values API Gateway would know that a local run has to make up.
#[derive(Debug, Clone)]
pub struct Settings {
    pub account_id: String,
    pub api_id: String,
    /// The port the API listens on (`x-forwarded-port`).
    pub port: u16,
}

/// What happened to a request, for the access log. Travels in the response's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub route: Option<String>,
    pub auth: AuthOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthOutcome {
    /// No route, a preflight, a refused request before auth, or a route without an authorizer.
    None,
    Allowed,
    Refused(String),
}

impl std::fmt::Display for AuthOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("none"),
            Self::Allowed => f.write_str("allowed"),
            Self::Refused(why) => write!(f, "refused: {why}"),
        }
    }
}

pub struct LocalApi<F, I> {
    api: HttpApi,
    authorizers: HashMap<String, JwtAuthorizer<F>>,
    invoker: I,
    settings: Settings,
    requests: AtomicU64,
    started: u64,
}

#[derive(Serialize)]
struct Message<'a> {
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

impl<F: FetchJwks, I: Invoke> LocalApi<F, I> {
    pub fn new(api: HttpApi, keys: Arc<KeyCache<F>>, invoker: I, settings: Settings) -> Self {
        let authorizers = api
            .authorizers
            .iter()
            .map(|(name, config)| {
                (
                    name.clone(),
                    JwtAuthorizer::new(config.clone(), Arc::clone(&keys)),
                )
            })
            .collect();
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Self {
            api,
            authorizers,
            invoker,
            settings,
            requests: AtomicU64::new(0),
            started,
        }
    }

    pub fn api(&self) -> &HttpApi {
        &self.api
    }

    pub async fn handle(&self, req: Request<Body>, peer: SocketAddr) -> Response<Body> {
        let request_id = self.next_request_id();
        let origin = req.headers().get(header::ORIGIN).cloned();
        let (mut response, outcome) = self.respond(req, peer, &request_id).await;
        if let Some(cors) = &self.api.cors {
            apply_cors(cors, origin.as_ref(), response.headers_mut());
        }
        if let Ok(id) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert("apigw-requestid", id);
        }
        response.extensions_mut().insert(outcome);
        response
    }

    async fn respond(
        &self,
        req: Request<Body>,
        peer: SocketAddr,
        request_id: &str,
    ) -> (Response<Body>, Outcome) {
        let no_route = |response| {
            (
                response,
                Outcome {
                    route: None,
                    auth: AuthOutcome::None,
                },
            )
        };
        if let Some(refusal) = check_size_limits(&req) {
            return no_route(refusal);
        }
        if !host_is_valid(req.headers()) {
            return no_route(message(
                StatusCode::BAD_REQUEST,
                "Bad Request",
                Some("the Host header is not a valid host".into()),
            ));
        }
        if let Some(cors) = &self.api.cors
            && is_preflight(&req)
        {
            return no_route(preflight(cors, req.headers()));
        }
        let (parts, body) = req.into_parts();
        let Some(matched) = match_route(&self.api.routes, parts.method.as_str(), parts.uri.path())
        else {
            return no_route(message(StatusCode::NOT_FOUND, "Not Found", None));
        };
        let route = matched.route;
        let mut outcome = Outcome {
            route: Some(route.route_key()),
            auth: AuthOutcome::None,
        };

        let verified = match &route.auth {
            RouteAuth::None => None,
            RouteAuth::Jwt { authorizer, scopes } => {
                let Some(authorizer) = self.authorizers.get(authorizer) else {
                    // Template reading guarantees the authorizer exists; fail closed regardless.
                    return (internal_error(), outcome);
                };
                let identity = match &authorizer.config().identity_source {
                    IdentitySource::Header(name) => parts
                        .headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                    IdentitySource::Query(name) => {
                        crate::event::query_parameters(parts.uri.query().unwrap_or_default())
                            .remove(name)
                    }
                };
                match authorizer
                    .verify(identity.as_deref(), scopes, unix_now())
                    .await
                {
                    Ok(verified) => {
                        outcome.auth = AuthOutcome::Allowed;
                        Some(verified)
                    }
                    Err(refusal) => {
                        outcome.auth = AuthOutcome::Refused(refusal.to_string());
                        return (refused(&refusal), outcome);
                    }
                }
            }
        };

        let body = match to_bytes(body, MAX_BODY_BYTES).await {
            Ok(body) => body,
            Err(_) => {
                return (
                    message(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "Request Entity Too Large",
                        None,
                    ),
                    outcome,
                );
            }
        };
        let now = OffsetDateTime::now_utc();
        let time = now
            .format(format_description!(
                "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
            ))
            .unwrap_or_default();
        let route_key = route.route_key();
        let protocol = format!("{:?}", parts.version);
        let event = build_v2_event(
            &RequestParts {
                method: &parts.method,
                raw_path: parts.uri.path(),
                raw_query: parts.uri.query().unwrap_or_default(),
                headers: &parts.headers,
                body: &body,
                source_ip: peer.ip().to_string(),
                protocol: &protocol,
                scheme: "http",
                port: self.settings.port,
            },
            &EventContext {
                route_key: &route_key,
                path_parameters: &matched.path_parameters,
                authorizer: verified.as_ref(),
                request_id,
                time: &time,
                time_epoch_ms: (now.unix_timestamp_nanos() / 1_000_000) as i64,
                account_id: &self.settings.account_id,
                api_id: &self.settings.api_id,
            },
        );
        let payload = match serde_json::to_vec(&event) {
            Ok(payload) => payload,
            Err(err) => {
                tracing::error!(error = %err, "event could not be serialized");
                return (internal_error(), outcome);
            }
        };
        let response = match self
            .invoker
            .invoke(&route.function_name, payload, route.timeout)
            .await
        {
            Ok(result) => match map_function_response(&result) {
                Ok(mapped) => build_response(mapped.status, &mapped.headers, mapped.body),
                Err(err) => {
                    tracing::warn!(function = %route.function_name, error = %err, "malformed function response");
                    internal_error()
                }
            },
            Err(err) => invoke_failure(&route.function_name, &err),
        };
        (response, outcome)
    }

    /// API Gateway's request ids look like `JKJaXmPLvHcESHA=`: base64 of a few bytes.
    fn next_request_id(&self) -> String {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        let mut bytes = [0u8; 10];
        bytes[..4].copy_from_slice(&(n as u32).to_be_bytes());
        bytes[4..].copy_from_slice(&self.started.to_be_bytes()[2..]);
        STANDARD.encode(bytes)
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn invoke_failure(function: &str, err: &InvokeError) -> Response<Body> {
    match err {
        InvokeError::FunctionError { error_type } => {
            tracing::warn!(function, error_type, "function error");
            internal_error()
        }
        InvokeError::Timeout(_) => {
            tracing::warn!(function, error = %err, "function timed out");
            message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable", None)
        }
        InvokeError::Unreachable { .. } | InvokeError::NoSuchFunction(_) => {
            tracing::warn!(function, error = %err, "function unreachable");
            message(
                StatusCode::BAD_GATEWAY,
                "Bad Gateway",
                Some(format!("function `{function}`: {err}")),
            )
        }
    }
}

fn refused(refusal: &Refusal) -> Response<Body> {
    let (status, text) = match refusal {
        Refusal::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "Unauthorized"),
        Refusal::Forbidden { .. } => (StatusCode::FORBIDDEN, "Forbidden"),
    };
    let mut response = message(status, text, None);
    if let Ok(challenge) = HeaderValue::from_str(&refusal.challenge()) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge);
    }
    response
}

fn internal_error() -> Response<Body> {
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal Server Error",
        None,
    )
}

/// `{"message": ...}`, API Gateway's own error body.
pub fn message(status: StatusCode, text: &str, detail: Option<String>) -> Response<Body> {
    let body = serde_json::to_vec(&Message {
        message: text,
        detail,
    })
    .unwrap_or_default();
    build_response(
        status.as_u16(),
        &[("content-type".to_owned(), "application/json".to_owned())],
        body,
    )
}

fn build_response(status: u16, headers: &[(String, String)], body: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

fn check_size_limits(req: &Request<Body>) -> Option<Response<Body>> {
    let uri_len = req.uri().path().len() + req.uri().query().map_or(0, |q| q.len() + 1);
    let headers_len: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if uri_len > MAX_REQUEST_LINE_AND_HEADERS {
        return Some(message(
            StatusCode::URI_TOO_LONG,
            "Request-URI Too Long",
            None,
        ));
    }
    if uri_len + headers_len > MAX_REQUEST_LINE_AND_HEADERS {
        return Some(message(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "Request Header Fields Too Large",
            None,
        ));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES) {
        return Some(message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request Entity Too Large",
            None,
        ));
    }
    None
}

/// In AWS the Host is the API's own domain; here it is whatever the client sent, and it reaches
/// the function. lambda_http 1.3 unwraps `Url::parse("{scheme}://{host}{path}")` and panics on a
/// host the `url` crate refuses (found by the property tests), so such a request stops here.
fn host_is_valid(headers: &HeaderMap) -> bool {
    match headers.get(header::HOST) {
        None => true,
        Some(host) => host
            .to_str()
            .ok()
            .and_then(|host| url::Url::parse(&format!("http://{host}/")).ok())
            .is_some_and(|url| url.host_str().is_some() && url.path() == "/"),
    }
}

fn is_preflight(req: &Request<Body>) -> bool {
    req.method() == Method::OPTIONS
        && req.headers().contains_key(header::ORIGIN)
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

fn origin_allowed<'a>(cors: &CorsConfig, origin: &'a HeaderValue) -> Option<&'a str> {
    let origin = origin.to_str().ok()?;
    cors.allow_origins
        .iter()
        .any(|allowed| allowed == "*" || allowed.eq_ignore_ascii_case(origin))
        .then_some(origin)
}

/// API Gateway answers preflight requests itself, before routes and authorizers.
fn preflight(cors: &CorsConfig, headers: &HeaderMap) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    let Some(origin) = headers
        .get(header::ORIGIN)
        .and_then(|o| origin_allowed(cors, o))
    else {
        return response;
    };
    let requested_method = headers
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_uppercase();
    let method_allowed = cors
        .allow_methods
        .iter()
        .any(|m| m == "*" || *m == requested_method);
    if !method_allowed {
        return response;
    }
    let out = response.headers_mut();
    insert(out, header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    insert(
        out,
        header::ACCESS_CONTROL_ALLOW_METHODS,
        &cors.allow_methods.join(","),
    );
    let allow_headers = if cors.allow_headers.iter().any(|h| h == "*") {
        headers
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    } else {
        cors.allow_headers.join(",")
    };
    if !allow_headers.is_empty() {
        insert(out, header::ACCESS_CONTROL_ALLOW_HEADERS, &allow_headers);
    }
    if let Some(max_age) = cors.max_age {
        insert(out, header::ACCESS_CONTROL_MAX_AGE, &max_age.to_string());
    }
    if cors.allow_credentials {
        insert(out, header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
    }
    response
}

/// With CORS configured, API Gateway sets the CORS headers of every response and ignores the
/// function's own.
fn apply_cors(cors: &CorsConfig, origin: Option<&HeaderValue>, out: &mut HeaderMap) {
    if out.contains_key(header::ACCESS_CONTROL_ALLOW_METHODS) {
        return; // a preflight answer is already complete
    }
    for name in [
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
    ] {
        out.remove(name);
    }
    let Some(origin) = origin.and_then(|o| origin_allowed(cors, o)) else {
        return;
    };
    insert(out, header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    if cors.allow_credentials {
        insert(out, header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
    }
    if !cors.expose_headers.is_empty() {
        insert(
            out,
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            &cors.expose_headers.join(","),
        );
    }
    out.append(header::VARY, HeaderValue::from_static("origin"));
}

fn insert(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}
