//! RFC 7643 §7 schema definitions: which attributes a resource type has and how they behave. Built from
//! the loaded mapping, used by the PATCH engine (multi-valued? read-only?) and by the discovery endpoints.

use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Reference,
    Complex,
}

impl AttrType {
    fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

impl Mutability {
    fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

/// One attribute or sub-attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeDef {
    pub name: String,
    pub kind: AttrType,
    pub multi_valued: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub unique: bool,
    pub sub_attributes: Vec<AttributeDef>,
    pub canonical_values: Vec<String>,
    pub reference_types: Vec<String>,
    /// The mapping's own description; else RFC 7643's for a standard attribute.
    pub description: Option<String>,
}

impl AttributeDef {
    pub fn new(name: &str, kind: AttrType) -> Self {
        AttributeDef {
            name: name.to_string(),
            kind,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            unique: false,
            sub_attributes: Vec::new(),
            canonical_values: Vec::new(),
            reference_types: Vec::new(),
            description: None,
        }
    }

    /// The sub-attribute named `name`, compared case-insensitively (RFC 7643 §2.1).
    pub fn sub(&self, name: &str) -> Option<&AttributeDef> {
        self.sub_attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The attribute's definition in schema `schema_id` (under `parent`, for a sub-attribute).
    pub fn to_document(&self, schema_id: &str, parent: Option<&str>) -> Value {
        let (name, sub) = match parent {
            Some(parent) => (parent, Some(self.name.as_str())),
            None => (self.name.as_str(), None),
        };
        let description = self
            .description
            .as_deref()
            .or_else(|| super::rfc7643::attribute_description(schema_id, name, sub))
            .unwrap_or_default();
        let mut doc = json!({
            "name": self.name,
            "type": self.kind.as_str(),
            "multiValued": self.multi_valued,
            "description": description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability.as_str(),
            "returned": if self.mutability == Mutability::WriteOnly { "never" } else { "default" },
            "uniqueness": if self.unique { "server" } else { "none" },
        });
        if !self.sub_attributes.is_empty() {
            doc["subAttributes"] = self
                .sub_attributes
                .iter()
                .map(|s| s.to_document(schema_id, Some(&self.name)))
                .collect();
        }
        if !self.canonical_values.is_empty() {
            doc["canonicalValues"] = json!(self.canonical_values);
        }
        if self.kind == AttrType::Reference {
            doc["referenceTypes"] = json!(self.reference_types);
        }
        doc
    }
}

/// A schema: its URN and attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaDef {
    pub id: String,
    pub name: String,
    pub attributes: Vec<AttributeDef>,
}

impl SchemaDef {
    pub fn attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    pub fn to_document(&self, base_url: &str) -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": self.id,
            "name": self.name,
            "description": super::rfc7643::schema_description(&self.id).unwrap_or(&self.name),
            "attributes": self.attributes.iter().map(|a| a.to_document(&self.id, None)).collect::<Vec<_>>(),
            "meta": {
                "resourceType": "Schema",
                "location": format!("{base_url}/Schemas/{}", self.id),
            },
        })
    }
}

/// A resource type: its core schema and extensions, as the PATCH engine and discovery see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceSchema {
    /// `User` or `Group`.
    pub name: String,
    /// `/Users` or `/Groups`.
    pub endpoint: String,
    pub core: SchemaDef,
    /// Extension schemas with whether each is required.
    pub extensions: Vec<(SchemaDef, bool)>,
    /// Whether attributes outside these schemas are refused (400) rather than ignored; see
    /// `scim::unmapped`.
    pub refuse_unmapped: bool,
}

impl ResourceSchema {
    /// The schema an attribute path names: the core one without URN, else the extension with that URN.
    pub fn schema_for(&self, urn: Option<&str>) -> Option<&SchemaDef> {
        match urn {
            None => Some(&self.core),
            Some(urn) if urn.eq_ignore_ascii_case(&self.core.id) => Some(&self.core),
            Some(urn) => self
                .extensions
                .iter()
                .map(|(schema, _)| schema)
                .find(|schema| schema.id.eq_ignore_ascii_case(urn)),
        }
    }

    /// The extension schema whose URN is `key`, when `key` names one.
    pub fn extension(&self, key: &str) -> Option<&SchemaDef> {
        self.extensions
            .iter()
            .map(|(schema, _)| schema)
            .find(|schema| schema.id.eq_ignore_ascii_case(key))
    }

    pub fn to_resource_type_document(&self, base_url: &str) -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": self.name,
            "name": self.name,
            "endpoint": self.endpoint,
            "description": format!("{} resources stored in the LDAP directory", self.name),
            "schema": self.core.id,
            "schemaExtensions": self.extensions.iter().map(|(schema, required)| json!({
                "schema": schema.id,
                "required": required,
            })).collect::<Vec<_>>(),
            "meta": {
                "resourceType": "ResourceType",
                "location": format!("{base_url}/ResourceTypes/{}", self.name),
            },
        })
    }
}

/// Attributes every resource carries that clients never write (RFC 7643 §3.1).
pub fn is_common_read_only(name: &str) -> bool {
    ["id", "meta", "schemas"].iter().any(|n| n.eq_ignore_ascii_case(name))
}
