//! What every test directory offers: where it listens, its administrator and suffix, and reads of
//! its entries to check what the gateway wrote.

use std::collections::HashMap;
use std::process::Child;
use std::time::{Duration, Instant};

use ldap3::{LdapConnAsync, Scope, SearchEntry};

/// A free TCP port on 127.0.0.1 for a server this test process starts, never the same twice: the
/// probe's port is free again once it returns, and the kernel may offer it to the next probe before
/// the first server has bound it, so that two directories started at once would share one port
/// (the second fails to listen, and its tests talk to the first, until that one stops).
pub fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port: {e}"));
        let mut handed_out = HANDED_OUT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !handed_out.contains(&port) {
            handed_out.push(port);
            return port;
        }
    }
}

pub struct Endpoint {
    /// Where the tests read and bind (plain LDAP).
    pub url: String,
    pub bind_dn: String,
    pub password: String,
    pub suffix: String,
    /// The gateway's settings for this directory (`SCIM2LDAP__*`): URL, bind, TLS, shipped mapping.
    pub gateway: Vec<(String, String)>,
}

/// A running test directory.
pub trait Server {
    fn endpoint(&self) -> &Endpoint;
}

/// Makes a directory type a `Server`, and lets its `endpoint` field's reads be called on it.
macro_rules! serves_endpoint {
    ($server:ty) => {
        impl super::endpoint::Server for $server {
            fn endpoint(&self) -> &super::endpoint::Endpoint {
                &self.endpoint
            }
        }

        impl std::ops::Deref for $server {
            type Target = super::endpoint::Endpoint;

            fn deref(&self) -> &Self::Target {
                &self.endpoint
            }
        }
    };
}
pub(crate) use serves_endpoint;

/// Runs a sandbox script (`scripts/NAME DIR ARG`) whose last step runs the directory in the
/// foreground; its errors go to `DIR/sandbox.log`.
pub fn spawn_sandbox(script: &str, dir: &std::path::Path, arg: &str) -> Child {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts").join(script);
    let log = std::fs::File::create(dir.join("sandbox.log")).unwrap_or_else(|e| panic!("{e}"));
    std::process::Command::new("bash")
        .arg(path)
        .arg(dir)
        .arg(arg)
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {script}: {e}"))
}

/// Waits until the directory answers, or fails the test with the sandbox's log.
pub async fn ready_or_panic(endpoint: &Endpoint, server: &mut Child, dir: &std::path::Path, what: &str) {
    if !endpoint.wait_ready(server, Duration::from_secs(120)).await {
        let log = std::fs::read_to_string(dir.join("sandbox.log")).unwrap_or_else(|e| format!("(sandbox.log unreadable: {e})"));
        panic!("{what} did not start: {log}");
    }
}

impl<T: Server> Server for std::sync::Arc<T> {
    fn endpoint(&self) -> &Endpoint {
        (**self).endpoint()
    }
}

impl Endpoint {
    /// The settings of a gateway in front of a directory at `url` with `mapping` (below the repository).
    pub fn new(url: String, bind_dn: &str, password: &str, suffix: &str, mapping: &str) -> Endpoint {
        let root = env!("CARGO_MANIFEST_DIR");
        let gateway = vec![
            ("SCIM2LDAP__LDAP__URL".to_string(), url.clone()),
            ("SCIM2LDAP__LDAP__BIND_DN".to_string(), bind_dn.to_string()),
            ("SCIM2LDAP__LDAP__BIND_PASSWORD".to_string(), password.to_string()),
            ("SCIM2LDAP__LDAP__BASE_DN".to_string(), suffix.to_string()),
            ("SCIM2LDAP__MAPPING".to_string(), format!("{root}/{mapping}")),
        ];
        Endpoint {
            url,
            bind_dn: bind_dn.to_string(),
            password: password.to_string(),
            suffix: suffix.to_string(),
            gateway,
        }
    }

    /// Sets one of the gateway's settings for this directory.
    pub fn set_gateway(&mut self, key: &str, value: String) {
        self.gateway.retain(|(k, _)| k != key);
        self.gateway.push((key.to_string(), value));
    }

    /// Whether a simple bind as `dn` with `password` succeeds.
    pub async fn binds(&self, dn: &str, password: &str) -> bool {
        let Ok((conn, mut ldap)) = LdapConnAsync::new(&self.url).await else {
            return false;
        };
        ldap3::drive!(conn);
        ldap.simple_bind(dn, password).await.and_then(|r| r.success()).is_ok()
    }

