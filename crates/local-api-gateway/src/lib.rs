//! A local stand-in for API Gateway, for the APIs of a SAM template: HTTP APIs and REST APIs,
//! with their authorizers enforced (tokens really verified), in front of the Lambda Invoke API
//! that `cargo lambda watch` serves.
//!
//! - [`template`] reads the template into [`model`]: each API's routes, integrations,
//!   authorizers, stage and CORS; the request path sees only the model;
//! - [`keys`] fetches and caches the issuers' signing keys; [`verify`] is the one token verifier;
//! - [`authorizer`] holds what differs per authorizer type, [`kind`] what differs per API kind;
//! - [`event`] builds the events and maps results back, per payload version;
//! - [`gateway`] takes one request through all of it; [`server`] puts it on a socket.
//!
//! I/O sits behind traits ([`keys::FetchJwks`], [`invoke::Invoke`]), so tests run without sockets.

pub mod authorizer;
pub mod error;
pub mod event;
pub mod gateway;
pub mod invoke;
pub mod keys;
pub mod kind;
pub mod model;
pub mod router;
pub mod server;
pub mod template;
pub mod verify;
mod wire;
