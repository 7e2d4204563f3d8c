//! The use cases get, create, replace and delete of a resource, for any mapped type, and the write of
//! a changed resource they and PATCH share (listing is in `queries`, PATCH in `patching`).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::accounts::random_password;
use super::error::{Result, ServiceError};
use super::reading::read_attrs;
use super::view::ResourceView;
use super::Service;
use crate::ldap::error::rc;
use crate::ldap::{dn, names_only, Entry, LdapError, LdapFilter, PasswordWrite};
use crate::mapping::active::wants_active;
use crate::mapping::from_ldap::id_of;
use crate::mapping::naming::naming;
use crate::mapping::to_ldap::{diff, keep_unseen_members, new_entry, new_rdn, referenced_ids, to_ldap, LdapAttrs};
use crate::mapping::{DeleteStrategy, ResourceMapping};
use crate::scim::patch;
use crate::scim::ScimType;

/// An `If-Match` precondition (RFC 7232 §3.1, weak comparison as SCIM's ETags are weak).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: the resource must exist.
    Any,
    Tags(Vec<String>),
}

impl IfMatch {
    pub fn parse(header: &str) -> IfMatch {
        if header.trim() == "*" {
            return IfMatch::Any;
        }
        IfMatch::Tags(header.split(',').map(|t| opaque(t).to_string()).filter(|t| !t.is_empty()).collect())
    }

    /// Whether a resource at `version` (its `meta.version`) satisfies the precondition.
    pub fn accepts(&self, version: Option<&str>) -> bool {
        match (self, version) {
            (IfMatch::Any, _) => true,
            (IfMatch::Tags(tags), Some(version)) => tags.iter().any(|t| t == opaque(version)),
            (IfMatch::Tags(_), None) => false,
        }
    }
}

/// The password a request sets, when the mapping writes passwords (SCIM never shows one, so any
/// password in the wanted resource is new).
fn password_of<'a>(m: &ResourceMapping, resource: &'a Map<String, Value>) -> Option<&'a str> {
    m.password?;
    resource
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("password"))
        .and_then(|(_, v)| v.as_str())
        .filter(|p| !p.is_empty())
}

/// The quoted part of an ETag, without the weakness prefix.
fn opaque(tag: &str) -> &str {
    let tag = tag.trim();
    tag.strip_prefix("W/").unwrap_or(tag).trim_matches('"')
}

/// An entry as read, and the resource it shows.
pub(super) struct Stored {
    pub(super) entry: Entry,
    pub(super) shown: Map<String, Value>,
}

impl Service {
    /// Puts a renamed entry back under its old name after the rest of the request failed, so that the
    /// request has no effect at all. LDAP cannot rename and modify in one operation.
    async fn undo_rename(&self, id: &str, renamed_dn: &str, old_dn: &str) {
        let (old_rdn, old_parent) = dn::split_first(old_dn);
        let (_, renamed_parent) = dn::split_first(renamed_dn);
        let move_back = Some(old_parent).filter(|p| dn::normalize(p) != dn::normalize(renamed_parent));
        match self.directory.rename(renamed_dn, old_rdn, move_back).await {
            Ok(()) => {
                self.forget(id, renamed_dn).await;
                self.ids.insert(id, old_dn).await;
                if let Err(e) = self.follow_in_groups(renamed_dn, Some(old_dn)).await {
                    tracing::error!(dn = %old_dn, error = %e, "could not restore memberships after undoing a rename");
                }
            }
            Err(e) => tracing::error!(from = %renamed_dn, to = %old_dn, error = %e, "could not undo a rename after a failed update"),
        }
    }

    /// Whether the directory answers (for readiness).
    pub async fn ping(&self) -> Result<()> {
        Ok(self.directory.ping().await?)
    }
}

