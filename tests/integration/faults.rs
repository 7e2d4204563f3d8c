//! The directory crashes under a write load and comes back: nothing acknowledged is lost, the outage
//! is answered 503 with Retry-After within the request timeout, and service resumes without a restart.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{id_of, Gateway, Slapd, TOKEN};

const REQUEST_TIMEOUT_MS: u64 = 3000;

/// What one worker saw: the last acknowledged title of each user it created, and every answer.
#[derive(Default)]
struct Seen {
    acknowledged: HashMap<String, String>,
    answers: Vec<(u16, bool, Duration)>,
}

async fn send(client: &reqwest::Client, request: reqwest::RequestBuilder, seen: &mut Seen) -> Option<Value> {
    let started = Instant::now();
    let response = client.execute(request.bearer_auth(TOKEN).build().ok()?).await.ok()?;
    let status = response.status().as_u16();
    let retry_after = response.headers().contains_key("retry-after");
    let body: Value = response.json().await.unwrap_or(Value::Null);
    seen.answers.push((status, retry_after, started.elapsed()));
    (status < 300).then_some(body)
}

async fn write_loop(client: reqwest::Client, base: String, worker: usize, until: Instant) -> Seen {
    let mut seen = Seen::default();
    let mut i = 0;
    while Instant::now() < until {
        i += 1;
        let name = format!("w{worker}-{i}");
        let create = client
            .post(format!("{base}/scim/v2/Users"))
            .json(&json!({"userName": name, "title": "created"}));
        let Some(created) = send(&client, create, &mut seen).await else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        seen.acknowledged.insert(name.clone(), "created".into());
        let id = id_of(&created);
        let patch = client
            .patch(format!("{base}/scim/v2/Users/{id}"))
            .json(&json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                          "Operations": [{"op": "replace", "path": "title", "value": "patched"}]}));
        if send(&client, patch, &mut seen).await.is_some() {
            seen.acknowledged.insert(name, "patched".into());
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_crash_loses_nothing_acknowledged_and_service_resumes() {
    let slapd = Slapd::start(&[]).await;
    let mut gw = Gateway::attach(
        slapd,
        &[
            ("SCIM2LDAP__SERVER__REQUEST_TIMEOUT_MS", &REQUEST_TIMEOUT_MS.to_string()),
            ("SCIM2LDAP__LDAP__TIMEOUT_MS", "1000"),
            ("SCIM2LDAP__LDAP__CONNECT_TIMEOUT_MS", "500"),
        ],
    )
    .await;
    let until = Instant::now() + Duration::from_secs(7);
    let workers: Vec<_> = (0..4)
        .map(|w| tokio::spawn(write_loop(gw.client.clone(), gw.base.clone(), w, until)))
        .collect();

    tokio::time::sleep(Duration::from_millis(1500)).await;
    gw.slapd.kill();
    tokio::time::sleep(Duration::from_secs(3)).await;
    gw.slapd.restart().await;
    let back = Instant::now();
    loop {
        let (status, _) = gw.get("/Users?count=1").await;
        if status == 200 {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(2),
            "not recovered 2 s after the directory came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let recovered_in = back.elapsed();

    let mut acknowledged = HashMap::new();
    let mut answers = Vec::new();
    for worker in workers {
        let seen = worker.await.unwrap_or_else(|e| panic!("a worker failed: {e}"));
        acknowledged.extend(seen.acknowledged);
        answers.extend(seen.answers);
    }
    let unavailable = answers.iter().filter(|(s, _, _)| *s == 503).count();
    assert!(unavailable > 0, "the outage was seen");
    assert!(answers.iter().any(|(s, _, _)| *s < 300), "writes succeeded");
    for (status, retry_after, took) in &answers {
        assert!(
            matches!(status, 200 | 201 | 503),
            "only success or 503 during the run, got {status}"
        );
        assert!(*status != 503 || *retry_after, "503 carries Retry-After");
        assert!(
            *took <= Duration::from_millis(REQUEST_TIMEOUT_MS + 1000),
            "an answer took {took:?}, beyond the request timeout"
        );
    }
    for (name, title) in &acknowledged {
        let dn = format!("uid={name},ou=people,dc=example,dc=org");
        assert_eq!(gw.slapd.values(&dn, "title").await, vec![title.clone()], "{name} as acknowledged");
    }
    eprintln!(
        "{} answers, {} acknowledged users, {unavailable} answered 503, recovered {recovered_in:?} after the directory",
        answers.len(),
        acknowledged.len()
    );
}
