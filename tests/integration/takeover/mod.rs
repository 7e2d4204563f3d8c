//! Taking over a directory the gateway did not fill (issue 17 item 7). Real directories hold entries
//! that HR imports and admin scripts made: no auxiliary classes, several values in cn, sn, title,
//! mail and telephoneNumber, users named by cn, Unix accounts with their own numbers, groups pointing
//! at deleted users and at service accounts, password hashes. `tests/fixtures/ldif/takeover-legacy.ldif`
//! holds such a tree; it is loaded with `ldapadd` on OpenLDAP and 389 DS (Samba AD gets its users from
//! `samba-tool`), then Entra's and Okta's cycles run with the shipped mappings, and after every step
//! the test reads the raw entries: the written values, and every attribute outside the mapping as it
//! was loaded.

mod active_directory;
mod entra;
mod groups;
mod okta;

use std::collections::{BTreeMap, BTreeSet};

use pretty_assertions::assert_eq;
use serde_json::Value;

use crate::support::{Endpoint, Gateway, Server};

/// The legacy tree, with `{base}` for the directory's suffix.
const FIXTURE: &str = include_str!("../../fixtures/ldif/takeover-legacy.ldif");

pub const JANE: &str = "cn=Jane Legacy,ou=people,dc=example,dc=org";
pub const MAX: &str = "uid=mposix,ou=people,dc=example,dc=org";
pub const STAFF: &str = "cn=Legacy Staff,ou=groups,dc=example,dc=org";
pub const DEPARTED: &str = "uid=departed,ou=people,dc=example,dc=org";
pub const BACKUP: &str = "cn=backup,ou=services,dc=example,dc=org";

/// Attributes no mapping names: a takeover must never change them.
pub const OUTSIDE_MAPPING: &[&str] = &[
    "description",
    "userPassword",
    "uidNumber",
    "gidNumber",
    "loginShell",
    "homeDirectory",
    "gecos",
    "shadowLastChange",
    "shadowMax",
    "seeAlso",
    "roomNumber",
];

/// Sorted by attribute, so that a failed comparison of two entries shows a readable diff.
pub type Entry = BTreeMap<String, Vec<String>>;

/// How one directory keeps what the cycles check beyond the shared mapping.
pub struct Flavour {
    /// Whether the raw entry shows the account disabled by the mapping's `active` section.
    pub disabled: fn(&Entry) -> bool,
}

pub const OPENLDAP: Flavour = Flavour {
    disabled: |entry| values(entry, "pwdAccountLockedTime") == ["000001010000Z"],
};

pub const DS389: Flavour = Flavour {
    disabled: |entry| values(entry, "nsAccountLock").iter().any(|v| v.eq_ignore_ascii_case("true")),
};

/// The legacy tree loaded into `server` by ldapadd, and a gateway with the directory's shipped
/// mapping in front of it.
pub async fn legacy_gateway<S: Server>(server: S) -> Gateway<S> {
    let ldap = server.endpoint();
    ldap.ldapadd(&FIXTURE.replace("{base}", &ldap.suffix));
    assert!(ldap.entry(JANE).await.is_some(), "the fixture is loaded");
    Gateway::attach(server, &[]).await
}

/// Every attribute of the entry at `dn`, operational ones included, values in the directory's order.
pub async fn raw(ldap: &Endpoint, dn: &str) -> Entry {
    ldap.entry(dn)
        .await
        .unwrap_or_else(|| panic!("no entry at {dn}: the gateway must neither rename nor delete it"))
        .into_iter()
        .collect()
}

/// The values of `attr` (any case) in `entry`, in the directory's order; none when absent (which
/// the `disabled` checks read as not locked).
pub fn values(entry: &Entry, attr: &str) -> Vec<String> {
    entry.get(&attr.to_ascii_lowercase()).cloned().unwrap_or_default()
}

/// The entry's object classes, lower-cased (the directory may answer in another case than loaded).
pub fn classes(entry: &Entry) -> BTreeSet<String> {
    values(entry, "objectClass").iter().map(|c| c.to_ascii_lowercase()).collect()
}

