//! /Users against a real OpenLDAP: every point of the core gateway, asserted with LDAP reads.

use pretty_assertions::assert_eq;
use serde_json::{json, Value};

use crate::support::{assert_scim_error, id_of, Gateway, ENTERPRISE};

fn full_user(user_name: &str, manager_id: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": user_name,
        "externalId": "ext-4711",
        "name": {"givenName": "Ada", "familyName": "Lovelace", "formatted": "Ada Lovelace"},
        "displayName": "Ada L.",
        "title": "Analyst",
        "preferredLanguage": "en-GB",
        "active": true,
        "emails": [{"type": "work", "value": "ada@example.org"}],
        "phoneNumbers": [{"type": "work", "value": "+44 20 7946 0000"}, {"type": "mobile", "value": "+44 7700 900000"}, {"type": "fax", "value": "+44 20 7946 0001"}],
        "addresses": [{"type": "work", "streetAddress": "12 St James's Square", "locality": "London", "region": "Greater London", "postalCode": "SW1Y 4LB", "country": "GB", "formatted": "Building 4, Room 2"}],
        ENTERPRISE: {
            "employeeNumber": "1815",
            "department": "Engines",
            "organization": "Analytical Society",
            "manager": {"value": manager_id}
        }
    })
}

/// Keeps only what a client sent, to compare with what came back: no id, meta or reference URLs.
fn without_server_fields(mut resource: Value) -> Value {
    if let Some(obj) = resource.as_object_mut() {
        obj.remove("id");
        obj.remove("meta");
    }
    if let Some(manager) = resource
        .pointer_mut(&format!("/{ENTERPRISE}/manager").replace("~", "~0"))
        .and_then(Value::as_object_mut)
    {
        manager.remove("$ref");
    }
    resource
}

