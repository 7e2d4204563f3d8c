//! GET of one resource: entries as other tools wrote them, read through the mapping.

use serde_json::json;

use super::support::*;
use crate::ldap::fake::Operation;
use crate::mapping::ResourceKind;

#[tokio::test]
async fn a_seeded_user_reads_as_scim_with_meta_from_the_operational_attributes() {
    let directory = directory_with(&fixture("sample-users.ldif"));
    let svc = service_over(directory.clone());
    let dn = user_dn("bjensen");
    let id = id_at(&directory, &dn);
    let user = ok(get(&svc, ResourceKind::User, &id).await);
    assert_eq!(user["id"], id.as_str());
    assert_eq!(user["userName"], "bjensen");
    assert_eq!(user["name"]["givenName"], "Barbara");
    assert_eq!(user["name"]["familyName"], "Jensen");
    assert_eq!(user["displayName"], "Babs Jensen");
    assert_eq!(user["title"], "Tour Guide");
    assert_eq!(user["emails"], json!([{"type": "work", "value": "bjensen@example.org"}]));
    assert_eq!(
        user["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["employeeNumber"],
        "701984"
    );
    assert_eq!(user["active"], true, "no pwdAccountLockedTime");
    let csn = directory.values(&dn, "entryCSN").join("");
    assert_eq!(user["meta"]["version"], format!("W/\"{csn}\""));
    assert_eq!(user["meta"]["location"], format!("{BASE_URL}/Users/{id}"));
    assert_eq!(user["meta"]["resourceType"], "User");
    assert_eq!(directory.operations(), [Operation::Search], "one search by id, nothing else");
    ok(get(&svc, ResourceKind::User, &id).await);
    assert_eq!(directory.count_of(Operation::Search), 2, "then one read of the cached DN");
}

#[tokio::test]
async fn unknown_ids_are_404_and_ids_that_cannot_be_one_ask_nothing() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_eq!(refused(get(&svc, ResourceKind::User, &unknown).await), scim_error(404, None));
    assert_eq!(directory.count_of(Operation::Search), 1);
    for malformed in ["alice", "*", "x)(uid=*"] {
        assert_eq!(
            refused(get(&svc, ResourceKind::User, malformed).await),
            scim_error(404, None),
            "{malformed}"
        );
    }
    assert_eq!(
        directory.count_of(Operation::Search),
        1,
        "an id that is no UUID is not searched for"
    );
    let group = id_at(&directory, &group_dn("Staff"));
    assert_eq!(
        refused(get(&svc, ResourceKind::User, &group).await),
        scim_error(404, None),
        "a group's id is no user's"
    );
}

#[tokio::test]
async fn two_values_where_scim_holds_one_show_the_first_and_the_rest_stays() {
    let directory = directory_with(&format!(
        "{}\ndn: uid=twice,ou=people,{BASE_DN}\nobjectClass: inetOrgPerson\nuid: twice\ncn: T\nsn: T\ntitle: First\ntitle: Second\n",
        fixture("sample-users.ldif")
    ));
    let svc = service_over(directory.clone());
    let jsmith = ok(get(&svc, ResourceKind::User, &id_at(&directory, &user_dn("jsmith"))).await);
    assert_eq!(jsmith["emails"], json!([{"type": "work", "value": "jsmith@example.org"}]));
    assert_eq!(jsmith["phoneNumbers"], json!([{"type": "mobile", "value": "+1 555 0101"}]));
    let twice = ok(get(&svc, ResourceKind::User, &id_at(&directory, &user_dn("twice"))).await);
    assert_eq!(twice["title"], "First");
    assert_eq!(
        directory.values(&user_dn("twice"), "title"),
        ["First", "Second"],
        "a read changes nothing"
    );
}

#[tokio::test]
async fn groups_show_member_ids_and_users_their_groups_never_the_placeholder() {
    let ldif = format!("{STAFF}\ndn: cn=Empty,ou=groups,{BASE_DN}\nobjectClass: groupOfNames\ncn: Empty\nmember: {PLACEHOLDER}\n\ndn: cn=Departed,ou=groups,{BASE_DN}\nobjectClass: groupOfNames\ncn: Departed\nmember: uid=alice,ou=people,{BASE_DN}\nmember: uid=gone,ou=people,{BASE_DN}\n");
    let directory = directory_with(&ldif);
    let svc = service_over(directory.clone());
    let (alice, bob) = (id_at(&directory, &user_dn("alice")), id_at(&directory, &user_dn("bob")));
    let staff_id = id_at(&directory, &group_dn("Staff"));
    let staff = ok(get(&svc, ResourceKind::Group, &staff_id).await);
    let mut expected = vec![alice.clone(), bob];
    expected.sort();
    assert_eq!(member_ids(&staff), expected);
    assert!(staff["members"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|m| m["type"] == "User" && m["$ref"].is_string()));
    let empty = ok(get(&svc, ResourceKind::Group, &id_at(&directory, &group_dn("Empty"))).await);
    assert!(empty.get("members").is_none(), "{empty:?}");
    let departed = ok(get(&svc, ResourceKind::Group, &id_at(&directory, &group_dn("Departed"))).await);
    assert_eq!(member_ids(&departed), vec![alice.clone()], "a DN that names no entry is not shown");
    let user = ok(get(&svc, ResourceKind::User, &alice).await);
    let mut groups: Vec<&str> = user["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g["value"].as_str())
        .collect();
    groups.sort_unstable();
    let mut expected = vec![staff_id.as_str()];
    let departed_id = id_at(&directory, &group_dn("Departed"));
    expected.push(&departed_id);
    expected.sort_unstable();
    assert_eq!(groups, expected, "from memberOf");
}
