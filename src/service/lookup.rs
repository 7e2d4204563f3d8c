//! The gateway's own lookups, as opposed to a client's list query: what they find is the gateway's
//! business, so a directory that holds two entries where one is expected, or cuts a lookup short by
//! its size limit, is a logged inconsistency (500), never the client's `tooMany`.

use super::error::{Result, ServiceError};
use crate::ldap::error::rc;
use crate::ldap::{Entry, LdapError};

/// The one entry a lookup expects (searched with a size limit of 2, so that a second one shows),
/// or none. `what` names what the entries should be unique by, for the log.
pub(super) fn single(found: std::result::Result<Vec<Entry>, LdapError>, what: &str) -> Result<Option<Entry>> {
    let mut entries = every(found, what)?;
    match entries.len() {
        0 | 1 => Ok(entries.pop()),
        _ => {
            let dns: Vec<&str> = entries.iter().map(|e| e.dn.as_str()).collect();
            Err(ServiceError::Inconsistent(format!(
                "several entries hold {what}: {}; the directory holds a duplicate",
                dns.join("; ")
            )))
        }
    }
}

/// Every entry a lookup found; the directory's size limit cutting it short is an inconsistency.
pub(super) fn every(found: std::result::Result<Vec<Entry>, LdapError>, what: &str) -> Result<Vec<Entry>> {
    match found {
        Ok(entries) => Ok(entries),
        Err(e) if e.result_code() == Some(rc::SIZE_LIMIT_EXCEEDED) => Err(ServiceError::Inconsistent(format!(
            "the directory's size limit cut short the lookup of {what}: more entries than expected hold it, or the limit is too low for the gateway's account"
        ))),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::ScimError;

    fn entries(dns: &[&str]) -> std::result::Result<Vec<Entry>, LdapError> {
        Ok(dns.iter().map(|d| Entry::new(*d)).collect())
    }

    fn answer(err: ServiceError) -> (u16, Option<crate::scim::ScimType>) {
        let scim: ScimError = err.into();
        (scim.status, scim.scim_type)
    }

    #[test]
    fn one_or_none_is_the_lookup_s_answer() {
        assert!(single(entries(&[]), "id 1").is_ok_and(|e| e.is_none()));
        assert!(single(entries(&["uid=a"]), "id 1").is_ok_and(|e| e.is_some_and(|e| e.dn == "uid=a")));
    }

    #[test]
    fn two_entries_or_a_size_limit_are_an_inconsistency_not_too_many() {
        let two = single(entries(&["uid=a", "uid=b"]), "id 1").err();
        assert!(
            matches!(&two, Some(ServiceError::Inconsistent(d)) if d.contains("uid=a; uid=b")),
            "{two:?}"
        );
        assert_eq!(two.map(answer), Some((500, None)));
        let limited = LdapError::Result {
            op: "search",
            rc: rc::SIZE_LIMIT_EXCEEDED,
            text: "size limit".into(),
        };
        let cut = single(Err(limited), "id 1").err();
        assert_eq!(cut.map(answer), Some((500, None)));
        let down = every(Err(LdapError::Timeout("search")), "id 1").err();
        assert_eq!(down.map(answer), Some((503, None)));
    }
}
