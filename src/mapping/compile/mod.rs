//! From the mapping file as written to the validated mapping the gateway runs on. Every mistake an
//! admin can make is caught here, with file and line, before the service starts. This module reads the
//! file and puts a resource together; `schema` builds what /Schemas advertises, `attributes` the
//! attribute entries (transforms, templates, round trips), and `options` the resource-level options.

use std::path::Path;

use serde_saphyr::Spanned;

use super::model::{RawMapping, RawResource};
use super::{IdFormat, RdnSource, ResourceKind, ResourceMapping};
use crate::ldap::{LdapFilter, Scope};

mod attributes;
mod options;
mod references;
mod schema;
mod short_form;
#[cfg(test)]
mod tests;
mod yaml;

/// A mapping file that cannot be used: every problem found in it, each where and why, by line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError {
    pub file: String,
    pub problems: Vec<Problem>,
}

/// One mistake of a mapping file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 0 when it concerns the file as a whole (missing, unreadable).
    pub line: u64,
    pub message: String,
}

impl MappingError {
    fn new(file: &str, line: u64, message: String) -> Self {
        MappingError {
            file: file.to_string(),
            problems: vec![Problem { line, message }],
        }
    }

    /// The line of the first problem.
    pub fn line(&self) -> u64 {
        self.problems.first().map_or(0, |p| p.line)
    }
}

impl std::fmt::Display for MappingError {
    /// `file:line: reason`, one line per problem (`file: reason` for the file as a whole).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            match problem.line {
                0 => write!(f, "{}: {}", self.file, problem.message)?,
                line => write!(f, "{}:{line}: {}", self.file, problem.message)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for MappingError {}

/// The independent problems of a file, gathered so that one load reports them all.
#[derive(Default)]
pub(super) struct Problems(Vec<MappingError>);

impl Problems {
    /// The value, or `None` with its problems kept.
    pub(super) fn keep<T>(&mut self, result: Result<T, MappingError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    pub(super) fn push(&mut self, error: MappingError) {
        self.0.push(error);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every problem kept, by line, as one error; `Ok` when there is none.
    pub(super) fn finish(self) -> Result<(), MappingError> {
        let mut errors = self.0.into_iter();
        let Some(mut all) = errors.next() else { return Ok(()) };
        for error in errors {
            all.problems.extend(error.problems);
        }
        all.problems.sort_by_key(|p| p.line);
        all.problems.dedup();
        Err(all)
    }
}

/// Reads, parses and validates a mapping file.
pub fn load(path: &Path, base_dn: &str) -> Result<super::Mapping, MappingError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| MappingError::new(&file, 0, unreadable(&e)))?;
    compile_str(&text, &file, base_dn)
}

/// Why a mapping file cannot be read, in plain words.
fn unreadable(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "cannot be read: permission denied".into(),
        std::io::ErrorKind::IsADirectory => "is a directory, not a mapping file".into(),
        std::io::ErrorKind::InvalidData => "cannot be read: it is not UTF-8 text".into(),
        _ => format!("cannot be read: {e}"),
    }
}

/// Parses and validates mapping text; `file` names it in errors.
pub fn compile_str(text: &str, file: &str, base_dn: &str) -> Result<super::Mapping, MappingError> {
    let mut raw: RawMapping = serde_saphyr::from_str(text)
        .map_err(|e| MappingError::new(file, e.location().map_or(0, |l| l.line()), yaml::plain(&e.to_string())))?;
    let at = |line: u64, message: String| MappingError::new(file, line, message);
    let mut problems = Problems::default();
    if raw.version.value != 1 {
        problems.push(at(
            raw.version.referenced.line(),
            format!("unsupported mapping version {}: this scim2ldap reads version 1", raw.version.value),
        ));
    }
    // Each section is compiled even when another has mistakes, so that all are reported at once.
    let users = problems
        .keep(short_form::expand(&mut raw.users, &at))
        .and_then(|()| problems.keep(compile_resource(&raw.users, ResourceKind::User, base_dn, None, &at)));
    let groups = match &mut raw.groups {
        Some(groups) => problems
            .keep(short_form::expand(groups, &at))
            .and_then(|()| problems.keep(compile_resource(groups, ResourceKind::Group, base_dn, users.as_ref(), &at).map(Some))),
        None => Some(None),
    };
    let dn_attribute = raw.dn_attribute.clone().unwrap_or_else(|| "entryDN".into());
    problems.keep(check_ldap_name(&dn_attribute).map_err(|m| at(0, m)));
    problems.finish()?;
    match (users, groups) {
        (Some(users), Some(groups)) => Ok(super::Mapping {
            users,
            groups,
            dn_attribute,
        }),
        _ => Err(at(0, "the mapping could not be compiled".into())),
    }
}

