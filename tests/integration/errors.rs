//! Bad requests get RFC 7644 error documents, never a 500; auth comes before any LDAP traffic.

use reqwest::Method;
use serde_json::json;

use crate::support::{assert_scim_error, id_of, read, Gateway, TOKEN};

#[tokio::test]
async fn authentication_routes_and_methods_answer_scim_errors() {
    let gw = Gateway::start().await;
    for token in [None, Some("wrong-token-wrong-token")] {
        let (status, body) = read(gw.raw(Method::GET, "/scim/v2/Users", None, token).await).await;
        assert_scim_error(status, &body, 401, None);
    }
    let (status, body) = gw.get("/Nope").await;
    assert_scim_error(status, &body, 404, None);
    let (status, body) = read(gw.raw(Method::GET, "/elsewhere", None, None).await).await;
    assert_scim_error(status, &body, 404, None);
    for path in ["/Schemas", "/ResourceTypes", "/ServiceProviderConfig"] {
        let (status, body) = gw.post(path, json!({})).await;
        assert_scim_error(status, &body, 405, None);
    }
    let (status, body) = gw.call(Method::DELETE, "/Users", None).await;
    assert_scim_error(status, &body, 405, None);
    let health = gw.raw(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.status(), 200);
    let request_id = health
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no x-request-id on /healthz"));
    assert!(uuid::Uuid::parse_str(request_id).is_ok(), "every response carries its request id");
    let ready = gw.raw(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status(), 200);
}

#[tokio::test]
async fn malformed_requests_are_400_with_the_right_scim_type() {
    let gw = Gateway::start().await;
    let id = gw.create_user(json!({"userName": "target"})).await;
    let not_json = gw
        .client
        .post(format!("{}/scim/v2/Users", gw.base))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, body) = read(not_json).await;
    assert_scim_error(status, &body, 400, Some("invalidSyntax"));
    let (status, body) = gw.post("/Users", json!(["array"])).await;
    assert_scim_error(status, &body, 400, Some("invalidSyntax"));
    let (status, body) = gw.post("/Users", json!({"displayName": "no user name"})).await;
    assert_scim_error(status, &body, 400, Some("invalidValue"));
    let (status, body) = gw.post("/Users", json!({"userName": "x", "active": "maybe"})).await;
    assert_scim_error(status, &body, 400, Some("invalidValue"));
    let (status, body) = gw
        .post(
            "/Users",
            json!({"userName": "badphone", "phoneNumbers": [{"type": "work", "value": "☎ @ home"}]}),
        )
        .await;
    assert_scim_error(status, &body, 400, Some("invalidValue"));

    for filter in [
        "userName%20zz%20%22a%22",
        "userName%20eq",
        "(userName%20eq%20%22a%22",
        "nickName%20eq%20%22a%22",
    ] {
        let (status, body) = gw.get(&format!("/Users?filter={filter}")).await;
        assert_scim_error(status, &body, 400, Some("invalidFilter"));
    }
    let (status, body) = gw.get("/Users?count=abc").await;
    assert_scim_error(status, &body, 400, Some("invalidValue"));

    let path = format!("/Users/{id}");
    let (status, body) = gw.patch(&path, json!([{"op": "remove"}])).await;
    assert_scim_error(status, &body, 400, Some("noTarget"));
    let (status, body) = gw
        .patch(&path, json!([{"op": "replace", "path": "emails[type eq", "value": "x"}]))
        .await;
    assert_scim_error(status, &body, 400, Some("invalidPath"));
    let (status, body) = gw.patch(&path, json!([{"op": "replace", "path": "id", "value": "x"}])).await;
    assert_scim_error(status, &body, 400, Some("mutability"));
    let (status, body) = gw.patch(&path, json!([{"op": "jump", "path": "title", "value": "x"}])).await;
    assert_scim_error(status, &body, 400, Some("invalidSyntax"));
    // A failing operation leaves nothing half-applied.
    let (status, _) = gw
        .patch(
            &path,
            json!([{"op": "replace", "path": "title", "value": "set"}, {"op": "replace", "path": "active", "value": "maybe"}]),
        )
        .await;
    assert_eq!(status, 400);
    let entry = gw.slapd.existing_entry("uid=target,ou=people,dc=example,dc=org").await;
    assert_eq!(entry.get("title"), None);
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let gw = Gateway::start_with(&[], &[("SCIM2LDAP__SERVER__MAX_BODY_BYTES", "2048")]).await;
    let (status, body) = gw.post("/Users", json!({"userName": "big", "displayName": "x".repeat(4096)})).await;
    assert_scim_error(status, &body, 413, None);
    assert!(gw.slapd.find("(uid=big)").await.is_empty());
}

