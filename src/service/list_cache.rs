//! What list queries keep between pages: the ids a query matched (snapshots) and listings read ahead,
//! both forgotten at every write.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::error::Result;

/// The ids that match a query, in the order pages are cut from.
pub type Snapshot = Arc<Vec<String>>;

/// Pages of resources as shown, read by a background task.
pub(super) type Pages = tokio::sync::mpsc::Receiver<Result<Vec<Map<String, Value>>>>;

/// A listing a client pages through in order: the total, and the pages a background task reads from
/// an open paged search and renders ahead of the requests (bounded; the task stops when the listing
/// is dropped).
pub struct ReadAhead {
    pub(super) total: usize,
    pub(super) pages: Pages,
    /// `Service::writes` when the listing started: a write since makes its pages stale.
    pub(super) writes: u64,
}

/// Listings by query and the position and size of the next page.
pub type ReadAheads = moka::future::Cache<String, Arc<tokio::sync::Mutex<Option<ReadAhead>>>>;
