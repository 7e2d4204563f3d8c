//! Mapping text the unit tests of the mapping layer start from, written once so that a change of the
//! file's shape is made in one place.

use super::{compile_str, Mapping};

/// Users as `inetOrgPerson` entries under `ou=people`, named by `uid` from userName; the `attributes`
/// list ends the text (line 7 is userName), so that a test appends entries to it.
pub(crate) const USERS: &str = r#"version: 1
users:
  base: "ou=people,{base}"
  object_classes: [inetOrgPerson]
  rdn: uid
  attributes:
    - { scim: userName, ldap: uid }
"#;

/// `USERS` with more attribute entries, one `{ … }` each.
pub(crate) fn users_with(entries: &[&str]) -> String {
    entries
        .iter()
        .fold(USERS.to_string(), |text, entry| format!("{text}    - {entry}\n"))
}

/// `groupOfNames` groups under `ou=groups` whose members are DNs (7 lines, for a test to add options).
pub(crate) const GROUPS: &str = r#"groups:
  base: "ou=groups,{base}"
  object_classes: [groupOfNames]
  rdn: cn
  attributes:
    - { scim: displayName, ldap: cn }
    - { scim: members.value, ldap: member, type: reference }
"#;

/// The mapping the text describes, under the base DN `dc=x`.
pub(crate) fn compile(text: &str) -> Mapping {
    compile_str(text, "test.yaml", "dc=x").unwrap_or_else(|e| panic!("{e}\n{text}"))
}
