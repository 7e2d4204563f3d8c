//! Errors of the directory layer, classified by what a caller can do about them.

/// RFC 4511 result codes this gateway reacts to.
pub mod rc {
    pub const SIZE_LIMIT_EXCEEDED: u32 = 4;
    pub const CONFIDENTIALITY_REQUIRED: u32 = 13;
    pub const NO_SUCH_ATTRIBUTE: u32 = 16;
    pub const CONSTRAINT_VIOLATION: u32 = 19;
    pub const ATTRIBUTE_OR_VALUE_EXISTS: u32 = 20;
    pub const INVALID_ATTRIBUTE_SYNTAX: u32 = 21;
    pub const NO_SUCH_OBJECT: u32 = 32;
    pub const INVALID_DN_SYNTAX: u32 = 34;
    pub const INVALID_CREDENTIALS: u32 = 49;
    pub const INSUFFICIENT_ACCESS: u32 = 50;
    pub const BUSY: u32 = 51;
    pub const UNAVAILABLE: u32 = 52;
    pub const UNWILLING_TO_PERFORM: u32 = 53;
    pub const NAMING_VIOLATION: u32 = 64;
    pub const OBJECT_CLASS_VIOLATION: u32 = 65;
    pub const NOT_ALLOWED_ON_RDN: u32 = 67;
    pub const ENTRY_ALREADY_EXISTS: u32 = 68;
    pub const UNDEFINED_ATTRIBUTE_TYPE: u32 = 17;
    pub const ASSERTION_FAILED: u32 = 122;
}

#[derive(Debug, thiserror::Error)]
pub enum LdapError {
    /// The directory could not be reached or the service bind failed.
    #[error("cannot connect to the directory: {0}")]
    Connect(String),
    /// An operation took longer than the configured timeout.
    #[error("directory operation {0} timed out")]
    Timeout(&'static str),
    /// The directory answered with a non-success result code.
    #[error("directory refused {op}: result {rc} {text}")]
    Result { op: &'static str, rc: u32, text: String },
    /// The connection broke or the protocol failed mid-operation.
    #[error("directory connection failed during {op}: {detail}")]
    Io { op: &'static str, detail: String },
    /// Configuration that cannot work (bad CA file, bad URL).
    #[error("directory configuration: {0}")]
    Config(String),
}

impl LdapError {
    /// The LDAP result code, when the directory answered with one.
    pub fn result_code(&self) -> Option<u32> {
        match self {
            LdapError::Result { rc, .. } => Some(*rc),
            _ => None,
        }
    }

    /// Whether the directory is (for now) unreachable, so that the answer is 503 rather than 500.
    pub fn is_unavailable(&self) -> bool {
        match self {
            LdapError::Connect(_) | LdapError::Timeout(_) | LdapError::Io { .. } => true,
            LdapError::Result { rc: code, .. } => matches!(*code, rc::BUSY | rc::UNAVAILABLE),
            LdapError::Config(_) => false,
        }
    }

    pub(crate) fn from_ldap3(op: &'static str, err: ldap3::LdapError) -> Self {
        match err {
            ldap3::LdapError::LdapResult { result } => LdapError::Result {
                op,
                rc: result.rc,
                text: result.text,
            },
            ldap3::LdapError::Timeout { .. } => LdapError::Timeout(op),
            other => LdapError::Io {
                op,
                detail: other.to_string(),
            },
        }
    }
}
