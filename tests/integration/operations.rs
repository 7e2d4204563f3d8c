//! What an SRE relies on: metrics, readiness that follows the directory, failover between replicas.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::support::{read, Gateway, Slapd};

async fn metrics(gw: &Gateway) -> String {
    let response = gw.raw(Method::GET, "/metrics", None, None).await;
    assert_eq!(response.status(), 200, "/metrics needs no token");
    response.text().await.unwrap_or_default()
}

#[tokio::test]
async fn metrics_count_requests_directory_operations_and_cache() {
    let gw = Gateway::start().await;
    let id = gw.create_user(json!({"userName": "counted"})).await;
    for _ in 0..2 {
        let (status, _) = gw.get(&format!("/Users/{id}")).await;
        assert_eq!(status, 200);
    }
    let (status, _) = read(gw.raw(Method::GET, "/scim/v2/Users", None, Some("not-the-token-at-all")).await).await;
    assert_eq!(status, 401);
    let text = metrics(&gw).await;
    for expected in [
        "# TYPE scim2ldap_http_requests_total counter",
        "scim2ldap_http_requests_total{route=\"/scim/v2/Users\",method=\"POST\",status=\"201\"} 1",
        "scim2ldap_http_requests_total{route=\"/scim/v2/Users/{id}\",method=\"GET\",status=\"200\"} 2",
        "scim2ldap_http_requests_total{route=\"/scim/v2/Users\",method=\"GET\",status=\"401\"} 1",
        "scim2ldap_http_request_seconds_count{route=\"/scim/v2/Users/{id}\",method=\"GET\"} 2",
        "scim2ldap_ldap_operations_total{op=\"add\",result=\"0\"} 1",
        "scim2ldap_id_cache_requests_total{result=\"hit\"} 2",
        "# TYPE scim2ldap_ldap_operation_seconds histogram",
        "scim2ldap_ldap_pool_wait_seconds_count",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    let open = format!("scim2ldap_ldap_connections_open{{url=\"{}\"}}", gw.slapd.url);
    assert!(
        text.lines().any(|l| l.starts_with(&open) && !l.ends_with(" 0")),
        "{open} in\n{text}"
    );
}

async fn ready(gw: &Gateway) -> u16 {
    gw.raw(Method::GET, "/readyz", None, None).await.status().as_u16()
}

#[tokio::test]
async fn readiness_follows_the_directory() {
    let mut gw = Gateway::start().await;
    assert_eq!(ready(&gw).await, 200);
    gw.slapd.kill();
    let (status, body) = read(gw.raw(Method::GET, "/readyz", None, None).await).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "503");
    assert_eq!(gw.raw(Method::GET, "/healthz", None, None).await.status(), 200, "the process is up");
    gw.slapd.restart().await;
    let mut status = 0;
    for _ in 0..40 {
        status = ready(&gw).await;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, 200, "ready again without a restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_fail_over_to_the_next_directory() {
    let primary = Slapd::start(&[]).await;
    let replica = Slapd::start(&[]).await;
    let urls = format!("{} {}", primary.url, replica.url);
    let replica_url = replica.url.clone();
    let mut gw = Gateway::attach(primary, &[("SCIM2LDAP__LDAP__URL", &urls), ("SCIM2LDAP__LDAP__TIMEOUT_MS", "1000")]).await;
    let writer = {
        let (client, base) = (gw.client.clone(), gw.base.clone());
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            for i in 0..120 {
                let response = client
                    .post(format!("{base}/scim/v2/Users"))
                    .bearer_auth(crate::support::TOKEN)
                    .json(&json!({"userName": format!("f{i}")}))
                    .send()
                    .await;
                statuses.push(response.map_or(0, |r| r.status().as_u16()));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            statuses
        })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    gw.slapd.kill();
    let statuses = writer.await.unwrap_or_default();
    let failed = statuses.iter().filter(|s| **s != 201).count();
    assert!(statuses.iter().all(|s| matches!(s, 201 | 503)), "{statuses:?}");
    assert!(failed <= 1, "at most the write in flight when the primary died fails: {statuses:?}");
    let last = statuses.iter().rposition(|s| *s != 201).map_or(0, |p| p + 1);
    assert!(statuses.len() - last > 50, "writes continue on the replica: {statuses:?}");
    let text = metrics(&gw).await;
    assert!(
        text.contains(&format!("scim2ldap_ldap_connects_total{{url=\"{replica_url}\",result=\"ok\"}}")),
        "{text}"
    );
    drop(replica);
}
