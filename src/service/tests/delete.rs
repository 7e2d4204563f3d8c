//! DELETE: hard by default, as a deactivation where the mapping says so, guarded by If-Match.

use serde_json::json;

use super::support::*;
use crate::ldap::fake::Operation;
use crate::mapping::ResourceKind;
use crate::service::ServiceLimits;

#[tokio::test]
async fn a_deleted_user_is_gone_from_the_directory_and_its_groups() {
    let directory = directory_with(&format!(
        "{STAFF}\ndn: cn=Solo,ou=groups,{BASE_DN}\nobjectClass: groupOfNames\ncn: Solo\nmember: uid=alice,ou=people,{BASE_DN}\n"
    ));
    let svc = service_over(directory.clone());
    let alice = id_at(&directory, &user_dn("alice"));
    let staff_version = directory.values(&group_dn("Staff"), "entryCSN");
    ok(delete(&svc, ResourceKind::User, &alice, None).await);
    assert!(directory.entry(&user_dn("alice")).is_none());
    assert_ne!(
        directory.values(&group_dn("Staff"), "entryCSN"),
        staff_version,
        "refint's change is a modify: the group's version (its ETag) moves"
    );
    assert_eq!(
        members_in(&directory, &group_dn("Staff")),
        [user_dn("bob")],
        "refint follows the delete"
    );
    assert_eq!(
        members_in(&directory, &group_dn("Solo")),
        [PLACEHOLDER],
        "and leaves the placeholder"
    );
    assert_eq!(refused(get(&svc, ResourceKind::User, &alice).await), scim_error(404, None));
    assert_eq!(refused(delete(&svc, ResourceKind::User, &alice, None).await), scim_error(404, None));
    assert_eq!(directory.count_of(Operation::Delete), 1);
}

#[tokio::test]
async fn a_deleted_group_leaves_its_members_in_no_group() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let staff = id_at(&directory, &group_dn("Staff"));
    ok(delete(&svc, ResourceKind::Group, &staff, None).await);
    assert!(directory.entry(&group_dn("Staff")).is_none());
    let alice = ok(get(&svc, ResourceKind::User, &id_at(&directory, &user_dn("alice"))).await);
    assert!(alice.get("groups").is_none(), "{alice:?}");
}

#[tokio::test]
async fn a_soft_delete_deactivates_and_keeps_the_entry() {
    let directory = directory_with(STAFF);
    let with_disable = |text: String| text.replacen("  rdn: uid\n", "  rdn: uid\n  delete: { strategy: disable }\n", 1);
    let svc = service_with(directory.clone(), with_disable, ServiceLimits::default());
    let bob = id_at(&directory, &user_dn("bob"));
    ok(delete(&svc, ResourceKind::User, &bob, None).await);
    assert_eq!(directory.values(&user_dn("bob"), "pwdAccountLockedTime"), ["000001010000Z"]);
    assert_eq!(directory.count_of(Operation::Delete), 0);
    assert_eq!(ok(get(&svc, ResourceKind::User, &bob).await)["active"], json!(false));
}

#[tokio::test]
async fn if_match_guards_a_delete() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let bob = id_at(&directory, &user_dn("bob"));
    assert_eq!(
        refused(delete(&svc, ResourceKind::User, &bob, Some("W/\"old\"")).await),
        scim_error(412, None)
    );
    assert!(directory.entry(&user_dn("bob")).is_some());
    ok(delete(&svc, ResourceKind::User, &bob, Some("*")).await);
    assert!(directory.entry(&user_dn("bob")).is_none());
}
