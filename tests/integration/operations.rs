//! What an SRE relies on: metrics, readiness that follows the directory, failover between replicas.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::support::{eventually, id_of, path_str, read, read_text, refusal, Gateway, Slapd};

pub(crate) async fn metrics(gw: &Gateway) -> String {
    let response = gw.raw(Method::GET, "/metrics", None, None).await;
    assert_eq!(response.status(), 200, "/metrics needs no token");
    response.text().await.unwrap_or_default()
}

#[tokio::test]
async fn metrics_count_requests_directory_operations_and_cache() {
    let gw = Gateway::start().await;
    let id = gw.create_user(json!({"userName": "counted"})).await;
    for _ in 0..2 {
        let (status, _) = gw.get(&format!("/Users/{id}")).await;
        assert_eq!(status, 200);
    }
    let (status, _) = read(gw.raw(Method::GET, "/scim/v2/Users", None, Some("not-the-token-at-all")).await).await;
    assert_eq!(status, 401);
    let text = metrics(&gw).await;
    for expected in [
        "# TYPE scim2ldap_http_requests_total counter",
        "scim2ldap_http_requests_total{route=\"/scim/v2/Users\",method=\"POST\",status=\"201\"} 1",
        "scim2ldap_http_requests_total{route=\"/scim/v2/Users/{id}\",method=\"GET\",status=\"200\"} 2",
        "scim2ldap_http_requests_total{route=\"/scim/v2/Users\",method=\"GET\",status=\"401\"} 1",
        "scim2ldap_http_request_seconds_count{route=\"/scim/v2/Users/{id}\",method=\"GET\"} 2",
        "scim2ldap_ldap_operations_total{op=\"add\",result=\"0\"} 1",
        "scim2ldap_id_cache_requests_total{result=\"hit\"} 2",
        "# TYPE scim2ldap_ldap_operation_seconds histogram",
        "scim2ldap_ldap_pool_wait_seconds_count",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    let open = format!("scim2ldap_ldap_connections_open{{url=\"{}\"}}", gw.slapd.url);
    assert!(
        text.lines().any(|l| l.starts_with(&open) && !l.ends_with(" 0")),
        "{open} in\n{text}"
    );
}

async fn ready(gw: &Gateway) -> u16 {
    gw.raw(Method::GET, "/readyz", None, None).await.status().as_u16()
}

#[tokio::test]
async fn readiness_follows_the_directory() {
    let mut gw = Gateway::start().await;
    assert_eq!(ready(&gw).await, 200);
    gw.slapd.kill();
    let (status, body) = read(gw.raw(Method::GET, "/readyz", None, None).await).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "503");
    assert_eq!(gw.raw(Method::GET, "/healthz", None, None).await.status(), 200, "the process is up");
    gw.slapd.restart().await;
    let ready_again = eventually(40, Duration::from_millis(50), || async { ready(&gw).await == 200 }).await;
    assert!(ready_again, "ready again without a restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_fail_over_to_the_next_directory() {
    let primary = Slapd::start(&[]).await;
    let replica = Slapd::start(&[]).await;
    let urls = format!("{} {}", primary.url, replica.url);
    let replica_url = replica.url.clone();
    let mut gw = Gateway::attach(primary, &[("SCIM2LDAP__LDAP__URL", &urls), ("SCIM2LDAP__LDAP__TIMEOUT_MS", "1000")]).await;
    let writer = {
        let (client, base) = (gw.client.clone(), gw.base.clone());
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            for i in 0..120 {
                let response = client
                    .post(format!("{base}/scim/v2/Users"))
                    .bearer_auth(crate::support::TOKEN)
                    .json(&json!({"userName": format!("f{i}")}))
                    .send()
                    .await;
                statuses.push(response.map_or(0, |r| r.status().as_u16()));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            statuses
        })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    gw.slapd.kill();
    let statuses = writer.await.unwrap_or_default();
    let failed = statuses.iter().filter(|s| **s != 201).count();
    assert!(statuses.iter().all(|s| matches!(s, 201 | 503)), "{statuses:?}");
    assert!(failed <= 1, "at most the write in flight when the primary died fails: {statuses:?}");
    let last = statuses.iter().rposition(|s| *s != 201).map_or(0, |p| p + 1);
    assert!(statuses.len() - last > 50, "writes continue on the replica: {statuses:?}");
    let text = metrics(&gw).await;
    assert!(
        text.contains(&format!("scim2ldap_ldap_connects_total{{url=\"{replica_url}\",result=\"ok\"}}")),
        "{text}"
    );
    drop(replica);
}

const SHIPPED_MAPPING: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/mappings/openldap.yaml");

/// The `scim2ldap` binary, configured by environment for `slapd` and `mapping`.
fn scim2ldap_command(slapd: &Slapd, mapping: &std::path::Path) -> std::process::Command {
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
    child: std::process::Child,
    pub(crate) base: String,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn spawn_gateway(slapd: &Slapd, log: &std::path::Path) -> Process {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
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

#[tokio::test]
async fn every_write_leaves_one_audit_line_without_values_or_tokens() {
    let slapd = Slapd::start(&[]).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("gateway.log");
    let gateway = spawn_gateway(&slapd, &log).await;
    let client = reqwest::Client::new();
    let scim = format!("{}/scim/v2", gateway.base);
    let created: serde_json::Value = client
        .post(format!("{scim}/Users"))
        .bearer_auth(crate::support::TOKEN)
        .json(&json!({"userName": "audited", "password": "Okta-Placeholder-9f3", "title": "Secret Title"}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_default();
    let id = id_of(&created).to_string();
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "replace", "path": "active", "value": false}]});
    let patched = client
        .patch(format!("{scim}/Users/{id}"))
        .bearer_auth(crate::support::TOKEN)
        .json(&patch)
        .send()
        .await;
    assert_eq!(patched.map(|r| r.status().as_u16()).unwrap_or_default(), 200);
    let refused = client
        .delete(format!("{scim}/Users/{id}"))
        .bearer_auth("a-token-nobody-has")
        .send()
        .await;
    assert_eq!(refused.map(|r| r.status().as_u16()).unwrap_or_default(), 401);
    let read = client
        .get(format!("{scim}/Users/{id}"))
        .bearer_auth(crate::support::TOKEN)
        .send()
        .await;
    assert_eq!(read.map(|r| r.status().as_u16()).unwrap_or_default(), 200);
    drop(gateway);

    let text = read_text(&log);
    let audit: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["target"] == "scim2ldap::audit")
        .map(|l| l["fields"].clone())
        .collect();
    assert_eq!(audit.len(), 3, "one line per write request, none for the read:\n{text}");
    assert_eq!(
        (
            audit[0]["caller"].as_str(),
            audit[0]["method"].as_str(),
            audit[0]["status"].as_u64()
        ),
        (Some("env"), Some("POST"), Some(201))
    );
    let writes = audit[0]["writes"].as_str().unwrap_or_default();
    assert!(
        writes.starts_with("add uid=audited,ou=people,dc=example,dc=org [") && writes.contains("title") && writes.ends_with("result=ok"),
        "{writes}"
    );
    assert_eq!(audit[1]["method"], "PATCH");
    assert!(
        audit[1]["writes"]
            .as_str()
            .is_some_and(|w| w.contains("modify uid=audited,ou=people,dc=example,dc=org [pwdAccountLockedTime]")),
        "{}",
        audit[1]
    );
    assert_eq!(
        (
            audit[2]["caller"].as_str(),
            audit[2]["status"].as_u64(),
            audit[2]["writes"].as_str()
        ),
        (Some("-"), Some(401), Some(""))
    );
    for secret in ["Okta-Placeholder-9f3", "Secret Title", crate::support::TOKEN, "a-token-nobody-has"] {
        assert!(!text.contains(secret), "{secret:?} must not be logged:\n{text}");
    }
    let refusals: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["fields"]["status"] == 401 || l["fields"]["message"] == "authentication failed")
        .map(|l| l["fields"].clone())
        .filter(|f| f["message"] != "write")
        .collect();
    assert_eq!(refusals.len(), 1, "one line for the refused token:\n{text}");
    assert_eq!(refusals[0]["reason"], "unknown token", "{}", refusals[0]);
    assert!(
        refusals[0]["client"].as_str().is_some_and(|c| c.starts_with("127.0.0.1:")),
        "{}",
        refusals[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_concurrency_cap_are_503_at_once() {
    let gw = Gateway::start_with(&[], &[("SCIM2LDAP__SERVER__MAX_CONCURRENT_REQUESTS", "1")]).await;
    let operations: Vec<serde_json::Value> = (0..1000)
        .map(|i| json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"), "data": {"userName": format!("busy{i}")}}))
        .collect();
    let slow = {
        let (client, base) = (gw.client.clone(), gw.base.clone());
        tokio::spawn(async move {
            client
                .post(format!("{base}/scim/v2/Bulk"))
                .bearer_auth(crate::support::TOKEN)
                .json(&json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": operations}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    let response = gw.raw(Method::GET, "/scim/v2/Users", None, Some(crate::support::TOKEN)).await;
    assert!(response.headers().contains_key("retry-after"));
    let (status, body) = read(response).await;
    assert_eq!((status, body["status"].clone()), (503, json!("503")), "{body}");
    assert_eq!(slow.await.ok().and_then(Result::ok), Some(200));
    let (status, _) = gw.get("/Users?count=1").await;
    assert_eq!(status, 200, "served again once the permit is back");
    assert!(metrics(&gw).await.contains("scim2ldap_http_rejected_total 1"));
}

#[tokio::test]
async fn each_target_has_its_own_directory_url_and_tokens() {
    let acme = Slapd::start(&[]).await;
    let globex = Slapd::start(&[]).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("scim2ldap.yaml");
    let target = |name: &str, slapd: &Slapd| {
        format!(
            "  - name: {name}\n    ldap: {{ url: \"{}\", bind_dn: \"{}\", bind_password: \"{}\", base_dn: \"{}\" }}\n    mapping: {}/mappings/openldap.yaml\n    auth: {{ token: \"{name}-token-0123456789\" }}\n",
            slapd.url,
            crate::support::slapd::ROOT_DN,
            crate::support::slapd::ROOT_PW,
            crate::support::slapd::SUFFIX,
            env!("CARGO_MANIFEST_DIR"),
        )
    };
    let yaml = format!("targets:\n{}{}", target("acme", &acme), target("globex", &globex));
    std::fs::write(&file, yaml).unwrap_or_else(|e| panic!("{e}"));
    let config = scim2ldap::config::Config::load_from(Some(&file), Vec::new()).unwrap_or_else(|e| panic!("{e}"));
    let app = scim2ldap::app::build(&config).await.unwrap_or_else(|e| panic!("{e}"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let base = format!("http://{}", listener.local_addr().unwrap_or_else(|e| panic!("{e}")));
    tokio::spawn(scim2ldap::http::serve(listener, app, std::future::pending()));
    let client = reqwest::Client::new();

    let created = client
        .post(format!("{base}/scim/v2/acme/Users"))
        .bearer_auth("acme-token-0123456789")
        .json(&json!({"userName": "wile"}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(created.status(), 201);
    let location = created
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(location.starts_with(&format!("{base}/scim/v2/acme/Users/")), "{location}");
    assert_eq!(acme.find("(uid=wile)").await.len(), 1);
    assert!(globex.find("(uid=wile)").await.is_empty(), "written to acme's directory only");

    // One target's token is refused on the other, and the id of one target is unknown to the other.
    for (path, token, expected) in [
        ("/scim/v2/globex/Users", "acme-token-0123456789", 401),
        ("/scim/v2/acme/Users", "globex-token-0123456789", 401),
        ("/scim/v2/globex/Users", "globex-token-0123456789", 200),
        ("/scim/v2/Users", "acme-token-0123456789", 404),
    ] {
        let status = client
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .map(|r| r.status().as_u16());
        assert_eq!(status.ok(), Some(expected), "{path} with {token}");
    }
    let id = location.rsplit('/').next().unwrap_or_default();
    let status = client
        .get(format!("{base}/scim/v2/globex/Users/{id}"))
        .bearer_auth("globex-token-0123456789")
        .send()
        .await
        .map(|r| r.status().as_u16());
    assert_eq!(status.ok(), Some(404));
    let ready = client.get(format!("{base}/readyz")).send().await.map(|r| r.status().as_u16());
    assert_eq!(ready.ok(), Some(200), "ready when every target's directory answers");
}

/// Runs `scim2ldap check` for `mapping` against `slapd`; its exit success and output.
fn run_check(slapd: &Slapd, mapping: &std::path::Path) -> (bool, String) {
    let output = scim2ldap_command(slapd, mapping)
        .arg("check")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    (output.status.success(), String::from_utf8_lossy(&output.stdout).to_string())
}

#[tokio::test]
async fn check_reports_what_the_directory_schema_would_refuse() {
    let slapd = Slapd::start(&[]).await;
    let (ok, out) = run_check(&slapd, std::path::Path::new(SHIPPED_MAPPING));
    assert!(ok, "the shipped mapping matches stock OpenLDAP:\n{out}");
    assert!(out.contains("matches the schema of"), "{out}");

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let broken = dir.path().join("broken.yaml");
    std::fs::write(
        &broken,
        r#"version: 1
users:
  base: "ou=people,{base}"
  object_classes: [inetOrgPerson, shoeCatalogue]
  rdn: uid
  attributes:
    - { scim: userName, ldap: uid, required: true }
    - { scim: name.familyName, ldap: sn }
    - { scim: title, ldap: shoeSize }
    - { scim: emails.value, ldap: displayName }
"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (ok, out) = run_check(&slapd, &broken);
    assert!(!ok, "{out}");
    let file = broken.display().to_string();
    for expected in [
        format!("{file}:4: User: the directory has no object class 'shoeCatalogue'"),
        format!("{file}:4: User: 'inetOrgPerson' requires 'cn', which no mapping fills"),
        format!("{file}:8: User: 'inetOrgPerson' requires 'sn', but name.familyName may be absent"),
        format!("{file}:9: title: the directory has no attribute 'shoeSize'"),
        format!("{file}:10: emails.value: 'displayName' holds a single value but emails is multi-valued"),
    ] {
        assert!(out.contains(&expected), "missing {expected:?} in:\n{out}");
    }
    // An attribute the directory lacks is never right: the gateway refuses to start on it, naming the
    // place; what the directory would refuse only for some values stays for `check` to report.
    let config = Gateway::config(&slapd, &[("SCIM2LDAP__MAPPING", &file)]).unwrap_or_else(|e| panic!("{e}"));
    let refused = refusal(scim2ldap::app::build(&config).await);
    assert_eq!(refused, format!("{file}:9: title: the directory has no attribute 'shoeSize'"));
}

/// Runs `scim2ldap explain METHOD PATH` against `slapd` with `body` on stdin.
fn run_explain(slapd: &Slapd, method: &str, path: &str, body: &str) -> (bool, String) {
    use std::io::Write as _;
    let mut child = scim2ldap_command(slapd, std::path::Path::new(SHIPPED_MAPPING))
        .args(["explain", method, path])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(body.as_bytes());
    }
    let output = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    (output.status.success(), String::from_utf8_lossy(&output.stdout).to_string())
}

#[tokio::test]
async fn explain_lists_the_ldap_operations_without_writing() {
    let slapd = Slapd::start(&["tests/fixtures/ldif/sample-users.ldif"]).await;
    let (ok, out) = run_explain(
        &slapd,
        "POST",
        "/Users",
        r#"{"userName": "ada", "name": {"givenName": "Ada", "familyName": "Lovelace"}, "password": "never-shown", "title": "Analyst"}"#,
    );
    assert!(ok, "{out}");
    assert!(out.contains("add uid=ada,ou=people,dc=example,dc=org\n"), "{out}");
    assert!(
        out.contains("    cn: \"Ada Lovelace\"\n") && out.contains("    title: \"Analyst\"\n"),
        "{out}"
    );
    assert!(out.contains("answer: 201 (no write was performed)"), "{out}");
    assert!(!out.contains("never-shown"));
    assert!(slapd.find("(uid=ada)").await.is_empty(), "nothing was written");

    let jsmith = slapd.entries("(uid=jsmith)", &["entryUUID"]).await;
    let id = jsmith
        .first()
        .and_then(|e| e.get("entryuuid"))
        .and_then(|v| v.first())
        .cloned()
        .unwrap_or_default();
    let (ok, out) = run_explain(
        &slapd,
        "PATCH",
        &format!("/Users/{id}"),
        r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "active", "value": false}, {"op": "replace", "path": "title", "value": "Retired"}]}"#,
    );
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!(
            "search (read) base=\"ou=people,dc=example,dc=org\" scope=One filter=(&(entryUUID={id})(objectClass=inetOrgPerson))"
        )),
        "finding the id, with the type filter serve sends (the most specific class):\n{out}"
    );
    assert!(out.contains("modify uid=jsmith,ou=people,dc=example,dc=org"), "{out}");
    assert!(
        out.contains("    replace pwdAccountLockedTime: \"000001010000Z\"") && out.contains("    replace title: \"Retired\""),
        "{out}"
    );
    assert!(slapd.values("uid=jsmith,ou=people,dc=example,dc=org", "title").await.is_empty());

    let (ok, out) = run_explain(&slapd, "DELETE", &format!("/Users/{id}"), "");
    assert!(ok, "{out}");
    assert!(out.contains("delete uid=jsmith,ou=people,dc=example,dc=org"), "{out}");
    assert!(out.contains("answer: 204"), "{out}");
    assert_eq!(slapd.find("(uid=jsmith)").await.len(), 1, "still there");

    let (ok, out) = run_explain(&slapd, "POST", "/Users", r#"{"displayName": "no userName"}"#);
    assert!(!ok && out.contains("answer: 400"), "{out}");
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// A fresh RSA key (PEM) and the JWKS that publishes its public half under `kid`.
fn rsa_key_and_jwks(dir: &std::path::Path, kid: &str) -> (Vec<u8>, String) {
    let key = dir.join(format!("{kid}.pem"));
    let generated = std::process::Command::new("openssl")
        .args(["genrsa", "-out"])
        .arg(&key)
        .arg("2048")
        .output()
        .unwrap_or_else(|e| panic!("openssl: {e}"));
    assert!(generated.status.success());
    let modulus = std::process::Command::new("openssl")
        .args(["rsa", "-noout", "-modulus", "-in"])
        .arg(&key)
        .output()
        .unwrap_or_else(|e| panic!("openssl: {e}"));
    let hex_modulus = String::from_utf8_lossy(&modulus.stdout)
        .trim()
        .trim_start_matches("Modulus=")
        .to_string();
    let n = hex::decode(hex_modulus).unwrap_or_else(|e| panic!("{e}"));
    let jwks = json!({"keys": [{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": base64url(&n), "e": "AQAB"}]});
    (std::fs::read(&key).unwrap_or_else(|e| panic!("{e}")), jwks.to_string())
}

#[tokio::test]
async fn oauth_bearer_jwts_are_checked_for_signature_issuer_audience_and_expiry() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (private, jwks) = rsa_key_and_jwks(dir.path(), "idp-key");
    let (other_private, _) = rsa_key_and_jwks(dir.path(), "other-key");
    let jwks_file = dir.path().join("jwks.json");
    std::fs::write(&jwks_file, jwks).unwrap_or_else(|e| panic!("{e}"));
    let gw = Gateway::start_with(
        &[],
        &[
            ("SCIM2LDAP__AUTH__JWT__ISSUER", "https://idp.example.org/"),
            ("SCIM2LDAP__AUTH__JWT__AUDIENCE", "scim2ldap"),
            ("SCIM2LDAP__AUTH__JWT__JWKS_FILE", path_str(&jwks_file)),
        ],
    )
    .await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let sign = |key: &[u8], kid: &str, claims: serde_json::Value| {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(kid.to_string());
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(key).unwrap_or_else(|e| panic!("{e}"));
        jsonwebtoken::encode(&header, &claims, &key).unwrap_or_else(|e| panic!("{e}"))
    };
    let claims = |iss: &str, aud: &str, exp: u64| json!({"iss": iss, "aud": aud, "sub": "entra-app", "exp": exp});
    let good = sign(&private, "idp-key", claims("https://idp.example.org/", "scim2ldap", now + 600));
    for (token, expected) in [
        (good.clone(), 200),
        (
            sign(&private, "idp-key", claims("https://evil.example.org/", "scim2ldap", now + 600)),
            401,
        ),
        (
            sign(&private, "idp-key", claims("https://idp.example.org/", "someone-else", now + 600)),
            401,
        ),
        (
            sign(&private, "idp-key", claims("https://idp.example.org/", "scim2ldap", now - 3600)),
            401,
        ),
        (
            sign(
                &other_private,
                "idp-key",
                claims("https://idp.example.org/", "scim2ldap", now + 600),
            ),
            401,
        ),
        ("not.a.jwt".to_string(), 401),
        (crate::support::TOKEN.to_string(), 200),
    ] {
        let (status, body) = read(gw.raw(Method::GET, "/scim/v2/Users", None, Some(&token)).await).await;
        assert_eq!(status, expected, "{body}");
    }
}

#[tokio::test]
async fn each_limit_answers_a_scim_error_or_a_bounded_page() {
    let gw = Gateway::start_with(
        &["tests/fixtures/ldif/sample-users.ldif"],
        &[("SCIM2LDAP__SERVER__MAX_RESULTS", "1")],
    )
    .await;
    // count beyond the maximum: a page of the maximum, and the maximum is advertised.
    let (status, page) = gw.get("/Users?count=50").await;
    assert_eq!(
        (status, page["itemsPerPage"].clone(), page["totalResults"].clone()),
        (200, json!(1), json!(2))
    );
    let (_, config) = gw.get("/ServiceProviderConfig").await;
    assert_eq!(config["filter"]["maxResults"], 1);
    // A filter beyond the length limit.
    let long = format!("userName eq \"{}\"", "x".repeat(scim2ldap::scim::filter::MAX_FILTER_LEN));
    let (status, body) = gw.post("/Users/.search", json!({"filter": long})).await;
    crate::support::assert_scim_error(status, &body, 400, Some("invalidFilter"));
    // A filter nested beyond the depth limit.
    let deep = format!("{}userName pr{}", "(".repeat(100), ")".repeat(100));
    let (status, body) = gw.post("/Users/.search", json!({"filter": deep})).await;
    crate::support::assert_scim_error(status, &body, 400, Some("invalidFilter"));

    // A query that matches more than the service lists: 400 tooMany, for a first page and later ones.
    let narrow = Gateway::start_with(
        &["tests/fixtures/ldif/sample-users.ldif"],
        &[("SCIM2LDAP__SERVER__MAX_MATCHES", "1")],
    )
    .await;
    for query in ["/Users", "/Users?startIndex=2&count=1"] {
        let (status, body) = narrow.get(query).await;
        crate::support::assert_scim_error(status, &body, 400, Some("tooMany"));
    }
    let (status, page) = narrow.get("/Users?filter=userName%20eq%20%22bjensen%22").await;
    assert_eq!((status, page["totalResults"].clone()), (200, json!(1)));

    // The request time limit, against a directory that hangs: 503 with Retry-After, never a hang.
    let slow = Gateway::start_with(&[], &[("SCIM2LDAP__SERVER__REQUEST_TIMEOUT_MS", "300")]).await;
    slow.slapd.signal("STOP");
    let started = std::time::Instant::now();
    let response = slow
        .raw(Method::GET, "/scim/v2/Users?count=200", None, Some(crate::support::TOKEN))
        .await;
    slow.slapd.signal("CONT");
    assert!(started.elapsed() < Duration::from_secs(2), "answered at the time limit");
    let retry_after = response.headers().contains_key("retry-after");
    let (status, body) = read(response).await;
    crate::support::assert_scim_error(status, &body, 503, None);
    assert!(retry_after);
}

fn sha256_hex(token: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

#[tokio::test]
async fn tokens_and_mappings_reload_without_a_restart() {
    let slapd = Slapd::start(&[]).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mapping = dir.path().join("mapping.yaml");
    std::fs::copy(SHIPPED_MAPPING, &mapping).unwrap_or_else(|e| panic!("{e}"));
    let config = dir.path().join("scim2ldap.yaml");
    let write_config = |token: &str| {
        let text = format!(
            "ldap: {{ url: \"{}\", bind_dn: \"{}\", bind_password: \"{}\", base_dn: \"{}\" }}\nmapping: {}\nauth:\n  tokens:\n    - {{ name: rotated, sha256: \"{}\" }}\n",
            slapd.url,
            crate::support::slapd::ROOT_DN,
            crate::support::slapd::ROOT_PW,
            crate::support::slapd::SUFFIX,
            mapping.display(),
            sha256_hex(token)
        );
        std::fs::write(&config, text).unwrap_or_else(|e| panic!("{e}"));
    };
    write_config("first-token-0123456789");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("gateway.log");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_scim2ldap"))
        .args(["serve", "--config"])
        .arg(&config)
        .env("SCIM2LDAP__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env_remove("RUST_LOG")
        .stdout(std::fs::File::create(&log).unwrap_or_else(|e| panic!("{e}")))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let gateway = Process {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let status_with = |token: &'static str| {
        let request = client.get(format!("{}/scim/v2/Users", gateway.base)).bearer_auth(token).send();
        async move { request.await.map(|r| r.status().as_u16()).unwrap_or(0) }
    };
    let up = eventually(100, Duration::from_millis(50), || async {
        status_with("first-token-0123456789").await == 200
    })
    .await;
    assert!(up, "the gateway started");

    // A rotated token takes effect on SIGHUP.
    write_config("second-token-0123456789");
    let hup = std::process::Command::new("kill")
        .arg("-HUP")
        .arg(gateway.child.id().to_string())
        .status();
    assert!(hup.is_ok_and(|s| s.success()));
    let rotated = eventually(60, Duration::from_millis(100), || async {
        status_with("second-token-0123456789").await == 200
    })
    .await;
    assert!(rotated, "the new token works");
    assert_eq!(status_with("first-token-0123456789").await, 401, "the old one no longer does");

    // A broken mapping, noticed by its file changing, leaves the running one in place.
    std::fs::write(&mapping, "version: 2\n").unwrap_or_else(|e| panic!("{e}"));
    let reported = eventually(60, Duration::from_millis(100), || async {
        read_text(&log).contains("reload failed")
    })
    .await;
    assert!(reported, "{}", read_text(&log));
    let text = read_text(&log);
    assert!(
        text.contains(&format!("{}:1:", mapping.display())),
        "the error names file and line:\n{text}"
    );
    assert_eq!(
        status_with("second-token-0123456789").await,
        200,
        "still serving the last good configuration"
    );
    let metrics = client
        .get(format!("{}/metrics", gateway.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let metrics = metrics.text().await.unwrap_or_default();
    let reloads = metrics
        .lines()
        .find_map(|l| l.strip_prefix("scim2ldap_config_reloads_total{result=\"ok\"} "))
        .and_then(|n| n.parse::<u64>().ok());
    assert!(reloads.is_some_and(|n| n >= 1), "{metrics}");
    assert!(metrics.contains("scim2ldap_config_reloads_total{result=\"failed\"} 1"), "{metrics}");
}
