//! A mapping checked against the directory's schema (`scim2ldap check`): what the directory would
//! refuse at the first write, found before any IdP sends one.

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
    let mut findings = Vec::new();
    for m in std::iter::once(&mapping.users).chain(mapping.groups.as_ref()) {
        check_resource(m, schema, &mut findings);
    }
    findings.sort_by_key(|f| f.line);
    findings
}

fn check_resource(m: &ResourceMapping, schema: &Subschema, findings: &mut Vec<Finding>) {
    let kind = m.kind.name();
    for class in &m.object_classes {
        if schema.class(class).is_none() {
            findings.push(Finding {
                line: m.object_classes_line,
                message: format!("{kind}: the directory has no object class '{class}'"),
            });
        }
    }
    for attr in &m.attrs {
        for extra in attr.read_from.iter().chain(&attr.also) {
            if schema.attribute(extra).is_none() {
                findings.push(Finding {
                    line: attr.line,
                    message: format!("{}: the directory has no attribute '{extra}'", attr.scim_path()),
                });
            }
        }
        match schema.attribute(&attr.ldap) {
            None => findings.push(Finding {
                line: attr.line,
                message: format!("{}: the directory has no attribute '{}'", attr.scim_path(), attr.ldap),
            }),
            Some(definition) => {
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
    }
    let filled = |name: &str| {
        name.eq_ignore_ascii_case("objectClass")
            || m.rdn_attr.eq_ignore_ascii_case(name)
            || m.attrs.iter().any(|a| {
                let writes = std::iter::once(&a.ldap)
                    .chain(&a.read_from)
                    .chain(&a.also)
                    .any(|l| l.eq_ignore_ascii_case(name));
                !a.read_only && writes && (a.required || !a.defaults.is_empty() || a.placeholder.is_some())
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
                        "{kind}: '{class}' requires '{required}', but {} may be absent: mark it required or give it a default or placeholder",
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

fn multi_valued(m: &ResourceMapping, attr: &super::AttrMap) -> bool {
    let schema = match &attr.scim.urn {
        Some(urn) => m.schema.extension(urn),
        None => Some(&m.schema.core),
    };
    schema.and_then(|s| s.attribute(&attr.scim.name)).is_some_and(|d| d.multi_valued)
}
