//! POST: the entry the mapping builds, the answer with id and meta, and the refusals.

use serde_json::json;

use super::support::*;
use crate::ldap::fake::Operation;
use crate::mapping::ResourceKind;

#[tokio::test]
async fn a_created_user_answers_its_id_and_meta_and_is_stored_with_the_mapping_s_classes() {
    let directory = directory_with("");
    let svc = service_over(directory.clone());
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "carol",
        "name": {"givenName": "Carol", "familyName": "Clark"},
        "emails": [{"type": "work", "value": "carol@example.org", "primary": true}],
        "title": "CTO",
        "externalId": "okta-7",
    });
    let user = ok(create(&svc, ResourceKind::User, body).await);
    let dn = user_dn("carol");
    let stored = directory.entry(&dn).unwrap_or_else(|| panic!("no entry at {dn}"));
    assert_eq!(id_of(&user), id_at(&directory, &dn), "the id is the entryUUID");
    assert_eq!(user["meta"]["version"], format!("W/\"{}\"", stored.get("entryCSN").join("")));
    assert_eq!(user["meta"]["location"], format!("{BASE_URL}/Users/{}", id_of(&user)));
    assert!(user["meta"]["created"].as_str().is_some_and(|c| c.ends_with('Z')), "{user:?}");
    assert_eq!(user["name"]["formatted"], "Carol Clark", "cn defaults to given and family name");
    // Sorted: an add goes out as sets of values, and the directory keeps them in no given order.
    let mut classes = stored.get("objectClass").to_vec();
    classes.sort();
    assert_eq!(
        classes,
        ["extensibleObject", "inetOrgPerson", "organizationalPerson", "person", "top"]
    );
    assert_eq!(stored.get("cn"), ["Carol Clark"]);
    assert_eq!(stored.get("mail"), ["carol@example.org"]);
    assert_eq!(stored.get("uniqueIdentifier"), ["okta-7"]);
    assert_eq!(
        directory.operations(),
        [Operation::Search, Operation::Add],
        "the uniqueness check, then the add, read back by Post-Read: no read after the write"
    );
}

#[tokio::test]
async fn a_password_is_set_by_the_directory_s_own_operation_and_never_stored_as_sent() {
    let directory = directory_with("");
    let svc = service_over(directory.clone());
    let user = ok(create(&svc, ResourceKind::User, json!({"userName": "dave", "password": "Tr0ub4dor&3"})).await);
    assert!(user.get("password").is_none(), "never shown");
    assert_eq!(directory.password(&user_dn("dave")).as_deref(), Some("Tr0ub4dor&3"));
    assert!(
        directory.values(&user_dn("dave"), "userPassword").is_empty(),
        "not written as an attribute"
    );
    assert_eq!(directory.count_of(Operation::SetPassword), 1);
    let csn = directory.values(&user_dn("dave"), "entryCSN").join("");
    assert_eq!(user["meta"]["version"], format!("W/\"{csn}\""), "the version after the password");
}

#[tokio::test]
async fn a_user_name_taken_in_any_case_or_by_an_entry_named_otherwise_is_409() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    for taken in ["ALICE", "jlegacy"] {
        assert_eq!(
            refused(create(&svc, ResourceKind::User, json!({"userName": taken})).await),
            scim_error(409, Some("uniqueness")),
            "{taken}"
        );
    }
    assert_eq!(directory.count_of(Operation::Add), 0, "found by a search, not by the add");
    assert_eq!(
        refused(create(&svc, ResourceKind::Group, json!({"displayName": "staff"})).await),
        scim_error(409, Some("uniqueness"))
    );
}

#[tokio::test]
async fn a_missing_user_name_is_400_and_required_ldap_attributes_are_filled_in() {
    let directory = directory_with("");
    let svc = service_over(directory.clone());
    assert_eq!(
        refused(create(&svc, ResourceKind::User, json!({"displayName": "Nobody"})).await),
        scim_error(400, Some("invalidValue"))
    );
    assert_eq!(directory.operations(), [], "refused before the directory is asked");
    let user = ok(create(&svc, ResourceKind::User, json!({"userName": "erin"})).await);
    assert_eq!(directory.values(&user_dn("erin"), "sn"), ["erin"], "the placeholder person needs");
    assert_eq!(directory.values(&user_dn("erin"), "cn"), ["erin"]);
    assert!(user.get("name").is_none(), "placeholders read back as nothing: {user:?}");
}

#[tokio::test]
async fn groups_are_created_empty_with_the_placeholder_or_with_their_members() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let empty = ok(create(
        &svc,
        ResourceKind::Group,
        json!({"displayName": "Engineers", "externalId": "aad-1", "members": []}),
    )
    .await);
    assert!(empty.get("members").is_none(), "the placeholder is never shown: {empty:?}");
    assert_eq!(members_in(&directory, &group_dn("Engineers")), [PLACEHOLDER]);
    assert_eq!(directory.values(&group_dn("Engineers"), "uniqueIdentifier"), ["aad-1"]);
    let (alice, bob) = (id_at(&directory, &user_dn("alice")), id_at(&directory, &user_dn("bob")));
    let sales = ok(create(
        &svc,
        ResourceKind::Group,
        json!({"displayName": "Sales", "members": [{"value": alice}, {"value": bob}]}),
    )
    .await);
    assert_eq!(members_in(&directory, &group_dn("Sales")), [user_dn("alice"), user_dn("bob")]);
    assert_eq!(member_ids(&sales).len(), 2);
    assert!(directory.values(&user_dn("alice"), "memberOf").contains(&group_dn("Sales")));
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        refused(
            create(
                &svc,
                ResourceKind::Group,
                json!({"displayName": "Ghosts", "members": [{"value": unknown}]})
            )
            .await
        ),
        scim_error(400, Some("invalidValue"))
    );
    assert!(directory.entry(&group_dn("Ghosts")).is_none());
}
