//! What the directory says about the gateway's own bind: who it is bound as (RFC 4532 Who am I?) and,
//! where the directory can tell, what that identity may write (389 DS's Get Effective Rights control,
//! Active Directory's `allowedAttributesEffective` and `allowedChildClassesEffective`). OpenLDAP
//! offers neither rights mechanism; callers then say nothing about rights.

use std::collections::HashSet;

use ldap3::controls::RawControl;

use super::client::LdapDirectory;
use super::directory::{read_entry, Directory};
use super::entry::entries_of;
use super::entry::Entry;
use super::error::LdapError;
use super::filter::LdapFilter;
use super::request::{Scope, SearchRequest};

type Result<T> = std::result::Result<T, LdapError>;

/// 389 DS (and Sun/Oracle DS): the Get Effective Rights request control.
pub const GET_EFFECTIVE_RIGHTS_OID: &str = "1.3.6.1.4.1.42.2.27.9.5.2";
/// `supportedCapabilities` of an Active Directory domain controller (Samba AD included).
const ACTIVE_DIRECTORY_OID: &str = "1.2.840.113556.1.4.800";

/// Which mechanism told the rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RightsSource {
    /// 389 DS's Get Effective Rights control.
    GetEffectiveRights,
    /// Active Directory's constructed `allowed…Effective` attributes.
    AllowedEffective,
}

impl RightsSource {
    pub fn name(self) -> &'static str {
        match self {
            RightsSource::GetEffectiveRights => "the Get Effective Rights control",
            RightsSource::AllowedEffective => "allowedAttributesEffective",
        }
    }
}

/// What the bound identity may write, as the directory tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveRights {
    pub source: RightsSource,
    /// The entry the attribute rights are for: the first entry of the type (the base when there is
    /// none).
    pub entry: String,
    /// That entry's object classes: directories deny writes of attributes its classes do not allow,
    /// which the takeover report covers, not the rights.
    pub classes: Vec<String>,
    /// Attributes the identity may write on `entry`, lower-cased; `None` when no entry of the type
    /// exists yet or the directory sent no attribute rights.
    pub writable: Option<HashSet<String>>,
    /// The object classes the identity may create under the base, lower-cased (Active Directory only).
    pub child_classes: Option<HashSet<String>>,
}

impl LdapDirectory {
    /// The identity the directory has bound the gateway as (`dn:…`, `u:…`, or empty for anonymous);
    /// `None` when the directory does not offer the operation.
    pub async fn who_am_i(&self) -> Result<Option<String>> {
        let (_, mut ldap) = self.pool.handle().await?;
        let answer = ldap
            .with_timeout(self.pool.timeout)
            .extended(ldap3::exop::WhoAmI)
            .await
            .map_err(|e| LdapError::from_ldap3("who am i", e))?;
        if answer.1.rc != 0 {
            return Ok(None);
        }
        // Parsed here: ldap3's parser panics on an identity that is not UTF-8.
        Ok(Some(
            String::from_utf8_lossy(answer.0.val.as_deref().unwrap_or_default()).into_owned(),
        ))
    }

    /// What the bound identity may write on entries of `filter` under `base` (one of them, the first
    /// found, else the base), for `attrs`; `None` where the directory cannot tell.
    pub async fn effective_rights(
        &self,
        base: &str,
        scope: Scope,
        filter: &LdapFilter,
        attrs: &[String],
    ) -> Result<Option<EffectiveRights>> {
        let capabilities = ["supportedControl".to_string(), "supportedCapabilities".to_string()];
        let root = read_entry(self, "", &capabilities).await?.unwrap_or_default();
        let offers = |attr: &str, oid: &str| root.get(attr).iter().any(|v| v == oid);
        if offers("supportedControl", GET_EFFECTIVE_RIGHTS_OID) {
            self.rights_by_control(base, scope, filter, attrs).await.map(Some)
        } else if offers("supportedCapabilities", ACTIVE_DIRECTORY_OID) {
            self.rights_by_allowed_effective(base, scope, filter).await.map(Some)
        } else {
            Ok(None)
        }
    }

    async fn rights_by_control(&self, base: &str, scope: Scope, filter: &LdapFilter, attrs: &[String]) -> Result<EffectiveRights> {
        let mut wanted: Vec<String> = attrs.to_vec();
        wanted.extend(["objectClass", "entryLevelRights", "attributeLevelRights"].map(String::from));
        let authz = format!("dn:{}", self.pool.settings.bind_dn);
        let control = RawControl {
            ctype: GET_EFFECTIVE_RIGHTS_OID.to_string(),
            crit: true,
            val: Some(get_effective_rights_value(&authz)),
        };
        // Rights on an entry of the type: the base itself (an organizational unit) would answer
        // `none` for every attribute its own classes do not allow.
        let Some(entry) = self.search_with_control(base, scope, filter, &wanted, control).await? else {
            return Ok(EffectiveRights {
                source: RightsSource::GetEffectiveRights,
                entry: base.to_string(),
                classes: Vec::new(),
                writable: None,
                child_classes: None,
            });
        };
        let levels: Vec<(String, String)> = entry
            .get("attributeLevelRights")
            .iter()
            .flat_map(|v| attribute_level_rights(v))
            .collect();
        let writable = (!levels.is_empty()).then(|| {
            levels
                .into_iter()
                .filter(|(_, rights)| rights.contains('w'))
                .map(|(name, _)| name.to_ascii_lowercase())
                .collect()
        });
        Ok(EffectiveRights {
            source: RightsSource::GetEffectiveRights,
            classes: entry.get("objectClass").to_vec(),
            entry: entry.dn,
            writable,
            child_classes: None,
        })
    }

