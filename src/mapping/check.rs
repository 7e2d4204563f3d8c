//! A mapping checked against the directory's schema (`scim2ldap check`): what the directory would
//! refuse at the first write, found before any IdP sends one.

use super::suggest::did_you_mean;
use super::{Mapping, ResourceMapping};
use crate::ldap::schema::Subschema;

/// One problem, at a line of the mapping file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub line: u64,
    pub message: String,
}

/// Everything in `mapping` that the directory's schema contradicts.
pub fn check(mapping: &Mapping, schema: &Subschema) -> Vec<Finding> {
    let mut findings = unknown_attributes(mapping, schema);
    for m in std::iter::once(&mapping.users).chain(mapping.groups.as_ref()) {
        check_resource(m, schema, &mut findings);
    }
    findings.sort_by_key(|f| f.line);
    findings
}

/// The LDAP attributes the mapping names that the directory does not have: never right, so `serve`
/// refuses to start on them (an `id: entryUUID` on Active Directory would create entries without ids).
pub fn unknown_attributes(mapping: &Mapping, schema: &Subschema) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut require = |line: u64, what: String, name: &str| {
        if !name.is_empty() && schema.attribute(name).is_none() {
            findings.push(Finding {
                line,
                message: format!(
                    "{what}: the directory has no attribute '{name}'{}",
                    did_you_mean(name, schema.attribute_names())
                ),
            });
        }
    };
    require(0, "dn_attribute".into(), &mapping.dn_attribute);
    for m in std::iter::once(&mapping.users).chain(mapping.groups.as_ref()) {
        let kind = m.kind.name();
        let line = m.object_classes_line;
        require(line, format!("{kind} id"), &m.id_attr);
        require(line, format!("{kind} meta created"), &m.meta.created);
        require(line, format!("{kind} meta last_modified"), &m.meta.last_modified);
        require(line, format!("{kind} meta version"), &m.meta.version);
        if let Some(active) = &m.active {
            require(line, format!("{kind} active"), active.attribute());
            for (name, _) in &active.on_enable {
                require(line, format!("{kind} active on_enable"), name);
            }
        }
        for computed in &m.computed {
            require(line, format!("{kind} computed"), &computed.ldap);
        }
        for allocation in &m.allocate {
            require(line, format!("{kind} allocate"), &allocation.ldap);
        }
        for attr in &m.attrs {
            for name in std::iter::once(&attr.ldap).chain(&attr.read_from).chain(&attr.also) {
                require(attr.line, attr.scim_path(), name);
            }
        }
    }
    findings
}

fn check_resource(m: &ResourceMapping, schema: &Subschema, findings: &mut Vec<Finding>) {
    let kind = m.kind.name();
    for class in &m.object_classes {
        if schema.class(class).is_none() {
            findings.push(Finding {
                line: m.object_classes_line,
                message: format!(
                    "{kind}: the directory has no object class '{class}'{}",
                    did_you_mean(class, schema.class_names())
                ),
            });
        }
    }
    for attr in &m.attrs {
        if let Some(definition) = schema.attribute(&attr.ldap) {
            let every_value = attr.scim.type_filter.is_none() && multi_valued(m, attr);
            if definition.single_value && every_value && !attr.read_only {
                findings.push(Finding {
                    line: attr.line,
                    message: format!(
                        "{}: '{}' holds a single value but {} is multi-valued; map one typed value instead, as in {}[type eq \"work\"].value",
                        attr.scim_path(),
                        attr.ldap,
                        attr.scim.name,
                        attr.scim.name
                    ),
                });
            }
        }
    }
    let filled = |name: &str| {
        name.eq_ignore_ascii_case("objectClass")
            || FILLED_BY_THE_DIRECTORY.iter().any(|d| d.eq_ignore_ascii_case(name))
            || m.rdn_attr.eq_ignore_ascii_case(name)
            || m.attrs.iter().any(|a| {
                let writes = std::iter::once(&a.ldap)
                    .chain(&a.read_from)
                    .chain(&a.also)
                    .any(|l| l.eq_ignore_ascii_case(name));
                !a.read_only && writes && (a.required || !a.defaults.is_empty() || a.fallback.is_some())
            })
            || m.allocate.iter().any(|a| a.ldap.eq_ignore_ascii_case(name))
            || m.computed.iter().any(|c| c.ldap.eq_ignore_ascii_case(name))
            || m.constants.iter().any(|(c, _)| c.eq_ignore_ascii_case(name))
            || m.members().is_some_and(|members| members.ldap.eq_ignore_ascii_case(name))
    };
    for class in &m.object_classes {
        for required in schema.required(class) {
            if !filled(&required) {
                let mapped = m.attrs.iter().find(|a| a.ldap.eq_ignore_ascii_case(&required));
                let message = match mapped {
                    Some(a) => format!(
                        "{kind}: '{class}' requires '{required}', but {} may be absent: mark it required or give it a default or fallback",
                        a.scim_path()
                    ),
                    None => format!("{kind}: '{class}' requires '{required}', which no mapping fills"),
                };
                findings.push(Finding {
                    line: mapped.map_or(m.object_classes_line, |a| a.line),
                    message,
                });
            }
        }
    }
}

