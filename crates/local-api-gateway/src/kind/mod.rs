//! What differs between an HTTP API and a REST API, behind one seam ([`ApiRules`]): the event
//! the integration gets and how its result is read, the answers API Gateway makes itself, the
//! headers every response gets, and CORS. The request path ([`crate::gateway`]) asks
//! [`rules`] for the API's kind and never matches on it.

mod http;
mod rest;

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue, Response, header, request::Parts},
};

use crate::{
    error::GatewayError,
    event::{EventContext, FunctionResponse, MalformedResponse, RequestParts},
    model::{Api, ApiKind, PayloadVersion, Route},
};

/// The ids API Gateway gives a request: a short base64 one and a UUID; each kind shows one or both.
#[derive(Debug, Clone)]
pub struct RequestIds {
    /// `JKJaXmPLvHcESHA=`
    pub short: String,
    /// `c6af9ac6-7b61-11e6-9a41-93e8deadbeef`
    pub uuid: String,
}

pub trait ApiRules: Send + Sync {
    /// The request id in the event (`requestContext.requestId`).
    fn request_id<'a>(&self, ids: &'a RequestIds) -> &'a str;

    /// `routeKey` (HTTP API: `GET /hello`) or `resource` (REST API: `/hello`) in the event.
    fn route_key(&self, route: &Route) -> String;

    /// A preflight answered by the API itself, before any route (HTTP APIs with CORS).
    fn preflight(&self, api: &Api, parts: &Parts) -> Option<Response<Body>>;

    /// The event a Lambda integration of payload `payload` gets.
    fn event(
        &self,
        api: &Api,
        payload: PayloadVersion,
        request: &RequestParts<'_>,
        context: &EventContext<'_>,
        ids: &RequestIds,
    ) -> Result<Vec<u8>, serde_json::Error>;

    /// The client's response made of a function's result.
    fn response(
        &self,
        api: &Api,
        payload: PayloadVersion,
        result: &[u8],
        request_headers: &HeaderMap,
    ) -> Result<FunctionResponse, MalformedResponse>;

    /// API Gateway's own answer for `error`.
    fn error(&self, api: &Api, error: &GatewayError) -> Response<Body>;

    /// What every response gets on its way out: request ids; CORS headers where the API sets
    /// them (`preflight`: the response is the API's own preflight answer).
    fn finish(
        &self,
        api: &Api,
        response: &mut Response<Body>,
        origin: Option<&HeaderValue>,
        preflight: bool,
        ids: &RequestIds,
    );
}

pub fn rules(kind: ApiKind) -> &'static dyn ApiRules {
    match kind {
        ApiKind::Http => &http::HttpApi,
        ApiKind::Rest => &rest::RestApi,
    }
}

fn insert(headers: &mut HeaderMap, name: impl header::IntoHeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}
