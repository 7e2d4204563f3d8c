//! What DELETE does, per the mapping: remove, deactivate in place, or move to an archive.

use pretty_assertions::assert_eq;
use serde_json::json;

use crate::support::{assert_scim_error, Gateway};

/// The default mapping with a `delete` strategy for users.
fn mapping_with(dir: &std::path::Path, delete: &str) -> String {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/mappings/openldap.yaml")).unwrap_or_default();
    let text = text.replacen("  rdn: uid\n", &format!("  rdn: uid\n  delete: {delete}\n"), 1);
    let path = dir.join("mapping.yaml");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

#[tokio::test]
async fn delete_can_deactivate_in_place() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mapping = mapping_with(dir.path(), "{ strategy: disable }");
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
    let mapping = mapping_with(dir.path(), r#"{ strategy: move, archive: "ou=archive,{base}" }"#);
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
