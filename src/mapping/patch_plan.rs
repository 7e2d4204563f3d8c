//! PATCH operations that map straight to LDAP modifications, so that the entry need not be read first:
//! each one sets or clears a plain single-valued attribute (`title`, `displayName`, `active`, an
//! extension's `department`). Anything that depends on the rest of the entry (the RDN, a unique or
//! required attribute, a typed or multi-valued one, a reference, a value that a template reads, one
//! whose other values are kept) takes the general path, which reads the entry, applies the PATCH and
//! writes the difference.

use serde_json::Value;

use super::{AttrMap, ResourceMapping, ValueKind};
use crate::ldap::Modification;
use crate::scim::filter::AttrPath;
use crate::scim::patch::{OpKind, PatchOperation};
use crate::scim::path::PatchPath;

/// The modifications that perform `ops`, or `None` when any operation needs the current entry.
pub fn direct_modifications(mapping: &ResourceMapping, ops: &[PatchOperation]) -> Option<Vec<Modification>> {
    if ops.is_empty() {
        return None;
    }
    let mut mods: Vec<Modification> = Vec::new();
    for op in ops {
        match op.path.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(path) => mods.push(modification(mapping, op.op, path, op.value.as_ref())?),
            None => {
                if op.op == OpKind::Remove {
                    return None;
                }
                let Some(Value::Object(values)) = &op.value else { return None };
                for (key, value) in values {
                    // What clients send back from a GET and the service ignores in a pathless value.
                    if ["schemas", "id", "meta"].iter().any(|k| key.eq_ignore_ascii_case(k)) {
                        continue;
                    }
                    mods.push(modification(mapping, op.op, key, Some(value))?);
                }
            }
        }
    }
    // A later operation on the same attribute wins, as it would applied one after the other.
    let mut last: Vec<Modification> = Vec::new();
    for m in mods {
        last.retain(|earlier| attribute(earlier) != attribute(&m));
        last.push(m);
    }
    Some(last)
}

fn attribute(m: &Modification) -> String {
    match m {
        Modification::Add(a, _) | Modification::Delete(a, _) | Modification::Replace(a, _) => a.to_ascii_lowercase(),
    }
}

fn modification(mapping: &ResourceMapping, op: OpKind, path: &str, value: Option<&Value>) -> Option<Modification> {
    let parsed = PatchPath::parse(path).ok()?;
    if parsed.filter.is_some() {
        return None;
    }
    if parsed.attr.urn.is_none() && parsed.attr.sub.is_none() && parsed.attr.name.eq_ignore_ascii_case("active") {
        // A state kept by moving the entry needs the rename the general path makes.
        let active = mapping.active.as_ref().filter(|_| mapping.disabled_parent.is_none())?;
        let enable = match (op, value.map(boolean)) {
            (OpKind::Remove, _) => return None,
            (_, Some(Some(b))) => b,
            _ => return None,
        };
        return active.blind_write(enable);
    }
    let attr = plain_attribute(mapping, &parsed.attr)?;
    let values = match (op, value) {
        (OpKind::Remove, None) if !attr.required => Vec::new(),
        (OpKind::Add | OpKind::Replace, Some(value)) => vec![ldap_value(attr.kind, value)?],
        _ => return None,
    };
    Some(Modification::Replace(attr.ldap.clone(), values))
}

/// The mapping entry for `path` when it is a plain, single-valued, independently writable attribute.
fn plain_attribute<'a>(mapping: &'a ResourceMapping, path: &AttrPath) -> Option<&'a AttrMap> {
    let attr = mapping
        .attrs
        .iter()
        .find(|a| a.scim.type_filter.is_none() && a.scim.matches_path(path))?;
    let schema = match &attr.scim.urn {
        Some(urn) => mapping.schema.extension(urn)?,
        None => &mapping.schema.core,
    };
    let independent = attr.kind != ValueKind::Reference
        && !attr.read_only
        && !attr.unique
        && !attr.ldap.eq_ignore_ascii_case(&mapping.rdn_attr)
        && attr.defaults.is_empty()
        && attr.fallback.is_none()
        && attr.is_verbatim()
        && !attr.keep_other_values
        && mapping.placement.as_ref().is_none_or(|p| !attr.scim.matches_path(&p.by))
        && !schema.attribute(&attr.scim.name)?.multi_valued
        && mapping.attrs.iter().filter(|a| a.ldap.eq_ignore_ascii_case(&attr.ldap)).count() == 1
        && !read_by_a_template(mapping, attr);
    independent.then_some(attr)
}

