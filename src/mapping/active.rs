//! How an account's `active` state is stored: LDAP has no standard for a disabled account, so the
//! mapping names one of two shapes, and this is the one place that reads, filters and writes it.

use super::error::TranslateError;
use crate::ldap::{Entry, LdapFilter, Modification};

/// The state, and what else enabling writes.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveMap {
    pub state: ActiveState,
    /// Written when an account is enabled again (`on_enable`): AD's `lockoutTime: 0` clears a
    /// lockout; no values removes the attribute.
    pub on_enable: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ActiveState {
    /// A marker value: `pwdAccountLockedTime: 000001010000Z` (OpenLDAP ppolicy), `nsAccountLock: true`
    /// (389 DS, FreeIPA), `msDS-UserAccountDisabled: TRUE` (AD LDS). An enabled account holds
    /// `enabled_value`, or no value at all.
    Value {
        attribute: String,
        disabled_value: String,
        enabled_value: Option<String>,
    },
    /// One bit of an integer attribute: Active Directory's `userAccountControl` bit 0x2. Every other
    /// bit is kept as stored; a new entry starts from `new_value`.
    Bit { attribute: String, bit: u64, new_value: u64 },
}

impl ActiveMap {
    pub fn attribute(&self) -> &str {
        match &self.state {
            ActiveState::Value { attribute, .. } | ActiveState::Bit { attribute, .. } => attribute,
        }
    }

    pub fn is_active(&self, entry: &Entry) -> bool {
        match &self.state {
            ActiveState::Value {
                attribute, disabled_value, ..
            } => !entry.get(attribute).iter().any(|v| v.eq_ignore_ascii_case(disabled_value)),
            ActiveState::Bit { attribute, bit, .. } => entry.first(attribute).and_then(parse_flags).is_none_or(|flags| flags & bit == 0),
        }
    }

    /// Matches the disabled accounts.
    pub fn disabled_filter(&self) -> LdapFilter {
        match &self.state {
            ActiveState::Value {
                attribute, disabled_value, ..
            } => LdapFilter::eq(attribute, disabled_value),
            ActiveState::Bit { attribute, bit, .. } => LdapFilter::BitsSet(attribute.clone(), *bit),
        }
    }

    /// The values a new entry stores.
    pub fn new_values(&self, active: bool) -> Vec<String> {
        match &self.state {
            ActiveState::Value {
                disabled_value,
                enabled_value,
                ..
            } => match active {
                true => enabled_value.iter().cloned().collect(),
                false => vec![disabled_value.clone()],
            },
            ActiveState::Bit { bit, new_value, .. } => vec![with_bit(*new_value, *bit, !active).to_string()],
        }
    }

    /// Whether a state reads back from the values `new_values` gives.
    pub fn is_active_in(&self, values: &[String]) -> bool {
        match &self.state {
            ActiveState::Value { disabled_value, .. } => !values.iter().any(|v| v.eq_ignore_ascii_case(disabled_value)),
            ActiveState::Bit { bit, .. } => values.first().and_then(|v| parse_flags(v)).is_none_or(|f| f & bit == 0),
        }
    }

    /// The write that sets the state without reading the entry first; `None` when the state shares its
    /// attribute with other data (a bit), which must be read to be kept, or when enabling writes more.
    pub fn blind_write(&self, active: bool) -> Option<Modification> {
        match &self.state {
            ActiveState::Value { attribute, .. } if !active || self.on_enable.is_empty() => {
                Some(Modification::Replace(attribute.clone(), self.new_values(active)))
            }
            _ => None,
        }
    }

    /// The modifications that set the state of `entry` as read, none when it has it already. A bit is
    /// changed by deleting the value read and adding the new one in one modify, so that the write
    /// fails (result 16, noSuchAttribute) rather than undo a change made in between. A stored bit
    /// field that is no number is refused: its other flags cannot be kept, nor its state known.
    pub fn writes(&self, entry: &Entry, active: bool) -> Result<Vec<Modification>, TranslateError> {
        let stored_flags = match &self.state {
            ActiveState::Bit { attribute, .. } => match entry.first(attribute) {
                Some(stored) => {
                    let flags = parse_flags(stored).ok_or_else(|| TranslateError::UnreadableState {
                        entry: entry.dn.clone(),
                        attribute: attribute.clone(),
                        value: stored.to_string(),
                    })?;
                    Some((stored, flags))
                }
                None => None,
            },
            ActiveState::Value { .. } => None,
        };
        if self.is_active(entry) == active {
            return Ok(Vec::new());
        }
        let attribute = self.attribute().to_string();
        let mut writes = match (&self.state, stored_flags) {
            (ActiveState::Bit { bit, .. }, Some((stored, flags))) => vec![
                Modification::Delete(attribute.clone(), vec![stored.to_string()]),
                Modification::Add(attribute, vec![with_bit(flags, *bit, !active).to_string()]),
            ],
            _ => vec![Modification::Replace(attribute, self.new_values(active))],
        };
        if active {
            writes.extend(
                self.on_enable
                    .iter()
                    .map(|(attr, values)| Modification::Replace(attr.clone(), values.clone())),
            );
        }
        Ok(writes)
    }
}

