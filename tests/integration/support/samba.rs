//! A private Samba Active Directory domain controller per test: provisioned in a temp dir by
//! `scripts/samba-sandbox.sh` on a loopback address of its own (AD's ports are fixed), stopped on
//! drop. The gateway reaches it over LDAPS with the sandbox's CA; the tests read over plain LDAP.

use std::net::{Ipv4Addr, TcpListener};
use std::ops::Deref;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use super::endpoint::{Endpoint, Server};

pub const SUFFIX: &str = "dc=example,dc=org";
pub const ADMIN_DN: &str = "cn=Administrator,cn=Users,dc=example,dc=org";
pub const ADMIN_PW: &str = "Adm1n-Secret!";

pub struct SambaDc {
    child: Child,
    _dir: tempfile::TempDir,
    endpoint: Endpoint,
}

/// The next loopback address whose LDAP port nobody holds, from 127.0.0.11 on.
fn free_address() -> Ipv4Addr {
    static NEXT: AtomicU8 = AtomicU8::new(11);
    for _ in 0..240 {
        let last = NEXT.fetch_add(1, Ordering::Relaxed);
        if !(11..=250).contains(&last) {
            NEXT.store(11, Ordering::Relaxed);
            continue;
        }
        let address = Ipv4Addr::new(127, 0, 0, last);
        if TcpListener::bind((address, 389)).is_ok() && TcpListener::bind((address, 636)).is_ok() {
            return address;
        }
    }
    panic!("no loopback address with free LDAP ports in 127.0.0.11-250")
}

impl SambaDc {
    /// Provisions and starts a domain controller; fails loudly when Samba is missing.
    pub async fn start() -> SambaDc {
        assert!(
            Path::new("/usr/bin/samba-tool").exists(),
            "samba is not installed: run scripts/install-deps.sh"
        );
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/samba-sandbox.sh");
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let address = free_address();
        let log = std::fs::File::create(dir.path().join("sandbox.log")).unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new("bash")
            .arg(script)
            .arg(dir.path())
            .arg(address.to_string())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run samba-sandbox.sh: {e}"));
        let mut endpoint = Endpoint::new(
            format!("ldaps://{address}"),
            ADMIN_DN,
            ADMIN_PW,
            SUFFIX,
            "mappings/active-directory.yaml",
        );
        endpoint.url = format!("ldap://{address}");
        endpoint.set_gateway("SCIM2LDAP__LDAP__CA_FILE", dir.path().join("tls/ca.pem").display().to_string());
        let mut server = SambaDc {
            child,
            endpoint,
            _dir: dir,
        };
        if !server.endpoint.wait_ready(&mut server.child, Duration::from_secs(120)).await {
            let log = std::fs::read_to_string(server._dir.path().join("sandbox.log")).unwrap_or_default();
            panic!("Samba AD did not start on {address}: {log}");
        }
        server
    }
}

impl Server for SambaDc {
    fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl Deref for SambaDc {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl Drop for SambaDc {
    fn drop(&mut self) {
        // TERM lets the root process stop its workers; a kill would leave them running.
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}
