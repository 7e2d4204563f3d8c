//! Transforms: small steps between the values a client sends and what the directory stores, such as
//! `uid` from the local part of a UPN. Each step says whether it can be undone; a mapping whose steps
//! cannot must name where the SCIM value is read back from (`read_from`), which `compile` checks.

use regex::Regex;

use super::from_ldap::generalized_to_rfc3339;

#[derive(Debug, Clone)]
pub enum Step {
    /// `jdoe@contoso.com` → `jdoe`.
    LocalPart,
    /// `jdoe@contoso.com` → `contoso.com`.
    Domain,
    Lower,
    Upper,
    Trim,
    Prefix(String),
    Suffix(String),
    /// The first capture group (or the whole match) of a pattern.
    Capture(Regex),
    /// One value into several at a separator.
    Split(String),
    /// Several values into one with a separator.
    Join(String),
    /// RFC 3339 (SCIM `dateTime`) ↔ LDAP generalized time.
    GeneralizedTime,
    /// RFC 3339 ↔ seconds since 1970.
    UnixTime,
    /// SCIM `true`/`false` ↔ the directory's own two words.
    Boolean {
        yes: String,
        no: String,
    },
    /// Refuses a value longer than this many characters (AD's `sAMAccountName` holds 20), rather
    /// than let the directory cut it or refuse it with a less clear message.
    MaxLength(usize),
    /// Keeps the first this many characters (as Entra's `Left(…, 20)` does for `sAMAccountName`).
    Truncate(usize),
}

impl Step {
    pub fn name(&self) -> &'static str {
        match self {
            Step::LocalPart => "local_part",
            Step::Domain => "domain",
            Step::Lower => "lower",
            Step::Upper => "upper",
            Step::Trim => "trim",
            Step::Prefix(_) => "prefix",
            Step::Suffix(_) => "suffix",
            Step::Capture(_) => "regex",
            Step::Split(_) => "split",
            Step::Join(_) => "join",
            Step::GeneralizedTime | Step::UnixTime => "date",
            Step::Boolean { .. } => "boolean",
            Step::MaxLength(_) => "max_length",
            Step::Truncate(_) => "truncate",
        }
    }

    /// Whether the stored value gives back what was sent. Case changes count as undone where the SCIM
    /// attribute compares without case (RFC 7643 `caseExact: false`).
    pub fn reversible(&self, case_exact: bool) -> bool {
        match self {
            Step::LocalPart | Step::Domain | Step::Capture(_) | Step::Truncate(_) => false,
            Step::Lower | Step::Upper => !case_exact,
            _ => true,
        }
    }

    /// Whether a substring of a value maps to the substring of the stored value (for `co`, `sw`, `ew`).
    fn keeps_substrings(&self) -> bool {
        matches!(self, Step::Lower | Step::Upper | Step::Trim | Step::MaxLength(_))
    }

    fn forward(&self, values: Vec<String>) -> Result<Vec<String>, String> {
        let each = |f: &dyn Fn(&str) -> Result<String, String>| values.iter().map(|v| f(v)).collect::<Result<Vec<_>, _>>();
        match self {
            Step::LocalPart => each(&|v| Ok(v.rsplit_once('@').map_or(v, |(local, _)| local).to_string())),
            Step::Domain => each(&|v| {
                v.rsplit_once('@')
                    .map(|(_, domain)| domain.to_string())
                    .ok_or_else(|| format!("'{v}' has no domain"))
            }),
            Step::Lower => each(&|v| Ok(v.to_lowercase())),
            Step::Upper => each(&|v| Ok(v.to_uppercase())),
            Step::Trim => each(&|v| Ok(v.trim().to_string())),
            Step::Prefix(p) => each(&|v| Ok(format!("{p}{v}"))),
            Step::Suffix(s) => each(&|v| Ok(format!("{v}{s}"))),
            Step::Capture(re) => each(&|v| {
                let captures = re.captures(v).ok_or_else(|| format!("'{v}' does not match {}", re.as_str()))?;
                let found = captures.get(1).or_else(|| captures.get(0)).map_or("", |m| m.as_str());
                Ok(found.to_string())
            }),
            Step::Split(sep) => Ok(values
                .iter()
                .flat_map(|v| v.split(sep.as_str()).map(str::trim).filter(|p| !p.is_empty()).map(str::to_string))
                .collect()),
            Step::Join(sep) => Ok(if values.is_empty() { values } else { vec![values.join(sep)] }),
            Step::Truncate(limit) => each(&|v| Ok(v.chars().take(*limit).collect())),
            Step::MaxLength(limit) => each(&|v| match v.chars().count() {
                length if length > *limit => Err(format!(
                    "'{v}' is {length} characters long, more than the {limit} the directory holds"
                )),
                _ => Ok(v.to_string()),
            }),
            Step::GeneralizedTime => each(&|v| rfc3339_to_generalized(v)),
            Step::UnixTime => each(&|v| {
                parse_rfc3339(v)
                    .map(|t| t.unix_timestamp().to_string())
                    .ok_or_else(|| format!("'{v}' is not an RFC 3339 date-time"))
            }),
            Step::Boolean { yes, no } => each(&|v| match v.to_ascii_lowercase().as_str() {
                "true" => Ok(yes.clone()),
                "false" => Ok(no.clone()),
                _ => Err(format!("'{v}' is not a boolean")),
            }),
        }
    }

    /// The SCIM values stored `values` came from; only called on reversible steps.
    fn backward(&self, values: Vec<String>) -> Vec<String> {
        match self {
            Step::Prefix(p) => values
                .into_iter()
                .map(|v| v.strip_prefix(p.as_str()).map_or(v.clone(), str::to_string))
                .collect(),
            Step::Suffix(s) => values
                .into_iter()
                .map(|v| v.strip_suffix(s.as_str()).map_or(v.clone(), str::to_string))
                .collect(),
            Step::Split(sep) => {
                if values.is_empty() {
                    values
                } else {
                    vec![values.join(sep)]
                }
            }
            Step::Join(sep) => Step::Split(sep.clone()).forward(values).unwrap_or_default(),
            Step::GeneralizedTime => values.iter().filter_map(|v| generalized_to_rfc3339(v)).collect(),
            Step::UnixTime => values
                .iter()
                .filter_map(|v| v.parse::<i64>().ok())
                .filter_map(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
                .filter_map(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
                .collect(),
            Step::Boolean { yes, no } => values
                .into_iter()
                .filter_map(|v| {
                    if v.eq_ignore_ascii_case(yes) {
                        Some("TRUE".to_string())
                    } else if v.eq_ignore_ascii_case(no) {
                        Some("FALSE".to_string())
                    } else {
                        None
                    }
                })
                .collect(),
            Step::LocalPart
            | Step::Domain
            | Step::Lower
            | Step::Upper
            | Step::Trim
            | Step::Capture(_)
            | Step::MaxLength(_)
            | Step::Truncate(_) => values,
        }
    }
}

fn parse_rfc3339(text: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.to_offset(time::UtcOffset::UTC))
}

