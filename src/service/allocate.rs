//! Numbers picked for new entries (posixAccount `uidNumber`, `gidNumber`).
//!
//! With a `counter`, the directory hands the number out: the counter entry holds the next number, and
//! whoever's modify deletes the current value and adds the next owns the current one. The directory
//! applies each modify atomically, so two writers (gateway processes, replicas, other tools) that read
//! the same value cannot both succeed: the loser gets `noSuchAttribute` and reads again. Without a
//! counter, the number is the next after the highest in use, remembered in this process only.
//! Either way a number some entry already holds is skipped.

use std::time::Duration;

use super::error::{Result, ServiceError};
use super::Service;
use crate::ldap::error::rc;
use crate::ldap::{dn, names_only, Entry, LdapError, LdapFilter, Modification, Scope, SearchRequest};
use crate::mapping::{Allocation, Mapping, ResourceMapping};

/// Claims tried before a create gives up with 503: each lost claim means another writer took a
/// number meanwhile, so this many in a row only happens under a pile-up the client may retry.
const MAX_CLAIMS: u32 = 32;

/// The object classes of a counter entry the gateway creates: `device` (structural, needs only `cn`)
/// and `extensibleObject` (may hold any attribute) are in the standard schemas of OpenLDAP and 389 DS.
const COUNTER_CLASSES: [&str; 3] = ["top", "device", "extensibleObject"];

/// What a counter entry holds.
#[derive(Debug, PartialEq, Eq)]
enum Counter {
    /// No such entry yet.
    Missing,
    /// The entry exists without the attribute.
    Empty,
    /// The next number to hand out (the highest value, should several have been written).
    At(u64),
}

impl Service {
    /// A number in the allocation's range that no entry below the resource's base holds and that no
    /// other allocation hands out (with a counter: in any process; without: in this one).
    pub(super) async fn allocate(&self, m: &ResourceMapping, allocation: &Allocation) -> Result<u64> {
        // Serialized in this process either way: with a counter, so that this process's creates do
        // not contend with each other for it.
        let mut next = self.allocations.lock().await;
        if let Some(counter) = &allocation.counter {
            return self.allocate_by_counter(m, allocation, counter).await;
        }
        let key = format!("{}:{}", m.kind.name(), allocation.ldap.to_ascii_lowercase());
        let mut candidate = match next.get(&key) {
            Some(n) => *n,
            None => first_free(allocation, &self.numbers_in_use(m, allocation).await?, true),
        };
        while candidate <= allocation.to && self.number_in_use(m, allocation, candidate).await? {
            candidate += 1;
        }
        if candidate > allocation.to {
            candidate = first_free(allocation, &self.numbers_in_use(m, allocation).await?, false);
        }
        if candidate > allocation.to {
            return Err(ServiceError::Exhausted(format!(
                "no {} is free in {}..={}: widen the mapping's allocate range",
                allocation.ldap, allocation.from, allocation.to
            )));
        }
        next.insert(key, candidate + 1);
        Ok(candidate)
    }

