//! Templates such as `"{name.givenName} {name.familyName}"`: literal text with SCIM attribute paths.

use serde_json::{Map, Value};

use crate::scim::filter::AttrPath;

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Var(AttrPath),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_string()));
            }
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| format!("template '{text}' has an unclosed '{{'"))?
                + open;
            let name = &rest[open + 1..close];
            let path = AttrPath::parse(name).ok_or_else(|| format!("template '{text}': '{name}' is not a SCIM attribute path"))?;
            parts.push(Part::Var(path));
            rest = &rest[close + 1..];
        }
        if rest.contains('}') {
            return Err(format!("template '{text}' has a '}}' without '{{'"));
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template { parts })
    }

    pub fn vars(&self) -> impl Iterator<Item = &AttrPath> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(path) => Some(path),
            Part::Text(_) => None,
        })
    }

    /// The rendered text, or `None` when a field is absent or empty (so the next template is tried).
    pub fn render(&self, resource: &Map<String, Value>) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Var(path) => {
                    let value = super::to_ldap::scalar_at(resource, path)?;
                    if value.is_empty() {
                        return None;
                    }
                    out.push_str(&value);
                }
            }
        }
        let out = out.trim().to_string();
        (!out.is_empty()).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_when_all_fields_are_present() {
        let t = Template::parse("{name.givenName} {name.familyName}");
        let resource = json!({"name": {"givenName": "Ada", "familyName": "Lovelace"}});
        assert_eq!(t.ok().and_then(|t| t.render(resource.as_object()?)), Some("Ada Lovelace".into()));
    }

    #[test]
    fn absent_field_gives_none() {
        let t = Template::parse("{name.givenName} {name.familyName}");
        let resource = json!({"name": {"givenName": "Ada"}});
        assert_eq!(t.ok().and_then(|t| t.render(resource.as_object()?)), None);
    }

    #[test]
    fn malformed_templates_are_errors() {
        assert!(Template::parse("{name").is_err());
        assert!(Template::parse("x}").is_err());
        assert!(Template::parse("{not a path}").is_err());
    }
}
