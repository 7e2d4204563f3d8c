//! A typed LDAP filter (RFC 4515). Values are escaped when the filter is rendered, so no caller ever
//! builds a filter string by concatenation.

use std::fmt;

use ldap3::ldap_escape;

use super::guid;

const BIT_AND_RULE: &str = "1.2.840.113556.1.4.803";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LdapFilter {
    Equal(String, String),
    /// `(attr=initial*any*final)`: each part is escaped; `None` parts are absent.
    Substring {
        attr: String,
        initial: Option<String>,
        any: Vec<String>,
        last: Option<String>,
    },
    GreaterOrEqual(String, String),
    LessOrEqual(String, String),
    Present(String),
    And(Vec<LdapFilter>),
    Or(Vec<LdapFilter>),
    Not(Box<LdapFilter>),
    /// `(attr:1.2.840.113556.1.4.803:=mask)`: the integer's bits in `mask` are all set (Active
    /// Directory's LDAP_MATCHING_RULE_BIT_AND, also in 389 DS).
    BitsSet(String, u64),
    /// A filter an administrator wrote in the mapping file, validated at startup. Never user input.
    Raw(String),
}

impl LdapFilter {
    pub fn eq(attr: &str, value: &str) -> Self {
        LdapFilter::Equal(attr.to_string(), value.to_string())
    }

    /// The attributes compared by order (`>=`, `<=`) anywhere in the filter.
    pub fn ordered_attributes(&self) -> Vec<&str> {
        match self {
            LdapFilter::GreaterOrEqual(attr, _) | LdapFilter::LessOrEqual(attr, _) => vec![attr.as_str()],
            LdapFilter::And(parts) | LdapFilter::Or(parts) => parts.iter().flat_map(LdapFilter::ordered_attributes).collect(),
            LdapFilter::Not(inner) => inner.ordered_attributes(),
            _ => Vec::new(),
        }
    }

    /// The filter with each order comparison (`>=`, `<=`) on an attribute of `known` (lower-cased
    /// name → every value the attribute holds) replaced by equality matches of the values that satisfy
    /// it, compared as lower-cased text (RFC 7644 §3.4.2.2's lexicographic order): for attributes the
    /// directory cannot order itself.
    pub fn with_orders_resolved(self, known: &std::collections::HashMap<String, Vec<String>>) -> LdapFilter {
        let (attr, bound, at_least) = match self {
            LdapFilter::GreaterOrEqual(attr, bound) => (attr, bound, true),
            LdapFilter::LessOrEqual(attr, bound) => (attr, bound, false),
            LdapFilter::And(parts) => return LdapFilter::and(parts.into_iter().map(|p| p.with_orders_resolved(known)).collect()),
            LdapFilter::Or(parts) => return LdapFilter::or(parts.into_iter().map(|p| p.with_orders_resolved(known)).collect()),
            LdapFilter::Not(inner) => return LdapFilter::Not(Box::new(inner.with_orders_resolved(known))),
            other => return other,
        };
        let Some(values) = known.get(&attr.to_ascii_lowercase()) else {
            return if at_least {
                LdapFilter::GreaterOrEqual(attr, bound)
            } else {
                LdapFilter::LessOrEqual(attr, bound)
            };
        };
        let bound = bound.to_lowercase();
        let matching: Vec<LdapFilter> = values
            .iter()
            .filter(|v| {
                let v = v.to_lowercase();
                if at_least {
                    v >= bound
                } else {
                    v <= bound
                }
            })
            .map(|v| LdapFilter::eq(&attr, v))
            .collect();
        if matching.is_empty() {
            LdapFilter::none()
        } else {
            LdapFilter::or(matching)
        }
    }

    /// Always true: `(objectClass=*)`.
    pub fn any() -> Self {
        LdapFilter::Present("objectClass".to_string())
    }

    /// Always false: `(!(objectClass=*))`, which every server accepts (unlike RFC 4526 `(|)`).
    pub fn none() -> Self {
        LdapFilter::Not(Box::new(LdapFilter::any()))
    }

    /// Whether a directory finds this filter's matches by equality lookups: an equality (other than
    /// of `objectClass`, whose index key lists a whole type), an AND with one, an OR of them.
    pub fn found_by_equality(&self) -> bool {
        match self {
            LdapFilter::Equal(attr, _) => !attr.eq_ignore_ascii_case("objectClass"),
            LdapFilter::And(parts) => parts.iter().any(LdapFilter::found_by_equality),
            LdapFilter::Or(parts) => !parts.is_empty() && parts.iter().all(LdapFilter::found_by_equality),
            _ => false,
        }
    }

    /// Joins with AND, flattening and dropping no-op terms.
    pub fn and(filters: Vec<LdapFilter>) -> Self {
        let mut parts = Vec::new();
        for f in filters {
            match f {
                LdapFilter::And(inner) => parts.extend(inner),
                f => parts.push(f),
            }
        }
        if parts.len() == 1 {
            parts.remove(0)
        } else {
            LdapFilter::And(parts)
        }
    }

    pub fn or(filters: Vec<LdapFilter>) -> Self {
        let mut parts = Vec::new();
        for f in filters {
            match f {
                LdapFilter::Or(inner) => parts.extend(inner),
                f => parts.push(f),
            }
        }
        if parts.len() == 1 {
            parts.remove(0)
        } else {
            LdapFilter::Or(parts)
        }
    }
}

