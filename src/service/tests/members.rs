//! Member writing: one modify with exactly the values added and removed, the placeholder of an empty
//! group moved by what the directory answers, and conflicts from changes made elsewhere.

use serde_json::json;

use super::support::*;
use crate::ldap::fake::{FakeDirectory, Operation};
use crate::mapping::ResourceKind;
use crate::service::Service;

/// STAFF with an empty group `Engineers` holding the placeholder, and a service over it.
fn with_empty_group() -> (FakeDirectory, Service) {
    let directory = directory_with(&format!(
        "{STAFF}\ndn: cn=Engineers,ou=groups,{BASE_DN}\nobjectClass: groupOfNames\ncn: Engineers\nmember: {PLACEHOLDER}\n"
    ));
    (directory.clone(), service_over(directory))
}

fn add_members(ids: &[&str]) -> serde_json::Value {
    let values: Vec<serde_json::Value> = ids.iter().map(|id| json!({"value": id})).collect();
    json!([{"op": "Add", "path": "members", "value": values}])
}

#[tokio::test]
async fn the_first_member_replaces_the_placeholder_after_one_failed_assertion() {
    let (directory, svc) = with_empty_group();
    let group = id_at(&directory, &group_dn("Engineers"));
    let alice = id_at(&directory, &user_dn("alice"));
    assert_eq!(
        ok(patch(&svc, ResourceKind::Group, &group, add_members(&[&alice]), None).await),
        None,
        "204"
    );
    assert_eq!(members_in(&directory, &group_dn("Engineers")), [user_dn("alice")]);
    // The modify assumed the placeholder gone (122: it was there), then deleted it with the add.
    assert_eq!(directory.count_of(Operation::Modify), 2);
    directory.reset_operations();
    let bob = id_at(&directory, &user_dn("bob"));
    ok(patch(&svc, ResourceKind::Group, &group, add_members(&[&bob]), None).await);
    assert_eq!(members_in(&directory, &group_dn("Engineers")), [user_dn("alice"), user_dn("bob")]);
    assert_eq!(directory.count_of(Operation::Modify), 1, "the assumption holds from now on");
    assert!(directory.values(&user_dn("bob"), "memberOf").contains(&group_dn("Engineers")));
}

#[tokio::test]
async fn an_unknown_member_is_refused_and_the_group_left_as_it_was() {
    let (directory, svc) = with_empty_group();
    let group = id_at(&directory, &group_dn("Engineers"));
    let alice = id_at(&directory, &user_dn("alice"));
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        refused(patch(&svc, ResourceKind::Group, &group, add_members(&[&alice, &unknown]), None).await),
        scim_error(400, Some("invalidValue"))
    );
    assert_eq!(members_in(&directory, &group_dn("Engineers")), [PLACEHOLDER]);
    assert_eq!(directory.count_of(Operation::Modify), 0);
    assert_eq!(
        refused(patch(&svc, ResourceKind::Group, &group, add_members(&[&group]), None).await),
        scim_error(400, Some("invalidValue")),
        "a group among its own members"
    );
}

#[tokio::test]
async fn a_member_already_gone_or_already_there_is_no_error() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let staff = id_at(&directory, &group_dn("Staff"));
    let jane = id_at(&directory, &format!("cn=Jane Legacy,ou=people,{BASE_DN}"));
    // Removed meanwhile (or by the first try of a retried request): the delete answers 16.
    let remove = json!([{"op": "Remove", "path": "members", "value": [{"value": jane}]}]);
    assert_eq!(ok(patch(&svc, ResourceKind::Group, &staff, remove, None).await), None);
    let alice = id_at(&directory, &user_dn("alice"));
    assert_eq!(
        ok(patch(&svc, ResourceKind::Group, &staff, add_members(&[&alice]), None).await),
        None
    );
    assert_eq!(members_in(&directory, &group_dn("Staff")), [user_dn("alice"), user_dn("bob")]);
    // Each refused modify (16, then 20) was followed by a look at the values involved, and nothing
    // was left to send.
    assert_eq!(directory.count_of(Operation::Modify), 2);
}

#[tokio::test]
async fn okta_removes_by_filter_and_adds_in_one_modify_then_replaces_exactly() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let staff = id_at(&directory, &group_dn("Staff"));
    let (alice, jane) = (
        id_at(&directory, &user_dn("alice")),
        id_at(&directory, &format!("cn=Jane Legacy,ou=people,{BASE_DN}")),
    );
    let ops = json!([
        {"op": "remove", "path": format!("members[value eq \"{alice}\"]")},
        {"op": "add", "path": "members", "value": [{"value": jane}]},
    ]);
    ok(patch(&svc, ResourceKind::Group, &staff, ops, None).await);
    let jane_dn = format!("cn=Jane Legacy,ou=people,{BASE_DN}");
    let mut expected = vec![user_dn("bob"), jane_dn];
    expected.sort();
    assert_eq!(members_in(&directory, &group_dn("Staff")), expected);
    assert_eq!(directory.count_of(Operation::Modify), 1);
    let exact = json!([{"op": "replace", "path": "members", "value": [{"value": alice}]}]);
    ok(patch(&svc, ResourceKind::Group, &staff, exact, None).await);
    assert_eq!(members_in(&directory, &group_dn("Staff")), [user_dn("alice")]);
    assert!(directory.values(&user_dn("bob"), "memberOf").is_empty());
}

#[tokio::test]
async fn removing_every_member_restores_the_placeholder_the_schema_needs() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let staff = id_at(&directory, &group_dn("Staff"));
    ok(patch(
        &svc,
        ResourceKind::Group,
        &staff,
        json!([{"op": "remove", "path": "members"}]),
        None,
    )
    .await);
    assert_eq!(members_in(&directory, &group_dn("Staff")), [PLACEHOLDER]);
    // The first modify left the group without a member (65), the second added the placeholder.
    assert_eq!(directory.count_of(Operation::Modify), 2);
    let group = ok(get(&svc, ResourceKind::Group, &staff).await);
    assert!(group.get("members").is_none(), "{group:?}");
    let put = ok(replace(
        &svc,
        ResourceKind::Group,
        &staff,
        json!({"displayName": "Staff", "members": []}),
        None,
    )
    .await);
    assert!(put.get("members").is_none());
    assert_eq!(members_in(&directory, &group_dn("Staff")), [PLACEHOLDER], "PUT with no members too");
}
