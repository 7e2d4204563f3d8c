//! PATCH dialects as Microsoft Entra ID's and Okta's public SCIM documentation show them, and ETags;
//! every result checked on the LDAP entry.

use pretty_assertions::assert_eq;
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{assert_scim_error, id_of, read, Gateway, ENTERPRISE, TOKEN};

#[tokio::test]
async fn entra_documented_user_requests() {
    let gw = Gateway::start().await;
    let manager = gw.create_user(json!({"userName": "boss@testuser.com"})).await;
    // Create, as in Microsoft's "Create User" example (roles is not stored and is ignored).
    let (status, user) = gw
        .post(
            "/Users",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
                "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
                "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
                "active": true,
                "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
                "meta": {"resourceType": "User"},
                "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
                "roles": []
            }),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    let id = id_of(&user).to_string();
    let path = format!("/Users/{id}");
    let mut dn = "uid=Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1,ou=people,dc=example,dc=org".to_string();
    assert_eq!(gw.slapd.values(&dn, "cn").await, vec!["givenName familyName"]);

    // "Update User [Multi-valued properties]".
    let (status, body) = gw
        .patch(
            &path,
            json!([
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
                {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"}
            ]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(gw.slapd.values(&dn, "mail").await, vec!["updatedEmail@microsoft.com"]);
    assert_eq!(gw.slapd.values(&dn, "sn").await, vec!["updatedFamilyName"]);

    // "Update User [Single-valued properties]": a new userName renames the entry.
    let (status, body) = gw
        .patch(
            &path,
            json!([{"op": "Replace", "path": "userName", "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    dn = "uid=5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com,ou=people,dc=example,dc=org".into();
    assert_eq!(
        gw.slapd.values(&dn, "uid").await,
        vec!["5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"]
    );

    // "Disable User", with and without the string boolean of the older dialect.
    for value in [json!(false), json!("False")] {
        let (status, body) = gw.patch(&path, json!([{"op": "Replace", "path": "active", "value": value}])).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(gw.slapd.values(&dn, "pwdaccountlockedtime").await, vec!["000001010000Z"]);
    }

    // Manager as a plain id, then as {"value": id}, then removed.
    let manager_dn = "uid=boss@testuser.com,ou=people,dc=example,dc=org";
    for value in [json!(manager), json!({"value": manager})] {
        let (status, body) = gw
            .patch(
                &path,
                json!([{"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": value}]),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body[ENTERPRISE]["manager"]["value"], manager.as_str());
        assert_eq!(gw.slapd.values(&dn, "manager").await, vec![manager_dn]);
    }
    let (status, body) = gw
        .patch(&path, json!([{"op": "Remove", "path": format!("{ENTERPRISE}:manager")}]))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(gw.slapd.values(&dn, "manager").await.is_empty());

    // With aadOptscim062020: one pathless replace with plain, dotted and URN-qualified keys.
    let (status, body) = gw
        .patch(
            &path,
            json!([{"op": "replace", "value": {
                "displayName": "Updated Display",
                "name.givenName": "Updated Given",
                "title": "Engineer",
                "active": true,
                format!("{ENTERPRISE}:employeeNumber"): "4711",
                format!("{ENTERPRISE}:department"): "R&D"
            }}]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(gw.slapd.values(&dn, "displayname").await, vec!["Updated Display"]);
    assert_eq!(gw.slapd.values(&dn, "givenname").await, vec!["Updated Given"]);
    assert_eq!(gw.slapd.values(&dn, "title").await, vec!["Engineer"]);
    assert_eq!(gw.slapd.values(&dn, "employeenumber").await, vec!["4711"]);
    assert_eq!(gw.slapd.values(&dn, "departmentnumber").await, vec!["R&D"]);
    assert!(gw.slapd.values(&dn, "pwdaccountlockedtime").await.is_empty());
    // Nothing else moved.
    assert_eq!(gw.slapd.values(&dn, "sn").await, vec!["updatedFamilyName"]);
    assert_eq!(gw.slapd.values(&dn, "mail").await, vec!["updatedEmail@microsoft.com"]);
}

#[tokio::test]
async fn okta_documented_user_lifecycle() {
    let gw = Gateway::start().await;
    // Okta's create carries a placeholder password, which this mapping does not store.
    let (status, user) = gw
        .post(
            "/Users",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "test.user@okta.local",
                "name": {"givenName": "Test", "familyName": "User"},
                "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
                "displayName": "Test User",
                "locale": "en-US",
                "externalId": "00ujl29u0le5T6Aj10h7",
                "groups": [],
                "password": "1mz050nq",
                "active": true
            }),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    assert!(user.get("password").is_none());
    let id = id_of(&user).to_string();
    let path = format!("/Users/{id}");
    let dn = "uid=test.user@okta.local,ou=people,dc=example,dc=org";
    // Okta's create carries a password (a random one unless password sync is on): set, hashed by the
    // directory, never stored as sent.
    let stored = gw.slapd.values(dn, "userpassword").await;
    assert!(stored.len() == 1 && !stored[0].contains("1mz050nq"), "{stored:?}");

    // Profile update: GET, then PUT of the whole resource with one change.
    let (_, mut current) = gw.get(&path).await;
    current["name"]["familyName"] = json!("Userson");
    let (status, body) = gw.put(&path, current).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(gw.slapd.values(dn, "sn").await, vec!["Userson"]);
    assert_eq!(gw.slapd.values(dn, "mail").await, vec!["test.user@okta.local"]);

    // Deactivate and reactivate by pathless replace.
    let (status, body) = gw.patch(&path, json!([{"op": "replace", "value": {"active": false}}])).await;
    assert_eq!((status, body["active"].clone()), (200, json!(false)));
    assert_eq!(gw.slapd.values(dn, "pwdaccountlockedtime").await, vec!["000001010000Z"]);
    let (_, found) = gw.get("/Users?filter=active%20eq%20false").await;
    assert_eq!(found["totalResults"], 1);
    let (status, body) = gw.patch(&path, json!([{"op": "replace", "value": {"active": true}}])).await;
    assert_eq!((status, body["active"].clone()), (200, json!(true)));
    assert!(gw.slapd.values(dn, "pwdaccountlockedtime").await.is_empty());
}

#[tokio::test]
async fn etags_guard_writes_and_answer_not_modified() {
    let gw = Gateway::start().await;
    let id = gw.create_user(json!({"userName": "etag"})).await;
    let path = format!("/scim/v2/Users/{id}");
    let response = gw.raw(Method::GET, &path, None, Some(TOKEN)).await;
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no ETag on GET {path}"))
        .to_string();
    let (_, user) = read(response).await;
    assert!(
        etag.starts_with("W/\"") && user["meta"]["version"] == etag.as_str(),
        "{etag} {user}"
    );

    let not_modified = gw
        .client
        .get(format!("{}{path}", gw.base))
        .bearer_auth(TOKEN)
        .header("if-none-match", &etag)
        .send()
        .await;
    let not_modified = not_modified.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(not_modified.status(), 304);

    let send = |method: Method, tag: &str, body: Option<Value>| {
        let mut request = gw
            .client
            .request(method, format!("{}{path}", gw.base))
            .bearer_auth(TOKEN)
            .header("if-match", tag);
        if let Some(body) = body {
            request = request.header("content-type", "application/scim+json").body(body.to_string());
        }
        request.send()
    };
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "title", "value": "First"}]});
    let response = send(Method::PATCH, &etag, Some(patch.clone()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let new_etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no ETag on the answer to the PATCH"))
        .to_string();
    let (status, body) = read(response).await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(new_etag, etag);

    // The old version is stale now: every write with it is refused and changes nothing.
    let stale = [
        (
            Method::PATCH,
            Some(
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "title", "value": "Second"}]}),
            ),
        ),
        (Method::PUT, Some(json!({"userName": "etag", "title": "Second"}))),
        (Method::DELETE, None),
    ];
    for (method, body) in stale {
        let (status, error) = read(send(method, &etag, body).await.unwrap_or_else(|e| panic!("{e}"))).await;
        assert_scim_error(status, &error, 412, None);
    }
    let dn = "uid=etag,ou=people,dc=example,dc=org";
    assert_eq!(gw.slapd.values(dn, "title").await, vec!["First"]);
    let (status, _) = read(send(Method::DELETE, "*", None).await.unwrap_or_else(|e| panic!("{e}"))).await;
    assert_eq!(status, 204);
    assert!(gw.slapd.entry(dn).await.is_none());

    let (_, spc) = gw.get("/ServiceProviderConfig").await;
    assert_eq!(spc["etag"]["supported"], true);
}

#[tokio::test]
async fn a_rename_is_undone_when_the_rest_of_the_request_fails() {
    let gw = Gateway::start().await;
    let id = gw.create_user(json!({"userName": "stays"})).await;
    // The directory refuses the phone number (telephoneNumber is a printable string) after the rename.
    let (status, body) = gw
        .patch(
            &format!("/Users/{id}"),
            json!([
                {"op": "replace", "path": "userName", "value": "moved"},
                {"op": "add", "path": "phoneNumbers[type eq \"work\"].value", "value": "☎ @ home"}
            ]),
        )
        .await;
    assert_scim_error(status, &body, 400, Some("invalidValue"));
    assert!(gw.slapd.entry("uid=moved,ou=people,dc=example,dc=org").await.is_none());
    assert!(gw.slapd.entry("uid=stays,ou=people,dc=example,dc=org").await.is_some());
    let (status, user) = gw.get(&format!("/Users/{id}")).await;
    assert_eq!((status, user["userName"].clone()), (200, json!("stays")));
}

#[tokio::test]
async fn patch_can_answer_no_content() {
    let gw = Gateway::start_with(&[], &[("SCIM2LDAP__SERVER__PATCH_NO_CONTENT", "true")]).await;
    let id = gw.create_user(json!({"userName": "quiet"})).await;
    let (status, body) = gw
        .patch(&format!("/Users/{id}"), json!([{"op": "replace", "path": "title", "value": "T"}]))
        .await;
    assert_eq!((status, body), (204, Value::Null));
    assert_eq!(gw.slapd.values("uid=quiet,ou=people,dc=example,dc=org", "title").await, vec!["T"]);
}

#[tokio::test]
async fn extension_objects_references_by_url_and_removal_of_required_ldap_attributes() {
    let gw = Gateway::start().await;
    let boss = gw.create_user(json!({"userName": "boss"})).await;
    let (status, user) = gw
        .post(
            "/Users",
            json!({"userName": "worker", "name": {"givenName": "Wo", "familyName": "Rker", "formatted": "Wo Rker"}}),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    let id = id_of(&user).to_string();
    let dn = "uid=worker,ou=people,dc=example,dc=org";

    // A path that names the extension schema carries an object of its attributes; a reference may be
    // given by its URL alone.
    let boss_url = format!("{}/scim/v2/Users/{boss}", gw.base);
    let (status, patched) = gw
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "add", "path": ENTERPRISE, "value": {
                "schemas": [ENTERPRISE],
                "department": "Mill",
                "manager": {"$ref": boss_url}
            }}]),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched[ENTERPRISE]["department"], "Mill");
    assert_eq!(patched[ENTERPRISE]["manager"]["value"], boss.as_str());
    assert_eq!(gw.slapd.values(dn, "manager").await, vec!["uid=boss,ou=people,dc=example,dc=org"]);

    let (status, patched) = gw
        .patch(&format!("/Users/{id}"), json!([{"op": "remove", "path": ENTERPRISE}]))
        .await;
    assert_eq!(status, 200, "{patched}");
    assert!(patched.get(ENTERPRISE).is_none(), "{patched}");
    assert!(gw.slapd.values(dn, "departmentNumber").await.is_empty());

    // sn and cn stay in the directory (person requires them) but SCIM shows the name as removed.
    let (status, patched) = gw.patch(&format!("/Users/{id}"), json!([{"op": "remove", "path": "name"}])).await;
    assert_eq!(status, 200, "{patched}");
    assert!(patched.get("name").is_none(), "{patched}");
    assert_eq!(gw.slapd.values(dn, "sn").await, vec!["worker"]);
    assert_eq!(gw.slapd.values(dn, "cn").await, vec!["worker"]);
    assert!(gw.slapd.values(dn, "givenName").await.is_empty());
}
