//! The `Service` of one target and how it is built: once, with everything it needs, so that nothing
//! changes its state after construction.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use crate::ldap::schema::Subschema;
use crate::ldap::{Directory, IdCache};
use crate::mapping::{Mapping, RefTarget};
use crate::metrics::Metrics;

use super::list_cache::{ReadAheads, Snapshot};

/// Everything a request needs: the mapping, the directory and the caches.
#[derive(Clone)]
pub struct Service {
    pub(super) mapping: Arc<Mapping>,
    pub(super) directory: Arc<dyn Directory>,
    pub(super) ids: IdCache,
    /// Normalized DN → what it references, for showing members, managers and groups.
    pub(super) dn_targets: moka::future::Cache<String, RefTarget>,
    /// Largest page served, and the default `count`.
    pub(super) max_results: usize,
    /// Most entries a list query may match (400 `tooMany` beyond).
    pub(super) max_matches: usize,
    /// The ids a recent list query matched, for its next pages.
    pub(super) snapshots: moka::future::Cache<String, Snapshot>,
    /// Mapped LDAP attributes (lower-cased) the directory cannot compare by order: a `gt`, `ge`, `lt`
    /// or `le` on them would silently match nothing, so it is refused instead.
    pub(super) unordered: HashSet<String>,
    /// Pages being read ahead for clients that page through a list in order.
    pub(super) read_aheads: ReadAheads,
    /// Writes so far, to tell a read-ahead started before the last write (cache invalidation alone
    /// does not stop `remove` from answering an entry).
    pub(super) writes: Arc<std::sync::atomic::AtomicU64>,
    /// The next number to try per allocated attribute (see `allocate`).
    pub(super) allocations: Arc<tokio::sync::Mutex<HashMap<String, u64>>>,
    /// The directory's schema, for the classes an entry needs to hold what is written (empty when
    /// the directory would not show it: the directory then judges each write alone).
    pub(super) schema: Arc<Subschema>,
}

/// The limits and cache sizes of a `Service` (from the configuration's `server` and `cache`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLimits {
    /// Largest page served, and the default `count`.
    pub max_results: usize,
    /// Most entries a list query may match.
    pub max_matches: usize,
    /// Entries the id and DN caches hold.
    pub cache_capacity: u64,
    /// How long a cached id or DN is trusted.
    pub cache_ttl: Duration,
}

impl Default for ServiceLimits {
    /// The configuration's defaults.
    fn default() -> Self {
        ServiceLimits {
            max_results: 200,
            max_matches: 1_000_000,
            cache_capacity: 100_000,
            cache_ttl: Duration::from_secs(600),
        }
    }
}

/// Builds a `Service`: `Service::builder(mapping, directory)`, then the optional parts, then `build`.
pub struct ServiceBuilder {
    mapping: Mapping,
    directory: Arc<dyn Directory>,
    limits: ServiceLimits,
    metrics: Arc<Metrics>,
    schema: Arc<Subschema>,
    unordered: HashSet<String>,
}

impl ServiceBuilder {
    pub fn limits(mut self, limits: ServiceLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Where the id cache counts its evictions.
    pub fn metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// The directory's schema, and the mapped attributes (lower-cased) it cannot order.
    pub fn schema(mut self, schema: Arc<Subschema>, unordered: HashSet<String>) -> Self {
        self.schema = schema;
        self.unordered = unordered;
        self
    }

    pub fn build(self) -> Service {
        let ServiceLimits {
            max_results,
            max_matches,
            cache_capacity,
            cache_ttl,
        } = self.limits;
        Service {
            mapping: Arc::new(self.mapping),
            directory: self.directory,
            ids: IdCache::new(cache_capacity, cache_ttl, self.metrics),
            dn_targets: moka::future::Cache::builder()
                .max_capacity(cache_capacity)
                .time_to_live(cache_ttl)
                .build(),
            max_results,
            max_matches,
            snapshots: moka::future::Cache::builder()
                // Weighed in ids: a few full listings of a large directory at most.
                .weigher(|_, ids: &Snapshot| u32::try_from(ids.len()).unwrap_or(u32::MAX))
                .max_capacity(2_000_000)
                .time_to_live(Duration::from_secs(60))
                .build(),
            unordered: self.unordered,
            // Each holds a directory connection of its own while its client pages on.
            read_aheads: moka::future::Cache::builder()
                .max_capacity(8)
                .time_to_idle(Duration::from_secs(60))
                .build(),
            writes: Arc::default(),
            allocations: Arc::default(),
            schema: self.schema,
        }
    }
}

impl Service {
    /// A builder with the default limits, no schema (the directory judges each write) and metrics
    /// of its own.
    pub fn builder(mapping: Mapping, directory: Arc<dyn Directory>) -> ServiceBuilder {
        ServiceBuilder {
            mapping,
            directory,
            limits: ServiceLimits::default(),
            metrics: Arc::new(Metrics::new()),
            schema: Arc::default(),
            unordered: HashSet::new(),
        }
    }

    pub fn mapping(&self) -> &Arc<Mapping> {
        &self.mapping
    }

    pub fn directory(&self) -> &Arc<dyn Directory> {
        &self.directory
    }

    /// Largest page served (also the most results a filter may ask for).
    pub fn max_results(&self) -> usize {
        self.max_results
    }

    /// Forgets every snapshot and read-ahead: a write may change what any query matches.
    pub(super) fn lists_changed(&self) {
        self.writes.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.snapshots.invalidate_all();
        self.read_aheads.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CacheConfig, ServerConfig};

    #[test]
    fn default_limits_are_the_configuration_defaults() {
        let (server, cache) = (ServerConfig::default(), CacheConfig::default());
        let limits = ServiceLimits::default();
        assert_eq!(limits.max_results, server.max_results);
        assert_eq!(limits.max_matches, server.max_matches);
        assert_eq!(limits.cache_capacity, cache.capacity);
        assert_eq!(limits.cache_ttl, Duration::from_secs(cache.ttl_seconds));
    }
}
