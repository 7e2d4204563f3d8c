# Sourced by the scripts that run the gateway in front of a slapd-sandbox.sh directory.

# Waits until the sandbox on 127.0.0.1:PORT answers; prints LOG and fails when slapd (PID) dies or
# never answers.
wait_for_slapd() {
  local port=$1 pid=$2 log=$3
  for _ in $(seq 1 100); do
    ldapsearch -x -H "ldap://127.0.0.1:$port" -b "" -s base >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$log" >&2
  echo "slapd did not start on port $port" >&2
  return 1
}

# Exports the gateway's directory settings for the sandbox on 127.0.0.1:PORT.
export_sandbox_directory() {
  export SCIM2LDAP__LDAP__URL="ldap://127.0.0.1:$1"
  export SCIM2LDAP__LDAP__BIND_DN="cn=admin,dc=example,dc=org"
  export SCIM2LDAP__LDAP__BIND_PASSWORD="secret"
  export SCIM2LDAP__LDAP__BASE_DN="dc=example,dc=org"
}
