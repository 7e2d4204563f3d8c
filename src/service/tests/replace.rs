//! PUT: only what changed is written, a new userName renames, and versions guard the write.

use serde_json::json;

use super::support::*;
use crate::ldap::error::rc;
use crate::ldap::fake::Operation;
use crate::mapping::ResourceKind;

#[tokio::test]
async fn put_writes_what_changed_and_keeps_what_scim_does_not_show() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let dn = format!("cn=Jane Legacy,ou=people,{BASE_DN}");
    let id = id_at(&directory, &dn);
    let body = json!({"userName": "jlegacy", "name": {"familyName": "Legacy", "formatted": "Jane Legacy"}, "title": "Archivist"});
    let user = ok(replace(&svc, ResourceKind::User, &id, body, None).await);
    assert_eq!(user["title"], "Archivist");
    let stored = directory.entry(&dn).unwrap_or_else(|| panic!("the entry keeps its name {dn}"));
    assert_eq!(stored.get("title"), ["Archivist"]);
    assert_eq!(stored.get("description"), ["kept by the HR tool"], "outside the mapping: untouched");
    assert_eq!(stored.get("cn"), ["Jane Legacy"]);
    assert_eq!(directory.count_of(Operation::Rename), 0);
    assert_eq!(directory.count_of(Operation::Modify), 1, "one modify for every change");
}

#[tokio::test]
async fn a_new_user_name_renames_the_entry_and_the_id_and_memberships_follow() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let id = id_at(&directory, &user_dn("alice"));
    let body = json!({"userName": "alice.archer", "name": {"givenName": "Alice", "familyName": "Archer"}});
    let user = ok(replace(&svc, ResourceKind::User, &id, body, None).await);
    assert_eq!(
        (user["id"].as_str(), user["userName"].as_str()),
        (Some(id.as_str()), Some("alice.archer"))
    );
    assert!(directory.entry(&user_dn("alice")).is_none());
    assert_eq!(id_at(&directory, &user_dn("alice.archer")), id, "the same entry, renamed");
    assert_eq!(
        members_in(&directory, &group_dn("Staff")),
        [user_dn("alice.archer"), user_dn("bob")]
    );
    assert_eq!(ok(get(&svc, ResourceKind::User, &id).await)["userName"], "alice.archer");
    assert_eq!(directory.count_of(Operation::Rename), 1);
}

#[tokio::test]
async fn if_match_with_another_version_is_412_and_changes_nothing() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let id = id_at(&directory, &user_dn("bob"));
    let version = ok(get(&svc, ResourceKind::User, &id).await)["meta"]["version"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let body = json!({"userName": "bob", "title": "Manager"});
    assert_eq!(
        refused(replace(&svc, ResourceKind::User, &id, body.clone(), Some("W/\"another\"")).await),
        scim_error(412, None)
    );
    assert_eq!(
        refused(
            patch(
                &svc,
                ResourceKind::User,
                &id,
                json!([{"op": "replace", "path": "title", "value": "X"}]),
                Some("W/\"another\"")
            )
            .await
        ),
        scim_error(412, None)
    );
    assert_eq!(directory.count_of(Operation::Modify), 0);
    // Another write lands between the read and the modify: the version asserted in it fails.
    directory.fail_next(Operation::Modify, rc::ASSERTION_FAILED);
    assert_eq!(
        refused(replace(&svc, ResourceKind::User, &id, body.clone(), Some(&version)).await),
        scim_error(412, None)
    );
    assert_eq!(directory.values(&user_dn("bob"), "title"), ["Engineer"]);
    let updated = ok(replace(&svc, ResourceKind::User, &id, body, Some(&version)).await);
    assert_eq!(directory.values(&user_dn("bob"), "title"), ["Manager"]);
    assert_ne!(updated["meta"]["version"].as_str(), Some(version.as_str()), "a new version");
}

#[tokio::test]
async fn a_user_name_another_user_holds_is_409_and_nothing_is_renamed() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let bob = id_at(&directory, &user_dn("bob"));
    assert_eq!(
        refused(replace(&svc, ResourceKind::User, &bob, json!({"userName": "Alice"}), None).await),
        scim_error(409, Some("uniqueness"))
    );
    assert_eq!(id_at(&directory, &user_dn("bob")), bob);
    assert_eq!(
        (directory.count_of(Operation::Rename), directory.count_of(Operation::Modify)),
        (0, 0)
    );
}

#[tokio::test]
async fn a_put_that_changes_nothing_writes_nothing_and_keeps_the_version() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let id = id_at(&directory, &user_dn("bob"));
    let current = ok(get(&svc, ResourceKind::User, &id).await);
    let body = serde_json::Value::Object(current.clone());
    let again = ok(replace(&svc, ResourceKind::User, &id, body, None).await);
    assert_eq!(again["meta"]["version"], current["meta"]["version"]);
    assert_eq!(
        (directory.count_of(Operation::Modify), directory.count_of(Operation::Rename)),
        (0, 0)
    );
}

#[tokio::test]
async fn a_value_gone_between_the_read_and_the_write_is_read_again_and_written_again() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let id = id_at(&directory, &user_dn("alice"));
    // The first modify finds a value it deletes already gone (16), as after another client's write.
    directory.fail_next(Operation::Modify, rc::NO_SUCH_ATTRIBUTE);
    let user = ok(replace(
        &svc,
        ResourceKind::User,
        &id,
        json!({"userName": "alice", "title": "Director"}),
        None,
    )
    .await);
    assert_eq!(user["title"], "Director");
    assert_eq!(directory.values(&user_dn("alice"), "title"), ["Director"]);
    assert!(
        directory.values(&user_dn("alice"), "mail").is_empty(),
        "what the PUT left out is removed"
    );
    assert_eq!(directory.count_of(Operation::Modify), 2);
}
