//! What an admin reads: `/metrics` that junk requests cannot blow up, and audit lines that tell a
//! retry the gateway recovered from apart from a failure.

use reqwest::Method;
use serde_json::json;

use crate::operations::{metrics, spawn_gateway};
use crate::support::{Gateway, Slapd};

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
