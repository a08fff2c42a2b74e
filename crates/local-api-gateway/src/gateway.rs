//! One request through one local API: limits -> Host -> stage and route (or preflight) ->
//! authorizer -> event -> invoke -> response. Plain `http` types in and out, so tests drive it
//! without sockets. What differs between an HTTP API and a REST API is matched on [`ApiKind`]
//! here, and what differs between authorizers lives in [`crate::policy`].

use std::{
    collections::{BTreeMap, HashMap},
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{
    body::{Body, to_bytes},
    http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header, request::Parts},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use time::{OffsetDateTime, macros::format_description};

use crate::{
    api::{Api, ApiKind, AuthorizerConfig, CorsConfig, IdentitySource, Route, RouteAuth},
    event::{EventContext, RequestParts, query_pairs, v1, v2},
    invoke::{Invoke, InvokeError},
    keys::FetchJwks,
    policy::AuthorizerContext,
    response::{GatewayError, build_response},
    router::{Matched, match_route},
    verify::Verifier,
};

/// API Gateway quotas: 10 MB payload; request line and headers 10 KB together.
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
    /// A CORS preflight answered by the gateway itself (HTTP API) or SAM's MOCK method (REST).
    pub preflight: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthOutcome {
    /// No route, a refused request before auth, or a route without an authorizer.
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

pub struct Gateway<F, I> {
    api: Api,
    verifier: Arc<Verifier<F>>,
    invoker: I,
    settings: Settings,
    /// A stable `resourceId` per REST resource path.
    resource_ids: HashMap<String, String>,
    requests: AtomicU64,
    started: u64,
}

/// The route a request reached, with its path parameters.
struct Target<'a> {
    route: &'a Route,
    path_parameters: BTreeMap<String, String>,
    /// The request path below the stage (REST) or the whole path (HTTP).
    path: String,
}

impl<F: FetchJwks, I: Invoke> Gateway<F, I> {
    /// `verifier` is shared by every API of the process: one key cache, one set of remembered
    /// tokens.
    pub fn new(api: Api, verifier: Arc<Verifier<F>>, invoker: I, settings: Settings) -> Self {
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let resource_ids = api
            .routes
            .iter()
            .map(|r| (r.path.clone(), resource_id(&r.path)))
            .collect();
        Self {
            api,
            verifier,
            invoker,
            settings,
            resource_ids,
            requests: AtomicU64::new(0),
            started,
        }
    }

    pub fn api(&self) -> &Api {
        &self.api
    }

    pub fn verifier(&self) -> &Verifier<F> {
        &self.verifier
    }

    pub async fn handle(&self, req: Request<Body>, peer: SocketAddr) -> Response<Body> {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        let origin = req.headers().get(header::ORIGIN).cloned();
        let (mut response, outcome) = self.respond(req, peer, n).await;
        match &self.api.kind {
            ApiKind::Http { cors: Some(cors) } if !outcome.preflight => {
                apply_cors(cors, origin.as_ref(), response.headers_mut());
            }
            _ => {}
        }
        let headers = response.headers_mut();
        match &self.api.kind {
            ApiKind::Http { .. } => insert(headers, "apigw-requestid", &self.short_id(n)),
            ApiKind::Rest(_) => {
                insert(headers, "x-amzn-requestid", &self.uuid(n));
                insert(headers, "x-amz-apigw-id", &self.short_id(n));
            }
        }
        response.extensions_mut().insert(outcome);
        response
    }

    async fn respond(
        &self,
        req: Request<Body>,
        peer: SocketAddr,
        n: u64,
    ) -> (Response<Body>, Outcome) {
        let mut outcome = Outcome {
            route: None,
            auth: AuthOutcome::None,
            preflight: false,
        };
        if let Some(error) = check_size_limits(&req) {
            return (self.error(&error), outcome);
        }
        if let Some(problem) = host_problem(req.headers()) {
            return (self.error(&GatewayError::BadRequest(problem)), outcome);
        }
        if let ApiKind::Http { cors: Some(cors) } = &self.api.kind
            && is_preflight(&req)
        {
            outcome.preflight = true;
            return (preflight(cors, req.headers()), outcome);
        }
        let (parts, body) = req.into_parts();
        let path = match &self.api.kind {
            ApiKind::Http { .. } => Some(parts.uri.path().to_owned()),
            ApiKind::Rest(rest) => below_stage(parts.uri.path(), &rest.stage),
        };
        let Some(path) = path else {
            return (self.error(&GatewayError::NoRoute), outcome);
        };
        if let ApiKind::Rest(rest) = &self.api.kind
            && parts.method == Method::OPTIONS
            && let Some(headers) = &rest.preflight
            && let Some(methods) = self.methods_of(&path)
        {
            outcome.preflight = true;
            outcome.route = Some(format!("OPTIONS {path}"));
            return match self
                .authorize(&rest.preflight_auth, &parts, &mut outcome)
                .await
            {
                Ok(_) => (mock_preflight(headers, &methods), outcome),
                Err(error) => (self.error(&error), outcome),
            };
        }
        let Some(Matched {
            route,
            path_parameters,
        }) = match_route(&self.api.routes, parts.method.as_str(), &path)
        else {
            return (self.error(&GatewayError::NoRoute), outcome);
        };
        outcome.route = Some(route.route_key());
        let target = Target {
            route,
            path_parameters,
            path,
        };
        let authorizer = match self.authorize(&route.auth, &parts, &mut outcome).await {
            Ok(context) => context,
            Err(error) => return (self.error(&error), outcome),
        };
        let Ok(body) = to_bytes(body, MAX_BODY_BYTES).await else {
            return (self.error(&GatewayError::PayloadTooLarge), outcome);
        };
        let response = match self
            .invoke(&target, &parts, &body, peer, authorizer, n)
            .await
        {
            Ok(response) => response,
            Err(error) => self.error(&error),
        };
        (response, outcome)
    }

    /// Runs the route's authorizer: the `requestContext.authorizer` value for the function
    /// (`None` without an authorizer), or the gateway's refusal.
    async fn authorize(
        &self,
        auth: &RouteAuth,
        parts: &Parts,
        outcome: &mut Outcome,
    ) -> Result<Option<AuthorizerContext>, GatewayError> {
        let RouteAuth::Authorizer { name, scopes } = auth else {
            return Ok(None);
        };
        // Template reading guarantees the authorizer exists; fail closed regardless.
        let authorizer = self
            .api
            .authorizers
            .get(name)
            .ok_or(GatewayError::Internal)?;
        let identity = identity_value(authorizer, parts);
        let verdict = authorizer
            .policy
            .authorize(&self.verifier, identity.as_deref(), scopes, unix_now())
            .await;
        match verdict {
            Ok(grant) => {
                outcome.auth = AuthOutcome::Allowed;
                Ok(Some(authorizer.policy.authorizer_context(&grant)))
            }
            Err(refusal) => {
                outcome.auth = AuthOutcome::Refused(refusal.to_string());
                Err(authorizer.policy.refusal(&refusal))
            }
        }
    }

    /// Builds the event, invokes the function and maps its result, for this API's payload
    /// version.
    async fn invoke(
        &self,
        target: &Target<'_>,
        parts: &Parts,
        body: &[u8],
        peer: SocketAddr,
        authorizer: Option<AuthorizerContext>,
        n: u64,
    ) -> Result<Response<Body>, GatewayError> {
        let now = OffsetDateTime::now_utc();
        let time = now
            .format(format_description!(
                "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
            ))
            .unwrap_or_default();
        let protocol = format!("{:?}", parts.version);
        let request = RequestParts {
            method: &parts.method,
            raw_path: &target.path,
            raw_query: parts.uri.query().unwrap_or_default(),
            headers: &parts.headers,
            body,
            source_ip: peer.ip().to_string(),
            protocol: &protocol,
            scheme: "http",
            port: self.settings.port,
        };
        let route = target.route;
        let (route_key, request_id) = match &self.api.kind {
            ApiKind::Http { .. } => (route.route_key(), self.short_id(n)),
            ApiKind::Rest(_) => (route.path.clone(), self.uuid(n)),
        };
        let context = EventContext {
            route_key: &route_key,
            path_parameters: &target.path_parameters,
            authorizer,
            request_id: &request_id,
            time: &time,
            time_epoch_ms: (now.unix_timestamp_nanos() / 1_000_000) as i64,
            account_id: &self.settings.account_id,
            api_id: &self.settings.api_id,
        };
        let payload = match &self.api.kind {
            ApiKind::Http { .. } => serde_json::to_vec(&v2::build_event(&request, &context)),
            ApiKind::Rest(rest) => {
                let extended_request_id = self.short_id(n);
                let rest_context = v1::RestContext {
                    stage: &rest.stage,
                    stage_variables: &rest.stage_variables,
                    resource_id: self
                        .resource_ids
                        .get(&route.path)
                        .map_or("", String::as_str),
                    extended_request_id: &extended_request_id,
                    binary_media_types: &rest.binary_media_types,
                };
                serde_json::to_vec(&v1::build_event(&request, &context, &rest_context))
            }
        }
        .map_err(|err| {
            tracing::error!(error = %err, "event could not be serialized");
            GatewayError::Internal
        })?;

        let function = &route.function;
        // Lambda stops the function at its own Timeout (a function error); API Gateway gives up
        // at the integration's timeout. Whichever comes first decides the answer.
        let deadline = route_deadline(route);
        let result = match self.invoker.invoke(&function.name, payload, deadline).await {
            Ok(result) => result,
            Err(err) => return Err(invoke_failure(route, &err)),
        };
        let mapped = match &self.api.kind {
            ApiKind::Http { .. } => v2::map_result(&result),
            ApiKind::Rest(rest) => {
                v1::map_result(&result, &parts.headers, &rest.binary_media_types)
            }
        };
        match mapped {
            Ok(mapped) => Ok(build_response(mapped.status, &mapped.headers, mapped.body)),
            Err(err) => {
                // API Gateway's log says "Malformed Lambda proxy response" for the same cases.
                tracing::warn!(function = %function.name, error = %err, "malformed function response");
                Err(GatewayError::FunctionFailed)
            }
        }
    }

    fn error(&self, error: &GatewayError) -> Response<Body> {
        error.render(&self.api.kind)
    }

    /// The methods of the REST resource at `path`, as SAM lists them on its OPTIONS method.
    fn methods_of(&self, path: &str) -> Option<Vec<String>> {
        let mut methods: Vec<String> = self
            .api
            .routes
            .iter()
            .filter(|route| {
                match_route(std::slice::from_ref(*route), &route.method, path).is_some()
            })
            .map(|route| route.method.clone())
            .collect();
        if methods.is_empty() {
            return None;
        }
        methods.push("OPTIONS".into());
        methods.sort();
        methods.dedup();
        Some(methods)
    }

    /// API Gateway's request ids look like `JKJaXmPLvHcESHA=`: base64 of a few bytes.
    fn short_id(&self, n: u64) -> String {
        let mut bytes = [0u8; 10];
        bytes[..4].copy_from_slice(&(n as u32).to_be_bytes());
        bytes[4..].copy_from_slice(&self.started.to_be_bytes()[2..]);
        STANDARD.encode(bytes)
    }

    /// REST request ids are UUIDs: `c6af9ac6-7b61-11e6-9a41-93e8deadbeef`.
    fn uuid(&self, n: u64) -> String {
        let high = self.started;
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            (high >> 32) as u32,
            (high >> 16) as u16,
            high as u16 & 0x0fff,
            (n >> 48) as u16 & 0x0fff,
            n & 0xffff_ffff_ffff
        )
    }
}

