//! /Groups against a real OpenLDAP: IdP group flows, asserted with LDAP reads.

use pretty_assertions::assert_eq;
use serde_json::json;

use crate::support::{assert_scim_error, first_id, id_of, member_ids, path_str, read_text, Gateway};

const PLACEHOLDER: &str = "cn=empty-group-placeholder,dc=example,dc=org";

async fn members_in_ldap(gw: &Gateway, dn: &str) -> Vec<String> {
    let mut members = gw.slapd.values(dn, "member").await;
    members.sort();
    members
}

fn user_dn(name: &str) -> String {
    format!("uid={name},ou=people,dc=example,dc=org")
}

#[tokio::test]
async fn entra_group_flow_create_empty_add_rename_remove_delete() {
    let gw = Gateway::start().await;
    let alice = gw.create_user(json!({"userName": "alice"})).await;
    let bob = gw.create_user(json!({"userName": "bob"})).await;
    let carol = gw.create_user(json!({"userName": "carol"})).await;

    // Entra checks for the group, then creates it without members.
    let (status, probe) = gw
        .get("/Groups?filter=displayName%20eq%20%22Engineers%22&excludedAttributes=members")
        .await;
    assert_eq!((status, probe["totalResults"].clone()), (200, json!(0)));
    let (status, group) = gw
        .post("/Groups", json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineers", "externalId": "aad-1", "members": []}))
        .await;
    assert_eq!(status, 201, "{group}");
    let id = id_of(&group).to_string();
    assert!(group.get("members").is_none(), "the placeholder is never shown: {group}");
    let dn = "cn=Engineers,ou=groups,dc=example,dc=org";
    assert_eq!(members_in_ldap(&gw, dn).await, vec![PLACEHOLDER]);

    // Entra adds members, one op per call, capitalised.
    let path = format!("/Groups/{id}");
    for member in [&alice, &bob, &carol] {
        let (status, body) = gw
            .patch(&path, json!([{"op": "Add", "path": "members", "value": [{"value": member}]}]))
            .await;
        assert!(status == 200 || status == 204, "{status} {body}");
    }
    assert_eq!(
        members_in_ldap(&gw, dn).await,
        vec![user_dn("alice"), user_dn("bob"), user_dn("carol")]
    );
    let (_, fetched) = gw.get(&path).await;
    let mut expected = vec![alice.clone(), bob.clone(), carol.clone()];
    expected.sort();
    assert_eq!(member_ids(&fetched), expected);
    assert!(fetched["members"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|m| m["type"] == "User" && m["$ref"].as_str().is_some()));

    // The user side shows the group.
    let (_, user) = gw.get(&format!("/Users/{alice}")).await;
    assert_eq!(user["groups"][0]["value"], id.as_str(), "{user}");

    // Rename.
    let (status, body) = gw
        .patch(&path, json!([{"op": "Replace", "path": "displayName", "value": "Engineering"}]))
        .await;
    assert!(status == 200 || status == 204, "{status} {body}");
    let renamed = "cn=Engineering,ou=groups,dc=example,dc=org";
    assert!(gw.slapd.entry(dn).await.is_none());
    assert_eq!(members_in_ldap(&gw, renamed).await.len(), 3);

    // Both removal shapes remove only the named member; a retry of either succeeds.
    for _ in 0..2 {
        let (status, body) = gw
            .patch(&path, json!([{"op": "Remove", "path": "members", "value": [{"value": alice}]}]))
            .await;
        assert!(status == 200 || status == 204, "{status} {body}");
    }
    assert_eq!(members_in_ldap(&gw, renamed).await, vec![user_dn("bob"), user_dn("carol")]);
    for _ in 0..2 {
        let (status, body) = gw
            .patch(&path, json!([{"op": "remove", "path": format!("members[value eq \"{bob}\"]")}]))
            .await;
        assert!(status == 200 || status == 204, "{status} {body}");
    }
    assert_eq!(members_in_ldap(&gw, renamed).await, vec![user_dn("carol")]);

    // Removing the last member leaves the placeholder, and SCIM shows an empty group.
    let (status, body) = gw.patch(&path, json!([{"op": "remove", "path": "members"}])).await;
    assert!(status == 200 || status == 204, "{status} {body}");
    assert_eq!(members_in_ldap(&gw, renamed).await, vec![PLACEHOLDER]);
    let (_, fetched) = gw.get(&path).await;
    assert!(fetched.get("members").is_none(), "{fetched}");

    let (status, _) = gw.delete(&path).await;
    assert_eq!(status, 204);
    assert!(gw.slapd.entry(renamed).await.is_none());
    let (status, body) = gw.get(&path).await;
    assert_scim_error(status, &body, 404, None);
}

#[tokio::test]
async fn okta_group_push_replace_and_remove_add_pair() {
    let gw = Gateway::start().await;
    let a = gw.create_user(json!({"userName": "a"})).await;
    let b = gw.create_user(json!({"userName": "b"})).await;
    let c = gw.create_user(json!({"userName": "c"})).await;
    let (status, group) = gw
        .post("/Groups", json!({"displayName": "Sales", "members": [{"value": a}, {"value": b}]}))
        .await;
    assert_eq!(status, 201, "{group}");
    let id = id_of(&group).to_string();
    let path = format!("/Groups/{id}");
    let dn = "cn=Sales,ou=groups,dc=example,dc=org";
    assert_eq!(members_in_ldap(&gw, dn).await, vec![user_dn("a"), user_dn("b")]);

    // Okta renames with the read-only id inside the value.
    let (status, body) = gw
        .patch(&path, json!([{"op": "replace", "value": {"id": id, "displayName": "Sales EMEA"}}]))
        .await;
    assert!(status == 200 || status == 204, "{status} {body}");
    let dn = "cn=Sales EMEA,ou=groups,dc=example,dc=org";
    assert_eq!(members_in_ldap(&gw, dn).await, vec![user_dn("a"), user_dn("b")]);

    // Okta's remove + add pair in one request.
    let (status, body) = gw
        .patch(
            &path,
            json!([
                {"op": "remove", "path": format!("members[value eq \"{a}\"]")},
                {"op": "add", "path": "members", "value": [{"value": c}]}
            ]),
        )
        .await;
    assert!(status == 200 || status == 204, "{status} {body}");
    assert_eq!(members_in_ldap(&gw, dn).await, vec![user_dn("b"), user_dn("c")]);

    // replace sets the list exactly.
    let (status, body) = gw
        .patch(&path, json!([{"op": "replace", "path": "members", "value": [{"value": a}]}]))
        .await;
    assert!(status == 200 || status == 204, "{status} {body}");
    assert_eq!(members_in_ldap(&gw, dn).await, vec![user_dn("a")]);

    // PUT with an empty list keeps the group, with the placeholder.
    let (status, body) = gw.put(&path, json!({"displayName": "Sales EMEA", "members": []})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(members_in_ldap(&gw, dn).await, vec![PLACEHOLDER]);
}

#[tokio::test]
async fn members_filter_nested_groups_and_unknown_members() {
    let gw = Gateway::start().await;
    let a = gw.create_user(json!({"userName": "a"})).await;
    let (_, inner) = gw.post("/Groups", json!({"displayName": "Inner", "members": [{"value": a}]})).await;
    let inner_id = id_of(&inner).to_string();
    let (status, outer) = gw
        .post("/Groups", json!({"displayName": "Outer", "members": [{"value": inner_id}]}))
        .await;
    assert_eq!(status, 201, "{outer}");
    assert_eq!(outer["members"][0]["type"], "Group");
    assert_eq!(
        members_in_ldap(&gw, "cn=Outer,ou=groups,dc=example,dc=org").await,
        vec!["cn=Inner,ou=groups,dc=example,dc=org"]
    );

    let query = format!("members%5Bvalue%20eq%20%22{a}%22%5D");
    let (status, found) = gw.get(&format!("/Groups?filter={query}")).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["displayName"], "Inner");
    let (_, found) = gw.get("/Groups?filter=displayName%20eq%20%22outer%22").await;
    assert_eq!(found["totalResults"], 1, "displayName matches case-insensitively");

    let unknown = "00000000-0000-0000-0000-000000000000";
    let (status, body) = gw
        .post("/Groups", json!({"displayName": "Bad", "members": [{"value": unknown}]}))
        .await;
    assert_scim_error(status, &body, 400, Some("invalidValue"));
    assert!(body["detail"].as_str().is_some_and(|d| d.contains(unknown)), "{body}");
    let (status, body) = gw
        .patch(
            &format!("/Groups/{inner_id}"),
            json!([{"op": "add", "path": "members", "value": [{"value": unknown}]}]),
        )
        .await;
    assert_scim_error(status, &body, 400, Some("invalidValue"));
    let (status, body) = gw.post("/Groups", json!({"displayName": "Inner"})).await;
    assert_scim_error(status, &body, 409, Some("uniqueness"));
}

#[tokio::test]
async fn member_changes_survive_stale_caches_nested_groups_and_projections() {
    let gw = Gateway::start().await;
    let a = gw.create_user(json!({"userName": "a"})).await;
    let (_, team) = gw.post("/Groups", json!({"displayName": "Team"})).await;
    let team_id = id_of(&team).to_string();
    let (_, parent) = gw.post("/Groups", json!({"displayName": "Parent"})).await;
    let parent_id = id_of(&parent).to_string();

    // Renamed behind the gateway's back: the member add finds the group again.
    gw.slapd.rename("cn=Team,ou=groups,dc=example,dc=org", "cn=Squad").await;
    let (status, body) = gw
        .patch(
            &format!("/Groups/{team_id}"),
            json!([{"op": "add", "path": "members", "value": [{"value": a}]}]),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        members_in_ldap(&gw, "cn=Squad,ou=groups,dc=example,dc=org").await,
        vec![user_dn("a")]
    );

    // A group as a member of an empty group: the placeholder goes, the nested group gets memberOf.
    let (status, body) = gw
        .patch(
            &format!("/Groups/{parent_id}"),
            json!([{"op": "add", "path": "members", "value": [{"value": team_id}]}]),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        members_in_ldap(&gw, "cn=Parent,ou=groups,dc=example,dc=org").await,
        vec!["cn=Squad,ou=groups,dc=example,dc=org"]
    );
    let squad = gw.slapd.existing_entry("cn=Squad,ou=groups,dc=example,dc=org").await;
    assert_eq!(
        squad.get("memberof"),
        Some(&vec!["cn=Parent,ou=groups,dc=example,dc=org".to_string()])
    );

    // Asked for attributes, a member PATCH answers the projected resource.
    let (status, body) = gw
        .call(
            reqwest::Method::PATCH,
            &format!("/Groups/{parent_id}?attributes=displayName"),
            Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "members", "value": [{"value": a}]}]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["displayName"], "Parent");
    assert!(body.get("members").is_none());

    let (status, body) = gw.get(&format!("/Groups/{parent_id}?excludedAttributes=members")).await;
    assert_eq!(status, 200);
    assert!(body.get("members").is_none() && body["displayName"] == "Parent", "{body}");
    let (_, body) = gw.get(&format!("/Groups/{parent_id}")).await;
    assert_eq!(body["members"].as_array().map(Vec::len), Some(2), "{body}");
}

