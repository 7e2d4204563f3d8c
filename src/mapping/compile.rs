//! From the mapping file as written to the validated mapping the gateway runs on. Every mistake an
//! admin can make is caught here, with file and line, before the service starts.

use std::path::Path;

use serde_saphyr::Spanned;

use super::model::{RawAttribute, RawMapping, RawResource, RawStep};
use super::transform::Step;
use super::{
    ActiveMap, Allocation, AttrMap, Computed, DeleteStrategy, EmptyGroup, IdFormat, MetaAttrs, Placement, ResourceKind, ResourceMapping,
    ScimTarget, Shown, Template, Transform, ValueKind,
};
use crate::ldap::{dn, LdapFilter, Scope};
use crate::scim::filter::{AttrPath, CompValue, CompareOp, Filter};
use crate::scim::path::PatchPath;
use crate::scim::schema::{AttrType, AttributeDef, Mutability, ResourceSchema, SchemaDef};
use crate::scim::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};

/// A mapping file that cannot be used: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct MappingError {
    pub file: String,
    pub line: u64,
    pub message: String,
}

/// Reads, parses and validates a mapping file.
pub fn load(path: &Path, base_dn: &str) -> Result<super::Mapping, MappingError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| MappingError {
        file: file.clone(),
        line: 0,
        message: format!("cannot read the mapping file: {e}"),
    })?;
    compile_str(&text, &file, base_dn)
}

/// Parses and validates mapping text; `file` names it in errors.
pub fn compile_str(text: &str, file: &str, base_dn: &str) -> Result<super::Mapping, MappingError> {
    let raw: RawMapping = serde_saphyr::from_str(text).map_err(|e| MappingError {
        file: file.to_string(),
        line: e.location().map_or(0, |l| l.line()),
        message: first_line(&e.to_string()),
    })?;
    let at = |line: u64, message: String| MappingError {
        file: file.to_string(),
        line,
        message,
    };
    if raw.version.value != 1 {
        return Err(at(
            raw.version.referenced.line(),
            format!("unsupported mapping version {}: this scim2ldap reads version 1", raw.version.value),
        ));
    }
    let users = compile_resource(&raw.users, ResourceKind::User, base_dn, &at)?;
    let groups = match &raw.groups {
        Some(groups) => Some(compile_resource(groups, ResourceKind::Group, base_dn, &at)?),
        None => None,
    };
    let dn_attribute = raw.dn_attribute.clone().unwrap_or_else(|| "entryDN".into());
    check_ldap_name(&dn_attribute).map_err(|m| at(0, m))?;
    Ok(super::Mapping {
        users,
        groups,
        dn_attribute,
    })
}

/// serde-saphyr's messages may carry a source snippet after the first line; the line number is enough.
fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).to_string()
}

type At<'a> = dyn Fn(u64, String) -> MappingError + 'a;