/// serde-saphyr's and regex's messages may carry a source snippet after the first line; the line
/// number is enough.
fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).to_string()
}

type At<'a> = dyn Fn(u64, String) -> MappingError + 'a;

/// One resource type: where its entries live, its attributes, then its options. Groups see the
/// users' mapping, which their members may reference.
fn compile_resource(
    raw: &Spanned<RawResource>,
    kind: ResourceKind,
    base_dn: &str,
    users: Option<&ResourceMapping>,
    at: &At<'_>,
) -> Result<ResourceMapping, MappingError> {
    let line = raw.referenced.line();
    let raw = &raw.value;
    // Where the entries live, their classes and the attribute entries are independent of one another:
    // their mistakes are reported together. What follows builds on the attributes.
    let mut problems = Problems::default();
    let located = problems.keep(location(raw, base_dn, line, at));
    if raw.object_classes.value.is_empty() {
        problems.push(at(
            raw.object_classes.referenced.line(),
            "object_classes must name at least one class".into(),
        ));
    }
    for name in raw.object_classes.value.iter().chain(std::iter::once(&raw.rdn.value)) {
        problems.keep(check_ldap_name(name).map_err(|m| at(raw.object_classes.referenced.line(), m)));
    }
    let declared = problems.keep(schema::declare(raw, kind, at));
    let compiled = declared.map(|mut schema| {
        let attrs = problems.keep(attributes::compile_all(&raw.attributes, kind, &mut schema, line, at));
        (schema, attrs)
    });
    let (Some((mut schema, Some(mut attrs))), Some((base, scope, filter))) = (compiled, located) else {
        problems.finish()?;
        return Err(at(line, "this section could not be compiled".into()));
    };
    problems.finish()?;
    let rdn_attr = raw.rdn.value.clone();
    let rdn_attribute = attrs
        .iter()
        .position(|a| a.ldap.eq_ignore_ascii_case(&rdn_attr) && a.scim.urn.is_none() && a.scim.type_filter.is_none() && !a.read_only);
    if let Some(index) = rdn_attribute {
        attrs[index].required = true;
        schema::require(&mut schema, &attrs[index].scim.name);
    }
    let mut problems = Problems::default();
    problems.keep(attributes::attach_templates(raw, &mut attrs, at));
    let computed = problems.keep(attributes::computed(raw, &attrs, at));
    problems.finish()?;
    let computed = computed.unwrap_or_default();
    let rdn_source = match (rdn_attribute, computed.iter().position(|c| c.ldap.eq_ignore_ascii_case(&rdn_attr))) {
        (Some(index), _) => RdnSource::Attribute(index),
        (None, Some(index)) => RdnSource::Computed(index),
        (None, None) => {
            return Err(at(
                raw.rdn.referenced.line(),
                format!(
                    "rdn '{rdn_attr}' must be the LDAP side of a writable, single SCIM attribute (such as userName) or a computed attribute"
                ),
            ))
        }
    };
    attributes::check_single_source(&attrs, &computed, at)?;
    let mut constants = Vec::new();
    for (name, values) in &raw.constants {
        check_ldap_name(name).map_err(|m| at(values.referenced.line(), m))?;
        constants.push((name.clone(), values.value.clone()));
    }

    let active = options::active(raw, &attrs, &mut schema, at)?;
    let empty_group = options::empty_group(raw, kind, &attrs, base_dn, line, at)?;
    options::rdn_references(raw, &mut attrs, users, &empty_group, at)?;
    let delete = options::delete(raw, active.is_some(), &base, base_dn, at)?;
    let member_cleanup = options::member_cleanup(raw, kind, &attrs, at)?;
    references::match_and_unknown(raw, &mut attrs, users, at)?;
    let password = options::password(raw, kind, active.as_ref(), &mut schema, at)?;
    let deactivate_when_ungrouped = options::deactivate_when_ungrouped(raw, kind, at)?;
    let placement = options::placement(raw, &attrs, scope, &base, base_dn, at)?;
    let disabled_parent = options::disabled_parent(raw, scope, &base, base_dn, at)?;
    let allocate = options::allocate(raw, &attrs, &computed, base_dn, at)?;
    let meta = options::meta(raw);
    let id_attr = raw.id.as_ref().map_or_else(|| "entryUUID".to_string(), |i| i.value.clone());
    let id_format = if id_attr.eq_ignore_ascii_case("entryUUID") || crate::ldap::guid::is_guid_attribute(&id_attr) {
        IdFormat::Uuid
    } else {
        IdFormat::Text
    };

    let mut fetch_attrs: Vec<String> = vec![
        id_attr.clone(),
        meta.created.clone(),
        meta.last_modified.clone(),
        meta.version.clone(),
    ];
    fetch_attrs.extend(
        attrs
            .iter()
            .flat_map(|a| std::iter::once(&a.ldap).chain(&a.read_from).chain(&a.also).cloned()),
    );
    fetch_attrs.extend(active.iter().map(|a| a.attribute().to_string()));
    let mut seen = std::collections::HashSet::new();
    fetch_attrs.retain(|a| seen.insert(a.to_ascii_lowercase()));

    Ok(ResourceMapping {
        kind,
        schema,
        base,
        scope,
        filter,
        object_classes: raw.object_classes.value.clone(),
        filter_classes: raw
            .object_classes
            .value
            .iter()
            .filter(|c| !c.eq_ignore_ascii_case("top") && !c.eq_ignore_ascii_case("extensibleObject"))
            .cloned()
            .collect(),
        object_classes_line: raw.object_classes.referenced.line(),
        rdn_attr,
        rdn_source,
        id_attr,
        id_format,
        meta,
        attrs,
        computed,
        constants,
        active,
        empty_group,
        member_cleanup,
        delete,
        password,
        deactivate_when_ungrouped,
        placement,
        disabled_parent,
        allocate,
        fetch_attrs,
    })
}

