//! The SCIM schema a mapping advertises (/Schemas, /ResourceTypes): the core and extension schemas it
//! declares, filled with the attributes it maps, in RFC 7643's shapes and spellings.

use super::super::model::RawResource;
use super::super::{AttrMap, ResourceKind, Shown, ValueKind};
use super::{At, MappingError};
use crate::scim::schema::{AttrType, AttributeDef, Mutability, ResourceSchema, SchemaDef};
use crate::scim::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};

/// The resource's schemas as declared, still without attributes.
pub(super) fn declare(raw: &RawResource, kind: ResourceKind, at: &At<'_>) -> Result<ResourceSchema, MappingError> {
    let core_urn = core_urn(kind);
    let mut extensions = Vec::new();
    for ext in &raw.extensions {
        let urn = &ext.value.urn;
        if !urn.starts_with("urn:") || urn.eq_ignore_ascii_case(core_urn) {
            return Err(at(
                ext.referenced.line(),
                format!("extension '{urn}' must be a URN other than the core schema"),
            ));
        }
        let name = ext
            .value
            .name
            .clone()
            .unwrap_or_else(|| urn.rsplit(':').next().unwrap_or(urn).to_string());
        extensions.push((
            SchemaDef {
                id: urn.clone(),
                name,
                attributes: Vec::new(),
            },
            ext.value.required,
        ));
    }
    Ok(ResourceSchema {
        name: kind.name().to_string(),
        endpoint: kind.endpoint().to_string(),
        core: SchemaDef {
            id: core_urn.to_string(),
            name: kind.name().to_string(),
            attributes: Vec::new(),
        },
        extensions,
        refuse_unmapped: false,
    })
}

pub(super) fn core_urn(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::User => USER_SCHEMA,
        ResourceKind::Group => GROUP_SCHEMA,
    }
}

/// Marks the attribute that names entries required, as a resource cannot be created without it.
pub(super) fn require(schema: &mut ResourceSchema, name: &str) {
    if let Some(def) = schema.core.attributes.iter_mut().find(|d| d.name.eq_ignore_ascii_case(name)) {
        def.required = true;
    }
}

/// Adds an attribute the mapping keeps outside `attributes` (`active`, `password`) to the core schema.
pub(super) fn add_core(schema: &mut ResourceSchema, def: AttributeDef) {
    schema.core.attributes.push(def);
}

pub(super) fn shown(attr: &AttrMap, schema: &ResourceSchema) -> Shown {
    let def = match &attr.scim.urn {
        Some(urn) => schema.extension(urn),
        None => Some(&schema.core),
    }
    .and_then(|s| s.attribute(&attr.scim.name));
    Shown {
        name: def.map_or_else(|| attr.scim.name.clone(), |d| d.name.clone()),
        sub: attr
            .scim
            .sub
            .as_ref()
            .map(|sub| def.and_then(|d| d.sub(sub)).map_or_else(|| sub.clone(), |s| s.name.clone())),
        multi_valued: def.is_some_and(|d| d.multi_valued),
    }
}

/// What RFC 7643 §4 says about the shape of a standard attribute.
struct Standard {
    kind: AttrType,
    multi_valued: bool,
}

/// The attributes of the core schemas (RFC 7643 §4), as spelt there: what `standard` knows.
fn core_names(kind: ResourceKind) -> &'static [&'static str] {
    match kind {
        ResourceKind::User => &[
            "userName",
            "name",
            "displayName",
            "nickName",
            "profileUrl",
            "title",
            "userType",
            "preferredLanguage",
            "locale",
            "timezone",
            "active",
            "password",
            "emails",
            "phoneNumbers",
            "ims",
            "photos",
            "addresses",
            "groups",
            "entitlements",
            "roles",
            "x509Certificates",
            "externalId",
        ],
        ResourceKind::Group => &["displayName", "members", "externalId"],
    }
}

