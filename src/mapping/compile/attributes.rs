//! The `attributes` and `computed` entries: each SCIM attribute's LDAP side, its transform, its
//! templates (defaults and fallbacks), and the checks that every value can be written and read back.

use serde_saphyr::Spanned;

use super::super::model::{RawAttribute, RawResource, RawStep};
use super::super::transform::Step;
use super::super::{AttrMap, Computed, ResourceKind, ScimTarget, Shown, Template, Transform, ValueKind};
use super::{check_ldap_name, first_line, schema, At, MappingError, Problems};
use crate::scim::filter::{AttrPath, CompValue, CompareOp, Filter};
use crate::scim::path::PatchPath;
use crate::scim::schema::ResourceSchema;

/// Every mapped attribute, each added to `schema` and checked to round-trip; users must map userName
/// and groups displayName.
pub(super) fn compile_all(
    entries: &[Spanned<RawAttribute>],
    kind: ResourceKind,
    schema: &mut ResourceSchema,
    line: u64,
    at: &At<'_>,
) -> Result<Vec<AttrMap>, MappingError> {
    let core_urn = schema::core_urn(kind);
    // Each entry is judged on its own, so that every broken one is reported at once.
    let mut problems = Problems::default();
    let mut attrs: Vec<AttrMap> = Vec::new();
    for entry in entries {
        let line = entry.referenced.line();
        let compiled = compile_attribute(&entry.value, schema, core_urn).and_then(|mut attr| {
            attr.line = line;
            if attrs.iter().any(|a| a.scim == attr.scim) {
                return Err(format!("'{}' is mapped twice", entry.value.scim));
            }
            schema::add_to_schema(schema, &attr, kind)?;
            Ok(attr)
        });
        if let Some(attr) = problems.keep(compiled.map_err(|m| at(line, m))) {
            attrs.push(attr);
        }
    }
    for attr in &mut attrs {
        if problems
            .keep(check_round_trip(attr, schema).map_err(|m| at(attr.line, m)))
            .is_some()
        {
            attr.shown = schema::shown(attr, schema);
        }
    }
    // An entry that failed may be the one meant: its own mistake is the one to report.
    let written = |name: &str| entries.iter().any(|e| e.value.scim.eq_ignore_ascii_case(name));
    if kind == ResourceKind::User && !attrs.iter().any(|a| a.scim.is_simple("userName")) && !written("userName") {
        problems.push(at(line, "users must map userName".into()));
    }
    if kind == ResourceKind::Group && !attrs.iter().any(|a| a.scim.is_simple("displayName")) && !written("displayName") {
        problems.push(at(line, "groups must map displayName".into()));
    }
    if problems.is_empty() {
        for problem in shared_targets(entries, &attrs) {
            problems.push(at(problem.0, problem.1));
        }
    }
    problems.finish()?;
    Ok(attrs)
}

/// Two writable SCIM attributes written to one LDAP attribute, neither marked `shared`: at the later
/// line, naming both. The LDAP attribute would hold a value of each, and writing one of them (a replace
/// of all values, a delete of the value read) would change or keep the other's by accident.
fn shared_targets(entries: &[Spanned<RawAttribute>], attrs: &[AttrMap]) -> Vec<(u64, String)> {
    let writable: Vec<(&Spanned<RawAttribute>, &AttrMap)> = entries.iter().zip(attrs).filter(|(_, a)| !a.read_only).collect();
    let mut found = Vec::new();
    for (i, (entry, attr)) in writable.iter().enumerate() {
        let earlier = writable[..i]
            .iter()
            .find(|(other_entry, other)| other.ldap.eq_ignore_ascii_case(&attr.ldap) && !entry.value.shared && !other_entry.value.shared);
        if let Some((_, other)) = earlier {
            found.push((
                attr.line,
                format!(
                    "{} (line {}) and {} (line {}) both write '{}', which would then hold a value of each, so that a \
                     replace of one adds to it and a remove of one changes nothing: map each to an LDAP attribute of its own, \
                     or mark one `shared: true` if that is meant",
                    other.scim_path(),
                    other.line,
                    attr.scim_path(),
                    attr.line,
                    attr.ldap
                ),
            ));
        }
    }
    found
}

/// A template that names only SCIM attributes the mapping stores.
fn template(text: &str, line: u64, attrs: &[AttrMap], at: &At<'_>) -> Result<Template, MappingError> {
    let template = Template::parse(text).map_err(|m| at(line, m))?;
    for var in template.vars() {
        if !attrs.iter().any(|a| a.scim.matches_path(var)) {
            return Err(at(line, format!("template '{text}' uses '{var}', which no attribute maps")));
        }
    }
    Ok(template)
}

