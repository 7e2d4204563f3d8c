//! LDAP entry → SCIM resource.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::{naming, AttrMap, EmptyGroup, RefTarget, ResourceMapping, ValueKind};
use crate::ldap::{dn, Entry};

/// The resource's SCIM id, from the mapping's id attribute.
pub fn id_of(mapping: &ResourceMapping, entry: &Entry) -> Option<String> {
    entry.first(&mapping.id_attr).map(str::to_string)
}

/// DNs that reference attributes hold (an empty group's placeholder aside), to resolve to ids before
/// `from_ldap`.
pub fn referenced_dns(mapping: &ResourceMapping, entry: &Entry) -> Vec<String> {
    mapping
        .attrs
        .iter()
        .filter(|a| a.kind == ValueKind::Reference)
        .flat_map(|a| {
            entry
                .get(&a.ldap)
                .iter()
                .filter(|v| !is_placeholder(mapping, v))
                .map(|v| a.ref_dn(v))
        })
        .collect()
}

fn is_placeholder(mapping: &ResourceMapping, value: &str) -> bool {
    matches!(&mapping.empty_group, EmptyGroup::Placeholder(p) if dn::normalize(p) == dn::normalize(value))
}

/// The SCIM resource an entry represents. `refs` maps normalized DNs to what they reference (DNs
/// without an entry are left out); `base_url` ends in `/scim/v2`.
pub fn from_ldap(mapping: &ResourceMapping, entry: &Entry, refs: &HashMap<String, RefTarget>, base_url: &str) -> Map<String, Value> {
    let mut out = Map::new();
    let id = id_of(mapping, entry);
    // Fallbacks render from the other attributes, so those are placed first.
    let plain = mapping.attrs.iter().filter(|a| a.fallback.is_none());
    let with_fallback = mapping.attrs.iter().filter(|a| a.fallback.is_some());
    for attr in plain.chain(with_fallback) {
        let stored = entry.get(attr.read_source());
        if stored.is_empty() {
            continue;
        }
        let fallback = attr.fallback.as_ref().and_then(|t| t.render(&out));
        let stored = match shown_first(mapping, attr, entry, stored) {
            0 => std::borrow::Cow::Borrowed(stored),
            index => {
                let mut reordered = stored.to_vec();
                reordered[..=index].rotate_right(1);
                std::borrow::Cow::Owned(reordered)
            }
        };
        let stored = if attr.read_from.is_none() && !attr.transform.is_empty() {
            std::borrow::Cow::Owned(attr.transform.backward(stored.into_owned()))
        } else {
            stored
        };
        let values: Vec<Value> = stored
            .iter()
            .filter(|v| fallback.as_deref() != Some(v.as_str()))
            .filter_map(|v| match attr.kind {
                ValueKind::String => Some(Value::String(v.clone())),
                ValueKind::Boolean => Some(Value::Bool(v.eq_ignore_ascii_case("TRUE"))),
                ValueKind::Reference => refs.get(&dn::normalize(&attr.ref_dn(v))).map(|target| reference(target, base_url)),
            })
            .collect();
        if values.is_empty() {
            continue;
        }
        let container = match &attr.scim.urn {
            Some(urn) => match out.entry(urn.clone()).or_insert_with(|| Value::Object(Map::new())) {
                Value::Object(map) => map,
                _ => continue,
            },
            None => &mut out,
        };
        place(container, attr, values);
    }
    if let Some(active) = &mapping.active {
        out.insert("active".into(), Value::Bool(active.is_active(entry)));
    }
    let mut schemas = vec![Value::String(mapping.schema.core.id.clone())];
    schemas.extend(
        mapping
            .schema
            .extensions
            .iter()
            .filter(|(s, _)| out.contains_key(&s.id))
            .map(|(s, _)| Value::String(s.id.clone())),
    );
    out.insert("schemas".into(), Value::Array(schemas));
    let mut meta = json!({ "resourceType": mapping.schema.name });
    if let Some(id) = &id {
        meta["location"] = Value::String(format!("{base_url}{}/{id}", mapping.schema.endpoint));
    }
    if let Some(created) = entry.first(&mapping.meta.created).and_then(generalized_to_rfc3339) {
        meta["created"] = Value::String(created);
    }
    if let Some(modified) = entry.first(&mapping.meta.last_modified).and_then(generalized_to_rfc3339) {
        meta["lastModified"] = Value::String(modified);
    }
    if let Some(version) = entry.first(&mapping.meta.version) {
        meta["version"] = Value::String(format!("W/\"{version}\""));
    }
    out.insert("meta".into(), meta);
    // An entry without its id attribute is shown without "id" rather than with an empty one, which
    // a client would store and send back as a path.
    match id {
        Some(id) => {
            out.insert("id".into(), Value::String(id));
        }
        None => tracing::warn!(dn = %entry.dn, "entry has no id attribute; shown without an id"),
    }
    out
}