    async fn allocate_by_counter(&self, m: &ResourceMapping, allocation: &Allocation, counter: &str) -> Result<u64> {
        let attr = &allocation.ldap;
        for attempt in 0..MAX_CLAIMS {
            let current = match self.read_counter(counter, attr).await? {
                Counter::At(n) => n,
                Counter::Missing => match self.create_counter(m, allocation, counter).await? {
                    Some(seeded) => seeded,
                    None => continue,
                },
                Counter::Empty => {
                    let seed = first_free(allocation, &self.numbers_in_use(m, allocation).await?, true);
                    match self
                        .directory
                        .modify_if(counter, &[Modification::Add(attr.clone(), vec![seed.to_string()])], None)
                        .await
                    {
                        Ok(()) => seed,
                        Err(e) if lost_claim(&e) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
            };
            let candidate = self.free_from(m, allocation, current.max(allocation.from)).await?;
            let claim = [
                Modification::Delete(attr.clone(), vec![current.to_string()]),
                Modification::Add(attr.clone(), vec![(candidate + 1).to_string()]),
            ];
            match self.directory.modify_if(counter, &claim, None).await {
                Ok(()) => return Ok(candidate),
                Err(e) if lost_claim(&e) => {
                    tracing::debug!(counter, attempt, "another writer took {attr} {current}: reading the counter again");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Contended(format!(
            "{MAX_CLAIMS} claims on the counter {counter} lost to other writers in a row"
        )))
    }

    /// `candidate`, or the next number above it that no entry holds; `Exhausted` past the range.
    async fn free_from(&self, m: &ResourceMapping, allocation: &Allocation, candidate: u64) -> Result<u64> {
        let free = if candidate > allocation.to {
            None
        } else if !self.number_in_use(m, allocation, candidate).await? {
            Some(candidate)
        } else {
            // Taken by a writer that does not use the counter (or a counter set back by hand): one
            // read of the numbers in use rather than a search per number.
            next_free(&self.numbers_in_use(m, allocation).await?, candidate, allocation.to)
        };
        free.ok_or_else(|| {
            ServiceError::Exhausted(format!(
                "no {} is free in {}..={} at or above {candidate} (counter {}): widen the mapping's allocate range, or set the counter back to a lower free number",
                allocation.ldap,
                allocation.from,
                allocation.to,
                allocation.counter.as_deref().unwrap_or_default()
            ))
        })
    }

    async fn read_counter(&self, counter: &str, attr: &str) -> Result<Counter> {
        let found = self
            .directory
            .search(&SearchRequest::entry(counter, LdapFilter::any(), vec![attr.to_string()]))
            .await;
        match found {
            Ok(entries) => counter_state(entries.first(), attr).map_err(ServiceError::Inconsistent),
            Err(LdapError::Result {
                rc: rc::NO_SUCH_OBJECT, ..
            }) => Ok(Counter::Missing),
            Err(e) => Err(e.into()),
        }
    }

    /// Adds the counter seeded with the number after the highest in use (its parent too, when that
    /// is a missing `ou=`), and answers the seed; `None` when another writer added it first.
    async fn create_counter(&self, m: &ResourceMapping, allocation: &Allocation, counter: &str) -> Result<Option<u64>> {
        let seed = first_free(allocation, &self.numbers_in_use(m, allocation).await?, true);
        let attrs = counter_entry(counter, &allocation.ldap, seed);
        let mut added = self.directory.add(counter, &attrs, &[]).await;
        if matches!(&added, Err(e) if e.result_code() == Some(rc::NO_SUCH_OBJECT)) {
            self.create_parent(counter).await?;
            added = self.directory.add(counter, &attrs, &[]).await;
        }
        match added {
            Ok(_) => {
                tracing::info!(counter, attr = %allocation.ldap, seed, "created the allocation counter");
                Ok(Some(seed))
            }
            Err(e) if e.result_code() == Some(rc::ENTRY_ALREADY_EXISTS) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn create_parent(&self, counter: &str) -> Result<()> {
        let (_, parent) = dn::split_first(counter);
        let (rdn, _) = dn::split_first(parent);
        let Some((_, value)) = dn::rdn_value(rdn).filter(|(attr, _)| attr.eq_ignore_ascii_case("ou")) else {
            return Err(ServiceError::Exhausted(format!(
                "the allocation counter's parent {parent} does not exist: create it (the gateway creates missing ou= parents only)"
            )));
        };
        let attrs = vec![
            ("objectClass".to_string(), vec!["top".to_string(), "organizationalUnit".to_string()]),
            ("ou".to_string(), vec![value]),
        ];
        match self.directory.add(parent, &attrs, &[]).await {
            Ok(_) => Ok(()),
            Err(e) if e.result_code() == Some(rc::ENTRY_ALREADY_EXISTS) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The allocation's numbers that entries below the resource's base hold, sorted; the counter
    /// entry, which may lie there too, is no holder.
    async fn numbers_in_use(&self, m: &ResourceMapping, allocation: &Allocation) -> Result<Vec<u64>> {
        let request = SearchRequest::new(
            &m.base,
            Scope::Sub,
            LdapFilter::Present(allocation.ldap.clone()),
            vec![allocation.ldap.clone()],
        );
        let entries = self.directory.search_all(&request, 1000).await?;
        let mut numbers: Vec<u64> = entries
            .iter()
            .filter(|e| !is_counter(allocation, e))
            .flat_map(|e| {
                e.get(&allocation.ldap)
                    .iter()
                    .filter_map(|v| v.trim().parse().ok())
                    .collect::<Vec<u64>>()
            })
            .filter(|n| (allocation.from..=allocation.to).contains(n))
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        Ok(numbers)
    }

    /// Whether an entry other than the counter holds `number`. Two holders (the size limit of 2
    /// exceeded, or both answered) are a duplicate other writers left: in use, and logged.
    async fn number_in_use(&self, m: &ResourceMapping, allocation: &Allocation, number: u64) -> Result<bool> {
        let request = SearchRequest::new(
            &m.base,
            Scope::Sub,
            LdapFilter::eq(&allocation.ldap, &number.to_string()),
            names_only(),
        )
        .limited(2);
        let holders = match self.directory.search(&request).await {
            Ok(found) => found.iter().filter(|e| !is_counter(allocation, e)).count(),
            Err(e) if e.result_code() == Some(rc::SIZE_LIMIT_EXCEEDED) => 2,
            Err(e) => return Err(e.into()),
        };
        if holders > 1 {
            tracing::warn!(attr = %allocation.ldap, number, "several entries hold this number: a writer without the counter left a duplicate");
        }
        Ok(holders > 0)
    }
}

/// Logs, once per load, how each allocation is kept free of duplicates: a counter holds across any
/// number of gateways; without one only this process's own creates are serialized.
pub fn log_allocations(mapping: &Mapping) {
    for m in std::iter::once(&mapping.users).chain(mapping.groups.as_ref()) {
        for a in &m.allocate {
            match &a.counter {
                Some(counter) => {
                    tracing::info!(resource = m.kind.name(), attr = %a.ldap, counter = %counter, "numbers are handed out by the directory's counter entry")
                }
                None => tracing::warn!(
                    resource = m.kind.name(),
                    attr = %a.ldap,
                    "allocate has no counter: numbers are safe from duplicates within one gateway process only; set `counter` before running several"
                ),
            }
        }
    }
}

fn is_counter(allocation: &Allocation, entry: &Entry) -> bool {
    allocation
        .counter
        .as_deref()
        .is_some_and(|c| dn::normalize(c) == dn::normalize(&entry.dn))
}

/// Another writer changed the counter between our read and our modify: the value we deleted is gone
/// (noSuchAttribute) or the one we add is there already.
fn lost_claim(err: &LdapError) -> bool {
    matches!(err.result_code(), Some(rc::NO_SUCH_ATTRIBUTE | rc::ATTRIBUTE_OR_VALUE_EXISTS))
}

/// A short, growing, jittered pause after a lost claim, so that writers that collided do not collide
/// again in lockstep.
fn backoff(attempt: u32) -> Duration {
    let jitter = (uuid::Uuid::new_v4().as_u128() % 1000) as u64;
    Duration::from_micros(jitter * u64::from(attempt.min(8) + 1))
}

fn counter_state(entry: Option<&Entry>, attr: &str) -> std::result::Result<Counter, String> {
    let Some(entry) = entry else { return Ok(Counter::Missing) };
    let mut highest = None;
    for value in entry.get(attr) {
        let n: u64 = value
            .trim()
            .parse()
            .map_err(|_| format!("the allocation counter {} holds {attr} '{value}', which is no number", entry.dn))?;
        highest = highest.max(Some(n));
    }
    Ok(highest.map_or(Counter::Empty, Counter::At))
}

/// The attributes of a new counter entry named by `counter`'s RDN, holding `attr: next`.
fn counter_entry(counter: &str, attr: &str, next: u64) -> Vec<(String, Vec<String>)> {
    let mut attrs = vec![("objectClass".to_string(), COUNTER_CLASSES.iter().map(|c| c.to_string()).collect())];
    let (rdn, _) = dn::split_first(counter);
    let (rdn_attr, rdn_value) = dn::rdn_value(rdn).unwrap_or(("cn", String::new()));
    if !rdn_attr.eq_ignore_ascii_case("cn") {
        attrs.push(("cn".to_string(), vec![rdn_value.clone()]));
    }
    attrs.push((rdn_attr.to_string(), vec![rdn_value]));
    attrs.push((attr.to_string(), vec![next.to_string()]));
    attrs
}

/// After the highest number in use (`after_highest`), or the lowest gap; above `to` when there is none.
/// `in_use` is sorted and within the range.
fn first_free(allocation: &Allocation, in_use: &[u64], after_highest: bool) -> u64 {
    if after_highest {
        return in_use.last().map_or(allocation.from, |n| n + 1);
    }
    let mut candidate = allocation.from;
    for &n in in_use {
        if n != candidate {
            break;
        }
        candidate += 1;
    }
    candidate
}

/// The lowest number from `candidate` up to `to` that `in_use` (sorted) lacks.
fn next_free(in_use: &[u64], mut candidate: u64, to: u64) -> Option<u64> {
    let start = in_use.partition_point(|&n| n < candidate);
    for &n in &in_use[start..] {
        if n != candidate {
            break;
        }
        candidate += 1;
    }
    (candidate <= to).then_some(candidate)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn range(counter: Option<&str>) -> Allocation {
        Allocation {
            ldap: "uidNumber".into(),
            from: 10,
            to: 13,
            counter: counter.map(str::to_string),
        }
    }

    #[test]
    fn picks_after_the_highest_or_the_lowest_gap() {
        let range = range(None);
        assert_eq!(first_free(&range, &[], true), 10);
        assert_eq!(first_free(&range, &[10, 12], true), 13);
        assert_eq!(first_free(&range, &[10, 12, 13], false), 11);
        assert_eq!(first_free(&range, &[10, 11, 12, 13], false), 14);
    }

    #[test]
    fn skips_numbers_in_use_up_to_the_top() {
        assert_eq!(next_free(&[], 11, 13), Some(11));
        assert_eq!(next_free(&[10, 11, 12], 11, 13), Some(13));
        assert_eq!(next_free(&[11, 13], 11, 13), Some(12));
        assert_eq!(next_free(&[11, 12, 13], 11, 13), None);
        assert_eq!(next_free(&[], 14, 13), None);
    }

    fn entry(dn: &str, values: &[&str]) -> Entry {
        let attrs = HashMap::from([("uidNumber".to_string(), values.iter().map(|v| v.to_string()).collect())]);
        Entry::from_parts(dn.to_string(), attrs)
    }

    #[test]
    fn reads_the_counter_as_its_highest_number() {
        assert_eq!(counter_state(None, "uidNumber"), Ok(Counter::Missing));
        assert_eq!(counter_state(Some(&entry("cn=n", &[])), "uidNumber"), Ok(Counter::Empty));
        assert_eq!(counter_state(Some(&entry("cn=n", &["12"])), "uidNumber"), Ok(Counter::At(12)));
        assert_eq!(counter_state(Some(&entry("cn=n", &["12", "15"])), "uidNumber"), Ok(Counter::At(15)));
        assert!(counter_state(Some(&entry("cn=n", &["x"])), "uidNumber").is_err_and(|e| e.contains("no number")));
    }

    #[test]
    fn a_new_counter_is_a_device_that_may_hold_the_number() {
        let attrs = counter_entry("cn=uidNext,ou=counters,dc=x", "uidNumber", 10000);
        assert_eq!(attrs[0].1, vec!["top", "device", "extensibleObject"]);
        assert!(attrs.contains(&("cn".to_string(), vec!["uidNext".to_string()])));
        assert!(attrs.contains(&("uidNumber".to_string(), vec!["10000".to_string()])));
        let named_by_uid = counter_entry("uid=next,dc=x", "gidNumber", 5);
        assert!(
            named_by_uid.contains(&("cn".to_string(), vec!["next".to_string()])),
            "device needs cn"
        );
        assert!(named_by_uid.contains(&("uid".to_string(), vec!["next".to_string()])));
    }

    #[test]
    fn the_counter_holds_no_number_in_use() {
        let allocation = range(Some("cn=uidNext,ou=counters,dc=x"));
        assert!(is_counter(&allocation, &entry("CN=uidNext, ou=counters,dc=x", &["11"])));
        assert!(!is_counter(&allocation, &entry("uid=a,ou=people,dc=x", &["11"])));
        assert!(!is_counter(&range(None), &entry("cn=uidNext,ou=counters,dc=x", &["11"])));
    }

    #[test]
    fn a_lost_claim_is_a_vanished_or_present_value() {
        let refused = |rc| LdapError::Result {
            op: "modify",
            rc,
            text: String::new(),
        };
        assert!(lost_claim(&refused(rc::NO_SUCH_ATTRIBUTE)));
        assert!(lost_claim(&refused(rc::ATTRIBUTE_OR_VALUE_EXISTS)));
        assert!(!lost_claim(&refused(rc::INSUFFICIENT_ACCESS)));
        assert!(backoff(100) < Duration::from_millis(10));
    }
}
