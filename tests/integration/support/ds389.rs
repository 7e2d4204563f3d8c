//! A private 389 Directory Server per test: built in a temp dir by `scripts/ds389-sandbox.sh`, on a
//! free loopback port, stopped on drop.

use std::ops::Deref;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::endpoint::{free_port, Endpoint, Server};

pub const SUFFIX: &str = "dc=example,dc=org";
pub const ROOT_DN: &str = "cn=Directory Manager";
pub const ROOT_PW: &str = "secret12";

pub struct Ds389 {
    child: Child,
    _dir: tempfile::TempDir,
    endpoint: Endpoint,
}

impl Ds389 {
    /// Starts an instance with ou=people and ou=groups; fails loudly when 389 DS is missing.
    pub async fn start() -> Ds389 {
        assert!(
            Path::new("/usr/sbin/dscreate").exists(),
            "389-ds-base is not installed: run scripts/install-deps.sh"
        );
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/ds389-sandbox.sh");
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("sandbox.log")).unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new("bash")
            .arg(script)
            .arg(dir.path())
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run ds389-sandbox.sh: {e}"));
        let mut endpoint = Endpoint::new(format!("ldap://127.0.0.1:{port}"), ROOT_DN, ROOT_PW, SUFFIX, "mappings/389ds.yaml");
        // 389 DS takes passwords over a secure connection only, which LDAPI counts as.
        let socket = dir.path().join("root/run/slapd-scim.socket").display().to_string();
        endpoint.set_gateway("SCIM2LDAP__LDAP__URL", format!("ldapi://{}", socket.replace('/', "%2F")));
        let mut server = Ds389 {
            child,
            endpoint,
            _dir: dir,
        };
        if !server.endpoint.wait_ready(&mut server.child, Duration::from_secs(120)).await {
            let log = std::fs::read_to_string(server._dir.path().join("sandbox.log")).unwrap_or_default();
            panic!("389 DS did not start on port {port}: {log}");
        }
        for ou in ["people", "groups"] {
            let dn = format!("ou={ou},{SUFFIX}");
            server.add(&dn, &[("objectClass", &["organizationalUnit"]), ("ou", &[ou])]).await;
        }
        server
    }
}

impl Server for Ds389 {
    fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl Deref for Ds389 {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl Drop for Ds389 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
