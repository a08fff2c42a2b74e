//! Every way the gateway answers without a function's response. What the client sees for each
//! depends on the API kind ([`crate::kind`]): a missing route is a 404 from an HTTP API and a 403
//! from a REST API.

use axum::{
    body::Body,
    http::{Response, StatusCode},
};
use serde::Serialize;

use crate::authorizer::Denial;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayError {
    /// The request cannot be passed on (a Host the function could not parse). Local only: in
    /// AWS the Host is always the API's own domain.
    BadRequest(&'static str),
    /// The route's authorizer refused the request.
    Denied(Denial),
    /// No route (HTTP API) or no resource and method (REST API) for the request.
    NoRoute,
    PayloadTooLarge,
    /// The event is over Lambda's 6 MB synchronous invocation payload: the function is not
    /// invoked.
    InvocationTooLarge,
    UriTooLong,
    HeadersTooLarge,
    /// The function failed, timed out at its own `Timeout`, or answered something the API
    /// cannot map.
    FunctionFailed,
    /// The integration's timeout passed first.
    IntegrationTimeout,
    /// The invoke endpoint did not answer (local only: `cargo lambda watch` not running).
    FunctionUnreachable,
    /// The route's integration cannot run locally (an HTTP endpoint, an AWS service): answered
    /// as API Gateway answers an integration that fails.
    IntegrationFailed,
    /// The gateway cannot serve the route as configured.
    Internal,
}

impl GatewayError {
    /// What the access log says.
    pub fn reason(&self) -> &str {
        match self {
            Self::BadRequest(reason) => reason,
            Self::Denied(denial) => denial.reason(),
            Self::NoRoute => "no route",
            Self::PayloadTooLarge => "body too large",
            Self::InvocationTooLarge => "event over Lambda's 6 MB invocation payload",
            Self::UriTooLong => "URI too long",
            Self::HeadersTooLarge => "headers too large",
            Self::FunctionFailed => "function failed",
            Self::IntegrationTimeout => "integration timed out",
            Self::FunctionUnreachable => "function unreachable",
            Self::IntegrationFailed => "integration not available locally",
            Self::Internal => "configuration error",
        }
    }
}

impl From<Denial> for GatewayError {
    fn from(denial: Denial) -> Self {
        Self::Denied(denial)
    }
}

#[derive(Serialize)]
struct Message<'a> {
    message: &'a str,
}

/// `{"message": ...}`, API Gateway's own error body.
pub fn json_message(status: StatusCode, text: &str) -> Response<Body> {
    let body = serde_json::to_vec(&Message { message: text }).unwrap_or_default();
    build_response(
        status.as_u16(),
        &[("content-type".to_owned(), "application/json".to_owned())],
        body,
    )
}

/// A response from parts a function result was mapped to; invalid headers are left out (the
/// mapping refuses them before this point).
pub fn build_response(status: u16, headers: &[(String, String)], body: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        if let Some((name, value)) = crate::wire::header(name, value) {
            response.headers_mut().append(name, value);
        }
    }
    response
}
