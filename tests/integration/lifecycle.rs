//! Account lifecycle: one suite (create with a password, disable, find by `active`, reactivate,
//! change the password, soft then hard delete) run against OpenLDAP, 389 DS and Samba AD, each with
//! its shipped mapping; then what DELETE does per the mapping, and passwords.

use std::collections::HashMap;
use std::sync::Arc;

use pretty_assertions::assert_eq;
use serde_json::json;

use scim2ldap::ldap::{Directory, LdapDirectory, LdapFilter, Scope, SearchRequest};
use scim2ldap::metrics::Metrics;

use crate::support::{assert_scim_error, id_of, path_str, read_text, Ds389, Endpoint, Gateway, SambaDc, Server, Slapd};

/// How one directory stores what the suite checks.
struct Flavour {
    /// The shipped mapping, below the repository.
    mapping: &'static str,
    /// Turns the shipped mapping into one that writes passwords and whose DELETE is `strategy`.
    adapt: fn(&str, &str) -> String,
    user_dn: fn(&str) -> String,
    /// Whether the entry as read shows a disabled account.
    disabled: fn(&HashMap<String, Vec<String>>) -> bool,
    /// The creation time the mapping's `meta.created` reads, by which the gateway counts with VLV.
    created: &'static str,
}

/// The first value of `attr`, empty when absent (which the `disabled` checks read as not locked).
fn first(entry: &HashMap<String, Vec<String>>, attr: &str) -> String {
    entry.get(attr).and_then(|v| v.first()).cloned().unwrap_or_default()
}

/// OpenLDAP and 389 DS: passwords by the Password Modify operation, as their shipped mappings say.
fn with_exop(text: &str, strategy: &str) -> String {
    assert!(text.contains("  rdn: uid\n") && text.contains("  password: { strategy: exop }\n"));
    text.replacen("  rdn: uid\n", &format!("  rdn: uid\n  delete: {{ strategy: {strategy} }}\n"), 1)
}

/// Active Directory's mapping writes passwords already.
fn with_delete(text: &str, strategy: &str) -> String {
    assert!(text.contains("  rdn: cn\n"));
    text.replacen("  rdn: cn\n", &format!("  rdn: cn\n  delete: {{ strategy: {strategy} }}\n"), 1)
}

const OPENLDAP: Flavour = Flavour {
    mapping: "mappings/openldap.yaml",
    adapt: with_exop,
    user_dn: |name| format!("uid={name},ou=people,dc=example,dc=org"),
    disabled: |entry| first(entry, "pwdaccountlockedtime") == "000001010000Z",
    created: "createTimestamp",
};

const DS389: Flavour = Flavour {
    mapping: "mappings/389ds.yaml",
    adapt: with_exop,
    user_dn: |name| format!("uid={name},ou=people,dc=example,dc=org"),
    disabled: |entry| first(entry, "nsaccountlock").eq_ignore_ascii_case("true"),
    created: "createTimestamp",
};

const ACTIVE_DIRECTORY: Flavour = Flavour {
    mapping: "mappings/active-directory.yaml",
    adapt: with_delete,
    user_dn: |name| format!("cn={name},cn=Users,dc=example,dc=org"),
    disabled: |entry| first(entry, "useraccountcontrol").parse::<u32>().is_ok_and(|flags| flags & 2 != 0),
    created: "whenCreated",
};

/// A gateway in front of `server` with the flavour's mapping adapted to DELETE by `strategy`.
async fn gateway<S: Server>(server: Arc<S>, flavour: &Flavour, strategy: &str, dir: &std::path::Path) -> Gateway<Arc<S>> {
    let shipped = std::fs::read_to_string(format!("{}/{}", env!("CARGO_MANIFEST_DIR"), flavour.mapping))
        .unwrap_or_else(|e| panic!("{}: {e}", flavour.mapping));
    let path = dir.join(format!("{strategy}.yaml"));
    std::fs::write(&path, (flavour.adapt)(&shipped, strategy)).unwrap_or_else(|e| panic!("{e}"));
    Gateway::attach(server, &[("SCIM2LDAP__MAPPING", &path.display().to_string())]).await
}

