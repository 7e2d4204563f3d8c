//! The one integration test binary: the gateway over HTTP against a real slapd per test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod active_directory;
mod auth;
mod bulk;
mod connect;
mod cookbook;
mod discovery;
mod errors;
mod explain;
mod faults;
mod groups;
mod injection;
mod lifecycle;
mod limits;
mod observability;
mod patch;
mod queries;
mod readiness;
mod replicas;
mod shadow;
mod takeover;
mod tls;
mod users;
