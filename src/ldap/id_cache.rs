//! SCIM id → DN cache: saves a directory search on every request that names a resource by id.

use std::time::Duration;

use moka::future::Cache;

#[derive(Clone)]
pub struct IdCache {
    inner: Cache<String, String>,
}

impl IdCache {
    pub fn new(capacity: u64, ttl: Duration) -> Self {
        IdCache {
            inner: Cache::builder().max_capacity(capacity).time_to_live(ttl).build(),
        }
    }

    pub async fn get(&self, id: &str) -> Option<String> {
        self.inner.get(id).await
    }

    pub async fn insert(&self, id: &str, dn: &str) {
        self.inner.insert(id.to_string(), dn.to_string()).await;
    }

    pub async fn remove(&self, id: &str) {
        self.inner.invalidate(id).await;
    }
}
