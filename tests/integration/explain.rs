//! `explain` predicts the API: each request of the main flows runs first through
//! `scim2ldap::service::explain` over a dry run of the directory, then through the API on the same
//! directory, and both must answer the same status with the same writes (operation, DN, attribute
//! names, in order), as the audit trail lists them.

use std::sync::{Arc, Mutex};

use pretty_assertions::assert_eq;
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::process::{scim2ldap_command, SHIPPED_MAPPING};
use crate::support::{path_str, Gateway, Slapd, ENTERPRISE};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Log lines written by the gateway of this test, to read its audit trail.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// The `writes` field of the last audit line.
    fn last_audited_writes(&self) -> String {
        let text = self
            .0
            .lock()
            .map(|b| String::from_utf8_lossy(&b).to_string())
            .unwrap_or_else(|e| panic!("captured log poisoned: {e}"));
        text.lines()
            .rev()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|l| l["target"] == "scim2ldap::audit")
            .and_then(|l| l["fields"]["writes"].as_str().map(str::to_string))
            .unwrap_or_else(|| panic!("no audit line in:\n{text}"))
    }
}

/// The writes of an audit record, without their result codes (a dry run answers none of its own).
fn writes(record: &str) -> Vec<String> {
    record
        .split("; ")
        .filter(|w| !w.is_empty())
        .map(|w| w.rsplit_once(" result=").map_or(w, |(write, _)| write).to_string())
        .collect()
}

/// A gateway in front of a directory, with its log, to compare explain with.
struct Flow<'a> {
    gw: &'a Gateway,
    log: &'a Captured,
    /// `SCIM2LDAP__MAPPING`, when not the default mapping.
    mapping: Option<&'a str>,
}

impl Flow<'_> {
    /// One request, explained and then sent: answers the API's status and body after asserting that
    /// explain foresaw the status and the writes.
    async fn step(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let settings: Vec<(&str, &str)> = self.mapping.map(|m| ("SCIM2LDAP__MAPPING", m)).into_iter().collect();
        let config = Gateway::config(&self.gw.slapd, &settings).unwrap_or_else(|e| panic!("{e}"));
        let targets = config.targets();
        let (service, _) = scim2ldap::app::dry_run_service(&config, &targets[0])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // No body is an empty request body, as an HTTP request without one.
        let text = body.as_ref().map(Value::to_string).unwrap_or_default();
        let explained = scim2ldap::service::explain(&service, method.as_str(), path, &text);
        let (outcome, _, foreseen) = scim2ldap::audit::recorded(explained).await;
        let foreseen_status = outcome.unwrap_or_else(|e| scim2ldap::scim::ScimError::from(e).status);

        let (status, answer) = self.gw.call(method.clone(), path, body).await;
        let performed = self.log.last_audited_writes();
        assert_eq!(
            (foreseen_status, writes(&foreseen)),
            (status, writes(&performed)),
            "{method} {path}: explain (left) and the API (right) differ; the API answered {answer}"
        );
        (status, answer)
    }
}

fn id_of(created: &Value) -> String {
    created["id"].as_str().unwrap_or_else(|| panic!("no id in {created}")).to_string()
}

fn patch(ops: Value) -> Option<Value> {
    Some(json!({"schemas": [PATCH_OP], "Operations": ops}))
}

/// The gateway's log, captured for this test's thread (its requests run there: the test's runtime has
/// one thread).
///
/// `tracing` caches each call site's interest for the whole process, computed by the first thread to
/// reach it: a sibling test without a subscriber would cache the audit line as never wanted, and this
/// test would capture nothing. An inert process-wide subscriber, interested in what is captured here,
/// keeps every thread's answer "wanted"; it records nothing.
fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
    static INTERESTED: std::sync::Once = std::sync::Once::new();
    INTERESTED.call_once(|| {
        use tracing_subscriber::layer::SubscriberExt;
        let inert = tracing_subscriber::registry().with(tracing_subscriber::filter::LevelFilter::INFO);
        let _ = tracing::subscriber::set_global_default(inert);
    });
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::INFO)
        .finish();
    (log, tracing::subscriber::set_default(subscriber))
}

