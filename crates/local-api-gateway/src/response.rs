//! The responses API Gateway makes itself, per API kind: same failure, different answer (a
//! missing route is a 404 from an HTTP API and a 403 from a REST API).

use axum::{
    body::Body,
    http::{HeaderValue, Response, StatusCode, header},
};
use serde::Serialize;

use crate::api::{ApiKind, RestSettings};

/// Every way the gateway answers without the function's response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayError {
    /// The request cannot be passed on (a Host the function could not parse). Local only: in
    /// AWS the Host is always the API's own domain.
    BadRequest(&'static str),
    /// The authorizer refused the token; `challenge` is the `www-authenticate` value, if any.
    Unauthorized {
        challenge: Option<String>,
    },
    /// The token lacks the route's scopes (HTTP API JWT authorizer).
    Forbidden {
        challenge: Option<String>,
    },
    /// No route (HTTP API) or no resource and method (REST API) for the request.
    NoRoute,
    PayloadTooLarge,
    UriTooLong,
    HeadersTooLarge,
    /// The function failed, timed out at its own `Timeout`, or answered something the API
    /// cannot map.
    FunctionFailed,
    /// The integration's timeout passed first.
    IntegrationTimeout,
    /// The invoke endpoint did not answer (local only: `cargo lambda watch` not running).
    FunctionUnreachable,
    Internal,
}

/// How a REST API tells one gateway error from another.
struct RestShape {
    status: u16,
    message: &'static str,
    /// The `x-amzn-ErrorType` header.
    error_type: &'static str,
    /// The gateway response type `GatewayResponses` customizes.
    response_type: &'static str,
}

impl GatewayError {
    /// An HTTP API's answer: status and `{"message": ...}`.
    fn http(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "Bad Request"),
            Self::Unauthorized { .. } => (StatusCode::UNAUTHORIZED, "Unauthorized"),
            Self::Forbidden { .. } => (StatusCode::FORBIDDEN, "Forbidden"),
            Self::NoRoute => (StatusCode::NOT_FOUND, "Not Found"),
            Self::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
            Self::UriTooLong => (StatusCode::URI_TOO_LONG, "Request-URI Too Long"),
            Self::HeadersTooLarge => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "Request Header Fields Too Large",
            ),
            Self::FunctionFailed | Self::Internal => {
                (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
            Self::IntegrationTimeout => (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"),
            Self::FunctionUnreachable => (StatusCode::BAD_GATEWAY, "Bad Gateway"),
        }
    }

    /// A REST API's answer ("Gateway response types for API Gateway").
    fn rest(&self) -> RestShape {
        let shape = |status, message, error_type, response_type| RestShape {
            status,
            message,
            error_type,
            response_type,
        };
        match self {
            Self::BadRequest(_) => shape(400, "Bad Request", "BadRequestException", "DEFAULT_4XX"),
            Self::Unauthorized { .. } => {
                shape(401, "Unauthorized", "UnauthorizedException", "UNAUTHORIZED")
            }
            Self::Forbidden { .. } => shape(
                403,
                "User is not authorized to access this resource",
                "AccessDeniedException",
                "ACCESS_DENIED",
            ),
            Self::NoRoute => shape(
                403,
                "Missing Authentication Token",
                "MissingAuthenticationTokenException",
                "MISSING_AUTHENTICATION_TOKEN",
            ),
            Self::PayloadTooLarge => shape(
                413,
                "Request Too Long",
                "RequestTooLongException",
                "REQUEST_TOO_LARGE",
            ),
            Self::UriTooLong => shape(
                414,
                "Request-URI Too Long",
                "BadRequestException",
                "DEFAULT_4XX",
            ),
            Self::HeadersTooLarge => shape(
                431,
                "Request Header Fields Too Large",
                "BadRequestException",
                "DEFAULT_4XX",
            ),
            // A Lambda error or a malformed proxy result (logged as "Malformed Lambda proxy
            // response"): 502, as is a function the local endpoint cannot reach.
            Self::FunctionFailed | Self::FunctionUnreachable => shape(
                502,
                "Internal server error",
                "InternalServerErrorException",
                "DEFAULT_5XX",
            ),
            Self::IntegrationTimeout => shape(
                504,
                "Endpoint request timed out",
                "InternalServerErrorException",
                "INTEGRATION_TIMEOUT",
            ),
            // The gateway cannot serve the route as configured (e.g. its authorizer is missing).
            Self::Internal => shape(
                500,
                "Internal server error",
                "InternalServerErrorException",
                "API_CONFIGURATION_ERROR",
            ),
        }
    }

    fn challenge(&self) -> Option<&str> {
        match self {
            Self::Unauthorized { challenge } | Self::Forbidden { challenge } => {
                challenge.as_deref()
            }
            _ => None,
        }
    }

    /// The response `kind` of API gives for this error.
    pub fn render(&self, kind: &ApiKind) -> Response<Body> {
        let mut response = match kind {
            ApiKind::Http { .. } => {
                let (status, message) = self.http();
                json_message(status, message)
            }
            ApiKind::Rest(settings) => self.render_rest(settings),
        };
        if let Some(challenge) = self.challenge().and_then(|c| HeaderValue::from_str(c).ok()) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }

    fn render_rest(&self, settings: &RestSettings) -> Response<Body> {
        let shape = self.rest();
        let default = if shape.status < 500 {
            "DEFAULT_4XX"
        } else {
            "DEFAULT_5XX"
        };
        // A specific type's customization wins over the DEFAULT_* one, as in API Gateway.
        let custom = settings
            .gateway_responses
            .get(shape.response_type)
            .or_else(|| settings.gateway_responses.get(default));
        let status = custom
            .and_then(|c| c.status)
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::from_u16(shape.status).unwrap_or(StatusCode::BAD_GATEWAY));
        let mut response = json_message(status, shape.message);
        let headers = response.headers_mut();
        headers.insert(
            "x-amzn-errortype",
            HeaderValue::from_static(shape.error_type),
        );
        for (name, value) in custom.map(|c| c.headers.as_slice()).unwrap_or_default() {
            if let (Ok(name), Ok(value)) = (
                header::HeaderName::try_from(name.as_str()),
                HeaderValue::try_from(value.as_str()),
            ) {
                headers.insert(name, value);
            }
        }
        response
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
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}