fn compile_resource(raw: &Spanned<RawResource>, kind: ResourceKind, base_dn: &str, at: &At<'_>) -> Result<ResourceMapping, MappingError> {
    let line = raw.referenced.line();
    let raw = &raw.value;
    let core_urn = match kind {
        ResourceKind::User => USER_SCHEMA,
        ResourceKind::Group => GROUP_SCHEMA,
    };
    let base = raw.base.value.replace("{base}", base_dn);
    if base.contains('{') {
        return Err(at(
            raw.base.referenced.line(),
            format!("unknown placeholder in base '{}': only {{base}} is known", raw.base.value),
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
            Some(LdapFilter::Raw(f.value.clone()))
        }
        None => None,
    };
    if raw.object_classes.value.is_empty() {
        return Err(at(
            raw.object_classes.referenced.line(),
            "object_classes must name at least one class".into(),
        ));
    }
    for name in raw.object_classes.value.iter().chain(std::iter::once(&raw.rdn.value)) {
        check_ldap_name(name).map_err(|m| at(raw.object_classes.referenced.line(), m))?;
    }

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
    let mut schema = ResourceSchema {
        name: kind.name().to_string(),
        endpoint: kind.endpoint().to_string(),
        core: SchemaDef {
            id: core_urn.to_string(),
            name: kind.name().to_string(),
            attributes: Vec::new(),
        },
        extensions,
    };

    let mut attrs: Vec<AttrMap> = Vec::new();
    for entry in &raw.attributes {
        let mut attr = compile_attribute(&entry.value, &schema, core_urn).map_err(|m| at(entry.referenced.line(), m))?;
        attr.line = entry.referenced.line();
        if attrs.iter().any(|a| a.scim == attr.scim) {
            return Err(at(entry.referenced.line(), format!("'{}' is mapped twice", entry.value.scim)));
        }
        add_to_schema(&mut schema, &attr, kind).map_err(|m| at(entry.referenced.line(), m))?;
        attrs.push(attr);
    }
    for attr in &mut attrs {
        check_round_trip(attr, &schema).map_err(|m| at(attr.line, m))?;
        attr.shown = shown(attr, &schema);
    }
    if kind == ResourceKind::User && !attrs.iter().any(|a| a.scim.is_simple("userName")) {
        return Err(at(line, "users must map userName".into()));
    }
    if kind == ResourceKind::Group && !attrs.iter().any(|a| a.scim.is_simple("displayName")) {
        return Err(at(line, "groups must map displayName".into()));
    }
    let rdn_attr = raw.rdn.value.clone();
    let rdn_source = attrs
        .iter()
        .position(|a| a.ldap.eq_ignore_ascii_case(&rdn_attr) && a.scim.urn.is_none() && a.scim.type_filter.is_none() && !a.read_only)
        .ok_or_else(|| {
            at(
                raw.rdn.referenced.line(),
                format!("rdn '{rdn_attr}' must be the LDAP side of a writable, single SCIM attribute (such as userName)"),
            )
        })?;
    attrs[rdn_source].required = true;
    if let Some(def) = schema
        .core
        .attributes
        .iter_mut()
        .find(|d| d.name.eq_ignore_ascii_case(&attrs[rdn_source].scim.name))
    {
        def.required = true;
    }

    // Templates may only name SCIM attributes the mapping stores.
    let check_template = |text: &str, line: u64| -> Result<Template, MappingError> {
        let template = Template::parse(text).map_err(|m| at(line, m))?;
        for var in template.vars() {
            if !attrs.iter().any(|a| a.scim.matches_path(var)) {
                return Err(at(line, format!("template '{text}' uses '{var}', which no attribute maps")));
            }
        }
        Ok(template)
    };
    let defaults = raw
        .attributes
        .iter()
        .map(|entry| {
            entry
                .value
                .default
                .iter()
                .map(|t| check_template(t, entry.referenced.line()))
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut computed = Vec::new();
    for entry in &raw.computed {
        check_ldap_name(&entry.value.ldap).map_err(|m| at(entry.referenced.line(), m))?;
        if entry.value.template.is_empty() {
            return Err(at(
                entry.referenced.line(),
                format!("computed '{}' needs at least one template", entry.value.ldap),
            ));
        }
        let templates = entry
            .value
            .template
            .iter()
            .map(|t| check_template(t, entry.referenced.line()))
            .collect::<Result<Vec<_>, _>>()?;
        computed.push(Computed {
            ldap: entry.value.ldap.clone(),
            templates,
            transform: compile_steps(&entry.value.transform).map_err(|m| at(entry.referenced.line(), m))?,
        });
    }
    let placeholders = raw
        .attributes
        .iter()
        .map(|entry| {
            entry
                .value
                .placeholder
                .as_deref()
                .map(|t| check_template(t, entry.referenced.line()))
                .transpose()
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (index, placeholder) in placeholders.iter().enumerate() {
        let Some(template) = placeholder else { continue };
        if attrs[index].scim.type_filter.is_some() {
            return Err(at(
                raw.attributes[index].referenced.line(),
                "a placeholder applies to a single-valued attribute, not to a typed value".to_string(),
            ));
        }
        let uses_placeholder = |var: &AttrPath| {
            attrs
                .iter()
                .zip(&placeholders)
                .any(|(other, p)| p.is_some() && other.scim.matches_path(var))
        };
        if let Some(var) = template.vars().find(|v| uses_placeholder(v)) {
            return Err(at(
                raw.attributes[index].referenced.line(),
                format!("placeholder uses '{var}', which has a placeholder itself: name an attribute the client sends"),
            ));
        }
    }
    for ((attr, templates), placeholder) in attrs.iter_mut().zip(defaults).zip(placeholders) {
        attr.defaults = templates;
        attr.placeholder = placeholder;
    }
    for attr in &attrs {
        for extra in attr.read_from.iter().chain(&attr.also) {
            let elsewhere = attrs.iter().any(|other| {
                !std::ptr::eq(other, attr)
                    && !other.read_only
                    && (other.ldap.eq_ignore_ascii_case(extra)
                        || other.read_from.as_deref().is_some_and(|r| r.eq_ignore_ascii_case(extra))
                        || other.also.iter().any(|a| a.eq_ignore_ascii_case(extra)))
            }) || computed.iter().any(|c| c.ldap.eq_ignore_ascii_case(extra));
            if elsewhere || extra.eq_ignore_ascii_case(&attr.ldap) {
                return Err(at(
                    attr.line,
                    format!(
                        "'{extra}' is written from another source too: give {} an attribute of its own",
                        attr.scim_path()
                    ),
                ));
            }
        }
    }
    let mut constants = Vec::new();
    for (name, values) in &raw.constants {
        check_ldap_name(name).map_err(|m| at(values.referenced.line(), m))?;
        constants.push((name.clone(), values.value.clone()));
    }
    let active = match &raw.active {
        Some(active) => {
            check_ldap_name(&active.value.attribute).map_err(|m| at(active.referenced.line(), m))?;
            if attrs.iter().any(|a| a.scim.is_simple("active")) {
                return Err(at(
                    active.referenced.line(),
                    "map active either in attributes or in the active section, not both".into(),
                ));
            }
            // An account always has a state in the directory, so `active` is never unassigned; a
            // request without it creates an active account.
            let mut active_def = AttributeDef::new("active", AttrType::Boolean);
            active_def.required = true;
            schema.core.attributes.push(active_def);
            Some(ActiveMap {
                attribute: active.value.attribute.clone(),
                disabled_value: active.value.disabled_value.clone(),
                enabled_value: active.value.enabled_value.clone(),
            })
        }
        None => None,
    };
    let empty_group = match (&raw.empty_group, kind) {
        (None, _) => EmptyGroup::Allow,
        (Some(e), ResourceKind::User) => return Err(at(e.referenced.line(), "empty_group applies to groups only".into())),
        (Some(e), ResourceKind::Group) => match (e.value.strategy.as_str(), &e.value.placeholder) {
            ("allow", None) => EmptyGroup::Allow,
            ("refuse", None) => EmptyGroup::Refuse,
            ("placeholder", Some(placeholder)) if !placeholder.trim().is_empty() => {
                EmptyGroup::Placeholder(placeholder.replace("{base}", base_dn))
            }
            ("placeholder", _) => return Err(at(e.referenced.line(), "strategy placeholder needs a placeholder DN".into())),
            ("allow" | "refuse", Some(_)) => {
                return Err(at(
                    e.referenced.line(),
                    "a placeholder DN goes with strategy placeholder only".into(),
                ))
            }
            (other, _) => {
                return Err(at(
                    e.referenced.line(),
                    format!("empty_group strategy '{other}' is not placeholder, allow or refuse"),
                ))
            }
        },
    };
    let maps_members = attrs
        .iter()
        .any(|a| a.kind == ValueKind::Reference && a.scim.name.eq_ignore_ascii_case("members"));
    if raw.member_cleanup && (kind != ResourceKind::Group || !maps_members) {
        return Err(at(line, "member_cleanup applies to groups that map members".into()));
    }
    if empty_group != EmptyGroup::Allow
        && !attrs
            .iter()
            .any(|a| a.kind == ValueKind::Reference && a.scim.name.eq_ignore_ascii_case("members"))
    {
        return Err(at(
            line,
            "empty_group needs members mapped (members.value with type: reference)".into(),
        ));
    }
    let delete = match &raw.delete {
        None => DeleteStrategy::Hard,
        Some(d) => match (d.value.strategy.as_str(), &d.value.archive) {
            ("hard", None) => DeleteStrategy::Hard,
            ("disable", None) if active.is_some() => DeleteStrategy::Disable,
            ("disable", None) => return Err(at(d.referenced.line(), "delete strategy disable needs the active section".into())),
            ("move", Some(archive)) if !archive.trim().is_empty() => {
                let archive = archive.replace("{base}", base_dn);
                if dn::normalize(&archive) == dn::normalize(&base) {
                    return Err(at(d.referenced.line(), "the archive must lie outside the resource's base".into()));
                }
                DeleteStrategy::Move(archive)
            }
            ("move", _) => return Err(at(d.referenced.line(), "delete strategy move needs an archive DN".into())),
            (_, Some(_)) => return Err(at(d.referenced.line(), "an archive DN goes with strategy move only".into())),
            (other, None) => {
                return Err(at(
                    d.referenced.line(),
                    format!("delete strategy '{other}' is not hard, disable or move"),
                ))
            }
        },
    };
    let skip_unknown_members = match raw.unknown_members.as_ref().map(|u| (u.referenced.line(), u.value.as_str())) {
        None | Some((_, "refuse")) => false,
        Some((_, "skip")) if kind == ResourceKind::Group => true,
        Some((line, "skip")) => return Err(at(line, "unknown_members applies to groups only".into())),
        Some((line, other)) => return Err(at(line, format!("unknown_members '{other}' is not refuse or skip"))),
    };
    let password_sync = match raw.password.as_ref().map(|p| (p.referenced.line(), p.value.as_str())) {
        None | Some((_, "ignore")) => false,
        Some((_, "exop")) if kind == ResourceKind::User => {
            // Write-only and never returned (RFC 7643 §4.1.1).
            let mut password = AttributeDef::new("password", AttrType::String);
            password.mutability = Mutability::WriteOnly;
            schema.core.attributes.push(password);
            true
        }
        Some((line, "exop")) => return Err(at(line, "password applies to users only".into())),
        Some((line, other)) => return Err(at(line, format!("password '{other}' is not ignore or exop"))),
    };
    let deactivate_when_ungrouped = match raw.deactivate_when_ungrouped.as_ref().map(|d| (d.referenced.line(), d.value)) {
        None | Some((_, false)) => false,
        Some((line, true)) if kind != ResourceKind::User => return Err(at(line, "deactivate_when_ungrouped applies to users only".into())),
        Some((line, true)) if raw.active.is_none() => {
            return Err(at(
                line,
                "deactivate_when_ungrouped needs an active section to deactivate with".into(),
            ))
        }
        Some(_) => true,
    };
    let placement = match &raw.placement {
        None => None,
        Some(p) => {
            let line = p.referenced.line();
            let by = AttrPath::parse(&p.value.by)
                .ok_or_else(|| at(line, format!("placement by '{}' is not a SCIM attribute path", p.value.by)))?;
            if !attrs.iter().any(|a| a.scim.type_filter.is_none() && a.scim.matches_path(&by)) {
                return Err(at(line, format!("placement by '{by}', which no attribute maps")));
            }
            if scope != Scope::Sub {
                return Err(at(line, "placement puts entries below the base: it needs scope: sub".into()));
            }
            let mut parents = Vec::new();
            for (value, parent) in &p.value.parents {
                let parent = parent.replace("{base}", base_dn);
                if !dn::normalize(&parent).ends_with(&format!(",{}", dn::normalize(&base))) {
                    return Err(at(
                        line,
                        format!("placement parent '{parent}' for '{value}' must lie below the base '{base}'"),
                    ));
                }
                parents.push((value.clone(), parent));
            }
            Some(Placement { by, parents })
        }
    };
    let mut allocate = Vec::new();
    for entry in &raw.allocate {
        let line = entry.referenced.line();
        let a = &entry.value;
        check_ldap_name(&a.ldap).map_err(|m| at(line, m))?;
        if a.from > a.to {
            return Err(at(line, format!("allocate {}: from {} is above to {}", a.ldap, a.from, a.to)));
        }
        // Numbers are LDAP INTEGERs, and the next one is always computed as one more.
        if a.to >= i64::MAX as u64 {
            return Err(at(line, format!("allocate {}: to must be below {}", a.ldap, i64::MAX)));
        }
        if attrs.iter().any(|m| !m.read_only && m.ldap.eq_ignore_ascii_case(&a.ldap))
            || computed.iter().any(|c| c.ldap.eq_ignore_ascii_case(&a.ldap))
        {
            return Err(at(line, format!("{} is allocated: map it read_only, if at all", a.ldap)));
        }
        allocate.push(Allocation {
            ldap: a.ldap.clone(),
            from: a.from,
            to: a.to,
        });
    }
    let meta = raw.meta.as_ref();
    let meta = MetaAttrs {
        created: meta.and_then(|m| m.created.clone()).unwrap_or_else(|| "createTimestamp".into()),
        last_modified: meta
            .and_then(|m| m.last_modified.clone())
            .unwrap_or_else(|| "modifyTimestamp".into()),
        version: meta.and_then(|m| m.version.clone()).unwrap_or_else(|| "entryCSN".into()),
    };
    let id_attr = raw.id.as_ref().map_or_else(|| "entryUUID".to_string(), |i| i.value.clone());
    let id_format = if id_attr.eq_ignore_ascii_case("entryUUID") {
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
    fetch_attrs.extend(active.iter().map(|a| a.attribute.clone()));
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
        member_cleanup: raw.member_cleanup,
        delete,
        skip_unknown_members,
        password_sync,
        deactivate_when_ungrouped,
        placement,
        allocate,
        fetch_attrs,
    })
}

fn shown(attr: &AttrMap, schema: &ResourceSchema) -> Shown {
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

fn compile_steps(raw: &[RawStep]) -> Result<Transform, String> {
    let steps = raw
        .iter()
        .map(|step| {
            Ok(match step {
                RawStep::LocalPart => Step::LocalPart,
                RawStep::Domain => Step::Domain,
                RawStep::Lower => Step::Lower,
                RawStep::Upper => Step::Upper,
                RawStep::Trim => Step::Trim,
                RawStep::Prefix(p) => Step::Prefix(p.clone()),
                RawStep::Suffix(s) => Step::Suffix(s.clone()),
                RawStep::Regex(pattern) => {
                    Step::Capture(regex::Regex::new(pattern).map_err(|e| format!("regex '{pattern}': {}", first_line(&e.to_string())))?)
                }
                RawStep::Split(sep) | RawStep::Join(sep) if sep.is_empty() => {
                    return Err("split and join need a non-empty separator".to_string())
                }
                RawStep::Split(sep) => Step::Split(sep.clone()),
                RawStep::Join(sep) => Step::Join(sep.clone()),
                RawStep::Date(format) => match format.as_str() {
                    "generalized" => Step::GeneralizedTime,
                    "unix" => Step::UnixTime,
                    other => return Err(format!("date format '{other}' is not generalized or unix")),
                },
                RawStep::Boolean(words) => match words.as_slice() {
                    [yes, no] if !yes.eq_ignore_ascii_case(no) => Step::Boolean {
                        yes: yes.clone(),
                        no: no.clone(),
                    },
                    _ => return Err("boolean names two different words: [for true, for false]".to_string()),
                },
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Transform { steps })
}

/// Refuses an attribute whose stored value cannot give back the SCIM value, unless it says where that
/// value is read from.
fn check_round_trip(attr: &AttrMap, schema: &ResourceSchema) -> Result<(), String> {
    let path = attr.scim_path();
    if attr.kind == ValueKind::Reference && !attr.is_verbatim() {
        return Err(format!("{path} is a reference: it takes no transform, read_from or also"));
    }
    if attr.read_only && (attr.read_from.is_some() || !attr.also.is_empty()) {
        return Err(format!(
            "{path} is read_only, so never written: read_from and also would do nothing"
        ));
    }
    if let Some(read_from) = &attr.read_from {
        check_ldap_name(read_from)?;
        if attr.transform.is_empty() {
            return Err(format!(
                "{path}: read_from goes with a transform that cannot be undone; to write a second attribute, use also"
            ));
        }
    }
    for name in &attr.also {
        check_ldap_name(name)?;
    }
    if let (Some(step), None) = (attr.transform.lossy_step(attr.case_exact), &attr.read_from) {
        return Err(format!(
            "{path}: transform '{}' cannot be undone, so {path} could not be read back from {}: add read_from with an attribute \
             that keeps the value as sent, or write {} as a computed attribute",
            step.name(),
            attr.ldap,
            attr.ldap
        ));
    }
    let multi = match &attr.scim.urn {
        Some(urn) => schema.extension(urn),
        None => Some(&schema.core),
    }
    .and_then(|s| s.attribute(&attr.scim.name))
    .is_some_and(|d| d.multi_valued && attr.scim.type_filter.is_none());
    for step in &attr.transform.steps {
        match step {
            Step::Split(_) if multi => return Err(format!("{path} has many values: split applies to a single value")),
            Step::Join(_) if !multi => return Err(format!("{path} has one value: join applies to a multi-valued attribute")),
            Step::Boolean { .. } if attr.kind != ValueKind::Boolean => {
                return Err(format!("{path}: the boolean transform needs type: boolean"))
            }
            _ => {}
        }
    }
    Ok(())
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

fn compile_attribute(raw: &RawAttribute, schema: &ResourceSchema, core_urn: &str) -> Result<AttrMap, String> {
    check_ldap_name(&raw.ldap)?;
    let path = PatchPath::parse(&raw.scim).map_err(|e| e.to_string())?;
    let urn = match path.attr.urn.as_deref() {
        None => None,
        Some(u) if u.eq_ignore_ascii_case(core_urn) => None,
        Some(u) => Some(
            schema
                .extension(u)
                .map(|s| s.id.clone())
                .ok_or_else(|| format!("'{}' uses schema '{u}', which is not declared under extensions", raw.scim))?,
        ),
    };
    let type_filter = match &path.filter {
        None => None,
        Some(Filter::Compare {
            path: AttrPath {
                urn: None,
                name,
                sub: None,
            },
            op: CompareOp::Eq,
            value: CompValue::Str(t),
        }) if name.eq_ignore_ascii_case("type") => Some(t.clone()),
        Some(_) => return Err(format!("'{}': a mapping filter can only be [type eq \"…\"]", raw.scim)),
    };
    if type_filter.is_some() && path.attr.sub.is_none() {
        return Err(format!(
            "'{}': name the sub-attribute after the filter, as in emails[type eq \"work\"].value",
            raw.scim
        ));
    }
    let kind = match raw.kind.as_deref() {
        None | Some("string") => ValueKind::String,
        Some("boolean") => ValueKind::Boolean,
        Some("reference") => ValueKind::Reference,
        Some(other) => return Err(format!("type '{other}' is not string, boolean or reference")),
    };
    if raw.primary && type_filter.is_none() {
        return Err(format!(
            "'{}': primary applies to a typed value such as emails[type eq \"work\"].value",
            raw.scim
        ));
    }
    Ok(AttrMap {
        scim: ScimTarget {
            urn,
            name: path.attr.name,
            sub: path.attr.sub,
            type_filter,
        },
        ldap: raw.ldap.clone(),
        kind,
        required: raw.required,
        unique: raw.unique,
        read_only: raw.read_only,
        case_exact: raw.case_exact,
        primary: raw.primary,
        defaults: Vec::new(),
        placeholder: None,
        transform: compile_steps(&raw.transform)?,
        read_from: raw.read_from.clone(),
        also: raw.also.clone(),
        shown: Shown::default(),
        line: 0,
    })
}

/// What RFC 7643 §4 says about the shape of a standard attribute.
struct Standard {
    kind: AttrType,
    multi_valued: bool,
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
fn add_to_schema(schema: &mut ResourceSchema, attr: &AttrMap, kind: ResourceKind) -> Result<(), String> {
    let scim = &attr.scim;
    let (attributes, shape) = match &scim.urn {
        None => {
            let shape = standard(kind, &scim.name).ok_or_else(|| {
                format!(
                    "'{}' is not an attribute of the core {} schema: declare an extension for custom attributes",
                    scim.name,
                    kind.name()
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
    const NAMES: &[&str] = &[
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
        "entitlements",
        "roles",
        "x509Certificates",
        "externalId",
        "members",
    ];
    NAMES
        .iter()
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

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"version: 1
users:
  base: "ou=people,{base}"
  object_classes: [inetOrgPerson]
  rdn: uid
  attributes:
    - { scim: userName, ldap: uid }
    - { scim: name.familyName, ldap: sn, default: ["{userName}"] }
"#;

    fn error(text: &str) -> MappingError {
        match compile_str(text, "test.yaml", "dc=x") {
            Ok(_) => unreachable!("mapping should have been refused:\n{text}"),
            Err(e) => e,
        }
    }

    #[test]
    fn a_good_mapping_compiles() {
        let mapping = compile_str(GOOD, "test.yaml", "dc=x").map_err(|e| e.to_string());
        assert!(
            mapping
                .as_ref()
                .is_ok_and(|m| m.users.base == "ou=people,dc=x" && m.groups.is_none()),
            "{mapping:?}"
        );
    }

    #[test]
    fn transforms_placement_and_allocation_compile() {
        let text = format!(
            "{GOOD}    - {{ scim: 'emails[type eq \"work\"].value', ldap: cn, transform: [lower, {{ prefix: 'm-' }}], also: [description] }}\n    \
             - {{ scim: title, ldap: title, transform: [local_part], read_from: seeAlso }}\n  scope: sub\n  \
             placement: {{ by: title, parents: {{ Eng: 'ou=eng,ou=people,{{base}}' }} }}\n  \
             allocate: [{{ ldap: uidNumber, from: 1000, to: 1999 }}]\n"
        );
        let mapping = compile_str(&text, "test.yaml", "dc=x").map_err(|e| e.to_string());
        let users = mapping.as_ref().map(|m| &m.users);
        assert!(
            users.is_ok_and(|u| {
                let title = u.attrs.iter().find(|a| a.ldap == "title");
                u.fetch_attrs.iter().any(|a| a == "seeAlso")
                    && u.fetch_attrs.iter().any(|a| a == "description")
                    && title.is_some_and(|t| t.read_source() == "seeAlso" && t.transform.steps.len() == 1)
                    && u.placement
                        .as_ref()
                        .is_some_and(|p| p.parents == vec![("Eng".to_string(), "ou=eng,ou=people,dc=x".to_string())])
                    && u.allocate.len() == 1
            }),
            "{mapping:?}"
        );
    }

    #[test]
    fn errors_name_file_line_and_reason() {
        let cases = [
            (GOOD.replace("version: 1", "version: 2"), 1, "unsupported mapping version"),
            (GOOD.replace("rdn: uid", "rdn: uid\n  colour: blue"), 6, "colour"),
            (GOOD.replace("ldap: sn,", "ldap: 'bad name',"), 8, "not an LDAP attribute"),
            (GOOD.replace("name.familyName", "nickname.x"), 8, "no sub-attributes"),
            (
                GOOD.replace("name.familyName", "shoeSize"),
                8,
                "not an attribute of the core User schema",
            ),
            (GOOD.replace("{userName}", "{title}"), 8, "no attribute maps"),
            (GOOD.replace("{userName}", "{userName"), 8, "unclosed"),
            (GOOD.replace("rdn: uid", "rdn: cn"), 5, "rdn 'cn'"),
            (GOOD.replace("{base}", "{basis}"), 3, "unknown placeholder"),
            (
                GOOD.replace("scim: name.familyName", "scim: 'emails[value eq \"x\"].value'"),
                8,
                "only be [type eq",
            ),
            (
                GOOD.replace("scim: name.familyName", "scim: 'urn:example:ext:shoeSize'"),
                8,
                "not declared under extensions",
            ),
            (
                GOOD.replace(
                    "    - { scim: name.familyName, ldap: sn, default: [\"{userName}\"] }\n",
                    "    - { scim: userName, ldap: cn }\n",
                ),
                8,
                "mapped twice",
            ),
            (
                GOOD.replace(
                    "  object_classes: [inetOrgPerson]\n",
                    "  filter: '(broken'\n  object_classes: [inetOrgPerson]\n",
                ),
                4,
                "not a valid LDAP filter",
            ),
            (
                format!("{GOOD}    - {{ scim: name.formatted, ldap: cn, placeholder: '{{name.familyName}}' }}\n")
                    .replace("default: [\"{userName}\"]", "placeholder: \"{userName}\""),
                9,
                "has a placeholder itself",
            ),
            (
                format!("{GOOD}    - {{ scim: 'emails[type eq \"work\"].value', ldap: mail, placeholder: '{{userName}}' }}\n"),
                9,
                "not to a typed value",
            ),
            (
                format!("{GOOD}  password: plaintext\n"),
                9,
                "password 'plaintext' is not ignore or exop",
            ),
            (format!("{GOOD}  deactivate_when_ungrouped: true\n"), 9, "needs an active section"),
            (format!("{GOOD}  member_cleanup: true\n"), 3, "member_cleanup applies to groups"),
            (
                format!("{GOOD}  unknown_members: skip\n"),
                0,
                "unknown_members applies to groups only",
            ),
            (
                format!("{GOOD}  empty_group: {{ strategy: placeholder }}\n"),
                0,
                "empty_group applies to groups only",
            ),
            (
                GOOD.replace("rdn: uid", "rdn: uid\n  delete: { strategy: disable }"),
                6,
                "needs the active section",
            ),
            (
                GOOD.replace("rdn: uid", "rdn: uid\n  delete: { strategy: move }"),
                6,
                "needs an archive DN",
            ),
            (
                GOOD.replace("rdn: uid", "rdn: uid\n  delete: { strategy: move, archive: 'ou=people,{base}' }"),
                6,
                "outside the resource's base",
            ),
            (
                GOOD.replace("ldap: uid }", "ldap: uid, transform: [local_part] }"),
                7,
                "transform 'local_part' cannot be undone, so userName could not be read back from uid: add read_from",
            ),
            (
                GOOD.replace("ldap: uid }", "ldap: uid, transform: [lower], case_exact: true }"),
                7,
                "transform 'lower' cannot be undone",
            ),
            (
                GOOD.replace("ldap: uid }", "ldap: uid, transform: [local_part], read_from: sn }"),
                7,
                "'sn' is written from another source too",
            ),
            (
                GOOD.replace("ldap: uid }", "ldap: uid, also: [uid] }"),
                7,
                "'uid' is written from another source too",
            ),
            (GOOD.replace("ldap: uid }", "ldap: uid, read_from: mail }"), 7, "use also"),
            (
                format!("{GOOD}    - {{ scim: title, ldap: title, read_only: true, also: [description] }}\n"),
                9,
                "read_only, so never written",
            ),
            (
                GOOD.replace("ldap: uid }", "ldap: uid, transform: [{ regex: '(' }] }"),
                7,
                "regex '('",
            ),
            (GOOD.replace("ldap: uid }", "ldap: uid, transform: [shout] }"), 7, "shout"),
            (
                GOOD.replace("ldap: uid }", "ldap: uid, transform: [{ date: julian }] }"),
                7,
                "not generalized or unix",
            ),
            (
                GOOD.replace("ldap: uid }", "ldap: uid, transform: [{ join: ',' }] }"),
                7,
                "join applies to a multi-valued",
            ),
            (
                GOOD.replace("ldap: uid }", "ldap: uid, transform: [{ boolean: [Y, N] }] }"),
                7,
                "needs type: boolean",
            ),
            (
                format!("{GOOD}  placement: {{ by: title, parents: {{ x: 'ou=x,ou=people,{{base}}' }} }}\n"),
                9,
                "placement by 'title', which no attribute maps",
            ),
            (
                format!("{GOOD}  placement: {{ by: userName, parents: {{ x: 'ou=x,ou=people,{{base}}' }} }}\n"),
                9,
                "needs scope: sub",
            ),
            (
                format!("{GOOD}  scope: sub\n  placement: {{ by: userName, parents: {{ x: 'ou=x,{{base}}' }} }}\n"),
                10,
                "must lie below the base",
            ),
            (
                format!("{GOOD}  allocate: [{{ ldap: uidNumber, from: 10, to: 9 }}]\n"),
                9,
                "from 10 is above to 9",
            ),
            (
                format!("{GOOD}  allocate: [{{ ldap: sn, from: 1, to: 9 }}]\n"),
                9,
                "sn is allocated",
            ),
            ("version: 1\nusers: [1, 2\n".to_string(), 0, ""),
        ];
        for (text, line, reason) in cases {
            let err = error(&text);
            assert_eq!(err.file, "test.yaml");
            if line > 0 {
                assert_eq!(err.line, line, "{err}\n{text}");
            }
            assert!(err.to_string().contains(reason), "{err} should say {reason}");
            assert!(err.to_string().starts_with("test.yaml:"), "{err}");
        }
    }
}
