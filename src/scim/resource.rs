//! Response documents: list responses, the service provider configuration, and attribute projection
//! (`attributes` / `excludedAttributes`, RFC 7644 §3.4.2.5).

use serde_json::{json, Map, Value};

use super::filter::AttrPath;
use super::LIST_RESPONSE_SCHEMA;

/// RFC 7644 §3.4.2 list response: integer counts, 1-based `startIndex`.
pub fn list_response(resources: Vec<Value>, total_results: usize, start_index: usize) -> Value {
    json!({
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": total_results,
        "itemsPerPage": resources.len(),
        "startIndex": start_index,
        "Resources": resources,
    })
}

/// What this service provider supports (RFC 7643 §5).
pub struct Capabilities {
    pub patch: bool,
    pub filter_max_results: usize,
    pub max_payload_size: usize,
    pub bulk_max_operations: usize,
    pub etag: bool,
    pub sort: bool,
}

pub fn service_provider_config(caps: &Capabilities, base_url: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/scim2ldap/scim2ldap#readme",
        "patch": {"supported": caps.patch},
        "bulk": {"supported": true, "maxOperations": caps.bulk_max_operations, "maxPayloadSize": caps.max_payload_size},
        "filter": {"supported": true, "maxResults": caps.filter_max_results},
        "changePassword": {"supported": false},
        "sort": {"supported": caps.sort},
        "etag": {"supported": caps.etag},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a bearer token in the Authorization header",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base_url}/ServiceProviderConfig"),
        },
    })
}

/// `attributes` and `excludedAttributes` of a request, parsed.
#[derive(Debug, Default, Clone)]
pub struct Projection {
    attributes: Vec<AttrPath>,
    excluded: Vec<AttrPath>,
}

impl Projection {
    /// Parses the comma-separated lists; names that are not attribute paths are ignored.
    pub fn new(attributes: Option<&str>, excluded: Option<&str>) -> Self {
        let parse = |list: Option<&str>| -> Vec<AttrPath> {
            list.unwrap_or_default()
                .split(',')
                .filter_map(|item| AttrPath::parse(item.trim()))
                .collect()
        };
        Projection {
            attributes: parse(attributes),
            excluded: parse(excluded),
        }
    }

    /// Whether the projection drops the core attribute `name` entirely, so that it need not be read.
    pub fn omits(&self, name: &str, core_urn: &str) -> bool {
        let whole = |p: &AttrPath| p.sub.is_none() && selects(p, core_urn, None, name, None);
        let any_part = |p: &AttrPath| selects(p, core_urn, None, name, p.sub.as_deref());
        self.excluded.iter().any(whole) || (!self.attributes.is_empty() && !self.attributes.iter().any(any_part))
    }

    /// Applies the projection to a resource; `id`, `schemas` and `meta` always stay (returned "always").
    pub fn apply(&self, resource: &mut Map<String, Value>, core_urn: &str) {
        if !self.attributes.is_empty() {
            let keep =
                |urn: Option<&str>, name: &str, sub: Option<&str>| self.attributes.iter().any(|p| selects(p, core_urn, urn, name, sub));
            filter_resource(resource, &keep, true);
        }
        if !self.excluded.is_empty() {
            let drop =
                |urn: Option<&str>, name: &str, sub: Option<&str>| self.excluded.iter().any(|p| selects(p, core_urn, urn, name, sub));
            filter_resource(resource, &drop, false);
        }
    }
}

/// Whether path `p` names attribute `name` (or its sub-attribute `sub`) of the schema `urn`.
fn selects(p: &AttrPath, core_urn: &str, urn: Option<&str>, name: &str, sub: Option<&str>) -> bool {
    let same_schema = match (p.urn.as_deref(), urn) {
        (None, None) => true,
        (Some(a), None) => a.eq_ignore_ascii_case(core_urn),
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, Some(_)) => false,
    };
    same_schema
        && p.name.eq_ignore_ascii_case(name)
        && match (p.sub.as_deref(), sub) {
            (None, _) => true,
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (Some(_), None) => false,
        }
}

type Selector<'a> = dyn Fn(Option<&str>, &str, Option<&str>) -> bool + 'a;

/// Keeps (`keep_matching`) or drops the attributes `pick` selects, descending into extensions and
/// complex attributes.
fn filter_resource(resource: &mut Map<String, Value>, pick: &Selector<'_>, keep_matching: bool) {
    let always = ["id", "schemas", "meta"];
    let keys: Vec<String> = resource.keys().cloned().collect();
    for key in keys {
        if always.iter().any(|a| a.eq_ignore_ascii_case(&key)) {
            continue;
        }
        let is_extension = key.to_ascii_lowercase().starts_with("urn:");
        let Some(value) = resource.get_mut(&key) else { continue };
        if is_extension {
            if let Value::Object(inner) = value {
                let names: Vec<String> = inner.keys().cloned().collect();
                for name in names {
                    if pick(Some(&key), &name, None) != keep_matching {
                        inner.remove(&name);
                    }
                }
                if inner.is_empty() {
                    resource.remove(&key);
                }
            }
            continue;
        }
        let whole = pick(None, &key, None);
        if whole == keep_matching {
            continue;
        }
        // Not selected as a whole: a sub-attribute of it may still be.
        let filter_sub = |obj: &mut Map<String, Value>| {
            let subs: Vec<String> = obj.keys().cloned().collect();
            for sub in subs {
                if pick(None, &key, Some(&sub)) != keep_matching {
                    obj.remove(&sub);
                }
            }
            !obj.is_empty()
        };
        let keep = match value {
            Value::Object(obj) => filter_sub(obj),
            Value::Array(items) => {
                items.retain_mut(|item| item.as_object_mut().is_some_and(filter_sub));
                !items.is_empty()
            }
            _ => false,
        };
        if !keep {
            resource.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

    fn project(attrs: Option<&str>, excluded: Option<&str>) -> Value {
        let mut resource = json!({
            "id": "1", "schemas": [CORE], "userName": "a", "name": {"givenName": "A", "familyName": "B"},
            "members": [{"value": "x"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "D", "employeeNumber": "7"}
        })
        .as_object()
        .cloned()
        .unwrap_or_default();
        Projection::new(attrs, excluded).apply(&mut resource, CORE);
        Value::Object(resource)
    }

    #[test]
    fn attributes_keep_only_named_and_always_returned() {
        assert_eq!(
            project(Some("userName,name.givenName"), None),
            json!({"id": "1", "schemas": [CORE], "userName": "a", "name": {"givenName": "A"}})
        );
    }

    #[test]
    fn omits_tells_what_need_not_be_read() {
        let group = "urn:ietf:params:scim:schemas:core:2.0:Group";
        assert!(Projection::new(None, Some("members")).omits("members", group));
        assert!(Projection::new(Some("displayName"), None).omits("members", group));
        assert!(!Projection::new(Some("members.value"), None).omits("members", group));
        assert!(!Projection::new(None, Some("members.display")).omits("members", group));
        assert!(!Projection::new(None, None).omits("members", group));
    }

    #[test]
    fn excluded_attributes_drop_members_and_extension_fields() {
        let out = project(
            None,
            Some("members,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
        );
        assert!(out.get("members").is_none());
        assert_eq!(
            out["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            json!({"employeeNumber": "7"})
        );
    }
}
