//! The `hello` function: answers `GET /hello` with a greeting built from the Cognito claims that
//! API Gateway's authorizer verified.
//!
//! Reading the claims in another handler (the README's example):
//!
//! ```
//! use hello::{Claims, response::ApiError};
//! use lambda_http::{Body, Error, Request, Response};
//!
//! async fn handler(req: Request) -> Result<Response<Body>, Error> {
//!     let claims = match Claims::from_request(&req) {
//!         Ok(claims) => claims,
//!         // No authorizer context, no subject, or a malformed claim: a 401, never an Err (-> 502).
//!         Err(err) => return Ok(ApiError::from(err).into_response()),
//!     };
//!     Ok(Response::new(format!("Hi {}", claims.username).into()))
//! }
//!
//! let response = tokio::runtime::Builder::new_current_thread()
//!     .build()
//!     .unwrap()
//!     .block_on(handler(Request::default()));
//! assert_eq!(response.unwrap().status(), 401);
//! ```

pub mod claims;
mod handler;
mod logging;
pub mod response;

pub use claims::{AuthError, Claims, TokenUse};
pub use handler::{handle, handle_for_origin};
pub use logging::init_logging;