/// The index of the stored value an attribute that SCIM shows one value of shows (see
/// `naming::shown_index`); 0 for attributes that show every value.
fn shown_first(mapping: &ResourceMapping, attr: &AttrMap, entry: &Entry, stored: &[String]) -> usize {
    let shows_one = attr.scim.type_filter.is_some() || !attr.shown.multi_valued;
    let splits = attr.transform.steps.iter().any(|s| matches!(s, super::transform::Step::Split(_)));
    if stored.len() < 2 || !shows_one || splits {
        return 0;
    }
    naming::shown_index(mapping, &entry.dn, attr.read_source(), stored)
}

/// A reference as SCIM shows it: `{"value": id, "$ref": url, "type": "User"}`.
fn reference(target: &RefTarget, base_url: &str) -> Value {
    json!({
        "value": target.id,
        "$ref": format!("{base_url}{}/{}", target.kind.endpoint(), target.id),
        "type": target.kind.name(),
    })
}

/// Puts LDAP values where the SCIM path says: a typed element, a sub-attribute, or the attribute itself.
fn place(container: &mut Map<String, Value>, attr: &AttrMap, values: Vec<Value>) {
    let scim = &attr.scim;
    let name = attr.shown.name.clone();
    let multi = attr.shown.multi_valued;
    let sub_name = || attr.shown.sub.clone().unwrap_or_default();
    let first = values.first().cloned().unwrap_or(Value::Null);
    match (&scim.type_filter, &scim.sub) {
        (Some(t), Some(_)) => {
            let items = container.entry(name).or_insert_with(|| Value::Array(Vec::new()));
            let Value::Array(items) = items else { return };
            let position = items
                .iter()
                .position(|e| e.get("type").and_then(Value::as_str).is_some_and(|x| x.eq_ignore_ascii_case(t)));
            let index = position.unwrap_or_else(|| {
                items.push(json!({"type": t}));
                items.len() - 1
            });
            if let Some(element) = items[index].as_object_mut() {
                element.insert(sub_name(), first);
                if attr.primary {
                    element.insert("primary".into(), Value::Bool(true));
                }
            }
        }
        (None, Some(_)) if multi && attr.kind == ValueKind::Reference => {
            container.insert(name, Value::Array(values));
        }
        (None, Some(_)) if multi => {
            let items = container.entry(name).or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = items {
                let key = sub_name();
                items.extend(values.into_iter().map(|v| {
                    let mut element = Map::new();
                    element.insert(key.clone(), v);
                    Value::Object(element)
                }));
            }
        }
        (_, Some(_)) => {
            let object = container.entry(name).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(object) = object {
                match first {
                    // A single reference (manager) is shown without its type.
                    Value::Object(mut reference) if attr.kind == ValueKind::Reference => {
                        reference.remove("type");
                        object.extend(reference);
                    }
                    other => {
                        object.insert(sub_name(), other);
                    }
                }
            }
        }
        (_, None) if multi => {
            container.insert(name, Value::Array(values));
        }
        (_, None) => {
            container.insert(name, first);
        }
    }
}

/// `20261124210501Z` or `20261124210501.123Z` → `2026-11-24T21:05:01Z` (RFC 4517 §3.3.13 → RFC 3339).
pub fn generalized_to_rfc3339(value: &str) -> Option<String> {
    let digits = value.strip_suffix('Z')?;
    let (whole, fraction) = match digits.split_once(['.', ',']) {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut out = format!(
        "{}-{}-{}T{}:{}:{}",
        &whole[0..4],
        &whole[4..6],
        &whole[6..8],
        &whole[8..10],
        &whole[10..12],
        &whole[12..14]
    );
    if let Some(f) = fraction.filter(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit())) {
        out.push('.');
        out.push_str(f);
    }
    out.push('Z');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalized_time_converts() {
        assert_eq!(generalized_to_rfc3339("20261124210501Z").as_deref(), Some("2026-11-24T21:05:01Z"));
        assert_eq!(
            generalized_to_rfc3339("20261124210501.123456Z").as_deref(),
            Some("2026-11-24T21:05:01.123456Z")
        );
        assert_eq!(generalized_to_rfc3339("2026"), None);
        assert_eq!(generalized_to_rfc3339("2026112421050Z"), None);
    }
}
