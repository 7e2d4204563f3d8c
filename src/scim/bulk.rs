//! RFC 7644 §3.7 Bulk: the request and response documents, `bulkId` references, and the order in
//! which operations can run so that every reference names a resource already created.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{ScimError, ScimType};

pub const BULK_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
pub const BULK_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
const BULK_ID_PREFIX: &str = "bulkId:";

#[derive(Debug, Deserialize)]
pub struct BulkRequest {
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(rename = "failOnErrors", default)]
    pub fail_on_errors: Option<u64>,
    #[serde(rename = "Operations", alias = "operations")]
    pub operations: Vec<BulkOperation>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BulkOperation {
    pub method: String,
    #[serde(rename = "bulkId", default)]
    pub bulk_id: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub data: Option<Value>,
}

/// The outcome of one operation, as the BulkResponse lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkResult {
    pub method: String,
    pub bulk_id: Option<String>,
    pub location: Option<String>,
    pub version: Option<String>,
    pub status: u16,
    /// The error document of a failed operation.
    pub error: Option<ScimError>,
}

impl BulkResult {
    pub fn failed(op: &BulkOperation, error: ScimError) -> BulkResult {
        BulkResult {
            method: op.method.to_ascii_uppercase(),
            bulk_id: op.bulk_id.clone(),
            location: None,
            version: None,
            status: error.status,
            error: Some(error),
        }
    }

    pub fn is_error(&self) -> bool {
        self.status >= 400
    }
}

/// Checks what applies to the request as a whole: the schema and `maxOperations` (413, RFC 7644 §3.7.4).
pub fn check_request(request: &BulkRequest, max_operations: usize) -> Result<(), ScimError> {
    if !request.schemas.is_empty() && !request.schemas.iter().any(|s| s.eq_ignore_ascii_case(BULK_REQUEST_SCHEMA)) {
        return Err(ScimError::bad_request(
            ScimType::InvalidSyntax,
            format!("a bulk request has the schema {BULK_REQUEST_SCHEMA}"),
        ));
    }
    if request.operations.len() > max_operations {
        return Err(ScimError::new(
            413,
            None,
            format!(
                "the bulk request has {} operations; the maximum is {max_operations}",
                request.operations.len()
            ),
        ));
    }
    Ok(())
}

/// The `bulkId`s an operation refers to, in its path or anywhere in its data.
pub fn references(op: &BulkOperation) -> HashSet<String> {
    let mut found = HashSet::new();
    if let Some(id) = path_reference(&op.path) {
        found.insert(id.to_string());
    }
    if let Some(data) = &op.data {
        collect_references(data, &mut found);
    }
    found
}

fn path_reference(path: &str) -> Option<&str> {
    path.rsplit('/').next().and_then(|last| last.strip_prefix(BULK_ID_PREFIX))
}

fn collect_references(value: &Value, found: &mut HashSet<String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix(BULK_ID_PREFIX) {
                found.insert(id.to_string());
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_references(v, found)),
        Value::Object(map) => map.values().for_each(|v| collect_references(v, found)),
        _ => {}
    }
}

/// The operation with every `bulkId:` reference replaced by the id of the resource it created.
/// `ids` must hold every reference (see [`references`]).
pub fn substitute(op: &BulkOperation, ids: &HashMap<String, String>) -> BulkOperation {
    let mut resolved = op.clone();
    if let Some(id) = path_reference(&op.path).and_then(|r| ids.get(r)) {
        if let Some((parent, _)) = op.path.rsplit_once('/') {
            resolved.path = format!("{parent}/{id}");
        }
    }
    resolved.data = op.data.as_ref().map(|d| substitute_value(d, ids));
    resolved
}

fn substitute_value(value: &Value, ids: &HashMap<String, String>) -> Value {
    match value {
        Value::String(s) => match s.strip_prefix(BULK_ID_PREFIX).and_then(|r| ids.get(r)) {
            Some(id) => Value::String(id.clone()),
            None => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute_value(v, ids)).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), substitute_value(v, ids))).collect()),
        other => other.clone(),
    }
}

/// Why an operation cannot run; answered in its place in the BulkResponse.
pub fn unrunnable(op: &BulkOperation, seen_bulk_ids: &HashSet<String>) -> Option<ScimError> {
    let method = op.method.to_ascii_uppercase();
    if !matches!(method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE") {
        return Some(ScimError::bad_request(
            ScimType::InvalidSyntax,
            format!("method '{}' is not POST, PUT, PATCH or DELETE", op.method),
        ));
    }
    if method == "POST" {
        match &op.bulk_id {
            None => return Some(ScimError::bad_request(ScimType::InvalidSyntax, "a POST operation needs a bulkId")),
            Some(id) if seen_bulk_ids.contains(id) => {
                return Some(ScimError::bad_request(
                    ScimType::InvalidValue,
                    format!("bulkId '{id}' is used by more than one operation"),
                ))
            }
            Some(_) => {}
        }
    }
    if method != "DELETE" && op.data.is_none() {
        return Some(ScimError::bad_request(
            ScimType::InvalidSyntax,
            format!("a {method} operation needs data"),
        ));
    }
    None
}

