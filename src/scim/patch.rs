//! RFC 7644 §3.5.2 PATCH applied to a resource's JSON, schema-aware and lenient where IdPs need it
//! (capitalised ops, boolean strings, read-only attributes inside values, pathless dotted keys).
//! The caller diffs the result against the stored entry, so that the directory sees one minimal write.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::filter::{AttrPath, CompValue, CompareOp, Filter};
use super::path::PatchPath;
use super::schema::{is_common_read_only, AttrType, AttributeDef, Mutability, ResourceSchema, SchemaDef};
use super::ScimType;

pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The body of a PATCH request.
#[derive(Debug, Deserialize)]
pub struct PatchRequest {
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(rename = "Operations", alias = "operations")]
    pub operations: Vec<PatchOperation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Replace,
    Remove,
}

impl OpKind {
    fn as_str(self) -> &'static str {
        match self {
            OpKind::Add => "add",
            OpKind::Replace => "replace",
            OpKind::Remove => "remove",
        }
    }
}

impl<'de> Deserialize<'de> for OpKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.to_ascii_lowercase().as_str() {
            "add" => Ok(OpKind::Add),
            "replace" => Ok(OpKind::Replace),
            "remove" => Ok(OpKind::Remove),
            _ => Err(serde::de::Error::custom(format!(
                "unknown op '{text}': expected add, replace or remove"
            ))),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct PatchOperation {
    pub op: OpKind,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub value: Option<Value>,
}

/// Why a PATCH (or a resource body) was refused, with the `scimType` it answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct PatchError {
    pub scim_type: ScimType,
    pub detail: String,
}

impl PatchError {
    pub(super) fn new(scim_type: ScimType, detail: impl Into<String>) -> Self {
        PatchError {
            scim_type,
            detail: detail.into(),
        }
    }
}

/// Applies every operation to `resource`, or fails naming the first one that cannot apply.
pub fn apply(resource: &mut Map<String, Value>, ops: &[PatchOperation], schema: &ResourceSchema) -> Result<(), PatchError> {
    for (index, op) in ops.iter().enumerate() {
        apply_one(resource, op, schema).map_err(|e| PatchError {
            scim_type: e.scim_type,
            detail: format!("operation {} ({}): {}", index + 1, op.op.as_str(), e.detail),
        })?;
    }
    Ok(())
}

fn apply_one(resource: &mut Map<String, Value>, op: &PatchOperation, schema: &ResourceSchema) -> Result<(), PatchError> {
    match op.path.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(text) => {
            if op.op != OpKind::Remove && op.value.is_none() {
                return Err(PatchError::new(ScimType::InvalidValue, "a value is required"));
            }
            if let Some(ext) = schema.extension(text) {
                return apply_extension(resource, op.op, ext, op.value.as_ref(), schema);
            }
            let path = PatchPath::parse(text).map_err(|e| PatchError::new(ScimType::InvalidPath, e.to_string()))?;
            apply_path(resource, op.op, &path, op.value.clone(), schema, Named::ByPath)
        }
        None => {
            if op.op == OpKind::Remove {
                return Err(PatchError::new(ScimType::NoTarget, "remove needs a path"));
            }
            let Some(Value::Object(values)) = &op.value else {
                return Err(PatchError::new(
                    ScimType::InvalidValue,
                    "an operation without path needs an object value",
                ));
            };
            for (key, value) in values {
                if key.eq_ignore_ascii_case("schemas") {
                    continue;
                }
                if let Some(ext) = schema.extension(key) {
                    apply_extension(resource, op.op, ext, Some(value), schema)?;
                    continue;
                }
                let attr =
                    AttrPath::parse(key).ok_or_else(|| PatchError::new(ScimType::InvalidPath, format!("invalid attribute '{key}'")))?;
                let path = PatchPath { attr, filter: None };
                apply_path(resource, op.op, &path, Some(value.clone()), schema, Named::ByValueKey)?;
            }
            Ok(())
        }
    }
}