#[tokio::test]
async fn entra_sequence_round_trips_every_mapped_attribute_through_openldap() {
    let gw = Gateway::start().await;

    // The probe every IdP sends first: a miss is 200 with totalResults 0.
    let (status, probe) = gw.get("/Users?filter=userName%20eq%20%22ada%40example.org%22").await;
    assert_eq!(status, 200, "{probe}");
    assert_eq!(probe["totalResults"], 0);
    assert_eq!(probe["Resources"], json!([]));

    let manager_id = gw
        .create_user(json!({"userName": "babbage", "name": {"familyName": "Babbage"}}))
        .await;
    let sent = full_user("ada@example.org", &manager_id);
    let response = gw
        .raw(
            reqwest::Method::POST,
            "/scim/v2/Users",
            Some(sent.clone()),
            Some(crate::support::TOKEN),
        )
        .await;
    let location = response.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_string);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|l| l.to_str().ok())
        .map(str::to_string);
    let (status, created) = crate::support::read(response).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(content_type.as_deref(), Some("application/scim+json"));
    let id = id_of(&created).to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "id {id} is the entryUUID");
    assert_eq!(location.as_deref(), created["meta"]["location"].as_str());
    assert!(location.is_some_and(|l| l.ends_with(&format!("/scim/v2/Users/{id}"))));
    assert_eq!(created["meta"]["resourceType"], "User");
    assert!(created["meta"]["created"].as_str().is_some_and(|c| c.ends_with('Z')));
    assert!(created["meta"]["version"].as_str().is_some_and(|v| v.starts_with("W/\"")));
    assert_eq!(without_server_fields(created.clone()), sent, "every mapped attribute round-trips");
    assert!(
        created[ENTERPRISE]["manager"]["$ref"]
            .as_str()
            .is_some_and(|r| r.ends_with(&format!("/scim/v2/Users/{manager_id}"))),
        "{created}"
    );

    // What LDAP holds.
    let dn = "uid=ada@example.org,ou=people,dc=example,dc=org";
    let entry = gw.slapd.entry(dn).await.unwrap_or_else(|| panic!("no entry {dn}"));
    let one = |name: &str| {
        entry
            .get(name)
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {dn}"))
    };
    assert_eq!(one("entryuuid"), id);
    assert_eq!(one("givenname"), "Ada");
    assert_eq!(one("sn"), "Lovelace");
    assert_eq!(one("cn"), "Ada Lovelace");
    assert_eq!(one("mail"), "ada@example.org");
    assert_eq!(one("telephonenumber"), "+44 20 7946 0000");
    assert_eq!(one("mobile"), "+44 7700 900000");
    assert_eq!(one("street"), "12 St James's Square");
    assert_eq!(one("l"), "London");
    assert_eq!(one("st"), "Greater London");
    assert_eq!(one("postalcode"), "SW1Y 4LB");
    assert_eq!(one("co"), "GB");
    assert_eq!(one("facsimiletelephonenumber"), "+44 20 7946 0001");
    assert_eq!(one("physicaldeliveryofficename"), "Building 4, Room 2");
    assert_eq!(one("employeenumber"), "1815");
    assert_eq!(one("departmentnumber"), "Engines");
    assert_eq!(one("o"), "Analytical Society");
    assert_eq!(one("uniqueidentifier"), "ext-4711");
    assert_eq!(one("manager"), "uid=babbage,ou=people,dc=example,dc=org");
    assert!(!entry.contains_key("pwdaccountlockedtime"));

    let (status, fetched) = gw.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(fetched, created);

    // Lookups by userName (case-insensitive, as LDAP) and externalId.
    for filter in ["userName%20eq%20%22ADA%40EXAMPLE.ORG%22", "externalId%20eq%20%22ext-4711%22"] {
        let (status, found) = gw.get(&format!("/Users?filter={filter}")).await;
        assert_eq!(status, 200, "{found}");
        assert_eq!(found["totalResults"], 1, "{filter}: {found}");
        assert_eq!(found["Resources"][0]["id"], id.as_str());
    }

    // PUT replaces: mapped attributes absent from the body are removed from LDAP.
    let mut replacement = sent.clone();
    replacement["title"] = json!("Lead Analyst");
    replacement["phoneNumbers"] = json!([{"type": "work", "value": "+44 20 7946 0001"}]);
    if let Some(obj) = replacement.as_object_mut() {
        obj.remove("displayName");
    }
    let (status, replaced) = gw.put(&format!("/Users/{id}"), replacement.clone()).await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(without_server_fields(replaced), replacement);
    let entry = gw.slapd.existing_entry(dn).await;
    assert_eq!(entry.get("title"), Some(&vec!["Lead Analyst".to_string()]));
    assert_eq!(entry.get("mobile"), None);
    assert_eq!(entry.get("displayname"), None);

    // Entra's PATCH dialect: capitalised ops, boolean strings.
    let (status, patched) = gw
        .patch(
            &format!("/Users/{id}"),
            json!([
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Replace", "path": "name.givenName", "value": "Augusta Ada"},
                {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "augusta@example.org"},
                {"op": "Remove", "path": "title"}
            ]),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["active"], false);
    assert_eq!(patched["name"]["givenName"], "Augusta Ada");
    assert_eq!(patched["emails"], json!([{"type": "work", "value": "augusta@example.org"}]));
    assert!(patched.get("title").is_none());
    let entry = gw.slapd.existing_entry(dn).await;
    assert_eq!(entry.get("pwdaccountlockedtime"), Some(&vec!["000001010000Z".to_string()]));
    assert_eq!(entry.get("givenname"), Some(&vec!["Augusta Ada".to_string()]));
    assert_eq!(entry.get("mail"), Some(&vec!["augusta@example.org".to_string()]));
    assert_eq!(entry.get("title"), None);

    // Okta's pathless reactivation.
    let (status, patched) = gw
        .patch(&format!("/Users/{id}"), json!([{"op": "replace", "value": {"active": true}}]))
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["active"], true);
    assert!(!gw.slapd.existing_entry(dn).await.contains_key("pwdaccountlockedtime"));

    let (status, body) = gw.delete(&format!("/Users/{id}")).await;
    assert_eq!((status, body), (204, Value::Null));
    assert!(gw.slapd.entry(dn).await.is_none(), "entry removed from LDAP");
    let (status, body) = gw.get(&format!("/Users/{id}")).await;
    assert_scim_error(status, &body, 404, None);
}

