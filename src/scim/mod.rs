//! SCIM 2.0 protocol (RFC 7643/7644): resources as JSON, filters, PATCH paths and engine, schemas, errors.
//! Knows nothing of LDAP.

pub mod bulk;
pub mod error;
pub mod filter;
pub mod patch;
pub mod path;
pub mod resource;
pub mod rfc7643;
pub mod schema;
pub mod unmapped;

pub use error::{ScimError, ScimType};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// The media type of every response body (RFC 7644 §3.1).
pub const CONTENT_TYPE: &str = "application/scim+json";
