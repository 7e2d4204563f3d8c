//! Member changes of a group as one LDAP modify carrying exactly the added and removed values. The
//! member list is never read, so adding one member costs the same for 10 members as for 50,000.
//! Retries are idempotent, and an empty group keeps its placeholder, without Permissive Modify
//! (which OpenLDAP lacks): the rare conflicts are resolved by asking the directory about the few
//! values involved.

use super::error::{Result, ServiceError};
use super::member_write::{MemberWrite, PlaceholderMoves, Step, MAX_ATTEMPTS};
use super::Service;
use crate::ldap::error::rc;
use crate::ldap::{dn, names_only, LdapError, LdapFilter, SearchRequest};
use crate::mapping::error::TranslateError;
use crate::mapping::{AttrMap, EmptyGroup, ResourceMapping};

/// Member DNs to add to a group and to remove from it.
pub(super) struct MemberChange {
    pub(super) add: Vec<String>,
    pub(super) remove: Vec<String>,
}

/// Whether a member write finished, or must be retried with the group located afresh.
pub(super) enum Attempt {
    Done,
    Stale,
}

impl Service {
    /// An exact member list (DNs) as the additions and removals that make it, from the list stored,
    /// with the group's DN. Members SCIM never shows (a departed user's dangling DN, an account
    /// outside the mapped bases, an entry of another class) are not the IdP's to remove: they stay.
    pub(super) async fn exact_as_change(
        &self,
        m: &ResourceMapping,
        members: &AttrMap,
        id: &str,
        wanted: Vec<String>,
    ) -> Result<(MemberChange, String)> {
        let group = self.locate_with(m, id, vec![members.ldap.clone()]).await?;
        let placeholder = match &m.empty_group {
            EmptyGroup::Placeholder(p) => Some(dn::normalize(p)),
            _ => None,
        };
        let stored: Vec<String> = group
            .get(&members.ldap)
            .iter()
            .map(|v| members.ref_dn(v))
            .filter(|d| placeholder.as_ref() != Some(&dn::normalize(d)))
            .collect();
        let stored_keys: std::collections::HashSet<String> = stored.iter().map(|d| dn::normalize(d)).collect();
        let wanted_keys: std::collections::HashSet<String> = wanted.iter().map(|d| dn::normalize(d)).collect();
        let dropped: Vec<String> = stored.into_iter().filter(|d| !wanted_keys.contains(&dn::normalize(d))).collect();
        let shown = self.targets_of(&dropped).await?;
        let (remove, unseen): (Vec<String>, Vec<String>) = dropped.into_iter().partition(|d| shown.contains_key(&dn::normalize(d)));
        if wanted.is_empty() && unseen.is_empty() && m.empty_group == EmptyGroup::Refuse {
            return Err(empty_refused(members));
        }
        let add = wanted.into_iter().filter(|d| !stored_keys.contains(&dn::normalize(d))).collect();
        Ok((MemberChange { add, remove }, group.dn))
    }