/// Asserts that a write left the entry with its loaded classes plus `extensibleObject`, none removed.
#[track_caller]
pub fn assert_classes_added(before: &Entry, after: &Entry, step: &str) {
    let mut expected = classes(before);
    expected.insert("extensibleobject".into());
    assert_eq!(classes(after), expected, "{step}: the old classes plus extensibleObject");
}

/// A DN compared without case or spaces after commas (389 DS and AD may answer in another spelling).
pub fn dn_key(dn: &str) -> String {
    dn.split(',')
        .map(|rdn| rdn.trim().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(",")
}

/// The value a single-valued SCIM attribute shows for a multi-valued LDAP attribute before any
/// write: the first value the directory returns, passing over the one the entry's RDN holds.
pub fn shown(entry: &Entry, attr: &str, rdn_value: Option<&str>) -> String {
    values(entry, attr)
        .into_iter()
        .find(|v| rdn_value.is_none_or(|rdn| !v.eq_ignore_ascii_case(rdn)))
        .unwrap_or_else(|| panic!("no {attr} in {entry:?}"))
}

/// The `value` of the element of `list` (emails, phoneNumbers) whose type is work.
pub fn work<'a>(resource: &'a Value, list: &str) -> &'a Value {
    resource[list]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["type"] == "work"))
        .map_or(&Value::Null, |i| &i["value"])
}

/// The work address's `field`.
pub fn work_address<'a>(resource: &'a Value, field: &str) -> &'a Value {
    resource["addresses"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["type"] == "work"))
        .map_or(&Value::Null, |a| &a[field])
}

/// A SCIM filter as a query string value.
pub fn query(filter: &str) -> String {
    url::form_urlencoded::byte_serialize(filter.as_bytes()).collect()
}

/// The ids of a list response's resources.
pub fn ids(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect()
}

/// The loaded values of the attributes outside the mapping, to compare after every step.
pub struct Untouched {
    dn: String,
    kept: Vec<(String, Vec<String>)>,
}

impl Untouched {
    pub async fn snapshot(ldap: &Endpoint, dn: &str, attrs: &[&str]) -> Untouched {
        let entry = raw(ldap, dn).await;
        let kept: Vec<(String, Vec<String>)> = attrs
            .iter()
            .map(|a| (a.to_string(), values(&entry, a)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        assert!(!kept.is_empty(), "{dn} holds attributes outside the mapping");
        Untouched { dn: dn.to_string(), kept }
    }

    pub async fn assert_kept(&self, ldap: &Endpoint, step: &str) {
        let entry = raw(ldap, &self.dn).await;
        for (attr, loaded) in &self.kept {
            assert_eq!(&values(&entry, attr), loaded, "{step}: {attr} of {} is untouched", self.dn);
        }
    }
}

/// Asserts a 200 answer, showing the error document otherwise.
#[track_caller]
pub fn ok(step: &str, status: u16, body: &Value) {
    assert_eq!(status, 200, "{step}: {body}");
}

/// A resource as read, made into the body of a full PUT as the IdPs send it: without `meta`, and
/// without the read-only `groups` (which an IdP changes through the groups).
pub fn for_put(mut resource: Value) -> Value {
    if let Some(object) = resource.as_object_mut() {
        object.remove("meta");
        object.remove("groups");
    }
    resource
}

/// What the directory keeps about a write rather than the data: versions and timestamps.
const BOOKKEEPING: &[&str] = &[
    "entrycsn",
    "modifytimestamp",
    "modifiersname",
    "entryusn",
    "whenchanged",
    "usnchanged",
];

/// The entry's values without the directory's bookkeeping: a retried request must leave these as
/// they are. (The gateway rewrites an unchanged value on a repeated PATCH even for entries it
/// created, which moves entryCSN, so versions are not compared.)
pub fn data(entry: &Entry) -> Entry {
    entry
        .iter()
        .filter(|(k, _)| !BOOKKEEPING.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
