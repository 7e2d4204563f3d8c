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
    pub const NOT_ALLOWED_ON_NON_LEAF: u32 = 66;
    pub const NOT_ALLOWED_ON_RDN: u32 = 67;
    pub const ENTRY_ALREADY_EXISTS: u32 = 68;
    pub const UNDEFINED_ATTRIBUTE_TYPE: u32 = 17;
    pub const ASSERTION_FAILED: u32 = 122;
}

/// The RFC 4511 name of a result code (`noSuchObject` for 32), as directory admins know them from
/// their server's logs; `None` for a code RFC 4511 and RFC 4528 do not define.
pub fn result_name(code: u32) -> Option<&'static str> {
    Some(match code {
        0 => "success",
        1 => "operationsError",
        2 => "protocolError",
        3 => "timeLimitExceeded",
        4 => "sizeLimitExceeded",
        5 => "compareFalse",
        6 => "compareTrue",
        7 => "authMethodNotSupported",
        8 => "strongerAuthRequired",
        10 => "referral",
        11 => "adminLimitExceeded",
        12 => "unavailableCriticalExtension",
        13 => "confidentialityRequired",
        14 => "saslBindInProgress",
        16 => "noSuchAttribute",
        17 => "undefinedAttributeType",
        18 => "inappropriateMatching",
        19 => "constraintViolation",
        20 => "attributeOrValueExists",
        21 => "invalidAttributeSyntax",
        32 => "noSuchObject",
        33 => "aliasProblem",
        34 => "invalidDNSyntax",
        36 => "aliasDereferencingProblem",
        48 => "inappropriateAuthentication",
        49 => "invalidCredentials",
        50 => "insufficientAccessRights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        54 => "loopDetect",
        64 => "namingViolation",
        65 => "objectClassViolation",
        66 => "notAllowedOnNonLeaf",
        67 => "notAllowedOnRDN",
        68 => "entryAlreadyExists",
        69 => "objectClassModsProhibited",
        71 => "affectsMultipleDSAs",
        80 => "other",
        122 => "assertionFailed",
        _ => return None,
    })
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

    /// What became of the operation, in a word for the audit trail: the result name (`noSuchObject`),
    /// `result<N>` for a code without one, or how the connection failed.
    pub fn outcome_name(&self) -> String {
        match self {
            LdapError::Result { rc, .. } => result_name(*rc).map_or_else(|| format!("result{rc}"), str::to_string),
            LdapError::Io { .. } => "connectionFailed".into(),
            LdapError::Timeout(_) => "timeLimitExceeded".into(),
            LdapError::Connect(_) => "unavailable".into(),
            LdapError::Config(_) => "configurationError".into(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_read_as_the_directory_names_them() {
        let refused = |rc| LdapError::Result {
            op: "modify",
            rc,
            text: String::new(),
        };
        assert_eq!(refused(rc::NO_SUCH_OBJECT).outcome_name(), "noSuchObject");
        assert_eq!(refused(rc::OBJECT_CLASS_VIOLATION).outcome_name(), "objectClassViolation");
        assert_eq!(refused(rc::ASSERTION_FAILED).outcome_name(), "assertionFailed");
        assert_eq!(refused(4711).outcome_name(), "result4711");
        assert_eq!(LdapError::Timeout("add").outcome_name(), "timeLimitExceeded");
    }
}
