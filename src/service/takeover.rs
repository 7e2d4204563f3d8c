//! `scim2ldap check --data`: the entries already under each base, read page by page (Simple Paged
//! Results, on a connection of their own) and fed to the takeover analysis, so that memory holds one
//! page and the analysis's own bounded state, however many entries there are.

use super::error::Result;
use crate::ldap::schema::Subschema;
use crate::ldap::{Directory, SearchRequest};
use crate::mapping::takeover::{Takeover, TakeoverReport};
use crate::mapping::{Mapping, ResourceKind};

/// Entries per page: what Active Directory's default MaxPageSize allows.
const PAGE: i32 = 1000;

/// Reads every user, then every group, of `mapping` (the type's filter, with `objectClass` and what
/// the mapping fetches) and reports what an IdP's first cycle will meet. `progress` hears the type
/// and the entries read so far after each page.
pub async fn scan_existing_entries(
    directory: &dyn Directory,
    mapping: &Mapping,
    schema: &Subschema,
    progress: &mut (dyn FnMut(ResourceKind, usize) + Send),
) -> Result<TakeoverReport> {
    let mut takeover = Takeover::new(mapping, schema);
    for kind in [ResourceKind::User, ResourceKind::Group] {
        let Some(m) = mapping.resource(kind) else { continue };
        let mut attrs = m.fetch_attrs.clone();
        attrs.push("objectClass".to_string());
        let request = SearchRequest::new(&m.base, m.scope, m.type_filter(), attrs);
        let mut search = directory.paged_search(&request).await?;
        let mut read = 0;
        while !search.is_finished() {
            let page = search.next_page(PAGE).await?;
            read += page.len();
            for entry in &page {
                takeover.add(kind, entry);
            }
            progress(kind, read);
        }
    }
    Ok(takeover.finish())
}
