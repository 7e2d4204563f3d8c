//! Bearer-token authentication: tokens are kept as SHA-256 hashes and compared in constant time, several
//! at once so that a token can be rotated without downtime. Tokens are never logged.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::response::ErrorResponse;
use crate::scim::ScimError;

/// A valid token, by name and hash.
#[derive(Clone)]
pub struct TokenHash {
    pub name: String,
    pub sha256: [u8; 32],
}

impl TokenHash {
    pub fn from_plain(name: &str, token: &str) -> Self {
        TokenHash {
            name: name.to_string(),
            sha256: Sha256::digest(token.as_bytes()).into(),
        }
    }

    /// From the hex form written in the configuration.
    pub fn from_hex(name: &str, hex_digest: &str) -> Result<Self, String> {
        let bytes = hex::decode(hex_digest.trim()).map_err(|_| format!("token '{name}': sha256 is not hex"))?;
        let sha256: [u8; 32] = bytes
            .try_into()
            .map_err(|_| format!("token '{name}': sha256 must be 64 hex digits"))?;
        Ok(TokenHash {
            name: name.to_string(),
            sha256,
        })
    }
}

/// The token set requests are checked against.
#[derive(Clone, Default)]
pub struct Tokens(pub Vec<TokenHash>);

impl Tokens {
    /// The name of the token that matches, checking every token so that timing reveals nothing.
    pub fn verify(&self, presented: &str) -> Option<&str> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for token in &self.0 {
            if bool::from(token.sha256.ct_eq(&digest)) {
                found = Some(token.name.as_str());
            }
        }
        found
    }
}

/// Lets a request through when it carries a valid token, recording the token's name (never the token)
/// in the request's span; otherwise answers 401 before any directory traffic.
pub async fn require_bearer(State(tokens): State<std::sync::Arc<Tokens>>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    match presented.and_then(|t| tokens.verify(t)) {
        Some(name) => {
            tracing::Span::current().record("caller", name);
            crate::audit::set_caller(name);
            next.run(request).await
        }
        None => ErrorResponse(ScimError::new(401, None, "a valid bearer token is required")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_any_of_several_tokens() {
        let tokens = Tokens(vec![TokenHash::from_plain("old", "t1"), TokenHash::from_plain("new", "t2")]);
        assert_eq!(tokens.verify("t1"), Some("old"));
        assert_eq!(tokens.verify("t2"), Some("new"));
        assert_eq!(tokens.verify("t3"), None);
        assert_eq!(tokens.verify(""), None);
    }

    #[test]
    fn hex_form_round_trips() {
        let plain = TokenHash::from_plain("a", "secret");
        let hex = hex::encode(plain.sha256);
        assert!(TokenHash::from_hex("a", &hex).is_ok_and(|t| t.sha256 == plain.sha256));
        assert!(TokenHash::from_hex("a", "zz").is_err());
        assert!(TokenHash::from_hex("a", "abcd").is_err());
    }
}