fn standard(kind: ResourceKind, name: &str) -> Option<Standard> {
    let complex_multi = || Standard {
        kind: AttrType::Complex,
        multi_valued: true,
    };
    let n = name.to_ascii_lowercase();
    let user = match n.as_str() {
        "emails" | "phonenumbers" | "ims" | "photos" | "addresses" | "entitlements" | "roles" | "x509certificates" | "groups" => {
            Some(complex_multi())
        }
        "name" => Some(Standard {
            kind: AttrType::Complex,
            multi_valued: false,
        }),
        "active" => Some(Standard {
            kind: AttrType::Boolean,
            multi_valued: false,
        }),
        "profileurl" => Some(Standard {
            kind: AttrType::Reference,
            multi_valued: false,
        }),
        "password" => Some(Standard {
            kind: AttrType::String,
            multi_valued: false,
        }),
        "username" | "displayname" | "nickname" | "title" | "usertype" | "preferredlanguage" | "locale" | "timezone" | "externalid" => {
            Some(Standard {
                kind: AttrType::String,
                multi_valued: false,
            })
        }
        _ => None,
    };
    match kind {
        ResourceKind::User => user,
        ResourceKind::Group => match n.as_str() {
            "members" => Some(complex_multi()),
            "displayname" | "externalid" => Some(Standard {
                kind: AttrType::String,
                multi_valued: false,
            }),
            _ => None,
        },
    }
}

