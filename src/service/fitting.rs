//! Modifies that fit the entry: see `mapping::fitting`. The classes an entry lacks are learnt from
//! the directory's refusal (object class violation), so that entries that already fit cost nothing
//! extra; the modify is then sent once more with the classes added, and the audit line names them.

use super::error::{Result, ServiceError};
use super::Service;
use crate::ldap::error::rc;
use crate::ldap::{Entry, LdapFilter, Modification};
use crate::mapping::fitting::classes_to_add;
use crate::mapping::ResourceMapping;
use crate::scim::ScimType;

impl Service {
    /// `Directory::modify`, adding the mapping's auxiliary classes an entry lacks for what `mods`
    /// write (an entry another tool created without `extensibleObject`).
    pub(super) async fn modify_fitting(
        &self,
        m: &ResourceMapping,
        entry_dn: &str,
        mods: &[Modification],
        assertion: Option<&LdapFilter>,
        read_back: &[String],
    ) -> Result<Entry> {
        let refused = match self.directory.modify(entry_dn, mods, assertion, read_back).await {
            Err(e) if e.result_code() == Some(rc::OBJECT_CLASS_VIOLATION) => e,
            outcome => return Ok(outcome?),
        };
        let Some(fitted) = self.fitted(m, entry_dn, mods).await? else {
            return Err(refused.into());
        };
        Ok(self.directory.modify(entry_dn, &fitted, assertion, read_back).await?)
    }

    /// `Directory::modify_if` with the same fitting.
    pub(super) async fn modify_if_fitting(&self, m: &ResourceMapping, entry_dn: &str, mods: &[Modification]) -> Result<()> {
        let refused = match self.directory.modify_if(entry_dn, mods, None).await {
            Err(e) if e.result_code() == Some(rc::OBJECT_CLASS_VIOLATION) => e,
            outcome => return Ok(outcome?),
        };
        let Some(fitted) = self.fitted(m, entry_dn, mods).await? else {
            return Err(refused.into());
        };
        Ok(self.directory.modify_if(entry_dn, &fitted, None).await?)
    }

    /// `mods` with the object classes the entry needs for them added first; `None` when it needs
    /// none (the directory refused for another reason, such as a required attribute removed).
    async fn fitted(&self, m: &ResourceMapping, entry_dn: &str, mods: &[Modification]) -> Result<Option<Vec<Modification>>> {
        let entry = self.directory_read(entry_dn, &["*".to_string()]).await?;
        let classes = entry.get("objectClass").to_vec();
        let present: Vec<&str> = entry.names().collect();
        let added = classes_to_add(m, &self.schema, entry_dn, &classes, &present, mods)
            .map_err(|e| ServiceError::BadRequest(ScimType::InvalidValue, e.to_string()))?;
        if added.is_empty() {
            return Ok(None);
        }
        tracing::info!(dn = %entry_dn, classes = %added.join(","), "adding object classes the entry needs for this write");
        crate::audit::note(format!("objectClass+ {entry_dn} [{}]", added.join(",")));
        let mut fitted = vec![Modification::Add("objectClass".into(), added)];
        fitted.extend(mods.iter().cloned());
        Ok(Some(fitted))
    }
}
