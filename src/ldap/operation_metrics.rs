//! The count and duration of every directory operation, by operation and result code.

use std::time::Instant;

use super::error::LdapError;
use crate::metrics::Metrics;

/// Counts and times one operation by its result code; answers the result's label.
pub(super) fn record<T>(metrics: &Metrics, op: &'static str, started: Instant, result: &Result<T, LdapError>) -> String {
    let outcome = match result {
        Ok(_) => "0".to_string(),
        Err(LdapError::Result { rc, .. }) => rc.to_string(),
        Err(LdapError::Io { .. }) => "io".to_string(),
        Err(LdapError::Timeout(_)) => "timeout".to_string(),
        Err(LdapError::Connect(_)) => "connect".to_string(),
        Err(LdapError::Config(_)) => "config".to_string(),
    };
    metrics.increment("scim2ldap_ldap_operations_total", &[("op", op), ("result", &outcome)]);
    metrics.observe("scim2ldap_ldap_operation_seconds", &[("op", op)], started.elapsed());
    outcome
}
