//! A private Samba Active Directory domain controller per test: provisioned in a temp dir by
//! `scripts/samba-sandbox.sh` on a loopback address of its own (AD's ports are fixed), stopped on
//! drop. The gateway reaches it over LDAPS with the sandbox's CA; the tests read over plain LDAP.

use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU8, Ordering};

use super::endpoint::{ready_or_panic, serves_endpoint, spawn_sandbox, Endpoint};

pub const SUFFIX: &str = "dc=example,dc=org";
pub const ADMIN_DN: &str = "cn=Administrator,cn=Users,dc=example,dc=org";
pub const ADMIN_PW: &str = "Adm1n-Secret!";
/// The DNS domain: `samba-tool user create NAME` gives the account the UPN `NAME@example.org`.
pub const REALM: &str = "example.org";

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
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let address = free_address();
        let child = spawn_sandbox("samba-sandbox.sh", dir.path(), &address.to_string());
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
        ready_or_panic(
            &server.endpoint,
            &mut server.child,
            server._dir.path(),
            &format!("Samba AD on {address}"),
        )
        .await;
        server
    }
}

impl SambaDc {
    /// Runs `samba-tool` on this domain controller's own database (its smb.conf), as an administrator
    /// does on the DC itself: `samba.samba_tool(&["user", "create", "jdoe", "Pa55-word!"])`.
    pub fn samba_tool(&self, args: &[&str]) {
        let conf = self._dir.path().join("dc/etc/smb.conf");
        let output = Command::new("samba-tool")
            .args(args)
            .arg("-s")
            .arg(&conf)
            .output()
            .unwrap_or_else(|e| panic!("cannot run samba-tool: {e}"));
        assert!(
            output.status.success(),
            "samba-tool {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

serves_endpoint!(SambaDc);

impl Drop for SambaDc {
    fn drop(&mut self) {
        // TERM lets the root process stop its workers; a kill would leave them running.
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}
