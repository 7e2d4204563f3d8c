//! Service errors and THE table that turns them into SCIM error documents.

use crate::ldap::error::rc;
use crate::ldap::LdapError;
use crate::mapping::error::TranslateError;
use crate::scim::filter::FilterError;
use crate::scim::patch::PatchError;
use crate::scim::{ScimError, ScimType};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// → 404.
    #[error("{0}")]
    NotFound(String),
    /// → 409 `uniqueness`.
    #[error("{0}")]
    Conflict(String),
    /// → 412: `If-Match` named another version.
    #[error("{0}")]
    PreconditionFailed(String),
    /// → 400 with the request's own `scimType` (`invalidSyntax`, `invalidValue`, …).
    #[error("{1}")]
    BadRequest(ScimType, String),
    /// → 400 `invalidFilter`.
    #[error("invalid filter: {0}")]
    Filter(#[from] FilterError),
    /// → 400 with the PATCH error's `scimType`.
    #[error(transparent)]
    Patch(#[from] PatchError),
    /// → 400 `invalidValue` / `invalidFilter`.
    #[error(transparent)]
    Translate(#[from] TranslateError),
    /// → 500: the mapping's allocation range is used up, which only its admin can change.
    #[error("{0}")]
    Exhausted(String),
    /// → 500: an internal lookup found what cannot be (two entries with one id) or was cut short by
    /// the directory's size limit. The detail is logged, never shown: it is no fault of the request.
    #[error("{0}")]
    Inconsistent(String),
    /// → 503: a shared allocation counter stayed contended by other writers; the client may retry.
    #[error("{0}")]
    Contended(String),
    /// → by result code: see `From<ServiceError> for ScimError`.
    #[error(transparent)]
    Ldap(#[from] LdapError),
}

pub type Result<T> = std::result::Result<T, ServiceError>;

impl ServiceError {
    /// Whether a write failed because the entry changed after it was read: a value it deletes, read
    /// a moment before, is gone (a userAccountControl changed by AD itself, a member removed by
    /// another request). Reading again and writing again is then right.
    pub(super) fn changed_meanwhile(&self) -> bool {
        matches!(self, ServiceError::Ldap(e) if e.result_code() == Some(rc::NO_SUCH_ATTRIBUTE))
    }
}

impl From<ServiceError> for ScimError {
    fn from(err: ServiceError) -> ScimError {
        match err {
            ServiceError::NotFound(detail) => ScimError::not_found(detail),
            ServiceError::Conflict(detail) => ScimError::new(409, Some(ScimType::Uniqueness), detail),
            ServiceError::PreconditionFailed(detail) => ScimError::new(412, None, detail),
            ServiceError::BadRequest(scim_type, detail) => ScimError::bad_request(scim_type, detail),
            ServiceError::Filter(e) => ScimError::bad_request(ScimType::InvalidFilter, format!("invalid filter: {e}")),
            ServiceError::Patch(e) => ScimError::bad_request(e.scim_type, e.detail),
            ServiceError::Translate(e) => {
                let scim_type = match e {
                    TranslateError::UnknownAttribute(_) | TranslateError::UnsupportedFilter(_) => ScimType::InvalidFilter,
                    TranslateError::Missing(_) | TranslateError::UnknownReference { .. } | TranslateError::InvalidValue { .. } => {
                        ScimType::InvalidValue
                    }
                    // The directory's data, not the request: the entry and value are in the log.
                    TranslateError::UnreadableState { attribute, .. } => {
                        return ScimError::new(
                            500,
                            None,
                            format!("the account state in {attribute} is not a number; the directory's admin must correct the entry"),
                        )
                    }
                };
                ScimError::bad_request(scim_type, e.to_string())
            }
            ServiceError::Exhausted(detail) => ScimError::new(500, None, detail),
            ServiceError::Inconsistent(_) => ScimError::new(500, None, "internal error"),
            ServiceError::Contended(_) => ScimError::new(503, None, "the directory is busy; retry later"),
            ServiceError::Ldap(e) => from_ldap_error(&e),
        }
    }
}

/// LDAP outcomes as SCIM answers. Directory diagnostics reach the client only for 4xx, where they say
/// what the client sent wrong; 5xx details stay in the log.
fn from_ldap_error(err: &LdapError) -> ScimError {
    if err.is_unavailable() {
        return ScimError::new(503, None, "the directory is unavailable; retry later");
    }
    let text = match err {
        LdapError::Result { text, .. } if !text.is_empty() => format!(": {text}"),
        _ => String::new(),
    };
    match err.result_code() {
        Some(rc::ENTRY_ALREADY_EXISTS) => ScimError::new(409, Some(ScimType::Uniqueness), "a resource with this name already exists"),
        Some(rc::NO_SUCH_OBJECT) => ScimError::not_found("resource not found"),
        Some(rc::SIZE_LIMIT_EXCEEDED) => ScimError::bad_request(ScimType::TooMany, "too many results: narrow the filter"),
        Some(rc::CONSTRAINT_VIOLATION) => ScimError::bad_request(ScimType::InvalidValue, format!("the directory refused a value{text}")),
        Some(
            rc::INVALID_ATTRIBUTE_SYNTAX
            | rc::UNDEFINED_ATTRIBUTE_TYPE
            | rc::NAMING_VIOLATION
            | rc::OBJECT_CLASS_VIOLATION
            | rc::NOT_ALLOWED_ON_RDN
            | rc::INVALID_DN_SYNTAX,
        ) => ScimError::bad_request(ScimType::InvalidValue, format!("the directory refused the entry{text}")),
        Some(rc::INSUFFICIENT_ACCESS) => ScimError::new(403, None, "the gateway's directory account may not do this"),
        // 389 DS takes passwords over an encrypted connection only: the gateway's configuration, not
        // the request, must change.
        Some(rc::CONFIDENTIALITY_REQUIRED) => ScimError::new(
            500,
            None,
            "the directory requires an encrypted connection for this change: set ldap.url to ldaps:// (or ldapi://) or ldap.starttls",
        ),
        Some(rc::UNWILLING_TO_PERFORM) => {
            ScimError::bad_request(ScimType::InvalidValue, format!("the directory is unwilling to perform this{text}"))
        }
        _ => ScimError::new(500, None, "internal error"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ldap(code: u32) -> ScimError {
        ServiceError::Ldap(LdapError::Result {
            op: "add",
            rc: code,
            text: "diag".into(),
        })
        .into()
    }

    fn status(err: ScimError) -> (u16, Option<ScimType>) {
        (err.status, err.scim_type)
    }

    #[test]
    fn the_table() {
        assert_eq!(status(ServiceError::NotFound("x".into()).into()), (404, None));
        assert_eq!(status(ServiceError::Conflict("x".into()).into()), (409, Some(ScimType::Uniqueness)));
        assert_eq!(status(ServiceError::PreconditionFailed("x".into()).into()), (412, None));
        assert_eq!(status(ldap(rc::ENTRY_ALREADY_EXISTS)), (409, Some(ScimType::Uniqueness)));
        assert_eq!(status(ldap(rc::NO_SUCH_OBJECT)), (404, None));
        assert_eq!(status(ldap(rc::SIZE_LIMIT_EXCEEDED)), (400, Some(ScimType::TooMany)));
        assert_eq!(status(ldap(rc::OBJECT_CLASS_VIOLATION)), (400, Some(ScimType::InvalidValue)));
        assert_eq!(status(ldap(rc::INVALID_ATTRIBUTE_SYNTAX)), (400, Some(ScimType::InvalidValue)));
        assert_eq!(status(ldap(rc::INSUFFICIENT_ACCESS)), (403, None));
        assert_eq!(status(ldap(rc::BUSY)), (503, None));
        assert_eq!(status(ldap(80)), (500, None));
        assert_eq!(status(ServiceError::Inconsistent("two".into()).into()), (500, None));
        assert_eq!(status(ServiceError::Contended("busy".into()).into()), (503, None));
        assert_eq!(status(ServiceError::Ldap(LdapError::Timeout("search")).into()), (503, None));
        assert_eq!(
            status(ServiceError::Translate(TranslateError::UnknownAttribute("x".into())).into()),
            (400, Some(ScimType::InvalidFilter))
        );
        assert_eq!(
            status(ServiceError::Translate(TranslateError::Missing("userName".into())).into()),
            (400, Some(ScimType::InvalidValue))
        );
    }

    #[test]
    fn server_errors_do_not_leak_directory_text() {
        let err = ldap(80);
        assert!(!err.detail.contains("diag"));
        let err: ScimError = ServiceError::Inconsistent("uid=a,dc=x and uid=b,dc=x".into()).into();
        assert!(!err.detail.contains("uid="));
    }

    #[test]
    fn an_unreadable_account_state_is_the_directory_s_fault_named_by_attribute_only() {
        let err: ScimError = ServiceError::Translate(TranslateError::UnreadableState {
            entry: "cn=jane,dc=x".into(),
            attribute: "userAccountControl".into(),
            value: "0x202".into(),
        })
        .into();
        assert_eq!(status(err.clone()), (500, None));
        assert!(err.detail.contains("userAccountControl"), "{}", err.detail);
        assert!(!err.detail.contains("cn=jane"), "{}", err.detail);
    }
}
