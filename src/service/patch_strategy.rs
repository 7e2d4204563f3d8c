//! Which way a PATCH is written, decided from the operations and the mapping alone. Three strategies,
//! cheapest first: the member fast path (a members-only change written as one modify of exactly the
//! added and removed values, the group never read: `members::patch_members`), a direct modify (every
//! operation translates to LDAP modifications without the current entry: `patching::patch_directly`),
//! and the general path (read, apply the operations to the resource shown, write the difference).

use serde_json::Value;

use crate::ldap::Modification;
use crate::mapping::patch_plan::direct_modifications;
use crate::mapping::{AttrMap, ResourceMapping};
use crate::scim::filter::{CompValue, CompareOp, Filter};
use crate::scim::patch::{OpKind, PatchOperation};
use crate::scim::path::PatchPath;

/// How a PATCH is written (`'m`: the resource type's mapping).
#[derive(Debug)]
pub(super) enum PatchStrategy<'m> {
    /// Members only, on a type with members (`members`, the mapping's entry for them).
    MemberFastPath { members: &'m AttrMap, plan: MemberPlan },
    /// These modifications, asserted on the cached entry (falls back to `General` when the id is
    /// not cached or the cache was stale).
    DirectModify(Vec<Modification>),
    /// Read the entry, apply the operations, write the difference.
    General,
}

/// The strategy for `ops` on a resource of mapping `m`. A precondition (`If-Match`) needs the
/// entry's current version, so it always takes the general path.
pub(super) fn strategy<'m>(m: &'m ResourceMapping, ops: &[PatchOperation], has_precondition: bool) -> PatchStrategy<'m> {
    if has_precondition {
        return PatchStrategy::General;
    }
    if let (Some(members), Some(plan)) = (m.members(), member_plan(ops)) {
        return PatchStrategy::MemberFastPath { members, plan };
    }
    match direct_modifications(m, ops) {
        Some(mods) => PatchStrategy::DirectModify(mods),
        None => PatchStrategy::General,
    }
}

/// Whether an operation names the core `members` attribute, by path or as a key of a pathless
/// value; one whose path does not parse counts as touching it (reading the members costs time, not
/// correctness, and the operation is refused later anyway).
pub(super) fn touches_members(op: &PatchOperation) -> bool {
    let names_members = |text: &str| match PatchPath::parse(text) {
        Ok(path) => {
            path.attr.name.eq_ignore_ascii_case("members")
                && path
                    .attr
                    .urn
                    .as_deref()
                    .is_none_or(|u| u.eq_ignore_ascii_case(crate::scim::GROUP_SCHEMA))
        }
        Err(_) => true,
    };
    match (&op.path, &op.value) {
        (Some(path), _) => names_members(path),
        (None, Some(Value::Object(values))) => values.keys().any(|k| names_members(k)),
        (None, _) => false,
    }
}

/// What a members-only PATCH does, by member id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum MemberPlan {
    /// Add and remove these members; the others stay.
    Delta { add: Vec<String>, remove: Vec<String> },
    /// The members become exactly these.
    Exact(Vec<String>),
}

