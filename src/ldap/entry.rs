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
