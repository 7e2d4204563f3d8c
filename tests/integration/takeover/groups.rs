//! A legacy group whose `member` lists a user the gateway sees, a user deleted long ago and a service
//! account outside ou=people: the IdP sees (and changes) only the first kind; the others stay.

use std::collections::BTreeSet;

use pretty_assertions::assert_eq;
use serde_json::json;

use super::{dn_key, legacy_gateway, ok, query, raw, values, Untouched, BACKUP, DEPARTED, JANE, MAX, STAFF};
use crate::support::{first_id, member_ids, Ds389, Endpoint, Server, Slapd};

/// OpenLDAP's mapping keeps this DN in a group IdPs empty; it is no member anyone sees.
const PLACEHOLDER: &str = "cn=empty-group-placeholder,dc=example,dc=org";

/// The group's member DNs as the directory holds them (normalised, without the placeholder).
async fn members(ldap: &Endpoint) -> BTreeSet<String> {
    values(&raw(ldap, STAFF).await, "member")
        .iter()
        .map(|dn| dn_key(dn))
        .filter(|dn| *dn != dn_key(PLACEHOLDER))
        .collect()
}

fn expected(dns: &[&str]) -> BTreeSet<String> {
    dns.iter().map(|dn| dn_key(dn)).collect()
}

fn answered(step: &str, status: u16, body: &serde_json::Value) {
    assert!(status == 200 || status == 204, "{step}: {status} {body}");
}

async fn members_outside_view_stay<S: Server>(server: S) {
    let gw = legacy_gateway(server).await;
    let ldap = gw.slapd.endpoint();
    let untouched = Untouched::snapshot(ldap, STAFF, &["description"]).await;
    let uuid = |entry: super::Entry| values(&entry, "entryUUID")[0].clone();
    let jane = uuid(raw(ldap, JANE).await);
    let max = uuid(raw(ldap, MAX).await);

    // Entra's lookup in another case, then the group: only Jane is a member the IdP can see.
    let filter = query(r#"displayName eq "legacy staff""#);
    let (status, found) = gw.get(&format!("/Groups?filter={filter}&excludedAttributes=members")).await;
    ok("group lookup", status, &found);
    assert_eq!(found["totalResults"], 1, "{found}");
    let id = first_id(&found).to_string();
    let path = format!("/Groups/{id}");
    let (status, group) = gw.get(&path).await;
    ok("GET group", status, &group);
    assert_eq!(
        member_ids(&group),
        [jane.as_str()],
        "the dangling and out-of-base members are not shown: {group}"
    );

    // Okta's full PUT with another member: Jane goes, the members the IdP never saw stay.
    let (status, body) = gw
        .put(
            &path,
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": id,
                   "displayName": "Legacy Staff", "members": [{"value": max}]}),
        )
        .await;
    ok("PUT members", status, &body);
    assert_eq!(member_ids(&body), [max.as_str()], "{body}");
    assert_eq!(
        members(ldap).await,
        expected(&[DEPARTED, BACKUP, MAX]),
        "PUT keeps what SCIM does not show"
    );
    untouched.assert_kept(ldap, "PUT group").await;

    // PATCH replace of the member list.
    let (status, body) = gw
        .patch(&path, json!([{"op": "replace", "path": "members", "value": [{"value": jane}]}]))
        .await;
    answered("replace members", status, &body);
    assert_eq!(
        members(ldap).await,
        expected(&[DEPARTED, BACKUP, JANE]),
        "replace keeps what SCIM does not show"
    );
    let (_, group) = gw.get(&path).await;
    assert_eq!(member_ids(&group), [jane.as_str()], "{group}");

    // Removing every member removes every member the IdP can see, no other.
    let (status, body) = gw.patch(&path, json!([{"op": "remove", "path": "members"}])).await;
    answered("remove members", status, &body);
    assert_eq!(
        members(ldap).await,
        expected(&[DEPARTED, BACKUP]),
        "remove-all keeps what SCIM does not show"
    );
    let (_, group) = gw.get(&path).await;
    assert_eq!(member_ids(&group), Vec::<String>::new(), "{group}");
    untouched.assert_kept(ldap, "remove members").await;
}

#[tokio::test]
async fn members_the_gateway_cannot_see_stay_on_openldap() {
    members_outside_view_stay(Slapd::start(&[]).await).await;
}

#[tokio::test]
async fn members_the_gateway_cannot_see_stay_on_389_directory_server() {
    members_outside_view_stay(Ds389::start().await).await;
}
