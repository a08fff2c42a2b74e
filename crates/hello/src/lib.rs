//! The `hello` function: answers `GET /hello` with a greeting built from the Cognito claims that
//! API Gateway's authorizer verified.

pub mod claims;
mod handler;
mod logging;
pub mod response;

pub use claims::{AuthError, Claims, TokenUse};
pub use handler::handle;
pub use logging::init_logging;
