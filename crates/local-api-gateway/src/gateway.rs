//! One request through one local API: limits -> Host -> the API's own preflight -> stage and
//! route -> authorizer -> integration -> response. Plain `http` types in and out, so tests drive
//! it without sockets. What differs between API kinds is behind [`crate::kind`], what differs
//! between authorizer types behind [`crate::authorizer`]; this file matches on neither.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    body::{Body, to_bytes},
    http::{HeaderMap, Request, Response, Version, header, request::Parts},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use time::{OffsetDateTime, macros::format_description};

use crate::{
    authorizer::{
        AuthRequest, Authorizer, Grant, RequestEvents, RouteAuth, Services, iam::Credentials,
    },
    error::{GatewayError, build_response},
    event::{EventContext, PayloadVersion, RequestParts},
    invoke::{Invoke, InvokeError},
    keys::FetchJwks,
    kind::{ApiRules, RequestIds, rules},
    model::{Api, Integration, LambdaIntegration, MockResponse, Route, Stage},
    router::{Matched, match_route},
    verify::Verifier,
};

/// API Gateway quotas: 10 MB payload; request line and headers 10 KB together.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// Lambda's synchronous invocation payload: "Request must be smaller than 6291456 bytes".
pub const MAX_INVOCATION_BYTES: usize = 6 * 1024 * 1024;
pub const MAX_REQUEST_LINE_AND_HEADERS: usize = 10 * 1024;

/// Values API Gateway would know that a local run has to make up.
#[derive(Debug, Clone)]
pub struct Settings {
    pub region: String,
    pub account_id: String,
    pub api_id: String,
    /// The port the API listens on (`x-forwarded-port`).
    pub port: u16,
    /// Whose Signature Version 4 signatures `AWS_IAM` routes accept.
    pub credentials: Vec<Credentials>,
}

/// What happened to a request, for the access log. Travels in the response's extensions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    pub route: Option<String>,
    pub auth: AuthOutcome,
    /// A CORS preflight answered by the API itself (HTTP API).
    pub preflight: bool,
    /// Why the gateway answered itself (a refusal, a limit, a failed integration).
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AuthOutcome {
    /// No route, a refused request before auth, or a route without an authorizer.
    #[default]
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
    rules: &'static dyn ApiRules,
    authorizers: BTreeMap<String, Authorizer>,
    verifier: Arc<Verifier<F>>,
    invoker: I,
    settings: Settings,
    requests: AtomicU64,
    started: u64,
}

/// A request on its way through: what was received, where it goes, and what its events say.
struct Exchange<'a> {
    parts: &'a Parts,
    request: RequestParts<'a>,
    stage: &'a Stage,
    route: &'a Route,
    route_key: String,
    path_parameters: BTreeMap<String, String>,
    ids: &'a RequestIds,
    /// `12/Mar/2020:19:03:58 +0000` and Unix milliseconds.
    time: String,
    time_epoch_ms: i64,
    method_arn: String,
}

impl Exchange<'_> {
    fn context<'c>(
        &'c self,
        rules: &'c dyn ApiRules,
        settings: &'c Settings,
        grant: Option<&'c Grant>,
    ) -> EventContext<'c> {
        EventContext {
            authorizer: grant.and_then(|g| g.context.as_ref()),
            caller: grant.and_then(|g| g.caller.as_ref()),
            api_key: grant.and_then(|g| g.api_key.as_ref()),
            route_key: &self.route_key,
            path_parameters: &self.path_parameters,
            request_id: rules.request_id(self.ids),
            stage: &self.stage.name,
            stage_variables: &self.stage.variables,
            time: &self.time,
            time_epoch_ms: self.time_epoch_ms,
            account_id: &settings.account_id,
            api_id: &settings.api_id,
        }
    }
}

/// A REQUEST authorizer's event is the integration's, reshaped.
struct Events<'a> {
    rules: &'static dyn ApiRules,
    api: &'a Api,
    settings: &'a Settings,
    exchange: &'a Exchange<'a>,
}

impl RequestEvents for Events<'_> {
    fn event(&self, payload: PayloadVersion) -> serde_json::Value {
        let context = self.exchange.context(self.rules, self.settings, None);
        self.rules
            .event(
                self.api,
                payload,
                &self.exchange.request,
                &context,
                self.exchange.ids,
            )
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }
}

impl<F: FetchJwks, I: Invoke> Gateway<F, I> {
    /// `verifier` is shared by every API of the process: one key cache, one set of remembered
    /// tokens.
    pub fn new(api: Api, verifier: Arc<Verifier<F>>, invoker: I, settings: Settings) -> Self {
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let authorizers = api
            .authorizers
            .iter()
            .map(|(name, config)| (name.clone(), Authorizer::new(config.clone())))
            .collect();
        Self {
            rules: rules(api.kind),
            api,
            authorizers,
            verifier,
            invoker,
            settings,
            requests: AtomicU64::new(0),
            started,
        }
    }

