//! RFC 7644 §3.7 Bulk against slapd: bulkId references in any order, per-operation results,
//! failOnErrors, cycles, and the advertised limits.

use serde_json::{json, Value};

use crate::support::{assert_scim_error, scim_path, Gateway};

const BULK: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

fn statuses(response: &Value) -> Vec<String> {
    response["Operations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|op| format!("{} {}", op["bulkId"].as_str().unwrap_or("-"), op["status"].as_str().unwrap_or("?")))
        .collect()
}

#[tokio::test]
async fn a_group_may_reference_users_created_later_in_the_same_request() {
    let gw = Gateway::start().await;
    let (status, response) = gw
        .post(
            "/Bulk",
            json!({
                "schemas": [BULK],
                "failOnErrors": 1,
                "Operations": [
                    {"method": "POST", "path": "/Groups", "bulkId": "team", "data": {
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                        "displayName": "Tour Guides",
                        "members": [{"type": "User", "value": "bulkId:alice"}, {"type": "User", "value": "bulkId:bob"}]
                    }},
                    {"method": "POST", "path": "/Users", "bulkId": "alice", "data": {"userName": "alice"}},
                    {"method": "POST", "path": "/Users", "bulkId": "bob", "data": {"userName": "bob"}}
                ]
            }),
        )
        .await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(response["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:BulkResponse");
    assert_eq!(statuses(&response), vec!["team 201", "alice 201", "bob 201"]);
    for op in response["Operations"].as_array().into_iter().flatten() {
        let location = op["location"].as_str().unwrap_or_else(|| panic!("no location in {op}"));
        let (status, resource) = gw.get(scim_path(location)).await;
        assert_eq!(status, 200, "{location} answers");
        assert_eq!(op["version"], resource["meta"]["version"], "{op}");
    }
    let mut members = gw.slapd.values("cn=Tour Guides,ou=groups,dc=example,dc=org", "member").await;
    members.sort();
    assert_eq!(
        members,
        vec!["uid=alice,ou=people,dc=example,dc=org", "uid=bob,ou=people,dc=example,dc=org"]
    );
}

#[tokio::test]
async fn updates_deletes_versions_and_fail_on_errors() {
    let gw = Gateway::start().await;
    let kept = gw.create_user(json!({"userName": "kept"})).await;
    let gone = gw.create_user(json!({"userName": "gone"})).await;
    let (_, current) = gw.get(&format!("/Users/{kept}")).await;
    let version = current["meta"]["version"].clone();
    let (status, response) = gw
        .post(
            "/Bulk",
            json!({
                "schemas": [BULK],
                "Operations": [
                    {"method": "PATCH", "path": format!("/Users/{kept}"), "version": version, "data": {
                        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "replace", "path": "title", "value": "Keeper"}]
                    }},
                    {"method": "PUT", "path": format!("/Users/{kept}"), "version": "W/\"stale\"", "data": {"userName": "kept"}},
                    {"method": "DELETE", "path": format!("/Users/{gone}")},
                    {"method": "POST", "path": "/Users", "bulkId": "dup", "data": {"userName": "KEPT"}},
                    {"method": "DELETE", "path": "/Users/00000000-0000-0000-0000-000000000000"}
                ]
            }),
        )
        .await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(statuses(&response), vec!["- 200", "- 412", "- 204", "dup 409", "- 404"]);
    assert_eq!(response["Operations"][3]["response"]["scimType"], "uniqueness");
    assert_eq!(
        gw.slapd.values("uid=kept,ou=people,dc=example,dc=org", "title").await,
        vec!["Keeper"]
    );
    assert!(gw.slapd.entry("uid=gone,ou=people,dc=example,dc=org").await.is_none());

    // failOnErrors: 1 stops at the first error; what follows is neither run nor listed.
    let (status, response) = gw
        .post(
            "/Bulk",
            json!({
                "schemas": [BULK],
                "failOnErrors": 1,
                "Operations": [
                    {"method": "POST", "path": "/Users", "bulkId": "again", "data": {"userName": "kept"}},
                    {"method": "POST", "path": "/Users", "bulkId": "never", "data": {"userName": "never"}}
                ]
            }),
        )
        .await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(statuses(&response), vec!["again 409"]);
    assert!(gw.slapd.entry("uid=never,ou=people,dc=example,dc=org").await.is_none());
}