impl ResourceView<'_> {
    /// Referenced ids (members, manager) → DNs, and values that are no id by the reference's `match`
    /// attributes; what stays unresolved `to_ldap` refuses or skips.
    async fn resolve_refs(&self, resource: &Map<String, Value>) -> Result<HashMap<String, String>> {
        let m = self.m;
        let mut refs = self.dns_of(&referenced_ids(m, resource)).await?;
        self.match_refs(m, resource, &mut refs).await?;
        Ok(refs)
    }

    /// `resolve_refs` for what a client writes: also refuses a group where a user is meant (a
    /// manager) and a group among its own members.
    async fn resolve_written_refs(&self, resource: &Map<String, Value>, own_id: Option<&str>) -> Result<HashMap<String, String>> {
        let m = self.m;
        let refs = self.resolve_refs(resource).await?;
        self.check_ref_targets(m, resource, &refs, own_id).await?;
        Ok(refs)
    }

    fn normalize(&self, body: &Value) -> Result<Map<String, Value>> {
        let m = self.m;
        let Value::Object(body) = body else {
            return Err(ServiceError::BadRequest(
                ScimType::InvalidSyntax,
                "the body must be a JSON object".into(),
            ));
        };
        Ok(patch::normalize(body, &m.schema)?)
    }

    /// 409 when another entry already holds a value the mapping declares unique. The RDN attribute
    /// too: entries other tools named by another attribute (`cn=Jane Legacy` with `uid: jlegacy`)
    /// hold it without the directory seeing a duplicate name.
    async fn check_unique(&self, attrs: &LdapAttrs, except_dn: Option<&str>) -> Result<()> {
        let m = self.m;
        for attr in m.attrs.iter().filter(|a| a.unique) {
            let Some(value) = attrs.get(&attr.ldap).and_then(|w| w.values.first()) else {
                continue;
            };
            let found = self.search_in(m, LdapFilter::eq(&attr.ldap, value), names_only()).await?;
            if found
                .iter()
                .any(|e| except_dn.is_none_or(|d| dn::normalize(d) != dn::normalize(&e.dn)))
            {
                return Err(ServiceError::Conflict(format!("{} '{value}' is already taken", attr.scim_path())));
            }
        }
        Ok(())
    }

    /// A resource by id. `without_members` leaves a group's member list unread (Entra's lookups send
    /// `excludedAttributes=members`; a 50,000-member list is not read to be thrown away).
    pub async fn get(&self, id: &str, without_members: bool) -> Result<Map<String, Value>> {
        let m = self.m;
        let entry = self.locate_with(m, id, read_attrs(m, without_members)).await?;
        self.render(&entry).await
    }

    pub async fn create(&self, body: &Value) -> Result<Map<String, Value>> {
        let (kind, m) = (self.m.kind, self.m);
        let resource = self.normalize(body)?;
        let refs = self.resolve_written_refs(&resource, None).await?;
        let attrs = to_ldap(m, &resource, &refs)?;
        self.check_unique(&attrs, None).await?;
        let (entry_dn, mut ldap_attrs) = new_entry(m, &attrs, m.parent_for(&resource))?;
        for allocation in &m.allocate {
            let number = self.allocate(m, allocation).await?;
            ldap_attrs.push((allocation.ldap.clone(), vec![number.to_string()]));
        }
        // Active Directory enables no account without a password: the account is added disabled, gets
        // its password (a random one when the IdP sent none), and only then is enabled.
        let enable_later = match (&m.active, m.password) {
            (Some(active), Some(PasswordWrite::UnicodePwd)) if wants_active(&resource) => {
                ldap_attrs.retain(|(name, _)| !name.eq_ignore_ascii_case(active.attribute()));
                ldap_attrs.push((active.attribute().to_string(), active.new_values(false)));
                true
            }
            _ => false,
        };
        let mut entry = self
            .directory
            .add(&entry_dn, &ldap_attrs, &m.fetch_attrs)
            .await
            .map_err(|e| name_taken(e, m, &attrs))?;
        let password = password_of(m, &resource)
            .map(str::to_string)
            .or_else(|| (m.password == Some(PasswordWrite::UnicodePwd)).then(random_password));
        if let Err(e) = self.finish_account(m, &entry.dn, password.as_deref(), enable_later).await {
            // The account must not exist without the password or state the IdP set: undo the create.
            if let Err(undo) = self.directory.delete(&entry.dn).await {
                tracing::error!(dn = %entry.dn, error = %undo, "could not undo a create whose password or state was refused");
            }
            return Err(e);
        }
        if enable_later || password.is_some() {
            // Read again, so that the version answered is the one after these writes.
            entry = self.directory_read(&entry.dn, &m.fetch_attrs).await?;
        }
        if let Some(id) = id_of(m, &entry) {
            self.ids.insert(&id, &entry.dn).await;
        }
        self.lists_changed();
        tracing::info!(resource = kind.name(), dn = %entry.dn, "created");
        self.render(&entry).await
    }

    pub async fn replace(&self, id: &str, body: &Value, if_match: Option<&IfMatch>) -> Result<Map<String, Value>> {
        let wanted = self.normalize(body)?;
        let mut attempts = 0;
        loop {
            let current = self.locate(id).await?;
            let shown = self.render(&current).await?;
            match self.write(id, Stored { entry: current, shown }, wanted.clone(), if_match).await {
                Err(e) if e.changed_meanwhile() && attempts < 2 => attempts += 1,
                outcome => return outcome,
            }
        }
    }

    /// Writes the difference between what the entry shows as SCIM (`shown`) and `wanted`: a rename when the RDN's
    /// source changed, then one modify with only the changed attributes. LDAP values SCIM does not show
    /// (further values, attributes outside the mapping) are never touched.
    pub(super) async fn write(
        &self,
        id: &str,
        stored: Stored,
        wanted: Map<String, Value>,
        if_match: Option<&IfMatch>,
    ) -> Result<Map<String, Value>> {
        let m = self.m;
        let Stored { entry: current, shown } = stored;
        let version = check_version(m, &current, if_match)?;
        let before = to_ldap(m, &shown, &self.resolve_refs(&shown).await?).unwrap_or_default();
        let after = to_ldap(m, &wanted, &self.resolve_written_refs(&wanted, Some(id)).await?)?;
        let naming = naming(m, &current, &before);
        let mut changed = LdapAttrs(after.0.iter().filter(|a| before.get(&a.name) != Some(*a)).cloned().collect());
        keep_unseen_members(m, &current, &before, &mut changed);
        self.check_unique(&changed, Some(&current.dn)).await?;
        // First, as the change the directory most often refuses (its password policy), so that a
        // refusal leaves the entry untouched.
        if let (Some(password), Some(how)) = (password_of(m, &wanted), m.password) {
            self.directory.set_password(&current.dn, password, how).await?;
        }
        let mut entry_dn = current.dn.clone();
        let renamed = new_rdn(m, &current, naming, &after)?;
        // An entry moves when the attribute that places it changed, not when it sits elsewhere already.
        let new_parent = Some(m.parent_for(&wanted))
            .filter(|_| m.moves_entries())
            .filter(|p| dn::normalize(p) != dn::normalize(m.parent_for(&shown)));
        let was_renamed = renamed.is_some() || new_parent.is_some();
        // The version is asserted in the modify itself, so that a change in between fails with 412.
        // Not for a rename (the entry's version changes with it) nor for groups: OpenLDAP's memberof
        // applies the assertion to its own updates of the members, which would then silently fail.
        let assertion = version
            .filter(|_| !was_renamed && m.members().is_none())
            .map(|v| LdapFilter::eq(&m.meta.version, &v));
        if was_renamed {
            let (current_rdn, parent) = dn::split_first(&current.dn);
            let rdn = renamed.unwrap_or_else(|| current_rdn.to_string());
            self.directory
                .rename(&current.dn, &rdn, new_parent)
                .await
                .map_err(|e| name_taken(e, m, &after))?;
            entry_dn = dn::join(&rdn, new_parent.unwrap_or(parent));
            self.forget(id, &current.dn).await;
            self.ids.insert(id, &entry_dn).await;
            self.follow_in_groups(&current.dn, Some(&entry_dn)).await?;
        }
        let mods = diff(m, &current, naming, &changed)?;
        let modified = self.modify_fitting(m, &entry_dn, &mods, assertion.as_ref(), &m.fetch_attrs).await;
        let mut entry = match modified {
            Ok(entry) => entry,
            Err(e) => {
                if was_renamed {
                    self.undo_rename(id, &entry_dn, &current.dn).await;
                }
                return Err(match e {
                    ServiceError::Ldap(e) if e.result_code() == Some(rc::ASSERTION_FAILED) => {
                        ServiceError::PreconditionFailed(format!("{} {id} changed since the given version", m.kind.name()))
                    }
                    other => other,
                });
            }
        };
        entry.dn = entry_dn;
        self.lists_changed();
        tracing::info!(resource = m.kind.name(), dn = %entry.dn, changes = mods.len(), "updated");
        if let Some(members) = m.members() {
            if let Some(after) = changed.get(&members.ldap) {
                let dropped = super::members::dropped(current.get(&members.ldap), &after.values);
                let dropped: Vec<String> = dropped.iter().map(|v| members.ref_dn(v)).collect();
                self.deactivate_ungrouped(&dropped).await;
            }
        }
        self.render(&entry).await
    }

    pub async fn delete(&self, id: &str, if_match: Option<&IfMatch>) -> Result<()> {
        let (kind, m) = (self.m.kind, self.m);
        let entry = self.locate(id).await?;
        check_version(m, &entry, if_match)?;
        match &m.delete {
            DeleteStrategy::Hard => {
                self.directory.delete(&entry.dn).await?;
                self.forget(id, &entry.dn).await;
                self.follow_in_groups(&entry.dn, None).await?;
                tracing::info!(resource = kind.name(), dn = %entry.dn, "deleted");
                if let Some(members) = m.members() {
                    let dns: Vec<String> = entry.get(&members.ldap).iter().map(|v| members.ref_dn(v)).collect();
                    self.deactivate_ungrouped(&dns).await;
                }
            }
            DeleteStrategy::Disable => {
                self.deactivate(m, &entry.dn).await?;
                tracing::info!(resource = kind.name(), dn = %entry.dn, "deactivated instead of deleted");
            }
            DeleteStrategy::Move(archive) => {
                let entry_dn = self.deactivate(m, &entry.dn).await?;
                let (rdn, _) = dn::split_first(&entry_dn);
                self.directory.rename(&entry_dn, rdn, Some(archive)).await?;
                self.forget(id, &entry_dn).await;
                self.follow_in_groups(&entry_dn, None).await?;
                tracing::info!(resource = kind.name(), dn = %entry.dn, archive = %archive, "moved to the archive instead of deleted");
            }
        }
        self.lists_changed();
        Ok(())
    }
}

