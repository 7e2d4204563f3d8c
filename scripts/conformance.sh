#!/usr/bin/env bash
# Runs the external SCIM conformance suite scim2-tester (through scim2-cli, pinned below, in a
# virtualenv under target/) against the gateway on a throwaway slapd, once per shipped mapping.
# Fails on any check that is not SUCCESS and prints the counts.
#
#   scripts/conformance.sh [MAPPING...]        (default: every mappings/*.yaml)
set -euo pipefail
cd "$(dirname "$0")/.."

SCIM2_CLI_VERSION=0.6.0
SCIM2_TESTER_VERSION=0.5.2
source scripts/sandbox-lib.sh

bash scripts/install-deps.sh
venv=target/conformance-venv
if [ ! -x "$venv/bin/scim2" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "scim2-cli==$SCIM2_CLI_VERSION" "scim2-tester==$SCIM2_TESTER_VERSION"
fi
cargo build --locked --quiet

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work=$(mktemp -d -t scim2ldap-conformance.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

run_suite() {
  local mapping=$1 name ldap_port http_port token dir report
  name=$(basename "$mapping" .yaml)
  dir="$work/$name"
  report="$work/$name.txt"
  mkdir -p "$dir"
  ldap_port=$(free_port)
  http_port=$(free_port)
  token="conformance-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"

  bash scripts/slapd-sandbox.sh "$dir/slapd" "$ldap_port" tests/fixtures/ldif/sample-users.ldif >"$dir/slapd.log" 2>&1 &
  pids+=($!)
  wait_for_slapd "$ldap_port" "${pids[-1]}" "$dir/slapd.log" || return 1
  export_sandbox_directory "$ldap_port"
  SCIM2LDAP__SERVER__LISTEN="127.0.0.1:$http_port" \
  SCIM2LDAP__MAPPING="$mapping" \
  SCIM2LDAP__AUTH__TOKEN="$token" \
  SCIM2LDAP__LOG__LEVEL="warn" \
    target/debug/scim2ldap serve >"$dir/gateway.log" 2>&1 &
  pids+=($!)

  local ready=""
  for _ in $(seq 1 150); do
    if curl -sf "http://127.0.0.1:$http_port/readyz" >/dev/null 2>&1; then ready=1; break; fi
    sleep 0.2
  done
  if [ -z "$ready" ]; then
    cat "$dir/slapd.log" "$dir/gateway.log" >&2
    echo "conformance ($name): the gateway did not become ready" >&2
    return 1
  fi

  local status=0
  SCIM_CLI_HEADERS="Authorization: Bearer $token" \
    timeout 600 "$venv/bin/scim2" --url "http://127.0.0.1:$http_port/scim/v2" test >"$report" 2>&1 || status=$?
  local passed failed
  passed=$(grep -c '^SUCCESS' "$report" || true)
  failed=$(grep -Ec '^(ERROR|CRITICAL|SKIPPED|WARNING)' "$report" || true)
  echo "scim2-tester $SCIM2_TESTER_VERSION on $mapping: $passed passed, $failed not passed"
  if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
    grep -v '^SUCCESS' "$report" | grep -v '^  Success' >&2 || true
    echo "--- gateway log ---" >&2
    tail -n 50 "$dir/gateway.log" >&2
    return 1
  fi
}

mappings=("$@")
[ "${#mappings[@]}" -gt 0 ] || mappings=(mappings/*.yaml)
for mapping in "${mappings[@]}"; do
  run_suite "$mapping"
done