fn read_by_a_template(mapping: &ResourceMapping, attr: &AttrMap) -> bool {
    let templates = mapping
        .attrs
        .iter()
        .flat_map(|a| a.defaults.iter().chain(a.fallback.as_ref()))
        .chain(mapping.computed.iter().flat_map(|c| c.templates.iter()));
    templates.flat_map(|t| t.vars()).any(|var| attr.scim.matches_path(var))
        || mapping.computed.iter().any(|c| c.ldap.eq_ignore_ascii_case(&attr.ldap))
}

fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn ldap_value(kind: ValueKind, value: &Value) -> Option<String> {
    match (kind, value) {
        (ValueKind::String, Value::String(s)) if !s.is_empty() => Some(s.clone()),
        (ValueKind::Boolean, v) => boolean(v).map(|b| if b { "TRUE" } else { "FALSE" }.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::test_mappings::{compile, users_with};

    fn plan(ops: Value) -> Option<Vec<Modification>> {
        let users = users_with(&[
            "{ scim: title, ldap: title }",
            "{ scim: name.givenName, ldap: givenName }",
            r#"{ scim: name.familyName, ldap: sn, fallback: "{userName}" }"#,
            r#"{ scim: name.formatted, ldap: cn, default: ["{name.givenName} {name.familyName}"] }"#,
            r#"{ scim: 'emails[type eq "work"].value', ldap: mail }"#,
            r#"{ scim: "enterprise:department", ldap: departmentNumber }"#,
        ]);
        let mapping = compile(&format!(
            "{users}  extensions:\n    - urn: \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"\n  \
             active: {{ strategy: value, attribute: pwdAccountLockedTime, disabled_value: \"000001010000Z\" }}\n"
        ));
        let ops: Vec<PatchOperation> = serde_json::from_value(ops).unwrap_or_else(|e| unreachable!("{e}"));
        direct_modifications(&mapping.users, &ops)
    }

    fn replace(attr: &str, values: &[&str]) -> Modification {
        Modification::Replace(attr.into(), values.iter().map(|v| v.to_string()).collect())
    }

    #[test]
    fn plain_attributes_and_active_become_modifications() {
        assert_eq!(
            plan(serde_json::json!([
                {"op": "Replace", "path": "title", "value": "Boss"},
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "R&D"}
            ])),
            Some(vec![
                replace("title", &["Boss"]),
                replace("pwdAccountLockedTime", &["000001010000Z"]),
                replace("departmentNumber", &["R&D"])
            ])
        );
        assert_eq!(
            plan(serde_json::json!([{"op": "replace", "value": {"active": true, "id": "x"}}])),
            Some(vec![replace("pwdAccountLockedTime", &[])])
        );
        assert_eq!(
            plan(serde_json::json!([{"op": "remove", "path": "title"}, {"op": "add", "path": "title", "value": "T"}])),
            Some(vec![replace("title", &["T"])])
        );
    }

    #[test]
    fn anything_that_depends_on_the_entry_takes_the_general_path() {
        for ops in [
            serde_json::json!([{"op": "replace", "path": "userName", "value": "renamed"}]),
            serde_json::json!([{"op": "replace", "path": "name.givenName", "value": "read by cn's default"}]),
            serde_json::json!([{"op": "remove", "path": "name.familyName"}]),
            serde_json::json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "a@x"}]),
            serde_json::json!([{"op": "replace", "path": "title", "value": ""}]),
            serde_json::json!([{"op": "replace", "path": "active", "value": "maybe"}]),
            serde_json::json!([{"op": "replace", "path": "nickName", "value": "unmapped"}]),
            serde_json::json!([{"op": "remove", "value": {"title": "x"}}]),
        ] {
            assert_eq!(plan(ops.clone()), None, "{ops}");
        }
    }
}
