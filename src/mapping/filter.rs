//! SCIM filter → LDAP filter, so that the directory does the searching. Constant parts (a value path's
//! `type eq "work"` against a mapping for work emails) are decided here and folded away.

use std::collections::HashMap;

use super::error::TranslateError;
use super::{AttrMap, IdFormat, ResourceMapping, ValueKind};
use crate::ldap::LdapFilter;
use crate::scim::filter::{AttrPath, CompValue, CompareOp, Filter};

/// A filter under translation: decided already, or an LDAP filter.
#[derive(Debug, Clone, PartialEq)]
enum Term {
    True,
    False,
    Ldap(LdapFilter),
}

impl Term {
    fn and(a: Term, b: Term) -> Term {
        match (a, b) {
            (Term::False, _) | (_, Term::False) => Term::False,
            (Term::True, x) | (x, Term::True) => x,
            (Term::Ldap(a), Term::Ldap(b)) => Term::Ldap(LdapFilter::and(vec![a, b])),
        }
    }

    fn or(a: Term, b: Term) -> Term {
        match (a, b) {
            (Term::True, _) | (_, Term::True) => Term::True,
            (Term::False, x) | (x, Term::False) => x,
            (Term::Ldap(a), Term::Ldap(b)) => Term::Ldap(LdapFilter::or(vec![a, b])),
        }
    }

    fn not(a: Term) -> Term {
        match a {
            Term::True => Term::False,
            Term::False => Term::True,
            Term::Ldap(f) => Term::Ldap(LdapFilter::Not(Box::new(f))),
        }
    }

    fn any(terms: impl IntoIterator<Item = Term>) -> Term {
        terms.into_iter().fold(Term::False, Term::or)
    }
}

/// The LDAP filter for a SCIM filter, already bounded to this resource type. `refs` gives the DNs of
/// the ids that reference comparisons name (`members[value eq "id"]`), from `referenced_ids`.
/// The type's object classes come as `ResourceMapping::of_type` writes them, which keeps their long
/// index lists out of an equality search.
pub fn to_ldap_filter(mapping: &ResourceMapping, filter: &Filter, refs: &HashMap<String, String>) -> Result<LdapFilter, TranslateError> {
    let term = Context { mapping, refs }.translate(filter, None)?;
    Ok(match term {
        Term::True => mapping.type_filter(),
        Term::False => LdapFilter::none(),
        Term::Ldap(f) => mapping.of_type(f),
    })
}

