#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need (slapd, 389 DS, Samba,
# ldap-utils), then formatting, lints, unit, golden and integration tests (each integration test
# starts its own directory), then the scim2-tester conformance suite and a bounded fuzzing run.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
# Benchmarks (benches/) print numbers and run on their own: scripts/bench-*.sh.
cargo test --locked --lib --bins --tests
# External conformance suite (scim2-tester from PyPI), every shipped mapping on its own directory.
bash scripts/conformance.sh
# Bounded fuzzing of the filter parser, PATCH path parser, PATCH engine and mapping loader.
bash scripts/fuzz.sh
