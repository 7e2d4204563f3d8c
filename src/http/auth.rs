//! Bearer-token authentication: tokens are kept as SHA-256 hashes and compared in constant time, several
//! at once so that a token can be rotated without downtime. Tokens are never logged; a refused request
//! is logged once, with why it was refused and where it came from.

use std::net::SocketAddr;
use std::path::Path;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
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

    /// `jwt:<sub>` for a valid token; otherwise why it is not.
    fn verify(&self, token: &str) -> Result<String, AuthFailure> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthFailure::Jwt(JwtFailure::Malformed))?;
        let jwk = match &header.kid {
            Some(kid) => self.keys.find(kid),
            None => self.keys.keys.first(),
        }
        .ok_or(AuthFailure::Jwt(JwtFailure::UnknownKey))?;
        // The key decides the algorithm family; a token cannot pick a weaker one (alg confusion).
        if jwk
            .common
            .key_algorithm
            .is_some_and(|a| a.to_string() != format!("{:?}", header.alg))
        {
            return Err(AuthFailure::Jwt(JwtFailure::WrongAlgorithm));
        }
        let key = DecodingKey::from_jwk(jwk).map_err(|_| AuthFailure::Jwt(JwtFailure::UnknownKey))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| AuthFailure::Jwt(JwtFailure::from(e.kind())))?;
        Ok(format!("jwt:{}", data.claims.sub.unwrap_or_default()))
    }
}

/// Why a request's credentials were refused: what an admin needs to fix the IdP's settings, and
/// never any part of the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    MissingHeader,
    /// The header has bytes that are not visible ASCII.
    NotText,
    /// Another scheme than Bearer (`Basic` when the IdP is set to basic authentication); `None` when
    /// the word does not look like a scheme name, so that it is not logged.
    WrongScheme(Option<String>),
    /// The header holds a single word: most likely the token without `Bearer ` before it.
    NoScheme,
    EmptyToken,
    /// `Bearer Bearer <token>`: the token was typed with `Bearer ` into a field the IdP prefixes itself.
    BearerTwice,
    /// Not one of the configured tokens (and not a JWT).
    UnknownToken,
    /// A JWT, but the configuration accepts none (`auth.jwt` unset).
    JwtNotAccepted,
    Jwt(JwtFailure),
}

/// Why a JWT was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtFailure {
    Malformed,
    UnknownKey,
    WrongAlgorithm,
    BadSignature,
    Expired,
    NotYetValid,
    WrongIssuer,
    WrongAudience,
    MissingClaim,
}

impl From<&jsonwebtoken::errors::ErrorKind> for JwtFailure {
    fn from(kind: &jsonwebtoken::errors::ErrorKind) -> Self {
        use jsonwebtoken::errors::ErrorKind;
        match kind {
            ErrorKind::InvalidSignature => JwtFailure::BadSignature,
            ErrorKind::ExpiredSignature => JwtFailure::Expired,
            ErrorKind::ImmatureSignature => JwtFailure::NotYetValid,
            ErrorKind::InvalidIssuer => JwtFailure::WrongIssuer,
            ErrorKind::InvalidAudience => JwtFailure::WrongAudience,
            ErrorKind::MissingRequiredClaim(_) => JwtFailure::MissingClaim,
            ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => JwtFailure::WrongAlgorithm,
            _ => JwtFailure::Malformed,
        }
    }
}

impl std::fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthFailure::MissingHeader => write!(f, "no Authorization header"),
            AuthFailure::NotText => write!(f, "the Authorization header is not text"),
            AuthFailure::WrongScheme(Some(scheme)) => write!(f, "scheme {scheme} instead of Bearer"),
            AuthFailure::WrongScheme(None) => write!(f, "an unknown scheme instead of Bearer"),
            AuthFailure::NoScheme => write!(f, "no 'Bearer ' before the token"),
            AuthFailure::EmptyToken => write!(f, "'Bearer' without a token"),
            AuthFailure::BearerTwice => write!(f, "'Bearer' twice: the IdP adds it, so type the token alone"),
            AuthFailure::UnknownToken => write!(f, "unknown token"),
            AuthFailure::JwtNotAccepted => write!(f, "a JWT, but auth.jwt is not configured"),
            AuthFailure::Jwt(why) => write!(
                f,
                "{}",
                match why {
                    JwtFailure::Malformed => "a malformed JWT",
                    JwtFailure::UnknownKey => "a JWT signed by no key of the JWKS file",
                    JwtFailure::WrongAlgorithm => "a JWT signed with another algorithm than its key's",
                    JwtFailure::BadSignature => "a JWT whose signature does not verify",
                    JwtFailure::Expired => "an expired JWT",
                    JwtFailure::NotYetValid => "a JWT not valid yet (nbf)",
                    JwtFailure::WrongIssuer => "a JWT from another issuer than auth.jwt.issuer",
                    JwtFailure::WrongAudience => "a JWT for another audience than auth.jwt.audience",
                    JwtFailure::MissingClaim => "a JWT without a required claim (exp)",
                }
            ),
        }
    }
}

