//! Load benchmark: the gateway (its release binary, as its own process) against raw LDAP through
//! ldap3, on the same slapd in the same run, at concurrency 1, 16 and 64, for create, read by id,
//! lookup by userName, and a one-attribute PATCH. Prints ops/s, p50/p99, the gateway/raw ratio, the CPU
//! each operation cost the gateway and slapd (from /proc, so on Linux), and the gateway's peak RSS.
//! Run: scripts/bench-load.sh

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::future::Future;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{ms, raw_ldap, slapd_with_users, stats, user_dn, TOKEN};
use ldap3::{Ldap, Mod, Scope, SearchEntry};
use serde_json::json;

const USERS: usize = 10_000;
const CONCURRENCY: [usize; 3] = [1, 16, 64];
/// Operations per measurement (each level, each side).
const OPS: usize = 3_000;
/// Connections the raw side uses: the gateway's default pool size.
const RAW_CONNECTIONS: usize = 4;
/// The attributes the gateway reads for a user (the mapping's fetch list), asked for by the raw side.
const USER_ATTRS: [&str; 22] = [
    "entryUUID",
    "entryDN",
    "createTimestamp",
    "modifyTimestamp",
    "entryCSN",
    "uid",
    "uniqueIdentifier",
    "givenName",
    "sn",
    "cn",
    "displayName",
    "title",
    "mail",
    "telephoneNumber",
    "mobile",
    "street",
    "l",
    "st",
    "postalCode",
    "co",
    "manager",
    "pwdAccountLockedTime",
];

struct Gateway {
    child: Child,
    base: String,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Gateway {
    /// Peak resident set size so far (VmHWM), in MiB.
    fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }
}

async fn start_gateway(slapd: &common::slapd::Slapd) -> Gateway {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_scim2ldap"))
        .arg("serve")
        .env("SCIM2LDAP__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("SCIM2LDAP__LDAP__URL", &slapd.url)
        .env("SCIM2LDAP__LDAP__BIND_DN", common::slapd::ROOT_DN)
        .env("SCIM2LDAP__LDAP__BIND_PASSWORD", common::slapd::ROOT_PW)
        .env("SCIM2LDAP__LDAP__BASE_DN", common::slapd::SUFFIX)
        .env("SCIM2LDAP__MAPPING", concat!(env!("CARGO_MANIFEST_DIR"), "/mappings/openldap.yaml"))
        .env("SCIM2LDAP__AUTH__TOKEN", TOKEN)
        .env("SCIM2LDAP__LOG__LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let gateway = Gateway {
        child,
        base: format!("http://127.0.0.1:{port}/scim/v2"),
    };
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return gateway;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the gateway did not start");
}

struct Run {
    ops_per_second: f64,
    p50: Duration,
    p99: Duration,
    /// CPU per operation, in µs, of the gateway and of slapd.
    gateway_cpu_us: f64,
    slapd_cpu_us: f64,
}

/// The processes whose CPU time a run charges to its operations.
#[derive(Clone, Copy)]
struct Watched {
    gateway: u32,
    slapd: u32,
}

/// User plus system CPU time of a process so far, in seconds; 0 where /proc cannot say.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces) in parentheses; utime and stime are
    // the 14th and 15th fields, counted in USER_HZ ticks, which Linux fixes at 100 per second.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Runs `OPS` calls of `op(i)` with `concurrency` workers and times each.
async fn measure<F, Fut>(watched: Watched, concurrency: usize, op: F) -> Run
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let op = Arc::new(op);
    let cpu_before = (cpu_seconds(watched.gateway), cpu_seconds(watched.slapd));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let op = op.clone();
            tokio::spawn(async move {
                let mut samples = Vec::with_capacity(OPS / concurrency + 1);
                for i in (worker..OPS).step_by(concurrency) {
                    let t = Instant::now();
                    op(i).await;
                    samples.push(t.elapsed());
                }
                samples
            })
        })
        .collect();
    let mut samples = Vec::with_capacity(OPS);
    for worker in workers {
        samples.extend(worker.await.unwrap());
    }
    let elapsed = started.elapsed();
    let per_op_us = |before: f64, pid: u32| (cpu_seconds(pid) - before) * 1e6 / OPS as f64;
    let s = stats(samples);
    Run {
        ops_per_second: OPS as f64 / elapsed.as_secs_f64(),
        p50: s.p50,
        p99: s.p99,
        gateway_cpu_us: per_op_us(cpu_before.0, watched.gateway),
        slapd_cpu_us: per_op_us(cpu_before.1, watched.slapd),
    }
}

