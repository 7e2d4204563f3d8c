//! A directory entry as read, with case-insensitive attribute lookup.

use std::collections::HashMap;

use ldap3::asn1::StructureTag;
use ldap3::ResultEntry;

use super::error::LdapError;
use super::guid;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entry {
    pub dn: String,
    /// Attribute names as the directory sent them, each once (compared without case). A list rather
    /// than a map: entries hold a few dozen attributes, and every attribute of every entry shown is
    /// looked up, which a scan does faster than lower-casing and hashing the name.
    attrs: Vec<(String, Vec<String>)>,
}

impl Entry {
    pub fn new(dn: impl Into<String>) -> Self {
        Entry {
            dn: dn.into(),
            attrs: Vec::new(),
        }
    }

    /// An entry written out in a test: its DN and each attribute with its values.
    #[cfg(test)]
    pub fn with(dn: &str, attrs: &[(&str, &[&str])]) -> Self {
        let mut entry = Entry::new(dn);
        for (name, values) in attrs {
            entry.set(name, values.iter().map(|v| v.to_string()).collect());
        }
        entry
    }

    pub fn from_parts(dn: String, attrs: HashMap<String, Vec<String>>) -> Self {
        let mut entry = Entry {
            dn,
            attrs: Vec::with_capacity(attrs.len()),
        };
        for (name, values) in attrs {
            entry.set(&name, values);
        }
        entry
    }

    /// An entry as a search (or the Post-Read control) returned it; `None` when the directory sent a
    /// malformed one. GUID attributes show in their dashed form (16 random bytes are sometimes valid
    /// UTF-8); other binary values show as hex. Each value is moved out of the decoded message rather
    /// than copied (ldap3's `SearchEntry::construct` copies every value into maps, and panics on a
    /// malformed entry): listing pages of entries spends much of its time here.
    pub fn from_result(raw: ResultEntry) -> Option<Self> {
        let mut parts = raw.0.match_id(SEARCH_RESULT_ENTRY)?.expect_constructed()?.into_iter();
        let dn = String::from_utf8(parts.next()?.expect_primitive()?).ok()?;
        let attributes = parts.next()?.expect_constructed()?;
        let mut entry = Entry {
            dn,
            attrs: Vec::with_capacity(attributes.len()),
        };
        for attribute in attributes {
            let mut attribute = attribute.expect_constructed()?.into_iter();
            let name = String::from_utf8(attribute.next()?.expect_primitive()?).ok()?;
            let values = attribute
                .next()?
                .expect_constructed()?
                .into_iter()
                .map(StructureTag::expect_primitive)
                .collect::<Option<Vec<Vec<u8>>>>()?;
            let values = shown_values(&name, values);
            entry.add(name, values);
        }
        Some(entry)
    }

    /// The entries among a search's results; `None` when one is malformed. Continuation references
    /// (Active Directory answers a subtree search from a domain's root with one for each partition
    /// below it) and intermediate messages are not entries and are passed over.
    pub fn from_results(raw: Vec<ResultEntry>) -> Option<Vec<Self>> {
        raw.into_iter()
            .filter(|r| !r.is_ref() && !r.is_intermediate())
            .map(Entry::from_result)
            .collect()
    }

    /// Moves the values of ranged attributes (`member;range=0-1499`, see `ranged`) under their plain
    /// name, and answers for each the first index still to read (none once its last slice is in).
    pub fn merge_ranges(&mut self) -> Vec<(String, Option<u64>)> {
        let mut ranges = Vec::new();
        let mut i = 0;
        while i < self.attrs.len() {
            match parse_range(&self.attrs[i].0) {
                Some((name, next)) => {
                    let (_, values) = self.attrs.swap_remove(i);
                    self.set(&name, values);
                    ranges.push((name, next));
                }
                None => i += 1,
            }
        }
        ranges
    }

    /// Whether some attribute came as a slice of its values.
    pub fn has_ranges(&self) -> bool {
        self.attrs.iter().any(|(name, _)| parse_range(name).is_some())
    }

    /// Values of `name` (empty when absent), compared case-insensitively.
    pub fn get(&self, name: &str) -> &[String] {
        self.attrs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or(&[], |(_, values)| values.as_slice())
    }

