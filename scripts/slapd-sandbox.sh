#!/usr/bin/env bash
# Builds a private OpenLDAP instance in DIR and runs slapd in the foreground on 127.0.0.1:PORT
# (and ldapi://DIR/ldapi; SLAPD_LISTEN sets another address). Used by the tests, the quickstart and
# docker/openldap; nothing outside DIR is touched.
#
#   scripts/slapd-sandbox.sh DIR PORT [LDIF...]
#
# Suffix dc=example,dc=org, root cn=admin,dc=example,dc=org with password $SLAPD_ROOT_PASSWORD
# (default "secret"); ou=people, ou=groups and a ppolicy default policy; then each LDIF given.
# Overlays: memberof, refint, ppolicy, sssvlv. Indexes: eq on objectClass, uid, mail, cn, member, entryUUID.
# With SLAPD_TLS_CERT and SLAPD_TLS_KEY (PEM files), the listener also offers StartTLS.
# SLAPD_NO_REFINT=1 leaves out the refint overlay (a directory that does not follow deletes and renames).
# SLAPD_NO_SSSVLV=1 leaves out the sssvlv overlay (a directory that cannot sort or count for the gateway).
set -euo pipefail

dir=${1:?usage: slapd-sandbox.sh DIR PORT [LDIF...]}
port=${2:?usage: slapd-sandbox.sh DIR PORT [LDIF...]}
shift 2
suffix=${SLAPD_SUFFIX:-dc=example,dc=org}
rootpw=${SLAPD_ROOT_PASSWORD:-secret}
here=$(cd "$(dirname "$0")/.." && pwd)
slapd=$(command -v slapd || echo /usr/sbin/slapd)
slapadd=$(command -v slapadd || echo /usr/sbin/slapadd)
[ -x "$slapd" ] || { echo "slapd is not installed: run scripts/install-deps.sh" >&2; exit 3; }

mkdir -p "$dir/config" "$dir/data"
rm -rf "${dir:?}/config/"* "${dir:?}/data/"*

refint_overlay=""
if [ -z "${SLAPD_NO_REFINT:-}" ]; then
  refint_overlay="dn: olcOverlay={2}refint,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcRefintConfig
olcOverlay: {2}refint
olcRefintAttribute: member
olcRefintAttribute: uniqueMember
olcRefintAttribute: manager
olcRefintNothing: cn=empty-group-placeholder,$suffix

"
fi

sssvlv_module="olcModuleLoad: sssvlv"
sssvlv_overlay="dn: olcOverlay={3}sssvlv,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcSssVlvConfig
olcOverlay: {3}sssvlv
"
if [ -n "${SLAPD_NO_SSSVLV:-}" ]; then
  sssvlv_module=""
  sssvlv_overlay=""
fi

cat > "$dir/config.ldif" <<LDIF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $dir/slapd.pid
${SLAPD_TLS_CERT:+olcTLSCertificateFile: $SLAPD_TLS_CERT}
${SLAPD_TLS_KEY:+olcTLSCertificateKeyFile: $SLAPD_TLS_KEY}

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: memberof
olcModuleLoad: refint
olcModuleLoad: ppolicy
${sssvlv_module}

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif
include: file:///etc/ldap/schema/cosine.ldif
include: file:///etc/ldap/schema/inetorgperson.ldif
include: file:///etc/ldap/schema/nis.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: unlimited

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by dn.exact=gidNumber=$(id -g)+uidNumber=$(id -u),cn=peercred,cn=external,cn=auth manage by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $suffix
olcRootDN: cn=admin,$suffix
olcRootPW: $rootpw
olcDbDirectory: $dir/data
olcDbMaxSize: 1073741824
olcDbNoSync: TRUE
olcDbIndex: objectClass eq
olcDbIndex: uid eq
olcDbIndex: mail eq
olcDbIndex: cn eq
olcDbIndex: member eq
olcDbIndex: entryUUID eq
olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {1}to * by users read by * none

dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {0}memberof
olcMemberOfRefInt: TRUE

dn: olcOverlay={1}ppolicy,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {1}ppolicy
olcPPolicyDefault: cn=default,ou=policies,$suffix

${refint_overlay}
${sssvlv_overlay}
LDIF

top=${suffix%%,*}
cat > "$dir/base.ldif" <<LDIF
dn: $suffix
objectClass: top
objectClass: dcObject
objectClass: organization
o: scim2ldap sandbox
${top/=/: }

dn: ou=people,$suffix
objectClass: organizationalUnit
ou: people

dn: ou=groups,$suffix
objectClass: organizationalUnit
ou: groups

dn: ou=policies,$suffix
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,$suffix
objectClass: device
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
LDIF

"$slapadd" -q -n0 -F "$dir/config" -l "$dir/config.ldif"
"$slapadd" -q -n1 -F "$dir/config" -l "$dir/base.ldif"
for ldif in "$@"; do
  sed "s/dc=example,dc=org/$suffix/g" "$ldif" > "$dir/extra.ldif"
  "$slapadd" -q -n1 -F "$dir/config" -l "$dir/extra.ldif"
done

socket=$(printf '%s' "$dir/ldapi" | sed 's|/|%2F|g')
exec "$slapd" -d 0 -F "$dir/config" -h "ldap://${SLAPD_LISTEN:-127.0.0.1}:$port/ ldapi://$socket"
