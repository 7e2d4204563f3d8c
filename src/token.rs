//! `scim2ldap token new`: a new random token, and the configuration entry that accepts it (its name
//! and SHA-256; the token itself is printed once and stored nowhere).

use sha2::{Digest, Sha256};

/// Checks a token's name: it is what audit lines show as `caller`, so it must be there and readable.
pub fn validate_name(name: &str) -> Result<String, String> {
    if name.trim().is_empty() {
        return Err("a token needs a name (it is the caller in audit lines), such as --name okta-prod".into());
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!(
            "a token name may not hold control characters (found {c:?}): use letters, digits, spaces or punctuation"
        ));
    }
    Ok(name.to_string())
}

/// A new token: 64 random hex digits.
pub fn new_token() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// The `auth.tokens` entry that accepts `token` under `name`, as one YAML flow mapping. The name is
/// written as a JSON string, which YAML reads as the same double-quoted scalar whatever quotes,
/// backslashes or other characters the name holds.
pub fn config_entry(name: &str, token: &str) -> String {
    let digest = hex::encode(Sha256::digest(token.as_bytes()));
    let quoted = serde_json::to_string(name).unwrap_or_else(|_| "\"\"".into());
    format!("- {{ name: {quoted}, sha256: \"{digest}\" }}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn names_must_be_present_and_printable() {
        assert_eq!(validate_name("okta-prod"), Ok("okta-prod".to_string()));
        assert_eq!(validate_name("Entra (prod) é"), Ok("Entra (prod) é".to_string()));
        for bad in ["", "   ", "a\nb", "tab\there", "bell\u{7}", "esc\u{1b}[31m"] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_printed_entry_loads_back_through_the_configuration_loader() {
        let dir = tempfile_dir();
        for name in [
            "okta",
            "a b\"c",
            "back\\slash",
            "colon: hash # [x] {y}",
            "'single'",
            "ünïcødé",
            "- dash",
        ] {
            let token = new_token();
            let entry = config_entry(name, &token);
            let text = format!("ldap: {{ url: \"ldap://x\", base_dn: \"dc=x\", allow_anonymous: true }}\nauth:\n  tokens:\n    {entry}\n");
            let file = dir.join("config.yaml");
            assert_eq!(std::fs::write(&file, &text).map_err(|e| e.to_string()), Ok(()));
            let config = Config::load_from(Some(&file), Vec::new()).map_err(|e| format!("{text}: {e}"));
            let tokens = config.map(|c| c.auth.tokens.iter().map(|t| (t.name.clone(), t.sha256.clone())).collect::<Vec<_>>());
            let digest = hex::encode(Sha256::digest(token.as_bytes()));
            assert_eq!(tokens, Ok(vec![(name.to_string(), digest)]), "{text}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("scim2ldap-token-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        dir
    }
}
