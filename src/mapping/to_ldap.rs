//! SCIM resource → LDAP: the attribute values an entry should hold, a new entry, and the minimal
//! modification list from what is stored to what is wanted.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::error::TranslateError;
use super::naming::{values_after_write, Naming};
use super::transform::Step;
use super::{AttrMap, EmptyGroup, ResourceMapping, ValueKind};
use crate::ldap::{dn, Entry, Modification};
use crate::scim::filter::AttrPath;

/// One LDAP attribute's wanted values, and whether SCIM carries all of its values (else SCIM shows
/// one, and a write replaces the stored values as `naming::values_after_write` says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedAttr {
    pub name: String,
    pub values: Vec<String>,
    pub all_values: bool,
    /// With one value shown: keep the other stored values after it (`keep_other_values`).
    pub keep_others: bool,
}

/// The LDAP attributes a resource maps to, in mapping order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LdapAttrs(pub Vec<WantedAttr>);

impl LdapAttrs {
    pub fn get(&self, name: &str) -> Option<&WantedAttr> {
        self.0.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    fn push(&mut self, name: &str, values: Vec<String>, all_values: bool) {
        self.push_kept(name, values, all_values, false);
    }

    fn push_kept(&mut self, name: &str, values: Vec<String>, all_values: bool, keep_others: bool) {
        match self.0.iter_mut().find(|a| a.name.eq_ignore_ascii_case(name)) {
            Some(existing) => {
                for v in values {
                    if !existing.values.contains(&v) {
                        existing.values.push(v);
                    }
                }
                existing.all_values |= all_values;
                existing.keep_others |= keep_others;
            }
            None => self.0.push(WantedAttr {
                name: name.to_string(),
                values,
                all_values,
                keep_others,
            }),
        }
    }
}

fn get_ci<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.get(name)
        .or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The single value a plain path (`name.givenName`, `urn:…:department`) names, as text.
pub fn scalar_at(resource: &Map<String, Value>, path: &AttrPath) -> Option<String> {
    let container = match &path.urn {
        Some(urn) if !urn.eq_ignore_ascii_case(crate::scim::USER_SCHEMA) && !urn.eq_ignore_ascii_case(crate::scim::GROUP_SCHEMA) => {
            get_ci(resource, urn)?.as_object()?
        }
        _ => resource,
    };
    let top = get_ci(container, &path.name)?;
    match &path.sub {
        None => scalar_text(top),
        Some(sub) => scalar_text(get_ci(top.as_object()?, sub)?),
    }
}

/// The SCIM values one mapped attribute takes from the resource, as SCIM text (ids for references).
pub(crate) fn scim_values(mapping: &ResourceMapping, attr: &AttrMap, resource: &Map<String, Value>) -> Vec<String> {
    let scim = &attr.scim;
    let container = match &scim.urn {
        Some(urn) => match get_ci(resource, urn).and_then(Value::as_object) {
            Some(c) => c,
            None => return Vec::new(),
        },
        None => resource,
    };
    let Some(top) = get_ci(container, &scim.name) else {
        return Vec::new();
    };
    let from_element = |element: &Value| -> Option<String> {
        match &scim.sub {
            Some(sub) => match element {
                Value::Object(obj) => get_ci(obj, sub).and_then(scalar_text).or_else(|| match attr.kind {
                    // RFC 7643 §2.3.7: a reference may arrive as its URL alone; the id is its last segment.
                    ValueKind::Reference => get_ci(obj, "$ref")
                        .and_then(Value::as_str)
                        .and_then(|url| url.trim_end_matches('/').rsplit('/').next())
                        .filter(|id| !id.is_empty())
                        .map(str::to_string),
                    _ => None,
                }),
                other if sub.eq_ignore_ascii_case("value") => scalar_text(other),
                _ => None,
            },
            None => scalar_text(element),
        }
    };
    match (&scim.type_filter, top) {
        (Some(wanted), Value::Array(items)) => {
            let typed = items
                .iter()
                .find(|e| element_type(e).is_some_and(|t| t.eq_ignore_ascii_case(wanted)));
            // An element without a type belongs to the first typed mapping of that attribute.
            let untyped = || {
                let first_typed = mapping
                    .attrs
                    .iter()
                    .find(|a| a.scim.type_filter.is_some() && a.scim.urn == scim.urn && a.scim.name.eq_ignore_ascii_case(&scim.name));
                let is_first = first_typed.is_some_and(|a| a.scim.type_filter.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(wanted)));
                if is_first {
                    items.iter().find(|e| element_type(e).is_none())
                } else {
                    None
                }
            };
            typed.or_else(untyped).and_then(from_element).into_iter().collect()
        }
        (Some(_), _) => Vec::new(),
        (None, Value::Array(items)) => items.iter().filter_map(from_element).collect(),
        (None, single) => from_element(single).into_iter().collect(),
    }
}