/// An operation whose path is an extension schema's URN: its value holds that schema's attributes,
/// applied one by one as a pathless operation would; `remove` drops the whole extension.
fn apply_extension(
    resource: &mut Map<String, Value>,
    op: OpKind,
    ext: &SchemaDef,
    value: Option<&Value>,
    schema: &ResourceSchema,
) -> Result<(), PatchError> {
    if op == OpKind::Remove {
        if let Some(key) = find_key(resource, &ext.id) {
            resource.remove(&key);
        }
        return Ok(());
    }
    let Some(Value::Object(inner)) = value else {
        return Err(PatchError::new(
            ScimType::InvalidValue,
            format!("the value for '{}' must be an object of its attributes", ext.id),
        ));
    };
    for (key, inner_value) in inner.iter().filter(|(key, _)| !key.eq_ignore_ascii_case("schemas")) {
        let attr = AttrPath::parse(key).ok_or_else(|| PatchError::new(ScimType::InvalidPath, format!("invalid attribute '{key}'")))?;
        let path = PatchPath {
            attr: AttrPath {
                urn: Some(ext.id.clone()),
                ..attr
            },
            filter: None,
        };
        apply_path(resource, op, &path, Some(inner_value.clone()), schema, Named::ByValueKey)?;
    }
    Ok(())
}

/// Finds a key case-insensitively.
fn find_key(map: &Map<String, Value>, name: &str) -> Option<String> {
    map.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// The object that holds attributes of the schema `urn` names: the resource itself for the core schema.
fn container<'a>(resource: &'a mut Map<String, Value>, urn: Option<&str>, create: bool) -> Option<&'a mut Map<String, Value>> {
    let Some(urn) = urn else {
        return Some(resource);
    };
    let key = match find_key(resource, urn) {
        Some(key) => key,
        None if create => {
            resource.insert(urn.to_string(), Value::Object(Map::new()));
            urn.to_string()
        }
        None => return None,
    };
    match resource.get_mut(&key) {
        Some(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// How an operation names the attribute it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    /// By its `path`: a read-only or unknown attribute is the client's mistake.
    ByPath,
    /// As a key of a pathless operation's value, where clients send whole resources: read-only
    /// attributes among them are skipped.
    ByValueKey,
}

/// The attribute (and sub-attribute) a path names, in the resource's schema.
struct Target<'s> {
    /// The extension's URN when the attribute is an extension's; `None` for the core schema.
    urn: Option<&'s str>,
    def: &'s AttributeDef,
    sub: Option<&'s AttributeDef>,
}

/// What `path` names; `None` when the operation is to be skipped (a read-only or unknown attribute
/// named in a pathless value, an unknown one where unmapped attributes are ignored).
fn resolve<'s>(path: &PatchPath, schema: &'s ResourceSchema, named: Named) -> Result<Option<Target<'s>>, PatchError> {
    let attr = &path.attr;
    let read_only = |what: String| match named {
        Named::ByPath => Err(PatchError::new(ScimType::Mutability, format!("'{what}' is read-only"))),
        Named::ByValueKey => Ok(None),
    };
    let unmapped = || super::unmapped::unmapped(schema, &attr.to_string(), named == Named::ByPath).map(|()| None);
    if attr.urn.is_none() && is_common_read_only(&attr.name) {
        return read_only(attr.name.clone());
    }
    let Some(schema_def) = schema.schema_for(attr.urn.as_deref()) else {
        return unmapped();
    };
    let urn = attr
        .urn
        .as_deref()
        .filter(|u| !u.eq_ignore_ascii_case(&schema.core.id))
        .map(|_| schema_def.id.as_str());
    let Some(def) = schema_def.attribute(&attr.name) else {
        return unmapped();
    };
    let sub = match &attr.sub {
        Some(sub) => match def.sub(sub) {
            Some(sub_def) => Some(sub_def),
            None => return unmapped(),
        },
        None => None,
    };
    if matches!(sub.map_or(def.mutability, |s| s.mutability), Mutability::ReadOnly) {
        return read_only(attr.to_string());
    }
    Ok(Some(Target { urn, def, sub }))
}

