//! What every service test stands on: the shipped OpenLDAP mapping, a fake directory seeded like the
//! integration sandbox, the one place a test `Service` is built, and thin wrappers around the use
//! cases that answer what a client would see (a resource, or an RFC 7644 error).

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::ldap::fake::FakeDirectory;
use crate::mapping::{Mapping, ResourceKind};
use crate::scim::patch::PatchRequest;
use crate::scim::ScimError;
use crate::service::{IfMatch, ListQuery, Page, Service, ServiceLimits};

pub const BASE_DN: &str = "dc=example,dc=org";
pub const BASE_URL: &str = "https://scim.example.org/scim/v2";
/// The member an otherwise empty group keeps (`empty_group` in mappings/openldap.yaml).
pub const PLACEHOLDER: &str = "cn=empty-group-placeholder,dc=example,dc=org";

/// The sandbox's tree (scripts/slapd-sandbox.sh) without its password policy.
const BASE_TREE: &str = "dn: dc=example,dc=org
objectClass: top
objectClass: dcObject
objectClass: organization
o: scim2ldap sandbox
dc: example

dn: ou=people,dc=example,dc=org
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=org
objectClass: organizationalUnit
ou: groups
";

/// Users and a group as another tool left them: entries of `inetOrgPerson` alone (no
/// `extensibleObject`), one named by `cn` with its `uid` beside it, a group whose members are DNs.
pub const STAFF: &str = "dn: uid=alice,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: alice
givenName: Alice
sn: Archer
cn: Alice Archer
title: Engineer
mail: alice@example.org

dn: uid=bob,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: bob
sn: Baker
cn: Bob Baker
title: Engineer

dn: cn=Jane Legacy,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: jlegacy
cn: Jane Legacy
sn: Legacy
description: kept by the HR tool

dn: cn=Staff,ou=groups,dc=example,dc=org
objectClass: groupOfNames
cn: Staff
member: uid=alice,ou=people,dc=example,dc=org
member: uid=bob,ou=people,dc=example,dc=org
";

/// An LDIF file of tests/fixtures/ldif, as the integration tests load it.
pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/ldif/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What a use case answers a client: the resource, or the error document's content.
pub type Answer<T> = Result<T, ScimError>;

/// The sandbox's tree and `ldif` on top, loaded as the integration tests load theirs (offline, so
/// without the mapping's auxiliary classes), with the sandbox's memberof and refint overlays; the
/// operations of the loading are not counted.
pub fn directory_with(ldif: &str) -> FakeDirectory {
    let directory = FakeDirectory::new().with_refint_nothing(PLACEHOLDER);
    for text in [BASE_TREE, ldif] {
        directory.seed(text).unwrap_or_else(|e| panic!("{e}"));
    }
    directory.reset_operations();
    directory
}

/// `count` minimal users `{prefix}{i}`, as the integration support's `people_ldif` writes them.
pub fn people_ldif(prefix: &str, count: usize) -> String {
    (0..count)
        .map(|i| format!("dn: uid={prefix}{i},ou=people,{BASE_DN}\nobjectClass: inetOrgPerson\nuid: {prefix}{i}\ncn: {prefix}{i}\nsn: {prefix}{i}\n\n"))
        .collect()
}

pub fn user_dn(uid: &str) -> String {
    format!("uid={uid},ou=people,{BASE_DN}")
}

pub fn group_dn(cn: &str) -> String {
    format!("cn={cn},ou=groups,{BASE_DN}")
}

/// mappings/openldap.yaml as shipped, after `edit` (for the options a test needs that it leaves
/// out, as the integration tests edit it).
fn openldap_mapping(edit: impl FnOnce(String) -> String) -> Mapping {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/mappings/openldap.yaml");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    crate::mapping::compile_str(&edit(text), "openldap.yaml", BASE_DN).unwrap_or_else(|e| panic!("{e}"))
}

/// The service over `directory` with the shipped mapping and the default limits.
pub fn service_over(directory: FakeDirectory) -> Service {
    service_with(directory, |text| text, ServiceLimits::default())
}

/// The one place a test `Service` is built: over `directory` and its schema, with the shipped
/// mapping after `edit` and `limits`.
pub fn service_with(directory: FakeDirectory, edit: impl FnOnce(String) -> String, limits: ServiceLimits) -> Service {
    let schema = directory.schema();
    Service::builder(openldap_mapping(edit), Arc::new(directory))
        .limits(limits)
        .schema(schema, HashSet::new())
        .build()
}

