//! HTTP: axum routes under `/scim/v2`, bearer auth, limits, request ids and tracing. The only layer
//! that knows axum.

mod auth;
mod handlers;
mod paths;
mod response;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::HeaderName;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::{ListenerExt, TapIo};
use axum::Router;
use tokio::net::{TcpListener, TcpStream};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use auth::{JwtVerifier, TokenHash, Tokens};

use crate::metrics::Metrics;
use crate::scim::ScimError;
use crate::service::Service;
use response::ErrorResponse;

/// Where the SCIM API lives.
pub const SCIM_BASE: &str = "/scim/v2";

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The application: one SCIM state per target, and what they share.
pub struct App {
    pub targets: Vec<AppState>,
    /// What `/readyz` checks.
    pub readiness: Arc<crate::readiness::Readiness>,
    pub metrics: Arc<Metrics>,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
}

/// What a target's handlers share, behind one reference count: every extractor and middleware that
/// takes the state clones it, several times per request.
#[derive(Clone)]
pub struct AppState(Arc<TargetState>);

impl AppState {
    pub fn new(state: TargetState) -> Self {
        AppState(Arc::new(state))
    }
}

impl std::ops::Deref for AppState {
    type Target = TargetState;

    fn deref(&self) -> &TargetState {
        &self.0
    }
}

/// A target's service, tokens and settings.
pub struct TargetState {
    /// Shared, so that the state each request gets is a cheap clone.
    pub service: Arc<Service>,
    pub tokens: Arc<Tokens>,
    /// Where this target's SCIM API lives: `/scim/v2`, or `/scim/v2/<target>`.
    pub base_path: String,
    /// The externally visible URL of `base_path`, when the gateway sits behind a proxy.
    pub public_url: Option<String>,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
    /// PATCH answers 204 instead of the resource.
    pub patch_no_content: bool,
    pub bulk_max_operations: usize,
    /// Permits for the SCIM requests being served (`server.max_concurrent_requests`).
    pub in_flight: Arc<tokio::sync::Semaphore>,
    pub metrics: Arc<Metrics>,
}

/// The routes of one resource type under `path` (`/Users`).
fn resource_routes<K: handlers::Kind>(router: Router<AppState>, path: &str) -> Router<AppState> {
    router
        .route(path, get(handlers::list::<K>).post(handlers::create::<K>))
        .route(&format!("{path}/.search"), post(handlers::search::<K>))
        .route(
            &format!("{path}/{{id}}"),
            get(handlers::get::<K>)
                .put(handlers::replace::<K>)
                .patch(handlers::patch::<K>)
                .delete(handlers::delete::<K>),
        )
}

/// The whole application: each target's SCIM routes behind its own tokens, health probes and metrics
/// without.
///
/// Only what needs the matched route (metrics, auth, the per-target limit and audit) is a layer of the
/// routers; the rest wraps the whole router once. Axum stacks a router's layers on every route and
/// clones a route's whole stack below each middleware on every request, so each layer moved out of
/// the routers saves allocations on every request.
pub fn router(app: App) -> Router {
    let readiness = app.readiness.clone();
    let metrics = app.metrics.clone();
    let timeout = app.request_timeout;
    let mut router = Router::new();
    for state in app.targets {
        let base_path = state.base_path.clone();
        router = router.nest(&base_path, scim_routes(state));
    }
    let routes = router
        .route("/healthz", get(handlers::healthz))
        .route("/readyz", get(move || handlers::readyz(readiness.clone())))
        .route("/metrics", get(move || handlers::metrics(metrics.clone())))
        .fallback(handlers::not_found)
        .layer(middleware::from_fn_with_state((app.metrics, timeout), measured_within_limit));
    let whole = tower::ServiceBuilder::new()
        // Paths are made canonical before anything reads them.
        .map_request(paths::canonical_request)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let request_id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default();
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id, caller = tracing::field::Empty)
                })
                // Each failure is logged once where it is understood (a service error with its LDAP
                // cause, a timeout, the concurrency cap): the layer's own "response failed" line
                // repeated every 5xx without saying why.
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(DefaultBodyLimit::max(app.max_body_bytes))
        .service(routes);
    Router::new().fallback_service(whole)
}

