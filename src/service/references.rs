//! References between resources (group members, manager, a user's groups) resolved in batches: ids to
//! DNs and DNs to ids with one search per chunk and resource type, never one search per value.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::error::{Result, ServiceError};
use super::Service;
use crate::ldap::{dn, LdapFilter, SearchRequest};
use crate::mapping::to_ldap::scim_values;
use crate::mapping::{AttrMap, IdFormat, RefTarget, ResourceKind, ResourceMapping, ValueKind};
use crate::scim::ScimType;

/// Values per OR filter: large enough to make few round trips, small enough for any server's limits.
const CHUNK: usize = 200;

impl Service {
    fn referable(&self) -> impl Iterator<Item = &ResourceMapping> {
        std::iter::once(&self.mapping.users).chain(self.mapping.groups.as_ref())
    }

    /// The DNs of users or groups with these ids; ids that exist nowhere are absent from the answer.
    pub(super) async fn dns_of(&self, ids: &[String]) -> Result<HashMap<String, String>> {
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        for id in ids {
            match self.ids.get(id).await {
                Some(cached) => {
                    found.insert(id.clone(), cached);
                }
                None if !missing.contains(id) => missing.push(id.clone()),
                None => {}
            }
        }
        for m in self.referable() {
            let wanted: Vec<&String> = missing
                .iter()
                .filter(|id| !found.contains_key(*id))
                .filter(|id| m.id_format != IdFormat::Uuid || uuid::Uuid::parse_str(id).is_ok())
                .collect();
            for chunk in wanted.chunks(CHUNK) {
                let any_id = LdapFilter::or(chunk.iter().map(|id| LdapFilter::eq(&m.id_attr, id)).collect());
                for entry in self.search_in(m, any_id, vec![m.id_attr.clone()]).await? {
                    if let Some(id) = entry.first(&m.id_attr) {
                        self.ids.insert(id, &entry.dn).await;
                        found.insert(id.to_string(), entry.dn.clone());
                    }
                }
            }
        }
        Ok(found)
    }

