//! The local gateway's tests, in one binary: each test binary links the whole crate, so one
//! binary links once (`make test`, `make mutants`). The end-to-end tests (`e2e`, `faults`, `stack`) run
//! the real local stack and are `#[ignore]`d here; `make e2e` runs them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod api_keys;
mod cognito_authorizer;
mod corpus;
mod e2e;
mod event;
mod examples;
mod faults;
mod gateway;
mod iam_authorizer;
mod intrinsics;
mod invoke;
mod jwt_authorizer;
mod keys;
mod lambda_authorizers;
mod properties;
mod readers;
mod stack;
mod template;
