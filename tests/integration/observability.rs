//! What an admin reads: `/metrics` that junk requests cannot blow up, and audit lines that tell a
//! retry the gateway recovered from apart from a failure.

use reqwest::Method;
use serde_json::json;

use crate::support::process::spawn_gateway;
use crate::support::{id_of, metrics, read, read_text, Gateway, Slapd};

/// The number of series in the exposition (lines that are not comments).
fn series(text: &str) -> usize {
    text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).count()
}

#[tokio::test]
async fn junk_requests_add_no_metric_series() {
    let gateway = Gateway::start().await;
    let gw = &gateway;
    // Anyone may send these, without a token: made-up methods, random paths, odd ids.
    let junk = |round: usize| async move {
        for i in 0..60 {
            let method = Method::from_bytes(format!("M{round}X{i}").as_bytes()).unwrap_or(Method::PATCH);
            let paths = [
                format!("/scim/v2/Users/{round}-{i}"),
                format!("/scim/v2/nothing-{round}-{i}/x"),
                format!("/random-{round}-{i}"),
                format!("/scim/v2/Groups/{i}/deeper/{round}"),
            ];
            for path in &paths {
                let _ = gw.raw(method.clone(), path, None, None).await;
                let _ = gw.raw(Method::GET, path, None, Some("not-the-token-at-all")).await;
                let _ = gw.raw(Method::DELETE, path, None, None).await;
            }
        }
    };
    // Reading /metrics is a request too: once before, so that its own series exists in both counts.
    metrics(gw).await;
    junk(0).await;
    let after_one_round = metrics(gw).await;
    junk(1).await;
    let after_two_rounds = metrics(gw).await;
    assert_eq!(
        series(&after_one_round),
        series(&after_two_rounds),
        "new series after more junk:\n{after_two_rounds}"
    );
    assert!(
        after_two_rounds.contains("method=\"other\""),
        "made-up methods count as other:\n{after_two_rounds}"
    );
    assert!(!after_two_rounds.contains("M1X"), "{after_two_rounds}");
    assert!(series(&after_two_rounds) < 400, "{after_two_rounds}");
}