/// The error of an operation whose references never resolved: they name no operation, an operation
/// that failed, or form a cycle.
pub fn unresolved(missing: &[String]) -> ScimError {
    ScimError::new(
        409,
        None,
        format!(
            "bulkId reference {} does not resolve: no operation created it (unknown, failed, or a circular reference)",
            missing.iter().map(|m| format!("'{m}'")).collect::<Vec<_>>().join(", ")
        ),
    )
}

/// The BulkResponse document, operations in request order.
pub fn bulk_response(results: &[BulkResult]) -> Value {
    let operations: Vec<Value> = results
        .iter()
        .map(|r| {
            let mut op = Map::new();
            op.insert("method".into(), Value::String(r.method.clone()));
            if let Some(id) = &r.bulk_id {
                op.insert("bulkId".into(), Value::String(id.clone()));
            }
            if let Some(version) = &r.version {
                op.insert("version".into(), Value::String(version.clone()));
            }
            if let Some(location) = &r.location {
                op.insert("location".into(), Value::String(location.clone()));
            }
            op.insert("status".into(), Value::String(r.status.to_string()));
            if let Some(error) = &r.error {
                op.insert("response".into(), error.to_document());
            }
            Value::Object(op)
        })
        .collect();
    json!({"schemas": [BULK_RESPONSE_SCHEMA], "Operations": operations})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(value: Value) -> BulkOperation {
        serde_json::from_value(value).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn references_are_found_and_substituted_in_path_and_data() {
        let group = op(json!({
            "method": "POST", "path": "/Groups", "bulkId": "g",
            "data": {"displayName": "G", "members": [{"type": "User", "value": "bulkId:u1"}, {"value": "bulkId:u2"}]}
        }));
        assert_eq!(references(&group), HashSet::from(["u1".to_string(), "u2".to_string()]));
        let ids = HashMap::from([("u1".to_string(), "id-1".to_string()), ("u2".to_string(), "id-2".to_string())]);
        let resolved = substitute(&group, &ids);
        assert_eq!(
            resolved.data,
            Some(json!({"displayName": "G", "members": [{"type": "User", "value": "id-1"}, {"value": "id-2"}]}))
        );
        let patch = op(json!({"method": "PATCH", "path": "/Groups/bulkId:g", "data": {}}));
        assert_eq!(references(&patch), HashSet::from(["g".to_string()]));
        let ids = HashMap::from([("g".to_string(), "gid".to_string())]);
        assert_eq!(substitute(&patch, &ids).path, "/Groups/gid");
    }

    #[test]
    fn operations_that_cannot_run_say_why() {
        let seen = HashSet::from(["taken".to_string()]);
        let status = |value: Value| unrunnable(&op(value), &seen).map(|e| (e.status, e.scim_type));
        assert_eq!(
            status(json!({"method": "GET", "path": "/Users"})),
            Some((400, Some(ScimType::InvalidSyntax)))
        );
        assert_eq!(
            status(json!({"method": "POST", "path": "/Users", "data": {}})),
            Some((400, Some(ScimType::InvalidSyntax)))
        );
        assert_eq!(
            status(json!({"method": "POST", "path": "/Users", "bulkId": "taken", "data": {}})),
            Some((400, Some(ScimType::InvalidValue)))
        );
        assert_eq!(
            status(json!({"method": "put", "path": "/Users/x"})),
            Some((400, Some(ScimType::InvalidSyntax)))
        );
        assert_eq!(status(json!({"method": "delete", "path": "/Users/x"})), None);
    }

    #[test]
    fn too_many_operations_is_413() {
        let request: BulkRequest = serde_json::from_value(json!({
            "schemas": [BULK_REQUEST_SCHEMA],
            "Operations": [{"method": "DELETE", "path": "/Users/a"}, {"method": "DELETE", "path": "/Users/b"}]
        }))
        .unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(check_request(&request, 2), Ok(()));
        assert_eq!(check_request(&request, 1).map_err(|e| e.status), Err(413));
    }

    #[test]
    fn response_lists_status_as_string_and_errors_as_documents() {
        let ok = BulkResult {
            method: "POST".into(),
            bulk_id: Some("u".into()),
            location: Some("https://x/scim/v2/Users/1".into()),
            version: Some("W/\"1\"".into()),
            status: 201,
            error: None,
        };
        let failed = BulkResult::failed(
            &op(json!({"method": "delete", "path": "/Users/2"})),
            ScimError::not_found("no such user"),
        );
        let doc = bulk_response(&[ok, failed]);
        assert_eq!(doc["schemas"][0], BULK_RESPONSE_SCHEMA);
        assert_eq!(doc["Operations"][0]["status"], "201");
        assert_eq!(doc["Operations"][0]["location"], "https://x/scim/v2/Users/1");
        assert_eq!(doc["Operations"][1]["method"], "DELETE");
        assert_eq!(doc["Operations"][1]["response"]["status"], "404");
    }
}
