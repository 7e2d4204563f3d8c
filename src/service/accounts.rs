//! Account state: enabling and deactivating accounts the way the mapping says, setting a new
//! account's password, and deactivating users a group change left in no group.

use super::error::{Result, ServiceError};
use super::Service;
use crate::ldap::{dn, names_only, LdapFilter};
use crate::mapping::ResourceMapping;

/// A password nobody knows, for an account the IdP enables without sending one: long, and with the
/// four character classes AD's complexity rule counts.
pub(super) fn random_password() -> String {
    format!("{}{}-Aa1", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

impl Service {
    /// Sets a new account's password, then enables it when asked.
    pub(super) async fn finish_account(&self, m: &ResourceMapping, entry_dn: &str, password: Option<&str>, enable: bool) -> Result<()> {
        if let (Some(password), Some(how)) = (password, m.password) {
            self.directory.set_password(entry_dn, password, how).await?;
        }
        if enable {
            self.set_active(m, entry_dn, true).await?;
        }
        Ok(())
    }

    /// Deactivates the account, when the mapping says how, and moves it among the disabled accounts
    /// when the mapping keeps them apart; answers its DN afterwards.
    pub(super) async fn deactivate(&self, m: &ResourceMapping, entry_dn: &str) -> Result<String> {
        self.set_active(m, entry_dn, false).await?;
        let Some(disabled) = &m.disabled_parent else {
            return Ok(entry_dn.to_string());
        };
        let (rdn, parent) = dn::split_first(entry_dn);
        if dn::normalize(parent) == dn::normalize(disabled) {
            return Ok(entry_dn.to_string());
        }
        self.directory.rename(entry_dn, rdn, Some(disabled)).await?;
        let moved = dn::join(rdn, disabled);
        self.dn_targets.invalidate(&dn::normalize(entry_dn)).await;
        self.follow_in_groups(entry_dn, Some(&moved)).await?;
        Ok(moved)
    }

    /// Sets the account's state. A state that shares its attribute with other data (a bit of
    /// userAccountControl) is read, then written so that the write fails if the value changed in
    /// between; it is then read again, a few times at most.
    pub(super) async fn set_active(&self, m: &ResourceMapping, entry_dn: &str, enable: bool) -> Result<()> {
        let Some(active) = &m.active else { return Ok(()) };
        if let Some(write) = active.blind_write(enable) {
            return self.modify_if_fitting(m, entry_dn, &[write]).await;
        }
        let mut attempts = 0;
        loop {
            let entry = self.directory_read(entry_dn, &[active.attribute().to_string()]).await?;
            let writes = active.writes(&entry, enable)?;
            if writes.is_empty() {
                return Ok(());
            }
            match self.modify_if_fitting(m, entry_dn, &writes).await {
                Err(e) if e.changed_meanwhile() && attempts < 3 => attempts += 1,
                outcome => return outcome,
            }
        }
    }

    /// Deactivates each of `removed` (member DNs a group change dropped) that is a user now in no
    /// group at all, when the users' mapping asks for it. The group change itself is done: a failure
    /// here is logged, not answered.
    pub(super) async fn deactivate_ungrouped(&self, removed: &[String]) {
        let users = &self.mapping.users;
        // The mapping compiler allows deactivate_when_ungrouped only with an `active` section.
        let Some(groups) = self.mapping.groups.as_ref() else {
            return;
        };
        let Some(members) = groups.members().filter(|_| users.deactivate_when_ungrouped) else {
            return;
        };
        let users_base = dn::normalize(&users.base);
        for member in removed {
            let Some(value) = members.ref_value(member).filter(|_| dn::normalize(member).ends_with(&users_base)) else {
                continue;
            };
            let outcome = async {
                let holding = self.search_in(groups, LdapFilter::eq(&members.ldap, &value), names_only()).await?;
                if holding.is_empty() {
                    let moved = self.deactivate(users, member).await?;
                    tracing::info!(dn = %moved, "deactivated: in no group any more");
                }
                Ok::<(), ServiceError>(())
            }
            .await;
            if let Err(e) = outcome {
                tracing::error!(dn = %member, error = %e, "could not deactivate a user left in no group");
            }
        }
    }
}
