#!/usr/bin/env bash
# Installs the system packages the tests and the quickstart need (OpenLDAP server and client tools,
# 389 Directory Server and Samba for the lifecycle suite, openssl for the TLS tests, Python's venv
# and curl for the conformance suite).
# Idempotent: does nothing when they are already present. It never stops, starts or reconfigures a
# service: the packages it installs are installed with their services left stopped.
set -euo pipefail

need=()
command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] || need+=(slapd)
command -v ldapsearch >/dev/null 2>&1 || need+=(ldap-utils)
# The TLS tests make their throwaway CA with openssl.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# The conformance run (scripts/conformance.sh) installs scim2-tester into a virtualenv and polls with curl.
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
# The lifecycle suite also runs against 389 Directory Server and a Samba AD domain controller
# (scripts/ds389-sandbox.sh, scripts/samba-sandbox.sh). Samba's provisioning needs the three packages
# after it, which --no-install-recommends would leave out.
command -v dscreate >/dev/null 2>&1 || [ -x /usr/sbin/dscreate ] || need+=(389-ds-base)
command -v samba-tool >/dev/null 2>&1 || need+=(samba samba-dsdb-modules samba-ad-provision samba-vfs-modules)
[ "${#need[@]}" -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "scripts/install-deps.sh: installing ${need[*]} with apt-get (their own system services are not started)" >&2
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
