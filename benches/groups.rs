//! Group membership benchmark: one member added to and removed from a group of 100 and of 50,000
//! members, through the gateway (SCIM PATCH over HTTP) and, in the same run against the same slapd, as
//! the raw LDAP modify. Prints latencies and the gateway/raw ratio. Run: scripts/bench-groups.sh

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

// The gateway runs in this process: give it the allocator its binary ships with (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::fmt::Write as _;
use std::time::Instant;

use common::{gateway, json_of, mean_ms_between, ms, raw_ldap, slapd_with_users, stats, user_dn, HttpConn, Metrics, TOKEN};
use hyper::Method;
use ldap3::{Mod, Scope, SearchEntry};
use serde_json::json;

const BIG: usize = 50_000;
const SMALL: usize = 100;
/// Sequential rounds per group size: more for the small group, whose figures are a fraction of a
/// millisecond and so more sensitive to scheduling noise.
const ROUNDS: [usize; 2] = [1000, 200];
const MOST_ROUNDS: usize = ROUNDS[0];

const MODIFY: &str = "scim2ldap_ldap_operation_seconds{op=\"modify\"}";
const PATCH: &str = "scim2ldap_http_request_seconds{route=\"/scim/v2/Groups/{id}\",method=\"PATCH\"}";
const SEARCHES: &str = "scim2ldap_ldap_operation_seconds{op=\"search\"}";

