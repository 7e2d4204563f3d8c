#!/usr/bin/env bash
# Builds a private 389 Directory Server instance in DIR and runs ns-slapd in the foreground on
# 127.0.0.1:PORT. Used by the tests; nothing outside DIR is touched (dscreate runs with PREFIX=DIR and
# a defaults.inf whose paths all lie under DIR; systemd and SELinux are off).
#
#   scripts/ds389-sandbox.sh DIR PORT
#
# Suffix dc=example,dc=org with ou=people and ou=groups, root "cn=Directory Manager" with password
# $DS_ROOT_PASSWORD (default "secret12"). Plugins on: memberOf, referential integrity, entryUUID and
# USN (entryUSN, the mapping's version). Passwords are stored as SSHA512 and transactions are not
# durable: faster tests.
set -euo pipefail

dir=${1:?usage: ds389-sandbox.sh DIR PORT}
port=${2:?usage: ds389-sandbox.sh DIR PORT}
rootpw=${DS_ROOT_PASSWORD:-secret12}
name=scim
command -v dscreate >/dev/null 2>&1 || { echo "389-ds-base is not installed: run scripts/install-deps.sh" >&2; exit 3; }

dir=$(cd "$dir" && pwd)
# ns-slapd runs as the dirsrv user, which must reach the instance through DIR.
chmod 755 "$dir"
if [ "$(id -u)" -eq 0 ] && id dirsrv >/dev/null 2>&1 && ! runuser -u dirsrv -- test -x "$dir"; then
  echo "ds389-sandbox: the dirsrv user cannot enter $dir: let it pass through every parent (chmod o+x)" >&2
  exit 1
fi
rm -rf "${dir:?}/root"
root=$dir/root
mkdir -p "$root/share/dirsrv/inf" "$root/etc/dirsrv" "$root/var/log/dirsrv" "$root/var/lib/dirsrv" \
  "$root/run/dirsrv" "$root/run/lock/dirsrv" "$root/tmp"
# dscreate reads its paths from defaults.inf under PREFIX: move every system path under the root.
sed -e "s|^with_systemd = .*|with_systemd = 0|" \
    -E -e "s#= /(etc|var|run|tmp)#= $root/\1#" \
    /usr/share/dirsrv/inf/defaults.inf > "$root/share/dirsrv/inf/defaults.inf"
cp -r /etc/dirsrv/schema /etc/dirsrv/config "$root/etc/dirsrv/"
# ns-slapd drops to the dirsrv user when started as root and then must own its files.
if [ "$(id -u)" -eq 0 ]; then
  id dirsrv >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin dirsrv
  sed -i "s|^user = .*|user = dirsrv|; s|^group = .*|group = dirsrv|" "$root/share/dirsrv/inf/defaults.inf"
else
  sed -i "s|^user = .*|user = $(id -un)|; s|^group = .*|group = $(id -gn)|" "$root/share/dirsrv/inf/defaults.inf"
fi

# dscreate runs the new instance for a while and stops it again: on port 0 it listens on LDAPI only,
# so that nobody waiting for PORT binds to it and loses the connection when dscreate stops it. The
# real port is set with the offline edits below.
cat > "$dir/instance.inf" <<INF
[general]
config_version = 2
full_machine_name = localhost
start = False
selinux = False
systemd = False
strict_host_checking = False

[slapd]
instance_name = $name
port = 0
secure_port = 0
root_dn = cn=Directory Manager
root_password = $rootpw
self_sign_cert = False

[backend-userroot]
suffix = dc=example,dc=org
create_suffix_entry = True
sample_entries = no
INF
[ "$(id -u)" -eq 0 ] && chown -R dirsrv:dirsrv "$root"
PREFIX=$root dscreate from-file "$dir/instance.inf" >"$dir/dscreate.log" 2>&1 || { cat "$dir/dscreate.log" >&2; exit 1; }

config=$root/etc/dirsrv/slapd-$name
# Offline edits to cn=config before the first start.
python3 - "$config/dse.ldif" "$port" <<'PY'
import re, sys
path, port = sys.argv[1], sys.argv[2]
text = open(path).read()
def set_attr(dn, attr, value):
    global text
    start = text.index(f"dn: {dn}\n")
    end = text.find("\n\n", start)
    block = text[start:end]
    if re.search(rf"^{attr}:", block, re.M | re.I):
        new = re.sub(rf"^{attr}:.*$", f"{attr}: {value}", block, flags=re.M | re.I)
    else:
        new = block + f"\n{attr}: {value}"
    text = text[:start] + new + text[end:]
set_attr("cn=config", "nsslapd-listenhost", "127.0.0.1")
set_attr("cn=config", "nsslapd-port", port)
set_attr("cn=config", "passwordStorageScheme", "SSHA512")
set_attr("cn=config", "nsslapd-rootpwstoragescheme", "SSHA512")
set_attr("cn=config,cn=ldbm database,cn=plugins,cn=config", "nsslapd-db-durable-transaction", "off")
for plugin in ("MemberOf Plugin", "referential integrity postoperation", "entryuuid", "USN"):
    try:
        set_attr(f"cn={plugin},cn=plugins,cn=config", "nsslapd-pluginEnabled", "on")
    except ValueError:
        print(f"no plugin {plugin}", file=sys.stderr)
open(path, "w").write(text)
PY
[ "$(id -u)" -eq 0 ] && chown -R dirsrv:dirsrv "$root"
exec /usr/sbin/ns-slapd -D "$config" -i "$root/run/dirsrv/slapd-$name.pid" -d 0
