//! Ready means ready: a base that does not exist or cannot be read stops startup and fails `/readyz`
//! by name, an anonymous bind is refused unless asked for, `scim2ldap check` says what to fix, and
//! `check --data` reports what an IdP's first cycle will meet in the entries already there.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

use crate::support::process::{scim2ldap_command, SHIPPED_MAPPING};
use crate::support::{eventually, path_str, read, read_text, refusal, Ds389, Endpoint, Gateway, Slapd};

/// The `scim2ldap` binary with `directory`'s settings (and no bearer token: `check` needs none).
fn command(directory: &Endpoint, settings: &[(&str, &str)]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_scim2ldap"));
    for (key, value) in &directory.gateway {
        command.env(key, value);
    }
    command.env_remove("SCIM2LDAP__AUTH__TOKEN");
    for (key, value) in settings {
        command.env(key, value);
    }
    command
}

/// `scim2ldap check ARGS`: whether it succeeded, and its output.
fn check(directory: &Endpoint, settings: &[(&str, &str)], args: &[&str]) -> (bool, String) {
    let output = command(directory, settings)
        .arg("check")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test]
async fn a_mistyped_base_stops_startup_and_check_names_it() {
    let slapd = Slapd::start(&[]).await;
    let typo = [("SCIM2LDAP__LDAP__BASE_DN", "dc=exmaple,dc=org")];
    let config = Gateway::config(&slapd, &typo).unwrap_or_else(|e| panic!("{e}"));
    let error = refusal(scim2ldap::app::build(&config).await);
    assert!(
        error.contains("users base ou=people,dc=exmaple,dc=org does not exist")
            && error.contains("check ldap.base_dn (dc=exmaple,dc=org) and users.base in"),
        "{error}"
    );
    let (ok, out) = check(&slapd, &typo, &[]);
    assert!(!ok, "{out}");
    assert!(out.contains("groups base ou=groups,dc=exmaple,dc=org does not exist"), "{out}");
    let (ok, out) = check(&slapd, &[], &[]);
    assert!(ok, "check runs without a bearer token:\n{out}");
    assert!(out.contains("bound as dn:cn=admin,dc=example,dc=org"), "{out}");
}

#[tokio::test]
async fn an_anonymous_bind_is_refused_unless_the_configuration_asks_for_it() {
    let slapd = Slapd::start(&[]).await;
    let anonymous = [("SCIM2LDAP__LDAP__BIND_DN", ""), ("SCIM2LDAP__LDAP__BIND_PASSWORD", "")];
    let error = refusal(Gateway::config(&slapd, &anonymous));
    assert!(
        error.contains("no ldap.bind_dn") && error.contains("SCIM2LDAP__LDAP__ALLOW_ANONYMOUS"),
        "{error}"
    );
    let unauthenticated = [("SCIM2LDAP__LDAP__BIND_PASSWORD", "")];
    let error = refusal(Gateway::config(&slapd, &unauthenticated));
    assert!(error.contains("without ldap.bind_password"), "{error}");
    // Asked for: the configuration loads, and startup stops on the bases anonymous may not see.
    let allowed = [
        ("SCIM2LDAP__LDAP__BIND_DN", ""),
        ("SCIM2LDAP__LDAP__BIND_PASSWORD", ""),
        ("SCIM2LDAP__LDAP__ALLOW_ANONYMOUS", "true"),
    ];
    let config = Gateway::config(&slapd, &allowed).unwrap_or_else(|e| panic!("{e}"));
    let error = refusal(scim2ldap::app::build(&config).await);
    assert!(error.contains("an anonymous bind may not see it"), "{error}");
    let (ok, out) = check(&slapd, &allowed, &[]);
    assert!(!ok && out.contains("bound as anonymous"), "{out}");
}

async fn readyz(gw: &Gateway) -> (u16, Value, Duration) {
    let started = Instant::now();
    let (status, body) = read(gw.raw(Method::GET, "/readyz", None, None).await).await;
    (status, body, started.elapsed())
}

