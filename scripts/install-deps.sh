#!/usr/bin/env bash
# Installs with apt-get the system packages one command needs, and nothing more:
#
#   scripts/install-deps.sh quickstart    slapd, ldap-utils (scripts/quickstart.sh)
#   scripts/install-deps.sh bench         slapd, ldap-utils (scripts/bench-*.sh)
#   scripts/install-deps.sh conformance   + 389-ds-base, samba, curl, python3-venv (scripts/conformance.sh)
#   scripts/install-deps.sh [all]         + openssl: everything scripts/test.sh runs
#   scripts/install-deps.sh PURPOSE --list   prints what it would install, and installs nothing
#
# Idempotent: installs only what is missing, and says what before it does. It never stops, starts or
# reconfigures a service: the packages it installs are installed with their services left stopped.
set -euo pipefail

purpose=${1:-all}
list_only=${2:-}
case "$purpose:$list_only" in
  quickstart: | bench: | conformance: | all: | quickstart:--list | bench:--list | conformance:--list | all:--list) ;;
  *)
    echo "usage: scripts/install-deps.sh [quickstart|bench|conformance|all] [--list]" >&2
    exit 2
    ;;
esac

need=()
# Every command runs private OpenLDAP instances (scripts/slapd-sandbox.sh) and waits for them with ldapsearch.
command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] || need+=(slapd)
command -v ldapsearch >/dev/null 2>&1 || need+=(ldap-utils)
if [ "$purpose" = conformance ] || [ "$purpose" = all ]; then
  # The conformance run installs scim2-tester into a virtualenv and polls with curl.
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
  # It and the lifecycle suite also run against 389 Directory Server and a Samba AD domain controller
  # (scripts/ds389-sandbox.sh, scripts/samba-sandbox.sh). Samba's provisioning needs the three
  # packages after it, which --no-install-recommends would leave out.
  command -v dscreate >/dev/null 2>&1 || [ -x /usr/sbin/dscreate ] || need+=(389-ds-base)
  command -v samba-tool >/dev/null 2>&1 || need+=(samba samba-dsdb-modules samba-ad-provision samba-vfs-modules)
fi
if [ "$purpose" = all ]; then
  # The TLS tests make their throwaway CA with openssl.
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
fi
if [ -n "$list_only" ]; then
  [ "${#need[@]}" -eq 0 ] || printf '%s\n' "${need[@]}"
  exit 0
fi
[ "${#need[@]}" -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "scripts/install-deps.sh ($purpose): installing ${need[*]} with apt-get (their own system services are not started)" >&2
export DEBIAN_FRONTEND=noninteractive
# Debian starts a package's service right after installing it. The tests and the quickstart run
# private instances instead, so for the length of this install a policy-rc.d (the Debian way,
# invoke-rc.d(8)) refuses every service start; a host's own policy-rc.d is left as it is. Nothing
# that already runs on this host is stopped, started or reconfigured.
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# scripts/install-deps.sh: no service starts while it installs packages\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  own_policy=1
fi
remove_policy() { [ -z "$own_policy" ] || $sudo rm -f "$policy"; }
trap remove_policy EXIT
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

# Debian enables a newly installed service for the next boot even though it was not started now. Say
# so for the services of the packages this run installed, rather than disable them behind the admin's back.
units=()
case " ${need[*]} " in *" slapd "*) units+=(slapd) ;; esac
case " ${need[*]} " in *" samba "*) units+=(smbd nmbd samba-ad-dc) ;; esac
if command -v systemctl >/dev/null 2>&1; then
  for unit in "${units[@]}"; do
    if systemctl is-enabled --quiet "$unit" 2>/dev/null; then
      echo "scripts/install-deps.sh: $unit is installed and not running, but enabled for the next boot: 'sudo systemctl disable $unit' keeps it off" >&2
    fi
  done
fi
