//! A `Directory` that counts and times every operation of the one it wraps, by operation and result
//! code, and notes every write in the request's audit record with its outcome in words.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;

use super::directory::{Directory, Window};
use super::entry::Entry;
use super::error::LdapError;
use super::filter::LdapFilter;
use super::operation_metrics;
use super::paged::PagedSearch;
use super::request::{Modification, PasswordWrite, SearchRequest};
use crate::audit;
use crate::metrics::Metrics;

type Result<T> = std::result::Result<T, LdapError>;

pub struct Measured<D> {
    inner: D,
    metrics: Arc<Metrics>,
}

impl<D: Directory> Measured<D> {
    pub fn new(inner: D, metrics: Arc<Metrics>) -> Self {
        Measured { inner, metrics }
    }

    fn record<T>(&self, op: &'static str, started: Instant, result: &Result<T>) -> String {
        operation_metrics::record(&self.metrics, op, started, result)
    }
}

/// A write's outcome in the audit trail: `ok`, or the directory's name for its refusal.
fn audit_outcome<T>(result: &Result<T>) -> String {
    match result {
        Ok(_) => "ok".to_string(),
        Err(e) => e.outcome_name(),
    }
}

fn modified(mods: &[Modification]) -> Vec<&str> {
    mods.iter().map(Modification::attribute).collect()
}

#[async_trait]
impl<D: Directory> Directory for Measured<D> {
    async fn search(&self, request: &SearchRequest) -> Result<Vec<Entry>> {
        let started = Instant::now();
        let result = self.inner.search(request).await;
        self.record("search", started, &result);
        result
    }

    async fn search_all(&self, request: &SearchRequest, page_size: i32) -> Result<Vec<Entry>> {
        let started = Instant::now();
        let result = self.inner.search_all(request, page_size).await;
        self.record("search_paged", started, &result);
        result
    }

    async fn count(&self, request: &SearchRequest, page_size: i32, order_by: &str) -> Result<usize> {
        let started = Instant::now();
        let result = self.inner.count(request, page_size, order_by).await;
        self.record("count", started, &result);
        result
    }

    async fn paged_search(&self, request: &SearchRequest) -> Result<PagedSearch> {
        let started = Instant::now();
        let result = self.inner.paged_search(request).await;
        self.record("paged_search_open", started, &result);
        // Its pages are operations of this directory too.
        result.map(|search| search.measured(self.metrics.clone()))
    }

    fn offers_vlv(&self) -> bool {
        self.inner.offers_vlv()
    }

    async fn window(&self, request: &SearchRequest, sorted_by: &str, offset: usize, count: usize) -> Result<Option<Window>> {
        let started = Instant::now();
        let result = self.inner.window(request, sorted_by, offset, count).await;
        self.record("vlv_window", started, &result);
        result
    }

    async fn add(&self, dn: &str, attrs: &[(String, Vec<String>)], read_back: &[String]) -> Result<Entry> {
        let started = Instant::now();
        let result = self.inner.add(dn, attrs, read_back).await;
        self.record("add", started, &result);
        let outcome = audit_outcome(&result);
        audit::note_write(
            "add",
            dn,
            &attrs.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>(),
            &outcome,
        );
        result
    }

    async fn modify(&self, dn: &str, mods: &[Modification], assertion: Option<&LdapFilter>, read_back: &[String]) -> Result<Entry> {
        let started = Instant::now();
        let result = self.inner.modify(dn, mods, assertion, read_back).await;
        self.record("modify", started, &result);
        let outcome = audit_outcome(&result);
        audit::note_write("modify", dn, &modified(mods), &outcome);
        result
    }

    async fn modify_if(&self, dn: &str, mods: &[Modification], assertion: Option<&LdapFilter>) -> Result<()> {
        let started = Instant::now();
        let result = self.inner.modify_if(dn, mods, assertion).await;
        self.record("modify", started, &result);
        let outcome = audit_outcome(&result);
        audit::note_write("modify", dn, &modified(mods), &outcome);
        result
    }

    async fn rename(&self, dn: &str, new_rdn: &str, new_parent: Option<&str>) -> Result<()> {
        let started = Instant::now();
        let result = self.inner.rename(dn, new_rdn, new_parent).await;
        self.record("modrdn", started, &result);
        let outcome = audit_outcome(&result);
        let to = format!("{dn} -> {new_rdn}{}", new_parent.map(|p| format!(",{p}")).unwrap_or_default());
        audit::note_write("modrdn", &to, &[], &outcome);
        result
    }

    async fn delete(&self, dn: &str) -> Result<()> {
        let started = Instant::now();
        let result = self.inner.delete(dn).await;
        self.record("delete", started, &result);
        let outcome = audit_outcome(&result);
        audit::note_write("delete", dn, &[], &outcome);
        result
    }

    async fn set_password(&self, dn: &str, password: &str, how: PasswordWrite) -> Result<()> {
        let started = Instant::now();
        let result = self.inner.set_password(dn, password, how).await;
        self.record("password_modify", started, &result);
        let outcome = audit_outcome(&result);
        audit::note_write("password modify", dn, &[], &outcome);
        result
    }

    async fn ping(&self) -> Result<()> {
        let started = Instant::now();
        let result = self.inner.ping().await;
        self.record("ping", started, &result);
        result
    }
}
