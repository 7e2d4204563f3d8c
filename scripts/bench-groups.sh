#!/usr/bin/env bash
# Group membership benchmark: SCIM PATCH through the gateway vs the raw LDAP modify, on a private slapd
# loaded with 50,000 users. Prints a table; takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh bench
cargo bench --locked --bench groups
