#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need (slapd, 389 DS, Samba,
# ldap-utils), then formatting, lints, unit, golden and integration tests (each integration test
# starts its own directory), then the scim2-tester conformance suite and a bounded fuzzing run.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
# Runs one step and says how long it took, so that a slow CI run shows where its time went.
step() {
  local name=$1 began=$SECONDS
  shift
  "$@"
  echo "test.sh: $name took $((SECONDS - began)) s (total $((SECONDS - started)) s)"
}

step "installing dependencies" bash scripts/install-deps.sh all
step "format check" cargo fmt --all -- --check
step "clippy" cargo clippy --locked --all-targets -- -D warnings
# Benchmarks (benches/) print numbers and run on their own: scripts/bench-*.sh.
step "unit, golden and integration tests" cargo test --locked --lib --bins --tests
# External conformance suite (scim2-tester from PyPI), every shipped mapping on its own directory.
step "conformance" bash scripts/conformance.sh
# Bounded fuzzing of the filter parser, PATCH path parser, PATCH engine and mapping loader: 20 s each
# here (about 900,000 inputs for the filter parser), longer by hand.
step "fuzzing" env FUZZ_SECONDS="${FUZZ_SECONDS:-20}" bash scripts/fuzz.sh