/// Whether a SCIM resource asks for an active account: unless it says `active: false` (an account
/// always has a state, and a request without one creates an active account).
pub fn wants_active(resource: &serde_json::Map<String, serde_json::Value>) -> bool {
    !resource
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("active") && v == &serde_json::Value::Bool(false))
}

/// AD writes `userAccountControl` as a signed 32-bit integer; read it either way.
fn parse_flags(text: &str) -> Option<u64> {
    let text = text.trim();
    text.parse::<u64>()
        .ok()
        .or_else(|| text.parse::<i32>().ok().map(|signed| u64::from(signed as u32)))
}

fn with_bit(flags: u64, bit: u64, set: bool) -> u64 {
    if set {
        flags | bit
    } else {
        flags & !bit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account_control() -> ActiveMap {
        ActiveMap {
            state: ActiveState::Bit {
                attribute: "userAccountControl".into(),
                bit: 2,
                new_value: 512,
            },
            on_enable: vec![("lockoutTime".into(), vec!["0".into()])],
        }
    }

    fn entry_with(attr: &str, value: &str) -> Entry {
        let mut entry = Entry::new("cn=a,dc=x");
        entry.set(attr, vec![value.to_string()]);
        entry
    }

    #[test]
    fn a_bit_is_flipped_and_every_other_bit_kept() {
        let active = account_control();
        // NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD | ACCOUNTDISABLE
        let disabled = entry_with("userAccountControl", "66050");
        assert!(!active.is_active(&disabled));
        assert_eq!(
            active.writes(&disabled, true),
            Ok(vec![
                Modification::Delete("userAccountControl".into(), vec!["66050".into()]),
                Modification::Add("userAccountControl".into(), vec!["66048".into()]),
                Modification::Replace("lockoutTime".into(), vec!["0".into()]),
            ])
        );
        assert_eq!(active.writes(&disabled, false), Ok(Vec::new()));
        assert_eq!(active.new_values(false), vec!["514".to_string()]);
        assert_eq!(active.blind_write(false), None);
        assert_eq!(
            active.disabled_filter().to_string(),
            "(userAccountControl:1.2.840.113556.1.4.803:=2)"
        );
    }

    #[test]
    fn an_account_control_that_is_no_number_is_never_overwritten() {
        let active = account_control();
        let garbled = entry_with("userAccountControl", "0x202");
        for enable in [true, false] {
            match active.writes(&garbled, enable) {
                Err(TranslateError::UnreadableState { entry, attribute, value }) => {
                    assert_eq!(
                        (entry.as_str(), attribute.as_str(), value.as_str()),
                        ("cn=a,dc=x", "userAccountControl", "0x202")
                    );
                }
                other => panic!("{other:?}"),
            }
        }
        // No value at all is a state the mapping knows: the new-entry flags.
        assert_eq!(
            active.writes(&Entry::new("cn=a,dc=x"), false),
            Ok(vec![Modification::Replace("userAccountControl".into(), vec!["514".into()])])
        );
    }

    #[test]
    fn a_negative_account_control_is_read_as_its_bits() {
        assert!(!account_control().is_active(&entry_with("userAccountControl", "-2147483646")));
        assert!(account_control().is_active(&entry_with("userAccountControl", "-2147483648")));
    }

    #[test]
    fn a_marker_value_is_replaced_or_removed() {
        let mut active = ActiveMap {
            state: ActiveState::Value {
                attribute: "nsAccountLock".into(),
                disabled_value: "true".into(),
                enabled_value: None,
            },
            on_enable: Vec::new(),
        };
        assert!(!active.is_active(&entry_with("nsAccountLock", "TRUE")));
        assert_eq!(
            active.blind_write(true),
            Some(Modification::Replace("nsAccountLock".into(), Vec::new()))
        );
        assert_eq!(active.disabled_filter().to_string(), "(nsAccountLock=true)");
        // Enabling that writes more goes through a read, which tells whether the account was disabled.
        active.on_enable = vec![("passwordRetryCount".into(), vec!["0".into()])];
        assert_eq!(active.blind_write(true), None);
        assert!(active.blind_write(false).is_some());
    }
}
