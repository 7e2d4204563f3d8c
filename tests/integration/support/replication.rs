//! Two OpenLDAP providers in multi-provider replication (syncprov + refreshAndPersist syncrepl each
//! way, `olcMultiProvider`), built offline from a cn=config of their own in temp dirs, on free
//! loopback ports, killed on drop. The first holds the base tree; the second starts empty and pulls
//! it, as a provider added to a running directory would.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::endpoint::{free_port, serves_endpoint, Endpoint};
use super::eventually;
use super::slapd::{ROOT_DN, ROOT_PW, SUFFIX};

/// One provider: a slapd process with its server id, replicating from its peer.
pub struct Provider {
    server_id: u32,
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    endpoint: Endpoint,
}

serves_endpoint!(Provider);

/// Both providers; the gateway's settings name both URLs, the first one first.
pub struct Providers {
    pub first: Provider,
    pub second: Provider,
    endpoint: Endpoint,
}

serves_endpoint!(Providers);

impl Providers {
    /// Starts both and waits until the second has pulled the base tree from the first.
    pub async fn start() -> Providers {
        let first_port = free_port();
        let second_port = (0..20)
            .map(|_| free_port())
            .find(|p| *p != first_port)
            .unwrap_or_else(|| panic!("no second port"));
        let first = Provider::start(1, first_port, second_port, true).await;
        let second = Provider::start(2, second_port, first_port, false).await;
        let urls = format!("{} {}", first.url, second.url);
        let endpoint = Endpoint::new(urls, ROOT_DN, ROOT_PW, SUFFIX, "mappings/openldap.yaml");
        let providers = Providers { first, second, endpoint };
        let people = format!("ou=people,{SUFFIX}");
        assert!(
            eventually(100, Duration::from_millis(50), || async {
                providers.second.entry(&people).await.is_some()
            })
            .await,
            "the second provider did not pull the base tree from the first"
        );
        providers
    }
}

