use super::*;
use crate::scim::schema::SchemaDef;
use pretty_assertions::assert_eq;
use serde_json::json;

fn schema() -> ResourceSchema {
    let mut emails = AttributeDef::new("emails", AttrType::Complex);
    emails.multi_valued = true;
    emails.sub_attributes = vec![
        AttributeDef::new("value", AttrType::String),
        AttributeDef::new("type", AttrType::String),
        AttributeDef::new("primary", AttrType::Boolean),
    ];
    let mut name = AttributeDef::new("name", AttrType::Complex);
    name.sub_attributes = vec![
        AttributeDef::new("givenName", AttrType::String),
        AttributeDef::new("familyName", AttrType::String),
    ];
    let mut members = AttributeDef::new("members", AttrType::Complex);
    members.multi_valued = true;
    members.sub_attributes = vec![AttributeDef::new("value", AttrType::String)];
    ResourceSchema {
        refuse_unmapped: false,
        name: "User".into(),
        endpoint: "/Users".into(),
        core: SchemaDef {
            id: "urn:ietf:params:scim:schemas:core:2.0:User".into(),
            name: "User".into(),
            attributes: vec![
                AttributeDef::new("userName", AttrType::String),
                AttributeDef::new("active", AttrType::Boolean),
                name,
                emails,
                members,
            ],
        },
        extensions: vec![(
            SchemaDef {
                id: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".into(),
                name: "EnterpriseUser".into(),
                attributes: vec![AttributeDef::new("department", AttrType::String)],
            },
            false,
        )],
    }
}

fn run(start: Value, ops: Value) -> Result<Value, PatchError> {
    let mut resource = start.as_object().cloned().unwrap_or_default();
    let ops: Vec<PatchOperation> = serde_json::from_value(ops).map_err(|e| PatchError::new(ScimType::InvalidSyntax, e.to_string()))?;
    apply(&mut resource, &ops, &schema())?;
    Ok(Value::Object(resource))
}

#[test]
fn entra_capitalised_replace_with_boolean_string() {
    let out = run(
        json!({"active": true}),
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    );
    assert_eq!(out, Ok(json!({"active": false})));
}

#[test]
fn pathless_replace_with_dotted_and_urn_keys() {
    let out = run(
        json!({"userName": "a", "name": {"givenName": "A", "familyName": "B"}}),
        json!([{"op": "replace", "value": {
            "name.givenName": "Z",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "R&D",
            "id": "ignored"
        }}]),
    );
    assert_eq!(
        out,
        Ok(json!({
            "userName": "a",
            "name": {"givenName": "Z", "familyName": "B"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"}
        }))
    );
}

#[test]
fn path_naming_an_extension_schema_applies_its_object() {
    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let start = json!({"userName": "a", ENTERPRISE: {"department": "Ops"}});
    let replaced = run(
        start.clone(),
        json!([{"op": "replace", "path": ENTERPRISE, "value": {"department": "R&D"}}]),
    );
    assert_eq!(replaced, Ok(json!({"userName": "a", ENTERPRISE: {"department": "R&D"}})));
    let removed = run(start.clone(), json!([{"op": "remove", "path": ENTERPRISE}]));
    assert_eq!(removed, Ok(json!({"userName": "a"})));
    let not_an_object = run(start, json!([{"op": "add", "path": ENTERPRISE, "value": "R&D"}]));
    assert_eq!(not_an_object.map_err(|e| e.scim_type), Err(ScimType::InvalidValue));
}

#[test]
fn filtered_replace_creates_the_missing_element() {
    let out = run(
        json!({}),
        json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "a@x"}]),
    );
    assert_eq!(out, Ok(json!({"emails": [{"type": "work", "value": "a@x"}]})));
}

#[test]
fn member_removal_shapes_remove_only_named_members() {
    let start = json!({"members": [{"value": "1"}, {"value": "2"}, {"value": "3"}]});
    let by_value = run(
        start.clone(),
        json!([{"op": "Remove", "path": "members", "value": [{"value": "2"}]}]),
    );
    assert_eq!(by_value, Ok(json!({"members": [{"value": "1"}, {"value": "3"}]})));
    let by_filter = run(start.clone(), json!([{"op": "remove", "path": "members[value eq \"2\"]"}]));
    assert_eq!(by_filter, Ok(json!({"members": [{"value": "1"}, {"value": "3"}]})));
    let absent = run(start.clone(), json!([{"op": "remove", "path": "members[value eq \"9\"]"}]));
    assert_eq!(absent, Ok(start.clone()));
    let all = run(start, json!([{"op": "remove", "path": "members"}]));
    assert_eq!(all, Ok(json!({})));
}

#[test]
fn add_of_present_value_is_a_no_op() {
    let start = json!({"members": [{"value": "1"}]});
    let out = run(start.clone(), json!([{"op": "add", "path": "members", "value": [{"value": "1"}]}]));
    assert_eq!(out, Ok(start));
}