#[tokio::test]
async fn required_ldap_attributes_are_filled_when_the_idp_omits_them() {
    let gw = Gateway::start().await;
    let id = gw.create_user(json!({"userName": "minimal"})).await;
    let entry = gw.slapd.existing_entry("uid=minimal,ou=people,dc=example,dc=org").await;
    assert_eq!(entry.get("sn"), Some(&vec!["minimal".to_string()]));
    assert_eq!(entry.get("cn"), Some(&vec!["minimal".to_string()]));
    let (_, user) = gw.get(&format!("/Users/{id}")).await;
    assert_eq!(user["userName"], "minimal");
    assert_eq!(user["active"], true);
    assert!(user.get("name").is_none(), "placeholders read back as unassigned: {user}");
}

#[tokio::test]
async fn duplicate_user_name_is_409_uniqueness_in_any_case() {
    let gw = Gateway::start().await;
    gw.create_user(json!({"userName": "jdoe"})).await;
    for name in ["jdoe", "JDoe"] {
        let (status, body) = gw.post("/Users", json!({"userName": name})).await;
        assert_scim_error(status, &body, 409, Some("uniqueness"));
    }
    assert_eq!(gw.slapd.find("(uid=jdoe)").await.len(), 1);
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404() {
    let gw = Gateway::start().await;
    for id in ["00000000-0000-0000-0000-000000000000", "not-a-uuid", "%2A", "x%29(uid%3D%2A"] {
        let (status, body) = gw.get(&format!("/Users/{id}")).await;
        assert_scim_error(status, &body, 404, None);
        let (status, body) = gw.delete(&format!("/Users/{id}")).await;
        assert_scim_error(status, &body, 404, None);
    }
}

#[tokio::test]
async fn renaming_user_name_moves_the_entry_and_the_id_follows() {
    let gw = Gateway::start().await;
    let id = gw.create_user(json!({"userName": "old.name"})).await;
    let (status, body) = gw
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "userName", "value": "new.name"}]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["userName"], "new.name");
    assert!(gw.slapd.entry("uid=old.name,ou=people,dc=example,dc=org").await.is_none());
    let entry = gw.slapd.existing_entry("uid=new.name,ou=people,dc=example,dc=org").await;
    assert_eq!(entry.get("uid"), Some(&vec!["new.name".to_string()]));
    assert_eq!(entry.get("entryuuid"), Some(&vec![id.clone()]));
    let (status, body) = gw.get(&format!("/Users/{id}")).await;
    assert_eq!((status, body["userName"].clone()), (200, json!("new.name")));

    // A rename onto an existing name is refused and changes nothing.
    gw.create_user(json!({"userName": "taken"})).await;
    let (status, body) = gw.put(&format!("/Users/{id}"), json!({"userName": "taken", "title": "x"})).await;
    assert_scim_error(status, &body, 409, Some("uniqueness"));
    let entry = gw.slapd.existing_entry("uid=new.name,ou=people,dc=example,dc=org").await;
    assert_eq!(entry.get("title"), None);
}

#[tokio::test]
async fn stale_cache_entries_are_resolved_again() {
    let gw = Gateway::start().await;
    let id = gw.create_user(json!({"userName": "mover"})).await;
    // Renamed behind the gateway's back: the cached DN is stale, the id still finds the entry.
    gw.slapd.rename("uid=mover,ou=people,dc=example,dc=org", "uid=moved").await;
    let (status, body) = gw.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["userName"], "moved");
    // A PATCH written without reading the entry (a plain attribute) checks that the cached DN is
    // still this user; renamed again behind the gateway's back, it finds the entry anew.
    gw.slapd.rename("uid=moved,ou=people,dc=example,dc=org", "uid=moved-again").await;
    let (status, body) = gw
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "title", "value": "Mover"}]),
        )
        .await;
    assert_eq!(
        (status, body["title"].clone(), body["userName"].clone()),
        (200, json!("Mover"), json!("moved-again")),
        "{body}"
    );
    // Another entry now at the cached DN is not touched, nor is a user patched through /Groups.
    let other = gw.create_user(json!({"userName": "moved"})).await;
    let (status, _) = gw
        .patch(
            &format!("/Groups/{other}"),
            json!([{"op": "replace", "path": "externalId", "value": "x"}]),
        )
        .await;
    assert_eq!(status, 404);
    assert!(gw
        .slapd
        .values("uid=moved,ou=people,dc=example,dc=org", "uniqueIdentifier")
        .await
        .is_empty());
    // Deleted behind its back: 404.
    gw.slapd.delete("uid=moved-again,ou=people,dc=example,dc=org").await;
    let (status, body) = gw.get(&format!("/Users/{id}")).await;
    assert_scim_error(status, &body, 404, None);
    let (status, body) = gw
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "title", "value": "Gone"}]),
        )
        .await;
    assert_scim_error(status, &body, 404, None);
}