#[tokio::test]
async fn explain_foresees_the_api_s_status_and_writes_for_the_main_flows() {
    let (log, _guard) = capture();
    let gw = Gateway::start_with(&["tests/fixtures/ldif/sample-users.ldif"], &[]).await;
    let flow = Flow {
        gw: &gw,
        log: &log,
        mapping: None,
    };

    let (status, ada) = flow
        .step(
            Method::POST,
            "/Users",
            Some(json!({"userName": "ada", "name": {"givenName": "Ada", "familyName": "Lovelace"},
                    "emails": [{"type": "work", "value": "ada@example.org"}], ENTERPRISE: {"department": "R&D"}})),
        )
        .await;
    assert_eq!(status, 201, "{ada}");
    let ada = id_of(&ada);
    let (status, _) = flow.step(Method::POST, "/Users", Some(json!({"userName": "ada"}))).await;
    assert_eq!(status, 409, "a userName a user holds");
    // A name the gateway cannot see (an entry of another class) is taken all the same: the directory
    // refuses the add, and so does the dry run.
    gw.slapd
        .add(
            "uid=ghost,ou=people,dc=example,dc=org",
            &[("objectClass", &["account"]), ("uid", &["ghost"])],
        )
        .await;
    let (status, _) = flow.step(Method::POST, "/Users", Some(json!({"userName": "ghost"}))).await;
    assert_eq!(status, 409, "an add onto an existing DN");
    let (status, _) = flow.step(Method::POST, "/Users", Some(json!({"displayName": "no userName"}))).await;
    assert_eq!(status, 400, "a required attribute missing");

    let (status, renamed) = flow.step(
        Method::PATCH,
        &format!("/Users/{ada}"),
        patch(json!([{"op": "replace", "path": "userName", "value": "ada.lovelace"}, {"op": "replace", "path": "title", "value": "Countess"}])),
    )
    .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["userName"], "ada.lovelace");

    let bjensen = id_of(&gw.get("/Users?filter=userName%20eq%20%22bjensen%22").await.1["Resources"][0]);
    let (status, staff) = flow
        .step(
            Method::POST,
            "/Groups",
            Some(json!({"displayName": "staff", "members": [{"value": ada}]})),
        )
        .await;
    assert_eq!(status, 201, "{staff}");
    let staff = id_of(&staff);
    let unknown = "00000000-0000-4000-8000-000000000000";
    let (status, _) = flow
        .step(
            Method::POST,
            "/Groups",
            Some(json!({"displayName": "ghosts", "members": [{"value": unknown}]})),
        )
        .await;
    assert_eq!(status, 400, "an unknown member");
    let group = format!("/Groups/{staff}");
    let (status, _) = flow
        .step(
            Method::PATCH,
            &group,
            patch(json!([{"op": "add", "path": "members", "value": [{"value": bjensen}]}])),
        )
        .await;
    assert!(status == 200 || status == 204);
    let (status, _) = flow
        .step(
            Method::PATCH,
            &group,
            patch(json!([{"op": "add", "path": "members", "value": [{"value": bjensen}]}])),
        )
        .await;
    assert!(status == 200 || status == 204, "a member added again");
    let (status, _) = flow
        .step(
            Method::PATCH,
            &group,
            patch(json!([{"op": "add", "path": "members", "value": [{"value": unknown}]}])),
        )
        .await;
    assert_eq!(status, 400, "an unknown member");
    let (status, _) = flow
        .step(
            Method::PATCH,
            &group,
            patch(json!([{"op": "remove", "path": format!("members[value eq \"{ada}\"]")}])),
        )
        .await;
    assert!(status == 200 || status == 204);
    let (status, _) = flow
        .step(Method::PATCH, &group, patch(json!([{"op": "remove", "path": "members"}])))
        .await;
    assert!(status == 200 || status == 204, "the last member removed: the placeholder stays");
    let (status, _) = flow
        .step(
            Method::PATCH,
            &group,
            patch(json!([{"op": "replace", "path": "displayName", "value": "crew"}])),
        )
        .await;
    assert_eq!(status, 200, "a group renamed");

    let user = format!("/Users/{ada}");
    let (status, _) = flow
        .step(
            Method::PATCH,
            &user,
            patch(json!([{"op": "replace", "path": "active", "value": false}])),
        )
        .await;
    assert_eq!(status, 200, "deactivated");
    let (status, _) = flow
        .step(
            Method::PUT,
            &user,
            Some(json!({"userName": "ada.lovelace", "active": true, "title": "Analyst"})),
        )
        .await;
    assert_eq!(status, 200, "replaced");
    let (status, _) = flow.step(Method::DELETE, &format!("/Users/{bjensen}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = flow.step(Method::DELETE, &format!("/Users/{bjensen}"), None).await;
    assert_eq!(status, 404, "gone");
    let (status, _) = flow.step(Method::DELETE, &group, None).await;
    assert_eq!(status, 204);
}

/// Roles (`organizationalRole` with `roleOccupant`): the gateway itself follows renames in the
/// groups, and DELETE deactivates.
#[tokio::test]
async fn explain_foresees_renames_followed_in_groups_and_soft_deletes() {
    let (log, _guard) = capture();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let roles = dir.path().join("roles.ldif");
    std::fs::write(
        &roles,
        "dn: ou=roles,dc=example,dc=org\nobjectClass: organizationalUnit\nou: roles\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mapping = format!("{}/mappings/examples/roles.yaml", env!("CARGO_MANIFEST_DIR"));
    let gw = Gateway::start_with(&[path_str(&roles)], &[("SCIM2LDAP__MAPPING", &mapping)]).await;
    let flow = Flow {
        gw: &gw,
        log: &log,
        mapping: Some(&mapping),
    };

    let (status, grace) = flow
        .step(
            Method::POST,
            "/Users",
            Some(json!({"userName": "grace", "name": {"familyName": "Hopper"}})),
        )
        .await;
    assert_eq!(status, 201, "{grace}");
    let user = format!("/Users/{}", id_of(&grace));
    let (status, role) = flow
        .step(
            Method::POST,
            "/Groups",
            Some(json!({"displayName": "admirals", "members": [{"value": id_of(&grace)}]})),
        )
        .await;
    assert_eq!(status, 201, "{role}");
    let (status, _) = flow
        .step(
            Method::PATCH,
            &user,
            patch(json!([{"op": "replace", "path": "userName", "value": "ghopper"}])),
        )
        .await;
    assert_eq!(status, 200, "renamed, and the role's occupant follows");
    let (status, _) = flow.step(Method::DELETE, &user, None).await;
    assert_eq!(status, 204, "deactivated, not deleted");
    let (status, _) = flow
        .step(
            Method::PATCH,
            &user,
            patch(json!([{"op": "replace", "path": "active", "value": true}])),
        )
        .await;
    assert_eq!(status, 200, "reactivated");
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
        .unwrap_or_else(|| panic!("no entryUUID of jsmith in {jsmith:?}"));
    let (ok, out) = run_explain(
        &slapd,
        "PATCH",
        &format!("/Users/{id}"),
        r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "active", "value": false}, {"op": "replace", "path": "title", "value": "Retired"}]}"#,
    );
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!(
            "search (read) base=\"ou=people,dc=example,dc=org\" scope=One filter=(&(entryUUID={id})(!(!(objectClass=inetOrgPerson))))"
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