/// An RFC 3339 date-time (SCIM `dateTime`) as LDAP generalized time in UTC.
pub(super) fn rfc3339_to_generalized(text: &str) -> Result<String, String> {
    let format = time::macros::format_description!("[year][month][day][hour][minute][second]Z");
    parse_rfc3339(text)
        .and_then(|t| t.format(&format).ok())
        .ok_or_else(|| format!("'{text}' is not an RFC 3339 date-time"))
}

/// The steps of one mapped attribute, applied in order on the way to LDAP and undone in reverse.
#[derive(Debug, Clone, Default)]
pub struct Transform {
    pub steps: Vec<Step>,
}

impl Transform {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The first step that cannot be undone.
    pub fn lossy_step(&self, case_exact: bool) -> Option<&Step> {
        self.steps.iter().find(|s| !s.reversible(case_exact))
    }

    /// What the directory stores for `values`; an error says why a value cannot be stored.
    pub fn forward(&self, values: Vec<String>) -> Result<Vec<String>, String> {
        let sent = values.first().cloned();
        let stored: Vec<String> = self
            .steps
            .iter()
            .try_fold(values, |values, step| step.forward(values))?
            .into_iter()
            .filter(|v| !v.is_empty())
            .collect();
        match sent {
            Some(sent) if stored.is_empty() => Err(format!("'{sent}' leaves nothing to store")),
            _ => Ok(stored),
        }
    }

    /// The SCIM values of what the directory stores (for a transform without lossy steps).
    pub fn backward(&self, values: Vec<String>) -> Vec<String> {
        self.steps.iter().rev().fold(values, |values, step| step.backward(values))
    }

    /// The stored form of one value in a filter: `None` when it has not exactly one.
    pub fn forward_one(&self, value: &str) -> Option<String> {
        let mut out = self.forward(vec![value.to_string()]).ok()?;
        (out.len() == 1).then(|| out.remove(0))
    }

