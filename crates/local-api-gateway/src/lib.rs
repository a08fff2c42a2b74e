//! A local stand-in for API Gateway, for the APIs of a SAM template: the HTTP API (JWT
//! authorizer, payload 2.0) and the REST API (Cognito user pool authorizer, payload 1.0), with
//! tokens really verified, in front of the Lambda Invoke API that `cargo lambda watch` serves.
//!
//! - [`template`] reads the APIs, routes, authorizers and CORS from the template ([`api`]);
//! - [`keys`] fetches and caches the issuers' signing keys;
//! - [`verify`] is the one verifier core; [`policy`] holds what differs per authorizer type;
//! - [`event`] builds the events and maps results back, per payload version;
//! - [`gateway`] takes one request through all of it; [`server`] puts it on a socket.
//!
//! I/O sits behind traits ([`keys::FetchJwks`], [`invoke::Invoke`]), so tests run without sockets.

pub mod api;
pub mod event;
pub mod gateway;
pub mod invoke;
pub mod keys;
pub mod policy;
pub mod response;
pub mod router;
pub mod server;
pub mod template;
pub mod verify;