const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Junk real clients send is refused with 400 `invalidValue` naming the attribute; references by
/// other keys (Okta's managerId) resolve, and a manager naming nobody is left out.
#[tokio::test]
async fn junk_is_refused_and_references_resolve_by_other_keys() {
    let gw = Gateway::start().await;
    for (body, attribute) in [
        (json!({"userName": "line\nbreak"}), "userName"),
        (json!({"userName": "nul\u{0}"}), "userName"),
        (json!({"userName": "   "}), "userName"),
    ] {
        let (status, answer) = gw.post("/Users", body.clone()).await;
        assert_scim_error(status, &answer, 400, Some("invalidValue"));
        assert!(answer["detail"].as_str().is_some_and(|d| d.contains(attribute)), "{body}: {answer}");
    }
    let boss = gw.create_user(json!({"userName": "boss", "externalId": "E-77"})).await;
    let (status, _) = gw
        .post("/Groups", json!({"displayName": "nulls", "members": [{"value": null}]}))
        .await;
    assert_eq!(status, 400);
    let (status, group) = gw.post("/Groups", json!({"displayName": "staff"})).await;
    assert_eq!(status, 201, "{group}");
    let group_id = id_of(&group).to_string();
    let (status, answer) = gw
        .patch(
            &format!("/Groups/{group_id}"),
            json!([{"op": "add", "path": "members", "value": [{"value": group_id}]}]),
        )
        .await;
    assert_scim_error(status, &answer, 400, Some("invalidValue"));
    let (status, answer) = gw
        .patch(
            &format!("/Groups/{group_id}"),
            json!([{"op": "add", "path": "members", "value": [{"value": null}]}]),
        )
        .await;
    assert_scim_error(status, &answer, 400, Some("invalidValue"));
    let (status, answer) = gw
        .post(
            "/Users",
            json!({"userName": "g-managed", ENTERPRISE_URN: {"manager": {"value": group_id}}}),
        )
        .await;
    assert_scim_error(status, &answer, 400, Some("invalidValue"));

    // The manager as Okta's managerId (a login or an external id) finds the user; one naming nobody
    // is left out and the user is created.
    for (name, manager) in [("by-login", "BOSS"), ("by-external-id", "E-77")] {
        let (status, user) = gw
            .post("/Users", json!({"userName": name, ENTERPRISE_URN: {"manager": {"value": manager}}}))
            .await;
        assert_eq!(status, 201, "{user}");
        assert_eq!(user[ENTERPRISE_URN]["manager"]["value"], boss.as_str(), "{user}");
    }
    let (status, user) = gw
        .post(
            "/Users",
            json!({"userName": "y", ENTERPRISE_URN: {"manager": {"value": "00000000-0000-0000-0000-000000000000"}}}),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    assert!(user.get(ENTERPRISE_URN).is_none_or(|e| e.get("manager").is_none()), "{user}");
}

/// An attribute the mapping does not store gets one answer in POST, PUT and PATCH: ignored by
/// default, refused everywhere with `server.refuse_unmapped`.
#[tokio::test]
async fn unmapped_attributes_get_one_answer_everywhere() {
    for (refuse, status_expected) in [("false", None), ("true", Some(400))] {
        let gw = Gateway::start_with(&[], &[("SCIM2LDAP__SERVER__REFUSE_UNMAPPED", refuse)]).await;
        let (created, user) = gw
            .post("/Users", json!({"userName": "u1", "nickName": "Nick", "locale": "en-US"}))
            .await;
        let id = gw.create_user(json!({"userName": "u2"})).await;
        let (put, _) = gw.put(&format!("/Users/{id}"), json!({"userName": "u2", "nickName": "Nick"})).await;
        let (patched, _) = gw
            .patch(
                &format!("/Users/{id}"),
                json!([{"op": "replace", "path": "nickName", "value": "Nick"}]),
            )
            .await;
        let (pathless, _) = gw
            .patch(&format!("/Users/{id}"), json!([{"op": "replace", "value": {"locale": "en-US"}}]))
            .await;
        match status_expected {
            None => {
                assert_eq!((created, put, patched, pathless), (201, 200, 200, 200), "{user}");
                assert!(user.get("nickName").is_none());
            }
            Some(status) => assert_eq!((created, put, patched, pathless), (status, status, status, status)),
        }
    }
}
