//! The request controls that make a write safer or cheaper where the directory takes them: Post-Read
//! (RFC 4527) returns the entry as written with the write's answer, Assertion (RFC 4528) makes a write
//! conditional; and which of those, and VLV with Server Side Sort, a directory takes.

use ldap3::controls::{Assertion, Control, PostRead, RawControl};

use super::directory::{read_entry, Directory};
use super::entry::Entry;
use super::error::LdapError;
use super::filter::LdapFilter;
use super::vlv::{SORT_OID, VLV_OID};

const POST_READ_OID: &str = "1.3.6.1.1.13.2";
const ASSERTION_OID: &str = "1.3.6.1.1.12";

/// The controls a directory lists in its root DSE's `supportedControl`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct SupportedControls {
    pub(super) post_read: bool,
    /// The RFC 4528 Assertion control (389 DS and AD do not take it).
    pub(super) assertions: bool,
    /// The VLV and Server Side Sort controls together.
    pub(super) vlv: bool,
}

impl SupportedControls {
    /// What `directory` says it takes; nothing when its root DSE cannot be read.
    pub(super) async fn of<D: Directory + ?Sized>(directory: &D) -> Result<Self, LdapError> {
        let root = read_entry(directory, "", &["supportedControl".to_string()]).await?;
        Ok(SupportedControls::listed_in(root.as_ref()))
    }

    fn listed_in(root: Option<&Entry>) -> Self {
        let supports = |oid: &str| root.is_some_and(|e| e.get("supportedControl").iter().any(|c| c == oid));
        SupportedControls {
            post_read: supports(POST_READ_OID),
            assertions: supports(ASSERTION_OID),
            vlv: supports(VLV_OID) && supports(SORT_OID),
        }
    }
}

/// The Post-Read control asking for `attrs` of the entry as written.
pub(super) fn post_read(attrs: &[String]) -> RawControl {
    PostRead::new(attrs.to_vec())
}

/// The entry a Post-Read response control carries, if the answer has one that decodes.
pub(super) fn post_read_answer(ctrls: &[Control]) -> Option<Entry> {
    ctrls
        .iter()
        .find(|c| c.1.ctype == POST_READ_OID)
        .and_then(|c| c.1.val.as_deref())
        .and_then(post_read_entry)
}

/// The entry a Post-Read control carries (RFC 4527: a SearchResultEntry), decoded without ldap3's
/// parser, which panics on a malformed one; `None` then, and the entry is read instead.
fn post_read_entry(value: &[u8]) -> Option<Entry> {
    let (_, tag) = ldap3::asn1::parse_tag(value).ok()?;
    Entry::from_result(ldap3::ResultEntry::new(tag))
}

/// The RFC 4528 Assertion control, critical, for a filter.
pub(super) fn assertion_control(assertion: &LdapFilter) -> Result<RawControl, LdapError> {
    let text = assertion.to_string();
    // The control encoder panics on a filter it cannot parse: check first.
    ldap3::parse_filter(&text).map_err(|_| LdapError::Config(format!("invalid assertion filter {text}")))?;
    let mut control = Assertion::new(text);
    control.crit = true;
    Ok(control)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_dse(controls: &[&str]) -> Entry {
        let mut root = Entry::new("");
        root.set("supportedControl", controls.iter().map(|c| c.to_string()).collect());
        root
    }

    #[test]
    fn the_root_dse_tells_which_controls_the_directory_takes() {
        let all = root_dse(&[POST_READ_OID, ASSERTION_OID, VLV_OID, SORT_OID]);
        assert_eq!(
            SupportedControls::listed_in(Some(&all)),
            SupportedControls {
                post_read: true,
                assertions: true,
                vlv: true
            }
        );
        let post_read_only = root_dse(&[POST_READ_OID]);
        assert_eq!(
            SupportedControls::listed_in(Some(&post_read_only)),
            SupportedControls {
                post_read: true,
                ..SupportedControls::default()
            }
        );
        assert_eq!(
            SupportedControls::listed_in(None),
            SupportedControls::default(),
            "an unreadable root DSE"
        );
    }

    #[test]
    fn vlv_counts_only_with_server_side_sort_too() {
        assert!(!SupportedControls::listed_in(Some(&root_dse(&[VLV_OID]))).vlv);
        assert!(!SupportedControls::listed_in(Some(&root_dse(&[SORT_OID]))).vlv);
    }

    #[test]
    fn an_assertion_control_is_critical_and_carries_the_filter() {
        let control = assertion_control(&LdapFilter::any()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(control.ctype, ASSERTION_OID);
        assert!(control.crit);
    }

    #[test]
    fn a_malformed_post_read_value_is_no_entry() {
        assert_eq!(post_read_entry(&[0x30, 0x05, 0x04]), None);
        assert_eq!(post_read_answer(&[]), None);
    }
}
