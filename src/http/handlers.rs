//! Thin handlers: extract, call the service, answer SCIM JSON.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::response::{ErrorResponse, JsonBody, Scim};
use super::AppState;
use crate::mapping::ResourceKind;
use crate::scim::bulk::{bulk_response, check_request, BulkRequest};
use crate::scim::patch::PatchRequest;
use crate::scim::resource::{list_response, service_provider_config, Capabilities, Projection};
use crate::scim::{ScimError, ScimType};
use crate::service::{IfMatch, ListQuery};

type Answer = Result<Scim, ErrorResponse>;

/// The absolute base of SCIM URLs (`…/scim/v2`), for `meta.location`: the configured public URL, or
/// the request's own host.
pub struct BaseUrl(pub String);

impl FromRequestParts<AppState> for BaseUrl {
    type Rejection = ErrorResponse;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(url) = &state.public_url {
            return Ok(BaseUrl(url.clone()));
        }
        let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
        Ok(BaseUrl(format!("http://{host}{}", state.base_path)))
    }
}

/// The resource type a route serves, as a type parameter of its handlers: known when routing, at no
/// cost per request.
pub trait Kind: Send + Sync + 'static {
    const KIND: ResourceKind;
}

pub struct Users;

impl Kind for Users {
    const KIND: ResourceKind = ResourceKind::User;
}

pub struct Groups;

impl Kind for Groups {
    const KIND: ResourceKind = ResourceKind::Group;
}

/// The `If-Match` header, when present (RFC 7644 §3.14).
pub struct Precondition(pub Option<IfMatch>);

impl<S: Send + Sync> FromRequestParts<S> for Precondition {
    type Rejection = ErrorResponse;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Precondition(
            parts
                .headers
                .get(header::IF_MATCH)
                .and_then(|v| v.to_str().ok())
                .map(IfMatch::parse),
        ))
    }
}

/// `attributes` / `excludedAttributes` of any request.
fn projection(params: &HashMap<String, String>) -> Projection {
    Projection::new(
        params.get("attributes").map(String::as_str),
        params.get("excludedAttributes").map(String::as_str),
    )
}

/// Whether the request's projection leaves out `members`, so that they need not be read.
fn without_members(kind: ResourceKind, state: &AppState, params: &HashMap<String, String>) -> bool {
    state
        .service
        .mapping()
        .resource(kind)
        .is_some_and(|m| projection(params).omits("members", &m.schema.core.id))
}

fn project(kind: ResourceKind, state: &AppState, mut resource: serde_json::Map<String, Value>, params: &HashMap<String, String>) -> Value {
    if let Some(m) = state.service.mapping().resource(kind) {
        projection(params).apply(&mut resource, &m.schema.core.id);
    }
    Value::Object(resource)
}

fn parse_number(params: &HashMap<String, String>, name: &str) -> Result<Option<i64>, ErrorResponse> {
    params
        .get(name)
        .map(|v| v.trim().parse::<i64>())
        .transpose()
        .map_err(|_| ErrorResponse(ScimError::bad_request(ScimType::InvalidValue, format!("{name} must be an integer"))))
}

pub async fn list<K: Kind>(State(state): State<AppState>, BaseUrl(base): BaseUrl, Query(params): Query<HashMap<String, String>>) -> Answer {
    let kind = K::KIND;
    run_list(&state, kind, &base, &params).await
}

/// RFC 7644 §3.4.3: a query sent as a SearchRequest body (`POST /Users/.search`).
pub async fn search<K: Kind>(State(state): State<AppState>, BaseUrl(base): BaseUrl, JsonBody(body): JsonBody<Value>) -> Answer {
    let kind = K::KIND;
    run_list(&state, kind, &base, &search_params(body)?).await
}

/// RFC 7644 §3.4.3: `POST /.search` over every resource type.
pub async fn root_search(State(state): State<AppState>, BaseUrl(base): BaseUrl, JsonBody(body): JsonBody<Value>) -> Answer {
    let params = search_params(body)?;
    let query = list_query(&params)?;
    let omits_members = projection(&params).omits("members", crate::scim::GROUP_SCHEMA);
    let page = state.service.list_across(&query, omits_members, &base).await?;
    let resources = page
        .resources
        .into_iter()
        .map(|(kind, r)| project(kind, &state, r, &params))
        .collect();
    Ok(Scim::ok(list_response(resources, page.total, page.start_index)))
}