/// Sends a request with the token, checks its status and reads the whole answer, as an IdP would.
async fn call(request: reqwest::RequestBuilder, expected: u16) {
    let response = request.bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(response.status(), expected);
    let _ = response.bytes().await;
}

/// One user found by a one-level search under ou=people, with the attributes the gateway reads.
async fn find_one(mut ldap: Ldap, filter: String) {
    let (found, _) = ldap
        .search("ou=people,dc=example,dc=org", Scope::OneLevel, &filter, USER_ATTRS.to_vec())
        .await
        .unwrap()
        .success()
        .unwrap();
    assert_eq!(found.len(), 1);
}

fn row(name: &str, concurrency: usize, gateway: &Run, raw: &Run) {
    println!(
        "| {name:<22} | {concurrency:>3} | {:>8.0} | {:>6.2} | {:>6.2} | {:>8.0} | {:>6.2} | {:>6.2} | {:>5.2} | {:>6.0} | {:>8.0} | {:>8.0} |",
        gateway.ops_per_second,
        ms(gateway.p50),
        ms(gateway.p99),
        raw.ops_per_second,
        ms(raw.p50),
        ms(raw.p99),
        gateway.ops_per_second / raw.ops_per_second,
        gateway.gateway_cpu_us,
        gateway.slapd_cpu_us,
        raw.slapd_cpu_us,
    );
}

