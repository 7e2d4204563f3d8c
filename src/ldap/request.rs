//! What the gateway asks of a directory: searches (base, scope, filter, attributes, limit), the
//! changes of a modify request, and how a password is written.

use ldap3::Scope as Ldap3Scope;
use serde::Deserialize;

use super::filter::LdapFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Base,
    One,
    Sub,
}

impl From<Scope> for Ldap3Scope {
    fn from(scope: Scope) -> Self {
        match scope {
            Scope::Base => Ldap3Scope::Base,
            Scope::One => Ldap3Scope::OneLevel,
            Scope::Sub => Ldap3Scope::Subtree,
        }
    }
}

/// The attribute list that asks for no attributes (RFC 4511 §4.5.1.8): the entries' names only.
pub const NO_ATTRIBUTES: &str = "1.1";

/// `[NO_ATTRIBUTES]`, for a search that only finds entries or counts them.
pub fn names_only() -> Vec<String> {
    vec![NO_ATTRIBUTES.to_string()]
}

#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub base: String,
    pub scope: Scope,
    pub filter: LdapFilter,
    pub attrs: Vec<String>,
    /// 0 means the server's limit.
    pub size_limit: i32,
}

impl SearchRequest {
    /// The entries below (or at) `base` that match, without a limit of the gateway's own.
    pub fn new(base: impl Into<String>, scope: Scope, filter: LdapFilter, attrs: Vec<String>) -> Self {
        SearchRequest {
            base: base.into(),
            scope,
            filter,
            attrs,
            size_limit: 0,
        }
    }

    /// The entry at `dn`, if it matches `filter`.
    pub fn entry(dn: impl Into<String>, filter: LdapFilter, attrs: Vec<String>) -> Self {
        SearchRequest::new(dn, Scope::Base, filter, attrs).limited(1)
    }

    /// At most `size_limit` entries (more are sizeLimitExceeded).
    pub fn limited(self, size_limit: i32) -> Self {
        SearchRequest { size_limit, ..self }
    }

    /// The same search for the entries' names only.
    pub fn names_only(self) -> Self {
        SearchRequest {
            attrs: names_only(),
            ..self
        }
    }
}

/// One change of a modify request; values are exact (add/delete of single values, never a rewrite).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Modification {
    Add(String, Vec<String>),
    /// Delete these values, or the whole attribute when the list is empty.
    Delete(String, Vec<String>),
    Replace(String, Vec<String>),
}

impl Modification {
    /// The attribute it changes.
    pub fn attribute(&self) -> &str {
        match self {
            Modification::Add(name, _) | Modification::Delete(name, _) | Modification::Replace(name, _) => name,
        }
    }
}

/// Attributes that hold passwords: their values are never shown, logged or kept.
pub(crate) const SECRET_ATTRIBUTES: [&str; 2] = ["userPassword", "unicodePwd"];

/// Whether `attribute` holds passwords (`userPassword`, AD's `unicodePwd`).
pub fn is_secret(attribute: &str) -> bool {
    SECRET_ATTRIBUTES.iter().any(|s| s.eq_ignore_ascii_case(attribute))
}

/// How a password reaches the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordWrite {
    /// The RFC 3062 Password Modify extended operation, so that the server hashes it by its own
    /// policy (OpenLDAP, 389 DS).
    Exop,
    /// Active Directory's `unicodePwd`: the password in double quotes, as UTF-16LE. AD accepts it over
    /// an encrypted connection only, and so does the gateway, whatever the server would allow.
    UnicodePwd,
}
