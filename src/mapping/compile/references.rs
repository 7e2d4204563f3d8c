//! A reference's `match` (the users' attributes that identify its target besides the id) and
//! `unknown` (what a value that names nobody does).

use super::{At, MappingError};
use crate::mapping::model::RawResource;
use crate::mapping::{AttrMap, ResourceMapping, ValueKind};
use crate::scim::filter::AttrPath;

/// Fills `match_by` and `skip_unknown` of each reference. `users` is the users' mapping when
/// compiling groups (`None` while compiling the users themselves, whose `attrs` are the users').
pub(super) fn match_and_unknown(
    raw: &RawResource,
    attrs: &mut [AttrMap],
    users: Option<&ResourceMapping>,
    at: &At<'_>,
) -> Result<(), MappingError> {
    let mut resolved: Vec<(usize, Vec<String>, bool)> = Vec::new();
    for (index, entry) in raw.attributes.iter().enumerate() {
        let line = entry.referenced.line();
        let raw_attr = &entry.value;
        let attr = &attrs[index];
        if attr.kind != ValueKind::Reference {
            if !raw_attr.match_by.is_empty() || raw_attr.unknown.is_some() {
                return Err(at(
                    line,
                    format!("{}: match and unknown apply to references (type: reference)", raw_attr.scim),
                ));
            }
            continue;
        }
        let is_members = attr.is_members();
        let skip = match raw_attr.unknown.as_deref() {
            // A member dropped silently would be a group that grants less than the IdP says.
            None if is_members => false,
            None => true,
            Some("skip") => true,
            Some("refuse") => false,
            Some(other) => return Err(at(line, format!("unknown '{other}' is not refuse or skip"))),
        };
        let user_attrs: &[AttrMap] = users.map_or(&*attrs, |u| &u.attrs);
        let mut match_by = Vec::new();
        for name in raw_attr.match_by.iter().filter(|n| !n.eq_ignore_ascii_case("id")) {
            let found = AttrPath::parse(name).and_then(|path| {
                user_attrs
                    .iter()
                    .find(|a| a.kind != ValueKind::Reference && a.scim.matches_path(&path))
                    .map(|a| a.read_source().to_string())
            });
            match found {
                Some(ldap) => match_by.push(ldap),
                None => {
                    return Err(at(
                        line,
                        format!("match: '{name}' is not an attribute the users' mapping stores (such as userName or externalId)"),
                    ))
                }
            }
        }
        resolved.push((index, match_by, skip));
    }
    for (index, match_by, skip) in resolved {
        attrs[index].match_by = match_by;
        attrs[index].skip_unknown = skip;
    }
    Ok(())
}
