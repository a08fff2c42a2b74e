//! Routing and the `GET /hello` handler.

use std::sync::OnceLock;

use lambda_http::{
    Body, Error, Request, RequestExt, Response,
    http::{HeaderValue, Method, StatusCode, header},
};
use serde::Serialize;

use crate::{
    claims::Claims,
    response::{ApiError, json_response},
};

/// The greeting: who the authorizer says the caller is.
#[derive(Debug, Serialize)]
struct Greeting<'a> {
    message: String,
    #[serde(flatten)]
    claims: &'a Claims,
}

/// The Lambda entry point, with the allowed origin of `ALLOWED_ORIGIN` (read once).
pub async fn handle(req: Request) -> Result<Response<Body>, Error> {
    static ALLOWED_ORIGIN: OnceLock<Option<HeaderValue>> = OnceLock::new();
    let origin = ALLOWED_ORIGIN.get_or_init(|| {
        std::env::var("ALLOWED_ORIGIN")
            .ok()
            .and_then(|origin| HeaderValue::from_str(&origin).ok())
    });
    handle_for_origin(req, origin.as_ref()).await
}

/// Never returns `Err`, because API Gateway turns an `Err` into a 502: every outcome, expected
/// or not, is a response with a status code. Every response allows `allowed_origin` (CORS): a
/// REST API passes the function's headers through untouched, so the function must say it; an
/// HTTP API replaces them with its own `CorsConfiguration`.
pub async fn handle_for_origin(
    req: Request,
    allowed_origin: Option<&HeaderValue>,
) -> Result<Response<Body>, Error> {
    let request_id = req
        .lambda_context_ref()
        .map(|ctx| ctx.request_id.clone())
        .unwrap_or_default();
    let route = format!("{} {}", req.method(), req.raw_http_path());
    let (response, sub) = match respond(&req) {
        Ok((response, claims)) => (response, Some(claims.sub)),
        Err(err) => {
            if let ApiError::Unauthorized(reason) = &err {
                tracing::info!(request_id, route, reason = %reason, "request rejected");
            }
            (err.into_response(), None)
        }
    };
    tracing::info!(
        request_id,
        route,
        status = response.status().as_u16(),
        sub = sub.as_deref().unwrap_or("-"),
        "request handled"
    );
    let mut response = response;
    if let Some(origin) = allowed_origin {
        response
            .headers_mut()
            .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    }
    Ok(response)
}

fn respond(req: &Request) -> Result<(Response<Body>, Claims), ApiError> {
    match req.raw_http_path() {
        "/hello" if req.method() == Method::GET => {
            let claims = Claims::from_request(req)?;
            Ok((hello(&claims), claims))
        }
        "/hello" => Err(ApiError::MethodNotAllowed { allow: "GET" }),
        _ => Err(ApiError::NotFound),
    }
}

fn hello(claims: &Claims) -> Response<Body> {
    let greeting = Greeting {
        message: format!("Hello, {}!", claims.username),
        claims,
    };
    json_response(StatusCode::OK, &greeting)
}