/// The path below a REST API's stage: `/dev/hello` -> `/hello`, `/dev` -> `/`; `None` for any
/// other first segment.
fn below_stage(path: &str, stage: &str) -> Option<String> {
    let path = path.strip_prefix('/')?;
    let (first, rest) = path.split_once('/').unwrap_or((path, ""));
    (first == stage).then(|| format!("/{rest}"))
}

/// The identity source's value: a header, or a query string parameter.
fn identity_value(authorizer: &AuthorizerConfig, parts: &Parts) -> Option<String> {
    match &authorizer.identity {
        IdentitySource::Header(name) => parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        IdentitySource::Query(name) => query_pairs(parts.uri.query().unwrap_or_default())
            .into_iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value),
    }
}

fn invoke_failure(route: &Route, err: &InvokeError) -> GatewayError {
    let function = route.function.name.as_str();
    match err {
        InvokeError::FunctionError { error_type } => {
            tracing::warn!(function, error_type, "function error");
            GatewayError::FunctionFailed
        }
        InvokeError::Timeout(_) if route.function.timeout <= route.integration_timeout => {
            // What Lambda reports when a function runs past its Timeout.
            tracing::warn!(
                function,
                error_type = "Sandbox.Timedout",
                "Task timed out after {:.2} seconds",
                route.function.timeout.as_secs_f64()
            );
            GatewayError::FunctionFailed
        }
        InvokeError::Timeout(_) => {
            tracing::warn!(
                function,
                timeout_ms = route.integration_timeout.as_millis() as u64,
                "the integration timed out"
            );
            GatewayError::IntegrationTimeout
        }
        InvokeError::Unreachable { .. } | InvokeError::NoSuchFunction(_) => {
            // The detail is for the developer's log, never the client.
            tracing::warn!(function, error = %err, "function unreachable");
            GatewayError::FunctionUnreachable
        }
    }
}

