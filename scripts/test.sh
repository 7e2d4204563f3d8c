#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need (slapd, ldap-utils), then
# formatting, lints, unit, golden and integration tests (each integration test starts its own slapd).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
# Benchmarks (benches/) print numbers and run on their own: scripts/bench-*.sh.
cargo test --locked --lib --bins --tests
