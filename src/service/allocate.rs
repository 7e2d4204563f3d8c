//! Numbers picked for new entries (posixAccount `uidNumber`, `gidNumber`): the next one after the
//! highest in use, or the lowest free one once the range's top is reached.

use super::error::{Result, ServiceError};
use super::Service;
use crate::ldap::{LdapFilter, Scope, SearchRequest};
use crate::mapping::{Allocation, ResourceMapping};

impl Service {
    /// A number in the allocation's range that no entry below the resource's base holds. Allocations in
    /// this process are serialized and remembered, so that concurrent creates never pick the same
    /// number; each pick is still checked against the directory, which other writers may have changed.
    pub(super) async fn allocate(&self, m: &ResourceMapping, allocation: &Allocation) -> Result<u64> {
        let key = format!("{}:{}", m.kind.name(), allocation.ldap.to_ascii_lowercase());
        let mut next = self.allocations.lock().await;
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

    async fn numbers_in_use(&self, m: &ResourceMapping, allocation: &Allocation) -> Result<Vec<u64>> {
        let request = SearchRequest {
            base: m.base.clone(),
            scope: Scope::Sub,
            filter: LdapFilter::Present(allocation.ldap.clone()),
            attrs: vec![allocation.ldap.clone()],
            size_limit: 0,
        };
        let entries = self.directory.search_all(&request, 1000).await?;
        let mut numbers: Vec<u64> = entries
            .iter()
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

    async fn number_in_use(&self, m: &ResourceMapping, allocation: &Allocation, number: u64) -> Result<bool> {
        let request = SearchRequest {
            base: m.base.clone(),
            scope: Scope::Sub,
            filter: LdapFilter::eq(&allocation.ldap, &number.to_string()),
            attrs: vec!["1.1".into()],
            size_limit: 1,
        };
        Ok(!self.directory.search(&request).await?.is_empty())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_after_the_highest_or_the_lowest_gap() {
        let range = Allocation {
            ldap: "uidNumber".into(),
            from: 10,
            to: 13,
        };
        assert_eq!(first_free(&range, &[], true), 10);
        assert_eq!(first_free(&range, &[10, 12], true), 13);
        assert_eq!(first_free(&range, &[10, 12, 13], false), 11);
        assert_eq!(first_free(&range, &[10, 11, 12, 13], false), 14);
    }
}