    async fn rights_by_allowed_effective(&self, base: &str, scope: Scope, filter: &LdapFilter) -> Result<EffectiveRights> {
        let sample = self
            .search(
                &SearchRequest::new(
                    base,
                    scope,
                    filter.clone(),
                    vec!["objectClass".to_string(), "allowedAttributesEffective".to_string()],
                )
                .limited(1),
            )
            .await
            .or_else(|e| {
                if e.result_code() == Some(super::error::rc::SIZE_LIMIT_EXCEEDED) {
                    Ok(Vec::new())
                } else {
                    Err(e)
                }
            })?;
        let at_base = read_entry(self, base, &["allowedChildClassesEffective".to_string()])
            .await?
            .unwrap_or_else(|| Entry::new(base));
        let lower = |values: &[String]| values.iter().map(|v| v.to_ascii_lowercase()).collect::<HashSet<String>>();
        let sample = sample.into_iter().next();
        Ok(EffectiveRights {
            source: RightsSource::AllowedEffective,
            writable: sample.as_ref().map(|e| lower(e.get("allowedAttributesEffective"))),
            classes: sample.as_ref().map(|e| e.get("objectClass").to_vec()).unwrap_or_default(),
            entry: sample.map_or_else(|| base.to_string(), |e| e.dn),
            child_classes: Some(lower(at_base.get("allowedChildClassesEffective"))),
        })
    }

    async fn search_with_control(
        &self,
        base: &str,
        scope: Scope,
        filter: &LdapFilter,
        attrs: &[String],
        control: RawControl,
    ) -> Result<Option<Entry>> {
        let (_, mut ldap) = self.pool.handle().await?;
        let answer = ldap
            .with_timeout(self.pool.timeout)
            .with_controls(control)
            .with_search_options(ldap3::SearchOptions::new().sizelimit(1))
            .search(base, scope.into(), &filter.to_string(), attrs)
            .await
            .map_err(|e| LdapError::from_ldap3("search", e))?;
        let ldap3::SearchResult(raw, outcome) = answer;
        if !matches!(outcome.rc, 0 | super::error::rc::SIZE_LIMIT_EXCEEDED) {
            return Err(LdapError::Result {
                op: "search",
                rc: outcome.rc,
                text: outcome.text,
            });
        }
        Ok(entries_of("search", raw)?.into_iter().next())
    }
}

/// The control's value: the authorization id as one BER OCTET STRING, as 389 DS reads it
/// (`ber_scanf "a"`; the `GetRightsControl` SEQUENCE of the draft is refused as "not dnAuthzId").
fn get_effective_rights_value(authz: &str) -> Vec<u8> {
    let mut out = vec![0x04];
    out.extend(ber_length(authz.len()));
    out.extend(authz.as_bytes());
    out
}

fn ber_length(len: usize) -> Vec<u8> {
    if len < 0x80 {
        return vec![len as u8];
    }
    let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
    let mut out = vec![0x80 | bytes.len() as u8];
    out.extend(bytes);
    out
}

/// `cn:rscwo, sn:rscwo, uid:rsc` → each attribute with its rights letters (389 DS writes one value
/// listing every attribute asked for).
fn attribute_level_rights(value: &str) -> Vec<(String, String)> {
    value
        .split(',')
        .filter_map(|part| part.trim().split_once(':'))
        .map(|(name, rights)| (name.trim().to_string(), rights.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_control_value_is_the_authz_id_as_an_octet_string() {
        assert_eq!(get_effective_rights_value("dn:x"), vec![0x04, 0x04, b'd', b'n', b':', b'x']);
        let long = format!("dn:{}", "a".repeat(200));
        let value = get_effective_rights_value(&long);
        assert_eq!(&value[..3], &[0x04, 0x81, 0xcb]);
        assert_eq!(value.len(), 3 + 203);
    }

    #[test]
    fn attribute_level_rights_are_split_per_attribute() {
        assert_eq!(
            attribute_level_rights("cn:rscwo, sn:rsc,mail:none"),
            vec![
                ("cn".to_string(), "rscwo".to_string()),
                ("sn".to_string(), "rsc".to_string()),
                ("mail".to_string(), "none".to_string())
            ]
        );
        assert!(attribute_level_rights("").is_empty());
    }
}
