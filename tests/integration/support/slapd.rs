//! A private slapd per test: built in a temp dir by `scripts/slapd-sandbox.sh`, on a free loopback
//! port, killed on drop.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ldap3::{LdapConnAsync, Scope, SearchEntry};

pub const SUFFIX: &str = "dc=example,dc=org";
pub const ROOT_DN: &str = "cn=admin,dc=example,dc=org";
pub const ROOT_PW: &str = "secret";

pub struct Slapd {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    pub url: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

impl Slapd {
    /// Starts slapd with the base tree and the given LDIF files; fails loudly when slapd is missing.
    pub async fn start(ldifs: &[&str]) -> Slapd {
        Self::start_with_env(ldifs, &[]).await
    }

    /// As `start`, with environment for the sandbox script (such as `SLAPD_TLS_CERT`).
    pub async fn start_with_env(ldifs: &[&str], env: &[(&str, &str)]) -> Slapd {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(
            Path::new("/usr/sbin/slapd").exists(),
            "slapd is not installed: run scripts/install-deps.sh (the integration tests need a real OpenLDAP)"
        );
        for attempt in 0..3 {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
            let port = free_port();
            let mut command = Command::new("bash");
            command
                .arg(root.join("scripts/slapd-sandbox.sh"))
                .arg(dir.path())
                .arg(port.to_string());
            for ldif in ldifs {
                command.arg(root.join(ldif));
            }
            command.envs(env.iter().copied());
            let child = command
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run slapd-sandbox.sh: {e}"));
            let mut slapd = Slapd {
                child,
                dir,
                port,
                url: format!("ldap://127.0.0.1:{port}"),
            };
            if slapd.wait_ready(Duration::from_secs(120)).await {
                return slapd;
            }
            eprintln!("slapd did not start on port {port} (attempt {attempt})");
        }
        panic!("slapd did not start: see scripts/slapd-sandbox.sh");
    }

    /// Kills slapd at once (SIGKILL), as a crash would; the data stays for `restart`.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops (SIGSTOP) or resumes (SIGCONT) slapd: a directory that accepts connections but answers
    /// nothing, as a hung server would.
    pub fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -{signal} slapd");
    }

    /// Starts slapd again on the same port and data, and waits until it answers.
    pub async fn restart(&mut self) {
        let socket = self.dir.path().join("ldapi");
        let _ = std::fs::remove_file(&socket);
        let encoded: String = socket.to_string_lossy().replace('/', "%2F");
        self.child = Command::new("/usr/sbin/slapd")
            .args(["-d", "0", "-F"])
            .arg(self.dir.path().join("config"))
            .arg("-h")
            .arg(format!("ldap://127.0.0.1:{}/ ldapi://{encoded}", self.port))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot restart slapd: {e}"));
        assert!(self.wait_ready(Duration::from_secs(30)).await, "slapd did not restart");
    }

    async fn wait_ready(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok((conn, mut ldap)) = LdapConnAsync::new(&self.url).await {
                ldap3::drive!(conn);
                if ldap.simple_bind(ROOT_DN, ROOT_PW).await.and_then(|r| r.success()).is_ok() {
                    return true;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    async fn connect(&self) -> ldap3::Ldap {
        let (conn, mut ldap) = LdapConnAsync::new(&self.url).await.unwrap_or_else(|e| panic!("connect: {e}"));
        ldap3::drive!(conn);
        ldap.simple_bind(ROOT_DN, ROOT_PW)
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

    /// The values of one attribute of the entry at `dn` (empty when the entry or attribute is absent).
    pub async fn values(&self, dn: &str, attr: &str) -> Vec<String> {
        self.entry(dn)
            .await
            .and_then(|e| e.get(&attr.to_ascii_lowercase()).cloned())
            .unwrap_or_default()
    }

    /// The entries under the suffix that match an LDAP filter, with the named attributes (keys
    /// lower-cased).
    pub async fn entries(&self, filter: &str, attrs: &[&str]) -> Vec<HashMap<String, Vec<String>>> {
        let mut ldap = self.connect().await;
        let found = ldap
            .search(SUFFIX, Scope::Subtree, filter, attrs.to_vec())
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
            .search(SUFFIX, Scope::Subtree, filter, vec!["1.1"])
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
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
