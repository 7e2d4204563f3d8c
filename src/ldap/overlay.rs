//! What the writes of one dry-run request (`DryRun`) would have done to the directory, as its later
//! reads would see it: an added entry exists, a renamed one is found at its new DN only, a modify's
//! read-back shows the change, a deleted entry is gone. Without this, `explain` takes another path than
//! the API (a rename followed by a modify of the new DN that "does not exist" would end in 404).
//!
//! Plain functions over entries; the directory's own behaviour is approximated where the request's
//! path depends on it (result codes of writes, filters of reads), not reproduced in full: values
//! compare without case (DNs as DNs), and no schema is checked.

use std::collections::HashMap;

use super::dn;
use super::entry::Entry;
use super::error::rc;
use super::filter::LdapFilter;
use super::request::{Modification, Scope, SearchRequest};
use super::schema::Subschema;

/// Attributes that hold the entry's own DN, kept right across a rename.
const DN_ATTRIBUTES: [&str; 2] = ["entryDN", "distinguishedName"];

/// The entries the request's writes touched, by normalized DN: `Some` as they would be stored now,
/// `None` when they would be gone.
#[derive(Debug, Default)]
pub struct Overlay {
    entries: HashMap<String, Option<Entry>>,
}

impl Overlay {
    /// `None` when no write touched `entry_dn` (the directory knows); else what the writes left there.
    pub fn state(&self, entry_dn: &str) -> Option<Option<&Entry>> {
        self.entries.get(&dn::normalize(entry_dn)).map(Option::as_ref)
    }

    pub fn put(&mut self, entry: Entry) {
        self.entries.insert(dn::normalize(&entry.dn), Some(entry));
    }

    pub fn remove(&mut self, entry_dn: &str) {
        self.entries.insert(dn::normalize(entry_dn), None);
    }

    /// The answer to `request` given what the directory `found`: touched entries as the writes left
    /// them, where they are in scope and match the filter.
    pub fn merged(&self, request: &SearchRequest, found: Vec<Entry>) -> Vec<Entry> {
        let mut answer: Vec<Entry> = found
            .into_iter()
            .filter(|e| !self.entries.contains_key(&dn::normalize(&e.dn)))
            .collect();
        let written = self.entries.values().flatten();
        answer.extend(
            written
                .filter(|e| in_scope(&e.dn, &request.base, request.scope) && matches(&request.filter, e))
                .map(|e| projected(e, &request.attrs)),
        );
        answer
    }
}

/// Whether `entry_dn` lies where a search from `base` with `scope` looks.
pub fn in_scope(entry_dn: &str, base: &str, scope: Scope) -> bool {
    let (entry, base) = (dn::normalize(entry_dn), dn::normalize(base));
    let below = base.is_empty() || entry.ends_with(&format!(",{base}"));
    match scope {
        Scope::Base => entry == base,
        Scope::One => below && dn::normalize(dn::split_first(entry_dn).1) == base,
        Scope::Sub => entry == base || below,
    }
}

/// The entry with only the attributes a read asked for (all for `*`, `+` or none).
pub fn projected(entry: &Entry, attrs: &[String]) -> Entry {
    if attrs.is_empty() || attrs.iter().any(|a| a == "*" || a == "+") {
        return entry.clone();
    }
    let mut shown = Entry::new(entry.dn.clone());
    for name in entry.names().filter(|n| attrs.iter().any(|a| a.eq_ignore_ascii_case(n))) {
        shown.set(name, entry.get(name).to_vec());
    }
    shown
}

/// Whether two values are the same, as the directory compares most: without case, DNs as DNs.
fn same_value(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || (a.contains('=') && b.contains('=') && dn::normalize(a) == dn::normalize(b))
}

