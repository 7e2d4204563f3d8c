//! A paged search that stays open between requests (RFC 2696 Simple Paged Results), so that a client
//! paging through a large list is served page after page without the directory re-reading what it
//! already sent. It runs on a connection of its own: servers keep one paged search per connection, and
//! any other paged search on a shared connection would cancel it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ldap3::controls::{Control, PagedResults, RawControl};
use ldap3::Ldap;

use super::entry::{entries_of, Entry};
use super::error::LdapError;
use super::request::SearchRequest;
use crate::metrics::Metrics;

const PAGED_RESULTS_OID: &str = "1.2.840.113556.1.4.319";

pub struct PagedSearch {
    source: Source,
    request: SearchRequest,
    cookie: Vec<u8>,
    finished: bool,
    timeout: Duration,
    /// Where each page is counted, as `search_page`, when the directory is measured.
    metrics: Option<Arc<Metrics>>,
    /// The attribute the directory sorts the pages by (Server Side Sort), if any.
    sorted_by: Option<String>,
}

/// Where the pages come from: the directory, or (for a fake directory) entries already listed.
enum Source {
    Server(Ldap),
    Listed(std::vec::IntoIter<Entry>),
}

impl PagedSearch {
    pub(super) fn new(ldap: Ldap, request: SearchRequest, timeout: Duration) -> Self {
        Self::over(Source::Server(ldap), request, timeout)
    }

    /// A paged search that serves `entries` (what `request` matched) page by page from memory: for a
    /// directory that is not a server, such as the fake one of the unit tests.
    pub fn from_entries(entries: Vec<Entry>, request: SearchRequest) -> Self {
        Self::over(Source::Listed(entries.into_iter()), request, Duration::ZERO)
    }

    fn over(source: Source, request: SearchRequest, timeout: Duration) -> Self {
        PagedSearch {
            source,
            request,
            cookie: Vec::new(),
            finished: false,
            timeout,
            metrics: None,
            sorted_by: None,
        }
    }

    /// The same search, its pages sorted by `attr` on the directory (with every page's request, as
    /// RFC 2891 asks); for a directory that `offers_vlv`.
    pub fn sorted_by(self, attr: &str) -> Self {
        PagedSearch {
            sorted_by: Some(attr.to_string()),
            ..self
        }
    }

    pub(super) fn measured(self, metrics: Arc<Metrics>) -> Self {
        PagedSearch {
            metrics: Some(metrics),
            ..self
        }
    }

    /// The next `size` entries (fewer at the end); none once the search is exhausted.
    pub async fn next_page(&mut self, size: i32) -> Result<Vec<Entry>, LdapError> {
        if self.finished {
            return Ok(Vec::new());
        }
        let started = Instant::now();
        let page = self.read_page(size).await;
        if let Some(metrics) = &self.metrics {
            super::operation_metrics::record(metrics, "search_page", started, &page);
        }
        page
    }

    async fn read_page(&mut self, size: i32) -> Result<Vec<Entry>, LdapError> {
        let ldap = match &mut self.source {
            Source::Server(ldap) => ldap,
            Source::Listed(rest) => {
                let page: Vec<Entry> = rest.by_ref().take(usize::try_from(size).unwrap_or(0).max(1)).collect();
                self.finished = rest.as_slice().is_empty();
                return Ok(page);
            }
        };
        let mut controls: Vec<RawControl> = vec![PagedResults {
            size,
            cookie: self.cookie.clone(),
        }
        .into()];
        controls.extend(self.sorted_by.as_deref().map(super::vlv::sort_by));
        let filter = self.request.filter.to_string();
        let (entries, result) = ldap
            .with_timeout(self.timeout)
            .with_controls(controls)
            .search(&self.request.base, self.request.scope.into(), &filter, &self.request.attrs)
            .await
            .and_then(|r| r.success())
            .map_err(|e| LdapError::from_ldap3("paged search", e))?;
        self.cookie = cookie_of(&result.ctrls).unwrap_or_default();
        self.finished = self.cookie.is_empty();
        let mut entries = entries_of("paged search", entries)?;
        for entry in entries.iter_mut().filter(|e| e.has_ranges()) {
            super::ranged::complete(ldap, self.timeout, entry).await?;
        }
        Ok(entries)
    }

    /// Whether the directory has sent the last page.
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}

/// The cookie of a paged-results response control; an empty one ends the search. Parsed here rather
/// than by ldap3, whose parser panics on a malformed value.
fn cookie_of(ctrls: &[Control]) -> Option<Vec<u8>> {
    let raw = ctrls.iter().map(|c| &c.1).find(|c| c.ctype == PAGED_RESULTS_OID)?;
    paged_cookie(raw.val.as_deref()?)
}

/// `SEQUENCE { size INTEGER, cookie OCTET STRING }` (RFC 2696 §2) → the cookie.
fn paged_cookie(value: &[u8]) -> Option<Vec<u8>> {
    let (0x30, sequence, _) = tlv(value)? else { return None };
    let (0x02, _, rest) = tlv(sequence)? else { return None };
    let (0x04, cookie, _) = tlv(rest)? else { return None };
    Some(cookie.to_vec())
}

/// One BER tag-length-value: the tag, the value and what follows.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let octets = usize::from(first & 0x7f);
        if octets == 0 || octets > 4 || rest.len() < octets {
            return None;
        }
        let len = rest[..octets].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[octets..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_and_malformed_values_refused() {
        assert_eq!(
            paged_cookie(&[0x30, 0x07, 0x02, 0x01, 0x00, 0x04, 0x02, 0xab, 0xcd]),
            Some(vec![0xab, 0xcd])
        );
        assert_eq!(paged_cookie(&[0x30, 0x05, 0x02, 0x01, 0x00, 0x04, 0x00]), Some(Vec::new()));
        let long_form = [0x30, 0x81, 0x08, 0x02, 0x01, 0x05, 0x04, 0x82, 0x00, 0x01, 0x7f];
        assert_eq!(paged_cookie(&long_form), Some(vec![0x7f]));
        for malformed in [
            &[][..],
            &[0x30],
            &[0x30, 0x05, 0x02, 0x01],
            &[0x31, 0x00],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        ] {
            assert_eq!(paged_cookie(malformed), None, "{malformed:?}");
        }
    }
}
