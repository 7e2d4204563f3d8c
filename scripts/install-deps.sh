#!/usr/bin/env bash
# Installs the system packages the tests and the quickstart need (OpenLDAP server and client tools,
# 389 Directory Server and Samba for the lifecycle suite, openssl for the TLS tests, Python's venv
# and curl for the conformance suite).
# Idempotent: does nothing when they are already present.
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
echo "installing ${need[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# The package's own slapd service is not needed: tests and the quickstart start private instances.
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian starts a system slapd on :389 after install when it can; stop it so it never competes with ours.
$sudo service slapd stop >/dev/null 2>&1 || true
# Likewise Samba's file and domain services: the tests provision private domain controllers.
for service in smbd nmbd samba-ad-dc; do
  $sudo service "$service" stop >/dev/null 2>&1 || true
done