/// Applies a modify's changes to `entry` as the directory would, or answers the result code it would
/// refuse them with: adding a value present (20), deleting one absent (16).
pub fn apply(entry: &mut Entry, mods: &[Modification]) -> Result<(), u32> {
    for m in mods {
        match m {
            Modification::Add(name, values) => {
                let mut all = entry.get(name).to_vec();
                for value in values {
                    if all.iter().any(|v| same_value(v, value)) {
                        return Err(rc::ATTRIBUTE_OR_VALUE_EXISTS);
                    }
                    all.push(value.clone());
                }
                replace(entry, name, all);
            }
            Modification::Delete(name, values) if values.is_empty() => {
                if entry.get(name).is_empty() {
                    return Err(rc::NO_SUCH_ATTRIBUTE);
                }
                replace(entry, name, Vec::new());
            }
            Modification::Delete(name, values) => {
                let mut all = entry.get(name).to_vec();
                for value in values {
                    let Some(i) = all.iter().position(|v| same_value(v, value)) else {
                        return Err(rc::NO_SUCH_ATTRIBUTE);
                    };
                    all.remove(i);
                }
                replace(entry, name, all);
            }
            Modification::Replace(name, values) => replace(entry, name, values.clone()),
        }
    }
    Ok(())
}

fn replace(entry: &mut Entry, name: &str, values: Vec<String>) {
    let name = entry.names().find(|n| n.eq_ignore_ascii_case(name)).unwrap_or(name).to_string();
    entry.set(&name, Vec::new());
    entry.set(&name, values);
}

/// Whether a modify that wrote the attributes `written` leaves `entry` without an attribute one of its
/// classes requires, which the directory refuses (object class violation, 65): a group's last member
/// removed. Only what the modify wrote is judged, as operational attributes are in no class.
pub fn lacks_required(schema: &Subschema, entry: &Entry, written: &[&str]) -> bool {
    entry
        .get("objectClass")
        .iter()
        .flat_map(|class| schema.required(class))
        .any(|must| written.iter().any(|w| w.eq_ignore_ascii_case(&must)) && entry.get(&must).is_empty())
}

/// The entry after a modrdn to `new_rdn` under `new_parent` (or its own parent), the old RDN value
/// deleted and the new one added, as the gateway asks; `None` for an RDN it cannot read.
pub fn renamed(entry: &Entry, new_rdn: &str, new_parent: Option<&str>) -> Option<Entry> {
    let (old_rdn, parent) = dn::split_first(&entry.dn);
    let new_dn = dn::join(new_rdn, new_parent.unwrap_or(parent));
    let (old_attr, old_value) = dn::rdn_value(old_rdn)?;
    let (new_attr, new_value) = dn::rdn_value(new_rdn)?;
    let mut moved = entry.clone();
    moved.dn = new_dn.clone();
    let kept: Vec<String> = moved.get(old_attr).iter().filter(|v| !same_value(v, &old_value)).cloned().collect();
    replace(&mut moved, old_attr, kept);
    let mut values = moved.get(new_attr).to_vec();
    if !values.iter().any(|v| same_value(v, &new_value)) {
        values.insert(0, new_value);
    }
    replace(&mut moved, new_attr, values);
    for name in DN_ATTRIBUTES.iter().filter(|n| !entry.get(n).is_empty()) {
        replace(&mut moved, name, vec![new_dn.clone()]);
    }
    Some(moved)
}

/// Whether `entry` matches `filter`, approximately as a directory would: equality and substrings
/// without case, orderings as numbers when both sides are numbers (else as text, right for
/// generalized times), bits of integers. A mapping's raw filter that cannot be read matches.
pub fn matches(filter: &LdapFilter, entry: &Entry) -> bool {
    let values = |attr: &str| entry.get(attr).iter();
    match filter {
        LdapFilter::Equal(attr, value) => values(attr).any(|v| same_value(v, value)),
        LdapFilter::Present(attr) => attr.eq_ignore_ascii_case("objectClass") || values(attr).next().is_some(),
        LdapFilter::Substring { attr, initial, any, last } => {
            values(attr).any(|v| substring_matches(v, initial.as_deref(), any, last.as_deref()))
        }
        LdapFilter::GreaterOrEqual(attr, value) => values(attr).any(|v| ordered(v, value).is_ge()),
        LdapFilter::LessOrEqual(attr, value) => values(attr).any(|v| ordered(v, value).is_le()),
        LdapFilter::BitsSet(attr, mask) => values(attr).any(|v| v.trim().parse::<i64>().is_ok_and(|n| (n as u64) & mask == *mask)),
        LdapFilter::And(parts) => parts.iter().all(|p| matches(p, entry)),
        LdapFilter::Or(parts) => parts.iter().any(|p| matches(p, entry)),
        LdapFilter::Not(inner) => !matches(inner, entry),
        LdapFilter::Raw(text) => parse_raw(text).is_none_or(|f| matches(&f, entry)),
    }
}