fn element_type(element: &Value) -> Option<&str> {
    element.as_object().and_then(|o| get_ci(o, "type")).and_then(Value::as_str)
}

/// The SCIM ids that reference attributes (such as `manager`) name, to resolve to DNs before `to_ldap`.
pub fn referenced_ids(mapping: &ResourceMapping, resource: &Map<String, Value>) -> Vec<String> {
    mapping
        .attrs
        .iter()
        .filter(|a| a.kind == ValueKind::Reference && !a.read_only)
        .flat_map(|a| scim_values(mapping, a, resource))
        .collect()
}

/// The LDAP attributes the resource maps to; `refs` resolves referenced ids to DNs.
pub fn to_ldap(
    mapping: &ResourceMapping,
    resource: &Map<String, Value>,
    refs: &HashMap<String, String>,
) -> Result<LdapAttrs, TranslateError> {
    let mut out = LdapAttrs::default();
    for attr in mapping.attrs.iter().filter(|a| !a.read_only) {
        let mut values = scim_values(mapping, attr, resource);
        if values.is_empty() {
            values.extend(attr.defaults.iter().find_map(|t| t.render(resource)));
        }
        if values.is_empty() {
            values.extend(attr.fallback.as_ref().and_then(|t| t.render(resource)));
        }
        if values.is_empty() && attr.required {
            return Err(TranslateError::Missing(attr.scim_path()));
        }
        check_name(mapping, attr, &values)?;
        if attr.kind == ValueKind::Reference && has_empty_reference(attr, resource) {
            return Err(TranslateError::InvalidValue {
                attribute: attr.scim_path(),
                reason: "an element has no value (null or missing): each needs the id it refers to".into(),
            });
        }
        let values = values
            .into_iter()
            .filter(|v| {
                let unknown = attr.kind == ValueKind::Reference && !refs.contains_key(v);
                let skip = unknown && attr.skip_unknown;
                if skip {
                    tracing::warn!(attribute = %attr.scim_path(), value = %v, "a reference that names nobody is left out");
                }
                !skip
            })
            .map(|v| match attr.kind {
                ValueKind::String => Ok(v),
                ValueKind::Boolean => match v.to_ascii_lowercase().as_str() {
                    "true" => Ok("TRUE".to_string()),
                    "false" => Ok("FALSE".to_string()),
                    _ => Err(TranslateError::InvalidValue {
                        attribute: attr.scim_path(),
                        reason: format!("'{v}' is not a boolean"),
                    }),
                },
                ValueKind::Reference => {
                    let target = refs.get(&v).ok_or_else(|| TranslateError::UnknownReference {
                        attribute: attr.scim_path(),
                        id: v.clone(),
                    })?;
                    attr.stored_ref(target, &v)
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let values = match (
            &mapping.empty_group,
            values.is_empty() && mapping.members().is_some_and(|m| std::ptr::eq(m, attr)),
        ) {
            (EmptyGroup::Placeholder(placeholder), true) => vec![placeholder.clone()],
            (EmptyGroup::Refuse, true) => {
                return Err(TranslateError::InvalidValue {
                    attribute: attr.scim_path(),
                    reason: "groups in this directory need at least one member".into(),
                })
            }
            _ => values,
        };
        let splits = attr.transform.steps.iter().any(|s| matches!(s, Step::Split(_)));
        let all_values = splits
            || (attr.scim.type_filter.is_none()
                && attr.scim.sub.as_deref().is_none_or(|s| s.eq_ignore_ascii_case("value"))
                && is_multi(mapping, attr));
        let keep = attr.keep_other_values;
        if let Some(read_from) = &attr.read_from {
            out.push_kept(read_from, values.clone(), all_values, keep);
        }
        let values = attr.transform.forward(values).map_err(|reason| TranslateError::InvalidValue {
            attribute: attr.scim_path(),
            reason,
        })?;
        for also in &attr.also {
            out.push_kept(also, values.clone(), all_values, keep);
        }
        out.push_kept(&attr.ldap, values, all_values, keep);
    }
    for computed in &mapping.computed {
        let value = computed.templates.iter().find_map(|t| t.render(resource));
        let values = computed
            .transform
            .forward(value.into_iter().collect())
            .map_err(|reason| TranslateError::InvalidValue {
                attribute: computed.ldap.clone(),
                reason,
            })?;
        out.push(&computed.ldap, values, false);
    }
    if let Some(active) = &mapping.active {
        out.push(active.attribute(), active.new_values(super::active::wants_active(resource)), true);
    }
    Ok(out)
}

/// Names (the RDN's source, required and unique attributes: what identifies a resource) are refused
/// blank or with control characters, which would end up in a DN or make two names look alike.
fn check_name(mapping: &ResourceMapping, attr: &AttrMap, values: &[String]) -> Result<(), TranslateError> {
    let names_entries = mapping.rdn_map().is_some_and(|r| std::ptr::eq(r, attr));
    if !(names_entries || attr.required || attr.unique) || attr.kind == ValueKind::Reference {
        return Ok(());
    }
    let invalid = |reason: String| TranslateError::InvalidValue {
        attribute: attr.scim_path(),
        reason,
    };
    for value in values {
        if value.trim().is_empty() {
            return Err(invalid("must not be blank".into()));
        }
        if let Some(c) = value.chars().find(|c| c.is_control()) {
            return Err(invalid(format!(
                "contains the control character U+{:04X}, which a name cannot hold",
                u32::from(c)
            )));
        }
    }
    Ok(())
}

/// Whether a reference attribute (`members`, `manager`) holds an element without a value:
/// `[{"value": null}]` would otherwise change nothing and answer success.
fn has_empty_reference(attr: &AttrMap, resource: &Map<String, Value>) -> bool {
    let container = match &attr.scim.urn {
        Some(urn) => get_ci(resource, urn).and_then(Value::as_object),
        None => Some(resource),
    };
    let Some(top) = container.and_then(|c| get_ci(c, &attr.scim.name)) else {
        return false;
    };
    let empty = |element: &Value| match element {
        Value::Null => true,
        Value::Object(obj) => {
            let value = attr.scim.sub.as_deref().and_then(|sub| get_ci(obj, sub));
            matches!(value, None | Some(Value::Null)) && get_ci(obj, "$ref").is_none()
        }
        _ => false,
    };
    match top {
        Value::Array(items) => items.iter().any(empty),
        Value::Object(_) => empty(top),
        _ => false,
    }
}

fn is_multi(mapping: &ResourceMapping, attr: &AttrMap) -> bool {
    let schema = match &attr.scim.urn {
        Some(urn) => mapping.schema.extension(urn),
        None => Some(&mapping.schema.core),
    };
    schema.and_then(|s| s.attribute(&attr.scim.name)).is_some_and(|d| d.multi_valued)
}

impl AttrMap {
    /// The value this reference attribute stores for the entry at `entry_dn` (`named` in messages);
    /// 400 `invalidValue` for an entry it cannot name (`store: rdn` names users only).
    pub fn stored_ref(&self, entry_dn: &str, named: &str) -> Result<String, TranslateError> {
        self.ref_value(entry_dn).ok_or_else(|| TranslateError::InvalidValue {
            attribute: self.scim_path(),
            reason: format!("{} holds users only, not {named}", self.ldap),
        })
    }

    /// The SCIM path as an admin wrote it, for messages.
    pub fn scim_path(&self) -> String {
        let mut out = String::new();
        if let Some(urn) = &self.scim.urn {
            out.push_str(urn);
            out.push(':');
        }
        out.push_str(&self.scim.name);
        if let Some(t) = &self.scim.type_filter {
            out.push_str(&format!("[type eq \"{t}\"]"));
        }
        if let Some(sub) = &self.scim.sub {
            out.push('.');
            out.push_str(sub);
        }
        out
    }
}

/// Attributes of an entry to add, by name.
pub type EntryAttrs = Vec<(String, Vec<String>)>;

/// The DN (below `parent`) and attributes of a new entry: object classes, constants and every mapped value.
pub fn new_entry(mapping: &ResourceMapping, attrs: &LdapAttrs, parent: &str) -> Result<(String, EntryAttrs), TranslateError> {
    let rdn_value = attrs
        .get(&mapping.rdn_attr)
        .and_then(|a| a.values.first())
        .ok_or_else(|| TranslateError::Missing(mapping.rdn_label()))?;
    check_rdn_length(mapping, rdn_value)?;
    let entry_dn = dn::child(&mapping.rdn_attr, rdn_value, parent);
    let mut out: EntryAttrs = vec![("objectClass".to_string(), mapping.object_classes.clone())];
    out.extend(mapping.constants.iter().cloned());
    for wanted in &attrs.0 {
        if wanted.values.is_empty() {
            continue;
        }
        match out.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(&wanted.name)) {
            Some((_, values)) => values.extend(wanted.values.iter().filter(|v| !values.contains(v)).cloned().collect::<Vec<_>>()),
            None => out.push((wanted.name.clone(), wanted.values.clone())),
        }
    }
    Ok((entry_dn, out))
}

/// The new RDN when the RDN's source changed (compared as LDAP would: case-insensitively), for an
/// entry that follows it (`Naming::Follows`).
pub fn new_rdn(mapping: &ResourceMapping, current: &Entry, naming: Naming, attrs: &LdapAttrs) -> Result<Option<String>, TranslateError> {
    if naming != Naming::Follows {
        return Ok(None);
    }
    let Some(wanted) = attrs.get(&mapping.rdn_attr).and_then(|a| a.values.first()) else {
        return Ok(None);
    };
    let (current_rdn, _) = dn::split_first(&current.dn);
    let current_value = current_rdn.split_once('=').map(|(_, v)| v).unwrap_or_default();
    let wanted_rdn = dn::rdn(&mapping.rdn_attr, wanted);
    let (_, wanted_value) = wanted_rdn.split_once('=').unwrap_or_default();
    if wanted_value.eq_ignore_ascii_case(current_value) {
        return Ok(None);
    }
    check_rdn_length(mapping, wanted)?;
    Ok(Some(wanted_rdn))
}

/// Longest RDN value accepted. Directories key entries by their DN and refuse long ones with an
/// opaque error (OpenLDAP's mdb: `other` (80) beyond a 511-byte key), so the limit is checked first.
const MAX_RDN_VALUE_BYTES: usize = 256;

fn check_rdn_length(mapping: &ResourceMapping, value: &str) -> Result<(), TranslateError> {
    if value.len() > MAX_RDN_VALUE_BYTES {
        return Err(TranslateError::InvalidValue {
            attribute: mapping.rdn_label(),
            reason: format!(
                "{} bytes is too long to name a directory entry (at most {MAX_RDN_VALUE_BYTES})",
                value.len()
            ),
        });
    }
    Ok(())
}

/// Adds to a group's wanted members the DNs it lists that SCIM never showed (`shown`: the values the
/// shown resource maps to): a departed user's dangling DN, an account outside the mapped bases, an
/// entry of another class. A write of the member list replaces only what the IdP could see.
pub fn keep_unseen_members(mapping: &ResourceMapping, current: &Entry, shown: &LdapAttrs, changed: &mut LdapAttrs) {
    let Some(members) = mapping.members() else { return };
    let Some(wanted) = changed.0.iter_mut().find(|a| a.name.eq_ignore_ascii_case(&members.ldap)) else {
        return;
    };
    // Sets, not lists: a PUT of a 50,000-member group compares every stored member.
    let seen: std::collections::HashSet<String> = shown
        .get(&members.ldap)
        .map(|a| a.values.iter().map(|v| dn::normalize(v)).collect())
        .unwrap_or_default();
    let placeholder = match &mapping.empty_group {
        EmptyGroup::Placeholder(p) => Some(dn::normalize(p)),
        _ => None,
    };
    let unseen: Vec<&String> = current
        .get(&members.ldap)
        .iter()
        .filter(|v| {
            let key = dn::normalize(v);
            !seen.contains(&key) && placeholder.as_ref() != Some(&key)
        })
        .collect();
    if unseen.is_empty() {
        return;
    }
    // Kept members keep a group valid: an otherwise empty one needs no placeholder.
    wanted.values.retain(|v| placeholder.as_ref() != Some(&dn::normalize(v)));
    let mut present: std::collections::HashSet<String> = wanted.values.iter().map(|w| dn::normalize(w)).collect();
    for value in unseen {
        if present.insert(dn::normalize(value)) {
            wanted.values.push(value.clone());
        }
    }
}

/// The modifications that turn `current` into what `attrs` wants: a replace for attributes SCIM
/// shows one value of (`naming::values_after_write`), adds and deletes of exactly the changed values
/// for multi-valued ones. The RDN attribute of an entry named by it is left to the rename.
pub fn diff(mapping: &ResourceMapping, current: &Entry, naming: Naming, attrs: &LdapAttrs) -> Result<Vec<Modification>, TranslateError> {
    let mut mods = Vec::new();
    for wanted in &attrs.0 {
        if naming != Naming::Other && wanted.name.eq_ignore_ascii_case(&mapping.rdn_attr) {
            continue;
        }
        if let Some(active) = mapping.active.as_ref().filter(|a| wanted.name.eq_ignore_ascii_case(a.attribute())) {
            mods.extend(active.writes(current, active.is_active_in(&wanted.values))?);
            continue;
        }
        let stored = current.get(&wanted.name);
        if !wanted.all_values {
            let desired = values_after_write(&current.dn, &wanted.name, stored, &wanted.values, wanted.keep_others);
            let same_set = desired.len() == stored.len() && desired.iter().all(|v| stored.contains(v));
            if same_set && (!wanted.keep_others || desired.as_slice() == stored) {
                continue;
            }
            mods.push(match desired.is_empty() {
                true => Modification::Delete(wanted.name.clone(), Vec::new()),
                false => Modification::Replace(wanted.name.clone(), desired),
            });
            continue;
        }
        let desired = wanted.values.clone();
        if desired.as_slice() == stored {
            continue;
        }
        if desired.is_empty() {
            mods.push(Modification::Delete(wanted.name.clone(), Vec::new()));
        } else if stored.len() <= 1 && desired.len() == 1 {
            mods.push(Modification::Replace(wanted.name.clone(), desired));
        } else {
            let removed: Vec<String> = stored.iter().filter(|v| !desired.contains(v)).cloned().collect();
            let added: Vec<String> = desired.iter().filter(|v| !stored.contains(v)).cloned().collect();
            if !removed.is_empty() {
                mods.push(Modification::Delete(wanted.name.clone(), removed));
            }
            if !added.is_empty() {
                mods.push(Modification::Add(wanted.name.clone(), added));
            }
        }
    }
    Ok(mods)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::from_ldap::from_ldap;
    use crate::mapping::naming::naming;
    use crate::mapping::test_mappings::{compile, users_with, GROUPS};

    fn mapping() -> crate::mapping::Mapping {
        let users = users_with(&[
            "{ scim: name.familyName, ldap: sn }",
            "{ scim: name.formatted, ldap: cn }",
            r#"{ scim: 'emails[type eq "work"].value', ldap: mail, keep_other_values: true }"#,
        ]);
        compile(&format!(
            "{users}{GROUPS}  empty_group: {{ strategy: placeholder, placeholder: \"cn=empty,{{base}}\" }}\n"
        ))
    }

    fn entry(entry_dn: &str, attrs: &[(&str, &[&str])]) -> Entry {
        Entry::with(entry_dn, attrs)
    }

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    /// What a write of `wanted` (SCIM) does to `current`, as the service computes it.
    fn write(current: &Entry, wanted: serde_json::Value) -> Vec<Modification> {
        let m = mapping().users;
        let shown = from_ldap(&m, current, &HashMap::new(), "");
        let before = to_ldap(&m, &shown, &HashMap::new()).unwrap_or_default();
        let Some(wanted) = wanted.as_object() else { unreachable!() };
        let after = to_ldap(&m, wanted, &HashMap::new()).unwrap_or_else(|e| unreachable!("{e}"));
        let changed = LdapAttrs(after.0.iter().filter(|a| before.get(&a.name) != Some(*a)).cloned().collect());
        diff(&m, current, naming(&m, current, &before), &changed).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_written_value_replaces_the_values_other_tools_left_and_is_shown() {
        let legacy = entry(
            "uid=jl,ou=people,dc=x",
            &[("uid", &["jl"]), ("sn", &["Legacy", "Oldname"]), ("cn", &["J L"])],
        );
        let shown = from_ldap(&mapping().users, &legacy, &HashMap::new(), "");
        assert_eq!(shown["name"]["familyName"], "Legacy", "the first value, deterministically");
        let mods = write(
            &legacy,
            serde_json::json!({"userName": "jl", "name": {"familyName": "Newname", "formatted": "J L"}}),
        );
        assert_eq!(mods, vec![Modification::Replace("sn".into(), strings(&["Newname"]))]);
        let written = entry("uid=jl,ou=people,dc=x", &[("uid", &["jl"]), ("sn", &["Newname"]), ("cn", &["J L"])]);
        let again = write(
            &written,
            serde_json::json!({"userName": "jl", "name": {"familyName": "Newname", "formatted": "J L"}}),
        );
        assert_eq!(again, Vec::new(), "the same write twice changes nothing");
    }

    #[test]
    fn an_entry_named_by_another_attribute_keeps_its_rdn_value_and_name() {
        let named = entry(
            "cn=Jane Legacy,ou=people,dc=x",
            &[("uid", &["jlegacy"]), ("sn", &["Legacy"]), ("cn", &["Jane Legacy", "J. Legacy"])],
        );
        let shown = from_ldap(&mapping().users, &named, &HashMap::new(), "");
        assert_eq!(shown["name"]["formatted"], "J. Legacy", "not the value the RDN holds");
        assert_eq!(shown["userName"], "jlegacy");
        let mods = write(
            &named,
            serde_json::json!({"userName": "jane", "name": {"familyName": "Legacy", "formatted": "Jane Q"}}),
        );
        assert_eq!(
            mods,
            vec![
                Modification::Replace("uid".into(), strings(&["jane"])),
                Modification::Replace("cn".into(), strings(&["Jane Q", "Jane Legacy"])),
            ],
            "uid is written in place (no rename), cn keeps the RDN's value"
        );
        let m = mapping().users;
        let before = to_ldap(&m, &shown, &HashMap::new()).unwrap_or_default();
        assert_eq!(new_rdn(&m, &named, naming(&m, &named, &before), &before), Ok(None));
    }

    #[test]
    fn kept_values_stay_after_the_written_one() {
        let aliased = entry(
            "uid=a,ou=people,dc=x",
            &[("uid", &["a"]), ("sn", &["A"]), ("mail", &["old@x", "alias@x"])],
        );
        let mods = write(
            &aliased,
            serde_json::json!({"userName": "a", "name": {"familyName": "A"}, "emails": [{"type": "work", "value": "new@x"}]}),
        );
        assert_eq!(
            mods,
            vec![Modification::Replace("mail".into(), strings(&["new@x", "old@x", "alias@x"]))]
        );
        let promoted = write(
            &aliased,
            serde_json::json!({"userName": "a", "name": {"familyName": "A"}, "emails": [{"type": "work", "value": "alias@x"}]}),
        );
        assert_eq!(promoted, vec![Modification::Replace("mail".into(), strings(&["alias@x", "old@x"]))]);
    }

    #[test]
    fn members_scim_never_showed_stay_in_the_list() {
        let m = mapping().groups.unwrap_or_else(|| unreachable!());
        let group = entry(
            "cn=g,ou=groups,dc=x",
            &[
                ("cn", &["g"]),
                (
                    "member",
                    &["uid=a,ou=people,dc=x", "uid=departed,ou=people,dc=x", "cn=backup,ou=services,dc=x"],
                ),
            ],
        );
        let wanted = |values: &[&str]| {
            LdapAttrs(vec![WantedAttr {
                name: "member".into(),
                values: strings(values),
                all_values: true,
                keep_others: false,
            }])
        };
        let mut changed = wanted(&["cn=empty,dc=x"]);
        keep_unseen_members(&m, &group, &wanted(&["UID=a, ou=people,dc=x"]), &mut changed);
        assert_eq!(
            changed,
            wanted(&["uid=departed,ou=people,dc=x", "cn=backup,ou=services,dc=x"]),
            "the visible member removed, the unseen ones kept, no placeholder needed"
        );
    }
}