#[test]
fn errors_carry_scim_types() {
    let kind = |ops: Value| run(json!({"userName": "a"}), ops).err().map(|e| e.scim_type);
    assert_eq!(kind(json!([{"op": "remove"}])), Some(ScimType::NoTarget));
    assert_eq!(
        kind(json!([{"op": "replace", "path": "id", "value": "x"}])),
        Some(ScimType::Mutability)
    );
    assert_eq!(
        kind(json!([{"op": "replace", "path": "nope", "value": "x"}])),
        None,
        "unmapped: ignored"
    );
    let mut strict = schema();
    strict.refuse_unmapped = true;
    let mut resource = Map::new();
    let ops: Vec<PatchOperation> = serde_json::from_value(json!([{"op": "replace", "path": "nope", "value": "x"}])).unwrap_or_default();
    let refused = apply(&mut resource, &ops, &strict);
    assert_eq!(refused.err().map(|e| e.scim_type), Some(ScimType::InvalidPath));
    let refused = normalize(json!({"userName": "a", "nope": 1}).as_object().unwrap_or(&Map::new()), &strict);
    assert_eq!(refused.err().map(|e| e.scim_type), Some(ScimType::InvalidValue));
    assert_eq!(
        kind(json!([{"op": "replace", "path": "emails[", "value": "x"}])),
        Some(ScimType::InvalidPath)
    );
    assert_eq!(
        kind(json!([{"op": "replace", "path": "active", "value": "maybe"}])),
        Some(ScimType::InvalidValue)
    );
}

#[test]
fn every_path_form() {
    let start = json!({
        "userName": "a",
        "name": {"givenName": "A", "familyName": "B"},
        "emails": [{"type": "work", "value": "w@x", "primary": true}, {"type": "home", "value": "h@x"}]
    });
    // Sub-attribute replace and remove.
    let out = run(
        start.clone(),
        json!([{"op": "replace", "path": "NAME.GIVENNAME", "value": "Z"}, {"op": "remove", "path": "name.familyName"}]),
    );
    assert_eq!(out.map(|v| v["name"].clone()), Ok(json!({"givenName": "Z"})));
    // Filtered sub-attribute on an existing element, case-insensitive operator and value.
    let out = run(
        start.clone(),
        json!([{"op": "replace", "path": "emails[TYPE EQ \"HOME\"].value", "value": "n@x"}]),
    );
    assert_eq!(out.map(|v| v["emails"][1]["value"].clone()), Ok(json!("n@x")));
    // Remove of a filtered element, and of one sub-attribute of it.
    let out = run(start.clone(), json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]));
    assert_eq!(out.map(|v| v["emails"].as_array().map(Vec::len)), Ok(Some(1)));
    let out = run(start.clone(), json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}]));
    assert_eq!(out.map(|v| v["emails"][0].get("primary").is_none()), Ok(true));
    // A value array removes just those values.
    let out = run(
        start.clone(),
        json!([{"op": "remove", "path": "emails", "value": [{"value": "H@X"}]}]),
    );
    assert_eq!(out.map(|v| v["emails"].as_array().map(Vec::len)), Ok(Some(1)));
    // Replace of a whole multi-valued attribute.
    let out = run(
        start.clone(),
        json!([{"op": "replace", "path": "emails", "value": [{"type": "work", "value": "only@x"}]}]),
    );
    assert_eq!(out.map(|v| v["emails"].clone()), Ok(json!([{"type": "work", "value": "only@x"}])));
    // URN-qualified path, and the extension object as a pathless key.
    let out = run(
        start.clone(),
        json!([
            {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "D"},
            {"op": "replace", "value": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "E"}}}
        ]),
    );
    assert_eq!(
        out.map(|v| v["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].clone()),
        Ok(json!({"department": "E"}))
    );
    // A core-URN-qualified path is the core attribute.
    let out = run(
        start.clone(),
        json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:userName", "value": "b"}]),
    );
    assert_eq!(out.map(|v| v["userName"].clone()), Ok(json!("b")));
}

#[test]
fn primary_stays_unique() {
    let start = json!({"emails": [{"type": "work", "value": "w@x", "primary": true}]});
    let out = run(
        start,
        json!([{"op": "add", "path": "emails", "value": [{"type": "home", "value": "h@x", "primary": true}]}]),
    );
    assert_eq!(
        out.map(|v| v["emails"].clone()),
        Ok(json!([{"type": "work", "value": "w@x", "primary": false}, {"type": "home", "value": "h@x", "primary": true}]))
    );
}

#[test]
fn errors_name_the_failing_operation() {
    let start = json!({"userName": "a"});
    let ops = json!([{"op": "replace", "path": "userName", "value": "b"}, {"op": "replace", "path": "active", "value": "maybe"}]);
    let err = run(start, ops).err();
    assert!(
        err.as_ref().is_some_and(|e| e.detail.starts_with("operation 2 (replace)")),
        "{err:?}"
    );
}

#[test]
fn normalize_canonicalises_names_and_drops_read_only() {
    let body = json!({"UserName": "a", "ID": "x", "meta": {}, "ACTIVE": "True", "unknown": 1});
    let out = normalize(body.as_object().unwrap_or(&Map::new()), &schema());
    assert_eq!(out.map(Value::Object), Ok(json!({"userName": "a", "active": true})));
}