fn answer<T>(outcome: crate::service::error::Result<T>) -> Answer<T> {
    outcome.map_err(ScimError::from)
}

pub async fn get(svc: &Service, kind: ResourceKind, id: &str) -> Answer<Map<String, Value>> {
    answer(async { svc.view(kind, BASE_URL)?.get(id, false).await }.await)
}

pub async fn list(svc: &Service, kind: ResourceKind, query: &ListQuery) -> Answer<Page> {
    answer(async { svc.view(kind, BASE_URL)?.list(query, false).await }.await)
}

pub async fn create(svc: &Service, kind: ResourceKind, body: Value) -> Answer<Map<String, Value>> {
    answer(async { svc.view(kind, BASE_URL)?.create(&body).await }.await)
}

pub async fn replace(svc: &Service, kind: ResourceKind, id: &str, body: Value, if_match: Option<&str>) -> Answer<Map<String, Value>> {
    let if_match = if_match.map(IfMatch::parse);
    answer(async { svc.view(kind, BASE_URL)?.replace(id, &body, if_match.as_ref()).await }.await)
}

/// A PATCH of `operations` (the `Operations` array); `None` when the service answers no content.
pub async fn patch(
    svc: &Service,
    kind: ResourceKind,
    id: &str,
    operations: Value,
    if_match: Option<&str>,
) -> Answer<Option<Map<String, Value>>> {
    let body = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": operations,
    });
    let request: PatchRequest = serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"));
    let if_match = if_match.map(IfMatch::parse);
    answer(async { svc.view(kind, BASE_URL)?.patch(id, &request, if_match.as_ref()).await }.await)
}

pub async fn delete(svc: &Service, kind: ResourceKind, id: &str, if_match: Option<&str>) -> Answer<()> {
    let if_match = if_match.map(IfMatch::parse);
    answer(async { svc.view(kind, BASE_URL)?.delete(id, if_match.as_ref()).await }.await)
}

/// A list query for `filter` (none for every resource), from the first.
pub fn query(filter: Option<&str>) -> ListQuery {
    ListQuery {
        filter: filter.map(str::to_string),
        start_index: 1,
        ..ListQuery::default()
    }
}

/// The answer of a use case that must succeed.
pub fn ok<T>(answer: Answer<T>) -> T {
    answer.unwrap_or_else(|e| panic!("{e}: {}", e.to_document()))
}

/// The status and `scimType` of a use case that must fail, after checking that its error is an
/// RFC 7644 §3.12 document.
pub fn refused<T>(answer: Answer<T>) -> (u16, Option<String>) {
    let Err(err) = answer else {
        panic!("expected an error, the use case succeeded");
    };
    let doc = err.to_document();
    assert_eq!(doc["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error", "{doc}");
    assert_eq!(doc["status"], err.status.to_string(), "{doc}");
    assert!(doc["detail"].as_str().is_some_and(|d| !d.is_empty()), "{doc}");
    (err.status, doc["scimType"].as_str().map(str::to_string))
}

/// `(status, scimType)` as `refused` answers them, for comparison.
pub fn scim_error(status: u16, scim_type: Option<&str>) -> (u16, Option<String>) {
    (status, scim_type.map(str::to_string))
}

/// The `id` of a resource as answered.
pub fn id_of(resource: &Map<String, Value>) -> String {
    resource["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {resource:?}"))
        .to_string()
}

/// The `entryUUID` (the SCIM id) of the entry at `entry_dn`.
pub fn id_at(directory: &FakeDirectory, entry_dn: &str) -> String {
    directory
        .values(entry_dn, "entryUUID")
        .pop()
        .unwrap_or_else(|| panic!("no entry {entry_dn}"))
}

/// A group's member values in the directory, sorted.
pub fn members_in(directory: &FakeDirectory, entry_dn: &str) -> Vec<String> {
    let mut members = directory.values(entry_dn, "member");
    members.sort();
    members
}

/// The member ids a group resource shows, sorted.
pub fn member_ids(group: &Map<String, Value>) -> Vec<String> {
    let mut ids: Vec<String> = group
        .get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m["value"].as_str().map(str::to_string))
        .collect();
    ids.sort();
    ids
}