    /// Waits until the administrator can bind, or `server` exits, or `limit` passes.
    pub async fn wait_ready(&self, server: &mut Child, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = server.try_wait() {
                return false;
            }
            if self.binds(&self.bind_dn, &self.password).await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    pub async fn connect(&self) -> ldap3::Ldap {
        let (conn, mut ldap) = LdapConnAsync::new(&self.url).await.unwrap_or_else(|e| panic!("connect: {e}"));
        ldap3::drive!(conn);
        ldap.simple_bind(&self.bind_dn, &self.password)
            .await
            .and_then(|r| r.success())
            .unwrap_or_else(|e| panic!("bind: {e}"));
        ldap
    }

    /// The entry at `dn` with the named attributes (operational ones included), keys lower-cased.
    pub async fn entry(&self, dn: &str) -> Option<HashMap<String, Vec<String>>> {
        let mut ldap = self.connect().await;
        let found = ldap
            .search(dn, Scope::Base, "(objectClass=*)", vec!["*", "+"])
            .await
            .ok()?
            .success()
            .ok()?;
        found.0.into_iter().next().map(|e| {
            SearchEntry::construct(e)
                .attrs
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect()
        })
    }

    /// The entry at `dn`, which the test expects to be there: a missing one fails the test by name
    /// rather than reading as an entry without attributes.
    pub async fn existing_entry(&self, dn: &str) -> HashMap<String, Vec<String>> {
        self.entry(dn).await.unwrap_or_else(|| panic!("no entry {dn} in the directory"))
    }

    /// The values of one attribute of the entry at `dn`, which the test expects to be there: empty
    /// when the attribute is absent, and a missing entry fails the test (so that "no value left"
    /// cannot pass for a DN that names nothing).
    pub async fn values(&self, dn: &str, attr: &str) -> Vec<String> {
        self.existing_entry(dn).await.remove(&attr.to_ascii_lowercase()).unwrap_or_default()
    }

    /// The entries under the suffix that match an LDAP filter, with the named attributes (keys
    /// lower-cased).
    pub async fn entries(&self, filter: &str, attrs: &[&str]) -> Vec<HashMap<String, Vec<String>>> {
        let mut ldap = self.connect().await;
        let found = ldap
            .search(&self.suffix, Scope::Subtree, filter, attrs.to_vec())
            .await
            .and_then(|r| r.success())
            .unwrap_or_else(|e| panic!("search {filter}: {e}"));
        found
            .0
            .into_iter()
            .map(|e| {
                SearchEntry::construct(e)
                    .attrs
                    .into_iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v))
                    .collect()
            })
            .collect()
    }

    /// DNs under the suffix that match an LDAP filter.
    pub async fn find(&self, filter: &str) -> Vec<String> {
        let mut ldap = self.connect().await;
        let found = ldap
            .search(&self.suffix, Scope::Subtree, filter, vec!["1.1"])
            .await
            .and_then(|r| r.success())
            .unwrap_or_else(|e| panic!("search {filter}: {e}"));
        found.0.into_iter().map(|e| SearchEntry::construct(e).dn).collect()
    }

    pub async fn delete(&self, dn: &str) {
        let mut ldap = self.connect().await;
        ldap.delete(dn)
            .await
            .and_then(|r| r.success())
            .unwrap_or_else(|e| panic!("delete {dn}: {e}"));
    }

    pub async fn rename(&self, dn: &str, new_rdn: &str) {
        let mut ldap = self.connect().await;
        ldap.modifydn(dn, new_rdn, true, None)
            .await
            .and_then(|r| r.success())
            .unwrap_or_else(|e| panic!("rename {dn}: {e}"));
    }

    /// Adds an entry of the given attributes.
    pub async fn add(&self, dn: &str, attrs: &[(&str, &[&str])]) {
        let mut ldap = self.connect().await;
        let attrs: Vec<(&str, std::collections::HashSet<&str>)> = attrs
            .iter()
            .map(|(name, values)| (*name, values.iter().copied().collect()))
            .collect();
        ldap.add(dn, attrs)
            .await
            .and_then(|r| r.success())
            .unwrap_or_else(|e| panic!("add {dn}: {e}"));
    }
}

impl Endpoint {
    /// Loads LDIF the way administrators and HR scripts fill a directory: the `ldapadd` binary with
    /// the administrator's bind, not the gateway and not ldap3 writes. Fails the test with ldapadd's
    /// own message.
    pub fn ldapadd(&self, ldif: &str) {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let mut child = Command::new("ldapadd")
            .args(["-x", "-H", &self.url, "-D", &self.bind_dn, "-w", &self.password])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run ldapadd (ldap-utils): {e}"));
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(ldif.as_bytes()).unwrap_or_else(|e| panic!("ldapadd stdin: {e}"));
        }
        let output = child.wait_with_output().unwrap_or_else(|e| panic!("ldapadd: {e}"));
        assert!(
            output.status.success(),
            "ldapadd into {} failed: {}",
            self.url,
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