    /// The names of the attributes the entry holds.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.attrs.iter().map(|(name, _)| name.as_str())
    }

    pub fn first(&self, name: &str) -> Option<&str> {
        self.get(name).first().map(String::as_str)
    }

    /// Adds `values` to `name`; no values removes the attribute.
    pub fn set(&mut self, name: &str, values: Vec<String>) {
        if !values.is_empty() {
            self.add(name.to_string(), values);
        } else if let Some(i) = self.position(name) {
            self.attrs.swap_remove(i);
        }
    }

    /// Adds `values` to the attribute named `name`, taking the name as it is when it is new.
    fn add(&mut self, name: String, values: Vec<String>) {
        match self.position(&name) {
            Some(i) => self.attrs[i].1.extend(values),
            None if values.is_empty() => {}
            None => self.attrs.push((name, values)),
        }
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.attrs.iter().position(|(n, _)| n.eq_ignore_ascii_case(name))
    }
}

/// The entry a search returned; a malformed one fails the operation `op` (it would panic in ldap3).
pub(super) fn entry_from(op: &'static str, raw: ResultEntry) -> Result<Entry, LdapError> {
    Entry::from_result(raw).ok_or_else(|| malformed(op))
}

/// The entries a search returned (references passed over); a malformed one fails the operation `op`.
pub(super) fn entries_of(op: &'static str, raw: Vec<ResultEntry>) -> Result<Vec<Entry>, LdapError> {
    Entry::from_results(raw).ok_or_else(|| malformed(op))
}

fn malformed(op: &'static str) -> LdapError {
    LdapError::Io {
        op,
        detail: "the directory sent a malformed entry".into(),
    }
}

/// The application tag of an LDAP SearchResultEntry (RFC 4511 §4.5.2).
const SEARCH_RESULT_ENTRY: u64 = 4;

/// An attribute's values as text: GUIDs in their dashed form, text as it is, and the values of an
/// attribute holding any value that is not UTF-8 as hex.
fn shown_values(name: &str, values: Vec<Vec<u8>>) -> Vec<String> {
    if guid::is_guid_attribute(name) {
        return values.iter().filter_map(|v| guid::to_text(v)).collect();
    }
    if values.iter().all(|v| std::str::from_utf8(v).is_ok()) {
        values.into_iter().filter_map(|v| String::from_utf8(v).ok()).collect()
    } else {
        values.iter().map(hex::encode).collect()
    }
}