/// The token of an `Authorization` header, or why there is none.
pub fn bearer_token(header: Option<&HeaderValue>) -> Result<&str, AuthFailure> {
    let value = header
        .ok_or(AuthFailure::MissingHeader)?
        .to_str()
        .map_err(|_| AuthFailure::NotText)?
        .trim();
    let Some((scheme, token)) = value.split_once(' ') else {
        return Err(if value.eq_ignore_ascii_case("bearer") {
            AuthFailure::EmptyToken
        } else if value.is_empty() {
            AuthFailure::MissingHeader
        } else {
            AuthFailure::NoScheme
        });
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        // A scheme is a short word; anything else may be a secret, so it is not repeated.
        let looks_like_a_scheme = scheme.len() <= 16 && scheme.chars().all(|c| c.is_ascii_alphabetic() || c == '-');
        return Err(AuthFailure::WrongScheme(looks_like_a_scheme.then(|| scheme.to_string())));
    }
    match token.trim() {
        "" => Err(AuthFailure::EmptyToken),
        token if token.get(..7).is_some_and(|w| w.eq_ignore_ascii_case("bearer ")) => Err(AuthFailure::BearerTwice),
        token => Ok(token),
    }
}

/// What requests are checked against: static tokens, and JWTs when configured.
#[derive(Clone, Default)]
pub struct Tokens {
    pub hashes: Vec<TokenHash>,
    pub jwt: Option<JwtVerifier>,
}

impl Tokens {
    /// The caller's name: the matching token's, or `jwt:<sub>` for a valid JWT; otherwise why not.
    pub fn caller(&self, presented: &str) -> Result<String, AuthFailure> {
        if let Some(name) = self.verify(presented) {
            return Ok(name.to_string());
        }
        let looks_like_a_jwt = jsonwebtoken::decode_header(presented).is_ok();
        match &self.jwt {
            Some(jwt) if looks_like_a_jwt => jwt.verify(presented),
            None if looks_like_a_jwt => Err(AuthFailure::JwtNotAccepted),
            _ => Err(AuthFailure::UnknownToken),
        }
    }

    /// The caller of a request with these headers, or why it is refused.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<String, AuthFailure> {
        bearer_token(headers.get(header::AUTHORIZATION)).and_then(|token| self.caller(token))
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
/// in the request's span; otherwise answers 401 before any directory traffic, and logs the one line
/// that says why and from where.
pub async fn require_bearer(State(tokens): State<std::sync::Arc<Tokens>>, request: Request, next: Next) -> Response {
    match tokens.authenticate(request.headers()) {
        Ok(name) => {
            tracing::Span::current().record("caller", name.as_str());
            crate::audit::set_caller(&name);
            next.run(request).await
        }
        Err(reason) => {
            let client = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.to_string());
            // Behind a reverse proxy the peer is the proxy; the client it names is worth a look, kept
            // to visible ASCII as it is whatever the sender wrote.
            let forwarded_for = request
                .headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .map(|v| v.chars().filter(char::is_ascii_graphic).take(100).collect::<String>());
            tracing::warn!(
                client = client.as_deref().unwrap_or("-"),
                forwarded_for,
                reason = %reason,
                "authentication failed"
            );
            ErrorResponse(ScimError::new(401, None, "a valid bearer token is required")).into_unlogged_response()
        }
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

    fn header(value: &str) -> HeaderValue {
        HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static("unparseable"))
    }

