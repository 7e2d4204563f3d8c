//! The `Directory` operations over `ldap3`: searches (plain, paged, VLV, with ranged attributes
//! completed), writes read back by Post-Read, conditional writes, renames, deletes and passwords, each
//! with a per-operation timeout on a connection of the pool.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{Ldap, Mod, SearchOptions};

use super::controls::{assertion_control, post_read, post_read_answer, SupportedControls};
use super::directory::{read_entry, Directory, Window};
use super::entry::{entries_of, entry_from, Entry};
use super::error::LdapError;
use super::filter::LdapFilter;
use super::paged::PagedSearch;
use super::pool::Pool;
use super::request::{names_only, Modification, PasswordWrite, SearchRequest};
use super::settings::LdapSettings;
use crate::metrics::Metrics;

type Result<T> = std::result::Result<T, LdapError>;

/// The `unicodePwd` value for `password`.
fn unicode_pwd(password: &str) -> Vec<u8> {
    format!("\"{password}\"").encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// The directory over LDAP: the `Directory` operations on a pool of connections, with the controls
/// the server was found to take at connection.
pub struct LdapDirectory {
    pub(super) pool: Pool,
    controls: SupportedControls,
    metrics: Arc<Metrics>,
}

impl LdapDirectory {
    /// Builds the pool and checks that the directory answers, so that a wrong URL or password fails at
    /// startup rather than on the first request.
    pub async fn connect(settings: LdapSettings, metrics: Arc<Metrics>) -> Result<Self> {
        let mut directory = LdapDirectory {
            pool: Pool::new(settings, metrics.clone())?,
            controls: SupportedControls::default(),
            metrics,
        };
        directory.controls = SupportedControls::of(&directory).await?;
        Ok(directory)
    }

    async fn search_once(&self, request: &SearchRequest) -> Result<Vec<Entry>> {
        let (index, mut ldap) = self.pool.handle().await?;
        let filter = request.filter.to_string();
        let result = ldap
            .with_timeout(self.pool.timeout)
            .with_search_options(SearchOptions::new().sizelimit(request.size_limit))
            .search(&request.base, request.scope.into(), &filter, &request.attrs)
            .await
            .and_then(|r| r.success())
            .map_err(|e| LdapError::from_ldap3("search", e));
        match result {
            Ok((entries, _)) => {
                let mut entries = entries_of("search", entries)?;
                self.complete_ranges(&mut entries).await?;
                Ok(entries)
            }
            Err(err) => {
                self.pool.discard(index, &err).await;
                Err(err)
            }
        }
    }

    /// Runs a paged search to its end, handing each entry as received to `each`. The pages stay on one
    /// connection from first to last, as servers require.
    async fn each_paged(&self, request: &SearchRequest, page_size: i32, mut each: impl FnMut(ldap3::ResultEntry) + Send) -> Result<()> {
        let (index, mut ldap) = self.pool.handle().await?;
        let filter = request.filter.to_string();
        let adapters: Vec<Box<dyn Adapter<String, Vec<String>>>> =
            vec![Box::new(EntriesOnly::new()), Box::new(PagedResults::new(page_size))];
        let outcome = async {
            let mut stream = ldap
                .with_timeout(self.pool.timeout)
                .streaming_search_with(adapters, &request.base, request.scope.into(), &filter, request.attrs.clone())
                .await?;
            while let Some(raw) = stream.next().await? {
                each(raw);
            }
            stream.finish().await.success()?;
            Ok(())
        }
        .await
        .map_err(|e| LdapError::from_ldap3("search", e));
        if let Err(err) = &outcome {
            self.pool.discard(index, err).await;
        }
        outcome
    }

    /// The size of the sorted list of matches, from one search for a window of one entry.
    async fn count_by_vlv(&self, request: &SearchRequest, order_by: &str) -> Result<Option<usize>> {
        let started = std::time::Instant::now();
        let counting = request.clone().names_only();
        let counted = self.vlv_search(&counting, order_by, 1, 1).await.map(|(_, total)| total);
        super::operation_metrics::record(&self.metrics, "vlv_count", started, &counted);
        counted
    }

    /// One VLV search for `count` entries from the `offset`-th of the list sorted by `sorted_by`, and
    /// the list's size when the server sent it. On a connection of its own: the server keeps a sort
    /// context per connection until it closes.
    async fn vlv_search(
        &self,
        request: &SearchRequest,
        sorted_by: &str,
        offset: usize,
        count: usize,
    ) -> Result<(Vec<Entry>, Option<usize>)> {
        let (mut ldap, _) = self.pool.open().await?;
        let filter = request.filter.to_string();
        let window = super::vlv::window_at(offset.max(1), count.saturating_sub(1));
        let answer = ldap
            .with_timeout(self.pool.timeout)
            .with_controls(vec![super::vlv::sort_by(sorted_by), window])
            .search(&request.base, request.scope.into(), &filter, request.attrs.clone())
            .await;
        if let Err(e) = ldap.unbind().await {
            tracing::debug!(error = %e, "unbind after a VLV search");
        }
        let ldap3::SearchResult(raw, outcome) = answer.map_err(|e| LdapError::from_ldap3("search", e))?;
        if outcome.rc != 0 {
            return Err(LdapError::Result {
                op: "search",
                rc: outcome.rc,
                text: outcome.text,
            });
        }
        let mut entries = entries_of("search", raw)?;
        self.complete_ranges(&mut entries).await?;
        Ok((entries, super::vlv::content_count(&outcome.ctrls)))
    }

    async fn read(&self, dn: &str, attrs: &[String]) -> Result<Entry> {
        read_entry(self, dn, attrs).await?.ok_or(LdapError::Result {
            op: "read",
            rc: super::error::rc::NO_SUCH_OBJECT,
            text: String::new(),
        })
    }

    /// Reads the rest of any attribute the directory sent a slice of (see `ranged`).
    async fn complete_ranges(&self, entries: &mut [Entry]) -> Result<()> {
        if !entries.iter().any(Entry::has_ranges) {
            return Ok(());
        }
        let (_, mut ldap) = self.pool.handle().await?;
        for entry in entries.iter_mut().filter(|e| e.has_ranges()) {
            super::ranged::complete(&mut ldap, self.pool.timeout, entry).await?;
        }
        Ok(())
    }

    /// The Assertion control for a write that holds only if the entry matches `assertion`. A server
    /// without the control has the entry checked against the filter just before the write instead:
    /// result 122 as the control would give, though a change in the instant between goes unseen.
    async fn assertion_for(&self, dn: &str, assertion: Option<&LdapFilter>) -> Result<Option<ldap3::controls::RawControl>> {
        let Some(assertion) = assertion else { return Ok(None) };
        if self.controls.assertions {
            return assertion_control(assertion).map(Some);
        }
        let check = SearchRequest::entry(dn, assertion.clone(), names_only());
        match self.search(&check).await?.is_empty() {
            true => Err(LdapError::Result {
                op: "modify",
                rc: super::error::rc::ASSERTION_FAILED,
                text: "the entry does not match the assertion".into(),
            }),
            false => Ok(None),
        }
    }

    /// Runs a write, with the Post-Read control when the server supports it, and returns the entry as
    /// stored: from the control, or from one read when the server lacks it.
    async fn write_and_read<F, Fut>(
        &self,
        op: &'static str,
        dn: &str,
        read_back: &[String],
        mut controls: Vec<ldap3::controls::RawControl>,
        run: F,
    ) -> Result<Entry>
    where
        F: FnOnce(Ldap) -> Fut,
        Fut: std::future::Future<Output = std::result::Result<ldap3::LdapResult, ldap3::LdapError>>,
    {
        let (index, mut ldap) = self.pool.handle().await?;
        ldap.with_timeout(self.pool.timeout);
        if self.controls.post_read && !read_back.is_empty() {
            controls.push(post_read(read_back));
        }
        if !controls.is_empty() {
            ldap.with_controls(controls);
        }
        let result = self.pool.checked(index, op, run(ldap).await).await?;
        match post_read_answer(&result.ctrls) {
            Some(mut entry) => {
                entry.dn = dn.to_string();
                Ok(entry)
            }
            None => self.read(dn, read_back).await,
        }
    }
}

#[async_trait]
impl Directory for LdapDirectory {
    async fn search(&self, request: &SearchRequest) -> Result<Vec<Entry>> {
        match self.search_once(request).await {
            // A read is safe to retry once on a fresh connection (the old one may have died idle).
            Err(LdapError::Io { .. }) => self.search_once(request).await,
            other => other,
        }
    }

    async fn search_all(&self, request: &SearchRequest, page_size: i32) -> Result<Vec<Entry>> {
        let mut entries = Vec::new();
        self.each_paged(request, page_size, |raw| entries.push(entry_from("search", raw)))
            .await?;
        let mut entries = entries.into_iter().collect::<Result<Vec<Entry>>>()?;
        self.complete_ranges(&mut entries).await?;
        Ok(entries)
    }

    async fn count(&self, request: &SearchRequest, page_size: i32, order_by: &str) -> Result<usize> {
        if self.controls.vlv {
            match self.count_by_vlv(request, order_by).await {
                Ok(Some(matched)) => return Ok(matched),
                Ok(None) => tracing::debug!("no VLV count in the answer; counting the entries"),
                Err(e) => tracing::debug!(error = %e, "VLV count refused; counting the entries"),
            }
        }
        // No attributes at all (`1.1`, RFC 4511 §4.5.1.8), and entries counted, never parsed.
        let counting = request.clone().names_only();
        let mut matched = 0;
        self.each_paged(&counting, page_size, |_| matched += 1).await?;
        Ok(matched)
    }

    async fn paged_search(&self, request: &SearchRequest) -> Result<PagedSearch> {
        let (ldap, _) = self.pool.open().await?;
        Ok(PagedSearch::new(ldap, request.clone(), self.pool.timeout))
    }

    fn offers_vlv(&self) -> bool {
        self.controls.vlv
    }

    async fn window(&self, request: &SearchRequest, sorted_by: &str, offset: usize, count: usize) -> Result<Option<Window>> {
        if !self.offers_vlv() {
            return Ok(None);
        }
        let (entries, total) = self.vlv_search(request, sorted_by, offset, count).await?;
        Ok(total.map(|total| Window { entries, total }))
    }

    async fn add(&self, dn: &str, attrs: &[(String, Vec<String>)], read_back: &[String]) -> Result<Entry> {
        let attrs: Vec<(String, HashSet<String>)> = attrs
            .iter()
            .map(|(name, values)| (name.clone(), values.iter().cloned().collect()))
            .collect();
        self.write_and_read(
            "add",
            dn,
            read_back,
            Vec::new(),
            |mut ldap| async move { ldap.add(dn, attrs).await },
        )
        .await
    }

    async fn modify(&self, dn: &str, mods: &[Modification], assertion: Option<&LdapFilter>, read_back: &[String]) -> Result<Entry> {
        if mods.is_empty() {
            return self.read(dn, read_back).await;
        }
        let controls = self.assertion_for(dn, assertion).await?.into_iter().collect();
        let mods = to_ldap3_mods(mods);
        self.write_and_read(
            "modify",
            dn,
            read_back,
            controls,
            |mut ldap| async move { ldap.modify(dn, mods).await },
        )
        .await
    }

    async fn modify_if(&self, dn: &str, mods: &[Modification], assertion: Option<&LdapFilter>) -> Result<()> {
        let control = self.assertion_for(dn, assertion).await?;
        let (index, mut ldap) = self.pool.handle().await?;
        ldap.with_timeout(self.pool.timeout);
        if let Some(control) = control {
            ldap.with_controls(control);
        }
        let result = ldap.modify(dn, to_ldap3_mods(mods)).await;
        self.pool.checked(index, "modify", result).await.map(|_| ())
    }

    async fn rename(&self, dn: &str, new_rdn: &str, new_parent: Option<&str>) -> Result<()> {
        let (index, mut ldap) = self.pool.handle().await?;
        let result = ldap.with_timeout(self.pool.timeout).modifydn(dn, new_rdn, true, new_parent).await;
        self.pool.checked(index, "modrdn", result).await.map(|_| ())
    }

    async fn delete(&self, dn: &str) -> Result<()> {
        let (index, mut ldap) = self.pool.handle().await?;
        let result = ldap.with_timeout(self.pool.timeout).delete(dn).await;
        self.pool.checked(index, "delete", result).await.map(|_| ())
    }

    async fn set_password(&self, dn: &str, password: &str, how: PasswordWrite) -> Result<()> {
        if how == PasswordWrite::UnicodePwd && !self.pool.settings.is_encrypted() {
            return Err(LdapError::Config(
                "unicodePwd is written over LDAPS or StartTLS only: set ldap.url to ldaps:// or ldap.starttls".into(),
            ));
        }
        let (index, mut ldap) = self.pool.handle().await?;
        ldap.with_timeout(self.pool.timeout);
        let result = match how {
            PasswordWrite::Exop => {
                let exop = ldap3::exop::PasswordModify {
                    user_id: Some(dn),
                    old_pass: None,
                    new_pass: Some(password),
                };
                ldap.extended(exop).await.map(|exop| exop.1)
            }
            PasswordWrite::UnicodePwd => {
                let value = std::collections::HashSet::from([unicode_pwd(password)]);
                ldap.modify(dn, vec![ldap3::Mod::Replace(b"unicodePwd".to_vec(), value)]).await
            }
        };
        let outcome = result
            .and_then(|r| r.success())
            .map(|_| ())
            .map_err(|e| LdapError::from_ldap3("password modify", e));
        if let Err(err) = &outcome {
            self.pool.discard(index, err).await;
        }
        outcome
    }

    async fn ping(&self) -> Result<()> {
        self.read("", &names_only()).await.map(|_| ())
    }
}

fn to_ldap3_mods(mods: &[Modification]) -> Vec<Mod<String>> {
    mods.iter()
        .map(|m| match m {
            Modification::Add(a, v) => Mod::Add(a.clone(), v.iter().cloned().collect()),
            Modification::Delete(a, v) => Mod::Delete(a.clone(), v.iter().cloned().collect()),
            Modification::Replace(a, v) => Mod::Replace(a.clone(), v.iter().cloned().collect()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_pwd_is_the_quoted_password_in_utf16le() {
        assert_eq!(unicode_pwd("aé"), vec![0x22, 0, 0x61, 0, 0xe9, 0, 0x22, 0]);
        assert_eq!(unicode_pwd("😀").len(), 8, "a surrogate pair, between two quotes");
    }
}
