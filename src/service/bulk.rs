//! RFC 7644 §3.7 Bulk as a use case: each operation runs as the single request it stands for, in an
//! order where every `bulkId` reference names a resource already created. Operations are not one
//! transaction (the RFC does not ask for one): each result says what happened to its resource.

use std::collections::{HashMap, HashSet};
use tokio::time::Instant;

use serde_json::Value;

use super::error::{Result, ServiceError};
use super::{IfMatch, Service};
use crate::mapping::ResourceKind;
use crate::scim::bulk::{references, substitute, unresolved, unrunnable, BulkOperation, BulkRequest, BulkResult};
use crate::scim::patch::PatchRequest;
use crate::scim::{ScimError, ScimType};

/// What a successful operation reports.
struct Done {
    status: u16,
    id: String,
    kind: ResourceKind,
    version: Option<String>,
}

impl Service {
    /// Runs the operations and answers one result per operation run, in request order. After
    /// `failOnErrors` errors, or once `deadline` has passed, the rest are not run and not listed, so
    /// that the answer always says exactly what was done (rather than the request timing out after
    /// doing part of it).
    pub async fn bulk(&self, request: &BulkRequest, base_url: &str, deadline: Instant) -> Vec<BulkResult> {
        let ops = &request.operations;
        let error_limit = request.fail_on_errors.filter(|&n| n > 0);
        let mut results: Vec<Option<BulkResult>> = vec![None; ops.len()];
        let mut errors = 0u64;
        let mut created: HashMap<String, String> = HashMap::new();
        let mut creators: HashMap<String, usize> = HashMap::new();
        let mut pending = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for (index, op) in ops.iter().enumerate() {
            match unrunnable(op, &seen) {
                Some(error) => {
                    results[index] = Some(BulkResult::failed(op, error));
                    errors += 1;
                }
                None => {
                    if let Some(bulk_id) = op.bulk_id.clone().filter(|_| op.method.eq_ignore_ascii_case("POST")) {
                        seen.insert(bulk_id.clone());
                        creators.insert(bulk_id, index);
                    }
                    pending.push(index);
                }
            }
        }
        let over_limit = |errors: u64| error_limit.is_some_and(|limit| errors >= limit) || Instant::now() >= deadline;

        // Each pass runs what can run; an operation waiting on a later one runs in a later pass.
        while !pending.is_empty() && !over_limit(errors) {
            let mut waiting = Vec::new();
            let mut progressed = false;
            for &index in &pending {
                if over_limit(errors) {
                    break;
                }
                let op = &ops[index];
                let missing: Vec<String> = references(op).into_iter().filter(|r| !created.contains_key(r)).collect();
                let awaits_another = missing
                    .iter()
                    .any(|r| creators.get(r).is_some_and(|&c| c != index && results[c].is_none()));
                if awaits_another {
                    waiting.push(index);
                    continue;
                }
                progressed = true;
                let result = if missing.is_empty() {
                    let resolved = substitute(op, &created);
                    match self.run_bulk_operation(&resolved, base_url).await {
                        Ok(done) => {
                            if let Some(bulk_id) = &op.bulk_id {
                                created.insert(bulk_id.clone(), done.id.clone());
                            }
                            BulkResult {
                                method: op.method.to_ascii_uppercase(),
                                bulk_id: op.bulk_id.clone(),
                                // RFC 7644 §3.7.3: the location names the created resource; without an id there is none.
                                location: (!done.id.is_empty()).then(|| format!("{base_url}{}/{}", done.kind.endpoint(), done.id)),
                                version: done.version,
                                status: done.status,
                                error: None,
                            }
                        }
                        Err(e) => BulkResult::failed(op, ScimError::from(e)),
                    }
                } else {
                    BulkResult::failed(op, unresolved(&missing))
                };
                if result.is_error() {
                    errors += 1;
                }
                results[index] = Some(result);
            }
            if !progressed {
                // Only references to one another are left: a cycle.
                for &index in &waiting {
                    let op = &ops[index];
                    let missing: Vec<String> = references(op).into_iter().filter(|r| !created.contains_key(r)).collect();
                    results[index] = Some(BulkResult::failed(op, unresolved(&missing)));
                }
                break;
            }
            pending = waiting;
        }
        results.into_iter().flatten().collect()
    }

    async fn run_bulk_operation(&self, op: &BulkOperation, base_url: &str) -> Result<Done> {
        let (kind, id) = self.resource_at(&op.path)?;
        let view = self.view(kind, base_url)?;
        let method = op.method.to_ascii_uppercase();
        let if_match = op.version.as_deref().map(IfMatch::parse);
        let data = op.data.clone().unwrap_or(Value::Null);
        let version_of = |resource: &serde_json::Map<String, Value>| {
            resource
                .get("meta")
                .and_then(|m| m.get("version"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        match (method.as_str(), id) {
            ("POST", None) => {
                let resource = view.create(&data).await?;
                let id = resource.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
                Ok(Done {
                    status: 201,
                    version: version_of(&resource),
                    id,
                    kind,
                })
            }
            ("PUT", Some(id)) => {
                let resource = view.replace(&id, &data, if_match.as_ref()).await?;
                Ok(Done {
                    status: 200,
                    version: version_of(&resource),
                    id,
                    kind,
                })
            }
            ("PATCH", Some(id)) => {
                let request: PatchRequest = serde_json::from_value(data)
                    .map_err(|e| ServiceError::BadRequest(ScimType::InvalidSyntax, format!("the PATCH data is not a PatchOp: {e}")))?;
                let resource = view.patch(&id, &request, if_match.as_ref()).await?;
                Ok(Done {
                    status: if resource.is_some() { 200 } else { 204 },
                    version: resource.as_ref().and_then(version_of),
                    id,
                    kind,
                })
            }
            ("DELETE", Some(id)) => {
                view.delete(&id, if_match.as_ref()).await?;
                Ok(Done {
                    status: 204,
                    version: None,
                    id,
                    kind,
                })
            }
            (_, None) => Err(ServiceError::BadRequest(
                ScimType::InvalidPath,
                format!("{method} needs the path of one resource, such as /Users/{{id}}"),
            )),
            (_, Some(_)) => Err(ServiceError::BadRequest(
                ScimType::InvalidPath,
                format!("{method} goes to a resource type endpoint, such as /Users"),
            )),
        }
    }

    /// The resource type and id a path names: `/Users` or `/Users/{id}`.
    pub fn resource_at(&self, path: &str) -> Result<(ResourceKind, Option<String>)> {
        let trimmed = path.trim().trim_start_matches('/');
        let (endpoint, id) = match trimmed.split_once('/') {
            Some((endpoint, id)) => (endpoint, Some(id.to_string()).filter(|i| !i.is_empty())),
            None => (trimmed, None),
        };
        [ResourceKind::User, ResourceKind::Group]
            .into_iter()
            .filter(|k| self.mapping.resource(*k).is_some())
            .find(|k| k.endpoint().trim_start_matches('/').eq_ignore_ascii_case(endpoint))
            .map(|k| (k, id))
            .ok_or_else(|| ServiceError::NotFound(format!("no resource type at '{path}'")))
    }
}