#[tokio::test]
async fn readyz_names_the_failing_check_and_answers_in_time_from_a_hung_directory() {
    let gw = Gateway::start().await;
    let (status, body, _) = readyz(&gw).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    assert!(body["checks"].as_array().is_some_and(|c| c.len() == 3), "{body}");

    gw.slapd.signal("STOP");
    let (status, body, took) = readyz(&gw).await;
    gw.slapd.signal("CONT");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["checks"][0]["check"], "directory", "{body}");
    assert!(took < Duration::from_millis(1500), "a hung directory answered in {took:?}");

    gw.slapd.delete("ou=groups,dc=example,dc=org").await;
    let mut last = Value::Null;
    let mut names_the_base = false;
    for _ in 0..40 {
        let (status, body, _) = readyz(&gw).await;
        last = body;
        if status == 503 {
            names_the_base = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(names_the_base, "the cached base answer expires within seconds: {last}");
    assert_eq!(last["detail"], "not ready: groups base", "{last}");
    let failing: Vec<&Value> = last["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["ok"] == false)
        .collect();
    assert_eq!(failing.len(), 1, "{last}");
    let detail = failing[0]["detail"].as_str().unwrap_or_else(|| panic!("no detail in {last}"));
    assert!(
        detail.contains("groups base ou=groups,dc=example,dc=org does not exist"),
        "{detail}"
    );
    assert!(!last.to_string().contains("secret"), "never the bind password: {last}");
}

#[tokio::test]
async fn check_data_reports_what_the_first_cycle_will_meet() {
    let slapd = Slapd::start(&["tests/fixtures/ldif/takeover.ldif"]).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let shipped = read_text(concat!(env!("CARGO_MANIFEST_DIR"), "/mappings/openldap.yaml"));
    let mapping = dir.path().join("mail-unique.yaml");
    std::fs::write(&mapping, shipped.replace("ldap: mail }", "ldap: mail, unique: true }")).unwrap_or_else(|e| panic!("{e}"));
    let settings = [("SCIM2LDAP__MAPPING", path_str(&mapping))];

    let (ok, out) = check(&slapd, &settings, &["--data", "--json"]);
    assert!(!ok, "a duplicate of a unique value blocks the takeover:\n{out}");
    let document: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let data = &document["targets"][0]["data"];
    assert_eq!((data["users"].as_u64(), data["groups"].as_u64()), (Some(3), Some(1)), "{data}");
    let finding = |kind: &str, resource: &str, subject: &str| -> Value {
        data["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| {
                f["kind"] == kind && f["resource"] == resource && f["subject"].as_str().is_some_and(|s| s.eq_ignore_ascii_case(subject))
            })
            .cloned()
            .unwrap_or(Value::Null)
    };
    let duplicate = finding("duplicate", "users", "mail");
    assert_eq!(
        (duplicate["entries"].as_u64(), duplicate["blocking"].as_bool()),
        (Some(1), Some(true)),
        "{data}"
    );
    let needs = finding("needs_class", "users", "extensibleObject");
    assert_eq!(needs["entries"].as_u64(), Some(2), "{data}");
    assert_eq!(finding("more_values", "users", "sn")["entries"].as_u64(), Some(1), "{data}");
    assert_eq!(finding("more_values", "users", "mail")["entries"].as_u64(), Some(1), "{data}");
    assert_eq!(finding("other_rdn", "users", "cn")["entries"].as_u64(), Some(2), "{data}");
    let dangling = finding("dangling_member", "groups", "member");
    assert_eq!(
        dangling["examples"][0], "uid=gone,ou=people,dc=example,dc=org (in cn=staff,ou=groups,dc=example,dc=org)",
        "{data}"
    );
    let outside = finding("outside_member", "groups", "member");
    assert_eq!(
        outside["examples"][0], "cn=Paul Partner,ou=partners,dc=example,dc=org (in cn=staff,ou=groups,dc=example,dc=org)",
        "{data}"
    );
    assert_eq!(
        finding("needs_class", "groups", "extensibleObject"),
        Value::Null,
        "the group has it: {data}"
    );

    let (ok, text) = check(&slapd, &settings, &["--data"]);
    assert!(!ok);
    assert!(text.contains("3 users, 1 groups"), "{text}");
    assert!(text.contains("REFUSED: users: 1 entries share a value of 'mail'"), "{text}");
    assert!(!text.contains('\r'), "no progress without a terminal: {text:?}");

    // The shipped mapping does not make mail unique: nothing blocks.
    let (ok, text) = check(&slapd, &[], &["--data"]);
    assert!(ok, "{text}");
}

#[tokio::test]
async fn on_389_ds_check_names_the_attributes_the_bind_may_not_write() {
    let ds = Ds389::start().await;
    // Rights are told for an entry of the type: the first one found.
    let reader = "uid=reader,ou=people,dc=example,dc=org";
    ds.add(
        reader,
        &[
            ("objectClass", &["inetOrgPerson"]),
            ("uid", &["reader"]),
            ("cn", &["reader"]),
            ("sn", &["reader"]),
            ("userPassword", &["reader-secret-1"]),
        ],
    )
    .await;
    let (ok, out) = check(&ds, &[], &[]);
    assert!(ok, "Directory Manager may write everything:\n{out}");
    assert!(!out.contains("may not write"), "{out}");

    // An account that may read everything and write nothing.
    let aci = format!("(targetattr=\"*\")(version 3.0; acl \"reader reads\"; allow (read, search, compare) userdn=\"ldap:///{reader}\";)");
    let mut ldap = ds.connect().await;
    ldap.modify(
        "dc=example,dc=org",
        vec![ldap3::Mod::Add("aci", std::collections::HashSet::from([aci.as_str()]))],
    )
    .await
    .and_then(|r| r.success())
    .unwrap_or_else(|e| panic!("aci: {e}"));
    let as_reader = [
        ("SCIM2LDAP__LDAP__BIND_DN", reader),
        ("SCIM2LDAP__LDAP__BIND_PASSWORD", "reader-secret-1"),
    ];
    let (ok, out) = check(&ds, &as_reader, &[]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("users: {reader} may not write")) && out.contains("Get Effective Rights"),
        "{out}"
    );
    assert!(out.contains("uid") && out.contains("mail"), "{out}");
}

