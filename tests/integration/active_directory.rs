//! Active Directory specifics against a real Samba AD domain controller, with the shipped
//! `mappings/active-directory.yaml`: objectGUID ids, sAMAccountName, userAccountControl bits kept,
//! passwords over TLS only, and Entra's group flow on AD groups.

use pretty_assertions::assert_eq;
use serde_json::json;

use crate::support::{assert_scim_error, id_of, member_ids, refusal, Gateway, SambaDc};

fn user_dn(name: &str) -> String {
    format!("cn={name},cn=Users,dc=example,dc=org")
}

fn flags(entry: &std::collections::HashMap<String, Vec<String>>) -> u32 {
    entry
        .get("useraccountcontrol")
        .and_then(|v| v.first())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no userAccountControl in {entry:?}"))
}

/// The objectGUID of the entry at `dn`, as the 16 bytes AD stores.
async fn stored_guid(gw: &Gateway<SambaDc>, dn: &str) -> Vec<u8> {
    let mut ldap = gw.slapd.connect().await;
    let (found, _) = ldap
        .search(dn, ldap3::Scope::Base, "(objectClass=*)", vec!["objectGUID"])
        .await
        .and_then(|r| r.success())
        .unwrap_or_else(|e| panic!("read {dn}: {e}"));
    let entry = ldap3::SearchEntry::construct(found.into_iter().next().unwrap_or_else(|| panic!("no {dn}")));
    let binary = entry.bin_attrs.get("objectGUID").and_then(|v| v.first()).cloned();
    binary
        .or_else(|| entry.attrs.get("objectGUID").and_then(|v| v.first()).map(|s| s.as_bytes().to_vec()))
        .unwrap_or_else(|| panic!("no objectGUID in {dn}"))
}