/// The ids a filter compares reference attributes with, to resolve before `to_ldap_filter`.
pub fn referenced_ids(mapping: &ResourceMapping, filter: &Filter) -> Vec<String> {
    fn walk(mapping: &ResourceMapping, filter: &Filter, within: Option<&AttrPath>, out: &mut Vec<String>) {
        match filter {
            Filter::And(a, b) | Filter::Or(a, b) => {
                walk(mapping, a, within, out);
                walk(mapping, b, within, out);
            }
            Filter::Not(inner) => walk(mapping, inner, within, out),
            Filter::ValuePath { attr, filter } => walk(mapping, filter, Some(attr), out),
            Filter::Present(_) => {}
            Filter::Compare { path, value, .. } => {
                let path = qualify(path, within.map(|w| (w, None)));
                let is_reference = resolve(mapping, &path, None).is_ok_and(|found| found.iter().any(|a| a.kind == ValueKind::Reference));
                if let (true, Some(id)) = (is_reference, value.as_text()) {
                    out.push(id);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(mapping, filter, None, &mut out);
    out
}

struct Context<'a> {
    mapping: &'a ResourceMapping,
    refs: &'a HashMap<String, String>,
}

impl Context<'_> {
    /// `within`: the multi-valued attribute a value path's inner filter is about, and the type that the
    /// mapping under consideration stores.
    fn translate(&self, filter: &Filter, within: Option<(&AttrPath, Option<&str>)>) -> Result<Term, TranslateError> {
        let mapping = self.mapping;
        Ok(match filter {
            Filter::And(a, b) => Term::and(self.translate(a, within)?, self.translate(b, within)?),
            Filter::Or(a, b) => Term::or(self.translate(a, within)?, self.translate(b, within)?),
            Filter::Not(inner) => Term::not(self.translate(inner, within)?),
            Filter::ValuePath { attr, filter } => {
                let types = typed_variants(mapping, attr);
                if types.is_empty() {
                    return Err(TranslateError::UnknownAttribute(attr.to_string()));
                }
                Term::any(
                    types
                        .into_iter()
                        .map(|t| self.translate(filter, Some((attr, t))))
                        .collect::<Result<Vec<_>, _>>()?,
                )
            }
            Filter::Present(path) => {
                let path = qualify(path, within);
                if within.is_some() && path.sub.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("type")) {
                    return Ok(if within.and_then(|(_, t)| t).is_some() {
                        Term::True
                    } else {
                        Term::False
                    });
                }
                if is_simple(&path, "id") {
                    return Ok(Term::Ldap(LdapFilter::Present(mapping.id_attr.clone())));
                }
                let attrs = resolve(mapping, &path, within.and_then(|(_, t)| t))?;
                Term::any(
                    attrs
                        .into_iter()
                        .map(|a| Term::Ldap(LdapFilter::Present(a.read_source().to_string()))),
                )
            }
            Filter::Compare { path, op, value } => {
                let path = qualify(path, within);
                if let Some((_, stored_type)) = within {
                    if path.sub.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("type")) {
                        return Ok(compare_constant(stored_type, *op, value));
                    }
                }
                self.compare(&path, *op, value, within.and_then(|(_, t)| t))?
            }
        })
    }
}

/// Inside `emails[...]`, `value` means `emails.value`.
fn qualify(path: &AttrPath, within: Option<(&AttrPath, Option<&str>)>) -> AttrPath {
    match within {
        Some((outer, _)) => AttrPath {
            urn: outer.urn.clone(),
            name: outer.name.clone(),
            sub: Some(path.name.clone()),
        },
        None => path.clone(),
    }
}

fn is_simple(path: &AttrPath, name: &str) -> bool {
    path.urn.is_none() && path.sub.is_none() && path.name.eq_ignore_ascii_case(name)
}

/// The types the mapping stores for a multi-valued attribute (`None` for an untyped mapping).
fn typed_variants<'a>(mapping: &'a ResourceMapping, attr: &AttrPath) -> Vec<Option<&'a str>> {
    let mut types: Vec<Option<&str>> = Vec::new();
    for a in mapping.attrs.iter().filter(|a| same_attribute(a, attr)) {
        let t = a.scim.type_filter.as_deref();
        if !types.contains(&t) {
            types.push(t);
        }
    }
    types
}

fn same_attribute(attr: &AttrMap, path: &AttrPath) -> bool {
    let probe = AttrPath {
        urn: path.urn.clone(),
        name: path.name.clone(),
        sub: attr.scim.sub.clone(),
    };
    attr.scim.matches_path(&probe)
}

/// A constant comparison of the type a mapping stores.
fn compare_constant(stored: Option<&str>, op: CompareOp, value: &CompValue) -> Term {
    let Some(stored) = stored else {
        return if op == CompareOp::Ne { Term::True } else { Term::False };
    };
    let Some(wanted) = value.as_text() else {
        return if op == CompareOp::Ne { Term::True } else { Term::False };
    };
    let (s, w) = (stored.to_lowercase(), wanted.to_lowercase());
    let holds = match op {
        CompareOp::Eq => s == w,
        CompareOp::Ne => s != w,
        CompareOp::Co => s.contains(&w),
        CompareOp::Sw => s.starts_with(&w),
        CompareOp::Ew => s.ends_with(&w),
        CompareOp::Gt => s > w,
        CompareOp::Ge => s >= w,
        CompareOp::Lt => s < w,
        CompareOp::Le => s <= w,
    };
    if holds {
        Term::True
    } else {
        Term::False
    }
}

