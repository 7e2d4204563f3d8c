//! The directory's own schema (RFC 4512 §4.2 subschema subentry): which attribute types and object
//! classes it knows, which attributes a class requires, which attributes hold a single value.

use std::collections::HashMap;

use super::directory::{read_entry, Directory};
use super::error::LdapError;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttributeType {
    pub names: Vec<String>,
    pub single_value: bool,
    pub ordering: Option<String>,
    pub superior: Option<String>,
    /// `USAGE` other than `userApplications`: kept by the directory, allowed on any entry.
    pub operational: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectClass {
    pub names: Vec<String>,
    pub superiors: Vec<String>,
    pub must: Vec<String>,
    pub may: Vec<String>,
    pub kind: ClassKind,
}

/// RFC 4512 §2.4: an entry has one structural class chain; auxiliary classes can be added to it later.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClassKind {
    Abstract,
    #[default]
    Structural,
    Auxiliary,
}

/// `extensibleObject` (RFC 4512 §4.3) allows every user attribute.
const EXTENSIBLE_OBJECT: &str = "extensibleObject";

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

    /// A schema from RFC 4512 descriptions, as a subschema entry lists them (tests, tools).
    pub fn from_descriptions(attribute_types: &[&str], object_classes: &[&str]) -> Subschema {
        let mut schema = Subschema::default();
        for text in attribute_types {
            schema.add_attribute(parse_attribute_type(text));
        }
        for text in object_classes {
            schema.add_class(parse_object_class(text));
        }
        schema
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

    /// Every name of every attribute type, as the directory spells it (for suggestions).
    pub fn attribute_names(&self) -> impl Iterator<Item = &str> {
        self.attributes.values().flat_map(|a| a.names.iter().map(String::as_str))
    }

    /// Every name of every object class, as the directory spells it.
    pub fn class_names(&self) -> impl Iterator<Item = &str> {
        self.classes.values().flat_map(|c| c.names.iter().map(String::as_str))
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

    /// Whether two names denote one attribute type (aliases such as `cn` and `commonName`).
    fn same_attribute(&self, a: &str, b: &str) -> bool {
        a.eq_ignore_ascii_case(b) || self.attribute(a).is_some_and(|t| t.names.iter().any(|n| n.eq_ignore_ascii_case(b)))
    }

    /// The classes `class` derives from, itself first (every name once, lower-cased).
    fn lineage(&self, class: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut pending = vec![class.to_ascii_lowercase()];
        while let Some(name) = pending.pop() {
            if out.contains(&name) {
                continue;
            }
            if let Some(c) = self.class(&name) {
                pending.extend(c.superiors.iter().map(|s| s.to_ascii_lowercase()));
            }
            out.push(name);
        }
        out
    }

    /// Whether an entry of `classes` may hold `attribute` (as MUST or MAY of a class or one it derives
    /// from, under any of the attribute's names, or through `extensibleObject`). Unknown classes and
    /// attributes count as allowing it: the directory, not a guess, then has the last word.
    pub fn allows<S: AsRef<str>>(&self, classes: &[S], attribute: &str) -> bool {
        let Some(attr) = self.attribute(attribute) else { return true };
        if attr.operational {
            return true;
        }
        let named = |listed: &String| attr.names.iter().any(|n| n.eq_ignore_ascii_case(listed));
        classes.iter().any(|class| {
            let class = class.as_ref();
            if class.eq_ignore_ascii_case(EXTENSIBLE_OBJECT) || self.class(class).is_none() {
                return true;
            }
            self.lineage(class)
                .iter()
                .filter_map(|c| self.class(c))
                .any(|c| c.must.iter().chain(&c.may).any(named))
        })
    }

    /// The auxiliary class among `candidates` (in their order, a class that names the attribute before
    /// `extensibleObject`) that lets an entry holding the attributes `present` hold `attribute` too: a
    /// class whose required attributes the entry lacks would be refused.
    pub fn auxiliary_for<S: AsRef<str>>(&self, candidates: &[S], attribute: &str, present: &[&str]) -> Option<String> {
        let auxiliary = |c: &&S| self.class(c.as_ref()).is_some_and(|k| k.kind == ClassKind::Auxiliary);
        let satisfied = |c: &&S| {
            self.required(c.as_ref()).iter().all(|must| {
                must.eq_ignore_ascii_case("objectClass") || present.iter().chain([&attribute]).any(|p| self.same_attribute(p, must))
            })
        };
        let specific = candidates
            .iter()
            .filter(auxiliary)
            .filter(|c| !c.as_ref().eq_ignore_ascii_case(EXTENSIBLE_OBJECT))
            .filter(satisfied)
            .find(|c| self.allows(&[c.as_ref()], attribute));
        specific
            .or_else(|| {
                candidates
                    .iter()
                    .filter(auxiliary)
                    .find(|c| c.as_ref().eq_ignore_ascii_case(EXTENSIBLE_OBJECT))
            })
            .map(|c| c.as_ref().to_string())
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
        operational: values_after(&tokens, "USAGE").first().is_some_and(|u| u != "userApplications"),
    }
}

fn parse_object_class(text: &str) -> ObjectClass {
    let tokens = tokens(text);
    ObjectClass {
        names: values_after(&tokens, "NAME"),
        superiors: values_after(&tokens, "SUP"),
        must: values_after(&tokens, "MUST"),
        may: values_after(&tokens, "MAY"),
        kind: if tokens.iter().any(|t| t == "AUXILIARY") {
            ClassKind::Auxiliary
        } else if tokens.iter().any(|t| t == "ABSTRACT") {
            ClassKind::Abstract
        } else {
            ClassKind::Structural
        },
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

    fn people_schema() -> Subschema {
        let mut schema = Subschema::default();
        for text in [
            "( 2.5.4.3 NAME ( 'cn' 'commonName' ) SUP name )",
            "( 2.5.4.4 NAME ( 'sn' 'surname' ) SUP name )",
            "( 2.5.4.12 NAME 'title' SUP name )",
            "( 1.3.6.1.4.1.1466.115.121.1.45 NAME 'uniqueIdentifier' EQUALITY caseExactMatch )",
            "( 1.3.6.1.1.1.1.0 NAME 'uidNumber' EQUALITY integerMatch SINGLE-VALUE )",
            "( 1.3.6.1.1.1.1.4 NAME 'loginShell' EQUALITY caseExactIA5Match SINGLE-VALUE )",
            "( 1.3.6.1.4.1.42.2.27.8.1.17 NAME 'pwdAccountLockedTime' SINGLE-VALUE USAGE directoryOperation )",
        ] {
            schema.add_attribute(parse_attribute_type(text));
        }
        for text in [
            "( 2.5.6.0 NAME 'top' ABSTRACT MUST objectClass )",
            "( 2.5.6.6 NAME 'person' SUP top STRUCTURAL MUST ( sn $ cn ) MAY ( userPassword ) )",
            "( 2.5.6.7 NAME 'organizationalPerson' SUP person STRUCTURAL MAY ( title $ ou ) )",
            "( 2.16.840.1.113730.3.2.2 NAME 'inetOrgPerson' SUP organizationalPerson STRUCTURAL MAY ( uid $ mail ) )",
            "( 1.3.6.1.4.1.1466.101.120.111 NAME 'extensibleObject' SUP top AUXILIARY )",
            "( 1.3.6.1.1.1.2.0 NAME 'posixAccount' SUP top AUXILIARY MUST ( cn $ uid $ uidNumber ) MAY ( loginShell ) )",
        ] {
            schema.add_class(parse_object_class(text));
        }
        schema
    }

    #[test]
    fn an_entry_allows_what_its_classes_and_their_superiors_name() {
        let schema = people_schema();
        let entry = ["top", "inetOrgPerson"];
        assert!(schema.allows(&entry, "title"), "inherited from organizationalPerson");
        assert!(schema.allows(&entry, "surname"), "by another of its names");
        assert!(!schema.allows(&entry, "uniqueIdentifier"));
        assert!(!schema.allows(&entry, "loginShell"));
        assert!(
            schema.allows(&entry, "pwdAccountLockedTime"),
            "operational attributes sit on any entry"
        );
        assert!(schema.allows(&["inetOrgPerson", "extensibleObject"], "uniqueIdentifier"));
        assert!(
            schema.allows(&entry, "notInTheSchema"),
            "unknown attributes are the directory's call"
        );
        assert_eq!(schema.class("posixAccount").map(|c| c.kind), Some(ClassKind::Auxiliary));
        assert_eq!(schema.class("top").map(|c| c.kind), Some(ClassKind::Abstract));
    }

    #[test]
    fn the_auxiliary_class_that_names_an_attribute_comes_before_extensible_object() {
        let schema = people_schema();
        let mapping = ["top", "person", "inetOrgPerson", "extensibleObject", "posixAccount"];
        let posix_ready = ["cn", "uid", "uidNumber"];
        assert_eq!(
            schema.auxiliary_for(&mapping, "loginShell", &posix_ready).as_deref(),
            Some("posixAccount")
        );
        assert_eq!(
            schema.auxiliary_for(&mapping, "loginShell", &["commonName", "sn"]).as_deref(),
            Some("extensibleObject"),
            "posixAccount would need uid and uidNumber, which the entry lacks"
        );
        assert_eq!(
            schema.auxiliary_for(&mapping, "uniqueIdentifier", &posix_ready).as_deref(),
            Some("extensibleObject")
        );
        assert_eq!(
            schema.auxiliary_for(&["top", "inetOrgPerson"], "uniqueIdentifier", &posix_ready),
            None,
            "structural classes are never added"
        );
    }
}