/// A SearchRequest body as the query parameters of a list.
fn search_params(body: Value) -> Result<HashMap<String, String>, ErrorResponse> {
    let Value::Object(body) = body else {
        return Err(ErrorResponse(ScimError::bad_request(
            ScimType::InvalidSyntax,
            "a SearchRequest is a JSON object",
        )));
    };
    let mut params = HashMap::new();
    for (key, value) in body {
        let text = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","),
            _ => continue,
        };
        params.insert(key, text);
    }
    Ok(params)
}

async fn run_list(state: &AppState, kind: ResourceKind, base: &str, params: &HashMap<String, String>) -> Answer {
    let query = list_query(params)?;
    let page = state
        .service
        .view(kind, base)?
        .list(&query, without_members(kind, state, params))
        .await?;
    let resources = page.resources.into_iter().map(|r| project(kind, state, r, params)).collect();
    Ok(Scim::ok(list_response(resources, page.total, page.start_index)))
}

fn list_query(params: &HashMap<String, String>) -> Result<ListQuery, ErrorResponse> {
    let descending = match params.get("sortOrder").map(|o| o.to_ascii_lowercase()) {
        None => false,
        Some(o) if o == "ascending" => false,
        Some(o) if o == "descending" => true,
        Some(o) => {
            return Err(ErrorResponse(ScimError::bad_request(
                ScimType::InvalidValue,
                format!("sortOrder '{o}' is not ascending or descending"),
            )))
        }
    };
    Ok(ListQuery {
        filter: params.get("filter").cloned(),
        // RFC 7644 §3.4.2.4: below 1 means 1; a negative count means 0.
        start_index: parse_number(params, "startIndex")?.unwrap_or(1).max(1) as usize,
        count: parse_number(params, "count")?.map(|c| c.max(0) as usize),
        sort_by: params.get("sortBy").cloned(),
        descending,
    })
}

