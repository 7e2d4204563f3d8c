//! Reading resources: the mapping of a type, an entry located by SCIM id (through the id cache), and
//! the SCIM form of an entry with its references resolved.

use serde_json::{Map, Value};

use super::error::{Result, ServiceError};
use super::view::ResourceView;
use super::Service;
use crate::ldap::error::rc;
use crate::ldap::{dn, read_entry, Entry, LdapError, LdapFilter, SearchRequest};
use crate::mapping::from_ldap::{from_ldap, referenced_dns};
use crate::mapping::{IdFormat, ResourceMapping};

/// Above this many members, a group's members are found by their membership attribute (one search)
/// rather than by their DNs (a search per few hundred).
const LARGE_GROUP: usize = 1000;

impl Service {
    /// As `locate`, reading only `attrs`.
    pub(super) async fn locate_with(&self, m: &ResourceMapping, id: &str, attrs: Vec<String>) -> Result<Entry> {
        let not_found = || ServiceError::NotFound(format!("{} {id} not found", m.kind.name()));
        if m.id_format == IdFormat::Uuid && uuid::Uuid::parse_str(id).is_err() {
            return Err(not_found());
        }
        let by_id = m.of_type(LdapFilter::eq(&m.id_attr, id));
        if let Some(cached) = self.ids.get(id).await {
            let found = self
                .directory
                .search(&SearchRequest::entry(cached, by_id.clone(), attrs.clone()))
                .await;
            match found {
                Ok(mut entries) if !entries.is_empty() => return Ok(entries.remove(0)),
                Ok(_) => self.ids.remove(id).await,
                Err(LdapError::Result {
                    rc: rc::NO_SUCH_OBJECT, ..
                }) => self.ids.remove(id).await,
                Err(e) => return Err(e.into()),
            }
        }
        let found = self
            .directory
            .search(&SearchRequest::new(&m.base, m.scope, by_id, attrs).limited(2))
            .await;
        let entry = super::lookup::single(found, &format!("{} id {id}", m.kind.name()))?.ok_or_else(not_found)?;
        self.ids.insert(id, &entry.dn).await;
        Ok(entry)
    }

    pub(super) async fn directory_read(&self, entry_dn: &str, attrs: &[String]) -> Result<Entry> {
        read_entry(&*self.directory, entry_dn, attrs)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no entry {entry_dn}")))
    }
}

impl ResourceView<'_> {
    /// Reads an entry by SCIM id: through the cache, else by searching for the id; a stale cached DN
    /// (renamed or deleted entry) is forgotten and the id searched once.
    pub(super) async fn locate(&self, id: &str) -> Result<Entry> {
        let m = self.m;
        self.locate_with(m, id, m.fetch_attrs.clone()).await
    }

    /// The SCIM form of an entry, references (DNs) resolved to ids.
    pub(super) async fn render(&self, entry: &Entry) -> Result<Map<String, Value>> {
        let m = self.m;
        let base_url = self.base_url;
        let dns = referenced_dns(m, entry);
        let large_group = m.members().is_some_and(|a| entry.get(&a.ldap).len() > LARGE_GROUP);
        if large_group {
            if let Some(mut refs) = self.members_by_membership(&entry.dn).await? {
                // Members the membership attribute misses (loaded offline, overlay added later) are
                // resolved by DN: an incomplete memberOf must never hide a member.
                let rest: Vec<String> = dns.into_iter().filter(|d| !refs.contains_key(&dn::normalize(d))).collect();
                refs.extend(self.targets_of(&rest).await?);
                return Ok(from_ldap(m, entry, &refs, base_url));
            }
        }
        let refs = self.targets_of(&dns).await?;
        Ok(from_ldap(m, entry, &refs, base_url))
    }
}

/// The attributes a read requests: all the mapping needs, less a group's members when unwanted.
pub(super) fn read_attrs(m: &ResourceMapping, without_members: bool) -> Vec<String> {
    let skip = m.members().filter(|_| without_members).map(|a| a.ldap.as_str());
    m.fetch_attrs
        .iter()
        .filter(|a| skip.is_none_or(|s| !s.eq_ignore_ascii_case(a)))
        .cloned()
        .collect()
}
