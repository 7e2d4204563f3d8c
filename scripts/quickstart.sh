#!/usr/bin/env bash
# Runs scim2ldap against a throwaway OpenLDAP with sample users, in the foreground; Ctrl-C stops both
# and removes the directory. Installs slapd/ldap-utils with apt-get when missing.
#
#   LISTEN=127.0.0.1:8080 LDAP_PORT=3389 scripts/quickstart.sh
set -euo pipefail
cd "$(dirname "$0")/.."

listen=${LISTEN:-127.0.0.1:8080}
ldap_port=${LDAP_PORT:-3389}
token=${SCIM2LDAP__AUTH__TOKEN:-quickstart-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')}

bash scripts/install-deps.sh
cargo build --release --locked

dir=$(mktemp -d -t scim2ldap-quickstart.XXXXXX)
bash scripts/slapd-sandbox.sh "$dir" "$ldap_port" tests/fixtures/ldif/sample-users.ldif >"$dir/slapd.log" 2>&1 &
slapd_pid=$!
cleanup() {
  kill "$slapd_pid" 2>/dev/null || true
  wait "$slapd_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

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
  target/release/scim2ldap serve
