//! A private slapd per test: built in a temp dir by `scripts/slapd-sandbox.sh`, on a free loopback
//! port, killed on drop.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::endpoint::{free_port, serves_endpoint, Endpoint};

pub const SUFFIX: &str = "dc=example,dc=org";
pub const ROOT_DN: &str = "cn=admin,dc=example,dc=org";
pub const ROOT_PW: &str = "secret";

pub struct Slapd {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    endpoint: Endpoint,
}

serves_endpoint!(Slapd);

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
                endpoint: Endpoint::new(
                    format!("ldap://127.0.0.1:{port}"),
                    ROOT_DN,
                    ROOT_PW,
                    SUFFIX,
                    "mappings/openldap.yaml",
                ),
            };
            if slapd.endpoint.wait_ready(&mut slapd.child, Duration::from_secs(120)).await {
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

    /// The slapd process (the load benchmark reads its CPU time).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops (SIGSTOP) or resumes (SIGCONT) slapd: a directory that accepts connections but answers
    /// nothing, as a hung server would.
    pub fn signal(&self, signal: &str) {
        let sent = Command::new("kill").arg(format!("-{signal}")).arg(self.pid().to_string()).status();
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
        assert!(
            self.endpoint.wait_ready(&mut self.child, Duration::from_secs(30)).await,
            "slapd did not restart"
        );
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
