//! Many gateways, one directory: three gateways (separate applications, caches and pools) in front
//! of one slapd hand out no number twice and see each other's renames and deletes; one gateway in
//! front of two replicating providers loses no acknowledged write when the provider in use dies.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{id_of, metrics, Gateway, Providers, Slapd, TOKEN};

const POSIX_MAPPING: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/mappings/examples/posix.yaml");
const POSIX: &str = "urn:scim2ldap:schemas:extension:posix:1.0:User";
const PEOPLE: &str = "ou=people,dc=example,dc=org";

/// Three gateways with the posix mapping in front of one slapd.
async fn three_gateways(slapd: &Arc<Slapd>) -> Vec<Gateway<Arc<Slapd>>> {
    let mut gateways = Vec::new();
    for _ in 0..3 {
        gateways.push(Gateway::attach(slapd.clone(), &[("SCIM2LDAP__MAPPING", POSIX_MAPPING)]).await);
    }
    gateways
}

/// Creates `count` users `{prefix}{i}` one after another through the gateway at `base`; answers
/// each create's status and body.
async fn create_users(client: reqwest::Client, base: String, prefix: String, count: usize) -> Vec<(u16, Value)> {
    let mut answers = Vec::new();
    for i in 0..count {
        let response = client
            .post(format!("{base}/scim/v2/Users"))
            .bearer_auth(TOKEN)
            .json(&json!({"userName": format!("{prefix}{i}")}))
            .send()
            .await;
        let answer = match response {
            Ok(r) => (r.status().as_u16(), r.json().await.unwrap_or(Value::Null)),
            Err(e) => (0, json!(e.to_string())),
        };
        answers.push(answer);
    }
    answers
}

fn number(body: &Value, attr: &str) -> String {
    body[POSIX][attr]
        .as_str()
        .unwrap_or_else(|| panic!("no {attr} in {body}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_gateways_hand_out_no_number_twice() {
    let slapd = Arc::new(Slapd::start(&[]).await);
    let gateways = three_gateways(&slapd).await;
    // Six writers, two per gateway, 20 creates each: 40 through each gateway.
    let writers: Vec<_> = (0..6)
        .map(|w| {
            let gw = &gateways[w % 3];
            tokio::spawn(create_users(gw.client.clone(), gw.base.clone(), format!("w{w}-"), 20))
        })
        .collect();
    let mut answers = Vec::new();
    for writer in writers {
        answers.extend(writer.await.unwrap_or_else(|e| panic!("a writer failed: {e}")));
    }
    let failed: Vec<&(u16, Value)> = answers.iter().filter(|(status, _)| *status != 201).collect();
    assert!(
        failed.is_empty(),
        "{} of {} creates failed: {failed:?}",
        failed.len(),
        answers.len()
    );
    for attr in ["uidNumber", "gidNumber"] {
        let numbers: HashSet<String> = answers.iter().map(|(_, body)| number(body, attr)).collect();
        assert_eq!(numbers.len(), 120, "{attr}s answered are not all distinct");
    }
    // What the directory holds, read back, not only what was answered.
    let stored = slapd.entries("(objectClass=posixAccount)", &["uidNumber", "gidNumber"]).await;
    assert_eq!(stored.len(), 120);
    for attr in ["uidnumber", "gidnumber"] {
        let mut held: Vec<&String> = stored.iter().flat_map(|e| e.get(attr).into_iter().flatten()).collect();
        held.sort();
        let all = held.len();
        held.dedup();
        assert_eq!((all, held.len()), (120, 120), "{attr}: one value per entry and no duplicates");
    }
    eprintln!("3 gateways, 6 writers: 120 creates, 0 failed, 0 duplicate uidNumbers or gidNumbers");
}

#[tokio::test]
async fn renames_and_deletes_through_one_gateway_are_seen_by_the_others() {
    let slapd = Arc::new(Slapd::start(&[]).await);
    let gateways = three_gateways(&slapd).await;
    let (a, b, c) = (&gateways[0], &gateways[1], &gateways[2]);
    let id = a.create_user(json!({"userName": "ann"})).await;
    // B and C read it, and so cache where it is.
    for gw in [b, c] {
        let (status, user) = gw.get(&format!("/Users/{id}")).await;
        assert_eq!((status, user["userName"].clone()), (200, json!("ann")), "{user}");
    }

    // Renamed through A: B finds it under its new name by id.
    let (status, body) = a
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "userName", "value": "ann.new"}]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(slapd.entry(&format!("uid=ann.new,{PEOPLE}")).await.is_some());
    let (status, user) = b.get(&format!("/Users/{id}")).await;
    assert_eq!((status, user["userName"].clone()), (200, json!("ann.new")), "{user}");

    // Another user now holds the old DN: C's cached DN for the first one must not lead to it.
    let other = a.create_user(json!({"userName": "ann"})).await;
    let (status, user) = c.get(&format!("/Users/{id}")).await;
    assert_eq!(
        (status, user["id"].clone(), user["userName"].clone()),
        (200, json!(id), json!("ann.new")),
        "{user}"
    );
    let (status, user) = c.get(&format!("/Users/{other}")).await;
    assert_eq!((status, user["userName"].clone()), (200, json!("ann")), "{user}");

    // Deleted through A: 404 through B and C, for reads and writes alike.
    let (status, _) = a.delete(&format!("/Users/{id}")).await;
    assert_eq!(status, 204);
    let (status, _) = b.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 404);
    let (status, _) = c
        .patch(&format!("/Users/{id}"), json!([{"op": "replace", "path": "title", "value": "x"}]))
        .await;
    assert_eq!(status, 404);
    let (_, found) = b.get("/Users?filter=userName+eq+%22ann.new%22").await;
    assert_eq!(found["totalResults"], 0, "{found}");
    let (status, _) = b.get(&format!("/Users/{other}")).await;
    assert_eq!(status, 200, "the user at the old DN is untouched");
}

