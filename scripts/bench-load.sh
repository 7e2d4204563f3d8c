#!/usr/bin/env bash
# Load benchmark: POST, GET by id, GET by userName filter and PATCH through the gateway (release build,
# its own process) vs the same operations as raw LDAP, at concurrency 1, 16 and 64, on a private slapd
# with 10,000 users. Prints a table with ratios and the gateway's peak RSS; takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh bench
cargo bench --locked --bench load