#[tokio::test]
async fn unresolvable_references_and_cycles_are_409() {
    let gw = Gateway::start().await;
    let (status, response) = gw
        .post(
            "/Bulk",
            json!({
                "schemas": [BULK],
                "Operations": [
                    {"method": "POST", "path": "/Groups", "bulkId": "a", "data": {"displayName": "A", "members": [{"value": "bulkId:b"}]}},
                    {"method": "POST", "path": "/Groups", "bulkId": "b", "data": {"displayName": "B", "members": [{"value": "bulkId:a"}]}},
                    {"method": "POST", "path": "/Users", "bulkId": "bad", "data": {"displayName": "no userName"}},
                    {"method": "POST", "path": "/Groups", "bulkId": "c", "data": {"displayName": "C", "members": [{"value": "bulkId:bad"}]}},
                    {"method": "POST", "path": "/Groups", "bulkId": "d", "data": {"displayName": "D", "members": [{"value": "bulkId:nowhere"}]}},
                    {"method": "POST", "path": "/Nothing", "bulkId": "e", "data": {}},
                    {"method": "GET", "path": "/Users"}
                ]
            }),
        )
        .await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(
        statuses(&response),
        vec!["a 409", "b 409", "bad 400", "c 409", "d 409", "e 404", "- 400"]
    );
    assert!(gw.slapd.find("(objectClass=groupOfNames)").await.is_empty(), "no group was created");
}

#[tokio::test]
async fn limits_are_advertised_and_enforced() {
    let gw = Gateway::start_with(
        &[],
        &[
            ("SCIM2LDAP__SERVER__BULK_MAX_OPERATIONS", "2"),
            ("SCIM2LDAP__SERVER__MAX_BODY_BYTES", "4096"),
        ],
    )
    .await;
    let (_, config) = gw.get("/ServiceProviderConfig").await;
    assert_eq!(
        config["bulk"],
        json!({"supported": true, "maxOperations": 2, "maxPayloadSize": 4096})
    );
    let delete = json!({"method": "DELETE", "path": "/Users/00000000-0000-0000-0000-000000000000"});
    let (status, body) = gw
        .post("/Bulk", json!({"schemas": [BULK], "Operations": [delete, delete, delete]}))
        .await;
    assert_scim_error(status, &body, 413, None);
    let big = json!({"method": "POST", "path": "/Users", "bulkId": "big", "data": {"userName": "big", "title": "x".repeat(5000)}});
    let (status, body) = gw.post("/Bulk", json!({"schemas": [BULK], "Operations": [big]})).await;
    assert_scim_error(status, &body, 413, None);
    assert!(gw.slapd.find("(uid=big)").await.is_empty());
    let (status, body) = gw.post("/Bulk", json!({"schemas": [BULK]})).await;
    assert_scim_error(status, &body, 400, Some("invalidSyntax"));
}

#[tokio::test]
async fn a_bulk_that_would_outlast_the_request_timeout_answers_what_it_did() {
    let gw = Gateway::start_with(
        &[],
        &[
            ("SCIM2LDAP__SERVER__REQUEST_TIMEOUT_MS", "400"),
            ("SCIM2LDAP__SERVER__BULK_MAX_OPERATIONS", "2000"),
        ],
    )
    .await;
    let operations: Vec<Value> = (0..2000)
        .map(|i| json!({"method": "POST", "path": "/Users", "bulkId": format!("u{i}"), "data": {"userName": format!("bulk{i}")}}))
        .collect();
    let (status, response) = gw.post("/Bulk", json!({"schemas": [BULK], "Operations": operations})).await;
    assert_eq!(status, 200, "{response}");
    let listed = response["Operations"].as_array().map_or(0, Vec::len);
    assert!(listed > 0 && listed < 2000, "{listed} operations listed");
    assert!(response["Operations"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|op| op["status"] == "201"));
    assert_eq!(
        gw.slapd.find("(uid=bulk*)").await.len(),
        listed,
        "exactly the listed operations were done"
    );
}