/// Gives each attribute its `default` templates and its `fallback`. A fallback may not name an
/// attribute that has a fallback itself, so that it always renders from what the client sent.
pub(super) fn attach_templates(raw: &RawResource, attrs: &mut [AttrMap], at: &At<'_>) -> Result<(), MappingError> {
    // Each entry's templates are judged on their own, so that every broken one is reported at once.
    let mut problems = Problems::default();
    let mut defaults = Vec::new();
    let mut fallbacks = Vec::new();
    for entry in &raw.attributes {
        let line = entry.referenced.line();
        let listed: Result<Vec<Template>, MappingError> = entry.value.default.iter().map(|t| template(t, line, attrs, at)).collect();
        defaults.push(problems.keep(listed).unwrap_or_default());
        let fallback = entry.value.fallback.as_deref().map(|t| template(t, line, attrs, at)).transpose();
        fallbacks.push(problems.keep(fallback).flatten());
    }
    for (index, fallback) in fallbacks.iter().enumerate() {
        let Some(template) = fallback else { continue };
        let line = raw.attributes[index].referenced.line();
        if attrs[index].scim.type_filter.is_some() {
            problems.push(at(
                line,
                "a fallback applies to a single-valued attribute, not to a typed value".to_string(),
            ));
            continue;
        }
        let uses_fallback = |var: &AttrPath| {
            attrs
                .iter()
                .zip(&fallbacks)
                .any(|(other, f)| f.is_some() && other.scim.matches_path(var))
        };
        if let Some(var) = template.vars().find(|v| uses_fallback(v)) {
            problems.push(at(
                line,
                format!("fallback uses '{var}', which has a fallback itself: name an attribute the client sends"),
            ));
        }
    }
    problems.finish()?;
    for ((attr, templates), fallback) in attrs.iter_mut().zip(defaults).zip(fallbacks) {
        attr.defaults = templates;
        attr.fallback = fallback;
    }
    Ok(())
}

/// The `computed` entries: LDAP attributes written from templates, never read back.
pub(super) fn computed(raw: &RawResource, attrs: &[AttrMap], at: &At<'_>) -> Result<Vec<Computed>, MappingError> {
    let mut problems = Problems::default();
    let mut computed = Vec::new();
    for entry in &raw.computed {
        let line = entry.referenced.line();
        let one = || -> Result<Computed, MappingError> {
            check_ldap_name(&entry.value.ldap).map_err(|m| at(line, m))?;
            if entry.value.template.is_empty() {
                return Err(at(line, format!("computed '{}' needs at least one template", entry.value.ldap)));
            }
            let templates = entry
                .value
                .template
                .iter()
                .map(|t| template(t, line, attrs, at))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Computed {
                ldap: entry.value.ldap.clone(),
                templates,
                transform: compile_steps(&entry.value.transform).map_err(|m| at(line, m))?,
            })
        };
        computed.extend(problems.keep(one()));
    }
    problems.finish()?;
    Ok(computed)
}

/// The attributes `read_from` and `also` name must have no other source, or reads would show what
/// another attribute wrote.
pub(super) fn check_single_source(attrs: &[AttrMap], computed: &[Computed], at: &At<'_>) -> Result<(), MappingError> {
    for attr in attrs {
        for extra in attr.read_from.iter().chain(&attr.also) {
            let elsewhere = attrs.iter().any(|other| {
                !std::ptr::eq(other, attr)
                    && !other.read_only
                    && std::iter::once(&other.ldap)
                        .chain(&other.read_from)
                        .chain(&other.also)
                        .any(|written| written.eq_ignore_ascii_case(extra))
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
    Ok(())
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
                RawStep::MaxLength(0) => return Err("max_length must be at least 1".to_string()),
                RawStep::MaxLength(limit) => Step::MaxLength(*limit),
                RawStep::Truncate(0) => return Err("truncate must keep at least 1 character".to_string()),
                RawStep::Truncate(limit) => Step::Truncate(*limit),
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
    if attr.keep_other_values && (multi || attr.read_only || attr.kind == ValueKind::Reference) {
        return Err(format!(
            "{path}: keep_other_values applies to a writable attribute SCIM shows one value of (such as emails[type eq \"work\"].value)"
        ));
    }
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
        fallback: None,
        transform: compile_steps(&raw.transform)?,
        read_from: raw.read_from.clone(),
        also: raw.also.clone(),
        keep_other_values: raw.keep_other_values,
        match_by: Vec::new(),
        skip_unknown: false,
        description: raw.description.clone(),
        by_rdn: None,
        shown: Shown::default(),
        line: 0,
    })
}
