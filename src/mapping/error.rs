//! The one error of translating between SCIM and LDAP.

/// Why a resource cannot be written or a filter translated: each becomes a 400 with the named
/// `scimType`, except an account state the directory holds in a form the mapping cannot read (500).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    /// → 400 `invalidValue`.
    #[error("'{0}' is required")]
    Missing(String),
    /// → 400 `invalidValue`.
    #[error("'{attribute}' refers to '{id}', which does not exist")]
    UnknownReference { attribute: String, id: String },
    /// → 400 `invalidValue`.
    #[error("'{attribute}': {reason}")]
    InvalidValue { attribute: String, reason: String },
    /// → 400 `invalidFilter`.
    #[error("filter on '{0}', which this service provider does not store")]
    UnknownAttribute(String),
    /// → 400 `invalidFilter`.
    #[error("{0}")]
    UnsupportedFilter(String),
    /// → 500: changing one flag would overwrite the others with guesses, so nothing is written.
    #[error("{entry}: {attribute} holds '{value}', which is not a number; the account state is not changed, as writing it would reset every other flag")]
    UnreadableState { entry: String, attribute: String, value: String },
}
