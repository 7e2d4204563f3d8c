//! RFC 7644 §3.5.2 PATCH paths: `attrPath` or `valuePath [subAttr]`.

use super::filter::{parse_value_filter, AttrPath, Filter};

/// A parsed PATCH path: the attribute, an optional value filter, and the sub-attribute to touch.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute; its `sub` is the sub-attribute (`name.givenName`, or `.value` after a filter).
    pub attr: AttrPath,
    pub filter: Option<Filter>,
}

/// Why a path did not parse; becomes 400 `invalidPath`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid path '{path}': {reason}")]
pub struct PathError {
    pub path: String,
    pub reason: String,
}

impl PatchPath {
    pub fn parse(text: &str) -> Result<PatchPath, PathError> {
        let fail = |reason: &str| PathError {
            path: text.to_string(),
            reason: reason.to_string(),
        };
        let text_trimmed = text.trim();
        let Some(open) = text_trimmed.find('[') else {
            let attr = AttrPath::parse(text_trimmed).ok_or_else(|| fail("not an attribute path"))?;
            return Ok(PatchPath { attr, filter: None });
        };
        let mut attr = AttrPath::parse(&text_trimmed[..open]).ok_or_else(|| fail("not an attribute path before '['"))?;
        if attr.sub.is_some() {
            return Err(fail("a value filter applies to an attribute, not a sub-attribute"));
        }
        let close = closing_bracket(text_trimmed, open).ok_or_else(|| fail("no closing ']'"))?;
        let filter = parse_value_filter(&text_trimmed[open + 1..close]).map_err(|e| fail(&e.to_string()))?;
        let tail = &text_trimmed[close + 1..];
        if let Some(sub) = tail.strip_prefix('.') {
            let sub_path = AttrPath::parse(sub).ok_or_else(|| fail("not a sub-attribute after ']'"))?;
            if sub_path.urn.is_some() || sub_path.sub.is_some() {
                return Err(fail("not a sub-attribute after ']'"));
            }
            attr.sub = Some(sub_path.name);
        } else if !tail.is_empty() {
            return Err(fail("unexpected text after ']'"));
        }
        Ok(PatchPath {
            attr,
            filter: Some(filter),
        })
    }
}

/// The `]` that closes the `[` at `open`, skipping brackets inside quoted strings.
fn closing_bracket(text: &str, open: usize) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices().skip_while(|(i, _)| *i <= open) {
        match (in_string, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (false, _, '"') => in_string = true,
            (false, _, ']') => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_and_sub_attribute_paths() {
        let p = PatchPath::parse("name.givenName").ok();
        assert_eq!(p.as_ref().map(|p| p.attr.name.as_str()), Some("name"));
        assert_eq!(p.and_then(|p| p.attr.sub), Some("givenName".to_string()));
    }

    #[test]
    fn value_filter_paths() {
        let p = PatchPath::parse(r#"emails[type eq "work"].value"#).ok();
        assert!(p.as_ref().is_some_and(|p| p.filter.is_some()));
        assert_eq!(p.and_then(|p| p.attr.sub), Some("value".to_string()));
        let p = PatchPath::parse(r#"members[value eq "a]b"]"#).ok();
        assert!(p.is_some_and(|p| p.attr.sub.is_none() && p.filter.is_some()));
    }

    #[test]
    fn urn_qualified_paths() {
        let p = PatchPath::parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber").ok();
        assert_eq!(p.map(|p| p.attr.name), Some("employeeNumber".to_string()));
    }

    #[test]
    fn bad_paths_are_errors() {
        for bad in ["", "emails[", "emails[type eq]", "name.a.b", r#"emails[type eq "x"]junk"#, "a b"] {
            assert!(PatchPath::parse(bad).is_err(), "{bad}");
        }
    }
}