/// The plan of a PATCH whose every operation changes members only; `None` for anything else (the
/// general path handles it, errors included).
fn member_plan(ops: &[PatchOperation]) -> Option<MemberPlan> {
    let mut add: Vec<String> = Vec::new();
    let mut remove: Vec<String> = Vec::new();
    let mut exact: Option<Vec<String>> = None;
    for op in ops {
        let (path, value) = match &op.path {
            Some(text) => (PatchPath::parse(text).ok()?, op.value.clone()),
            None => {
                let object = op.value.as_ref()?.as_object()?;
                let (key, value) = object.iter().next().filter(|_| object.len() == 1)?;
                (PatchPath::parse(key).ok()?, Some(value.clone()))
            }
        };
        let core = path
            .attr
            .urn
            .as_deref()
            .is_none_or(|u| u.eq_ignore_ascii_case(crate::scim::GROUP_SCHEMA));
        if !core || !path.attr.name.eq_ignore_ascii_case("members") || path.attr.sub.is_some() {
            return None;
        }
        let ids = match (&path.filter, op.op, value) {
            (None, _, Some(value)) => member_ids(&value)?,
            (None, OpKind::Remove, None) => {
                exact = Some(Vec::new());
                add.clear();
                remove.clear();
                continue;
            }
            (Some(filter), OpKind::Remove, None) => vec![filtered_id(filter)?],
            _ => return None,
        };
        let ids = dedup(ids);
        match (op.op, exact.as_mut()) {
            (OpKind::Replace, _) => {
                exact = Some(ids);
                add.clear();
                remove.clear();
            }
            (OpKind::Add, Some(list)) => list.extend(ids.into_iter().filter(|id| !list_contains(list, id)).collect::<Vec<_>>()),
            (OpKind::Remove, Some(list)) => list.retain(|id| !ids.contains(id)),
            (OpKind::Add, None) => {
                remove.retain(|id| !ids.contains(id));
                add.extend(ids.into_iter().filter(|id| !list_contains(&add, id)).collect::<Vec<_>>());
            }
            (OpKind::Remove, None) => {
                add.retain(|id| !ids.contains(id));
                remove.extend(ids.into_iter().filter(|id| !list_contains(&remove, id)).collect::<Vec<_>>());
            }
        }
    }
    Some(match exact {
        Some(list) => MemberPlan::Exact(list),
        None => MemberPlan::Delta { add, remove },
    })
}

fn list_contains(list: &[String], id: &str) -> bool {
    list.iter().any(|x| x == id)
}

fn dedup(ids: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        if !list_contains(&out, &id) {
            out.push(id);
        }
    }
    out
}

/// `[{"value": id}, …]`, `{"value": id}` or bare ids.
fn member_ids(value: &Value) -> Option<Vec<String>> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("value"))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_string),
        _ => None,
    };
    match value {
        Value::Array(items) => items.iter().map(one).collect(),
        other => one(other).map(|id| vec![id]),
    }
}