async fn lifecycle_suite<S: Server>(server: S, flavour: Flavour) {
    let server = Arc::new(server);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let gw = gateway(server.clone(), &flavour, "disable", dir.path()).await;
    let name = "casey@example.org";
    let dn = (flavour.user_dn)(name);
    let ldap = server.endpoint();
    let state = || async { ldap.entry(&dn).await.map(|e| (flavour.disabled)(&e)) };

    // Create, active, with the password the IdP set: the user can bind with it.
    let (status, created) = gw
        .post(
            "/Users",
            json!({"userName": name, "name": {"givenName": "Casey", "familyName": "Jones"},
                   "emails": [{"type": "work", "value": name}], "active": true, "password": "First-Secret-42"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["active"], true, "{created}");
    assert!(created.get("password").is_none(), "never returned: {created}");
    let id = id_of(&created).to_string();
    let user = format!("/Users/{id}");
    let (_, read) = gw.get(&user).await;
    assert_eq!(
        read["meta"]["version"], created["meta"]["version"],
        "the version after the password write"
    );
    assert_eq!(state().await, Some(false));
    assert!(
        ldap.binds(&dn, "First-Secret-42").await,
        "the user binds with the password the IdP set"
    );

    // Entra's disable: a capitalised op and the boolean as a string.
    let (status, body) = gw
        .patch(&user, json!([{"op": "Replace", "path": "active", "value": "False"}]))
        .await;
    assert_eq!((status, body["active"].clone()), (200, json!(false)), "{body}");
    assert_eq!(state().await, Some(true), "the directory's own disable representation");
    assert!(!ldap.binds(&dn, "First-Secret-42").await, "a disabled account cannot bind");
    let (_, got) = gw.get(&user).await;
    assert_eq!(got["active"], false, "GET reads the real state: {got}");

    // Filters find accounts by state.
    let ids = |listed: serde_json::Value| -> Vec<String> {
        listed["Resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["id"].as_str().map(str::to_string))
            .collect()
    };
    let (status, inactive) = gw.get("/Users?filter=active%20eq%20false").await;
    assert_eq!(status, 200, "{inactive}");
    // AD's own Guest and krbtgt accounts are disabled too.
    let all_inactive = inactive["Resources"].as_array().into_iter().flatten().all(|r| r["active"] == false);
    assert!(all_inactive, "{inactive}");
    assert!(ids(inactive).contains(&id));
    let (_, active) = gw.get("/Users?filter=active%20eq%20true").await;
    assert!(!ids(active).contains(&id));

    // Okta's reactivation: a PATCH without a path.
    let (status, body) = gw.patch(&user, json!([{"op": "replace", "value": {"active": true}}])).await;
    assert_eq!((status, body["active"].clone()), (200, json!(true)), "{body}");
    assert_eq!(state().await, Some(false));
    assert!(ldap.binds(&dn, "First-Secret-42").await, "reactivated, the account binds again");

    // Okta's deactivation by PUT of the whole user, then back.
    let mut whole = body.clone();
    whole["active"] = json!(false);
    let (status, body) = gw.put(&user, whole).await;
    assert_eq!((status, body["active"].clone()), (200, json!(false)), "{body}");
    assert_eq!(state().await, Some(true));
    let (status, _) = gw.patch(&user, json!([{"op": "replace", "path": "active", "value": true}])).await;
    assert_eq!(status, 200);
    assert_eq!(state().await, Some(false));

    // A new password replaces the old one.
    let (status, body) = gw
        .patch(&user, json!([{"op": "replace", "path": "password", "value": "Second-Secret-43"}]))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(ldap.binds(&dn, "Second-Secret-43").await);
    assert!(!ldap.binds(&dn, "First-Secret-42").await);

    // Soft delete: the entry stays, disabled, and GET shows it inactive.
    let (status, _) = gw.delete(&user).await;
    assert_eq!(status, 204);
    assert_eq!(state().await, Some(true), "kept and disabled");
    let (status, got) = gw.get(&user).await;
    assert_eq!((status, got["active"].clone()), (200, json!(false)), "{got}");

    // Hard delete, with the mapping changed to it: the entry is gone.
    let hard = gateway(server.clone(), &flavour, "hard", dir.path()).await;
    let (status, _) = hard.delete(&user).await;
    assert_eq!(status, 204);
    assert!(ldap.entry(&dn).await.is_none(), "removed from the directory");
    let (status, body) = hard.get(&user).await;
    assert_scim_error(status, &body, 404, None);

    counts_with_vlv(ldap, flavour.created).await;
}

/// The directory layer counts a large listing's matches with VLV and sorting (each of these
/// directories offers both): the count agrees with the entries a plain search finds.
async fn counts_with_vlv(ldap: &Endpoint, created: &str) {
    let config = Gateway::config(ldap, &[]).unwrap_or_else(|e| panic!("{e}"));
    let settings = config.ldap.unwrap_or_else(|| panic!("the gateway's directory"));
    let metrics = Arc::new(Metrics::new());
    let directory = LdapDirectory::connect(settings, metrics.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let request = SearchRequest {
        base: ldap.suffix.clone(),
        scope: Scope::Sub,
        filter: LdapFilter::Present("objectClass".into()),
        attrs: vec!["1.1".into()],
        size_limit: 0,
    };
    let counted = directory.count(&request, 100, created).await.unwrap_or_else(|e| panic!("{e}"));
    let found = ldap.find("(objectClass=*)").await.len();
    assert!(found >= 3, "{found} entries");
    assert_eq!(counted, found);
    let rendered = metrics.render();
    assert!(
        rendered.contains("scim2ldap_ldap_operations_total{op=\"vlv_count\",result=\"0\"} 1"),
        "counted with VLV: {rendered}"
    );
}

#[tokio::test]
async fn lifecycle_on_openldap() {
    lifecycle_suite(Slapd::start(&[]).await, OPENLDAP).await;
}

#[tokio::test]
async fn lifecycle_on_389_directory_server() {
    lifecycle_suite(Ds389::start().await, DS389).await;
}

#[tokio::test]
async fn lifecycle_on_samba_active_directory() {
    lifecycle_suite(SambaDc::start().await, ACTIVE_DIRECTORY).await;
}

/// The default mapping with `setting` (such as a `delete` strategy) added to users.
fn mapping_with(dir: &std::path::Path, setting: &str) -> String {
    let text = read_text(concat!(env!("CARGO_MANIFEST_DIR"), "/mappings/openldap.yaml"));
    let text = text.replacen("  rdn: uid\n", &format!("  rdn: uid\n  {setting}\n"), 1);
    let path = dir.join("mapping.yaml");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

#[tokio::test]
async fn delete_can_deactivate_in_place() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mapping = mapping_with(dir.path(), "delete: { strategy: disable }");
    let gw = Gateway::start_with(&[], &[("SCIM2LDAP__MAPPING", &mapping)]).await;
    let id = gw.create_user(json!({"userName": "leaver"})).await;
    let (status, _) = gw.delete(&format!("/Users/{id}")).await;
    assert_eq!(status, 204);
    let entry = gw.slapd.existing_entry("uid=leaver,ou=people,dc=example,dc=org").await;
    assert_eq!(entry.get("pwdaccountlockedtime"), Some(&vec!["000001010000Z".to_string()]));
    let (status, user) = gw.get(&format!("/Users/{id}")).await;
    assert_eq!((status, user["active"].clone()), (200, json!(false)));
    // Reactivation by the IdP brings the account back.
    let (status, user) = gw
        .patch(&format!("/Users/{id}"), json!([{"op": "replace", "value": {"active": true}}]))
        .await;
    assert_eq!((status, user["active"].clone()), (200, json!(true)));
}

#[tokio::test]
async fn delete_can_move_to_an_archive_out_of_view() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mapping = mapping_with(dir.path(), r#"delete: { strategy: move, archive: "ou=archive,{base}" }"#);
    let archive = dir.path().join("archive.ldif");
    std::fs::write(
        &archive,
        "dn: ou=archive,dc=example,dc=org\nobjectClass: organizationalUnit\nou: archive\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let gw = Gateway::start_with(&[path_str(&archive)], &[("SCIM2LDAP__MAPPING", &mapping)]).await;
    let id = gw.create_user(json!({"userName": "leaver"})).await;
    let (status, _) = gw.delete(&format!("/Users/{id}")).await;
    assert_eq!(status, 204);
    assert!(gw.slapd.entry("uid=leaver,ou=people,dc=example,dc=org").await.is_none());
    let archived = gw.slapd.existing_entry("uid=leaver,ou=archive,dc=example,dc=org").await;
    assert_eq!(archived.get("entryuuid"), Some(&vec![id.clone()]), "the same entry, moved");
    assert_eq!(archived.get("pwdaccountlockedtime"), Some(&vec!["000001010000Z".to_string()]));
    // RFC 7644 §3.6: a deleted resource is 404 from then on, and its name is free again.
    let (status, body) = gw.get(&format!("/Users/{id}")).await;
    assert_scim_error(status, &body, 404, None);
    let (_, found) = gw.get("/Users?filter=userName%20eq%20%22leaver%22").await;
    assert_eq!(found["totalResults"], 0);
    gw.create_user(json!({"userName": "leaver"})).await;
}

#[tokio::test]
async fn passwords_are_set_by_the_directory_only_when_the_mapping_says_so() {
    let dn = "uid=pat,ou=people,dc=example,dc=org";
    // `password: { strategy: ignore }` never writes one.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let text = read_text(concat!(env!("CARGO_MANIFEST_DIR"), "/mappings/openldap.yaml"));
    let ignoring = dir.path().join("ignore.yaml");
    std::fs::write(
        &ignoring,
        text.replacen("  password: { strategy: exop }\n", "  password: { strategy: ignore }\n", 1),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let gw = Gateway::start_with(&[], &[("SCIM2LDAP__MAPPING", &ignoring.display().to_string())]).await;
    gw.create_user(json!({"userName": "pat", "password": "Placeholder-1mz050nq"})).await;
    assert!(!gw.slapd.binds(dn, "Placeholder-1mz050nq").await);
    assert!(gw.slapd.values(dn, "userPassword").await.is_empty());

    // The shipped mapping sets passwords by POST, PUT and PATCH alike, hashed by the directory.
    let gw = Gateway::start().await;
    let (status, created) = gw.post("/Users", json!({"userName": "pat", "password": "first-Secret-42"})).await;
    assert_eq!(status, 201, "{created}");
    assert!(created.get("password").is_none(), "never returned: {created}");
    assert!(
        gw.slapd.binds(dn, "first-Secret-42").await,
        "the user can bind with the password the IdP set"
    );
    let stored = gw.slapd.values(dn, "userPassword").await;
    assert!(
        stored.len() == 1 && !stored[0].contains("first-Secret-42"),
        "the directory hashed it: {stored:?}"
    );

    let id = id_of(&created).to_string();
    let (status, patched) = gw
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "password", "value": "second-Secret-43"}]),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert!(patched.get("password").is_none());
    assert!(gw.slapd.binds(dn, "second-Secret-43").await);
    assert!(!gw.slapd.binds(dn, "first-Secret-42").await);
    let (status, put) = gw
        .put(&format!("/Users/{id}"), json!({"userName": "pat", "password": "third-Secret-44"}))
        .await;
    assert_eq!(status, 200, "{put}");
    assert!(gw.slapd.binds(dn, "third-Secret-44").await, "PUT sets it too");

    let (_, schemas) = gw.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").await;
    let password = schemas["attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["name"] == "password")
        .cloned()
        .unwrap_or_else(|| panic!("no password attribute in {schemas}"));
    assert_eq!(
        (password["mutability"].clone(), password["returned"].clone()),
        (json!("writeOnly"), json!("never"))
    );
}

#[tokio::test]
async fn a_user_left_in_no_group_is_deactivated_when_the_mapping_says_so() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mapping = mapping_with(dir.path(), "deactivate_when_ungrouped: true");
    let gw = Gateway::start_with(&[], &[("SCIM2LDAP__MAPPING", &mapping)]).await;
    let locked = |name: &'static str| {
        let dn = format!("uid={name},ou=people,dc=example,dc=org");
        let slapd = &gw.slapd;
        async move { !slapd.values(&dn, "pwdAccountLockedTime").await.is_empty() }
    };
    let ann = gw.create_user(json!({"userName": "ann"})).await;
    let ben = gw.create_user(json!({"userName": "ben"})).await;
    let cid = gw.create_user(json!({"userName": "cid"})).await;
    let group = |name: &str, members: &[&String]| json!({"displayName": name, "members": members.iter().map(|m| json!({"value": m})).collect::<Vec<_>>()});
    let (_, sales) = gw.post("/Groups", group("Sales", &[&ann, &ben, &cid])).await;
    let (_, staff) = gw.post("/Groups", group("Staff", &[&ann])).await;
    let sales = id_of(&sales).to_string();
    let staff = id_of(&staff).to_string();

    // Entra's removal shape: ann is still in Staff, ben is in no group any more.
    let (status, body) = gw
        .patch(
            &format!("/Groups/{sales}"),
            json!([{"op": "Remove", "path": "members", "value": [{"value": ann}, {"value": ben}]}]),
        )
        .await;
    assert!(status == 200 || status == 204, "{body}");
    assert!(!locked("ann").await, "ann is still in Staff");
    assert!(locked("ben").await, "ben is in no group");
    assert!(!locked("cid").await);

    // An exact member list that leaves cid out, then deleting the last group ann is in.
    let (status, body) = gw
        .patch(
            &format!("/Groups/{sales}"),
            json!([{"op": "replace", "path": "members", "value": []}]),
        )
        .await;
    assert!(status == 200 || status == 204, "{body}");
    assert!(locked("cid").await, "cid was dropped by the exact list");
    let (status, _) = gw.delete(&format!("/Groups/{staff}")).await;
    assert_eq!(status, 204);
    assert!(locked("ann").await, "ann's last group was deleted");
    let (_, user) = gw.get(&format!("/Users/{ann}")).await;
    assert_eq!(user["active"], false);
}

/// Disabled accounts kept in an OU of their own: moved there when disabled (by PATCH, PUT or a soft
/// DELETE), created there when inactive, moved back when enabled; still read and filtered by state.
async fn disabled_accounts_move_suite<S: Server>(server: S, flavour: Flavour, base: &str, disabled: &str, mapping: String) {
    let ldap = server.endpoint();
    for ou in [base, disabled] {
        if ldap.entry(ou).await.is_some() {
            continue;
        }
        let name = ou.split(',').next().and_then(|rdn| rdn.split_once('=')).map_or("", |(_, v)| v);
        ldap.add(ou, &[("objectClass", &["organizationalUnit"]), ("ou", &[name])]).await;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("mapping.yaml");
    std::fs::write(&path, mapping).unwrap_or_else(|e| panic!("{e}"));
    let gw = Gateway::attach(server, &[("SCIM2LDAP__MAPPING", &path.display().to_string())]).await;
    let ldap = gw.slapd.endpoint();
    let dn_in = |parent: &str, name: &str| {
        let user = (flavour.user_dn)(name);
        let rdn = user
            .split_once(',')
            .map(|(rdn, _)| rdn)
            .unwrap_or_else(|| panic!("{user} has no parent"));
        format!("{rdn},{parent}")
    };
    let name = "robin@example.org";
    let id = gw.create_user(json!({"userName": name, "password": "Robin-Secret-77"})).await;
    let user = format!("/Users/{id}");
    assert!(ldap.entry(&dn_in(base, name)).await.is_some(), "created among the active accounts");

    let (status, body) = gw.patch(&user, json!([{"op": "replace", "path": "active", "value": false}])).await;
    assert_eq!((status, body["active"].clone()), (200, json!(false)), "{body}");
    assert!(ldap.entry(&dn_in(base, name)).await.is_none());
    let moved = ldap.existing_entry(&dn_in(disabled, name)).await;
    assert!((flavour.disabled)(&moved), "moved and marked disabled: {moved:?}");
    let (_, found) = gw.get("/Users?filter=active%20eq%20false").await;
    assert!(
        found["Resources"].as_array().into_iter().flatten().any(|r| r["id"] == id.as_str()),
        "{found}"
    );

    let (status, body) = gw.patch(&user, json!([{"op": "replace", "value": {"active": true}}])).await;
    assert_eq!((status, body["active"].clone()), (200, json!(true)), "{body}");
    let back = ldap.existing_entry(&dn_in(base, name)).await;
    assert!(!(flavour.disabled)(&back), "moved back and enabled: {back:?}");

    let (status, _) = gw.delete(&user).await;
    assert_eq!(status, 204);
    assert!(
        ldap.entry(&dn_in(disabled, name)).await.is_some_and(|e| (flavour.disabled)(&e)),
        "a soft delete moves it too"
    );

    let (status, body) = gw.post("/Users", json!({"userName": "sky@example.org", "active": false})).await;
    assert_eq!(status, 201, "{body}");
    assert!(
        ldap.entry(&dn_in(disabled, "sky@example.org")).await.is_some(),
        "created inactive, created apart"
    );
}

fn shipped(flavour: &Flavour) -> String {
    std::fs::read_to_string(format!("{}/{}", env!("CARGO_MANIFEST_DIR"), flavour.mapping)).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn disabled_accounts_can_live_in_their_own_ou_on_openldap() {
    let text = with_exop(&shipped(&OPENLDAP), "disable")
        .replacen("  scope: one\n", "  scope: sub\n", 1)
        .replacen(
            "    disabled_value: \"000001010000Z\"\n",
            "    disabled_value: \"000001010000Z\"\n    move_to: \"ou=disabled,ou=people,{base}\"\n",
            1,
        );
    assert!(text.contains("move_to"));
    let base = "ou=people,dc=example,dc=org";
    disabled_accounts_move_suite(
        Slapd::start(&[]).await,
        OPENLDAP,
        base,
        "ou=disabled,ou=people,dc=example,dc=org",
        text,
    )
    .await;
}

#[tokio::test]
async fn disabled_accounts_can_live_in_their_own_ou_on_389_directory_server() {
    let text = with_exop(&shipped(&DS389), "disable")
        .replacen("  scope: one\n", "  scope: sub\n", 1)
        .replacen(
            "    disabled_value: \"true\"\n",
            "    disabled_value: \"true\"\n    move_to: \"ou=disabled,ou=people,{base}\"\n",
            1,
        );
    assert!(text.contains("move_to"));
    disabled_accounts_move_suite(
        Ds389::start().await,
        DS389,
        "ou=people,dc=example,dc=org",
        "ou=disabled,ou=people,dc=example,dc=org",
        text,
    )
    .await;
}

#[tokio::test]
async fn disabled_accounts_can_live_in_their_own_ou_on_active_directory() {
    let text = with_delete(&shipped(&ACTIVE_DIRECTORY), "disable")
        .replacen(
            "  base: \"cn=Users,{base}\"\n  scope: one\n",
            "  base: \"ou=Staff,{base}\"\n  scope: sub\n",
            1,
        )
        .replacen(
            "    new_value: 512\n",
            "    new_value: 512\n    move_to: \"ou=Disabled,ou=Staff,{base}\"\n",
            1,
        );
    assert!(text.contains("move_to") && text.contains("ou=Staff"));
    disabled_accounts_move_suite(
        SambaDc::start().await,
        ACTIVE_DIRECTORY,
        "ou=Staff,dc=example,dc=org",
        "ou=Disabled,ou=Staff,dc=example,dc=org",
        text,
    )
    .await;
}