/// One operation on the attribute `path` names: the value coerced to its type, then removed, added
/// or replaced (RFC 7644 §3.5.2).
fn apply_path(
    resource: &mut Map<String, Value>,
    op: OpKind,
    path: &PatchPath,
    value: Option<Value>,
    schema: &ResourceSchema,
    named: Named,
) -> Result<(), PatchError> {
    let Some(Target { urn, def, sub }) = resolve(path, schema, named)? else {
        return Ok(());
    };
    let value = match value {
        Some(v) => Some(match sub {
            Some(sub) => coerce(sub, v, false)?,
            None => coerce(def, v, path.filter.is_some())?,
        }),
        None => None,
    };
    let Some(map) = container(resource, urn, op != OpKind::Remove) else {
        return Ok(());
    };
    let key = find_key(map, &def.name);
    if let Some(existing) = &key {
        if existing != &def.name {
            if let Some(v) = map.remove(existing) {
                map.insert(def.name.clone(), v);
            }
        }
    }
    if let Some(filter) = &path.filter {
        if !def.multi_valued {
            return Err(PatchError::new(
                ScimType::InvalidPath,
                format!("'{}' is not multi-valued", def.name),
            ));
        }
        return apply_filtered(map, &def.name, op, filter, sub.map(|d| d.name.clone()), value);
    }
    match (op, sub) {
        (OpKind::Remove, Some(sub)) => {
            remove_sub_attribute(map, &def.name, sub);
            Ok(())
        }
        (OpKind::Remove, None) => {
            remove_values(map, def, value);
            Ok(())
        }
        (_, Some(sub)) => value.map_or(Ok(()), |value| set_sub_attribute(map, op, def, sub, value)),
        (_, None) => {
            if let Some(value) = value {
                set_attribute(map, op, def, value);
            }
            Ok(())
        }
    }
}

/// `remove` of `name.sub`: from the complex value, or from every element of a multi-valued one.
fn remove_sub_attribute(map: &mut Map<String, Value>, name: &str, sub: &AttributeDef) {
    match map.get_mut(name) {
        Some(Value::Object(obj)) => {
            if let Some(k) = find_key(obj, &sub.name) {
                obj.remove(&k);
            }
            if obj.is_empty() {
                map.remove(name);
            }
        }
        Some(Value::Array(items)) => {
            for item in items.iter_mut() {
                if let Some(obj) = item.as_object_mut() {
                    if let Some(k) = find_key(obj, &sub.name) {
                        obj.remove(&k);
                    }
                }
            }
        }
        _ => {}
    }
}

/// `remove` of an attribute: of the given values of a multi-valued one, else of all of it.
fn remove_values(map: &mut Map<String, Value>, def: &AttributeDef, value: Option<Value>) {
    let name = &def.name;
    match (value, def.multi_valued) {
        (Some(value), true) => {
            let targets = as_array(value);
            if let Some(Value::Array(items)) = map.get_mut(name) {
                items.retain(|item| !targets.iter().any(|t| same_value(item, t)));
                if items.is_empty() {
                    map.remove(name);
                }
            }
        }
        _ => {
            map.remove(name);
        }
    }
}

/// `add` or `replace` of `name.sub`: in the complex value; in every element of a multi-valued one
/// only by `replace` (an `add` there needs a value filter to say which element).
fn set_sub_attribute(
    map: &mut Map<String, Value>,
    op: OpKind,
    def: &AttributeDef,
    sub: &AttributeDef,
    value: Value,
) -> Result<(), PatchError> {
    match map.entry(def.name.clone()).or_insert_with(|| Value::Object(Map::new())) {
        Value::Object(obj) => {
            if let Some(k) = find_key(obj, &sub.name) {
                obj.remove(&k);
            }
            obj.insert(sub.name.clone(), value);
            Ok(())
        }
        Value::Array(items) if op == OpKind::Replace => {
            for item in items.iter_mut().filter_map(Value::as_object_mut) {
                if let Some(k) = find_key(item, &sub.name) {
                    item.remove(&k);
                }
                item.insert(sub.name.clone(), value.clone());
            }
            Ok(())
        }
        _ => Err(PatchError::new(
            ScimType::InvalidPath,
            format!("'{}.{}' needs a value filter", def.name, sub.name),
        )),
    }
}

