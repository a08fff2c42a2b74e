//! A local stand-in for API Gateway HTTP API: reads the routes, JWT authorizers and CORS from the
//! SAM template, verifies tokens as the JWT authorizer does, builds the payload 2.0 event and
//! invokes the function through the Lambda Invoke API that `cargo lambda watch` serves.
//!
//! Each piece is a pure function or a small type with its I/O behind a trait
//! ([`jwks::FetchJwks`], [`invoke::Invoke`]), so tests run without sockets.

pub mod authorizer;
pub mod event;
pub mod gateway;
pub mod invoke;
pub mod jwks;
pub mod router;
pub mod server;
pub mod template;
