//! The cookbook mappings (`mappings/examples/`) under the flows their seeds describe, against a real
//! slapd: create, update, deactivate and group assignment as the IdP sends them, asserting the
//! entries the directory ends up with.

use pretty_assertions::assert_eq;
use serde_json::{json, Value};

use crate::support::{assert_scim_error, id_of, member_ids, path_str, read_text, Gateway};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PEOPLE: &str = "ou=people,dc=example,dc=org";

/// A gateway running `mappings/examples/{name}.yaml`, its directory holding `ldif` besides the base tree.
async fn gateway(name: &str, ldif: &str) -> (Gateway, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mapping = format!("{}/mappings/examples/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    let extra = dir.path().join("extra.ldif");
    std::fs::write(&extra, ldif).unwrap_or_else(|e| panic!("{e}"));
    let ldifs: Vec<&str> = if ldif.is_empty() { Vec::new() } else { vec![path_str(&extra)] };
    let gw = Gateway::start_with(&ldifs, &[("SCIM2LDAP__MAPPING", &mapping)]).await;
    (gw, dir)
}

fn one(entry: &std::collections::HashMap<String, Vec<String>>, attr: &str) -> Option<String> {
    entry.get(&attr.to_ascii_lowercase()).and_then(|v| v.first().cloned())
}

fn ok(status: u16, body: &Value) {
    assert!(status == 200 || status == 204, "{status}: {body}");
}

/// Entra's disable (`active` "False"), then its DELETE when the user leaves the app.
async fn disable_then_delete(gw: &Gateway, id: &str) {
    let (status, body) = gw
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await;
    ok(status, &body);
    let (status, _) = gw.delete(&format!("/Users/{id}")).await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn hubstaff_style_fans_the_os_username_out_and_disables_on_delete() {
    let (gw, _dir) = gateway("hubstaff", "").await;
    let hubstaff = "urn:ietf:params:scim:schemas:extension:hubstaff:2.0:User";
    let (status, created) = gw
        .post(
            "/Users",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE, hubstaff],
                "userName": "ada@contoso.com",
                "active": true,
                "displayName": "Ada Lovelace",
                "title": "Analyst",
                "emails": [{"primary": true, "type": "work", "value": "ada.l@contoso.com"}],
                "name": {"givenName": "Ada", "familyName": "Lovelace"},
                ENTERPRISE: {"department": "Engines"},
                hubstaff: {"osUsername": "alovelace"}
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = id_of(&created).to_string();
    assert_eq!(created[hubstaff]["osUsername"], "alovelace");
    let dn = format!("cn=ada@contoso.com,{PEOPLE}");
    let entry = gw.slapd.existing_entry(&dn).await;
    assert_eq!(one(&entry, "mail").as_deref(), Some("ada@contoso.com"), "the email is the UPN");
    assert_eq!(one(&entry, "employeeNumber").as_deref(), Some("alovelace"));
    assert_eq!(one(&entry, "uid").as_deref(), Some("alovelace"));
    assert_eq!(one(&entry, "departmentNumber").as_deref(), Some("Engines"));

    // Entra's update of the custom attribute reaches both LDAP attributes.
    let (status, body) = gw
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Replace", "path": format!("{hubstaff}:osUsername"), "value": "ada"}]),
        )
        .await;
    ok(status, &body);
    let entry = gw.slapd.existing_entry(&dn).await;
    assert_eq!(entry.get("employeenumber"), Some(&vec!["ada".to_string()]));
    assert_eq!(entry.get("uid"), Some(&vec!["ada".to_string()]));

    // Disabling in Entra, then removing the user from the app: the entry stays, locked.
    disable_then_delete(&gw, &id).await;
    assert_eq!(
        gw.slapd.values(&dn, "pwdAccountLockedTime").await,
        vec!["000001010000Z".to_string()]
    );
    let (_, user) = gw.get(&format!("/Users/{id}")).await;
    assert_eq!(user["active"], false);
}

#[tokio::test]
async fn seed_001_table_and_groups_as_roles() {
    let roles = "dn: ou=roles,dc=example,dc=org\nobjectClass: organizationalUnit\nou: roles\n";
    let (gw, _dir) = gateway("roles", roles).await;
    // Okta's user push with the table's attributes.
    let (status, created) = gw
        .post(
            "/Users",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "grace",
                "name": {"givenName": "Grace", "familyName": "Hopper"},
                "emails": [{"primary": true, "value": "grace@example.org", "type": "work"}],
                "phoneNumbers": [{"type": "mobile", "value": "+1 555 0100"}, {"type": "work", "value": "+1 555 0199"}],
                "title": "Rear Admiral",
                "addresses": [{"type": "work", "streetAddress": "1 Navy Way", "locality": "Arlington", "region": "VA", "postalCode": "22202", "country": "us"}],
                "active": true
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let grace = id_of(&created).to_string();
    assert_eq!(created["addresses"][0]["country"], "US");
    let dn = format!("uid=grace,{PEOPLE}");
    let entry = gw.slapd.existing_entry(&dn).await;
    for (attr, value) in [
        ("mobile", "+1 555 0100"),
        ("telephoneNumber", "+1 555 0199"),
        ("street", "1 Navy Way"),
        ("l", "Arlington"),
        ("st", "VA"),
        ("postalCode", "22202"),
        ("c", "US"),
        ("title", "Rear Admiral"),
    ] {
        assert_eq!(one(&entry, attr).as_deref(), Some(value), "{attr}");
    }

    // A group is pushed empty, becomes a role, and gets its member.
    let (status, role) = gw
        .post(
            "/Groups",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Approvers"}),
        )
        .await;
    assert_eq!(status, 201, "{role}");
    let role_id = id_of(&role).to_string();
    let role_dn = "cn=Approvers,ou=roles,dc=example,dc=org";
    assert!(gw.slapd.values(role_dn, "roleOccupant").await.is_empty());
    let (status, body) = gw
        .patch(
            &format!("/Groups/{role_id}"),
            json!([{"op": "add", "path": "members", "value": [{"value": grace}]}]),
        )
        .await;
    ok(status, &body);
    assert_eq!(gw.slapd.values(role_dn, "roleOccupant").await, vec![dn.clone()]);

    // Okta deactivates with a PUT of the whole user; delete keeps the entry, deactivated.
    let (_, mut user) = gw.get(&format!("/Users/{grace}")).await;
    user["active"] = json!(false);
    let (status, body) = gw.put(&format!("/Users/{grace}"), user).await;
    assert_eq!((status, body["active"].clone()), (200, json!(false)), "{body}");
    let (status, _) = gw.delete(&format!("/Users/{grace}")).await;
    assert_eq!(status, 204);
    assert!(gw.slapd.entry(&dn).await.is_some());
    let (status, _) = gw.delete(&format!("/Groups/{role_id}")).await;
    assert_eq!(status, 204);
    assert!(gw.slapd.entry(role_dn).await.is_none());
}

#[tokio::test]
async fn staffbase_style_keeps_the_upn_everywhere_and_deactivates_on_delete() {
    let (gw, _dir) = gateway("staffbase", "").await;
    let upn = "JDoe@Contoso.com";
    // Entra's minimum mapping: the UPN as userName, externalId and work email.
    let (status, created) = gw
        .post(
            "/Users",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "externalId": upn,
                "userName": upn,
                "active": true,
                "emails": [{"primary": true, "type": "work", "value": upn}],
                "name": {"givenName": "Jane", "familyName": "Doe"}
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = id_of(&created).to_string();
    let dn = format!("uid={upn},{PEOPLE}");
    let entry = gw.slapd.existing_entry(&dn).await;
    assert_eq!(one(&entry, "mail").as_deref(), Some(upn));
    assert_eq!(one(&entry, "uniqueIdentifier").as_deref(), Some(upn));
    // Without the email mapping, mail still gets the UPN.
    gw.create_user(json!({"userName": "Max@Contoso.com"})).await;
    assert_eq!(
        gw.slapd.values(&format!("uid=Max@Contoso.com,{PEOPLE}"), "mail").await,
        vec!["Max@Contoso.com".to_string()]
    );

    // Entra's lookup before each update, in another case.
    let (status, found) = gw.get("/Users?filter=userName+eq+%22jdoe%40contoso.com%22").await;
    assert_eq!((status, found["totalResults"].clone()), (200, json!(1)), "{found}");
    assert_eq!(found["Resources"][0]["id"], id);

    // A UPN change arrives as userName, externalId and email together: the entry is renamed.
    let new_upn = "Jane.Doe@Contoso.com";
    let (status, body) = gw
        .patch(
            &format!("/Users/{id}"),
            json!([
                {"op": "Replace", "path": "userName", "value": new_upn},
                {"op": "Replace", "path": "externalId", "value": new_upn},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": new_upn}
            ]),
        )
        .await;
    ok(status, &body);
    assert!(gw.slapd.entry(&dn).await.is_none());
    let renamed = gw.slapd.existing_entry(&format!("uid={new_upn},{PEOPLE}")).await;
    assert_eq!(one(&renamed, "mail").as_deref(), Some(new_upn));
    assert_eq!(one(&renamed, "uniqueIdentifier").as_deref(), Some(new_upn));
    assert_eq!(one(&renamed, "entryUUID").as_deref(), Some(id.as_str()));

    // Entra's soft delete (Switch([IsSoftDeleted], …) → active "False"), then the delete: kept, locked.
    disable_then_delete(&gw, &id).await;
    let (_, user) = gw.get(&format!("/Users/{id}")).await;
    assert_eq!((user["active"].clone(), user["userName"].clone()), (json!(false), json!(new_upn)));
}

#[tokio::test]
async fn hector_style_unique_id_falls_back_to_the_upn_and_ungrouped_users_are_deactivated() {
    let (gw, _dir) = gateway("hector", "").await;
    let with_number = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": "sam@contoso.com",
        "externalId": "7d4b1c0e-4a55-4c8e-9bd4-3f1fd3b8e0a1",
        "active": true,
        "name": {"givenName": "Sam", "familyName": "Lee"},
        ENTERPRISE: {"employeeNumber": "E-1042"}
    });
    let sam = gw.create_user(with_number).await;
    let kai = gw
        .create_user(json!({"userName": "kai@contoso.com", "emails": [{"type": "work", "value": "kai.k@contoso.com"}]}))
        .await;
    let sam_entry = gw.slapd.existing_entry(&format!("cn=sam@contoso.com,{PEOPLE}")).await;
    assert_eq!(
        one(&sam_entry, "uid").as_deref(),
        Some("E-1042"),
        "the employee number when there is one"
    );
    assert_eq!(
        one(&sam_entry, "mail").as_deref(),
        Some("sam@contoso.com"),
        "the UPN without a mail"
    );
    assert_eq!(
        one(&sam_entry, "uniqueIdentifier").as_deref(),
        Some("7d4b1c0e-4a55-4c8e-9bd4-3f1fd3b8e0a1")
    );
    let kai_dn = format!("cn=kai@contoso.com,{PEOPLE}");
    let kai_entry = gw.slapd.existing_entry(&kai_dn).await;
    assert_eq!(one(&kai_entry, "uid").as_deref(), Some("kai@contoso.com"), "else the UPN");
    assert_eq!(
        one(&kai_entry, "mail").as_deref(),
        Some("kai.k@contoso.com"),
        "the mail field when sent"
    );

    // Entra looks up by objectId (externalId) and syncs the role groups.
    let (_, found) = gw
        .get("/Users?filter=externalId+eq+%227d4b1c0e-4a55-4c8e-9bd4-3f1fd3b8e0a1%22")
        .await;
    assert_eq!(found["Resources"][0]["id"], sam);
    let (status, admins) = gw.post("/Groups", json!({"displayName": "hector_admins"})).await;
    assert_eq!(status, 201, "{admins}");
    let admins = id_of(&admins).to_string();
    let (status, body) = gw
        .patch(
            &format!("/Groups/{admins}"),
            json!([{"op": "Add", "path": "members", "value": [{"value": sam}, {"value": kai}]}]),
        )
        .await;
    ok(status, &body);
    let (_, user) = gw.get(&format!("/Users/{kai}")).await;
    assert_eq!(user["groups"][0]["value"], admins, "{user}");

    // Removed from every synced group: deactivated, not deleted.
    let (status, body) = gw
        .patch(
            &format!("/Groups/{admins}"),
            json!([{"op": "Remove", "path": "members", "value": [{"value": kai}]}]),
        )
        .await;
    ok(status, &body);
    assert_eq!(
        gw.slapd.values(&kai_dn, "pwdAccountLockedTime").await,
        vec!["000001010000Z".to_string()]
    );
    let (_, user) = gw.get(&format!("/Users/{sam}")).await;
    assert_eq!(user["active"], true, "sam is still in hector_admins");
}

#[tokio::test]
async fn users_are_placed_by_department_and_move_when_it_changes() {
    let ous = "dn: ou=engineering,ou=people,dc=example,dc=org\nobjectClass: organizationalUnit\nou: engineering\n\n\
               dn: ou=sales,ou=people,dc=example,dc=org\nobjectClass: organizationalUnit\nou: sales\n";
    let (gw, _dir) = gateway("department-ous", ous).await;
    let (status, created) = gw
        .post(
            "/Users",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
                "userName": "Kim.Park@contoso.com",
                "name": {"givenName": "Kim", "familyName": "Park"},
                ENTERPRISE: {"department": "Engineering"}
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = id_of(&created).to_string();
    assert_eq!(created["userName"], "Kim.Park@contoso.com");
    let in_engineering = "uid=kim.park,ou=engineering,ou=people,dc=example,dc=org";
    assert_eq!(
        gw.slapd.values(in_engineering, "uniqueIdentifier").await,
        vec!["Kim.Park@contoso.com".to_string()]
    );

    // A change that does not touch the department leaves the entry where it is.
    let (status, body) = gw
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "title", "value": "Lead"}]),
        )
        .await;
    ok(status, &body);
    assert_eq!(gw.slapd.values(in_engineering, "title").await, vec!["Lead".to_string()]);

    // The department changes: the same entry moves to the new OU, with the change applied.
    let (status, body) = gw
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": format!("{ENTERPRISE}:department"), "value": "Sales"}]),
        )
        .await;
    ok(status, &body);
    assert!(gw.slapd.entry(in_engineering).await.is_none());
    let in_sales = "uid=kim.park,ou=sales,ou=people,dc=example,dc=org";
    let moved = gw.slapd.existing_entry(in_sales).await;
    assert_eq!(one(&moved, "entryUUID").as_deref(), Some(id.as_str()));
    assert_eq!(one(&moved, "departmentNumber").as_deref(), Some("Sales"));
    let (status, user) = gw.get(&format!("/Users/{id}")).await;
    assert_eq!((status, user["title"].clone()), (200, json!("Lead")));

    // A department without an OU of its own: back under ou=people, found by the IdP's lookup.
    let (status, body) = gw
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "value": {format!("{ENTERPRISE}:department"): "Legal"}}]),
        )
        .await;
    ok(status, &body);
    assert!(gw.slapd.entry(&format!("uid=kim.park,{PEOPLE}")).await.is_some());
    let (_, found) = gw.get("/Users?filter=userName+eq+%22kim.park%40contoso.com%22").await;
    assert_eq!(found["Resources"][0]["id"], id, "{found}");

    // A UPN whose local part is empty cannot name an entry.
    let (status, body) = gw.post("/Users", json!({"userName": "@contoso.com"})).await;
    assert_scim_error(status, &body, 400, Some("invalidValue"));
}

