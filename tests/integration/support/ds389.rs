//! A private 389 Directory Server per test: built in a temp dir by `scripts/ds389-sandbox.sh`, on a
//! free loopback port, stopped on drop.

use std::path::Path;
use std::process::Child;

use super::endpoint::{free_port, ready_or_panic, serves_endpoint, spawn_sandbox, Endpoint};

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
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let port = free_port();
        let child = spawn_sandbox("ds389-sandbox.sh", dir.path(), &port.to_string());
        let mut endpoint = Endpoint::new(format!("ldap://127.0.0.1:{port}"), ROOT_DN, ROOT_PW, SUFFIX, "mappings/389ds.yaml");
        // 389 DS takes passwords over a secure connection only, which LDAPI counts as.
        let socket = dir.path().join("root/run/slapd-scim.socket").display().to_string();
        endpoint.set_gateway("SCIM2LDAP__LDAP__URL", format!("ldapi://{}", socket.replace('/', "%2F")));
        let mut server = Ds389 {
            child,
            endpoint,
            _dir: dir,
        };
        ready_or_panic(
            &server.endpoint,
            &mut server.child,
            server._dir.path(),
            &format!("389 DS on port {port}"),
        )
        .await;
        for ou in ["people", "groups"] {
            let dn = format!("ou={ou},{SUFFIX}");
            server.add(&dn, &[("objectClass", &["organizationalUnit"]), ("ou", &[ou])]).await;
        }
        server
    }
}

serves_endpoint!(Ds389);

impl Drop for Ds389 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
