//! PATCH in the shapes Entra and Okta send, and the direct path that writes without reading.

use serde_json::json;

use super::support::*;
use crate::ldap::fake::Operation;
use crate::mapping::ResourceKind;

/// What `active: false` writes (`active` in mappings/openldap.yaml).
const LOCKED: &str = "000001010000Z";

#[tokio::test]
async fn entra_replaces_without_a_path_and_sends_active_as_a_string() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let dn = user_dn("alice");
    let id = id_at(&directory, &dn);
    let answered = ok(patch(
        &svc,
        ResourceKind::User,
        &id,
        json!([{"op": "Replace", "value": {"title": "Lead", "displayName": "Alice A."}}]),
        None,
    )
    .await);
    let user = answered.unwrap_or_else(|| panic!("a user PATCH answers the user"));
    assert_eq!(
        (user["title"].as_str(), user["displayName"].as_str()),
        (Some("Lead"), Some("Alice A."))
    );
    assert_eq!(directory.values(&dn, "title"), ["Lead"]);
    assert_eq!(directory.values(&dn, "displayName"), ["Alice A."]);
    for (value, locked, active) in [("False", vec![LOCKED.to_string()], false), ("True", vec![], true)] {
        let answered = ok(patch(
            &svc,
            ResourceKind::User,
            &id,
            json!([{"op": "Replace", "path": "active", "value": value}]),
            None,
        )
        .await);
        assert_eq!(answered.map(|u| u["active"].clone()), Some(json!(active)), "{value}");
        assert_eq!(directory.values(&dn, "pwdAccountLockedTime"), locked, "{value}");
    }
}

#[tokio::test]
async fn okta_replaces_by_path_and_deactivates_with_a_boolean_in_a_value_object() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let dn = user_dn("bob");
    let id = id_at(&directory, &dn);
    let ops = json!([
        {"op": "replace", "path": "name.givenName", "value": "Robert"},
        {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "bob@example.org"},
    ]);
    let user = ok(patch(&svc, ResourceKind::User, &id, ops, None).await).unwrap_or_default();
    assert_eq!(user["name"]["givenName"], "Robert");
    assert_eq!(directory.values(&dn, "givenName"), ["Robert"]);
    assert_eq!(directory.values(&dn, "mail"), ["bob@example.org"]);
    let user = ok(patch(
        &svc,
        ResourceKind::User,
        &id,
        json!([{"op": "replace", "value": {"active": false}}]),
        None,
    )
    .await)
    .unwrap_or_default();
    assert_eq!(user["active"], false);
    assert_eq!(directory.values(&dn, "pwdAccountLockedTime"), [LOCKED]);
    ok(patch(
        &svc,
        ResourceKind::User,
        &id,
        json!([{"op": "remove", "path": "name.givenName"}]),
        None,
    )
    .await);
    assert!(directory.values(&dn, "givenName").is_empty());
}

#[tokio::test]
async fn a_cached_user_is_patched_with_one_modify_and_nothing_read() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let id = id_at(&directory, &user_dn("alice"));
    ok(get(&svc, ResourceKind::User, &id).await);
    directory.reset_operations();
    let user = ok(patch(
        &svc,
        ResourceKind::User,
        &id,
        json!([{"op": "replace", "path": "title", "value": "Principal"}]),
        None,
    )
    .await);
    assert_eq!(
        user.map(|u| u["title"].clone()),
        Some(json!("Principal")),
        "answered from the Post-Read"
    );
    assert_eq!(directory.operations(), [Operation::Modify]);
}

#[tokio::test]
async fn a_cached_dn_gone_stale_is_found_again_by_id() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let id = id_at(&directory, &user_dn("alice"));
    ok(get(&svc, ResourceKind::User, &id).await);
    // Another tool renames the entry behind the gateway's back.
    let moved = user_dn("aarcher");
    crate::ldap::Directory::rename(&directory, &user_dn("alice"), "uid=aarcher", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    directory.reset_operations();
    let user = ok(patch(
        &svc,
        ResourceKind::User,
        &id,
        json!([{"op": "replace", "path": "title", "value": "Moved"}]),
        None,
    )
    .await);
    assert_eq!(user.map(|u| u["userName"].clone()), Some(json!("aarcher")));
    assert_eq!(directory.values(&moved, "title"), ["Moved"]);
    let operations = directory.operations();
    assert_eq!(
        operations.first(),
        Some(&Operation::Modify),
        "the direct write first: {operations:?}"
    );
    assert!(operations.contains(&Operation::Search), "then the id is searched: {operations:?}");
}

#[tokio::test]
async fn operations_on_what_is_not_there_are_400_with_the_patch_error_s_type() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let id = id_at(&directory, &user_dn("bob"));
    let cases = [
        (json!([{"op": "replace", "path": "emails[type eq", "value": "x"}]), "invalidPath"),
        (json!([{"op": "remove"}]), "noTarget"),
        (json!([{"op": "add", "path": "title"}]), "invalidValue"),
    ];
    for (ops, scim_type) in cases {
        let answer = patch(&svc, ResourceKind::User, &id, ops.clone(), None).await;
        assert_eq!(refused(answer), scim_error(400, Some(scim_type)), "{ops}");
    }
    assert_eq!(directory.count_of(Operation::Modify), 0);
    assert_eq!(directory.values(&user_dn("bob"), "title"), ["Engineer"]);
}

#[tokio::test]
async fn an_entry_without_the_mapping_s_auxiliary_class_gets_it_for_what_needs_it() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let dn = user_dn("alice");
    let id = id_at(&directory, &dn);
    assert_eq!(
        directory.values(&dn, "objectClass"),
        ["inetOrgPerson"],
        "loaded without extensibleObject"
    );
    let ops = json!([{"op": "add", "path": "externalId", "value": "okta-alice"}]);
    let user = ok(patch(&svc, ResourceKind::User, &id, ops, None).await).unwrap_or_default();
    assert_eq!(user["externalId"], "okta-alice");
    assert_eq!(directory.values(&dn, "uniqueIdentifier"), ["okta-alice"]);
    assert_eq!(directory.values(&dn, "objectClass"), ["inetOrgPerson", "extensibleObject"]);
    // Refused for the class (65), then sent again with it.
    assert_eq!(directory.count_of(Operation::Modify), 2);
}

#[tokio::test]
async fn a_group_renamed_by_patch_keeps_its_members_and_its_id() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let id = id_at(&directory, &group_dn("Staff"));
    // Entra's rename, then Okta's with the read-only id inside the value.
    let entra = json!([{"op": "Replace", "path": "displayName", "value": "Crew"}]);
    ok(patch(&svc, ResourceKind::Group, &id, entra, None).await);
    let okta = json!([{"op": "replace", "value": {"id": id, "displayName": "Crew EMEA"}}]);
    ok(patch(&svc, ResourceKind::Group, &id, okta, None).await);
    assert!(directory.entry(&group_dn("Staff")).is_none() && directory.entry(&group_dn("Crew")).is_none());
    assert_eq!(id_at(&directory, &group_dn("Crew EMEA")), id);
    assert_eq!(members_in(&directory, &group_dn("Crew EMEA")), [user_dn("alice"), user_dn("bob")]);
    assert_eq!(directory.values(&user_dn("bob"), "memberOf"), [group_dn("Crew EMEA")]);
    assert_eq!(directory.count_of(Operation::Rename), 2);
}
