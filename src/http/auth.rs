//! Bearer-token authentication: tokens are kept as SHA-256 hashes and compared in constant time, several
//! at once so that a token can be rotated without downtime. Tokens are never logged.

use std::path::Path;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
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

/// Verifies OAuth 2.0 bearer JWTs: signature by a key of the JWKS, issuer, audience and expiry.
#[derive(Clone)]
pub struct JwtVerifier {
    keys: JwkSet,
    issuer: String,
    audience: String,
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    sub: Option<String>,
}

impl JwtVerifier {
    pub fn load(issuer: &str, audience: &str, jwks_file: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(jwks_file).map_err(|e| format!("auth.jwt.jwks_file {}: {e}", jwks_file.display()))?;
        let keys: JwkSet =
            serde_json::from_str(&text).map_err(|e| format!("auth.jwt.jwks_file {}: not a JWKS: {e}", jwks_file.display()))?;
        Ok(JwtVerifier {
            keys,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
        })
    }

    /// `jwt:<sub>` for a valid token.
    fn verify(&self, token: &str) -> Option<String> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let jwk = match &header.kid {
            Some(kid) => self.keys.find(kid)?,
            None => self.keys.keys.first()?,
        };
        // The key decides the algorithm family; a token cannot pick a weaker one (alg confusion).
        if jwk
            .common
            .key_algorithm
            .is_some_and(|a| a.to_string() != format!("{:?}", header.alg))
        {
            return None;
        }
        let key = DecodingKey::from_jwk(jwk).ok()?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).ok()?;
        Some(format!("jwt:{}", data.claims.sub.unwrap_or_default()))
    }
}

/// What requests are checked against: static tokens, and JWTs when configured.
#[derive(Clone, Default)]
pub struct Tokens {
    pub hashes: Vec<TokenHash>,
    pub jwt: Option<JwtVerifier>,
}

impl Tokens {
    /// The caller's name: the matching token's, or `jwt:<sub>` for a valid JWT.
    pub fn caller(&self, presented: &str) -> Option<String> {
        if let Some(name) = self.verify(presented) {
            return Some(name.to_string());
        }
        self.jwt.as_ref().and_then(|jwt| jwt.verify(presented))
    }

    /// The name of the static token that matches, checking every token so that timing reveals nothing.
    pub fn verify(&self, presented: &str) -> Option<&str> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for token in &self.hashes {
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
    match presented.and_then(|t| tokens.caller(t)) {
        Some(name) => {
            tracing::Span::current().record("caller", name.as_str());
            crate::audit::set_caller(&name);
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
        let tokens = Tokens {
            hashes: vec![TokenHash::from_plain("old", "t1"), TokenHash::from_plain("new", "t2")],
            jwt: None,
        };
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