    /// Whether `co`, `sw` and `ew` can compare the stored value with a transformed substring.
    pub fn keeps_substrings(&self) -> bool {
        self.steps.iter().all(Step::keeps_substrings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(steps: Vec<Step>, values: &[&str]) -> Result<Vec<String>, String> {
        Transform { steps }.forward(values.iter().map(|v| v.to_string()).collect())
    }

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn each_step_transforms() {
        let re = Regex::new("^emp-(\\d+)$").map_err(|e| e.to_string());
        type Case = (Vec<Step>, &'static [&'static str], Result<Vec<String>, String>);
        let cases: Vec<Case> = vec![
            (vec![Step::LocalPart], &["jdoe@contoso.com"], Ok(strings(&["jdoe"]))),
            (vec![Step::LocalPart], &["jdoe"], Ok(strings(&["jdoe"]))),
            (vec![Step::Domain], &["jdoe@contoso.com"], Ok(strings(&["contoso.com"]))),
            (vec![Step::Domain], &["jdoe"], Err("'jdoe' has no domain".into())),
            (vec![Step::Trim, Step::Lower], &["  JDoe "], Ok(strings(&["jdoe"]))),
            (vec![Step::Upper], &["ab"], Ok(strings(&["AB"]))),
            (
                vec![Step::Prefix("x-".into()), Step::Suffix("-y".into())],
                &["a"],
                Ok(strings(&["x-a-y"])),
            ),
            (vec![Step::Split(";".into())], &["a; b;;c"], Ok(strings(&["a", "b", "c"]))),
            (vec![Step::Join(",".into())], &["a", "b"], Ok(strings(&["a,b"]))),
            (
                vec![Step::GeneralizedTime],
                &["2026-11-25T02:03:04+01:00"],
                Ok(strings(&["20261125010304Z"])),
            ),
            (
                vec![Step::GeneralizedTime],
                &["yesterday"],
                Err("'yesterday' is not an RFC 3339 date-time".into()),
            ),
            (vec![Step::UnixTime], &["1970-01-02T00:00:00Z"], Ok(strings(&["86400"]))),
            (vec![Step::LocalPart, Step::MaxLength(5)], &["jdoe@x.org"], Ok(strings(&["jdoe"]))),
            (vec![Step::Truncate(3)], &["jdöe"], Ok(strings(&["jdö"]))),
            (
                vec![Step::MaxLength(3)],
                &["jdoe"],
                Err("'jdoe' is 4 characters long, more than the 3 the directory holds".into()),
            ),
            (
                vec![Step::Boolean {
                    yes: "Y".into(),
                    no: "N".into(),
                }],
                &["TRUE", "false"],
                Ok(strings(&["Y", "N"])),
            ),
        ];
        for (steps, input, expected) in cases {
            let names: Vec<&str> = steps.iter().map(Step::name).collect();
            assert_eq!(run(steps, input), expected, "{names:?} on {input:?}");
        }
        let capture = re.map(|re| run(vec![Step::Capture(re)], &["emp-042"]));
        assert_eq!(capture, Ok(Ok(strings(&["042"]))));
    }

    #[test]
    fn reversible_steps_give_back_what_was_sent() {
        let transforms = [
            (vec![Step::Prefix("x-".into()), Step::Suffix("-y".into())], "a"),
            (vec![Step::Split(";".into())], "a;b"),
            (vec![Step::GeneralizedTime], "2026-11-25T01:03:04Z"),
            (vec![Step::UnixTime], "2026-11-25T01:03:04Z"),
            (
                vec![Step::Boolean {
                    yes: "1".into(),
                    no: "0".into(),
                }],
                "TRUE",
            ),
        ];
        for (steps, sent) in transforms {
            let transform = Transform { steps };
            assert!(transform.lossy_step(true).is_none());
            let stored = transform.forward(strings(&[sent]));
            assert_eq!(stored.map(|s| transform.backward(s)), Ok(strings(&[sent])), "{transform:?}");
        }
        let join = Transform {
            steps: vec![Step::Join(",".into())],
        };
        assert_eq!(join.backward(strings(&["a,b"])), strings(&["a", "b"]));
    }

    #[test]
    fn lossy_steps_are_named() {
        let transform = Transform {
            steps: vec![Step::Lower, Step::LocalPart],
        };
        assert_eq!(transform.lossy_step(false).map(Step::name), Some("local_part"));
        assert_eq!(transform.lossy_step(true).map(Step::name), Some("lower"));
        assert!(!transform.keeps_substrings());
        assert_eq!(transform.forward_one("JDoe@X.org").as_deref(), Some("jdoe"));
    }
}