#[tokio::main]
async fn main() {
    let (slapd, _dir) = slapd_with_users(BIG + 2 * MOST_ROUNDS).await;
    let base = gateway(&slapd).await;
    let http = reqwest::Client::new();

    let mut ldap = raw_ldap(&slapd).await;
    // Groups `small` (the first 100 users) and `big` (the first 50,000) are added online, so that the
    // memberof overlay gives every member its memberOf, as in a directory that has run for a while.
    let started = Instant::now();
    for (name, size) in [("small", SMALL), ("big", BIG)] {
        let members: std::collections::HashSet<String> = (0..size).map(user_dn).collect();
        let attrs = vec![
            ("objectClass".to_string(), ["groupOfNames".to_string()].into()),
            ("cn".to_string(), [name.to_string()].into()),
            ("member".to_string(), members),
        ];
        let result = ldap.add(&format!("cn={name},ou=groups,dc=example,dc=org"), attrs).await.unwrap();
        assert_eq!(result.rc, 0, "adding group {name}: {result:?}");
    }
    eprintln!(
        "groups of {SMALL} and {BIG} members added in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let uuid_of = |entries: Vec<ldap3::ResultEntry>| -> Vec<(String, String)> {
        entries
            .into_iter()
            .map(SearchEntry::construct)
            .map(|e| {
                (
                    e.dn.to_ascii_lowercase(),
                    e.attrs.get("entryUUID").and_then(|v| v.first().cloned()).unwrap_or_default(),
                )
            })
            .collect()
    };
    let groups = uuid_of(
        ldap.search("ou=groups,dc=example,dc=org", Scope::OneLevel, "(cn=*)", vec!["entryUUID"])
            .await
            .unwrap()
            .success()
            .unwrap()
            .0,
    );
    let mut table = String::new();
    let _ = writeln!(
        table,
        "{:<8} {:<7} {:>11} {:>11} {:>11} {:>11} {:>8}",
        "group", "op", "gw p50 ms", "gw p99 ms", "raw p50 ms", "raw p99 ms", "gw/raw"
    );
    for ((name, size), rounds) in [("small", SMALL), ("big", BIG)].into_iter().zip(ROUNDS) {
        let group_dn = format!("cn={name},ou=groups,dc=example,dc=org");
        let group_id = groups.iter().find(|(dn, _)| *dn == group_dn).map(|(_, id)| id.clone()).unwrap();
        let group_url = format!("{base}/Groups/{group_id}");
        // Warm the caches as provisioning leaves them: the group and the users are known by id.
        let warm = http
            .get(format!("{group_url}?excludedAttributes=members"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(warm.status(), 200);
        let mut ids = Vec::new();
        for i in BIG..BIG + rounds {
            let filter = format!("userName eq \"u{i}\"");
            let found = json_of(
                http.get(format!("{base}/Users"))
                    .query(&[("filter", filter.as_str()), ("attributes", "userName")]),
            )
            .await;
            let id = found["Resources"][0]["id"].as_str().unwrap().to_string();
            http.get(format!("{base}/Users/{id}")).bearer_auth(TOKEN).send().await.unwrap();
            ids.push(id);
        }
        let mut conn = HttpConn::open(&base).await;
        let before = Metrics::read(&base).await;
        let (mut gw_add, mut gw_remove, mut raw_add, mut raw_remove) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (round, id) in ids.iter().enumerate() {
            for (op, samples) in [("add", &mut gw_add), ("remove", &mut gw_remove)] {
                let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": op, "path": "members", "value": [{"value": id}]}]});
                let t = Instant::now();
                let (status, _) = conn.send(Method::PATCH, &group_url, Some(&body)).await;
                samples.push(t.elapsed());
                assert_eq!(status, 204, "{op} {round}");
            }
            let member = user_dn(BIG + MOST_ROUNDS + round);
            let t = Instant::now();
            ldap.modify(&group_dn, vec![Mod::Add("member".to_string(), [member.clone()].into())])
                .await
                .unwrap()
                .success()
                .unwrap();
            raw_add.push(t.elapsed());
            let t = Instant::now();
            ldap.modify(&group_dn, vec![Mod::Delete("member".to_string(), [member].into())])
                .await
                .unwrap()
                .success()
                .unwrap();
            raw_remove.push(t.elapsed());
        }
        let after = Metrics::read(&base).await;

        let _ = writeln!(
            table,
            "{:<8} the gateway's own LDAP modifies (from /metrics): mean {:.3} ms; the raw ones: mean {:.3} ms",
            format!("{name}:{size}"),
            mean_ms_between(&before, &after, MODIFY),
            mean_ms(&raw_add, &raw_remove)
        );
        let _ = writeln!(
            table,
            "{:<8} the gateway's PATCH from request to response (from /metrics): mean {:.3} ms, at the client {:.3} ms; LDAP searches during the rounds: {}",
            format!("{name}:{size}"),
            mean_ms_between(&before, &after, PATCH),
            mean_ms(&gw_add, &gw_remove),
            after.sum_count(SEARCHES).1 - before.sum_count(SEARCHES).1
        );
        for (op, gw, raw) in [("add", gw_add, raw_add), ("remove", gw_remove, raw_remove)] {
            let (gw, raw) = (stats(gw), stats(raw));
            let _ = writeln!(
                table,
                "{:<8} {:<7} {:>11.3} {:>11.3} {:>11.3} {:>11.3} {:>8.2}",
                format!("{name}:{size}"),
                op,
                ms(gw.p50),
                ms(gw.p99),
                ms(raw.p50),
                ms(raw.p99),
                gw.mean.as_secs_f64() / raw.mean.as_secs_f64()
            );
        }
    }
    // A full read of the big group: every member DN resolved to an id (cold, then with warm caches).
    let big_id = groups
        .iter()
        .find(|(dn, _)| dn.starts_with("cn=big,"))
        .map(|(_, id)| id.clone())
        .unwrap();
    for pass in ["cold", "warm"] {
        let t = Instant::now();
        let group = json_of(http.get(format!("{base}/Groups/{big_id}"))).await;
        let members = group["members"].as_array().map(Vec::len).unwrap_or_default();
        println!(
            "GET of the {BIG}-member group ({pass}): {members} members in {:.0} ms",
            ms(t.elapsed())
        );
    }
    // The floor of any gateway request: one HTTP round trip that does no work.
    let health = base.replace("/scim/v2", "/healthz");
    let mut conn = HttpConn::open(&base).await;
    let mut floor = Vec::new();
    for _ in 0..MOST_ROUNDS {
        let t = Instant::now();
        conn.send(Method::GET, &health, None).await;
        floor.push(t.elapsed());
    }
    let floor = stats(floor);
    println!("one member added/removed, {ROUNDS:?} rounds each, sequential (gw/raw = ratio of means)\n{table}");
    println!(
        "HTTP round trip without work (GET /healthz): p50 {:.3} ms, p99 {:.3} ms",
        ms(floor.p50),
        ms(floor.p99)
    );
}

/// The mean of the adds' and removes' times together, in milliseconds.
fn mean_ms(adds: &[std::time::Duration], removes: &[std::time::Duration]) -> f64 {
    let all = adds.len() + removes.len();
    ms(adds.iter().chain(removes).sum::<std::time::Duration>()) / all.max(1) as f64
}
