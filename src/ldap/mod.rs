//! The directory side: connections, typed filters, DN escaping, entries, the id cache. Knows nothing of
//! SCIM.

pub mod client;
mod controls;
pub mod directory;
pub mod dn;
pub mod dry_run;
pub mod entry;
pub mod error;
#[cfg(test)]
pub mod fake;
pub mod filter;
pub mod guid;
pub mod id_cache;
pub mod ldif;
pub mod measured;
mod operation_metrics;
pub mod overlay;
pub mod paged;
pub mod plan;
mod pool;
pub mod probe;
mod ranged;
pub mod request;
pub mod schema;
pub mod settings;
pub mod shadow;
mod tls;
mod vlv;

pub use client::LdapDirectory;
pub use directory::{read_entry, Directory, Window};
pub use entry::Entry;
pub use error::LdapError;
pub use filter::LdapFilter;
pub use id_cache::IdCache;
pub use measured::Measured;
pub use paged::PagedSearch;
pub use request::{names_only, Modification, PasswordWrite, Scope, SearchRequest, NO_ATTRIBUTES};
pub use settings::LdapSettings;