/// How long a function may run behind `route` before the API answers.
pub fn route_deadline(route: &Route) -> Duration {
    route.function.timeout.min(route.integration_timeout)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A six-character `resourceId`, the same for a path every run.
fn resource_id(path: &str) -> String {
    // FNV-1a: stable across runs and platforms, unlike std's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in path.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..6)
        .map(|i| ALPHABET[((hash >> (i * 6)) % ALPHABET.len() as u64) as usize] as char)
        .collect()
}

fn check_size_limits(req: &Request<Body>) -> Option<GatewayError> {
    let uri_len = req.uri().path().len() + req.uri().query().map_or(0, |q| q.len() + 1);
    let headers_len: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if uri_len > MAX_REQUEST_LINE_AND_HEADERS {
        return Some(GatewayError::UriTooLong);
    }
    if uri_len + headers_len > MAX_REQUEST_LINE_AND_HEADERS {
        return Some(GatewayError::HeadersTooLarge);
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    declared
        .is_some_and(|len| len > MAX_BODY_BYTES)
        .then_some(GatewayError::PayloadTooLarge)
}

/// In AWS the Host is the API's own domain; here it is whatever the client sent, and it reaches
/// the function. lambda_http 1.3 unwraps `Url::parse("{scheme}://{host}{path}")` and panics on a
/// host the `url` crate refuses (found by the property tests), and two Host headers reach it
/// joined into one such value: either stops here with a 400.
fn host_problem(headers: &HeaderMap) -> Option<&'static str> {
    let mut hosts = headers.get_all(header::HOST).iter();
    let (Some(host), None) = (hosts.next(), hosts.next()) else {
        return headers
            .contains_key(header::HOST)
            .then_some("the request has more than one Host header");
    };
    let valid = host
        .to_str()
        .ok()
        .and_then(|host| url::Url::parse(&format!("http://{host}/")).ok())
        .is_some_and(|url| url.host_str().is_some() && url.path() == "/");
    (!valid).then_some("the Host header is not a valid host")
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

/// An HTTP API answers preflight requests itself, before routes and authorizers.
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

/// The OPTIONS method SAM adds for `Cors`: a MOCK integration answering 200 with the configured
/// headers, whoever asks. Without `AllowMethods`, SAM lists the path's methods.
fn mock_preflight(headers: &[(String, String)], methods: &[String]) -> Response<Body> {
    let mut headers = headers.to_vec();
    if !headers
        .iter()
        .any(|(name, _)| name == "access-control-allow-methods")
    {
        headers.push(("access-control-allow-methods".into(), methods.join(",")));
    }
    headers.push(("content-type".into(), "application/json".into()));
    build_response(200, &headers, b"{}".to_vec())
}

/// The CORS headers API Gateway sets on every HTTP API response, replacing the function's own
/// ("If you configure CORS for an API, API Gateway ignores CORS headers returned from your
/// backend integration").
fn apply_cors(cors: &CorsConfig, origin: Option<&HeaderValue>, out: &mut HeaderMap) {
    for name in [
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        header::ACCESS_CONTROL_ALLOW_METHODS,
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        header::ACCESS_CONTROL_MAX_AGE,
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

fn insert(headers: &mut HeaderMap, name: impl header::IntoHeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}
