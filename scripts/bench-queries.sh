#!/usr/bin/env bash
# Query benchmark: 100,000 users on a private slapd; lookups, paging, a deep page, and the raw LDAP
# paged search for comparison. Prints the figures; takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh bench
cargo bench --locked --bench queries