/// The mapped attributes a path names: one for a plain path, every typed variant for `emails.value`.
fn resolve<'a>(mapping: &'a ResourceMapping, path: &AttrPath, stored_type: Option<&str>) -> Result<Vec<&'a AttrMap>, TranslateError> {
    let probe = match &path.sub {
        // `emails co "x"` means `emails.value co "x"` (RFC 7644 §3.4.2.2).
        None if typed_variants(mapping, path).iter().any(Option::is_some) => AttrPath {
            sub: Some("value".into()),
            ..path.clone()
        },
        _ => path.clone(),
    };
    let found: Vec<&AttrMap> = mapping
        .attrs
        .iter()
        .filter(|a| a.scim.matches_path(&probe))
        .filter(|a| match stored_type {
            Some(t) => a.scim.type_filter.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(t)),
            None => true,
        })
        .collect();
    if found.is_empty() {
        return Err(TranslateError::UnknownAttribute(path.to_string()));
    }
    Ok(found)
}

impl Context<'_> {
    fn compare(&self, path: &AttrPath, op: CompareOp, value: &CompValue, stored_type: Option<&str>) -> Result<Term, TranslateError> {
        let mapping = self.mapping;
        if is_simple(path, "id") {
            let Some(id) = value.as_text() else {
                return Ok(Term::False);
            };
            if mapping.id_format == IdFormat::Uuid && op == CompareOp::Eq && uuid::Uuid::parse_str(&id).is_err() {
                return Ok(Term::False);
            }
            return comparison(&mapping.id_attr, op, value, ValueKind::String);
        }
        if is_simple(path, "active") {
            if let Some(active) = &mapping.active {
                let disabled = Term::Ldap(active.disabled_filter());
                let wants_active = match value {
                    CompValue::Bool(b) => *b,
                    CompValue::Str(s) if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") => {
                        s.eq_ignore_ascii_case("true")
                    }
                    _ => return Err(TranslateError::UnsupportedFilter("active compares with true or false".into())),
                };
                return Ok(match op {
                    CompareOp::Eq if wants_active => Term::not(disabled),
                    CompareOp::Eq => disabled,
                    CompareOp::Ne if wants_active => disabled,
                    CompareOp::Ne => Term::not(disabled),
                    _ => return Err(TranslateError::UnsupportedFilter("active supports eq and ne".into())),
                });
            }
        }
        if path.urn.is_none() && path.name.eq_ignore_ascii_case("meta") {
            let attr = match path.sub.as_deref().map(str::to_ascii_lowercase).as_deref() {
                Some("lastmodified") => &mapping.meta.last_modified,
                Some("created") => &mapping.meta.created,
                _ => return Err(TranslateError::UnknownAttribute(path.to_string())),
            };
            let CompValue::Str(text) = value else {
                return Err(TranslateError::UnsupportedFilter(format!(
                    "'{path}' compares with a date-time string"
                )));
            };
            let time = super::transform::rfc3339_to_generalized(text).map_err(TranslateError::UnsupportedFilter)?;
            return comparison(attr, op, &CompValue::Str(time), ValueKind::String);
        }
        let attrs = resolve(mapping, path, stored_type)?;
        let terms = attrs
            .into_iter()
            .map(|a| {
                if a.kind == ValueKind::Reference {
                    return self.reference(a, op, value);
                }
                if a.read_from.is_none() && !a.transform.is_empty() {
                    return transformed_comparison(a, op, value);
                }
                comparison(a.read_source(), op, value, a.kind)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Term::any(terms))
    }

    /// `members[value eq "id"]`: the DN of the id; an id that does not exist matches nothing.
    fn reference(&self, attr: &AttrMap, op: CompareOp, value: &CompValue) -> Result<Term, TranslateError> {
        let target = value.as_text().and_then(|id| self.refs.get(&id));
        let matches = match target {
            Some(dn) => attr
                .ref_value(dn)
                .map_or(Term::False, |stored| Term::Ldap(LdapFilter::eq(&attr.ldap, &stored))),
            None => Term::False,
        };
        match op {
            CompareOp::Eq => Ok(matches),
            CompareOp::Ne => Ok(Term::not(matches)),
            _ => Err(TranslateError::UnsupportedFilter(format!(
                "'{}' compares with eq or ne",
                attr.scim_path()
            ))),
        }
    }
}