impl Provider {
    async fn start(server_id: u32, port: u16, peer_port: u16, with_base: bool) -> Provider {
        assert!(
            Path::new("/usr/sbin/slapd").exists() && Path::new("/usr/lib/ldap/syncprov.so").exists(),
            "slapd with syncprov is not installed: run scripts/install-deps.sh"
        );
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        for sub in ["config", "data"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap_or_else(|e| panic!("{e}"));
        }
        let config = dir.path().join("config.ldif");
        std::fs::write(&config, config_ldif(dir.path(), server_id, peer_port)).unwrap_or_else(|e| panic!("{e}"));
        slapadd(dir.path(), &["-n0", "-l"], &config);
        if with_base {
            let base = dir.path().join("base.ldif");
            std::fs::write(&base, BASE_LDIF).unwrap_or_else(|e| panic!("{e}"));
            slapadd(dir.path(), &["-n1", "-S", &server_id.to_string(), "-l"], &base);
        }
        let mut provider = Provider {
            server_id,
            child: spawn(dir.path(), port),
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
        assert!(
            provider.endpoint.wait_ready(&mut provider.child, Duration::from_secs(30)).await,
            "provider {server_id} did not start"
        );
        provider
    }

    /// Kills the provider at once (SIGKILL), as a crash would; its data stays for `restart`.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the provider again after `kill`, on its port and data; it catches up with its peer by
    /// itself. First, offline, a no-op modify of the suffix with `slapmodify -w` moves the
    /// contextCSN past every change in the database: slapd 2.5 killed between a write's commit and
    /// its contextCSN update restarts with a contextCSN older than that write, and its peer, whose
    /// cookie already covers that contextCSN, would never be sent the write.
    pub async fn restart_after_crash(&mut self) {
        let touch = self.dir.path().join("touch.ldif");
        let ldif = format!("dn: {SUFFIX}\nchangetype: modify\nreplace: o\no: scim2ldap replicas\n");
        std::fs::write(&touch, ldif).unwrap_or_else(|e| panic!("{e}"));
        let status = Command::new("/usr/sbin/slapmodify")
            .args(["-q", "-w", "-S", &self.server_id.to_string(), "-n1", "-F"])
            .arg(self.dir.path().join("config"))
            .arg("-l")
            .arg(&touch)
            .stdout(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("slapmodify: {e}"));
        assert!(status.success(), "slapmodify -w failed");
        self.restart().await;
    }

    /// Starts the provider again on its port and data; it catches up with its peer by itself.
    pub async fn restart(&mut self) {
        self.child = spawn(self.dir.path(), self.port);
        assert!(
            self.endpoint.wait_ready(&mut self.child, Duration::from_secs(30)).await,
            "provider did not restart"
        );
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn slapadd(dir: &Path, args: &[&str], ldif: &Path) {
    let status = Command::new("/usr/sbin/slapadd")
        .arg("-q")
        .arg("-F")
        .arg(dir.join("config"))
        .args(args)
        .arg(ldif)
        .stdout(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("slapadd: {e}"));
    assert!(status.success(), "slapadd {args:?} failed");
}

fn spawn(dir: &Path, port: u16) -> Child {
    Command::new("/usr/sbin/slapd")
        .args(["-d", "0", "-F"])
        .arg(dir.join("config"))
        .arg("-h")
        .arg(format!("ldap://127.0.0.1:{port}/"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start slapd: {e}"))
}

/// The sandbox's configuration (the overlays and schemas the shipped mapping needs) with replication:
/// a server id, syncprov, and a syncrepl consumer of the peer on the same database.
fn config_ldif(dir: &Path, server_id: u32, peer_port: u16) -> String {
    let dir = dir.display();
    format!(
        "dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {dir}/slapd.pid
olcServerID: {server_id}

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: syncprov
olcModuleLoad: memberof
olcModuleLoad: refint
olcModuleLoad: ppolicy
olcModuleLoad: sssvlv

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif
include: file:///etc/ldap/schema/nis.ldif

dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend
olcSizeLimit: unlimited

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {SUFFIX}
olcRootDN: {ROOT_DN}
olcRootPW: {ROOT_PW}
olcDbDirectory: {dir}/data
olcDbMaxSize: 1073741824
olcDbNoSync: TRUE
olcDbIndex: objectClass eq
olcDbIndex: uid eq
olcDbIndex: mail eq
olcDbIndex: cn eq
olcDbIndex: member eq
olcDbIndex: entryUUID eq
olcDbIndex: entryCSN eq
olcSyncrepl: rid={server_id:03} provider=ldap://127.0.0.1:{peer_port} bindmethod=simple binddn=\"{ROOT_DN}\" credentials={ROOT_PW} searchbase=\"{SUFFIX}\" type=refreshAndPersist retry=\"1 +\" timeout=3
olcMultiProvider: TRUE
olcAccess: {{0}}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {{1}}to * by users read by * none

dn: olcOverlay={{0}}syncprov,olcDatabase={{1}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcSyncProvConfig
olcOverlay: {{0}}syncprov
olcSpCheckpoint: 100 1

dn: olcOverlay={{1}}memberof,olcDatabase={{1}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {{1}}memberof
olcMemberOfRefInt: TRUE

dn: olcOverlay={{2}}ppolicy,olcDatabase={{1}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {{2}}ppolicy
olcPPolicyDefault: cn=default,ou=policies,{SUFFIX}

dn: olcOverlay={{3}}sssvlv,olcDatabase={{1}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcSssVlvConfig
olcOverlay: {{3}}sssvlv
"
    )
}

const BASE_LDIF: &str = "dn: dc=example,dc=org
objectClass: top
objectClass: dcObject
objectClass: organization
o: scim2ldap replicas
dc: example

dn: ou=people,dc=example,dc=org
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=org
objectClass: organizationalUnit
ou: groups

dn: ou=policies,dc=example,dc=org
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,dc=example,dc=org
objectClass: device
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
";
