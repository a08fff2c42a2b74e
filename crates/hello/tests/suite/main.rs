//! `hello`'s tests, in one binary (each test binary links the whole crate): the claims adapter,
//! the handler over every sample event, property tests, and logging.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fixtures;

mod claims;
mod handler;
mod logging;
mod proptest_handler;
