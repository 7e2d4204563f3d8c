#!/usr/bin/env bash
# Provisions a private Samba Active Directory domain controller in DIR and runs samba in the
# foreground, listening on ADDRESS only (a loopback address such as 127.0.0.11: AD's ports 389 and
# 636 are fixed, so each instance takes an address of its own; 127.0.0.0/8 needs no setup). Used by
# the tests; nothing outside DIR is touched.
#
#   scripts/samba-sandbox.sh DIR ADDRESS
#
# Realm EXAMPLE.ORG, base dc=example,dc=org, administrator cn=Administrator,cn=Users,dc=example,dc=org
# with password $SAMBA_ADMIN_PASSWORD (default "Adm1n-Secret!"). Only the LDAP service runs. LDAPS
# uses a certificate for IP:ADDRESS from a throwaway CA in DIR/tls/ca.pem. Simple binds are allowed
# on plain LDAP for the tests' own checks; the gateway writes passwords over LDAPS, as AD requires.
# A replaced password stops working at once (AD accepts the previous one for an hour by default).
set -euo pipefail

dir=${1:?usage: samba-sandbox.sh DIR ADDRESS}
address=${2:?usage: samba-sandbox.sh DIR ADDRESS}
password=${SAMBA_ADMIN_PASSWORD:-Adm1n-Secret!}
command -v samba-tool >/dev/null 2>&1 || { echo "samba is not installed: run scripts/install-deps.sh" >&2; exit 3; }

dir=$(cd "$dir" && pwd)
rm -rf "${dir:?}/dc" "${dir:?}/tls"
mkdir -p "$dir/tls"
(
  cd "$dir/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=scim2ldap test CA" \
    -keyout ca.key -out ca.pem 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$address" -keyout server.key -out server.csr 2>/dev/null
  printf 'subjectAltName=IP:%s\n' "$address" > ext.cnf
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile ext.cnf -out server.pem 2>/dev/null
  chmod 600 server.key
)

# An empty configuration file, so that nothing of the system's smb.conf is merged in.
: > "$dir/empty.conf"
samba-tool domain provision --configfile="$dir/empty.conf" --targetdir="$dir/dc" \
  --realm=EXAMPLE.ORG --domain=EXAMPLE --server-role=dc --dns-backend=NONE \
  --adminpass="$password" --use-rfc2307 \
  --option="server services = ldap" \
  --option="interfaces = $address/8" --option="bind interfaces only = yes" \
  >"$dir/provision.log" 2>&1 || { cat "$dir/provision.log" >&2; exit 1; }
# Options provisioning does not carry into the generated smb.conf; the PID file and sockets stay in
# DIR, so that instances run side by side.
sed -i "s|^\[global\]|[global]\n\tpid directory = $dir/dc\n\tncalrpc dir = $dir/dc/ncalrpc\n\tldap server require strong auth = no\n\told password allowed period = 0\n\ttls enabled = yes\n\ttls keyfile = $dir/tls/server.key\n\ttls certfile = $dir/tls/server.pem\n\ttls cafile = $dir/tls/ca.pem|" \
  "$dir/dc/etc/smb.conf"
# Five failed logons lock an account, so that the tests can see a reactivation lift the lockout.
samba-tool domain passwordsettings set --account-lockout-threshold=5 -s "$dir/dc/etc/smb.conf" \
  >>"$dir/provision.log" 2>&1 || { cat "$dir/provision.log" >&2; exit 1; }
exec samba -F --no-process-group -s "$dir/dc/etc/smb.conf"