    /// Adds to `refs` the values of references with `match` attributes that are no id: one search of
    /// the users for all of them. A value that names several users stays unresolved (logged).
    pub(super) async fn match_refs(
        &self,
        m: &ResourceMapping,
        resource: &Map<String, Value>,
        refs: &mut HashMap<String, String>,
    ) -> Result<()> {
        let users = &self.mapping.users;
        for attr in m
            .attrs
            .iter()
            .filter(|a| a.kind == ValueKind::Reference && !a.read_only && !a.match_by.is_empty())
        {
            let values: Vec<String> = scim_values(m, attr, resource)
                .into_iter()
                .filter(|v| !refs.contains_key(v))
                .collect();
            if values.is_empty() {
                continue;
            }
            let any = LdapFilter::or(
                values
                    .iter()
                    .flat_map(|v| attr.match_by.iter().map(move |key| LdapFilter::eq(key, v)))
                    .collect(),
            );
            let found = self.search_in(users, any, attr.match_by.clone()).await?;
            for value in values {
                let mut holders = found.iter().filter(|e| {
                    attr.match_by
                        .iter()
                        .any(|key| e.get(key).iter().any(|s| s.eq_ignore_ascii_case(&value)))
                });
                match (holders.next(), holders.next()) {
                    (Some(entry), None) => {
                        refs.insert(value, entry.dn.clone());
                    }
                    (Some(_), Some(_)) => {
                        tracing::warn!(attribute = %attr.scim_path(), value = %value, "a reference names several users; left unresolved")
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// 400 `invalidValue` for a reference to the wrong kind of resource: a group as a manager (any
    /// reference but members names users), or a group among its own members.
    pub(super) async fn check_ref_targets(
        &self,
        m: &ResourceMapping,
        resource: &Map<String, Value>,
        refs: &HashMap<String, String>,
        own_id: Option<&str>,
    ) -> Result<()> {
        let invalid =
            |attr: &AttrMap, reason: String| ServiceError::BadRequest(ScimType::InvalidValue, format!("'{}': {reason}", attr.scim_path()));
        for attr in m.attrs.iter().filter(|a| a.kind == ValueKind::Reference && !a.read_only) {
            let values = scim_values(m, attr, resource);
            let is_members = m.members().is_some_and(|members| std::ptr::eq(members, attr));
            if is_members {
                if let Some(own) = own_id.filter(|own| values.iter().any(|v| v == own)) {
                    return Err(invalid(attr, format!("a group cannot be a member of itself ({own})")));
                }
                continue;
            }
            let dns: Vec<String> = values.iter().filter_map(|v| refs.get(v).cloned()).collect();
            if dns.is_empty() {
                continue;
            }
            let targets = self.targets_of(&dns).await?;
            if let Some(group) = targets.values().find(|t| t.kind == ResourceKind::Group) {
                return Err(invalid(attr, format!("{} is a group; this attribute refers to users", group.id)));
            }
        }
        Ok(())
    }

    /// What these DNs are, keyed by normalized DN; DNs outside the mapped resources are absent.
    pub(super) async fn targets_of(&self, dns: &[String]) -> Result<HashMap<String, RefTarget>> {
        let mut found = HashMap::new();
        let mut missing: Vec<String> = Vec::new();
        for target in dns {
            let key = dn::normalize(target);
            match self.dn_targets.get(&key).await {
                Some(hit) => {
                    found.insert(key, hit);
                }
                None => missing.push(target.clone()),
            }
        }
        for m in self.referable() {
            let here: Vec<&String> = missing.iter().filter(|d| m.holds(d)).collect();
            for chunk in here.chunks(CHUNK) {
                let any_dn = LdapFilter::or(chunk.iter().map(|d| LdapFilter::eq(&self.mapping.dn_attribute, d)).collect());
                for entry in self.search_in(m, any_dn, vec![m.id_attr.clone()]).await? {
                    if let Some(id) = entry.first(&m.id_attr) {
                        let target = RefTarget {
                            id: id.to_string(),
                            kind: m.kind,
                        };
                        let key = dn::normalize(&entry.dn);
                        self.ids.insert(id, &entry.dn).await;
                        self.dn_targets.insert(key.clone(), target.clone()).await;
                        found.insert(key, target);
                    }
                }
            }
        }
        Ok(found)
    }

    /// The members of a large group, found the other way round: the entries whose membership attribute
    /// (the users' `groups`, from `memberOf`) names the group. One search per resource type instead of
    /// one per chunk of members; `None` when the mapping declares no such attribute.
    pub(super) async fn members_by_membership(&self, group_dn: &str) -> Result<Option<HashMap<String, RefTarget>>> {
        let Some(membership) = self.mapping.users.attrs.iter().find(|a| {
            a.read_only
                && a.kind == crate::mapping::ValueKind::Reference
                && a.scim.urn.is_none()
                && a.scim.name.eq_ignore_ascii_case("groups")
        }) else {
            return Ok(None);
        };
        let mut found = HashMap::new();
        for m in self.referable() {
            for entry in self
                .search_in(m, LdapFilter::eq(&membership.ldap, group_dn), vec![m.id_attr.clone()])
                .await?
            {
                if let Some(id) = entry.first(&m.id_attr) {
                    found.insert(
                        dn::normalize(&entry.dn),
                        RefTarget {
                            id: id.to_string(),
                            kind: m.kind,
                        },
                    );
                }
            }
        }
        Ok(Some(found))
    }

    /// Entries of type `m` that match `filter`, with the given attributes.
    pub(super) async fn search_in(&self, m: &ResourceMapping, filter: LdapFilter, attrs: Vec<String>) -> Result<Vec<crate::ldap::Entry>> {
        let what = format!("{} entries below {}", m.kind.name(), m.base);
        let found = self
            .directory
            .search(&SearchRequest::new(&m.base, m.scope, m.of_type(filter), attrs))
            .await;
        super::lookup::every(found, &what)
    }

    /// Forgets what is known of an entry that was deleted or renamed.
    pub(super) async fn forget(&self, id: &str, old_dn: &str) {
        self.ids.remove(id).await;
        self.dn_targets.invalidate(&dn::normalize(old_dn)).await;
    }
}
