//! `scim2ldap check --data` on 100,000 existing users: the release binary, as an admin runs it, timed
//! from start to exit, against a private slapd loaded offline. Run: scripts/bench-takeover.sh

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Instant;

const USERS: usize = 100_000;
const RUNS: usize = 3;

#[tokio::main]
async fn main() {
    let (slapd, _dir) = common::slapd_with_users(USERS).await;
    let mapping = concat!(env!("CARGO_MANIFEST_DIR"), "/mappings/openldap.yaml");
    let mut times = Vec::new();
    for run in 0..RUNS {
        let started = Instant::now();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_scim2ldap"))
            .args(["check", "--data", "--json"])
            .env("SCIM2LDAP__LDAP__URL", &slapd.url)
            .env("SCIM2LDAP__LDAP__BIND_DN", common::slapd::ROOT_DN)
            .env("SCIM2LDAP__LDAP__BIND_PASSWORD", common::slapd::ROOT_PW)
            .env("SCIM2LDAP__LDAP__BASE_DN", common::slapd::SUFFIX)
            .env("SCIM2LDAP__MAPPING", mapping)
            .output()
            .unwrap();
        let took = started.elapsed();
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "{e}: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )
        });
        let users = report["targets"][0]["data"]["users"].as_u64();
        assert_eq!(users, Some(USERS as u64), "{report}");
        eprintln!("run {run}: {:.2} s", took.as_secs_f64());
        times.push(took.as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!("| measure | value |\n| --- | --: |");
    println!("| `check --data`, {USERS} users, median of {RUNS} | {:.2} s |", times[RUNS / 2]);
    println!("| fastest / slowest | {:.2} s / {:.2} s |", times[0], times[RUNS - 1]);
}
