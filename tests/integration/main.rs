//! The one integration test binary: the gateway over HTTP against a real slapd per test.

mod support;

mod discovery;
mod errors;
mod users;