/// `add` or `replace` of a whole attribute; a null value removes it.
fn set_attribute(map: &mut Map<String, Value>, op: OpKind, def: &AttributeDef, value: Value) {
    let name = &def.name;
    if value.is_null() {
        map.remove(name);
        return;
    }
    if def.multi_valued {
        let incoming = as_array(value);
        if op == OpKind::Replace {
            set_or_remove(map, name, Value::Array(incoming));
        } else {
            let items = map.entry(name.clone()).or_insert_with(|| Value::Array(Vec::new()));
            if !items.is_array() {
                *items = Value::Array(Vec::new());
            }
            if let Value::Array(items) = items {
                for value in incoming {
                    if !items.iter().any(|item| same_value(item, &value)) {
                        items.push(value);
                    }
                }
            }
        }
        enforce_single_primary(map, name);
    } else if def.kind == AttrType::Complex {
        // RFC 7644 §3.5.2.3: sub-attributes not named in the value are left unchanged.
        let current = map.entry(name.clone()).or_insert_with(|| Value::Object(Map::new()));
        if let (Value::Object(current), Value::Object(incoming)) = (current, value) {
            for (k, v) in incoming {
                if let Some(existing) = find_key(current, &k) {
                    current.remove(&existing);
                }
                if !v.is_null() {
                    current.insert(k, v);
                }
            }
        }
        if map.get(name).and_then(Value::as_object).is_some_and(Map::is_empty) {
            map.remove(name);
        }
    } else {
        map.insert(name.clone(), value);
    }
}

fn apply_filtered(
    map: &mut Map<String, Value>,
    name: &str,
    op: OpKind,
    filter: &Filter,
    sub: Option<String>,
    value: Option<Value>,
) -> Result<(), PatchError> {
    let items = match map.get_mut(name) {
        Some(Value::Array(items)) => items,
        _ => {
            map.insert(name.to_string(), Value::Array(Vec::new()));
            match map.get_mut(name) {
                Some(Value::Array(items)) => items,
                _ => return Ok(()),
            }
        }
    };
    let matched: Vec<usize> = (0..items.len()).filter(|&i| matches(filter, &items[i])).collect();
    match op {
        OpKind::Remove => {
            // Removing what is already absent succeeds: IdPs retry, and a retry must not fail.
            match &sub {
                Some(sub) => {
                    for &i in &matched {
                        if let Some(obj) = items[i].as_object_mut() {
                            if let Some(k) = find_key(obj, sub) {
                                obj.remove(&k);
                            }
                        }
                    }
                }
                None => {
                    let mut index = 0;
                    items.retain(|_| {
                        let keep = !matched.contains(&index);
                        index += 1;
                        keep
                    });
                }
            }
        }
        OpKind::Add | OpKind::Replace => {
            let Some(value) = value else { return Ok(()) };
            if matched.is_empty() {
                // Entra replaces `emails[type eq "work"].value` on a user who has no work email yet:
                // create the element the filter describes.
                let mut element = equalities(filter).ok_or_else(|| PatchError::new(ScimType::NoTarget, "no value matches the filter"))?;
                merge_into(&mut element, sub.as_deref(), value);
                items.push(Value::Object(element));
            } else {
                for &i in &matched {
                    if let Some(obj) = items[i].as_object_mut() {
                        merge_into(obj, sub.as_deref(), value.clone());
                    }
                }
            }
        }
    }
    if items.is_empty() {
        map.remove(name);
    } else {
        enforce_single_primary(map, name);
    }
    Ok(())
}

fn merge_into(element: &mut Map<String, Value>, sub: Option<&str>, value: Value) {
    match (sub, value) {
        (Some(sub), value) => {
            if let Some(k) = find_key(element, sub) {
                element.remove(&k);
            }
            if !value.is_null() {
                element.insert(sub.to_string(), value);
            }
        }
        (None, Value::Object(incoming)) => {
            for (k, v) in incoming {
                if let Some(existing) = find_key(element, &k) {
                    element.remove(&existing);
                }
                element.insert(k, v);
            }
        }
        (None, _) => {}
    }
}