/// Attributes a class requires that the directory fills in itself on every add: Active Directory's
/// (and Samba's) schema lists them as MUST of `top`, without marking them system-only.
const FILLED_BY_THE_DIRECTORY: [&str; 4] = ["objectCategory", "instanceType", "nTSecurityDescriptor", "objectSid"];

fn multi_valued(m: &ResourceMapping, attr: &super::AttrMap) -> bool {
    let schema = match &attr.scim.urn {
        Some(urn) => m.schema.extension(urn),
        None => Some(&m.schema.core),
    };
    schema.and_then(|s| s.attribute(&attr.scim.name)).is_some_and(|d| d.multi_valued)
}

/// The LDAP attributes the gateway writes for a type (mapped, also-written, computed, constants,
/// `active`, allocated numbers), each once, as the mapping spells them.
pub fn written_attributes(m: &ResourceMapping) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let names = m
        .attrs
        .iter()
        .filter(|a| !a.read_only)
        .flat_map(|a| std::iter::once(&a.ldap).chain(&a.also))
        .chain(m.computed.iter().map(|c| &c.ldap))
        .chain(m.constants.iter().map(|(name, _)| name))
        .chain(m.allocate.iter().map(|a| &a.ldap))
        .cloned()
        .chain(m.active.as_ref().map(|a| a.attribute().to_string()));
    for name in names {
        if !name.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(&name)) {
            out.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::compile_str;

    #[test]
    fn a_mistyped_attribute_or_class_gets_the_nearest_name_the_directory_knows() {
        let text = r#"version: 1
users:
  base: "ou=people,{base}"
  object_classes: [inetOrgPersn]
  rdn: uid
  attributes:
    - { scim: userName, ldap: uid, required: true }
    - { scim: 'phoneNumbers[type eq "work"].value', ldap: telephonNumber }
    - { scim: title, ldap: shoeSize }
"#;
        let mapping = compile_str(text, "t.yaml", "dc=x").unwrap_or_else(|e| unreachable!("{e}"));
        let schema = Subschema::from_descriptions(
            &[
                "( 0.9.2342.19200300.100.1.1 NAME ( 'uid' 'userid' ) )",
                "( 2.5.4.20 NAME 'telephoneNumber' )",
                "( 2.5.4.12 NAME 'title' )",
                "( 1.3.6.1.1.16.4 NAME 'entryUUID' )",
                "( 2.5.18.1 NAME 'createTimestamp' )",
                "( 2.5.18.2 NAME 'modifyTimestamp' )",
                "( 1.3.6.1.4.1.4203.666.1.7 NAME 'entryCSN' )",
                "( 1.3.6.1.1.20 NAME 'entryDN' )",
            ],
            &["( 2.16.840.1.113730.3.2.2 NAME 'inetOrgPerson' SUP top STRUCTURAL MAY ( uid $ title $ telephoneNumber ) )"],
        );
        let messages: Vec<String> = check(&mapping, &schema)
            .into_iter()
            .map(|f| format!("{}: {}", f.line, f.message))
            .collect();
        assert_eq!(
            messages,
            [
                "4: User: the directory has no object class 'inetOrgPersn' (did you mean inetOrgPerson?)",
                "8: phoneNumbers[type eq \"work\"].value: the directory has no attribute 'telephonNumber' (did you mean telephoneNumber?)",
                "9: title: the directory has no attribute 'shoeSize'",
            ]
        );
    }
}