/// `member;range=0-1499` → (`member`, next 1500); `member;range=1500-*` → (`member`, none).
fn parse_range(attr: &str) -> Option<(String, Option<u64>)> {
    let (name, options) = attr.split_once(';')?;
    let option = options.split(';').find(|o| o.len() > 6 && o[..6].eq_ignore_ascii_case("range="))?;
    let (_, high) = option[6..].split_once('-')?;
    let next = match high {
        "*" => None,
        high => Some(high.parse::<u64>().ok()?.checked_add(1)?),
    };
    Some((name.to_string(), next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ldap3::asn1::{TagClass, PL};

    fn octets(bytes: &[u8]) -> StructureTag {
        StructureTag {
            class: TagClass::Universal,
            id: 4,
            payload: PL::P(bytes.to_vec()),
        }
    }

    fn constructed(class: TagClass, id: u64, parts: Vec<StructureTag>) -> StructureTag {
        StructureTag {
            class,
            id,
            payload: PL::C(parts),
        }
    }

    /// A SearchResultEntry as ldap3 hands it over, decoded but not interpreted.
    fn result_entry(dn: &str, attributes: &[(&str, &[&[u8]])]) -> ResultEntry {
        let attributes = attributes
            .iter()
            .map(|(name, values)| {
                let values = values.iter().map(|v| octets(v)).collect();
                constructed(
                    TagClass::Universal,
                    16,
                    vec![octets(name.as_bytes()), constructed(TagClass::Universal, 17, values)],
                )
            })
            .collect();
        let entry = vec![octets(dn.as_bytes()), constructed(TagClass::Universal, 16, attributes)];
        ResultEntry::new(constructed(TagClass::Application, SEARCH_RESULT_ENTRY, entry))
    }

    #[test]
    fn a_search_result_keeps_values_merges_names_and_shows_binary_as_hex() {
        let guid = [
            0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x70, 0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0xf8, 0x09,
        ];
        let raw = result_entry(
            "uid=a,dc=x",
            &[
                ("mail", &[b"a@x", b"b@x"]),
                ("MAIL", &[b"c@x"]),
                ("objectGUID", &[&guid]),
                ("jpegPhoto", &[b"\xff\xd8", b"ok"]),
                ("description", &[]),
            ],
        );
        let entry = Entry::from_result(raw).unwrap_or_else(|| unreachable!("a well-formed entry"));
        assert_eq!(entry.dn, "uid=a,dc=x");
        assert_eq!(entry.get("mail"), ["a@x", "b@x", "c@x"]);
        assert_eq!(entry.first("objectGUID"), guid::to_text(&guid).as_deref());
        assert_eq!(entry.get("jpegPhoto"), [hex::encode(b"\xff\xd8"), hex::encode(b"ok")]);
        assert!(entry.get("description").is_empty());
    }

    #[test]
    fn a_malformed_search_result_is_refused_not_a_panic() {
        let well_formed = result_entry("uid=a,dc=x", &[("cn", &[b"a"])]);
        let mut wrong_tag = well_formed.0.clone();
        wrong_tag.id = 5;
        let no_attributes = constructed(TagClass::Application, SEARCH_RESULT_ENTRY, vec![octets(b"uid=a,dc=x")]);
        let primitive_values = constructed(
            TagClass::Application,
            SEARCH_RESULT_ENTRY,
            vec![
                octets(b"uid=a,dc=x"),
                constructed(
                    TagClass::Universal,
                    16,
                    vec![constructed(TagClass::Universal, 16, vec![octets(b"cn"), octets(b"a")])],
                ),
            ],
        );
        let mut not_utf8_dn = result_entry("uid=a", &[]).0;
        if let PL::C(parts) = &mut not_utf8_dn.payload {
            parts[0] = octets(&[0xff, 0xfe]);
        }
        for malformed in [wrong_tag, no_attributes, primitive_values, not_utf8_dn, octets(b"x")] {
            assert_eq!(Entry::from_result(ResultEntry::new(malformed.clone())), None, "{malformed:?}");
        }
        assert!(Entry::from_result(well_formed).is_some());
    }

    #[test]
    fn continuation_references_among_search_results_are_passed_over() {
        let reference = constructed(
            TagClass::Application,
            19,
            vec![octets(b"ldap://example.org/DC=DomainDnsZones,DC=example,DC=org")],
        );
        let results = vec![ResultEntry::new(reference), result_entry("uid=a,dc=x", &[("cn", &[b"a"])])];
        let entries = Entry::from_results(results).unwrap_or_default();
        assert_eq!(entries.iter().map(|e| e.dn.as_str()).collect::<Vec<_>>(), ["uid=a,dc=x"]);
        assert_eq!(Entry::from_results(vec![ResultEntry::new(octets(b"x"))]), None);
    }

    #[test]
    fn names_compare_without_case_and_values_merge() {
        let mut entry = Entry::from_parts(
            "uid=a,dc=x".into(),
            [("mail".to_string(), vec!["a@x".to_string()])].into_iter().collect(),
        );
        entry.set("MAIL", vec!["b@x".into()]);
        assert_eq!(entry.get("Mail"), ["a@x".to_string(), "b@x".to_string()]);
        assert_eq!(entry.first("cn"), None);
        entry.set("mail", Vec::new());
        assert!(entry.get("mail").is_empty());
    }

    #[test]
    fn ranged_slices_land_under_the_plain_name() {
        let mut entry = Entry::new("cn=big");
        entry.set("member;range=0-1", vec!["a".into(), "b".into()]);
        entry.set("cn", vec!["big".into()]);
        assert_eq!(entry.merge_ranges(), vec![("member".to_string(), Some(2))]);
        assert_eq!(entry.get("member"), ["a".to_string(), "b".to_string()]);
        entry.set("member;Range=2-*", vec!["c".into()]);
        assert_eq!(entry.merge_ranges(), vec![("member".to_string(), None)]);
        assert_eq!(entry.get("member").len(), 3);
        assert_eq!(parse_range("member;range=0-x"), None);
        assert_eq!(parse_range("member;binary"), None);
        assert_eq!(parse_range("member"), None);
    }

    #[test]
    fn guids_show_dashed_however_they_arrive() {
        let stored: Vec<u8> = (0x41..0x51).collect();
        let entry = Entry::from_result(result_entry(
            "cn=a",
            &[("objectGUID", &[&stored]), ("thumbnailPhoto", &[&[0xff, 0x00]])],
        ));
        let entry = entry.unwrap_or_else(|| unreachable!("a well-formed entry"));
        assert_eq!(entry.first("objectguid"), Some("44434241-4645-4847-494a-4b4c4d4e4f50"));
        assert_eq!(entry.first("thumbnailPhoto"), Some("ff00"));
        let mut binary = stored.clone();
        binary[0] = 0xff;
        let entry = Entry::from_result(result_entry("cn=a", &[("objectGUID", &[&binary])]));
        assert_eq!(
            entry.and_then(|e| e.first("objectGUID").map(str::to_string)).as_deref(),
            Some("444342ff-4645-4847-494a-4b4c4d4e4f50")
        );
    }
}