/// A comparison with an attribute stored transformed: the value is transformed the same way, which
/// keeps equality and (for case changes only) substrings.
fn transformed_comparison(attr: &AttrMap, op: CompareOp, value: &CompValue) -> Result<Term, TranslateError> {
    let text = match (value, attr.kind) {
        (CompValue::Null, _) => return comparison(&attr.ldap, op, value, attr.kind),
        (CompValue::Bool(b), _) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        (other, ValueKind::Boolean) => other.as_text().unwrap_or_default().to_ascii_uppercase(),
        (other, _) => other.as_text().unwrap_or_default(),
    };
    if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) && !attr.transform.keeps_substrings() {
        return Err(TranslateError::UnsupportedFilter(format!(
            "'{}' is stored transformed: compare it with eq, ne, gt, ge, lt or le",
            attr.scim_path()
        )));
    }
    match attr.transform.forward_one(&text) {
        Some(stored) => comparison(&attr.ldap, op, &CompValue::Str(stored), ValueKind::String),
        // A value that could not be stored matches nothing.
        None if op == CompareOp::Ne => Ok(Term::True),
        None => Ok(Term::False),
    }
}

fn comparison(attr: &str, op: CompareOp, value: &CompValue, kind: ValueKind) -> Result<Term, TranslateError> {
    let text = match (value, kind) {
        (CompValue::Null, _) => {
            return Ok(match op {
                CompareOp::Eq => Term::not(Term::Ldap(LdapFilter::Present(attr.into()))),
                CompareOp::Ne => Term::Ldap(LdapFilter::Present(attr.into())),
                _ => return Err(TranslateError::UnsupportedFilter("null compares with eq or ne only".into())),
            })
        }
        (CompValue::Bool(b), _) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        (CompValue::Str(s), ValueKind::Boolean) if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") => {
            s.to_ascii_uppercase()
        }
        (other, _) => other.as_text().unwrap_or_default(),
    };
    let attr = attr.to_string();
    let eq = || LdapFilter::Equal(attr.clone(), text.clone());
    Ok(Term::Ldap(match op {
        CompareOp::Eq => eq(),
        CompareOp::Ne => LdapFilter::Not(Box::new(eq())),
        CompareOp::Co => LdapFilter::Substring {
            attr,
            initial: None,
            any: vec![text],
            last: None,
        },
        CompareOp::Sw => LdapFilter::Substring {
            attr,
            initial: Some(text),
            any: Vec::new(),
            last: None,
        },
        CompareOp::Ew => LdapFilter::Substring {
            attr,
            initial: None,
            any: Vec::new(),
            last: Some(text),
        },
        CompareOp::Ge => LdapFilter::GreaterOrEqual(attr, text),
        CompareOp::Le => LdapFilter::LessOrEqual(attr, text),
        // LDAP has no strict ordering match: > is ≥ and not =.
        CompareOp::Gt => LdapFilter::and(vec![
            LdapFilter::GreaterOrEqual(attr.clone(), text.clone()),
            LdapFilter::Not(Box::new(eq())),
        ]),
        CompareOp::Lt => LdapFilter::and(vec![
            LdapFilter::LessOrEqual(attr.clone(), text.clone()),
            LdapFilter::Not(Box::new(eq())),
        ]),
    }))
}