#[tokio::test]
async fn a_member_change_retried_inside_the_gateway_does_not_read_as_a_failure() {
    let slapd = Slapd::start(&[]).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("gateway.log");
    let gateway = spawn_gateway(&slapd, &log).await;
    let client = reqwest::Client::new();
    let scim = format!("{}/scim/v2", gateway.base);
    // The id of what a POST created, or the test fails with the answer.
    let created_id = |path: &'static str, body: serde_json::Value| {
        let request = client.post(format!("{scim}{path}")).bearer_auth(crate::support::TOKEN).json(&body);
        async move {
            let answer: serde_json::Value = request
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .json()
                .await
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            answer["id"].as_str().unwrap_or_else(|| panic!("no id in {answer}")).to_string()
        }
    };
    let user = created_id("/Users", json!({"userName": "joiner"})).await;
    // An empty group holds the placeholder member; the first member added is first tried with an
    // assertion that the placeholder is gone, which fails (122), then written with its removal.
    let group = created_id("/Groups", json!({"displayName": "newcomers"})).await;
    let patched = client
        .patch(format!("{scim}/Groups/{group}"))
        .bearer_auth(crate::support::TOKEN)
        .json(&json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                      "Operations": [{"op": "add", "path": "members", "value": [{"value": user}]}]}))
        .send()
        .await;
    let status = patched.map(|r| r.status().as_u16()).unwrap_or_else(|e| panic!("{e}"));
    assert!(status == 200 || status == 204, "{status}");
    drop(gateway);

    let text = std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
    let patch_line = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["target"] == "scim2ldap::audit" && l["fields"]["method"] == "PATCH")
        .and_then(|l| l["fields"]["writes"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no audit line with writes for the PATCH in:\n{text}"));
    let outcomes: Vec<&str> = patch_line.split("; ").filter_map(|w| w.rsplit(" result=").next()).collect();
    assert!(outcomes.last() == Some(&"ok"), "{patch_line}");
    assert!(
        patch_line.contains("result=retried(assertionFailed)"),
        "the retry shows: {patch_line}"
    );
    assert!(
        outcomes.iter().all(|o| *o == "ok" || o.starts_with("retried(")),
        "a successful request shows no failure: {patch_line}"
    );
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

#[tokio::test]
async fn every_write_leaves_one_audit_line_without_values_or_tokens() {
    let slapd = Slapd::start(&[]).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("gateway.log");
    let gateway = spawn_gateway(&slapd, &log).await;
    let client = reqwest::Client::new();
    let scim = format!("{}/scim/v2", gateway.base);
    let created: serde_json::Value = client
        .post(format!("{scim}/Users"))
        .bearer_auth(crate::support::TOKEN)
        .json(&json!({"userName": "audited", "password": "Okta-Placeholder-9f3", "title": "Secret Title"}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("the created user is not JSON: {e}"));
    let id = id_of(&created).to_string();
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "replace", "path": "active", "value": false}]});
    let patched = client
        .patch(format!("{scim}/Users/{id}"))
        .bearer_auth(crate::support::TOKEN)
        .json(&patch)
        .send()
        .await;
    assert_eq!(patched.map(|r| r.status().as_u16()).unwrap_or_else(|e| panic!("patched: {e}")), 200);
    let refused = client
        .delete(format!("{scim}/Users/{id}"))
        .bearer_auth("a-token-nobody-has")
        .send()
        .await;
    assert_eq!(refused.map(|r| r.status().as_u16()).unwrap_or_else(|e| panic!("refused: {e}")), 401);
    let read = client
        .get(format!("{scim}/Users/{id}"))
        .bearer_auth(crate::support::TOKEN)
        .send()
        .await;
    assert_eq!(read.map(|r| r.status().as_u16()).unwrap_or_else(|e| panic!("read: {e}")), 200);
    drop(gateway);

    let text = read_text(&log);
    let audit: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["target"] == "scim2ldap::audit")
        .map(|l| l["fields"].clone())
        .collect();
    assert_eq!(audit.len(), 3, "one line per write request, none for the read:\n{text}");
    assert_eq!(
        (
            audit[0]["caller"].as_str(),
            audit[0]["method"].as_str(),
            audit[0]["status"].as_u64()
        ),
        (Some("env"), Some("POST"), Some(201))
    );
    let writes = audit[0]["writes"].as_str().unwrap_or_else(|| panic!("no writes in {}", audit[0]));
    assert!(
        writes.starts_with("add uid=audited,ou=people,dc=example,dc=org [") && writes.contains("title") && writes.ends_with("result=ok"),
        "{writes}"
    );
    assert_eq!(audit[1]["method"], "PATCH");
    assert!(
        audit[1]["writes"]
            .as_str()
            .is_some_and(|w| w.contains("modify uid=audited,ou=people,dc=example,dc=org [pwdAccountLockedTime]")),
        "{}",
        audit[1]
    );
    assert_eq!(
        (
            audit[2]["caller"].as_str(),
            audit[2]["status"].as_u64(),
            audit[2]["writes"].as_str()
        ),
        (Some("-"), Some(401), Some(""))
    );
    for secret in ["Okta-Placeholder-9f3", "Secret Title", crate::support::TOKEN, "a-token-nobody-has"] {
        assert!(!text.contains(secret), "{secret:?} must not be logged:\n{text}");
    }
    let refusals: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["fields"]["status"] == 401 || l["fields"]["message"] == "authentication failed")
        .map(|l| l["fields"].clone())
        .filter(|f| f["message"] != "write")
        .collect();
    assert_eq!(refusals.len(), 1, "one line for the refused token:\n{text}");
    assert_eq!(refusals[0]["reason"], "unknown token", "{}", refusals[0]);
    assert!(
        refusals[0]["client"].as_str().is_some_and(|c| c.starts_with("127.0.0.1:")),
        "{}",
        refusals[0]
    );
}