#[tokio::test]
async fn users_on_active_directory() {
    let gw = Gateway::attach(SambaDc::start().await, &[]).await;
    let name = "morgan.lee@example.org";
    let (status, created) = gw
        .post(
            "/Users",
            json!({"userName": name, "externalId": "e-17", "displayName": "Morgan Lee",
                   "name": {"givenName": "Morgan", "familyName": "Lee"},
                   "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"}}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = id_of(&created).to_string();
    let dn = user_dn(name);

    // The id is objectGUID in AD's dashed form: the first three fields little-endian.
    let guid = stored_guid(&gw, &dn).await;
    assert_eq!(guid.len(), 16);
    let expected = format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{}-{}",
        guid[3],
        guid[2],
        guid[1],
        guid[0],
        guid[5],
        guid[4],
        guid[7],
        guid[6],
        hex(&guid[8..10]),
        hex(&guid[10..16])
    );
    assert_eq!(id, expected);
    let (status, got) = gw.get(&format!("/Users/{}", id.to_uppercase())).await;
    assert_eq!(
        (status, got["userName"].as_str()),
        (200, Some(name)),
        "ids compare without case: {got}"
    );
    let (_, found) = gw.get(&format!("/Users?filter=id%20eq%20%22{id}%22")).await;
    assert_eq!(found["totalResults"], 1, "{found}");
    let (status, body) = gw.get("/Users/not-a-guid").await;
    assert_scim_error(status, &body, 404, None);

    // What AD keeps: the logon names, the state bits, and meta from whenCreated and uSNChanged.
    let entry = gw.slapd.existing_entry(&dn).await;
    assert_eq!(entry.get("samaccountname"), Some(&vec!["morgan.lee".to_string()]));
    assert_eq!(entry.get("userprincipalname"), Some(&vec![name.to_string()]));
    assert_eq!(entry.get("department"), Some(&vec!["Sales".to_string()]));
    assert_eq!(flags(&entry), 512, "enabled NORMAL_ACCOUNT");
    let password_set = entry
        .get("pwdlastset")
        .and_then(|v| v.first())
        .is_some_and(|t| !t.is_empty() && t != "0");
    assert!(password_set, "enabled with a random password: {entry:?}");
    assert!(got["meta"]["created"].as_str().is_some_and(|c| c.ends_with('Z')), "{got}");
    let version = got["meta"]["version"]
        .as_str()
        .unwrap_or_else(|| panic!("no version in {got}"))
        .to_string();
    assert!(version.starts_with("W/\""), "{got}");

    // Bits the gateway does not own survive a disable and an enable (DONT_EXPIRE_PASSWORD, 0x10000).
    let mut ldap = gw.slapd.connect().await;
    ldap.modify(&dn, vec![ldap3::Mod::Replace("userAccountControl", ["66048"].into())])
        .await
        .and_then(|r| r.success())
        .unwrap_or_else(|e| panic!("{e}"));
    let user = format!("/Users/{id}");
    let (status, body) = gw.patch(&user, json!([{"op": "replace", "path": "active", "value": false}])).await;
    assert_eq!((status, body["active"].clone()), (200, json!(false)), "{body}");
    assert_eq!(flags(&gw.slapd.existing_entry(&dn).await), 66050);
    assert_ne!(body["meta"]["version"].as_str(), Some(version.as_str()), "uSNChanged moved");
    let (status, _) = gw.patch(&user, json!([{"op": "replace", "path": "active", "value": true}])).await;
    assert_eq!(status, 200);
    assert_eq!(flags(&gw.slapd.existing_entry(&dn).await), 66048);

    // A new account created inactive stays disabled, password or not.
    let (status, body) = gw.post("/Users", json!({"userName": "idle@example.org", "active": false})).await;
    assert_eq!((status, body["active"].clone()), (201, json!(false)), "{body}");
    assert_eq!(flags(&gw.slapd.existing_entry(&user_dn("idle@example.org")).await), 514);

    // sAMAccountName holds 20 characters: a longer local part is a clear 400 and nothing is created.
    let long = "a.very.long.local.part@example.org";
    let (status, body) = gw.post("/Users", json!({"userName": long})).await;
    assert_scim_error(status, &body, 400, Some("invalidValue"));
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("sAMAccountName") && d.contains("20")),
        "{body}"
    );
    assert!(gw.slapd.entry(&user_dn(long)).await.is_none());
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn passwords_go_to_active_directory_over_tls_only() {
    let samba = SambaDc::start().await;
    let plain = samba.url.clone();
    let config = Gateway::config(&samba, &[("SCIM2LDAP__LDAP__URL", &plain)]).unwrap_or_else(|e| panic!("{e}"));
    let refused = refusal(scim2ldap::app::build(&config).await);
    assert!(
        refused.contains("active-directory.yaml") && refused.contains("unicode_pwd") && refused.contains("ldaps://"),
        "a plain connection is refused at startup: {refused}"
    );
    // Over LDAPS (the shipped settings) a password set by the IdP lets the user bind.
    let gw = Gateway::attach(samba, &[]).await;
    let (status, body) = gw
        .post("/Users", json!({"userName": "pat@example.org", "password": "Pat-Secret-2026"}))
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(gw.slapd.binds(&user_dn("pat@example.org"), "Pat-Secret-2026").await);
}

