//! A directory entry as read, with case-insensitive attribute lookup.

use std::collections::HashMap;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entry {
    pub dn: String,
    /// Keyed by lower-cased attribute name.
    attrs: HashMap<String, Vec<String>>,
}

impl Entry {
    pub fn new(dn: impl Into<String>) -> Self {
        Entry {
            dn: dn.into(),
            attrs: HashMap::new(),
        }
    }

    pub fn from_parts(dn: String, attrs: HashMap<String, Vec<String>>) -> Self {
        let mut entry = Entry::new(dn);
        for (name, values) in attrs {
            entry.set(&name, values);
        }
        entry
    }

    /// Values of `name` (empty when absent), compared case-insensitively.
    pub fn get(&self, name: &str) -> &[String] {
        self.attrs.get(&name.to_ascii_lowercase()).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn first(&self, name: &str) -> Option<&str> {
        self.get(name).first().map(String::as_str)
    }

    pub fn set(&mut self, name: &str, values: Vec<String>) {
        let key = name.to_ascii_lowercase();
        if values.is_empty() {
            self.attrs.remove(&key);
        } else {
            self.attrs.entry(key).or_default().extend(values);
        }
    }
}