#[tokio::test]
async fn large_groups_show_every_member_even_with_an_incomplete_member_of() {
    // 1,200 users and a group of all of them loaded offline: no entry has memberOf.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ldif = dir.path().join("large.ldif");
    let mut text = crate::support::people_ldif("m", 1200);
    text.push_str("dn: cn=Large,ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\ncn: Large\n");
    for i in 0..1200 {
        text.push_str(&format!("member: {}\n", user_dn(&format!("m{i}"))));
    }
    std::fs::write(&ldif, text).unwrap_or_else(|e| panic!("{e}"));
    let gw = Gateway::start_with(&[path_str(&ldif)], &[]).await;
    let (_, found) = gw
        .get("/Groups?filter=displayName%20eq%20%22Large%22&excludedAttributes=members")
        .await;
    let id = first_id(&found).to_string();
    assert!(found["Resources"][0].get("members").is_none());

    // One member added online gets memberOf; the other 1,199 are found by DN.
    let newcomer = gw.create_user(json!({"userName": "newcomer"})).await;
    let (status, _) = gw
        .patch(
            &format!("/Groups/{id}"),
            json!([{"op": "add", "path": "members", "value": [{"value": newcomer}]}]),
        )
        .await;
    assert_eq!(status, 204);
    let (status, group) = gw.get(&format!("/Groups/{id}")).await;
    assert_eq!(status, 200);
    let members = group["members"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("no members in {group}"));
    assert_eq!(members.len(), 1201);
    assert!(members.iter().any(|m| m["value"] == newcomer.as_str()));
    let (_, m7) = gw.get("/Users?filter=userName%20eq%20%22m7%22").await;
    assert!(members.iter().any(|m| m["value"] == m7["Resources"][0]["id"]));
}

