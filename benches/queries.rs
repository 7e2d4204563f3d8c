//! Query benchmark on 100,000 users: `userName eq` lookups per second, paging through every user with
//! count=100 (each page's latency), one page at startIndex 90,001, and, in the same run against the same
//! slapd, one raw LDAP paged search over the same entries and a raw count of them. Run: scripts/bench-queries.sh

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

// The gateway runs in this process: give it the allocator its binary ships with (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use common::{gateway, mean_ms_between, ms, raw_ldap, slapd_with_users, stats, HttpConn, Metrics};
use hyper::Method;
use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::Scope;
use serde::de::IgnoredAny;

const USERS: usize = 100_000;
const PAGE: usize = 100;
const LOOKUPS: usize = 2_000;
const CONCURRENCY: usize = 16;

#[tokio::main]
async fn main() {
    let (slapd, _dir) = slapd_with_users(USERS).await;
    let base = gateway(&slapd).await;

    // (a) userName eq lookups, CONCURRENCY at a time.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..CONCURRENCY {
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = HttpConn::open(&base).await;
            for i in (worker..LOOKUPS).step_by(CONCURRENCY) {
                let user = (i * 7919) % USERS;
                let found = list_page(&mut conn, &format!("{base}/Users?filter=userName%20eq%20%22u{user}%22")).await;
                assert_eq!(found.total_results, 1);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let lookups_per_second = LOOKUPS as f64 / started.elapsed().as_secs_f64();

    // (d) raw: one paged search over every user, all attributes the mapping reads.
    let mut ldap = raw_ldap(&slapd).await;
    let attrs = vec![
        "entryUUID",
        "uid",
        "cn",
        "sn",
        "mail",
        "createTimestamp",
        "modifyTimestamp",
        "entryCSN",
    ];
    let started = Instant::now();
    assert_eq!(raw_paged_search(&mut ldap, PAGE as i32, attrs.clone()).await, USERS);
    let raw_total = started.elapsed();

    // (e) raw: counting every match without reading attributes, which the first page must do for
    // totalResults (OpenLDAP's paged-results response gives no estimate of the size).
    let started = Instant::now();
    assert_eq!(raw_paged_search(&mut ldap, 1000, vec!["1.1"]).await, USERS);
    let raw_count = started.elapsed();

    // Where a later page's time goes: the raw search that fetches one page's entries by id.
    let ids: Vec<String> = ldap
        .search("ou=people,dc=example,dc=org", Scope::OneLevel, "(uid=u1*)", vec!["entryUUID"])
        .await
        .unwrap()
        .success()
        .unwrap()
        .0
        .into_iter()
        .take(PAGE)
        .map(|e| ldap3::SearchEntry::construct(e).attrs["entryUUID"][0].clone())
        .collect();
    let by_ids = format!("(|{})", ids.iter().map(|id| format!("(entryUUID={id})")).collect::<String>());
    let mut fetches = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let found = ldap
            .search("ou=people,dc=example,dc=org", Scope::OneLevel, &by_ids, attrs.clone())
            .await
            .unwrap()
            .success()
            .unwrap();
        fetches.push(t.elapsed());
        assert_eq!(found.0.len(), PAGE);
    }
    let fetch = stats(fetches);

    // (b) paging through everything, count=100, as Okta's import does.
    let mut conn = HttpConn::open(&base).await;
    let before = Metrics::read(&base).await;
    let mut pages = Vec::new();
    let mut seen = 0;
    let started = Instant::now();
    let mut start = 1;
    while start <= USERS {
        let t = Instant::now();
        let page = list_page(&mut conn, &format!("{base}/Users?startIndex={start}&count={PAGE}")).await;
        pages.push(t.elapsed());
        assert_eq!(page.total_results, USERS);
        seen += page.resources.len();
        start += PAGE;
    }
    let paging_total = started.elapsed();
    let after = Metrics::read(&base).await;
    assert_eq!(seen, USERS);
    let first_page = pages[0];
    let last_page = *pages.last().unwrap();
    let later = stats(pages[1..].to_vec());

    // (c) one page at startIndex 90,001, cold (no snapshot: a new filter), then the next page of the
    // same query (from the snapshot the first one took).
    let t = Instant::now();
    let deep = list_page(
        &mut conn,
        &format!("{base}/Users?startIndex=90001&count={PAGE}&filter=userName%20pr"),
    )
    .await;
    let deep_cold = t.elapsed();
    assert_eq!(deep.resources.len(), PAGE);
    let t = Instant::now();
    list_page(
        &mut conn,
        &format!("{base}/Users?startIndex=90101&count={PAGE}&filter=userName%20pr"),
    )
    .await;
    let deep_warm = t.elapsed();

    println!("{USERS} users, this machine, gateway over HTTP with keep-alive");
    println!("(a) userName eq lookups: {lookups_per_second:.0}/s ({LOOKUPS} lookups, {CONCURRENCY} concurrent)");
    println!(
        "(b) paging all users, count={PAGE}: {:.2} s total, first page {:.1} ms, last page {:.1} ms, later pages p50 {:.1} ms p99 {:.1} ms",
        paging_total.as_secs_f64(),
        ms(first_page),
        ms(last_page),
        ms(later.p50),
        ms(later.p99)
    );
    println!(
        "(c) page at startIndex 90,001: {:.1} ms cold (new query), {:.1} ms for the page after it",
        ms(deep_cold),
        ms(deep_warm)
    );
    println!("(d) raw LDAP paged search over all users: {:.2} s", raw_total.as_secs_f64());
    println!(
        "(e) raw LDAP count of all users (no attributes), the floor of a first page: {:.2} s",
        raw_count.as_secs_f64()
    );
    println!(
        "inside the gateway during (b), means: LDAP page read ahead {:.2} ms, GET /Users handled {:.2} ms",
        mean_ms_between(&before, &after, "scim2ldap_ldap_operation_seconds{op=\"search_page\"}"),
        mean_ms_between(
            &before,
            &after,
            "scim2ldap_http_request_seconds{route=\"/scim/v2/Users\",method=\"GET\"}"
        )
    );
    println!("raw search for one page's {PAGE} entries by id: p50 {:.1} ms", ms(fetch.p50));
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!(
        "targets: (b)/(d) = {:.2} (≤ 1.5), last/first page = {:.2} (≤ 1.5), (c) cold / first page = {:.2} (≤ 3)",
        ratio(paging_total, raw_total),
        ratio(last_page, first_page),
        ratio(deep_cold, first_page)
    );
}

