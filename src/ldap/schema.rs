//! The directory's own schema (RFC 4512 §4.2 subschema subentry): which attribute types and object
//! classes it knows, which attributes a class requires, which attributes hold a single value.

use std::collections::HashMap;

use super::client::{read_entry, Directory};
use super::error::LdapError;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttributeType {
    pub names: Vec<String>,
    pub single_value: bool,
    pub ordering: Option<String>,
    pub superior: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectClass {
    pub names: Vec<String>,
    pub superiors: Vec<String>,
    pub must: Vec<String>,
}

/// Attribute types and object classes by lower-cased name (every alias).
#[derive(Debug, Default)]
pub struct Subschema {
    attributes: HashMap<String, AttributeType>,
    classes: HashMap<String, ObjectClass>,
}

impl Subschema {
    /// Reads the subschema the root DSE points to.
    pub async fn read(directory: &dyn Directory) -> Result<Subschema, LdapError> {
        let root = read_entry(directory, "", &["subschemaSubentry".into()]).await?;
        let entry_dn = root
            .as_ref()
            .and_then(|e| e.first("subschemaSubentry"))
            .unwrap_or("cn=Subschema")
            .to_string();
        let found = read_entry(directory, &entry_dn, &["attributeTypes".into(), "objectClasses".into()]).await?;
        let mut schema = Subschema::default();
        if let Some(entry) = &found {
            for text in entry.get("attributeTypes") {
                schema.add_attribute(parse_attribute_type(text));
            }
            for text in entry.get("objectClasses") {
                schema.add_class(parse_object_class(text));
            }
        }
        Ok(schema)
    }

    fn add_attribute(&mut self, attr: AttributeType) {
        for name in &attr.names {
            self.attributes.insert(name.to_ascii_lowercase(), attr.clone());
        }
    }

    fn add_class(&mut self, class: ObjectClass) {
        for name in &class.names {
            self.classes.insert(name.to_ascii_lowercase(), class.clone());
        }
    }

    /// Whether the directory published no attribute types at all (a schema it would not show).
    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty()
    }

    pub fn attribute(&self, name: &str) -> Option<&AttributeType> {
        self.attributes.get(&name.to_ascii_lowercase())
    }

    /// Whether the directory can compare values of `name` by order (`>=`, `<=`): the attribute or one
    /// of its superiors has an ORDERING matching rule. Unknown attributes count as orderable, so that
    /// an unreadable schema never refuses a filter.
    pub fn has_ordering(&self, name: &str) -> bool {
        let mut current = self.attribute(name);
        for _ in 0..16 {
            match current {
                None => return true,
                Some(a) if a.ordering.is_some() => return true,
                Some(a) => match &a.superior {
                    Some(sup) => current = self.attribute(sup),
                    None => return false,
                },
            }
        }
        false
    }

    pub fn class(&self, name: &str) -> Option<&ObjectClass> {
        self.classes.get(&name.to_ascii_lowercase())
    }

    /// Whether `class` derives from `ancestor` (through its superclasses, at any depth).
    pub fn derives_from(&self, class: &str, ancestor: &str) -> bool {
        let mut pending: Vec<String> = self.class(class).map(|c| c.superiors.clone()).unwrap_or_default();
        let mut seen: Vec<String> = Vec::new();
        while let Some(name) = pending.pop() {
            if name.eq_ignore_ascii_case(ancestor) {
                return true;
            }
            if seen.iter().any(|s| s.eq_ignore_ascii_case(&name)) {
                continue;
            }
            pending.extend(self.class(&name).map(|c| c.superiors.clone()).unwrap_or_default());
            seen.push(name);
        }
        false
    }

    /// The attributes `class` and its superclasses require, by their first name.
    pub fn required(&self, class: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut pending = vec![class.to_string()];
        let mut seen = Vec::new();
        while let Some(name) = pending.pop() {
            let key = name.to_ascii_lowercase();
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            if let Some(c) = self.class(&name) {
                for must in &c.must {
                    let canonical = self.attribute(must).and_then(|a| a.names.first()).unwrap_or(must);
                    if !out.iter().any(|o| o.eq_ignore_ascii_case(canonical)) {
                        out.push(canonical.clone());
                    }
                }
                pending.extend(c.superiors.iter().cloned());
            }
        }
        out
    }
}