/// One target's SCIM API, behind that target's tokens.
fn scim_routes(state: AppState) -> Router {
    let router = resource_routes::<handlers::Users>(Router::new(), "/Users");
    resource_routes::<handlers::Groups>(router, "/Groups")
        .route("/ServiceProviderConfig", get(handlers::service_provider))
        .route("/ResourceTypes", get(handlers::list_resource_types))
        .route("/ResourceTypes/{name}", get(handlers::get_resource_type))
        .route("/Schemas", get(handlers::list_schemas))
        .route("/Schemas/{id}", get(handlers::get_schema))
        .route("/.search", post(handlers::root_search))
        .route("/Bulk", post(handlers::bulk))
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .fallback(handlers::not_found)
        .route_layer(middleware::from_fn_with_state(state.tokens.clone(), auth::require_bearer))
        .layer(middleware::from_fn_with_state(state.clone(), limited_and_audited))
        .with_state(state)
}

/// Serves a request when a permit is free, audited; otherwise answers 503 with Retry-After at once.
/// One middleware rather than two: see `router`.
async fn limited_and_audited(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match state.in_flight.clone().try_acquire_owned() {
        Ok(_permit) => audited(request, next).await,
        Err(_) => {
            state.metrics.increment("scim2ldap_http_rejected_total", &[]);
            tracing::warn!(status = 503, "request refused: server.max_concurrent_requests are in progress");
            ErrorResponse(ScimError::new(503, None, "too many requests in progress; retry later")).into_response()
        }
    }
}

/// Writes one audit line per request that may change the directory (every method but GET; a search by
/// POST is a read and is not audited).
async fn audited(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    if method == axum::http::Method::GET || path.ends_with("/.search") {
        return next.run(request).await;
    }
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    // The path as the client sent it, with the base path that routing took off.
    let full_path = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| path.clone(), |uri| uri.path().to_string());
    let named = async {
        crate::audit::set_request(method.as_str(), &full_path, &request_id);
        next.run(request).await
    };
    let (response, caller, writes) = crate::audit::recorded(named).await;
    tracing::info!(
        target: "scim2ldap::audit",
        caller = caller.as_deref().unwrap_or("-"),
        method = %method,
        path,
        status = response.status().as_u16(),
        writes,
        "write"
    );
    response
}

/// Counts and times every request by route template, method and status, each from a closed set of
/// values (`crate::metrics::route_label`), so that junk requests add no series; and bounds its time:
/// a request that takes longer is answered 503 (the directory is slow), and counted as such. Routing
/// has happened when a `Router::layer` middleware runs.
async fn measured_within_limit(State((metrics, limit)): State<(Arc<Metrics>, Duration)>, request: Request, next: Next) -> Response {
    // A clone of the matched template is a reference count, not a copy of the text.
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let route = crate::metrics::route_label(matched.as_ref().map(MatchedPath::as_str));
    let method = crate::metrics::method_label(request.method().as_str());
    let started = std::time::Instant::now();
    let response = match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::error!(
                status = 503,
                limit_ms = limit.as_millis(),
                "request failed: it took longer than server.request_timeout_ms"
            );
            ErrorResponse(ScimError::new(503, None, "the request took too long; retry later")).into_response()
        }
    };
    let code = response.status();
    let status = crate::metrics::status_label(&code);
    metrics.increment(
        "scim2ldap_http_requests_total",
        &[("route", route), ("method", method), ("status", status)],
    );
    metrics.observe(
        "scim2ldap_http_request_seconds",
        &[("route", route), ("method", method)],
        started.elapsed(),
    );
    response
}

/// Serves whatever application `live` holds when each request arrives, so that a reload can swap it:
/// requests in flight finish on the application they started on. Stops like `serve`.
pub async fn serve_live(
    listener: TcpListener,
    live: Arc<std::sync::RwLock<Router>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let dispatch = Router::new().fallback_service(tower::service_fn(move |request: Request| {
        let current = live
            .read()
            .map(|r| r.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone());
        tower::ServiceExt::oneshot(current, request)
    }));
    axum::serve(
        without_nagle(listener),
        dispatch.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(listener: TcpListener, app: App, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    // The peer's address reaches the handlers (ConnectInfo), for the log line of a refused token.
    axum::serve(
        without_nagle(listener),
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Sends each response as soon as it is written: with Nagle's algorithm, the tail of a large list
/// waits for the client's delayed acknowledgement (up to 40 ms on Linux).
fn without_nagle(listener: TcpListener) -> TapIo<TcpListener, fn(&mut TcpStream)> {
    listener.tap_io(|stream| {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    })
}