#[tokio::test]
async fn posix_users_get_free_numbers_and_a_home_directory() {
    // Someone else's account already holds 10005.
    let existing = "dn: uid=legacy,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n\
                    uid: legacy\ncn: legacy\nsn: legacy\nuidNumber: 10005\ngidNumber: 10005\nhomeDirectory: /home/legacy\n";
    let (gw, _dir) = gateway("posix", existing).await;
    let posix = "urn:scim2ldap:schemas:extension:posix:1.0:User";
    let (status, created) = gw.post("/Users", json!({"userName": "lin.wu"})).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created[posix]["uidNumber"], "10006", "{created}");
    assert_eq!(created[posix]["gidNumber"], "10006");
    assert_eq!(created[posix]["homeDirectory"], "/home/lin.wu");
    assert_eq!(created[posix]["loginShell"], "/bin/bash");

    // Concurrent creates never share a number.
    let create = |i: usize| gw.post("/Users", json!({"userName": format!("user{i}")}));
    let concurrent = tokio::join!(create(0), create(1), create(2), create(3), create(4), create(5));
    let mut numbers: Vec<String> = [concurrent.0, concurrent.1, concurrent.2, concurrent.3, concurrent.4, concurrent.5]
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 201, "{body}");
            body[posix]["uidNumber"]
                .as_str()
                .unwrap_or_else(|| panic!("no uidNumber in {body}"))
                .to_string()
        })
        .collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 6, "{numbers:?}");
    let entries = gw.slapd.entries("(&(objectClass=posixAccount)(uidNumber=*))", &["uidNumber"]).await;
    assert_eq!(entries.len(), 8);
    // The counter entry the mapping names holds the next numbers.
    let counter = "cn=uidNext,ou=counters,dc=example,dc=org";
    assert_eq!(gw.slapd.values(counter, "uidNumber").await, vec!["10013".to_string()]);

    // The numbers are the directory's: a client cannot set them.
    let id = id_of(&created);
    let (status, body) = gw
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": format!("{posix}:uidNumber"), "value": "1"}]),
        )
        .await;
    assert_scim_error(status, &body, 400, Some("mutability"));
    assert_eq!(
        gw.slapd.values(&format!("uid=lin.wu,{PEOPLE}"), "uidNumber").await,
        vec!["10006".to_string()]
    );
}

