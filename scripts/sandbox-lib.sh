# Sourced by the scripts that run the gateway in front of a slapd-sandbox.sh directory.

# Waits until the directory at URL answers a bind as DN with PASSWORD (anonymous when they are
# empty); prints LOG and fails when its process (PID) dies or it never answers within a minute.
wait_for_ldap() {
  local url=$1 pid=$2 log=$3 dn=${4:-} password=${5:-}
  for _ in $(seq 1 600); do
    ldapsearch -x -H "$url" ${dn:+-D "$dn" -w "$password"} -b "" -s base >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$log" >&2
  echo "no directory answered at $url" >&2
  return 1
}

# Waits until the slapd sandbox on 127.0.0.1:PORT answers (see wait_for_ldap).
wait_for_slapd() {
  wait_for_ldap "ldap://127.0.0.1:$1" "$2" "$3"
}

# Exports the gateway's directory settings for the sandbox on 127.0.0.1:PORT.
export_sandbox_directory() {
  export SCIM2LDAP__LDAP__URL="ldap://127.0.0.1:$1"
  export SCIM2LDAP__LDAP__BIND_DN="cn=admin,dc=example,dc=org"
  export SCIM2LDAP__LDAP__BIND_PASSWORD="secret"
  export SCIM2LDAP__LDAP__BASE_DN="dc=example,dc=org"
}