/// The id of `members[value eq "id"]`.
fn filtered_id(filter: &Filter) -> Option<String> {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::Str(id),
        } if path.urn.is_none() && path.sub.is_none() && path.name.eq_ignore_ascii_case("value") => Some(id.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ops(value: Value) -> Vec<PatchOperation> {
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    fn mapping(kind: crate::mapping::ResourceKind) -> ResourceMapping {
        let text = include_str!("../../mappings/openldap.yaml");
        let mapping = crate::mapping::compile_str(text, "openldap.yaml", "dc=example,dc=org").unwrap_or_else(|e| panic!("{e}"));
        mapping
            .resource(kind)
            .cloned()
            .unwrap_or_else(|| panic!("{} not mapped", kind.name()))
    }

    #[test]
    fn members_only_on_a_group_takes_the_fast_path_unless_a_precondition_needs_the_entry() {
        let group = mapping(crate::mapping::ResourceKind::Group);
        let add = ops(json!([{"op": "add", "path": "members", "value": [{"value": "a"}]}]));
        let delta = MemberPlan::Delta {
            add: vec!["a".into()],
            remove: vec![],
        };
        assert!(
            matches!(strategy(&group, &add, false), PatchStrategy::MemberFastPath { members, plan } if members.ldap == "member" && plan == delta)
        );
        assert!(matches!(strategy(&group, &add, true), PatchStrategy::General));
    }

    #[test]
    fn a_replace_by_path_is_a_direct_modify_and_a_pathless_remove_is_general() {
        let user = mapping(crate::mapping::ResourceKind::User);
        let title = ops(json!([{"op": "replace", "path": "title", "value": "Boss"}]));
        assert!(matches!(strategy(&user, &title, false), PatchStrategy::DirectModify(mods) if mods.len() == 1));
        let pathless_remove = ops(json!([{"op": "remove", "value": {"title": "Boss"}}]));
        assert!(matches!(strategy(&user, &pathless_remove, false), PatchStrategy::General));
    }

    #[test]
    fn members_are_touched_by_path_filter_sub_attribute_or_pathless_key_only() {
        let touches = |value: Value| ops(json!([value])).iter().all(touches_members);
        assert!(touches(json!({"op": "add", "path": "members", "value": []})));
        assert!(touches(json!({"op": "remove", "path": "members[value eq \"a\"]"})));
        assert!(touches(
            json!({"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:Group:members"})
        ));
        assert!(touches(json!({"op": "add", "value": {"Members": [{"value": "a"}]}})));
        assert!(!touches(json!({"op": "replace", "path": "displayName", "value": "x"})));
        assert!(!touches(json!({"op": "replace", "path": "membersCount", "value": "x"})));
        assert!(!touches(json!({"op": "replace", "value": {"displayName": "x"}})));
    }

    fn plan(ops: Value) -> Option<MemberPlan> {
        let ops: Vec<PatchOperation> = serde_json::from_value(ops).ok()?;
        member_plan(&ops)
    }

    fn delta(add: &[&str], remove: &[&str]) -> Option<MemberPlan> {
        Some(MemberPlan::Delta {
            add: add.iter().map(|s| s.to_string()).collect(),
            remove: remove.iter().map(|s| s.to_string()).collect(),
        })
    }

    #[test]
    fn the_three_removal_shapes_and_adds() {
        assert_eq!(
            plan(json!([{"op": "Remove", "path": "members", "value": [{"value": "a"}]}])),
            delta(&[], &["a"])
        );
        assert_eq!(
            plan(json!([{"op": "remove", "path": "members[value eq \"a\"]"}])),
            delta(&[], &["a"])
        );
        assert_eq!(
            plan(json!([{"op": "remove", "path": "members[value eq \"a\"]"}, {"op": "add", "path": "members", "value": [{"value": "b"}]}])),
            delta(&["b"], &["a"])
        );
        assert_eq!(
            plan(json!([{"op": "Add", "path": "members", "value": [{"value": "a"}, {"value": "a"}]}])),
            delta(&["a"], &[])
        );
        assert_eq!(
            plan(json!([{"op": "add", "value": {"members": [{"value": "a"}]}}])),
            delta(&["a"], &[])
        );
        assert_eq!(
            plan(
                json!([{"op": "add", "path": "members", "value": [{"value": "a"}]}, {"op": "remove", "path": "members", "value": [{"value": "a"}]}])
            ),
            delta(&[], &["a"])
        );
    }

    #[test]
    fn replace_and_clear_are_exact() {
        assert_eq!(
            plan(json!([{"op": "replace", "path": "members", "value": [{"value": "a"}]}])),
            Some(MemberPlan::Exact(vec!["a".into()]))
        );
        assert_eq!(plan(json!([{"op": "remove", "path": "members"}])), Some(MemberPlan::Exact(vec![])));
        assert_eq!(
            plan(json!([{"op": "remove", "path": "members"}, {"op": "add", "path": "members", "value": [{"value": "b"}]}])),
            Some(MemberPlan::Exact(vec!["b".into()]))
        );
    }

    #[test]
    fn anything_else_takes_the_general_path() {
        assert_eq!(plan(json!([{"op": "replace", "path": "displayName", "value": "x"}])), None);
        assert_eq!(
            plan(
                json!([{"op": "add", "path": "members", "value": [{"value": "a"}]}, {"op": "replace", "path": "displayName", "value": "x"}])
            ),
            None
        );
        assert_eq!(plan(json!([{"op": "replace", "value": {"id": "g", "displayName": "x"}}])), None);
        assert_eq!(plan(json!([{"op": "remove", "path": "members[display eq \"a\"]"}])), None);
        assert_eq!(plan(json!([{"op": "add", "path": "members", "value": 5}])), None);
        assert_eq!(
            plan(json!([{"op": "replace", "path": "members[value eq \"a\"].value", "value": "b"}])),
            None
        );
    }
}
