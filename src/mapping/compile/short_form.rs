//! The short form of extension attributes: `enterprise:department` or `HubstaffUser:osUsername`
//! instead of the extension's full URN before the attribute's name. The prefix is the `name:` an
//! extension is declared with (without it, the URN's last part), compared without case; `enterprise`
//! always names the enterprise User extension. Every SCIM path a section holds (`scim`, `match`,
//! `placement.by`, the fields of `default`, `fallback` and `computed` templates) is written out in
//! full before the section is compiled, so that the rest of the compiler sees URNs only.

use serde_saphyr::Spanned;

use super::super::model::RawResource;
use super::{At, MappingError, Problems};
use crate::mapping::suggest::did_you_mean;
use crate::scim::ENTERPRISE_USER_SCHEMA;

/// The prefix that always names the enterprise User extension (RFC 7643 §4.3).
const ENTERPRISE: &str = "enterprise";

/// Writes out every short path of the section; each one that names no extension, or several, is a
/// problem of its line.
pub(super) fn expand(raw: &mut Spanned<RawResource>, at: &At<'_>) -> Result<(), MappingError> {
    let prefixes = Prefixes::of(&raw.value);
    let mut problems = Problems::default();
    let raw = &mut raw.value;
    for entry in &mut raw.attributes {
        let line = entry.referenced.line();
        let attr = &mut entry.value;
        let paths = std::iter::once(&mut attr.scim).chain(&mut attr.match_by);
        for path in paths {
            problems.keep(prefixes.expand_path(path).map_err(|m| at(line, m)));
        }
        for template in attr.default.iter_mut().chain(&mut attr.fallback) {
            problems.keep(prefixes.expand_template(template).map_err(|m| at(line, m)));
        }
    }
    for entry in &mut raw.computed {
        let line = entry.referenced.line();
        for template in &mut entry.value.template {
            problems.keep(prefixes.expand_template(template).map_err(|m| at(line, m)));
        }
    }
    if let Some(placement) = &mut raw.placement {
        let line = placement.referenced.line();
        problems.keep(prefixes.expand_path(&mut placement.value.by).map_err(|m| at(line, m)));
    }
    problems.finish()
}

/// The short names of a section's extensions, each with its URN.
struct Prefixes(Vec<(String, String)>);

impl Prefixes {
    fn of(raw: &RawResource) -> Prefixes {
        let mut prefixes: Vec<(String, String)> = raw
            .extensions
            .iter()
            .map(|ext| {
                let urn = &ext.value.urn;
                let name = ext
                    .value
                    .name
                    .clone()
                    .unwrap_or_else(|| urn.rsplit(':').next().unwrap_or(urn).to_string());
                (name, urn.clone())
            })
            .collect();
        prefixes.push((ENTERPRISE.to_string(), ENTERPRISE_USER_SCHEMA.to_string()));
        Prefixes(prefixes)
    }

    /// Replaces a short path (`enterprise:manager.value`) by its full form; a core path or a URN
    /// stays as it is.
    fn expand_path(&self, path: &mut String) -> Result<(), String> {
        // A filter's value may hold a colon (`emails[type eq "a:b"]`): only the part before it counts.
        let head = &path[..path.find(['[', '.']).unwrap_or(path.len())];
        let Some((prefix, _)) = head.split_once(':') else { return Ok(()) };
        if prefix.eq_ignore_ascii_case("urn") {
            return Ok(());
        }
        let full = format!("{}:{}", self.urn_of(prefix, path)?, &path[prefix.len() + 1..]);
        *path = full;
        Ok(())
    }

    /// Writes out the short paths among a template's fields (`{enterprise:employeeNumber}`).
    fn expand_template(&self, template: &mut String) -> Result<(), String> {
        let mut out = String::with_capacity(template.len());
        let mut rest = template.as_str();
        while let Some(open) = rest.find('{') {
            // An unclosed brace is the template parser's to report.
            let Some(close) = rest[open..].find('}').map(|c| c + open) else {
                break;
            };
            let mut field = rest[open + 1..close].to_string();
            self.expand_path(&mut field)?;
            out.push_str(&rest[..=open]);
            out.push_str(&field);
            out.push('}');
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        *template = out;
        Ok(())
    }

    /// The one URN `prefix` names.
    fn urn_of(&self, prefix: &str, path: &str) -> Result<&str, String> {
        let mut named: Vec<&str> = self
            .0
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case(prefix))
            .map(|(_, urn)| urn.as_str())
            .collect();
        // The enterprise extension may be declared with the name `enterprise` too.
        named.sort_unstable();
        named.dedup();
        match named.as_slice() {
            [urn] => Ok(urn),
            [] => Err(format!(
                "'{path}': no extension is named '{prefix}'{}; the names known here are {}: declare the extension with `name: {prefix}`, or write its full URN",
                did_you_mean(prefix, self.names()),
                self.names().join(", ")
            )),
            several => Err(format!(
                "'{path}': '{prefix}' names several extensions ({}): give each its own `name:`, or write the full URN",
                several.join(", ")
            )),
        }
    }

    /// Each name once, in the order declared.
    fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for (name, _) in &self.0 {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                names.push(name);
            }
        }
        names
    }
}