#[tokio::test]
async fn existing_entries_keep_what_scim_does_not_show() {
    let gw = Gateway::start_with(&["tests/fixtures/ldif/sample-users.ldif"], &[]).await;
    let (_, found) = gw.get("/Users?filter=userName%20eq%20%22jsmith%22").await;
    let user = found["Resources"][0].clone();
    let id = id_of(&user).to_string();
    // jsmith has two mail values; SCIM shows the first as the work email.
    assert_eq!(user["emails"], json!([{"type": "work", "value": "jsmith@example.org"}]));
    let (status, body) = gw
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "title", "value": "Engineer"}]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let entry = gw.slapd.existing_entry("uid=jsmith,ou=people,dc=example,dc=org").await;
    let mut mail = entry.get("mail").cloned().unwrap_or_else(|| panic!("no mail in {entry:?}"));
    mail.sort();
    assert_eq!(mail, vec!["john.smith@example.org", "jsmith@example.org"], "second mail value kept");
    assert_eq!(
        entry.get("cn"),
        Some(&vec!["John Smith".to_string()]),
        "cn untouched by an unrelated change"
    );
    // Changing the work email replaces every mail value (the mapping keeps no aliases), so that the
    // value written is the one read back.
    let (status, body) = gw
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "js@example.org"}]),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["emails"], json!([{"type": "work", "value": "js@example.org"}]));
    let entry = gw.slapd.existing_entry("uid=jsmith,ou=people,dc=example,dc=org").await;
    assert_eq!(entry.get("mail"), Some(&vec!["js@example.org".to_string()]));
    let (_, read) = gw.get(&format!("/Users/{id}")).await;
    assert_eq!(read["emails"], json!([{"type": "work", "value": "js@example.org"}]));
}

#[tokio::test]
async fn hostile_values_are_escaped_in_dns_and_filters() {
    let gw = Gateway::start().await;
    let nasty = r#" #a,b+c="d"\e<f>;g=h*)(uid=* "#;
    let id = gw.create_user(json!({"userName": nasty, "displayName": "Jösé Ünïcode"})).await;
    let (status, user) = gw.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(user["userName"], nasty);
    assert_eq!(user["displayName"], "Jösé Ünïcode");
    gw.create_user(json!({"userName": "other"})).await;
    let filter = crate::support::json_string(nasty);
    let query: String = format!("userName eq {filter}").bytes().map(|b| format!("%{b:02X}")).collect();
    let (status, found) = gw.get(&format!("/Users?filter={query}")).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["totalResults"], 1, "{found}");
    // A wildcard is a literal, never a match-all.
    let (status, found) = gw.get("/Users?filter=userName%20eq%20%22%2A%22").await;
    assert_eq!((status, found["totalResults"].clone()), (200, json!(0)));
}

#[tokio::test]
async fn list_pages_with_integer_counts_and_stable_order() {
    let gw = Gateway::start_with(&["tests/fixtures/ldif/sample-users.ldif"], &[]).await;
    gw.create_user(json!({"userName": "third"})).await;
    let (status, page) = gw.get("/Users?startIndex=1&count=1").await;
    assert_eq!(status, 200);
    assert_eq!(page["totalResults"], 3);
    assert_eq!(page["itemsPerPage"], 1);
    assert_eq!(page["startIndex"], 1);
    assert_eq!(page["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:ListResponse");
    let mut seen = Vec::new();
    for start in 1..=3 {
        let (_, page) = gw.get(&format!("/Users?startIndex={start}&count=1")).await;
        seen.push(page["Resources"][0]["id"].clone());
    }
    seen.dedup();
    assert_eq!(seen.len(), 3, "pages neither overlap nor skip");
    let (_, page) = gw.get("/Users?count=0").await;
    assert_eq!((page["totalResults"].clone(), page["itemsPerPage"].clone()), (json!(3), json!(0)));
    let (_, page) = gw.get("/Users?attributes=userName").await;
    let first = &page["Resources"][0];
    assert!(
        first.get("userName").is_some() && first.get("id").is_some() && first.get("name").is_none(),
        "{first}"
    );
}