/// The base (with `{base}` filled in), the scope and the bounding filter.
fn location(raw: &RawResource, base_dn: &str, line: u64, at: &At<'_>) -> Result<(String, Scope, Option<LdapFilter>), MappingError> {
    let base = raw.base.value.replace("{base}", base_dn);
    if base.contains('{') {
        return Err(at(
            raw.base.referenced.line(),
            format!("unknown variable in base '{}': only {{base}} is known", raw.base.value),
        ));
    }
    let scope = match raw.scope.as_ref().map(|s| s.value.to_ascii_lowercase()) {
        None => Scope::One,
        Some(s) if s == "one" => Scope::One,
        Some(s) if s == "sub" => Scope::Sub,
        Some(s) => {
            return Err(at(
                raw.scope.as_ref().map_or(line, |s| s.referenced.line()),
                format!("scope '{s}' is not 'one' or 'sub'"),
            ))
        }
    };
    let filter = match &raw.filter {
        Some(f) => {
            ldap3::parse_filter(&f.value).map_err(|_| at(f.referenced.line(), format!("'{}' is not a valid LDAP filter", f.value)))?;
            Some(LdapFilter::Raw(parenthesized(&f.value)))
        }
        None => None,
    };
    Ok((base, scope, filter))
}

/// An administrator's filter as one RFC 4515 filter: ldap3 accepts `objectCategory=person` without
/// parentheses, which inside the gateway's `(&…)` would make an invalid filter.
fn parenthesized(filter: &str) -> String {
    match filter.starts_with('(') {
        true => filter.to_string(),
        false => format!("({filter})"),
    }
}

fn check_ldap_name(name: &str) -> Result<(), String> {
    let descr = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let oid = !name.is_empty() && name.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    if descr || oid {
        Ok(())
    } else {
        Err(format!("'{name}' is not an LDAP attribute or class name"))
    }
}
