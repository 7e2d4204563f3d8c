//! What IdPs send when an admin presses "Test connection", and the request shapes they all rely on.
//! (401, 404, 405 and 409 answers are in `errors` and `users`.)

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{id_of, read, Gateway, TOKEN};

fn ints(page: &Value) -> (Option<i64>, Option<i64>, Option<i64>) {
    (
        page["totalResults"].as_i64(),
        page["itemsPerPage"].as_i64(),
        page["startIndex"].as_i64(),
    )
}

#[tokio::test]
async fn entra_and_okta_connection_probes() {
    let gw = Gateway::start_with(&["tests/fixtures/ldif/sample-users.ldif"], &[]).await;
    let (status, group) = gw.post("/Groups", json!({"displayName": "Probe group"})).await;
    assert_eq!(status, 201, "{group}");

    // Entra: a user that cannot exist, then a group lookup that leaves members out.
    let (status, miss) = gw
        .get("/Users?filter=userName%20eq%20%22c7b0a3a4-1f1e-4d0a-9c7e-2a1b1e2f3a4b%22")
        .await;
    assert_eq!(status, 200, "{miss}");
    assert_eq!((ints(&miss), miss["Resources"].clone()), ((Some(0), Some(0), Some(1)), json!([])));
    let (status, found) = gw
        .get("/Groups?excludedAttributes=members&filter=displayName%20eq%20%22Probe%20group%22")
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["Resources"][0]["id"], group["id"]);

    // Okta: the first page of one user and of one group, with integer counts.
    let (status, users) = gw.get("/Users?count=1&startIndex=1").await;
    assert_eq!(status, 200, "{users}");
    assert_eq!(ints(&users), (Some(2), Some(1), Some(1)));
    let (status, groups) = gw.get("/Groups?count=1&startIndex=1").await;
    assert_eq!(status, 200, "{groups}");
    assert_eq!(ints(&groups), (Some(1), Some(1), Some(1)));
    let (status, okta_probe) = gw
        .get("/Users?filter=userName%20eq%20%22nobody%40example.org%22&startIndex=1&count=100")
        .await;
    assert_eq!((status, ints(&okta_probe)), (200, (Some(0), Some(0), Some(1))));
}

#[tokio::test]
async fn user_name_filters_ignore_case() {
    let gw = Gateway::start().await;
    let id = gw.create_user(json!({"userName": "Ada.Lovelace@Example.org"})).await;
    for filter in [
        "userName%20eq%20%22ada.lovelace%40example.org%22",
        "USERNAME%20EQ%20%22ADA.LOVELACE%40EXAMPLE.ORG%22",
        "username%20sw%20%22ada.%22",
    ] {
        let (status, page) = gw.get(&format!("/Users?filter={filter}")).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(
            (page["totalResults"].clone(), page["Resources"][0]["id"].clone()),
            (json!(1), json!(id)),
            "{filter}"
        );
    }
}

#[tokio::test]
async fn plain_application_json_is_accepted() {
    let gw = Gateway::start().await;
    let send = |method: Method, path: &str, body: Value| {
        gw.client
            .request(method, format!("{}/scim/v2{path}", gw.base))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json; charset=utf-8")
            .body(body.to_string())
            .send()
    };
    let (status, created) = read(send(Method::POST, "/Users", json!({"userName": "plainjson"})).await.unwrap()).await;
    assert_eq!(status, 201, "{created}");
    let path = format!("/Users/{}", id_of(&created));
    let (status, body) = read(
        send(
            Method::PATCH,
            &path,
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "title", "value": "T"}]}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((status, body["title"].clone()), (200, json!("T")), "{body}");
    let (status, body) = read(
        send(Method::PUT, &path, json!({"userName": "plainjson", "displayName": "P"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body["displayName"].clone()), (200, json!("P")), "{body}");
    let (status, body) = read(
        send(Method::POST, "/Users/.search", json!({"filter": "userName eq \"plainjson\""}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body["totalResults"].clone()), (200, json!(1)), "{body}");
}
