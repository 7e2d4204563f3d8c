//! What DELETE does, per the mapping: remove, deactivate in place, or move to an archive; and
//! passwords, written with the Password Modify operation when the mapping says so.

use pretty_assertions::assert_eq;
use serde_json::json;

use crate::support::{assert_scim_error, Gateway};

/// The default mapping with `setting` (such as a `delete` strategy) added to users.
fn mapping_with(dir: &std::path::Path, setting: &str) -> String {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/mappings/openldap.yaml")).unwrap_or_default();
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
    let entry = gw.slapd.entry("uid=leaver,ou=people,dc=example,dc=org").await.unwrap_or_default();
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
    let gw = Gateway::start_with(&[archive.to_str().unwrap_or_default()], &[("SCIM2LDAP__MAPPING", &mapping)]).await;
    let id = gw.create_user(json!({"userName": "leaver"})).await;
    let (status, _) = gw.delete(&format!("/Users/{id}")).await;
    assert_eq!(status, 204);
    assert!(gw.slapd.entry("uid=leaver,ou=people,dc=example,dc=org").await.is_none());
    let archived = gw.slapd.entry("uid=leaver,ou=archive,dc=example,dc=org").await.unwrap_or_default();
    assert_eq!(archived.get("entryuuid"), Some(&vec![id.clone()]), "the same entry, moved");
    assert_eq!(archived.get("pwdaccountlockedtime"), Some(&vec!["000001010000Z".to_string()]));
    // RFC 7644 §3.6: a deleted resource is 404 from then on, and its name is free again.
    let (status, body) = gw.get(&format!("/Users/{id}")).await;
    assert_scim_error(status, &body, 404, None);
    let (_, found) = gw.get("/Users?filter=userName%20eq%20%22leaver%22").await;
    assert_eq!(found["totalResults"], 0);
    gw.create_user(json!({"userName": "leaver"})).await;
}

/// Whether a simple bind as `dn` with `password` succeeds.
async fn binds(gw: &Gateway, dn: &str, password: &str) -> bool {
    let Ok((conn, mut ldap)) = ldap3::LdapConnAsync::new(&gw.slapd.url).await else {
        return false;
    };
    ldap3::drive!(conn);
    ldap.simple_bind(dn, password).await.and_then(|r| r.success()).is_ok()
}

#[tokio::test]
async fn passwords_are_set_by_the_directory_only_when_the_mapping_says_so() {
    let dn = "uid=pat,ou=people,dc=example,dc=org";
    // The shipped mapping ignores passwords (Okta sends a random one on every create).
    let gw = Gateway::start().await;
    gw.create_user(json!({"userName": "pat", "password": "Placeholder-1mz050nq"})).await;
    assert!(!binds(&gw, dn, "Placeholder-1mz050nq").await);
    assert!(gw.slapd.values(dn, "userPassword").await.is_empty());

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mapping = mapping_with(dir.path(), "password: exop");
    let gw = Gateway::start_with(&[], &[("SCIM2LDAP__MAPPING", &mapping)]).await;
    let (status, created) = gw.post("/Users", json!({"userName": "pat", "password": "first-Secret-42"})).await;
    assert_eq!(status, 201, "{created}");
    assert!(created.get("password").is_none(), "never returned: {created}");
    assert!(
        binds(&gw, dn, "first-Secret-42").await,
        "the user can bind with the password the IdP set"
    );
    let stored = gw.slapd.values(dn, "userPassword").await;
    assert!(
        stored.len() == 1 && !stored[0].contains("first-Secret-42"),
        "the directory hashed it: {stored:?}"
    );

    let id = created["id"].as_str().unwrap_or_default().to_string();
    let (status, patched) = gw
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "password", "value": "second-Secret-43"}]),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert!(patched.get("password").is_none());
    assert!(binds(&gw, dn, "second-Secret-43").await);
    assert!(!binds(&gw, dn, "first-Secret-42").await);

    let (_, schemas) = gw.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").await;
    let password = schemas["attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["name"] == "password")
        .cloned()
        .unwrap_or_default();
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
    let sales = sales["id"].as_str().unwrap_or_default().to_string();
    let staff = staff["id"].as_str().unwrap_or_default().to_string();

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
