//! Test support: real directories (slapd, 389 DS, Samba AD) and the gateway in-process on a free
//! port.

pub mod ds389;
pub mod endpoint;
pub mod process;
pub mod replication;
pub mod samba;
pub mod slapd;

use std::time::Duration;

use reqwest::{Method, Response};
use scim2ldap::config::Config;
use serde_json::Value;
use tokio::sync::oneshot;

pub use ds389::Ds389;
pub use endpoint::{Endpoint, Server};
pub use replication::Providers;
pub use samba::SambaDc;
pub use slapd::Slapd;

pub const TOKEN: &str = "test-token-0123456789abcdef";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The gateway on a free port in front of its own directory (slapd unless said otherwise).
pub struct Gateway<S = Slapd> {
    pub base: String,
    pub client: reqwest::Client,
    pub slapd: S,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Gateway {
    /// A gateway with the default mapping, on an empty directory.
    pub async fn start() -> Gateway {
        Self::start_with(&[], &[]).await
    }

    /// A gateway whose directory holds `ldifs`, with extra `SCIM2LDAP__*` settings.
    pub async fn start_with(ldifs: &[&str], settings: &[(&str, &str)]) -> Gateway {
        Self::attach(Slapd::start(ldifs).await, settings).await
    }

    /// The configuration of a gateway in front of `directory` (with its shipped mapping), with extra
    /// `SCIM2LDAP__*` settings.
    pub fn config(directory: &Endpoint, settings: &[(&str, &str)]) -> Result<Config, String> {
        let mut env = directory.gateway.clone();
        env.push(("SCIM2LDAP__AUTH__TOKEN".into(), TOKEN.into()));
        env.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Config::load_from(None, env).map_err(|e| e.to_string())
    }
}

impl<S: Server> Gateway<S> {
    /// A gateway in front of an already started directory.
    pub async fn attach(slapd: S, settings: &[(&str, &str)]) -> Gateway<S> {
        let config = Gateway::config(slapd.endpoint(), settings).unwrap_or_else(|e| panic!("config: {e}"));
        let state = scim2ldap::app::build(&config).await.unwrap_or_else(|e| panic!("build: {e}"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("addr: {e}"));
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(scim2ldap::http::serve(listener, state, async move {
            let _ = rx.await;
        }));
        Gateway {
            base: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_else(|e| panic!("client: {e}")),
            slapd,
            shutdown: Some(tx),
        }
    }
}

impl<S> Gateway<S> {
    /// Sends a SCIM request with the test token; `path` is below `/scim/v2`.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let response = self.raw(method, &format!("/scim/v2{path}"), body, Some(TOKEN)).await;
        read(response).await
    }

    pub async fn raw(&self, method: Method, path: &str, body: Option<Value>, token: Option<&str>) -> Response {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/scim+json").body(body.to_string());
        }
        request.send().await.unwrap_or_else(|e| panic!("request {path}: {e}"))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, ops: Value) -> (u16, Value) {
        let body = serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates a user and returns its SCIM id.
    pub async fn create_user(&self, body: Value) -> String {
        let (status, created) = self.post("/Users", body).await;
        assert_eq!(status, 201, "{created}");
        created["id"].as_str().unwrap_or_else(|| panic!("no id in {created}")).to_string()
    }
}

impl<S> Drop for Gateway<S> {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// LDIF for users `{prefix}{i}` (minimal inetOrgPerson entries), to load offline with `Slapd::start`.
pub fn people_ldif(prefix: &str, count: usize) -> String {
    (0..count)
        .map(|i| format!("dn: uid={prefix}{i},ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: {prefix}{i}\ncn: {prefix}{i}\nsn: {prefix}{i}\n\n"))
        .collect()
}

/// A group's member ids, sorted.
pub fn member_ids(group: &Value) -> Vec<String> {
    let mut ids: Vec<String> = group["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["value"].as_str().map(str::to_string))
        .collect();
    ids.sort();
    ids
}

/// A resource's SCIM `id`; a body without one fails the test, showing the body.
pub fn id_of(resource: &Value) -> &str {
    resource["id"].as_str().unwrap_or_else(|| panic!("no id in {resource}"))
}

/// The `id` of the first resource of a list response (a search expected to find something).
pub fn first_id(list: &Value) -> &str {
    list["Resources"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no first resource id in {list}"))
}

/// The path below `/scim/v2` of a resource `location` (as in `meta.location` or a bulk answer).
pub fn scim_path(location: &str) -> &str {
    location
        .split("/scim/v2")
        .nth(1)
        .unwrap_or_else(|| panic!("{location} is not below /scim/v2"))
}

/// A file the test wrote or the repository ships, as text.
pub fn read_text(path: impl AsRef<std::path::Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// `text` as a JSON string literal (for a SCIM filter value).
pub fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|e| panic!("{text:?} as JSON: {e}"))
}

/// A temporary path as the `&str` settings and LDIF lists take.
pub fn path_str(path: &std::path::Path) -> &str {
    path.to_str().unwrap_or_else(|| panic!("{} is not UTF-8", path.display()))
}

/// The message of what the test expects to be refused; success fails the test.
pub fn refusal<T, E: std::fmt::Display>(result: Result<T, E>) -> String {
    match result {
        Ok(_) => panic!("accepted what should have been refused"),
        Err(e) => e.to_string(),
    }
}

/// A response's body as text; a body that cannot be read fails the test with the status.
pub async fn body_text(response: Response) -> String {
    let status = response.status().as_u16();
    response.text().await.unwrap_or_else(|e| panic!("{status} body unreadable: {e}"))
}

/// Status and JSON body (Null when empty).
pub async fn read(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = body_text(response).await;
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status} body is not JSON ({e}): {text}"))
    };
    (status, body)
}

/// Asserts an RFC 7644 §3.12 error document.
pub fn assert_scim_error(status: u16, body: &Value, expected_status: u16, scim_type: Option<&str>) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error", "{body}");
    assert_eq!(body["status"], expected_status.to_string(), "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
    match scim_type {
        Some(t) => assert_eq!(body["scimType"], t, "{body}"),
        None => assert!(body.get("scimType").is_none(), "{body}"),
    }
}

/// Whether `check` holds within `attempts` tries, `every` apart: for what the gateway does in the
/// background (reconnecting, reloading).
pub async fn eventually<F, Fut>(attempts: usize, every: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..attempts {
        if check().await {
            return true;
        }
        tokio::time::sleep(every).await;
    }
    false
}

/// The gateway's `/metrics` exposition (which needs no token).
pub async fn metrics(gw: &Gateway) -> String {
    let response = gw.raw(Method::GET, "/metrics", None, None).await;
    assert_eq!(response.status(), 200, "/metrics needs no token");
    response.text().await.unwrap_or_else(|e| panic!("/metrics: {e}"))
}
