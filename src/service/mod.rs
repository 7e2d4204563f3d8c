//! Use cases: each SCIM operation as mapping + directory + cache work. The one place where layer errors
//! become `ServiceError`, and the one table from there to SCIM errors.

mod allocate;
mod bulk;
mod construction;
pub mod error;
mod explain;
mod fitting;
mod list_plan;
mod lookup;
mod member_write;
mod members;
mod patch_strategy;
mod queries;
mod references;
mod resources;
mod takeover;

pub use allocate::log_allocations;
pub use construction::{Service, ServiceBuilder, ServiceLimits};
pub use error::ServiceError;
pub use explain::explain;
pub use queries::{ListQuery, Page, Snapshot};
pub use resources::IfMatch;
pub use takeover::scan_existing_entries;
