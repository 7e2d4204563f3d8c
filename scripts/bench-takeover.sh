#!/usr/bin/env bash
# Takeover report benchmark: `scim2ldap check --data` (release build) on 100,000 users of a private
# slapd; prints the time from start to exit. Takes about a minute, most of it loading slapd.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cargo bench --locked --bench takeover
