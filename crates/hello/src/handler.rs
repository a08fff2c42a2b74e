//! Routing and the `GET /hello` handler.

use lambda_http::{
    Body, Error, Request, RequestExt, Response,
    http::{Method, StatusCode},
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

/// The Lambda entry point: never returns `Err`, because API Gateway turns an `Err` into a 502.
/// Every outcome, expected or not, is a response with a status code.
pub async fn handle(req: Request) -> Result<Response<Body>, Error> {
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