#[tokio::test]
async fn on_active_directory_the_administrator_may_write_every_mapped_attribute() {
    let samba = crate::support::SambaDc::start().await;
    let gw = Gateway::attach(samba, &[]).await;
    let created = gw.create_user(serde_json::json!({"userName": "rights.probe"})).await;
    assert!(!created.is_empty());
    // The rights are read the AD way: the directory says it is one, and tells them.
    let mut ldap = gw.slapd.connect().await;
    let (root, _) = ldap
        .search("", ldap3::Scope::Base, "(objectClass=*)", vec!["supportedCapabilities"])
        .await
        .and_then(|r| r.success())
        .unwrap_or_else(|e| panic!("{e}"));
    let capabilities = root
        .into_iter()
        .next()
        .map(|e| ldap3::SearchEntry::construct(e).attrs)
        .unwrap_or_else(|| panic!("no root DSE entry"));
    assert!(
        capabilities.values().flatten().any(|c| c == "1.2.840.113556.1.4.800"),
        "{capabilities:?}"
    );
    let users_base = format!("cn=Users,{}", gw.slapd.suffix);
    let (allowed, _) = ldap
        .search(
            &users_base,
            ldap3::Scope::Base,
            "(objectClass=*)",
            vec!["allowedChildClassesEffective"],
        )
        .await
        .and_then(|r| r.success())
        .unwrap_or_else(|e| panic!("{e}"));
    let allowed = allowed
        .into_iter()
        .next()
        .map(|e| ldap3::SearchEntry::construct(e).attrs)
        .unwrap_or_else(|| panic!("no entry for allowedChildClassesEffective"));
    assert!(allowed.values().flatten().any(|c| c.eq_ignore_ascii_case("user")), "{allowed:?}");
    // (The schema check's findings about what AD fills itself are another matter: only the rights here.)
    let (_, out) = check(&gw.slapd, &[], &[]);
    assert!(!out.contains("may not") && !out.contains("cannot read"), "{out}");
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