    #[test]
    fn says_what_is_wrong_with_the_authorization_header() {
        let tokens = Tokens {
            hashes: vec![TokenHash::from_plain("okta", "s3cret-token-value")],
            jwt: None,
        };
        let outcome = |value: Option<&str>| {
            let mut headers = HeaderMap::new();
            if let Some(v) = value {
                headers.insert(header::AUTHORIZATION, header(v));
            }
            tokens.authenticate(&headers)
        };
        assert_eq!(outcome(Some("Bearer s3cret-token-value")), Ok("okta".to_string()));
        assert_eq!(outcome(Some("bearer   s3cret-token-value ")), Ok("okta".to_string()));
        assert_eq!(outcome(None), Err(AuthFailure::MissingHeader));
        assert_eq!(outcome(Some("")), Err(AuthFailure::MissingHeader));
        assert_eq!(
            outcome(Some("Basic b2t0YTpzM2NyZXQ=")),
            Err(AuthFailure::WrongScheme(Some("Basic".into())))
        );
        // The token alone, as typed into a header field that wants `Bearer <token>`.
        assert_eq!(outcome(Some("s3cret-token-value")), Err(AuthFailure::NoScheme));
        assert_eq!(outcome(Some("Bearer")), Err(AuthFailure::EmptyToken));
        assert_eq!(outcome(Some("Bearer  ")), Err(AuthFailure::EmptyToken));
        assert_eq!(outcome(Some("Bearer another-token")), Err(AuthFailure::UnknownToken));
        assert_eq!(outcome(Some("Bearer Bearer s3cret-token-value")), Err(AuthFailure::BearerTwice));
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
        assert_eq!(outcome(Some(&format!("Bearer {jwt}"))), Err(AuthFailure::JwtNotAccepted));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_bytes(b"Bearer \xff").unwrap_or_else(|_| HeaderValue::from_static("x")),
        );
        assert_eq!(tokens.authenticate(&headers), Err(AuthFailure::NotText));
    }

    #[test]
    fn a_reason_never_repeats_the_credentials() {
        let secret = "s3cret-token-value";
        for value in [format!("Token:{secret} x"), secret.to_string(), format!("{secret} {secret}")] {
            let reason = bearer_token(Some(&header(&value))).err().map(|r| r.to_string()).unwrap_or_default();
            assert!(!reason.is_empty() && !reason.contains(secret), "{value}: {reason}");
        }
    }

    #[test]
    fn refused_jwts_say_which_check_failed() {
        use jsonwebtoken::{encode, EncodingKey, Header};
        let secret = b"0123456789abcdef0123456789abcdef";
        let jwks =
            serde_json::json!({"keys": [{"kty": "oct", "kid": "k1", "alg": "HS256", "k": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}]});
        let verifier = JwtVerifier {
            keys: serde_json::from_value(jwks).unwrap_or(JwkSet { keys: Vec::new() }),
            issuer: "https://idp.example".into(),
            audience: "scim2ldap".into(),
        };
        let tokens = Tokens {
            hashes: Vec::new(),
            jwt: Some(verifier),
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let sign = |exp: u64, aud: &str, key: &[u8]| {
            let claims = serde_json::json!({"sub": "svc", "iss": "https://idp.example", "aud": aud, "exp": exp});
            let mut header = Header::new(jsonwebtoken::Algorithm::HS256);
            header.kid = Some("k1".into());
            encode(&header, &claims, &EncodingKey::from_secret(key)).unwrap_or_default()
        };
        assert_eq!(tokens.caller(&sign(now + 600, "scim2ldap", secret)), Ok("jwt:svc".to_string()));
        assert_eq!(
            tokens.caller(&sign(now - 600, "scim2ldap", secret)),
            Err(AuthFailure::Jwt(JwtFailure::Expired))
        );
        assert_eq!(
            tokens.caller(&sign(now + 600, "scim2ldap", b"another-key-another-key-another!")),
            Err(AuthFailure::Jwt(JwtFailure::BadSignature))
        );
        assert_eq!(
            tokens.caller(&sign(now + 600, "someone-else", secret)),
            Err(AuthFailure::Jwt(JwtFailure::WrongAudience))
        );
        assert_eq!(tokens.caller("not-a-jwt"), Err(AuthFailure::UnknownToken));
    }

    #[test]
    fn jwt_errors_name_the_check_that_failed() {
        use jsonwebtoken::errors::ErrorKind;
        assert_eq!(JwtFailure::from(&ErrorKind::ExpiredSignature), JwtFailure::Expired);
        assert_eq!(JwtFailure::from(&ErrorKind::InvalidSignature), JwtFailure::BadSignature);
        assert_eq!(JwtFailure::from(&ErrorKind::InvalidAudience), JwtFailure::WrongAudience);
        assert_eq!(JwtFailure::from(&ErrorKind::InvalidIssuer), JwtFailure::WrongIssuer);
        assert_eq!(AuthFailure::Jwt(JwtFailure::Expired).to_string(), "an expired JWT");
    }
}
