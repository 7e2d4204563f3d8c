//! PATCH, by the strategy `patch_strategy` picks: the member fast path, a direct modify of the cached
//! entry, or the general path (read, apply, write the difference).

use serde_json::{Map, Value};

use super::error::{Result, ServiceError};
use super::members::{Attempt, MemberChange};
use super::patch_strategy::{self, MemberPlan, PatchStrategy};
use super::resources::Stored;
use super::view::ResourceView;
use super::IfMatch;
use crate::ldap::error::rc;
use crate::ldap::{names_only, LdapFilter, Modification};
use crate::mapping::error::TranslateError;
use crate::mapping::{AttrMap, EmptyGroup};
use crate::scim::patch::{self, PatchRequest};

impl ResourceView<'_> {
    /// Applies a PATCH. A change of group members only is written without reading the group and
    /// answers `None` (204); anything else answers the resource.
    pub async fn patch(&self, id: &str, request: &PatchRequest, if_match: Option<&IfMatch>) -> Result<Option<Map<String, Value>>> {
        let m = self.m;
        match patch_strategy::strategy(m, &request.operations, if_match.is_some()) {
            PatchStrategy::MemberFastPath { members, plan } => {
                self.patch_members(members, id, plan).await?;
                return Ok(None);
            }
            PatchStrategy::DirectModify(mods) => {
                if let Some(resource) = self.patch_directly(id, &mods).await? {
                    return Ok(Some(resource));
                }
            }
            PatchStrategy::General => {}
        }
        let mut attempts = 0;
        loop {
            match self.patch_by_reading(id, request, if_match).await {
                Err(e) if e.changed_meanwhile() && attempts < 2 => attempts += 1,
                outcome => return outcome.map(Some),
            }
        }
    }

    /// Reads the entry, applies the operations to what it shows, and writes the difference.
    async fn patch_by_reading(&self, id: &str, request: &PatchRequest, if_match: Option<&IfMatch>) -> Result<Map<String, Value>> {
        let m = self.m;
        // Members are read only when the request touches them (a rename of a 50,000-member group
        // must not read 50,000 values); an unread list compares equal before and after.
        let skip = m
            .members()
            .filter(|_| m.empty_group != EmptyGroup::Refuse)
            .filter(|_| !request.operations.iter().any(patch_strategy::touches_members));
        let attrs = m
            .fetch_attrs
            .iter()
            .filter(|a| skip.is_none_or(|s| !s.ldap.eq_ignore_ascii_case(a)))
            .cloned()
            .collect();
        let current = self.locate_with(m, id, attrs).await?;
        let shown = self.render(&current).await?;
        let mut wanted = shown.clone();
        patch::apply(&mut wanted, &request.operations, &m.schema)?;
        self.write(id, Stored { entry: current, shown }, wanted, if_match).await
    }

    /// Writes modifications to the entry the id cache names, without reading it first; the id and the
    /// resource type are asserted in the modify, so that a stale cache entry cannot redirect the write. `None` when the
    /// id is not cached or the cache was stale: the caller then takes the general path.
    async fn patch_directly(&self, id: &str, mods: &[Modification]) -> Result<Option<Map<String, Value>>> {
        let m = self.m;
        let Some(dn) = self.ids.get(id).await else { return Ok(None) };
        let same_entry = LdapFilter::and(vec![LdapFilter::eq(&m.id_attr, id), m.type_filter()]);
        match self.modify_fitting(m, &dn, mods, Some(&same_entry), &m.fetch_attrs).await {
            Ok(mut entry) => {
                entry.dn = dn;
                self.lists_changed();
                tracing::info!(resource = m.kind.name(), dn = %entry.dn, changes = mods.len(), "updated");
                Ok(Some(self.render(&entry).await?))
            }
            Err(ServiceError::Ldap(e)) if matches!(e.result_code(), Some(rc::NO_SUCH_OBJECT | rc::ASSERTION_FAILED)) => {
                self.ids.remove(id).await;
                Ok(None)
            }
            // A value the entry's RDN holds (an entry another tool named by it) cannot be replaced
            // blindly: the general path keeps it.
            Err(ServiceError::Ldap(e)) if e.result_code() == Some(rc::NOT_ALLOWED_ON_RDN) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Applies a member plan to group `id`: resolves the member ids (an unknown one is 400), then one
    /// modify on the cached DN; a DN gone stale (renamed or deleted elsewhere) is located again.
    pub(super) async fn patch_members(&self, members: &AttrMap, id: &str, plan: MemberPlan) -> Result<()> {
        let m = self.m;
        let ids: Vec<String> = match &plan {
            MemberPlan::Delta { add, remove } => add.iter().chain(remove).cloned().collect(),
            MemberPlan::Exact(list) => list.clone(),
        };
        let joining = match &plan {
            MemberPlan::Delta { add, .. } => add,
            MemberPlan::Exact(list) => list,
        };
        if joining.iter().any(|member| member == id) {
            return Err(ServiceError::BadRequest(
                crate::scim::ScimType::InvalidValue,
                format!("'{}': a group cannot be a member of itself ({id})", members.scim_path()),
            ));
        }
        let dns = self.dns_of(&ids).await?;
        let to_dns = |list: &[String]| -> Result<Vec<String>> {
            list.iter()
                .map(|member| {
                    dns.get(member).cloned().ok_or_else(|| {
                        ServiceError::Translate(TranslateError::UnknownReference {
                            attribute: members.scim_path(),
                            id: member.clone(),
                        })
                    })
                })
                .collect()
        };
        let known = |list: &[String]| -> Vec<String> {
            list.iter()
                .filter(|member| {
                    let found = dns.contains_key(*member);
                    if !found {
                        tracing::warn!(attribute = %members.scim_path(), id = %member, "unknown member left out");
                    }
                    found
                })
                .cloned()
                .collect()
        };
        // Members to add: all must exist, unless the mapping says to skip unknown ones.
        let added = |list: &[String]| {
            if members.skip_unknown {
                to_dns(&known(list))
            } else {
                to_dns(list)
            }
        };
        let (change, mut group_dn) = match plan {
            MemberPlan::Delta { add, remove } => {
                let change = MemberChange {
                    add: added(&add)?,
                    // Removing a member that does not exist removes nothing: retries must succeed.
                    remove: remove.iter().filter_map(|r| dns.get(r).cloned()).collect(),
                };
                let group_dn = match self.ids.get(id).await {
                    Some(dn) => dn,
                    None => self.locate_with(m, id, names_only()).await?.dn,
                };
                (change, group_dn)
            }
            MemberPlan::Exact(list) => self.exact_as_change(m, members, id, added(&list)?).await?,
        };
        for _ in 0..2 {
            match self.write_members(m, members, &group_dn, &change).await? {
                Attempt::Done => {
                    self.lists_changed();
                    self.deactivate_ungrouped(&change.remove).await;
                    return Ok(());
                }
                Attempt::Stale => {
                    self.ids.remove(id).await;
                    group_dn = self.locate_with(m, id, names_only()).await?.dn;
                }
            }
        }
        Err(ServiceError::NotFound(format!("Group {id} not found")))
    }
}