/// Seed 003: the service provider sees one account provider's users only; others are 404 and untouched.
#[tokio::test]
async fn a_scope_filter_hides_and_protects_entries_outside_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let text = read_text(concat!(env!("CARGO_MANIFEST_DIR"), "/mappings/openldap.yaml"));
    let text = text.replacen(
        "  rdn: uid\n",
        "  rdn: uid\n  filter: \"(businessCategory=provider-a)\"\n  constants: { businessCategory: [provider-a] }\n",
        1,
    );
    let mapping = dir.path().join("mapping.yaml");
    std::fs::write(&mapping, text).unwrap_or_else(|e| panic!("{e}"));
    let outside = dir.path().join("outside.ldif");
    std::fs::write(
        &outside,
        "dn: uid=other,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: other\ncn: other\nsn: other\nbusinessCategory: provider-b\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let gw = Gateway::start_with(&[path_str(&outside)], &[("SCIM2LDAP__MAPPING", path_str(&mapping))]).await;
    let mine = gw.create_user(json!({"userName": "mine"})).await;
    assert_eq!(
        gw.slapd.values(&format!("uid=mine,{PEOPLE}"), "businessCategory").await,
        vec!["provider-a".to_string()]
    );
    let (_, listed) = gw.get("/Users").await;
    assert_eq!(listed["totalResults"], 1, "{listed}");
    assert_eq!(listed["Resources"][0]["id"], mine);
    let other_id = gw.slapd.values(&format!("uid=other,{PEOPLE}"), "entryUUID").await.concat();
    let (status, body) = gw.get(&format!("/Users/{other_id}")).await;
    assert_scim_error(status, &body, 404, None);
    let (status, body) = gw
        .patch(
            &format!("/Users/{other_id}"),
            json!([{"op": "replace", "path": "title", "value": "x"}]),
        )
        .await;
    assert_scim_error(status, &body, 404, None);
    let (status, body) = gw.delete(&format!("/Users/{other_id}")).await;
    assert_scim_error(status, &body, 404, None);
    let (status, _) = gw.post("/Users", json!({"userName": "other"})).await;
    assert_eq!(status, 409, "the name is taken outside the scope");
    let untouched = gw.slapd.existing_entry(&format!("uid=other,{PEOPLE}")).await;
    assert_eq!(untouched.get("title"), None);
}

