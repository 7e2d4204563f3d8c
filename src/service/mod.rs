//! Use cases: each SCIM operation as mapping + directory + cache work. The one place where layer errors
//! become `ServiceError`, and the one table from there to SCIM errors.

mod accounts;
mod allocate;
mod bulk;
mod construction;
pub mod error;
mod explain;
mod fitting;
mod list_cache;
mod list_plan;
mod lookup;
mod member_write;
mod members;
mod patch_strategy;
mod patching;
mod queries;
mod reading;
mod references;
mod resources;
mod takeover;
#[cfg(test)]
mod tests;
mod view;

pub use allocate::log_allocations;
pub use construction::{Service, ServiceBuilder, ServiceLimits};
pub use error::ServiceError;
pub use explain::explain;
pub use list_cache::Snapshot;
pub use queries::{ListQuery, Page};
pub use resources::IfMatch;
pub use takeover::scan_existing_entries;
pub use view::ResourceView;
