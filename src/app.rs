//! Wiring: configuration → directory pool, mapping, cache, tokens → the HTTP application.

use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::http::{AppState, TokenHash, Tokens};
use crate::ldap::{IdCache, LdapDirectory, Measured};
use crate::mapping;
use crate::metrics::Metrics;
use crate::service::Service;

/// Builds the application state from a loaded configuration: connects to the directory (failing fast
/// when it cannot), loads and checks the mapping.
pub async fn build(config: &Config) -> Result<AppState, String> {
    let mapping = mapping::load(&config.mapping, &config.ldap.base_dn).map_err(|e| e.to_string())?;
    let tokens = tokens(config)?;
    let metrics = Arc::new(Metrics::new());
    let directory = LdapDirectory::connect(config.ldap.clone(), metrics.clone())
        .await
        .map_err(|e| format!("{e} ({})", config.ldap.url))?;
    let service = Service {
        mapping: Arc::new(mapping),
        directory: Arc::new(Measured::new(directory, metrics.clone())),
        ids: IdCache::new(
            config.cache.capacity,
            Duration::from_secs(config.cache.ttl_seconds),
            metrics.clone(),
        ),
        dn_targets: moka::future::Cache::builder()
            .max_capacity(config.cache.capacity)
            .time_to_live(Duration::from_secs(config.cache.ttl_seconds))
            .build(),
        max_results: config.server.max_results,
        snapshots: moka::future::Cache::builder()
            // Weighed in ids: a few full listings of a large directory at most.
            .weigher(|_, ids: &crate::service::Snapshot| u32::try_from(ids.len()).unwrap_or(u32::MAX))
            .max_capacity(2_000_000)
            .time_to_live(Duration::from_secs(60))
            .build(),
    };
    Ok(AppState {
        service: Arc::new(service),
        tokens: Arc::new(tokens),
        public_url: config.server.public_url.clone().map(|u| u.trim_end_matches('/').to_string()),
        max_body_bytes: config.server.max_body_bytes,
        request_timeout: Duration::from_millis(config.server.request_timeout_ms),
        patch_no_content: config.server.patch_no_content,
        bulk_max_operations: config.server.bulk_max_operations,
        in_flight: Arc::new(tokio::sync::Semaphore::new(config.server.max_concurrent_requests.max(1))),
        metrics,
    })
}

fn tokens(config: &Config) -> Result<Tokens, String> {
    let mut tokens = Vec::new();
    if let Some(token) = config.auth.token.as_deref().filter(|t| !t.is_empty()) {
        tokens.push(TokenHash::from_plain("env", token));
    }
    for named in &config.auth.tokens {
        tokens.push(TokenHash::from_hex(&named.name, &named.sha256)?);
    }
    Ok(Tokens(tokens))
}
