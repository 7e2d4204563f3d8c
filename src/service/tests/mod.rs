//! Service unit tests over the fake directory (`ldap::fake`): each use case on the shipped OpenLDAP
//! mapping, asserting what the client is answered, what the directory holds afterwards and which
//! operations it was asked for. No directory server is needed; tests/integration runs the same flows
//! against real ones.

mod support;

mod create;
mod delete;
mod errors;
mod get;
mod list;
mod members;
mod patch;
mod replace;
