//! The gateway binary itself, run as its own process: for what only the binary shows (its log lines,
//! its command-line tools).

use std::time::Duration;

use super::{eventually, Slapd};

pub const SHIPPED_MAPPING: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/mappings/openldap.yaml");

/// The `scim2ldap` binary, configured by environment for `slapd` and `mapping`.
pub fn scim2ldap_command(slapd: &Slapd, mapping: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_scim2ldap"));
    command
        .env("SCIM2LDAP__LDAP__URL", &slapd.url)
        .env("SCIM2LDAP__LDAP__BIND_DN", crate::support::slapd::ROOT_DN)
        .env("SCIM2LDAP__LDAP__BIND_PASSWORD", crate::support::slapd::ROOT_PW)
        .env("SCIM2LDAP__LDAP__BASE_DN", crate::support::slapd::SUFFIX)
        .env("SCIM2LDAP__MAPPING", mapping)
        .env("SCIM2LDAP__AUTH__TOKEN", crate::support::TOKEN);
    command
}

/// The gateway binary itself, as its own process with JSON logs, in front of `slapd`.
pub(crate) struct Process {
    pub(crate) child: std::process::Child,
    pub(crate) base: String,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn spawn_gateway(slapd: &Slapd, log: &std::path::Path) -> Process {
    let port = super::endpoint::free_port();
    let child = scim2ldap_command(slapd, std::path::Path::new(SHIPPED_MAPPING))
        .arg("serve")
        .env("SCIM2LDAP__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("SCIM2LDAP__LOG__FORMAT", "json")
        .env("SCIM2LDAP__LOG__LEVEL", "info")
        .env_remove("RUST_LOG")
        .stdout(std::fs::File::create(log).unwrap_or_else(|e| panic!("{e}")))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let process = Process {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let started = eventually(100, Duration::from_millis(50), || async {
        reqwest::get(format!("{}/readyz", process.base))
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    assert!(started, "the gateway did not start");
    process
}