/// 412 when `if_match` does not accept the entry's version; the version (for an assertion) otherwise.
fn check_version(m: &ResourceMapping, entry: &Entry, if_match: Option<&IfMatch>) -> Result<Option<String>> {
    let Some(if_match) = if_match else {
        return Ok(None);
    };
    let version = entry.first(&m.meta.version);
    if !if_match.accepts(version.map(|v| format!("W/\"{v}\"")).as_deref()) {
        return Err(ServiceError::PreconditionFailed(format!(
            "{} {} is at another version",
            m.kind.name(),
            id_of(m, entry).unwrap_or_default()
        )));
    }
    Ok(version.map(str::to_string))
}

/// An add or rename onto an existing name is the client's conflict, named in SCIM terms.
fn name_taken(err: LdapError, m: &ResourceMapping, attrs: &LdapAttrs) -> ServiceError {
    match err.result_code() {
        Some(rc::ENTRY_ALREADY_EXISTS) => {
            let name = attrs.get(&m.rdn_attr).and_then(|a| a.values.first()).cloned().unwrap_or_default();
            ServiceError::Conflict(format!("{} '{name}' already exists", m.rdn_label()))
        }
        _ => err.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::IfMatch;

    #[test]
    fn if_match_compares_weakly_and_accepts_any() {
        let version = Some("W/\"20261124213000.123456Z#000000#000#000000\"");
        assert!(IfMatch::parse("W/\"20261124213000.123456Z#000000#000#000000\"").accepts(version));
        assert!(IfMatch::parse("\"20261124213000.123456Z#000000#000#000000\"").accepts(version));
        assert!(IfMatch::parse("W/\"other\", W/\"20261124213000.123456Z#000000#000#000000\"").accepts(version));
        assert!(!IfMatch::parse("W/\"other\"").accepts(version));
        assert!(IfMatch::parse("*").accepts(version));
        assert!(!IfMatch::parse("W/\"x\"").accepts(None));
    }
}
