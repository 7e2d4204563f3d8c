//! How entries that other tools named and filled are read and written: the rules that make what an
//! IdP writes the value it reads back, on entries whose LDAP attributes hold more values than SCIM
//! shows, or whose RDN is not the one the mapping would give them.
//!
//! - **Shown value.** A SCIM attribute with one value (or one typed element, such as the work email)
//!   fed from an LDAP attribute holding several shows the first value the entry's RDN does not hold,
//!   else the first: for the attribute that names the entry the way the mapping does, the RDN's own
//!   value.
//! - **Written value.** Writing it replaces every value of the LDAP attribute but those the RDN holds
//!   (the directory refuses to remove them), so that the written value is the one shown afterwards;
//!   `keep_other_values` keeps the others after the written one instead (mail aliases), which relies
//!   on the directory keeping value order (OpenLDAP and 389 DS do; Active Directory does not promise it).
//! - **Naming.** An entry follows a change of its naming source (rename) only when it is named by the
//!   mapping's `rdn` attribute with the value the mapping derives from the resource. Entries named by
//!   another attribute (`cn=Jane Legacy` where the mapping names by `uid`) keep their name, and the
//!   `rdn` attribute is written like any other; entries named by the `rdn` attribute with another
//!   value (Active Directory's tools name accounts after the display name) keep it too.

use super::to_ldap::LdapAttrs;
use super::ResourceMapping;
use crate::ldap::{dn, Entry};

/// How an entry's current name relates to the name the mapping would give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// Named by the mapping's `rdn` attribute, with the value derived from the resource: a change of
    /// that value renames the entry.
    Follows,
    /// Named by the `rdn` attribute with a value of its own: the name stays, the attribute (the RDN's
    /// value) is not written.
    Kept,
    /// Named by another attribute: the name stays, the `rdn` attribute is an ordinary attribute.
    Other,
}

/// The attribute and value of a DN's first RDN (single-valued RDNs only).
pub fn rdn_of(entry_dn: &str) -> Option<(String, String)> {
    let (first, _) = dn::split_first(entry_dn);
    dn::rdn_value(first).map(|(attr, value)| (attr.to_string(), value))
}

/// The value of `attribute` that the entry's RDN holds, if it holds one.
pub fn rdn_value_of(entry_dn: &str, attribute: &str) -> Option<String> {
    rdn_of(entry_dn)
        .filter(|(attr, _)| attr.eq_ignore_ascii_case(attribute))
        .map(|(_, value)| value)
}

/// How `current` is named, given the LDAP values the resource it shows maps to (`shown_attrs`).
pub fn naming(mapping: &ResourceMapping, current: &Entry, shown_attrs: &LdapAttrs) -> Naming {
    let Some(held) = rdn_value_of(&current.dn, &mapping.rdn_attr) else {
        return Naming::Other;
    };
    match shown_attrs.get(&mapping.rdn_attr).and_then(|a| a.values.first()) {
        Some(derived) if !derived.eq_ignore_ascii_case(&held) => Naming::Kept,
        _ => Naming::Follows,
    }
}

/// Which of `stored` (values of `attribute` on the entry at `entry_dn`) a SCIM attribute with one
/// value shows: see the module's rules.
pub fn shown_index(mapping: &ResourceMapping, entry_dn: &str, attribute: &str, stored: &[String]) -> usize {
    if stored.len() < 2 {
        return 0;
    }
    let Some(held) = rdn_value_of(entry_dn, attribute) else {
        return 0;
    };
    let is_held = |v: &String| v.eq_ignore_ascii_case(&held);
    if attribute.eq_ignore_ascii_case(&mapping.rdn_attr) {
        return stored.iter().position(is_held).unwrap_or(0);
    }
    stored.iter().position(|v| !is_held(v)).unwrap_or(0)
}

/// The values `attribute` should hold after a write of `written` to a SCIM attribute with one value:
/// the written values, those the RDN holds, and with `keep_others` the rest as stored, in that order.
pub fn values_after_write(entry_dn: &str, attribute: &str, stored: &[String], written: &[String], keep_others: bool) -> Vec<String> {
    let held = rdn_value_of(entry_dn, attribute);
    let is_held = |v: &String| held.as_deref().is_some_and(|h| v.eq_ignore_ascii_case(h));
    let mut out: Vec<String> = written.to_vec();
    let missing = |out: &Vec<String>, v: &String| !out.iter().any(|o| o.eq_ignore_ascii_case(v));
    for value in stored.iter().filter(|v| is_held(v) || keep_others) {
        if missing(&out, value) {
            out.push(value.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::test_mappings::{compile, users_with};
    use crate::mapping::to_ldap::WantedAttr;

    fn mapping() -> ResourceMapping {
        compile(&users_with(&["{ scim: name.formatted, ldap: cn }"])).users
    }

    fn values(list: &[&str]) -> Vec<String> {
        list.iter().map(|v| v.to_string()).collect()
    }

    fn entry(entry_dn: &str) -> Entry {
        Entry::new(entry_dn)
    }

    fn derived(uid: &str) -> LdapAttrs {
        LdapAttrs(vec![WantedAttr {
            name: "uid".into(),
            values: values(&[uid]),
            all_values: false,
            keep_others: false,
        }])
    }

    #[test]
    fn an_entry_follows_only_a_name_the_mapping_gave_it() {
        let m = mapping();
        assert_eq!(naming(&m, &entry("uid=jdoe,ou=people,dc=x"), &derived("JDoe")), Naming::Follows);
        assert_eq!(
            naming(&m, &entry("cn=Jane Legacy,ou=people,dc=x"), &derived("jlegacy")),
            Naming::Other
        );
        assert_eq!(naming(&m, &entry("uid=legacy-7,ou=people,dc=x"), &derived("jlegacy")), Naming::Kept);
    }

    #[test]
    fn the_value_shown_is_the_first_the_rdn_does_not_hold_except_for_the_naming_attribute() {
        let m = mapping();
        let cn_named = "cn=Jane Legacy,ou=people,dc=x";
        assert_eq!(shown_index(&m, cn_named, "cn", &values(&["Jane Legacy", "J. Legacy"])), 1);
        assert_eq!(shown_index(&m, cn_named, "cn", &values(&["Jane Legacy"])), 0);
        assert_eq!(shown_index(&m, cn_named, "sn", &values(&["Legacy", "Oldname"])), 0);
        assert_eq!(shown_index(&m, "uid=jdoe,ou=people,dc=x", "uid", &values(&["jd", "JDOE"])), 1);
    }

    #[test]
    fn a_write_replaces_every_value_but_the_rdn_s_unless_others_are_kept() {
        let cn_named = "cn=Jane Legacy,ou=people,dc=x";
        let stored = values(&["Jane Legacy", "J. Legacy", "JL"]);
        assert_eq!(
            values_after_write(cn_named, "cn", &stored, &values(&["Jane Q"]), false),
            values(&["Jane Q", "Jane Legacy"])
        );
        assert_eq!(
            values_after_write(cn_named, "cn", &stored, &values(&["jane legacy"]), false),
            values(&["jane legacy"])
        );
        assert_eq!(
            values_after_write(cn_named, "cn", &stored, &values(&["JL"]), true),
            values(&["JL", "Jane Legacy", "J. Legacy"])
        );
        assert_eq!(
            values_after_write(cn_named, "sn", &values(&["Legacy", "Oldname"]), &values(&["Newname"]), false),
            values(&["Newname"])
        );
    }
}