/// The sub-attribute values a conjunction of `eq` comparisons pins down, if the filter is one.
fn equalities(filter: &Filter) -> Option<Map<String, Value>> {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } if path.sub.is_none() && path.urn.is_none() => {
            let mut map = Map::new();
            map.insert(path.name.clone(), comp_to_json(value));
            Some(map)
        }
        Filter::And(a, b) => {
            let mut left = equalities(a)?;
            left.extend(equalities(b)?);
            Some(left)
        }
        _ => None,
    }
}

fn comp_to_json(value: &CompValue) -> Value {
    match value {
        CompValue::Str(s) => Value::String(s.clone()),
        CompValue::Num(n) => Value::Number(n.clone()),
        CompValue::Bool(b) => Value::Bool(*b),
        CompValue::Null => Value::Null,
    }
}

/// Whether one element of a multi-valued attribute matches a value filter (sub-attribute comparisons).
pub fn matches(filter: &Filter, element: &Value) -> bool {
    match filter {
        Filter::And(a, b) => matches(a, element) && matches(b, element),
        Filter::Or(a, b) => matches(a, element) || matches(b, element),
        Filter::Not(inner) => !matches(inner, element),
        Filter::Present(path) => lookup(element, &path.name).is_some_and(|v| !v.is_null()),
        Filter::Compare { path, op, value } => {
            let actual = lookup(element, &path.name);
            compare(actual, *op, value)
        }
        Filter::ValuePath { .. } => false,
    }
}

fn lookup<'a>(element: &'a Value, name: &str) -> Option<&'a Value> {
    match element {
        Value::Object(obj) => obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v),
        // A plain value stands for its own `value` sub-attribute.
        other if name.eq_ignore_ascii_case("value") => Some(other),
        _ => None,
    }
}