impl fmt::Display for LdapFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LdapFilter::Equal(a, v) if guid::is_guid_attribute(a) => match guid::to_stored(v) {
                Some(stored) => {
                    write!(f, "({a}=")?;
                    stored.iter().try_for_each(|byte| write!(f, "\\{byte:02x}"))?;
                    f.write_str(")")
                }
                // Not a GUID: nothing can match.
                None => write!(f, "{}", LdapFilter::none()),
            },
            LdapFilter::Equal(a, v) => write!(f, "({a}={})", ldap_escape(v.as_str())),
            LdapFilter::BitsSet(a, mask) => write!(f, "({a}:{BIT_AND_RULE}:={mask})"),
            LdapFilter::GreaterOrEqual(a, v) => write!(f, "({a}>={})", ldap_escape(v.as_str())),
            LdapFilter::LessOrEqual(a, v) => write!(f, "({a}<={})", ldap_escape(v.as_str())),
            LdapFilter::Present(a) => write!(f, "({a}=*)"),
            LdapFilter::Substring { attr, initial, any, last } => {
                write!(f, "({attr}=")?;
                if let Some(i) = initial {
                    f.write_str(&ldap_escape(i.as_str()))?;
                }
                f.write_str("*")?;
                for part in any {
                    write!(f, "{}*", ldap_escape(part.as_str()))?;
                }
                if let Some(l) = last {
                    f.write_str(&ldap_escape(l.as_str()))?;
                }
                f.write_str(")")
            }
            LdapFilter::And(parts) => {
                f.write_str("(&")?;
                for p in parts {
                    write!(f, "{p}")?;
                }
                f.write_str(")")
            }
            LdapFilter::Or(parts) => {
                f.write_str("(|")?;
                for p in parts {
                    write!(f, "{p}")?;
                }
                f.write_str(")")
            }
            LdapFilter::Not(inner) => write!(f, "(!{inner})"),
            LdapFilter::Raw(raw) => f.write_str(raw),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_lookups_are_told_from_scans() {
        let eq = |a: &str| LdapFilter::eq(a, "x");
        assert!(eq("uid").found_by_equality());
        assert!(LdapFilter::and(vec![LdapFilter::Present("title".into()), eq("mail")]).found_by_equality());
        assert!(LdapFilter::or(vec![eq("entryUUID"), eq("entryUUID")]).found_by_equality());
        assert!(!LdapFilter::or(vec![eq("uid"), LdapFilter::Present("mail".into())]).found_by_equality());
        assert!(!eq("objectClass").found_by_equality(), "an objectClass key lists a whole type");
        assert!(!LdapFilter::Not(Box::new(eq("uid"))).found_by_equality());
        assert!(
            !LdapFilter::Raw("(uid=x)".into()).found_by_equality(),
            "an administrator's filter is not looked into"
        );
    }

    #[test]
    fn orders_on_attributes_without_an_ordering_rule_become_equality_matches() {
        let known =
            std::collections::HashMap::from([("sn".to_string(), vec!["Adams".to_string(), "carter".to_string(), "Zed".to_string()])]);
        let filter = LdapFilter::and(vec![
            LdapFilter::GreaterOrEqual("sn".into(), "C".into()),
            LdapFilter::Not(Box::new(LdapFilter::eq("sn", "C"))),
            LdapFilter::LessOrEqual("modifyTimestamp".into(), "2026".into()),
        ]);
        assert_eq!(
            filter.with_orders_resolved(&known).to_string(),
            "(&(|(sn=carter)(sn=Zed))(!(sn=C))(modifyTimestamp<=2026))"
        );
        let none = LdapFilter::LessOrEqual("SN".into(), "A".into()).with_orders_resolved(&known);
        assert_eq!(none, LdapFilter::none());
    }

    #[test]
    fn hostile_values_cannot_widen_the_filter() {
        assert_eq!(LdapFilter::eq("uid", "*)(uid=*").to_string(), r"(uid=\2a\29\28uid=\2a)");
        assert_eq!(LdapFilter::eq("uid", "a\\b").to_string(), r"(uid=a\5cb)");
        assert_eq!(LdapFilter::eq("uid", "a\0b").to_string(), r"(uid=a\00b)");
        assert_eq!(LdapFilter::eq("cn", "Jösé").to_string(), "(cn=Jösé)");
    }

    #[test]
    fn guids_are_compared_as_stored_bytes() {
        assert_eq!(
            LdapFilter::eq("objectGUID", "00112233-4455-6677-8899-aabbccddeeff").to_string(),
            r"(objectGUID=\33\22\11\00\55\44\77\66\88\99\aa\bb\cc\dd\ee\ff)"
        );
        assert_eq!(LdapFilter::eq("objectGUID", "*)(cn=*").to_string(), "(!(objectClass=*))");
        assert_eq!(
            LdapFilter::BitsSet("userAccountControl".into(), 2).to_string(),
            "(userAccountControl:1.2.840.113556.1.4.803:=2)"
        );
    }

    #[test]
    fn substring_parts_are_escaped() {
        let f = LdapFilter::Substring {
            attr: "mail".into(),
            initial: Some("a*".into()),
            any: vec![],
            last: None,
        };
        assert_eq!(f.to_string(), r"(mail=a\2a*)");
    }

    #[test]
    fn and_or_flatten() {
        let f = LdapFilter::and(vec![
            LdapFilter::and(vec![LdapFilter::any(), LdapFilter::eq("a", "1")]),
            LdapFilter::eq("b", "2"),
        ]);
        assert_eq!(f.to_string(), "(&(objectClass=*)(a=1)(b=2))");
        assert_eq!(LdapFilter::or(vec![LdapFilter::eq("a", "1")]).to_string(), "(a=1)");
    }
}
