//! HTTP APIs: payload 2.0 (or 1.0 where the integration asks), `{"message": ...}` errors, and
//! CORS handled by API Gateway itself: it answers preflights before any route or authorizer and
//! sets the CORS headers of every response, replacing the function's own ("If you configure CORS
//! for an API, API Gateway ignores CORS headers returned from your backend integration").

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header, request::Parts},
};

use super::{ApiRules, RequestIds, insert};
use crate::{
    authorizer::Denial,
    error::{GatewayError, json_message},
    event::{
        EventContext, FunctionResponse, MalformedResponse, RequestParts,
        v1::{self, Dialect, V1Context},
        v2,
    },
    model::{Api, CorsConfig, PayloadVersion, Route},
};

pub struct HttpApi;

impl ApiRules for HttpApi {
    fn request_id<'a>(&self, ids: &'a RequestIds) -> &'a str {
        &ids.short
    }

    fn route_key(&self, route: &Route) -> String {
        route.route_key()
    }

    fn preflight(&self, api: &Api, parts: &Parts) -> Option<Response<Body>> {
        let cors = api.cors.as_ref()?;
        is_preflight(parts).then(|| preflight(cors, &parts.headers))
    }

    fn event(
        &self,
        _api: &Api,
        payload: PayloadVersion,
        request: &RequestParts<'_>,
        context: &EventContext<'_>,
        ids: &RequestIds,
    ) -> Result<Vec<u8>, serde_json::Error> {
        match payload {
            PayloadVersion::V2 => serde_json::to_vec(&v2::build_event(request, context)),
            PayloadVersion::V1 => {
                let v1 = V1Context {
                    resource_id: None,
                    extended_request_id: &ids.short,
                    dialect: Dialect::Http,
                };
                serde_json::to_vec(&v1::build_event(request, context, &v1))
            }
        }
    }

    fn response(
        &self,
        _api: &Api,
        payload: PayloadVersion,
        result: &[u8],
        request_headers: &HeaderMap,
    ) -> Result<FunctionResponse, MalformedResponse> {
        match payload {
            PayloadVersion::V2 => v2::map_result(result),
            // Format 1.0 results are read as a REST API reads them; base64 bodies are decoded
            // (HTTP APIs have no binary media types to consult).
            PayloadVersion::V1 => v1::map_result(result, request_headers, &["*/*".to_owned()]),
        }
    }

    fn error(&self, _api: &Api, error: &GatewayError) -> Response<Body> {
        let (status, message) = match error {
            GatewayError::BadRequest(_) => (StatusCode::BAD_REQUEST, "Bad Request"),
            GatewayError::Denied(Denial::Unauthorized { .. }) => {
                (StatusCode::UNAUTHORIZED, "Unauthorized")
            }
            GatewayError::Denied(
                Denial::AccessDenied { .. }
                | Denial::Signature { .. }
                | Denial::InvalidApiKey { .. },
            ) => (StatusCode::FORBIDDEN, "Forbidden"),
            GatewayError::Denied(Denial::ConfigurationError { .. }) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
            GatewayError::NoRoute => (StatusCode::NOT_FOUND, "Not Found"),
            GatewayError::PayloadTooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large")
            }
            GatewayError::UriTooLong => (StatusCode::URI_TOO_LONG, "Request-URI Too Long"),
            GatewayError::HeadersTooLarge => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "Request Header Fields Too Large",
            ),
            // An integration that fails is a 500 too (chosen: HTTP APIs document no other).
            GatewayError::FunctionFailed
            | GatewayError::Internal
            | GatewayError::IntegrationFailed => {
                (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
            GatewayError::IntegrationTimeout => {
                (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
            }
            GatewayError::FunctionUnreachable => (StatusCode::BAD_GATEWAY, "Bad Gateway"),
        };
        let mut response = json_message(status, message);
        if let GatewayError::Denied(denial) = error
            && let Some(challenge) = denial
                .challenge()
                .and_then(|c| HeaderValue::from_str(c).ok())
        {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }

    fn finish(
        &self,
        api: &Api,
        response: &mut Response<Body>,
        origin: Option<&HeaderValue>,
        preflight: bool,
        ids: &RequestIds,
    ) {
        if let Some(cors) = &api.cors
            && !preflight
        {
            apply_cors(cors, origin, response.headers_mut());
        }
        insert(response.headers_mut(), "apigw-requestid", &ids.short);
    }
}

fn is_preflight(parts: &Parts) -> bool {
    parts.method == Method::OPTIONS
        && parts.headers.contains_key(header::ORIGIN)
        && parts
            .headers
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

/// The CORS headers API Gateway sets on every HTTP API response, replacing the function's own.
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
