//! Limits that keep the gateway standing: requests beyond the concurrency cap are refused at once,
//! and every size and time limit answers a SCIM error or a bounded page.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::support::{metrics, read, Gateway};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_concurrency_cap_are_503_at_once() {
    let gw = Gateway::start_with(&[], &[("SCIM2LDAP__SERVER__MAX_CONCURRENT_REQUESTS", "1")]).await;
    let operations: Vec<serde_json::Value> = (0..1000)
        .map(|i| json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"), "data": {"userName": format!("busy{i}")}}))
        .collect();
    let slow = {
        let (client, base) = (gw.client.clone(), gw.base.clone());
        tokio::spawn(async move {
            client
                .post(format!("{base}/scim/v2/Bulk"))
                .bearer_auth(crate::support::TOKEN)
                .json(&json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": operations}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    let response = gw.raw(Method::GET, "/scim/v2/Users", None, Some(crate::support::TOKEN)).await;
    assert!(response.headers().contains_key("retry-after"));
    let (status, body) = read(response).await;
    assert_eq!((status, body["status"].clone()), (503, json!("503")), "{body}");
    assert_eq!(slow.await.ok().and_then(Result::ok), Some(200));
    let (status, _) = gw.get("/Users?count=1").await;
    assert_eq!(status, 200, "served again once the permit is back");
    assert!(metrics(&gw).await.contains("scim2ldap_http_rejected_total 1"));
}

#[tokio::test]
async fn each_limit_answers_a_scim_error_or_a_bounded_page() {
    let gw = Gateway::start_with(
        &["tests/fixtures/ldif/sample-users.ldif"],
        &[("SCIM2LDAP__SERVER__MAX_RESULTS", "1")],
    )
    .await;
    // count beyond the maximum: a page of the maximum, and the maximum is advertised.
    let (status, page) = gw.get("/Users?count=50").await;
    assert_eq!(
        (status, page["itemsPerPage"].clone(), page["totalResults"].clone()),
        (200, json!(1), json!(2))
    );
    let (_, config) = gw.get("/ServiceProviderConfig").await;
    assert_eq!(config["filter"]["maxResults"], 1);
    // A filter beyond the length limit.
    let long = format!("userName eq \"{}\"", "x".repeat(scim2ldap::scim::filter::MAX_FILTER_LEN));
    let (status, body) = gw.post("/Users/.search", json!({"filter": long})).await;
    crate::support::assert_scim_error(status, &body, 400, Some("invalidFilter"));
    // A filter nested beyond the depth limit.
    let deep = format!("{}userName pr{}", "(".repeat(100), ")".repeat(100));
    let (status, body) = gw.post("/Users/.search", json!({"filter": deep})).await;
    crate::support::assert_scim_error(status, &body, 400, Some("invalidFilter"));

    // A query that matches more than the service lists: 400 tooMany, for a first page and later ones.
    let narrow = Gateway::start_with(
        &["tests/fixtures/ldif/sample-users.ldif"],
        &[("SCIM2LDAP__SERVER__MAX_MATCHES", "1")],
    )
    .await;
    for query in ["/Users", "/Users?startIndex=2&count=1"] {
        let (status, body) = narrow.get(query).await;
        crate::support::assert_scim_error(status, &body, 400, Some("tooMany"));
    }
    let (status, page) = narrow.get("/Users?filter=userName%20eq%20%22bjensen%22").await;
    assert_eq!((status, page["totalResults"].clone()), (200, json!(1)));

    // The request time limit, against a directory that hangs: 503 with Retry-After, never a hang.
    let slow = Gateway::start_with(&[], &[("SCIM2LDAP__SERVER__REQUEST_TIMEOUT_MS", "300")]).await;
    slow.slapd.signal("STOP");
    let started = std::time::Instant::now();
    let response = slow
        .raw(Method::GET, "/scim/v2/Users?count=200", None, Some(crate::support::TOKEN))
        .await;
    slow.slapd.signal("CONT");
    assert!(started.elapsed() < Duration::from_secs(2), "answered at the time limit");
    let retry_after = response.headers().contains_key("retry-after");
    let (status, body) = read(response).await;
    crate::support::assert_scim_error(status, &body, 503, None);
    assert!(retry_after);
}