fn ordered(stored: &str, asked: &str) -> std::cmp::Ordering {
    match (stored.trim().parse::<i64>(), asked.trim().parse::<i64>()) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        _ => stored.to_lowercase().cmp(&asked.to_lowercase()),
    }
}

fn substring_matches(value: &str, initial: Option<&str>, any: &[String], last: Option<&str>) -> bool {
    let value = value.to_lowercase();
    let mut rest = value.as_str();
    if let Some(initial) = initial {
        match rest.strip_prefix(initial.to_lowercase().as_str()) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    for part in any {
        match rest.find(part.to_lowercase().as_str()) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    last.is_none_or(|last| rest.ends_with(last.to_lowercase().as_str()))
}

/// A filter as RFC 4515 writes it (a mapping's `filter`), typed; `None` when it cannot be read.
pub fn parse_raw(text: &str) -> Option<LdapFilter> {
    let (filter, rest) = parse_one(text.trim())?;
    rest.trim().is_empty().then_some(filter)
}

fn parse_one(text: &str) -> Option<(LdapFilter, &str)> {
    let inner = text.strip_prefix('(')?;
    if let Some(rest) = inner.strip_prefix('&') {
        let (parts, rest) = parse_list(rest)?;
        return Some((LdapFilter::And(parts), rest));
    }
    if let Some(rest) = inner.strip_prefix('|') {
        let (parts, rest) = parse_list(rest)?;
        return Some((LdapFilter::Or(parts), rest));
    }
    if let Some(rest) = inner.strip_prefix('!') {
        let (part, rest) = parse_one(rest.trim_start())?;
        return Some((LdapFilter::Not(Box::new(part)), rest.trim_start().strip_prefix(')')?));
    }
    let end = inner.find(')')?;
    Some((parse_item(&inner[..end])?, &inner[end + 1..]))
}

fn parse_list(mut text: &str) -> Option<(Vec<LdapFilter>, &str)> {
    let mut parts = Vec::new();
    loop {
        text = text.trim_start();
        if let Some(rest) = text.strip_prefix(')') {
            return Some((parts, rest));
        }
        let (part, rest) = parse_one(text)?;
        parts.push(part);
        text = rest;
    }
}

fn parse_item(item: &str) -> Option<LdapFilter> {
    if let Some((attr, value)) = item.split_once(">=") {
        return Some(LdapFilter::GreaterOrEqual(attr.trim().into(), unescape(value)?));
    }
    if let Some((attr, value)) = item.split_once("<=") {
        return Some(LdapFilter::LessOrEqual(attr.trim().into(), unescape(value)?));
    }
    let (attr, value) = item.split_once('=')?;
    if let Some(attr) = attr.strip_suffix(':') {
        // Only the bitwise AND rule the gateway itself writes (`LdapFilter::BitsSet`) is read.
        let (attr, rule) = attr.split_once(':')?;
        if rule != "1.2.840.113556.1.4.803" {
            return None;
        }
        return Some(LdapFilter::BitsSet(attr.into(), value.trim().parse().ok()?));
    }
    let attr = attr.trim().to_string();
    if value == "*" {
        return Some(LdapFilter::Present(attr));
    }
    if !value.contains('*') {
        return Some(LdapFilter::Equal(attr, unescape(value)?));
    }
    let pieces: Vec<&str> = value.split('*').collect();
    let text = |p: &&str| if p.is_empty() { None } else { unescape(p) };
    let (first, rest) = pieces.split_first()?;
    let (last, middle) = rest.split_last()?;
    Some(LdapFilter::Substring {
        attr,
        initial: text(first),
        any: middle.iter().filter_map(&text).collect(),
        last: text(last),
    })
}

/// A filter value with its `\XX` escapes decoded.
fn unescape(value: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(value.len());
    let mut rest = value.bytes();
    while let Some(byte) = rest.next() {
        if byte == b'\\' {
            let hex = [rest.next()?, rest.next()?];
            bytes.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            bytes.push(byte);
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(entry_dn: &str, attrs: &[(&str, &[&str])]) -> Entry {
        Entry::with(entry_dn, attrs)
    }

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn modifications_change_the_entry_or_fail_as_the_directory_would() {
        let mut group = entry("cn=g,dc=x", &[("member", &["uid=a,dc=x"]), ("description", &["old"])]);
        let mods = [
            Modification::Add("member".into(), strings(&["uid=b,dc=x"])),
            Modification::Delete("member".into(), strings(&["UID=A, DC=X"])),
            Modification::Replace("description".into(), strings(&["new"])),
            Modification::Delete("title".into(), Vec::new()),
        ];
        assert_eq!(apply(&mut group.clone(), &mods), Err(rc::NO_SUCH_ATTRIBUTE), "no title to delete");
        assert_eq!(apply(&mut group, &mods[..3]), Ok(()));
        assert_eq!(group.get("member"), strings(&["uid=b,dc=x"]));
        assert_eq!(group.get("description"), strings(&["new"]));
        assert_eq!(
            apply(&mut group, &[Modification::Add("member".into(), strings(&["uid=B,dc=x"]))]),
            Err(rc::ATTRIBUTE_OR_VALUE_EXISTS)
        );
        assert_eq!(
            apply(&mut group, &[Modification::Delete("member".into(), strings(&["uid=a,dc=x"]))]),
            Err(rc::NO_SUCH_ATTRIBUTE)
        );
        assert_eq!(
            apply(&mut group, &[Modification::Replace("description".into(), Vec::new())]),
            Ok(())
        );
        assert!(group.get("description").is_empty());
    }

    #[test]
    fn removing_a_required_attribute_is_refused() {
        let schema = Subschema::from_descriptions(
            &[
                "( 2.5.4.31 NAME 'member' SUP distinguishedName )",
                "( 2.5.4.3 NAME ( 'cn' 'commonName' ) )",
            ],
            &["( 2.5.6.17 NAME 'groupOfNames' SUP top STRUCTURAL MUST ( member $ cn ) MAY description )"],
        );
        let group = entry("cn=g,dc=x", &[("objectClass", &["top", "groupOfNames"]), ("cn", &["g"])]);
        assert!(lacks_required(&schema, &group, &["member"]));
        assert!(!lacks_required(&schema, &group, &["description"]), "only what the modify wrote");
        assert!(
            !lacks_required(&Subschema::default(), &group, &["member"]),
            "no schema, no judgement"
        );
    }

    #[test]
    fn a_renamed_entry_holds_its_new_rdn_value_and_dn() {
        let user = entry(
            "uid=ada,ou=people,dc=x",
            &[
                ("uid", &["ada", "lovelace"]),
                ("entryDN", &["uid=ada,ou=people,dc=x"]),
                ("sn", &["L"]),
            ],
        );
        let moved = renamed(&user, "uid=ada2", Some("ou=archive,dc=x")).unwrap_or_default();
        assert_eq!(moved.dn, "uid=ada2,ou=archive,dc=x");
        assert_eq!(moved.get("uid"), strings(&["ada2", "lovelace"]));
        assert_eq!(moved.get("entryDN"), strings(&["uid=ada2,ou=archive,dc=x"]));
        assert_eq!(moved.get("sn"), strings(&["L"]));
        assert_eq!(renamed(&user, "uid=ada", None).map(|e| e.dn), Some(user.dn.clone()));
    }

    #[test]
    fn scopes_are_those_of_a_search() {
        assert!(in_scope("uid=a,ou=people,dc=x", "ou=People, dc=x", Scope::One));
        assert!(!in_scope("uid=a,ou=sub,ou=people,dc=x", "ou=people,dc=x", Scope::One));
        assert!(in_scope("uid=a,ou=sub,ou=people,dc=x", "ou=people,dc=x", Scope::Sub));
        assert!(!in_scope("uid=a,ou=people,dc=y", "ou=people,dc=x", Scope::Sub));
        assert!(in_scope("uid=a,dc=x", "UID=A,dc=x", Scope::Base));
        assert!(!in_scope("ou=people,dc=x", "ou=people,dc=x", Scope::One));
    }

    #[test]
    fn filters_match_as_the_directory_would_for_the_gateway_s_reads() {
        let user = entry(
            "uid=a,dc=x",
            &[
                ("objectClass", &["top", "inetOrgPerson"]),
                ("uid", &["Ada"]),
                ("member", &["cn=G,dc=x"]),
                ("userAccountControl", &["514"]),
                ("uidNumber", &["10002"]),
            ],
        );
        let yes = [
            LdapFilter::and(vec![LdapFilter::eq("uid", "ada"), LdapFilter::eq("objectClass", "inetorgperson")]),
            LdapFilter::eq("member", "cn=g, dc=x"),
            LdapFilter::BitsSet("userAccountControl".into(), 2),
            LdapFilter::GreaterOrEqual("uidNumber".into(), "9999".into()),
            LdapFilter::Substring {
                attr: "uid".into(),
                initial: Some("a".into()),
                any: vec![],
                last: Some("A".into()),
            },
            LdapFilter::any(),
            LdapFilter::Raw("(&(objectClass=inetOrgPerson)(!(uid=bob))(uid=a*))".into()),
        ];
        for filter in yes {
            assert!(matches(&filter, &user), "{filter}");
        }
        let no = [
            LdapFilter::none(),
            LdapFilter::eq("uid", "bob"),
            LdapFilter::Not(Box::new(LdapFilter::eq("member", "cn=g,dc=x"))),
            LdapFilter::BitsSet("userAccountControl".into(), 1),
            LdapFilter::Present("mail".into()),
            LdapFilter::Raw("(|(objectCategory=computer)(uid:1.2.840.113556.1.4.803:=1))".into()),
        ];
        for filter in no {
            assert!(!matches(&filter, &user), "{filter}");
        }
    }

    #[test]
    fn raw_filters_read_as_typed_ones() {
        assert_eq!(
            parse_raw("(&(objectCategory=person)(cn=a\\2ab*)(userAccountControl:1.2.840.113556.1.4.803:=2))"),
            Some(LdapFilter::And(vec![
                LdapFilter::eq("objectCategory", "person"),
                LdapFilter::Substring {
                    attr: "cn".into(),
                    initial: Some("a*b".into()),
                    any: vec![],
                    last: None
                },
                LdapFilter::BitsSet("userAccountControl".into(), 2),
            ]))
        );
        assert_eq!(parse_raw("(uid=*)"), Some(LdapFilter::Present("uid".into())));
        assert_eq!(parse_raw("(&(uid=a)"), None);
    }

    #[test]
    fn searches_see_the_written_entries_instead_of_the_stored_ones() {
        let mut overlay = Overlay::default();
        overlay.put(entry("uid=new,ou=people,dc=x", &[("uid", &["new"]), ("sn", &["N"])]));
        overlay.remove("uid=gone,ou=people,dc=x");
        let request = SearchRequest::new("ou=people,dc=x", Scope::One, LdapFilter::Present("uid".into()), vec!["uid".into()]);
        let found = vec![
            entry("uid=gone,ou=people,dc=x", &[("uid", &["gone"])]),
            entry("uid=kept,ou=people,dc=x", &[("uid", &["kept"])]),
        ];
        let answer = overlay.merged(&request, found);
        let dns: Vec<&str> = answer.iter().map(|e| e.dn.as_str()).collect();
        assert_eq!(dns, ["uid=kept,ou=people,dc=x", "uid=new,ou=people,dc=x"]);
        assert!(answer[1].get("sn").is_empty(), "only the attributes asked for");
        assert_eq!(overlay.state("UID=gone,ou=people,dc=x"), Some(None));
        assert_eq!(overlay.state("uid=kept,ou=people,dc=x"), None);
    }
}
