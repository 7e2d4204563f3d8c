//! scim2ldap: a SCIM 2.0 service provider in front of an existing LDAP directory.
//!
//! Layers, each in its folder: `scim` (protocol, no LDAP), `ldap` (directory, no SCIM), `mapping` (the
//! only one that knows both), `service` (use cases and the error table), `http` (axum). `app` wires them.

pub mod app;
pub mod audit;
pub mod config;
pub mod http;
pub mod ldap;
pub mod mapping;
pub mod metrics;
pub mod readiness;
pub mod scim;
pub mod service;
pub mod token;