/// Adds what one mapped attribute stores to the advertised schema.
pub(super) fn add_to_schema(schema: &mut ResourceSchema, attr: &AttrMap, kind: ResourceKind) -> Result<(), String> {
    let scim = &attr.scim;
    let (attributes, shape) = match &scim.urn {
        None => {
            let shape = standard(kind, &scim.name).ok_or_else(|| {
                format!(
                    "'{}' is not an attribute of the core {} schema{}: declare an extension for custom attributes",
                    scim.name,
                    kind.name(),
                    crate::mapping::suggest::did_you_mean(&scim.name, core_names(kind).iter().copied())
                )
            })?;
            (&mut schema.core.attributes, shape)
        }
        Some(urn) => {
            let ext = schema
                .extensions
                .iter_mut()
                .map(|(s, _)| s)
                .find(|s| s.id == *urn)
                .ok_or_else(|| format!("schema '{urn}' is not declared"))?;
            let is_manager = urn == ENTERPRISE_USER_SCHEMA && scim.name.eq_ignore_ascii_case("manager");
            let shape = if is_manager || scim.sub.is_some() {
                Standard {
                    kind: AttrType::Complex,
                    multi_valued: false,
                }
            } else {
                Standard {
                    kind: if attr.kind == ValueKind::Boolean {
                        AttrType::Boolean
                    } else {
                        AttrType::String
                    },
                    multi_valued: false,
                }
            };
            (&mut ext.attributes, shape)
        }
    };
    if scim.sub.is_some() && shape.kind != AttrType::Complex {
        return Err(format!("'{}' has no sub-attributes", scim.name));
    }
    if scim.sub.is_none() && shape.kind == AttrType::Complex {
        return Err(format!(
            "'{}' is complex: map its sub-attributes, such as {}.value",
            scim.name, scim.name
        ));
    }
    if scim.type_filter.is_none() && shape.multi_valued && scim.sub.as_deref().is_some_and(|s| !s.eq_ignore_ascii_case("value")) {
        return Err(format!(
            "'{}.{}' needs a type filter, as in {}[type eq \"work\"].{}",
            scim.name,
            scim.sub.as_deref().unwrap_or_default(),
            scim.name,
            scim.sub.as_deref().unwrap_or_default()
        ));
    }
    if kind == ResourceKind::User && scim.urn.is_none() && scim.name.eq_ignore_ascii_case("groups") && !attr.read_only {
        return Err("a user's groups come from the groups' members: map groups with read_only: true".into());
    }
    if attr.kind == ValueKind::Reference && scim.sub.as_deref().is_none_or(|s| !s.eq_ignore_ascii_case("value")) {
        return Err(format!("a reference maps the id, as in {}.value", scim.name));
    }
    let canonical = match attributes.iter().position(|a| a.name.eq_ignore_ascii_case(&scim.name)) {
        Some(i) => i,
        None => {
            let mut def = AttributeDef::new(&canonical_name(&scim.name), shape.kind);
            def.multi_valued = shape.multi_valued;
            attributes.push(def);
            attributes.len() - 1
        }
    };
    let def = &mut attributes[canonical];
    let mutability = if attr.read_only {
        Mutability::ReadOnly
    } else {
        Mutability::ReadWrite
    };
    match &scim.sub {
        None => {
            def.required |= attr.required;
            def.unique |= attr.unique;
            def.description = attr.description.clone().or(def.description.take());
            def.case_exact = attr.case_exact;
            def.mutability = mutability;
            if scim.name.eq_ignore_ascii_case("password") {
                def.mutability = Mutability::WriteOnly;
            }
        }
        Some(sub) => {
            let sub_kind = match (attr.kind, sub.to_ascii_lowercase().as_str()) {
                (ValueKind::Reference, _) => AttrType::String,
                (ValueKind::Boolean, _) => AttrType::Boolean,
                _ => AttrType::String,
            };
            if def.sub(sub).is_none() {
                let mut sub_def = AttributeDef::new(&canonical_sub(sub), sub_kind);
                sub_def.mutability = mutability;
                sub_def.case_exact = attr.case_exact;
                sub_def.required = attr.required && scim.type_filter.is_none();
                sub_def.description = attr.description.clone();
                def.sub_attributes.push(sub_def);
            }
            if let Some(t) = &scim.type_filter {
                if def.sub("type").is_none() {
                    def.sub_attributes.push(AttributeDef::new("type", AttrType::String));
                }
                if let Some(type_def) = def.sub_attributes.iter_mut().find(|s| s.name == "type") {
                    if !type_def.canonical_values.iter().any(|v| v == t) {
                        type_def.canonical_values.push(t.clone());
                    }
                }
                if attr.primary && def.sub("primary").is_none() {
                    let mut primary = AttributeDef::new("primary", AttrType::Boolean);
                    primary.mutability = Mutability::ReadOnly;
                    def.sub_attributes.push(primary);
                }
            }
            if attr.kind == ValueKind::Reference {
                // What the gateway adds when it shows a reference: its URL and, in a list, its type.
                def.mutability = mutability;
                // Writable like the id they travel with, so that clients may send back what they read.
                if def.sub("$ref").is_none() {
                    let mut reference = AttributeDef::new("$ref", AttrType::Reference);
                    reference.mutability = mutability;
                    reference.reference_types = if def.multi_valued {
                        vec!["User".into(), "Group".into()]
                    } else {
                        vec!["User".into()]
                    };
                    def.sub_attributes.push(reference);
                }
                if def.multi_valued && def.sub("type").is_none() {
                    let mut kind = AttributeDef::new("type", AttrType::String);
                    kind.mutability = mutability;
                    kind.canonical_values = vec!["User".into(), "Group".into()];
                    def.sub_attributes.push(kind);
                }
            }
        }
    }
    Ok(())
}

/// RFC 7643 spelling of standard attribute names, whatever case the mapping used.
fn canonical_name(name: &str) -> String {
    core_names(ResourceKind::User)
        .iter()
        .chain(core_names(ResourceKind::Group))
        .find(|n| n.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_string(), |n| n.to_string())
}

fn canonical_sub(name: &str) -> String {
    const SUBS: &[&str] = &[
        "givenName",
        "familyName",
        "middleName",
        "honorificPrefix",
        "honorificSuffix",
        "formatted",
        "value",
        "display",
        "type",
        "primary",
        "streetAddress",
        "locality",
        "region",
        "postalCode",
        "country",
    ];
    SUBS.iter()
        .find(|n| n.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_string(), |n| n.to_string())
}
