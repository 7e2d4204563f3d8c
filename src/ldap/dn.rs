//! Distinguished names (RFC 4514): RDNs are built with escaping, and DNs compare case-insensitively.

use ldap3::dn_escape;

/// `attr=value` with the value escaped.
pub fn rdn(attr: &str, value: &str) -> String {
    format!("{attr}={}", dn_escape(value))
}

/// `rdn,parent`, the RDN value escaped.
pub fn child(attr: &str, value: &str, parent: &str) -> String {
    join(&rdn(attr, value), parent)
}

/// `rdn,parent`, for an RDN already escaped (from `rdn`) and a parent DN as the directory gave it.
pub fn join(rdn: &str, parent: &str) -> String {
    if parent.is_empty() {
        rdn.to_string()
    } else {
        format!("{rdn},{parent}")
    }
}

/// Splits a DN into its first RDN and the parent DN, honouring escaped commas.
pub fn split_first(dn: &str) -> (&str, &str) {
    let bytes = dn.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b',' => return (&dn[..i], &dn[i + 1..]),
            _ => i += 1,
        }
    }
    (dn, "")
}

/// The attribute and the unescaped value of an RDN with a single value (`uid=a\2cb` → `uid`, `a,b`);
/// `None` for a multi-valued RDN or a malformed escape.
pub fn rdn_value(rdn: &str) -> Option<(&str, String)> {
    let (attr, escaped) = rdn.split_once('=')?;
    let mut value = Vec::with_capacity(escaped.len());
    let mut bytes = escaped.trim().bytes();
    while let Some(byte) = bytes.next() {
        match byte {
            b'\\' => {
                let next = bytes.next()?;
                if next.is_ascii_hexdigit() {
                    let low = bytes.next().filter(u8::is_ascii_hexdigit)?;
                    let hex = [next, low];
                    value.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
                } else {
                    value.push(next);
                }
            }
            b'+' => return None,
            byte => value.push(byte),
        }
    }
    Some((attr.trim(), String::from_utf8(value).ok()?))
}

/// A comparison key for a DN: lower-cased, without spaces around separators.
pub fn normalize(dn: &str) -> String {
    let mut out = String::with_capacity(dn.len());
    let mut rest = dn;
    loop {
        let (first, parent) = split_first(rest);
        let (attr, value) = first.split_once('=').unwrap_or((first, ""));
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(&attr.trim().to_lowercase());
        out.push('=');
        out.push_str(&value.trim().to_lowercase());
        if parent.is_empty() {
            return out;
        }
        rest = parent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rdn_values_are_unescaped() {
        assert_eq!(rdn_value("uid=jdoe"), Some(("uid", "jdoe".to_string())));
        assert_eq!(rdn_value(&rdn("uid", "a,b+c \\d")), Some(("uid", "a,b+c \\d".to_string())));
        assert_eq!(rdn_value("cn=J\\C3\\B6rg"), Some(("cn", "Jörg".to_string())));
        assert_eq!(rdn_value("cn=a+sn=b"), None);
        assert_eq!(rdn_value("cn=a\\4"), None);
    }

    #[test]
    fn rdn_values_are_escaped() {
        // RFC 4514 §2.4 hex escapes, as ldap3 writes them.
        assert_eq!(child("uid", "a,b+c", "ou=people,dc=x"), r"uid=a\2cb\2bc,ou=people,dc=x");
        assert_eq!(rdn("cn", "#lead"), r"cn=\23lead");
        assert_eq!(rdn("cn", "trail "), r"cn=trail\20");
        assert_eq!(rdn("cn", "x=y\\z"), r"cn=x\3dy\5cz");
    }

    #[test]
    fn split_honours_escapes() {
        assert_eq!(split_first(r"uid=a\,b,ou=people,dc=x"), (r"uid=a\,b", "ou=people,dc=x"));
        assert_eq!(split_first(r"uid=a\2cb,dc=x"), (r"uid=a\2cb", "dc=x"));
        assert_eq!(split_first("dc=x"), ("dc=x", ""));
    }

    #[test]
    fn normalize_ignores_case_and_spaces() {
        assert_eq!(normalize("UID=Bob, OU=People,dc=X"), normalize("uid=bob,ou=people,dc=x"));
    }
}