/// A list response as the benchmark reads it: the resources are counted, not built, as the raw
/// search's entries are counted, not parsed into attributes.
#[derive(serde::Deserialize)]
struct ListPage {
    #[serde(rename = "totalResults")]
    total_results: usize,
    #[serde(rename = "Resources", default)]
    resources: Vec<IgnoredAny>,
}

async fn list_page(conn: &mut HttpConn, url: &str) -> ListPage {
    let (status, body) = conn.send(Method::GET, url, None).await;
    assert_eq!(status, 200, "{url}");
    serde_json::from_slice(&body).unwrap()
}

/// Streams a paged search over every user and answers how many entries came.
async fn raw_paged_search(ldap: &mut ldap3::Ldap, page_size: i32, attrs: Vec<&str>) -> usize {
    let adapters: Vec<Box<dyn Adapter<&str, Vec<&str>>>> = vec![Box::new(EntriesOnly::new()), Box::new(PagedResults::new(page_size))];
    let mut stream = ldap
        .streaming_search_with(
            adapters,
            "ou=people,dc=example,dc=org",
            Scope::OneLevel,
            "(objectClass=inetOrgPerson)",
            attrs,
        )
        .await
        .unwrap();
    let mut received = 0;
    while stream.next().await.unwrap().is_some() {
        received += 1;
    }
    stream.finish().await.success().unwrap();
    received
}