#[tokio::test]
async fn posix_groups_hold_member_uids() {
    let (gw, _dir) = gateway("posix", "").await;
    let group_dn = "cn=devs,ou=groups,dc=example,dc=org";
    let ann = gw.create_user(json!({"userName": "ann"})).await;
    let ben = gw.create_user(json!({"userName": "ben"})).await;
    let (status, group) = gw
        .post(
            "/Groups",
            json!({"displayName": "devs", "members": [{"value": ann}, {"value": ben}]}),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let id = id_of(&group).to_string();
    let path = format!("/Groups/{id}");
    assert_eq!(member_ids(&group), sorted(vec![ann.clone(), ben.clone()]), "{group}");
    assert_eq!(sorted(gw.slapd.values(group_dn, "memberUid").await), vec!["ann", "ben"]);
    assert_eq!(
        gw.slapd.values(group_dn, "gidNumber").await,
        vec!["60000"],
        "from the groups' own range"
    );

    // Entra's removal, then a filter by member, then a re-add (a retry is harmless).
    let (status, body) = gw
        .patch(&path, json!([{"op": "Remove", "path": "members", "value": [{"value": ann}]}]))
        .await;
    assert!(status == 200 || status == 204, "{body}");
    assert_eq!(gw.slapd.values(group_dn, "memberUid").await, vec!["ben"]);
    let (_, found) = gw.get(&format!("/Groups?filter=members%5Bvalue%20eq%20%22{ben}%22%5D")).await;
    assert_eq!(found["totalResults"], 1, "{found}");
    let (_, found) = gw.get(&format!("/Groups?filter=members%5Bvalue%20eq%20%22{ann}%22%5D")).await;
    assert_eq!(found["totalResults"], 0, "{found}");
    for _ in 0..2 {
        let (status, body) = gw
            .patch(&path, json!([{"op": "add", "path": "members", "value": [{"value": ann}]}]))
            .await;
        assert!(status == 200 || status == 204, "{body}");
    }
    assert_eq!(sorted(gw.slapd.values(group_dn, "memberUid").await), vec!["ann", "ben"]);

    // The gateway follows renames and deletes in memberUid (no overlay does).
    let (status, body) = gw
        .patch(
            &format!("/Users/{ben}"),
            json!([{"op": "replace", "path": "userName", "value": "benny"}]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sorted(gw.slapd.values(group_dn, "memberUid").await), vec!["ann", "benny"]);
    let (status, _) = gw.delete(&format!("/Users/{ann}")).await;
    assert_eq!(status, 204);
    assert_eq!(gw.slapd.values(group_dn, "memberUid").await, vec!["benny"]);
    let (_, group) = gw.get(&path).await;
    assert_eq!(member_ids(&group), vec![ben.clone()]);

    // memberUid names users only: a group as a member is a clear 400, and nothing changes.
    let (_, other) = gw.post("/Groups", json!({"displayName": "ops"})).await;
    let other = id_of(&other).to_string();
    let (status, body) = gw
        .patch(&path, json!([{"op": "add", "path": "members", "value": [{"value": other}]}]))
        .await;
    assert_scim_error(status, &body, 400, Some("invalidValue"));
    assert!(
        body["detail"].as_str().is_some_and(|d| d.contains("memberUid holds users only")),
        "{body}"
    );
    assert_eq!(gw.slapd.values(group_dn, "memberUid").await, vec!["benny"]);
}

fn sorted<T: Ord>(mut values: Vec<T>) -> Vec<T> {
    values.sort();
    values
}