    pub fn api(&self) -> &Api {
        &self.api
    }

    pub async fn handle(&self, req: Request<Body>, peer: SocketAddr) -> Response<Body> {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        let ids = RequestIds {
            short: self.short_id(n),
            uuid: self.uuid(n),
        };
        let origin = req.headers().get(header::ORIGIN).cloned();
        let mut outcome = Outcome::default();
        let mut response = match self.respond(req, peer, &ids, &mut outcome).await {
            Ok(response) => response,
            Err(error) => {
                if let GatewayError::Denied(denial) = &error {
                    outcome.auth = AuthOutcome::Refused(denial.reason().to_owned());
                }
                outcome.error = Some(error.reason().to_owned());
                self.rules.error(&self.api, &error)
            }
        };
        self.rules.finish(
            &self.api,
            &mut response,
            origin.as_ref(),
            outcome.preflight,
            &ids,
        );
        response.extensions_mut().insert(outcome);
        response
    }

    async fn respond(
        &self,
        req: Request<Body>,
        peer: SocketAddr,
        ids: &RequestIds,
        outcome: &mut Outcome,
    ) -> Result<Response<Body>, GatewayError> {
        check_size_limits(&req)?;
        check_host(req.headers(), req.version())?;
        let (parts, body) = req.into_parts();
        if let Some(response) = self.rules.preflight(&self.api, &parts) {
            outcome.preflight = true;
            return Ok(response);
        }
        let (stage, path) = self
            .api
            .locate(parts.uri.path())
            .ok_or(GatewayError::NoRoute)?;
        let Matched {
            route,
            path_parameters,
        } = match_route(&self.api.routes, parts.method.as_str(), &path)
            .ok_or(GatewayError::NoRoute)?;
        outcome.route = Some(route.route_key());
        let body = to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| GatewayError::PayloadTooLarge)?;
        let now = OffsetDateTime::now_utc();
        let protocol = format!("{:?}", parts.version);
        let method_arn = format!(
            "arn:aws:execute-api:{}:{}:{}/{}/{}/{}",
            self.settings.region,
            self.settings.account_id,
            self.settings.api_id,
            stage.name,
            parts.method,
            path.strip_prefix('/').unwrap_or(&path)
        );
        let exchange = Exchange {
            parts: &parts,
            request: RequestParts {
                method: &parts.method,
                raw_path: &path,
                full_path: parts.uri.path(),
                raw_query: parts.uri.query().unwrap_or_default(),
                headers: &parts.headers,
                body: &body,
                source_ip: peer.ip().to_string(),
                protocol: &protocol,
                scheme: "http",
                port: self.settings.port,
            },
            stage,
            route,
            route_key: self.rules.route_key(route),
            path_parameters,
            ids,
            time: now
                .format(format_description!(
                    "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
                ))
                .unwrap_or_default(),
            time_epoch_ms: (now.unix_timestamp_nanos() / 1_000_000) as i64,
            method_arn,
        };
        let mut grant = self.authorize(&exchange).await?;
        if route.api_key_required {
            grant.api_key = Some(self.api.api_keys.check(
                &stage.name,
                &parts.headers,
                grant.usage_identifier_key.as_deref(),
            )?);
        }
        if route.auth != RouteAuth::None || route.api_key_required {
            outcome.auth = AuthOutcome::Allowed;
        }
        match &route.integration {
            Integration::Lambda(lambda) => self.invoke(lambda, &exchange, grant).await,
            Integration::Mock(mock) => Ok(mock_response(mock)),
            Integration::Unavailable(_) => Err(GatewayError::IntegrationFailed),
        }
    }

    /// Runs the route's authorizer: what the integration learns of the caller, or the refusal.
    async fn authorize(&self, exchange: &Exchange<'_>) -> Result<Grant, GatewayError> {
        if matches!(exchange.route.auth, RouteAuth::None) {
            return Ok(Grant::default());
        }
        let events = Events {
            rules: self.rules,
            api: &self.api,
            settings: &self.settings,
            exchange,
        };
        let request = AuthRequest {
            headers: &exchange.parts.headers,
            raw_query: exchange.request.raw_query,
            stage: &exchange.stage.name,
            stage_variables: &exchange.stage.variables,
            method: exchange.parts.method.as_str(),
            path: exchange.request.raw_path,
            resource_path: &exchange.route.path,
            route_key: &exchange.route.route_key(),
            source_ip: &exchange.request.source_ip,
            request_id: self.rules.request_id(exchange.ids),
            account_id: &self.settings.account_id,
            api_id: &self.settings.api_id,
            method_arn: &exchange.method_arn,
            full_path: exchange.request.full_path,
            body: exchange.request.body,
            now: unix_now(),
            events: &events,
        };
        let services = Services {
            verifier: &self.verifier,
            invoker: &self.invoker,
            credentials: &self.settings.credentials,
            region: &self.settings.region,
        };
        match &exchange.route.auth {
            RouteAuth::None => Ok(Grant::default()),
            RouteAuth::Iam => Ok(Authorizer::authorize_signature(&request, &services)?),
            RouteAuth::Authorizer { name, scopes } => {
                // Template reading guarantees the authorizer exists; fail closed regardless.
                let authorizer = self.authorizers.get(name).ok_or(GatewayError::Internal)?;
                Ok(authorizer.authorize(scopes, &request, &services).await?)
            }
        }
    }

    /// Builds the event, invokes the function and maps its result.
    async fn invoke(
        &self,
        lambda: &LambdaIntegration,
        exchange: &Exchange<'_>,
        grant: Grant,
    ) -> Result<Response<Body>, GatewayError> {
        let context = exchange.context(self.rules, &self.settings, Some(&grant));
        let payload = self
            .rules
            .event(
                &self.api,
                lambda.payload,
                &exchange.request,
                &context,
                exchange.ids,
            )
            .map_err(|err| {
                tracing::error!(error = %err, "event could not be serialized");
                GatewayError::Internal
            })?;
        if payload.len() >= MAX_INVOCATION_BYTES {
            return Err(GatewayError::InvocationTooLarge);
        }
        let function = &lambda.function;
        let result = self
            .invoker
            .invoke(&function.name, payload, lambda.deadline())
            .await
            .map_err(|err| invoke_failure(lambda, &err))?;
        let mapped = self
            .rules
            .response(&self.api, lambda.payload, &result, &exchange.parts.headers)
            .map_err(|err| {
                // API Gateway's log says "Malformed Lambda proxy response" for the same cases.
                tracing::warn!(function = %function.name, error = %err, "malformed function response");
                GatewayError::FunctionFailed
            })?;
        Ok(build_response(mapped.status, &mapped.headers, mapped.body))
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

fn mock_response(mock: &MockResponse) -> Response<Body> {
    build_response(mock.status, &mock.headers, mock.body.clone().into_bytes())
}

fn invoke_failure(lambda: &LambdaIntegration, err: &InvokeError) -> GatewayError {
    let function = lambda.function.name.as_str();
    match err {
        InvokeError::FunctionError { error_type, .. } => {
            tracing::warn!(function, error_type, "function error");
            GatewayError::FunctionFailed
        }
        InvokeError::Timeout(_) if lambda.function.timeout <= lambda.timeout => {
            // What Lambda reports when a function runs past its Timeout.
            tracing::warn!(
                function,
                error_type = "Sandbox.Timedout",
                "Task timed out after {:.2} seconds",
                lambda.function.timeout.as_secs_f64()
            );
            GatewayError::FunctionFailed
        }
        InvokeError::Timeout(_) => {
            tracing::warn!(
                function,
                timeout_ms = lambda.timeout.as_millis() as u64,
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

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn check_size_limits(req: &Request<Body>) -> Result<(), GatewayError> {
    let uri_len = req.uri().path().len() + req.uri().query().map_or(0, |q| q.len() + 1);
    let headers_len: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if uri_len > MAX_REQUEST_LINE_AND_HEADERS {
        return Err(GatewayError::UriTooLong);
    }
    if uri_len + headers_len > MAX_REQUEST_LINE_AND_HEADERS {
        return Err(GatewayError::HeadersTooLarge);
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES) {
        return Err(GatewayError::PayloadTooLarge);
    }
    Ok(())
}

/// In AWS the Host is the API's own domain; here it is whatever the client sent, and it reaches
/// the function. lambda_http 1.3 unwraps `Url::parse("{scheme}://{host}{path}")` and panics on a
/// host the `url` crate refuses (found by the property tests), and two Host headers reach it
/// joined into one such value: either stops here with a 400, as does an HTTP/1.1 request
/// without one (RFC 9112, 3.2).
fn check_host(headers: &HeaderMap, version: Version) -> Result<(), GatewayError> {
    let mut hosts = headers.get_all(header::HOST).iter();
    let (Some(host), None) = (hosts.next(), hosts.next()) else {
        return if headers.contains_key(header::HOST) {
            Err(GatewayError::BadRequest(
                "the request has more than one Host header",
            ))
        } else if version == Version::HTTP_11 {
            Err(GatewayError::BadRequest(
                "an HTTP/1.1 request without a Host header",
            ))
        } else {
            Ok(())
        };
    };
    let valid = host
        .to_str()
        .ok()
        .and_then(|host| url::Url::parse(&format!("http://{host}/")).ok())
        .is_some_and(|url| url.host_str().is_some() && url.path() == "/");
    if valid {
        Ok(())
    } else {
        Err(GatewayError::BadRequest(
            "the Host header is not a valid host",
        ))
    }
}