/// What the writers saw: for each user whose create was acknowledged, the titles it may have (the
/// acknowledged one, and a retitle whose answer was lost: it may have been applied), and every answer
/// (status, whether it carried Retry-After).
#[derive(Default)]
struct Seen {
    acknowledged: HashMap<String, Vec<&'static str>>,
    answers: Vec<(u16, bool, String)>,
}

async fn send(request: reqwest::RequestBuilder, seen: &mut Seen) -> Option<Value> {
    let response = request.bearer_auth(TOKEN).send().await.ok()?;
    let status = response.status().as_u16();
    let retry_after = response.headers().contains_key("retry-after");
    let body: Value = response.json().await.unwrap_or(Value::Null);
    seen.answers.push((status, retry_after, body.to_string()));
    (status < 300).then_some(body)
}

/// Creates users and retitles each once, about every 10 ms, until `until`.
async fn write_loop(client: reqwest::Client, base: String, worker: usize, until: Instant) -> Seen {
    let mut seen = Seen::default();
    let mut i = 0;
    while Instant::now() < until {
        i += 1;
        let name = format!("r{worker}-{i}");
        let create = client
            .post(format!("{base}/scim/v2/Users"))
            .json(&json!({"userName": name, "title": "created"}));
        let Some(created) = send(create, &mut seen).await else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        seen.acknowledged.insert(name.clone(), vec!["created"]);
        let id = id_of(&created);
        let patch = client
            .patch(format!("{base}/scim/v2/Users/{id}"))
            .json(&json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "replace", "path": "title", "value": "patched"}]}));
        let titles = match send(patch, &mut seen).await {
            Some(_) => vec!["patched"],
            None => vec!["created", "patched"],
        };
        seen.acknowledged.insert(name, titles);
        // Paced: a few hundred users prove the point without starving the tests running alongside.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_dies_under_writers_and_both_end_up_with_every_acknowledged_write() {
    let providers = Providers::start().await;
    let mut gw = Gateway::attach(
        providers,
        &[
            ("SCIM2LDAP__SERVER__REQUEST_TIMEOUT_MS", "3000"),
            ("SCIM2LDAP__LDAP__TIMEOUT_MS", "1000"),
            ("SCIM2LDAP__LDAP__CONNECT_TIMEOUT_MS", "500"),
        ],
    )
    .await;
    let until = Instant::now() + Duration::from_millis(3000);
    let workers: Vec<_> = (0..4)
        .map(|w| tokio::spawn(write_loop(gw.client.clone(), gw.base.clone(), w, until)))
        .collect();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    gw.slapd.first.kill();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    // Back while the writers still write (to the second): it catches up both ways.
    gw.slapd.first.restart_after_crash().await;

    let mut seen = Seen::default();
    for worker in workers {
        let one = worker.await.unwrap_or_else(|e| panic!("a writer failed: {e}"));
        seen.acknowledged.extend(one.acknowledged);
        seen.answers.extend(one.answers);
    }
    let unexpected: Vec<&(u16, bool, String)> = seen
        .answers
        .iter()
        .filter(|(status, retry_after, _)| !matches!((status, retry_after), (200 | 201, _) | (503, true)))
        .collect();
    assert!(unexpected.is_empty(), "only success, or 503 with Retry-After: {unexpected:?}");
    let unavailable = seen.answers.iter().filter(|(status, _, _)| *status == 503).count();
    assert!(seen.acknowledged.len() > 20, "writes went on: {}", seen.acknowledged.len());

    for (name, provider) in [("first", &gw.slapd.first), ("second", &gw.slapd.second)] {
        let mut missing = Vec::new();
        for _ in 0..100 {
            let stored: HashMap<String, String> = provider
                .entries("(objectClass=inetOrgPerson)", &["uid", "title"])
                .await
                .into_iter()
                .filter_map(|e| Some((e.get("uid")?.first()?.clone(), e.get("title")?.first()?.clone())))
                .collect();
            missing = seen
                .acknowledged
                .iter()
                .filter(|(uid, titles)| !stored.get(*uid).is_some_and(|t| titles.contains(&t.as_str())))
                .map(|(uid, titles)| format!("{uid}: {titles:?}, stored {:?}", stored.get(uid)))
                .collect();
            if missing.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            missing.is_empty(),
            "the {name} provider lacks acknowledged writes after 10 s: {missing:?}"
        );
    }
    eprintln!(
        "{} answers, {} users acknowledged, {unavailable} answered 503 during the switch; every acknowledged write on both providers",
        seen.answers.len(),
        seen.acknowledged.len()
    );
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
    let statuses = writer.await.unwrap_or_else(|e| panic!("the writer failed: {e}"));
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