fn compare(actual: Option<&Value>, op: CompareOp, expected: &CompValue) -> bool {
    let actual_text = match actual {
        Some(Value::String(s)) => Some(s.to_lowercase()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let expected_text = match expected {
        CompValue::Str(s) => Some(s.to_lowercase()),
        CompValue::Bool(b) => Some(b.to_string()),
        CompValue::Num(n) => Some(n.to_string()),
        CompValue::Null => None,
    };
    match (actual_text, expected_text) {
        (None, None) => op == CompareOp::Eq,
        (Some(_), None) => op == CompareOp::Ne,
        (None, Some(_)) => op == CompareOp::Ne,
        (Some(a), Some(e)) => match op {
            CompareOp::Eq => a == e,
            CompareOp::Ne => a != e,
            CompareOp::Co => a.contains(&e),
            CompareOp::Sw => a.starts_with(&e),
            CompareOp::Ew => a.ends_with(&e),
            CompareOp::Gt => a > e,
            CompareOp::Ge => a >= e,
            CompareOp::Lt => a < e,
            CompareOp::Le => a <= e,
        },
    }
}

fn as_array(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

fn set_or_remove(map: &mut Map<String, Value>, name: &str, value: Value) {
    match &value {
        Value::Array(items) if items.is_empty() => {
            map.remove(name);
        }
        _ => {
            map.insert(name.to_string(), value);
        }
    }
}

/// Two elements of a multi-valued attribute are the same when their `value` sub-attributes are equal
/// (case-insensitively), or, without one, when they are equal as JSON.
fn same_value(a: &Value, b: &Value) -> bool {
    match (lookup(a, "value"), lookup(b, "value")) {
        (Some(Value::String(x)), Some(Value::String(y))) => x.eq_ignore_ascii_case(y),
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// RFC 7643 §2.4: at most one element has `primary: true`; the last one set wins.
fn enforce_single_primary(map: &mut Map<String, Value>, name: &str) {
    let Some(Value::Array(items)) = map.get_mut(name) else { return };
    let primaries: Vec<usize> = (0..items.len())
        .filter(|&i| lookup(&items[i], "primary").is_some_and(|p| p == &Value::Bool(true)))
        .collect();
    if let Some((_, earlier)) = primaries.split_last() {
        for &i in earlier {
            if let Some(obj) = items[i].as_object_mut() {
                obj.insert("primary".to_string(), Value::Bool(false));
            }
        }
    }
}

/// Checks a value against its definition and brings it to canonical form: boolean strings (`"False"`, as
/// Entra sends them) become booleans, numbers for string attributes become strings, sub-attribute names
/// take their canonical case, read-only sub-attributes are dropped.
pub fn coerce(def: &AttributeDef, value: Value, single_element: bool) -> Result<Value, PatchError> {
    if value.is_null() {
        return Ok(value);
    }
    if def.multi_valued && !single_element {
        return match value {
            Value::Array(items) => items
                .into_iter()
                .map(|item| coerce_single(def, item))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            single => Ok(Value::Array(vec![coerce_single(def, single)?])),
        };
    }
    coerce_single(def, value)
}

fn coerce_single(def: &AttributeDef, value: Value) -> Result<Value, PatchError> {
    let invalid = |what: &str| PatchError::new(ScimType::InvalidValue, format!("'{}' must be {what}", def.name));
    match (def.kind, value) {
        (_, Value::Null) => Ok(Value::Null),
        (AttrType::Boolean, Value::Bool(b)) => Ok(Value::Bool(b)),
        (AttrType::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
        (AttrType::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
        (AttrType::Boolean, _) => Err(invalid("a boolean")),
        (AttrType::Complex, Value::Object(obj)) => {
            let mut out = Map::new();
            for (k, v) in obj {
                match def.sub(&k) {
                    Some(sub) if sub.mutability == Mutability::ReadOnly => {}
                    Some(sub) => {
                        out.insert(sub.name.clone(), coerce_single(sub, v)?);
                    }
                    // Sub-attributes the mapping does not store (`display`, `$ref`) pass through unstored.
                    None => {
                        out.insert(k, v);
                    }
                }
            }
            Ok(Value::Object(out))
        }
        // A bare value for a multi-valued complex attribute is its `value` sub-attribute (`"members": ["id"]`).
        (AttrType::Complex, scalar @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) if def.sub("value").is_some() => {
            let mut out = Map::new();
            out.insert("value".to_string(), scalar);
            coerce_single(def, Value::Object(out))
        }
        (AttrType::Complex, _) => Err(invalid("an object")),
        (AttrType::Integer | AttrType::Decimal, Value::Number(n)) => Ok(Value::Number(n)),
        (AttrType::Integer | AttrType::Decimal, _) => Err(invalid("a number")),
        (_, Value::String(s)) => Ok(Value::String(s)),
        (_, Value::Number(n)) => Ok(Value::String(n.to_string())),
        (_, Value::Bool(b)) => Ok(Value::String(b.to_string())),
        (_, _) => Err(invalid("a string")),
    }
}

/// Brings a whole resource body (POST, PUT) to canonical form: known attributes with canonical names and
/// coerced values; read-only and unknown attributes dropped (RFC 7644 §3.3 lets a server ignore them).
pub fn normalize(body: &Map<String, Value>, schema: &ResourceSchema) -> Result<Map<String, Value>, PatchError> {
    let mut out = Map::new();
    for (key, value) in body {
        if let (Some(ext), Value::Object(inner)) = (schema.extension(key), value) {
            let mut ext_out = Map::new();
            for (k, v) in inner {
                match ext.attribute(k) {
                    Some(def) if def.mutability != Mutability::ReadOnly => {
                        ext_out.insert(def.name.clone(), coerce(def, v.clone(), false)?);
                    }
                    Some(_) => {}
                    None if k.eq_ignore_ascii_case("schemas") => {}
                    None => super::unmapped::unmapped(schema, &format!("{}:{k}", ext.id), false)?,
                }
            }
            out.insert(ext.id.clone(), Value::Object(ext_out));
            continue;
        }
        if is_common_read_only(key) {
            continue;
        }
        match schema.core.attribute(key) {
            Some(def) if def.mutability != Mutability::ReadOnly => {
                out.insert(def.name.clone(), coerce(def, value.clone(), false)?);
            }
            Some(_) => {}
            None => super::unmapped::unmapped(schema, key, false)?,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