pub async fn get<K: Kind>(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ErrorResponse> {
    let kind = K::KIND;
    let resource = state
        .service
        .view(kind, &base)?
        .get(&id, without_members(kind, &state, &params))
        .await?;
    let version = resource
        .get("meta")
        .and_then(|m| m.get("version"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| IfMatch::parse(tags).accepts(version.as_deref()));
    if unchanged {
        // RFC 7232 §4.1: 304 carries the ETag and no body.
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        if let Some(tag) = version.and_then(|v| header::HeaderValue::from_str(&v).ok()) {
            response.headers_mut().insert(header::ETAG, tag);
        }
        return Ok(response);
    }
    Ok(Scim::ok(project(kind, &state, resource, &params)).into_response())
}

pub async fn create<K: Kind>(State(state): State<AppState>, BaseUrl(base): BaseUrl, JsonBody(body): JsonBody<Value>) -> Answer {
    let kind = K::KIND;
    let resource = state.service.view(kind, &base)?.create(&body).await?;
    Ok(Scim {
        status: StatusCode::CREATED,
        body: Value::Object(resource),
    })
}

pub async fn replace<K: Kind>(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    Precondition(if_match): Precondition,
    JsonBody(body): JsonBody<Value>,
) -> Answer {
    let kind = K::KIND;
    let resource = state.service.view(kind, &base)?.replace(&id, &body, if_match.as_ref()).await?;
    Ok(Scim::ok(Value::Object(resource)))
}

/// 200 with the resource, or 204 for a member change that was written without reading the group
/// (RFC 7644 §3.5.2 allows either) unless the request asks for attributes.
pub async fn patch<K: Kind>(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    Precondition(if_match): Precondition,
    JsonBody(body): JsonBody<PatchRequest>,
) -> Result<Response, ErrorResponse> {
    let kind = K::KIND;
    let asks_for_attributes = params.contains_key("attributes") || params.contains_key("excludedAttributes");
    let view = state.service.view(kind, &base)?;
    let resource = match view.patch(&id, &body, if_match.as_ref()).await? {
        Some(_) if state.patch_no_content && !asks_for_attributes => return Ok(StatusCode::NO_CONTENT.into_response()),
        Some(resource) => resource,
        None if asks_for_attributes => view.get(&id, without_members(kind, &state, &params)).await?,
        None => return Ok(StatusCode::NO_CONTENT.into_response()),
    };
    Ok(Scim::ok(project(kind, &state, resource, &params)).into_response())
}

pub async fn delete<K: Kind>(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    Precondition(if_match): Precondition,
) -> Result<StatusCode, ErrorResponse> {
    let kind = K::KIND;
    state.service.view(kind, &base)?.delete(&id, if_match.as_ref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// RFC 7644 §3.7: 200 with a result per operation; 413 when there are more than `maxOperations`.
pub async fn bulk(State(state): State<AppState>, BaseUrl(base): BaseUrl, JsonBody(request): JsonBody<BulkRequest>) -> Answer {
    check_request(&request, state.bulk_max_operations)?;
    // Stop starting operations well before the request timeout, so that the answer lists what was done.
    let deadline = tokio::time::Instant::now() + state.request_timeout * 3 / 4;
    let results = state.service.bulk(&request, &base, deadline).await;
    Ok(Scim::ok(bulk_response(&results)))
}

fn capabilities(state: &AppState) -> Capabilities {
    Capabilities {
        patch: true,
        filter_max_results: state.service.max_results(),
        max_payload_size: state.max_body_bytes,
        bulk_max_operations: state.bulk_max_operations,
        etag: true,
        sort: true,
    }
}

/// Prometheus text exposition of the gateway's counters and histograms.
pub async fn metrics(metrics: std::sync::Arc<crate::metrics::Metrics>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        metrics.render(),
    )
}

pub async fn service_provider(State(state): State<AppState>, BaseUrl(base): BaseUrl) -> Scim {
    Scim::ok(service_provider_config(&capabilities(&state), &base))
}

fn resource_types(state: &AppState) -> Vec<&crate::scim::schema::ResourceSchema> {
    let mapping = state.service.mapping();
    std::iter::once(&mapping.users.schema)
        .chain(mapping.groups.as_ref().map(|g| &g.schema))
        .collect()
}

pub async fn list_resource_types(State(state): State<AppState>, BaseUrl(base): BaseUrl) -> Scim {
    let docs: Vec<Value> = resource_types(&state).iter().map(|r| r.to_resource_type_document(&base)).collect();
    let total = docs.len();
    Scim::ok(list_response(docs, total, 1))
}

pub async fn get_resource_type(State(state): State<AppState>, BaseUrl(base): BaseUrl, Path(name): Path<String>) -> Answer {
    resource_types(&state)
        .iter()
        .find(|r| r.name.eq_ignore_ascii_case(&name))
        .map(|r| Scim::ok(r.to_resource_type_document(&base)))
        .ok_or_else(|| ErrorResponse(ScimError::not_found(format!("no resource type {name}"))))
}

fn schemas(state: &AppState) -> Vec<&crate::scim::schema::SchemaDef> {
    resource_types(state)
        .into_iter()
        .flat_map(|r| std::iter::once(&r.core).chain(r.extensions.iter().map(|(s, _)| s)))
        .collect()
}

pub async fn list_schemas(State(state): State<AppState>, BaseUrl(base): BaseUrl) -> Scim {
    let docs: Vec<Value> = schemas(&state).iter().map(|s| s.to_document(&base)).collect();
    let total = docs.len();
    Scim::ok(list_response(docs, total, 1))
}

pub async fn get_schema(State(state): State<AppState>, BaseUrl(base): BaseUrl, Path(id): Path<String>) -> Answer {
    schemas(&state)
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(&id))
        .map(|s| Scim::ok(s.to_document(&base)))
        .ok_or_else(|| ErrorResponse(ScimError::not_found(format!("no schema {id}"))))
}

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when every target's directory answers.
/// 200 when every target's directory answers and its bases can be read; otherwise 503 with an error
/// document whose `checks` name what failed. Unauthenticated: findings name DNs, never passwords.
pub async fn readyz(readiness: std::sync::Arc<crate::readiness::Readiness>) -> Response {
    let checks = readiness.checks().await;
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| match c.target.as_str() {
            "" => c.check.clone(),
            target => format!("{target}: {}", c.check),
        })
        .collect();
    if failed.is_empty() {
        return (StatusCode::OK, axum::Json(serde_json::json!({"status": "ready", "checks": checks}))).into_response();
    }
    let error = ScimError::new(503, None, format!("not ready: {}", failed.join(", ")));
    let mut document = error.to_document();
    document["checks"] = serde_json::json!(checks);
    let mut response = ErrorResponse(error).into_response();
    *response.body_mut() = axum::body::Body::from(serde_json::to_vec(&document).unwrap_or_default());
    response
}

pub async fn not_found() -> ErrorResponse {
    ErrorResponse(ScimError::not_found("no such endpoint"))
}

pub async fn method_not_allowed() -> ErrorResponse {
    ErrorResponse(ScimError::new(405, None, "method not allowed on this endpoint"))
}
