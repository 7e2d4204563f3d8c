//! Group membership benchmark: one member added to and removed from a group of 100 and of 50,000
//! members, through the gateway (SCIM PATCH over HTTP) and, in the same run against the same slapd, as
//! the raw LDAP modify. Prints latencies and the gateway/raw ratio. Run: scripts/bench-groups.sh

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The benchmark uses only part of the test harness.
#[allow(dead_code)]
#[path = "../tests/integration/support/slapd.rs"]
mod slapd;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use ldap3::{LdapConnAsync, Mod, Scope, SearchEntry};
use serde_json::json;

const TOKEN: &str = "bench-token-0123456789abcdef";
const BIG: usize = 50_000;
const SMALL: usize = 100;
const ROUNDS: usize = 200;

fn user_dn(i: usize) -> String {
    format!("uid=u{i},ou=people,dc=example,dc=org")
}

/// Users u0…u(BIG+2·ROUNDS), loaded offline.
fn write_ldif(path: &std::path::Path) {
    let mut text = String::with_capacity(8 << 20);
    for i in 0..BIG + 2 * ROUNDS {
        let _ = write!(
            text,
            "dn: {}\nobjectClass: inetOrgPerson\nuid: u{i}\ncn: u{i}\nsn: u{i}\n\n",
            user_dn(i)
        );
    }
    std::fs::write(path, text).unwrap();
}

struct Stats {
    p50: Duration,
    p99: Duration,
    mean: Duration,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    Stats {
        p50: samples[samples.len() / 2],
        p99: samples[samples.len() * 99 / 100],
        mean,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let ldif = dir.path().join("bench.ldif");
    write_ldif(&ldif);
    let started = Instant::now();
    let slapd = slapd::Slapd::start(&[ldif.to_str().unwrap()]).await;
    eprintln!(
        "slapd with {} users loaded in {:.1} s",
        BIG + 2 * ROUNDS,
        started.elapsed().as_secs_f64()
    );

    let env = vec![
        ("SCIM2LDAP__LDAP__URL".to_string(), slapd.url.clone()),
        ("SCIM2LDAP__LDAP__BIND_DN".into(), slapd::ROOT_DN.into()),
        ("SCIM2LDAP__LDAP__BIND_PASSWORD".into(), slapd::ROOT_PW.into()),
        ("SCIM2LDAP__LDAP__BASE_DN".into(), slapd::SUFFIX.into()),
        (
            "SCIM2LDAP__MAPPING".into(),
            concat!(env!("CARGO_MANIFEST_DIR"), "/mappings/openldap.yaml").into(),
        ),
        ("SCIM2LDAP__AUTH__TOKEN".into(), TOKEN.into()),
        ("SCIM2LDAP__LOG__LEVEL".into(), "warn".into()),
    ];
    let config = scim2ldap::config::Config::load_from(None, env).unwrap();
    let state = scim2ldap::app::build(&config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/scim/v2", listener.local_addr().unwrap());
    tokio::spawn(scim2ldap::http::serve(listener, state, std::future::pending()));
    let http = reqwest::Client::new();

    let (conn, mut ldap) = LdapConnAsync::new(&slapd.url).await.unwrap();
    ldap3::drive!(conn);
    ldap.simple_bind(slapd::ROOT_DN, slapd::ROOT_PW).await.unwrap().success().unwrap();
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
    for (name, size) in [("small", SMALL), ("big", BIG)] {
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
        for i in BIG..BIG + ROUNDS {
            let filter = format!("userName eq \"u{i}\"");
            let found: serde_json::Value = http
                .get(format!("{base}/Users"))
                .query(&[("filter", filter.as_str()), ("attributes", "userName")])
                .bearer_auth(TOKEN)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let id = found["Resources"][0]["id"].as_str().unwrap().to_string();
            http.get(format!("{base}/Users/{id}")).bearer_auth(TOKEN).send().await.unwrap();
            ids.push(id);
        }
        let (mut gw_add, mut gw_remove, mut raw_add, mut raw_remove) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (round, id) in ids.iter().enumerate() {
            for (op, samples) in [("add", &mut gw_add), ("remove", &mut gw_remove)] {
                let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": op, "path": "members", "value": [{"value": id}]}]});
                let t = Instant::now();
                let response = http.patch(&group_url).bearer_auth(TOKEN).json(&body).send().await.unwrap();
                samples.push(t.elapsed());
                assert_eq!(response.status(), 204, "{op} {round}");
            }
            let member = user_dn(BIG + ROUNDS + round);
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
        let group: serde_json::Value = http
            .get(format!("{base}/Groups/{big_id}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let members = group["members"].as_array().map(Vec::len).unwrap_or_default();
        println!(
            "GET of the {BIG}-member group ({pass}): {members} members in {:.0} ms",
            ms(t.elapsed())
        );
    }
    // The floor of any gateway request: one HTTP round trip that does no work.
    let health = base.replace("/scim/v2", "/healthz");
    let mut floor = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        http.get(&health).send().await.unwrap();
        floor.push(t.elapsed());
    }
    let floor = stats(floor);
    println!("one member added/removed, {ROUNDS} rounds each, sequential (gw/raw = ratio of means)\n{table}");
    println!(
        "HTTP round trip without work (GET /healthz): p50 {:.3} ms, p99 {:.3} ms",
        ms(floor.p50),
        ms(floor.p99)
    );
}