#[tokio::main]
async fn main() {
    let (slapd, _dir) = slapd_with_users(USERS).await;
    let gateway = start_gateway(&slapd).await;
    let base = Arc::new(gateway.base.clone());
    let watched = Watched {
        gateway: gateway.child.id(),
        slapd: slapd.pid(),
    };
    let mut raw_pool: Vec<Ldap> = Vec::new();
    for _ in 0..RAW_CONNECTIONS {
        raw_pool.push(raw_ldap(&slapd).await);
    }
    let raw_pool = Arc::new(raw_pool);
    let raw = move |i: usize| raw_pool[i % RAW_CONNECTIONS].clone();

    // The ids of the loaded users, for reads by id.
    let mut ldap = raw(0);
    let (found, _) = ldap
        .search("ou=people,dc=example,dc=org", Scope::OneLevel, "(uid=*)", vec!["uid", "entryUUID"])
        .await
        .unwrap()
        .success()
        .unwrap();
    let mut ids = vec![String::new(); USERS];
    for entry in found {
        let entry = SearchEntry::construct(entry);
        if let (Some(uid), Some(id)) = (entry.attrs.get("uid"), entry.attrs.get("entryUUID")) {
            if let Some(index) = uid[0].strip_prefix('u').and_then(|n| n.parse::<usize>().ok()) {
                ids[index] = id[0].clone();
            }
        }
    }
    let ids = Arc::new(ids);
    let http = reqwest::Client::builder().pool_max_idle_per_host(128).build().unwrap();

    println!("\nscim2ldap vs raw LDAP (ldap3, {RAW_CONNECTIONS} connections), {OPS} operations per cell, {USERS} users");
    println!(
        "CPU per operation in µs: the gateway's (gw cpu), slapd's for the gateway's request (sl gw), slapd's for the raw one (sl raw)"
    );
    println!(
        "| operation              |   c | gw ops/s | gw p50 | gw p99 | raw op/s | rw p50 | rw p99 | ratio | gw cpu |    sl gw |   sl raw |"
    );
    println!(
        "| ---------------------- | --: | -------: | -----: | -----: | -------: | -----: | -----: | ----: | -----: | -------: | -------: |"
    );
    let mut peak_at_64 = 0.0;
    for concurrency in CONCURRENCY {
        // POST /Users vs add.
        let (h, b) = (http.clone(), base.clone());
        let gw = measure(watched, concurrency, move |i| {
            let (h, b) = (h.clone(), b.clone());
            async move {
                let body = json!({"userName": format!("g{concurrency}-{i}"), "name": {"givenName": "Load", "familyName": "Test"},
                                  "emails": [{"type": "work", "value": format!("g{concurrency}-{i}@example.org")}], "title": "Tester"});
                call(h.post(format!("{b}/Users")).json(&body), 201).await;
            }
        })
        .await;
        let r = raw.clone();
        let rw = measure(watched, concurrency, move |i| {
            let mut ldap = r(i);
            async move {
                let uid = format!("r{concurrency}-{i}");
                let mail = format!("{uid}@example.org");
                let attrs = vec![
                    (
                        "objectClass",
                        ["top", "person", "organizationalPerson", "inetOrgPerson"].into_iter().collect(),
                    ),
                    ("uid", [uid.as_str()].into_iter().collect()),
                    ("givenName", ["Load"].into_iter().collect()),
                    ("sn", ["Test"].into_iter().collect()),
                    ("cn", ["Load Test"].into_iter().collect()),
                    ("mail", [mail.as_str()].into_iter().collect()),
                    ("title", ["Tester"].into_iter().collect()),
                ];
                ldap.add(&format!("uid={uid},ou=people,dc=example,dc=org"), attrs)
                    .await
                    .unwrap()
                    .success()
                    .unwrap();
            }
        })
        .await;
        row("POST /Users vs add", concurrency, &gw, &rw);

        // GET /Users/{id} vs a search by entryUUID.
        let (h, b, i2) = (http.clone(), base.clone(), ids.clone());
        let gw = measure(watched, concurrency, move |i| {
            let (h, b, id) = (h.clone(), b.clone(), i2[(i * 7919) % USERS].clone());
            call(h.get(format!("{b}/Users/{id}")), 200)
        })
        .await;
        let (r, i2) = (raw.clone(), ids.clone());
        let rw = measure(watched, concurrency, move |i| {
            find_one(r(i), format!("(entryUUID={})", i2[(i * 7919) % USERS]))
        })
        .await;
        row("GET /Users/{id} vs search", concurrency, &gw, &rw);

        // GET /Users?filter=userName eq vs a search by uid.
        let (h, b) = (http.clone(), base.clone());
        let gw = measure(watched, concurrency, move |i| {
            let user = (i * 104_729) % USERS;
            call(h.get(format!("{b}/Users?filter=userName%20eq%20%22u{user}%22")), 200)
        })
        .await;
        let r = raw.clone();
        let rw = measure(watched, concurrency, move |i| {
            find_one(r(i), format!("(uid=u{})", (i * 104_729) % USERS))
        })
        .await;
        row("GET ?filter=userName eq", concurrency, &gw, &rw);

        // PATCH replace title vs modify.
        let (h, b, i2) = (http.clone(), base.clone(), ids.clone());
        let gw = measure(watched, concurrency, move |i| {
            let (h, b, id) = (h.clone(), b.clone(), i2[(i * 31) % USERS].clone());
            async move {
                let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                  "Operations": [{"op": "replace", "path": "title", "value": format!("gw {concurrency} {i}")}]});
                call(h.patch(format!("{b}/Users/{id}")).json(&body), 200).await;
            }
        })
        .await;
        let r = raw.clone();
        let rw = measure(watched, concurrency, move |i| {
            let mut ldap = r(i);
            async move {
                let title = format!("raw {concurrency} {i}");
                ldap.modify(
                    &user_dn((i * 31) % USERS),
                    vec![Mod::Replace("title", [title.as_str()].into_iter().collect())],
                )
                .await
                .unwrap()
                .success()
                .unwrap();
            }
        })
        .await;
        row("PATCH title vs modify", concurrency, &gw, &rw);
        if concurrency == 64 {
            peak_at_64 = gateway.peak_rss_mib();
        }
    }
    println!("\ngateway peak RSS (VmHWM) after the concurrency-64 runs: {peak_at_64:.1} MiB");
}
