//! `scim2ldap explain`: one SCIM request run through the use cases, as the HTTP API would, against
//! whatever directory the service holds (a dry run, for the command).

use serde_json::Value;

use super::error::{Result, ServiceError};
use super::Service;
use crate::scim::patch::PatchRequest;
use crate::scim::ScimType;

const BASE_URL: &str = "http://explain/scim/v2";

/// Runs `method path` with `body` and answers the status the API would.
pub async fn explain(service: &Service, method: &str, path: &str, body: &str) -> Result<u16> {
    let path = path.trim().strip_prefix("/scim/v2").unwrap_or(path.trim());
    let (kind, id) = service.resource_at(path)?;
    let view = service.view(kind, BASE_URL)?;
    let json = || {
        serde_json::from_str::<Value>(body)
            .map_err(|e| ServiceError::BadRequest(ScimType::InvalidSyntax, format!("the body is not JSON: {e}")))
    };
    match (method.to_ascii_uppercase().as_str(), id) {
        ("POST", None) => view.create(&json()?).await.map(|_| 201),
        ("PUT", Some(id)) => view.replace(&id, &json()?, None).await.map(|_| 200),
        ("PATCH", Some(id)) => {
            let request: PatchRequest = serde_json::from_value(json()?)
                .map_err(|e| ServiceError::BadRequest(ScimType::InvalidSyntax, format!("the body is not a PatchOp: {e}")))?;
            let answered = view.patch(&id, &request, None).await?;
            Ok(if answered.is_some() { 200 } else { 204 })
        }
        ("DELETE", Some(id)) => view.delete(&id, None).await.map(|()| 204),
        (method, _) => Err(ServiceError::BadRequest(
            ScimType::InvalidPath,
            format!("{method} {path}: explain takes POST /Users, PUT|PATCH|DELETE /Users/{{id}} (or /Groups)"),
        )),
    }
}
