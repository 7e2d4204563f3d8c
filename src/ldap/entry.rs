//! A directory entry as read, with case-insensitive attribute lookup.

use std::collections::HashMap;

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

    /// An entry as a search or the Post-Read control returned it. GUID attributes show in their dashed
    /// form whichever way they arrived (16 random bytes are sometimes valid UTF-8); other binary values
    /// show as hex.
    pub fn from_search(dn: String, attrs: HashMap<String, Vec<String>>, binary: HashMap<String, Vec<Vec<u8>>>) -> Self {
        let mut entry = Entry {
            dn,
            attrs: Vec::with_capacity(attrs.len() + binary.len()),
        };
        for (name, values) in attrs {
            let values = if guid::is_guid_attribute(&name) {
                values.iter().filter_map(|v| guid::to_text(v.as_bytes())).collect()
            } else {
                values
            };
            entry.set(&name, values);
        }
        for (name, values) in binary {
            let values = if guid::is_guid_attribute(&name) {
                values.iter().filter_map(|v| guid::to_text(v)).collect()
            } else {
                values.iter().map(hex::encode).collect()
            };
            entry.set(&name, values);
        }
        entry
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

    pub fn first(&self, name: &str) -> Option<&str> {
        self.get(name).first().map(String::as_str)
    }

    /// Adds `values` to `name`; no values removes the attribute.
    pub fn set(&mut self, name: &str, values: Vec<String>) {
        let position = self.attrs.iter().position(|(n, _)| n.eq_ignore_ascii_case(name));
        match (position, values.is_empty()) {
            (Some(i), true) => {
                self.attrs.swap_remove(i);
            }
            (Some(i), false) => self.attrs[i].1.extend(values),
            (None, true) => {}
            (None, false) => self.attrs.push((name.to_string(), values)),
        }
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
        let as_text = String::from_utf8(stored.clone()).unwrap_or_default();
        let entry = Entry::from_search(
            "cn=a".into(),
            [("objectGUID".to_string(), vec![as_text])].into_iter().collect(),
            [("thumbnailPhoto".to_string(), vec![vec![0xff, 0x00]])].into_iter().collect(),
        );
        assert_eq!(entry.first("objectguid"), Some("44434241-4645-4847-494a-4b4c4d4e4f50"));
        assert_eq!(entry.first("thumbnailPhoto"), Some("ff00"));
        let binary = Entry::from_search(
            "cn=a".into(),
            HashMap::new(),
            [("objectGUID".to_string(), vec![stored])].into_iter().collect(),
        );
        assert_eq!(binary.first("objectGUID"), entry.first("objectGUID"));
    }
}