#[tokio::test]
async fn reactivation_lifts_a_lockout() {
    let gw = Gateway::attach(SambaDc::start().await, &[]).await;
    let dn = user_dn("lee@example.org");
    let (status, body) = gw
        .post("/Users", json!({"userName": "lee@example.org", "password": "Lee-Secret-2026"}))
        .await;
    assert_eq!(status, 201, "{body}");
    let user = format!("/Users/{}", id_of(&body));
    // The sandbox locks an account after five failed logons.
    for _ in 0..5 {
        assert!(!gw.slapd.binds(&dn, "wrong-password").await);
    }
    let locked = gw.slapd.values(&dn, "lockoutTime").await;
    assert!(locked.first().is_some_and(|t| t != "0"), "locked out: {locked:?}");
    assert!(!gw.slapd.binds(&dn, "Lee-Secret-2026").await, "a locked account cannot log on");

    for active in [false, true] {
        let (status, body) = gw.patch(&user, json!([{"op": "replace", "path": "active", "value": active}])).await;
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(gw.slapd.values(&dn, "lockoutTime").await, vec!["0".to_string()]);
    assert!(gw.slapd.binds(&dn, "Lee-Secret-2026").await, "reactivated, the lockout is lifted");
}

#[tokio::test]
async fn entra_group_flow_on_active_directory() {
    let gw = Gateway::attach(SambaDc::start().await, &[]).await;
    let ann = gw.create_user(json!({"userName": "ann@example.org"})).await;
    let ben = gw.create_user(json!({"userName": "ben@example.org"})).await;

    // Entra creates the group empty; AD groups may be.
    let (status, group) = gw.post("/Groups", json!({"displayName": "Sales EMEA", "externalId": "g-1"})).await;
    assert_eq!(status, 201, "{group}");
    let id = id_of(&group).to_string();
    let dn = "cn=Sales EMEA,cn=Users,dc=example,dc=org";
    let entry = gw.slapd.existing_entry(dn).await;
    assert_eq!(entry.get("samaccountname"), Some(&vec!["Sales EMEA".to_string()]));
    let path = format!("/Groups/{id}");
    let (status, body) = gw
        .patch(
            &path,
            json!([{"op": "Add", "path": "members", "value": [{"value": ann}, {"value": ben}]}]),
        )
        .await;
    assert!(status == 200 || status == 204, "{body}");
    assert_eq!(gw.slapd.values(dn, "member").await.len(), 2);
    let (_, user) = gw.get(&format!("/Users/{ann}")).await;
    assert_eq!(user["groups"][0]["value"], id, "AD's memberOf: {user}");

    // Rename, then Entra's removal shape, then delete.
    let (status, body) = gw
        .patch(&path, json!([{"op": "Replace", "path": "displayName", "value": "Sales Europe"}]))
        .await;
    assert_eq!(status, 200, "{body}");
    let renamed = "cn=Sales Europe,cn=Users,dc=example,dc=org";
    assert!(gw.slapd.entry(dn).await.is_none());
    let (status, body) = gw
        .patch(&path, json!([{"op": "Remove", "path": "members", "value": [{"value": ann}]}]))
        .await;
    assert!(status == 200 || status == 204, "{body}");
    let (_, group) = gw.get(&path).await;
    assert_eq!(member_ids(&group), vec![ben.clone()]);
    let members: Vec<String> = gw.slapd.values(renamed, "member").await.iter().map(|m| m.to_lowercase()).collect();
    assert_eq!(
        members,
        vec![user_dn("ben@example.org").to_lowercase()],
        "AD spells DNs in capitals"
    );
    let (status, _) = gw.delete(&path).await;
    assert_eq!(status, 204);
    assert!(gw.slapd.entry(renamed).await.is_none());
}

#[tokio::test]
async fn large_attributes_are_read_slice_by_slice() {
    // Real AD sends at most 1,500 values of `member` per read; Samba sends every value unless asked
    // for a range, so the test asks for a two-value slice and expects the directory layer to read the
    // remaining slices itself.
    let gw = Gateway::attach(SambaDc::start().await, &[]).await;
    let mut members = Vec::new();
    for i in 0..5 {
        members.push(json!({"value": gw.create_user(json!({"userName": format!("m{i}@example.org")})).await}));
    }
    let (status, group) = gw.post("/Groups", json!({"displayName": "Big", "members": members})).await;
    assert_eq!(status, 201, "{group}");
    // The server does slice when asked: two values, under the ranged name.
    let mut raw = gw.slapd.connect().await;
    let (found, _) = raw
        .search(
            "cn=Big,cn=Users,dc=example,dc=org",
            ldap3::Scope::Base,
            "(objectClass=*)",
            vec!["member;range=0-1"],
        )
        .await
        .and_then(|r| r.success())
        .unwrap_or_else(|e| panic!("{e}"));
    let slice = ldap3::SearchEntry::construct(found.into_iter().next().unwrap_or_else(|| panic!("no group")));
    assert_eq!(slice.attrs.get("member;range=0-1").map(Vec::len), Some(2), "{:?}", slice.attrs);
    let config = Gateway::config(&gw.slapd, &[]).unwrap_or_else(|e| panic!("{e}"));
    let settings = config.ldap.unwrap_or_else(|| panic!("no ldap settings"));
    let metrics = std::sync::Arc::new(scim2ldap::metrics::Metrics::new());
    let directory = scim2ldap::ldap::LdapDirectory::connect(settings, metrics)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let request = scim2ldap::ldap::SearchRequest {
        base: "cn=Big,cn=Users,dc=example,dc=org".into(),
        scope: scim2ldap::ldap::Scope::Base,
        filter: scim2ldap::ldap::LdapFilter::any(),
        attrs: vec!["member;range=0-1".into()],
        size_limit: 1,
    };
    let found = scim2ldap::ldap::Directory::search(&directory, &request)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let entry = found.first().unwrap_or_else(|| panic!("no group"));
    assert_eq!(entry.get("member").len(), 5, "{entry:?}");
    assert!(!entry.has_ranges());
}