/// Splits an RFC 4512 description into tokens: `(`, `)`, quoted strings (without quotes) and words.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '(' | ')' | '$' => out.push(c.to_string()),
            '\'' => {
                let mut quoted = String::new();
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    quoted.push(q);
                }
                out.push(quoted);
            }
            c if c.is_whitespace() => {}
            c => {
                let mut word = c.to_string();
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || n == '(' || n == ')' || n == '\'' || n == '$' {
                        break;
                    }
                    word.push(n);
                    chars.next();
                }
                out.push(word);
            }
        }
    }
    out
}

/// The values after `keyword`: one token, or a parenthesised list (with `$` separators dropped).
fn values_after(tokens: &[String], keyword: &str) -> Vec<String> {
    let Some(at) = tokens.iter().position(|t| t == keyword) else {
        return Vec::new();
    };
    match tokens.get(at + 1).map(String::as_str) {
        Some("(") => tokens[at + 2..]
            .iter()
            .take_while(|t| *t != ")")
            .filter(|t| *t != "$")
            .cloned()
            .collect(),
        Some(value) => vec![value.to_string()],
        None => Vec::new(),
    }
}

fn parse_attribute_type(text: &str) -> AttributeType {
    let tokens = tokens(text);
    AttributeType {
        names: values_after(&tokens, "NAME"),
        single_value: tokens.iter().any(|t| t == "SINGLE-VALUE"),
        ordering: values_after(&tokens, "ORDERING").into_iter().next(),
        superior: values_after(&tokens, "SUP").into_iter().next(),
    }
}

fn parse_object_class(text: &str) -> ObjectClass {
    let tokens = tokens(text);
    ObjectClass {
        names: values_after(&tokens, "NAME"),
        superiors: values_after(&tokens, "SUP"),
        must: values_after(&tokens, "MUST"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc_4512_descriptions() {
        let cn = parse_attribute_type("( 2.5.4.3 NAME ( 'cn' 'commonName' ) DESC 'RFC4519: common name(s)' SUP name )");
        assert_eq!(cn.names, vec!["cn", "commonName"]);
        assert!(!cn.single_value);
        let display = parse_attribute_type(
            "( 2.16.840.1.113730.3.1.241 NAME 'displayName' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )",
        );
        assert!(display.single_value);
        let person = parse_object_class(
            "( 2.5.6.6 NAME 'person' DESC 'RFC2256: a person' SUP top STRUCTURAL MUST ( sn $ cn ) MAY ( userPassword ) )",
        );
        assert_eq!(
            (person.superiors.clone(), person.must.clone()),
            (vec!["top".to_string()], vec!["sn".to_string(), "cn".to_string()])
        );
        let mut schema = Subschema::default();
        schema.add_attribute(cn);
        schema.add_class(person);
        schema.add_class(parse_object_class("( 2.5.6.0 NAME 'top' ABSTRACT MUST objectClass )"));
        schema.add_class(parse_object_class(
            "( 9.9 NAME 'inetOrgPerson' SUP organizationalPerson STRUCTURAL )",
        ));
        schema.add_class(parse_object_class("( 2.5.6.7 NAME 'organizationalPerson' SUP person STRUCTURAL )"));
        assert_eq!(schema.required("inetOrgPerson"), vec!["sn", "cn", "objectClass"]);
        assert!(schema.derives_from("inetOrgPerson", "Person"));
        assert!(schema.derives_from("organizationalPerson", "top"));
        assert!(!schema.derives_from("person", "inetOrgPerson"));
        assert!(!schema.derives_from("unknownClass", "top"));
        schema.add_attribute(parse_attribute_type("( 2.5.4.41 NAME 'name' EQUALITY caseIgnoreMatch )"));
        schema.add_attribute(parse_attribute_type(
            "( 2.5.18.2 NAME 'modifyTimestamp' EQUALITY generalizedTimeMatch ORDERING generalizedTimeOrderingMatch )",
        ));
        assert!(!schema.has_ordering("cn"), "cn inherits name, which has no ordering");
        assert!(schema.has_ordering("modifyTimestamp"));
        assert!(schema.has_ordering("notInTheSchema"));
        assert!(schema.attribute("COMMONNAME").is_some());
    }
}
