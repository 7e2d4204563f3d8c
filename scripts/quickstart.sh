#!/usr/bin/env bash
# Runs scim2ldap against a throwaway OpenLDAP with sample users, in the foreground; Ctrl-C (or SIGINT
# or SIGTERM sent to this script) stops both and removes the directory. Installs slapd and ldap-utils
# with apt-get when missing, and nothing else.
#
#   LISTEN=127.0.0.1:8080 LDAP_PORT=3389 scripts/quickstart.sh
set -euo pipefail
# A script started in the background by a non-interactive shell (`sh -c 'scripts/quickstart.sh &'`, a
# CI step) inherits SIGINT ignored, and bash can trap no signal that was ignored when it started: start
# once more with SIGINT's default restored, so that `kill -INT` stops the quickstart however it runs.
if [ -z "${QUICKSTART_SIGNALS_RESET:-}" ] && env --default-signal=INT true 2>/dev/null; then
  QUICKSTART_SIGNALS_RESET=1 exec env --default-signal=INT bash "$0" "$@"
fi
unset QUICKSTART_SIGNALS_RESET
cd "$(dirname "$0")/.."

listen=${LISTEN:-127.0.0.1:8080}
ldap_port=${LDAP_PORT:-3389}
token=${SCIM2LDAP__AUTH__TOKEN:-quickstart-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')}

# The build, the directory and the gateway run in the background while this shell waits for them:
# bash runs a trap only once the foreground command has finished, so a SIGINT sent to this script alone
# (a terminal's Ctrl-C signals the whole process group) would otherwise wait for the gateway to exit
# by itself.
children=()
dir=""
# The process PID and everything it started (cargo's rustc processes), deepest last.
tree() {
  local child
  echo "$1"
  for child in $(pgrep -P "$1" 2>/dev/null); do tree "$child"; done
}
cleanup() {
  trap - EXIT INT TERM
  local pids=() child
  for child in "${children[@]}"; do pids+=($(tree "$child")); done
  # Background children of a script ignore SIGINT, so they are stopped with SIGTERM (the gateway then
  # finishes the requests in flight).
  [ "${#pids[@]}" -eq 0 ] || kill -TERM "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  [ -z "$dir" ] || rm -rf "$dir"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
# Runs a command in the background and waits for it, so that the traps above run at once.
run() {
  "$@" &
  children+=($!)
  local status=0
  wait "$!" || status=$?
  unset 'children[-1]'
  return "$status"
}

# In the foreground: an interrupt lets apt-get finish (this script then stops), rather than leave
# packages half-installed.
bash scripts/install-deps.sh quickstart
run cargo build --release --locked

dir=$(mktemp -d -t scim2ldap-quickstart.XXXXXX)
bash scripts/slapd-sandbox.sh "$dir" "$ldap_port" tests/fixtures/ldif/sample-users.ldif >"$dir/slapd.log" 2>&1 &
slapd_pid=$!
children+=("$slapd_pid")

source scripts/sandbox-lib.sh
wait_for_slapd "$ldap_port" "$slapd_pid" "$dir/slapd.log"

cat <<MSG

scim2ldap on http://$listen/scim/v2, OpenLDAP on ldap://127.0.0.1:$ldap_port (cn=admin,dc=example,dc=org / secret)
Sample users: bjensen, jsmith. Try:

  curl -s -H 'Authorization: Bearer $token' 'http://$listen/scim/v2/Users?filter=userName%20eq%20%22bjensen%22'
  curl -s -H 'Authorization: Bearer $token' -H 'Content-Type: application/scim+json' \\
       -d '{"userName":"ada","name":{"givenName":"Ada","familyName":"Lovelace"},"emails":[{"type":"work","value":"ada@example.org"}]}' \\
       http://$listen/scim/v2/Users

Ctrl-C stops the gateway and removes the directory.

MSG

export_sandbox_directory "$ldap_port"
SCIM2LDAP__SERVER__LISTEN="$listen" \
SCIM2LDAP__MAPPING="mappings/openldap.yaml" \
SCIM2LDAP__AUTH__TOKEN="$token" \
  run target/release/scim2ldap serve