#[tokio::test]
async fn group_of_unique_names_mapping_stores_unique_member() {
    let mapping = concat!(env!("CARGO_MANIFEST_DIR"), "/mappings/openldap-groupofuniquenames.yaml");
    let gw = Gateway::start_with(&[], &[("SCIM2LDAP__MAPPING", mapping)]).await;
    let a = gw.create_user(json!({"userName": "a"})).await;
    let (status, group) = gw.post("/Groups", json!({"displayName": "Unique"})).await;
    assert_eq!(status, 201, "{group}");
    let id = id_of(&group).to_string();
    let dn = "cn=Unique,ou=groups,dc=example,dc=org";
    assert_eq!(gw.slapd.values(dn, "uniqueMember").await, vec![PLACEHOLDER]);
    let (status, _) = gw
        .patch(
            &format!("/Groups/{id}"),
            json!([{"op": "add", "path": "members", "value": [{"value": a}]}]),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(gw.slapd.values(dn, "uniqueMember").await, vec![user_dn("a")]);
    let (_, group) = gw.get(&format!("/Groups/{id}")).await;
    assert_eq!(member_ids(&group), vec![a.clone()]);
    let (status, _) = gw
        .patch(
            &format!("/Groups/{id}"),
            json!([{"op": "remove", "path": format!("members[value eq \"{a}\"]")}]),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(gw.slapd.values(dn, "uniqueMember").await, vec![PLACEHOLDER]);
}

#[tokio::test]
async fn member_cleanup_follows_deletes_and_renames_without_refint() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mapping = dir.path().join("cleanup.yaml");
    let text = read_text(concat!(env!("CARGO_MANIFEST_DIR"), "/mappings/openldap.yaml"));
    std::fs::write(&mapping, format!("{text}  member_cleanup: {{ strategy: gateway }}\n")).unwrap_or_else(|e| panic!("{e}"));
    let no_refint = [("SLAPD_NO_REFINT", "1")];

    // Without cleanup, a directory without refint keeps a dangling member: the case this option is for.
    let plain = Gateway::attach(crate::support::Slapd::start_with_env(&[], &no_refint).await, &[]).await;
    let gone = plain.create_user(json!({"userName": "gone"})).await;
    plain
        .post("/Groups", json!({"displayName": "G", "members": [{"value": gone}]}))
        .await;
    plain.delete(&format!("/Users/{gone}")).await;
    assert_eq!(
        members_in_ldap(&plain, "cn=G,ou=groups,dc=example,dc=org").await,
        vec![user_dn("gone")]
    );

    let gw = Gateway::attach(
        crate::support::Slapd::start_with_env(&[], &no_refint).await,
        &[("SCIM2LDAP__MAPPING", path_str(&mapping))],
    )
    .await;
    let a = gw.create_user(json!({"userName": "a"})).await;
    let b = gw.create_user(json!({"userName": "b"})).await;
    let (status, _) = gw
        .post("/Groups", json!({"displayName": "G", "members": [{"value": a}, {"value": b}]}))
        .await;
    assert_eq!(status, 201);
    let dn = "cn=G,ou=groups,dc=example,dc=org";
    let (status, _) = gw.delete(&format!("/Users/{a}")).await;
    assert_eq!(status, 204);
    assert_eq!(members_in_ldap(&gw, dn).await, vec![user_dn("b")]);
    let (status, _) = gw
        .patch(
            &format!("/Users/{b}"),
            json!([{"op": "replace", "path": "userName", "value": "b2"}]),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(members_in_ldap(&gw, dn).await, vec![user_dn("b2")]);
    let (status, _) = gw.delete(&format!("/Users/{b}")).await;
    assert_eq!(status, 204);
    assert_eq!(
        members_in_ldap(&gw, dn).await,
        vec![PLACEHOLDER],
        "the last member leaves the placeholder"
    );
}

#[tokio::test]
async fn unknown_members_can_be_skipped_instead_of_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mapping = dir.path().join("skip.yaml");
    let text = read_text(concat!(env!("CARGO_MANIFEST_DIR"), "/mappings/openldap.yaml"));
    let members_line = "ldap: member, type: reference }";
    assert!(text.contains(members_line), "the shipped mapping's members line changed");
    let skipping = text.replacen(members_line, "ldap: member, type: reference, unknown: skip }", 1);
    std::fs::write(&mapping, skipping).unwrap_or_else(|e| panic!("{e}"));
    let gw = Gateway::start_with(&[], &[("SCIM2LDAP__MAPPING", path_str(&mapping))]).await;
    let a = gw.create_user(json!({"userName": "a"})).await;
    let unknown = "00000000-0000-0000-0000-000000000000";
    let (status, group) = gw
        .post(
            "/Groups",
            json!({"displayName": "S", "members": [{"value": a}, {"value": unknown}]}),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    assert_eq!(member_ids(&group), vec![a.clone()]);
    let id = id_of(&group).to_string();
    let (status, _) = gw
        .patch(
            &format!("/Groups/{id}"),
            json!([{"op": "add", "path": "members", "value": [{"value": unknown}]}]),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(members_in_ldap(&gw, "cn=S,ou=groups,dc=example,dc=org").await, vec![user_dn("a")]);
}