    /// Sends the change as one modify, and on a conflict the next one `MemberWrite::next` names.
    pub(super) async fn write_members(
        &self,
        m: &ResourceMapping,
        members: &AttrMap,
        group_dn: &str,
        change: &MemberChange,
    ) -> Result<Attempt> {
        let attr = members.ldap.as_str();
        let placeholder = match &m.empty_group {
            EmptyGroup::Placeholder(p) => Some(p.clone()),
            _ => None,
        };
        let add = stored_values(members, &change.add)?;
        // Adding to a group that holds only its placeholder must drop the placeholder: assume it is
        // absent (the common case) and learn otherwise from an assertion. OpenLDAP's memberof overlay
        // applies the request's assertion to its own updates of the member entries too, so it is used
        // only when it holds for every member added (users, which have no members); else we ask.
        let assertion_holds_for_members = change.add.iter().all(|d| self.mapping.users.holds(d));
        let delete = match &placeholder {
            Some(p) if !add.is_empty() && !assertion_holds_for_members => self.has_value(group_dn, attr, p).await?,
            _ => false,
        };
        let mut write = MemberWrite {
            attr: attr.to_string(),
            moves: PlaceholderMoves {
                assume_absent: placeholder.is_some() && !add.is_empty() && assertion_holds_for_members,
                delete,
                restore: false,
            },
            placeholder,
            add,
            // A member the attribute cannot name cannot be in the group: nothing to remove.
            remove: change.remove.iter().filter_map(|d| members.ref_value(d)).collect(),
        };
        for _ in 0..MAX_ATTEMPTS {
            let Some((mods, assertion)) = write.request() else {
                return Ok(Attempt::Done);
            };
            let failure = match self.directory.modify_if(group_dn, &mods, assertion.as_ref()).await {
                Ok(()) => return Ok(Attempt::Done),
                Err(e) => e,
            };
            match write.next(m.empty_group == EmptyGroup::Refuse, failure.result_code()) {
                Step::Stale => return Ok(Attempt::Stale),
                Step::Retry(moves) => write.moves = moves,
                Step::RefuseEmpty => return Err(empty_refused(members)),
                Step::Recheck => {
                    let mut add = Vec::new();
                    for value in &write.add {
                        if !self.has_value(group_dn, attr, value).await? {
                            add.push(value.clone());
                        }
                    }
                    let mut remove = Vec::new();
                    for value in &write.remove {
                        if self.has_value(group_dn, attr, value).await? {
                            remove.push(value.clone());
                        }
                    }
                    let placeholder_present = match &write.placeholder {
                        Some(p) => Some(self.has_value(group_dn, attr, p).await?),
                        None => None,
                    };
                    write.rechecked(add, remove, placeholder_present);
                }
                Step::Fail => return Err(failure.into()),
            }
        }
        Err(ServiceError::Ldap(LdapError::Result {
            op: "modify",
            rc: rc::ATTRIBUTE_OR_VALUE_EXISTS,
            text: "members changed concurrently; retry".into(),
        }))
    }

    /// Keeps member lists consistent after `old_dn` was deleted (`new_dn` None) or renamed, where the
    /// mapping asks for it (directories without a referential-integrity overlay).
    pub(super) async fn follow_in_groups(&self, old_dn: &str, new_dn: Option<&str>) -> Result<()> {
        let Some(groups) = self.mapping.groups.as_ref().filter(|g| g.member_cleanup) else {
            return Ok(());
        };
        let Some((members, old_value)) = groups.members().and_then(|a| Some((a, a.ref_value(old_dn)?))) else {
            return Ok(());
        };
        let holding = self
            .search_in(groups, LdapFilter::eq(&members.ldap, &old_value), names_only())
            .await?;
        let change = MemberChange {
            add: new_dn.map(str::to_string).into_iter().collect(),
            remove: vec![old_dn.to_string()],
        };
        for group in holding {
            self.write_members(groups, members, &group.dn, &change).await?;
        }
        Ok(())
    }

    /// Whether the entry holds `attr=value`, asked of the directory without reading the attribute.
    async fn has_value(&self, entry_dn: &str, attr: &str, value: &str) -> Result<bool> {
        let found = self
            .directory
            .search(&SearchRequest::entry(entry_dn, LdapFilter::eq(attr, value), names_only()))
            .await;
        match found {
            Ok(entries) => Ok(!entries.is_empty()),
            Err(LdapError::Result {
                rc: rc::NO_SUCH_OBJECT, ..
            }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// The DNs of `before` that `after` no longer holds (compared as DNs).
pub(super) fn dropped(before: &[String], after: &[String]) -> Vec<String> {
    let kept: Vec<String> = after.iter().map(|d| dn::normalize(d)).collect();
    before.iter().filter(|d| !kept.contains(&dn::normalize(d))).cloned().collect()
}

/// The values `members` stores for member DNs; 400 for one it cannot name (`store: rdn` names users
/// under the users' base only).
fn stored_values(members: &AttrMap, dns: &[String]) -> Result<Vec<String>> {
    Ok(dns
        .iter()
        .map(|member| members.stored_ref(member, member))
        .collect::<std::result::Result<_, _>>()?)
}

fn empty_refused(members: &AttrMap) -> ServiceError {
    ServiceError::Translate(TranslateError::InvalidValue {
        attribute: members.scim_path(),
        reason: "groups in this directory need at least one member".into(),
    })
}
