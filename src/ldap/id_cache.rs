//! SCIM id → DN cache: saves a directory search on every request that names a resource by id.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;
use moka::notification::RemovalCause;

use crate::metrics::Metrics;

#[derive(Clone)]
pub struct IdCache {
    inner: Cache<String, String>,
    metrics: Arc<Metrics>,
}

impl IdCache {
    pub fn new(capacity: u64, ttl: Duration, metrics: Arc<Metrics>) -> Self {
        let evictions = metrics.clone();
        IdCache {
            inner: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .eviction_listener(move |_, _, cause| {
                    if matches!(cause, RemovalCause::Expired | RemovalCause::Size) {
                        evictions.increment("scim2ldap_id_cache_evictions_total", &[]);
                    }
                })
                .build(),
            metrics,
        }
    }

    pub async fn get(&self, id: &str) -> Option<String> {
        let found = self.inner.get(id).await;
        let result = if found.is_some() { "hit" } else { "miss" };
        self.metrics.increment("scim2ldap_id_cache_requests_total", &[("result", result)]);
        found
    }

    pub async fn insert(&self, id: &str, dn: &str) {
        self.inner.insert(id.to_string(), dn.to_string()).await;
    }

    pub async fn remove(&self, id: &str) {
        self.inner.invalidate(id).await;
    }
}
