//! The `Directory` operations the gateway needs, and their implementation over `ldap3`: a small pool of
//! bound connections that reconnects after a broken one, with per-operation timeouts and TLS by rustls.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::controls::{Assertion, PostRead};
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Mod, SearchOptions, StdStream};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

use super::entry::{entries_of, entry_from, Entry};
use super::error::LdapError;
use super::filter::LdapFilter;
use super::settings::LdapSettings;
use super::tls::tls_config;
use crate::metrics::Metrics;
// Also the paths other modules (and branches) name them by, from when they were defined here.
pub use super::directory::{read_entry, Directory, Window};
pub use super::request::{names_only, Modification, PasswordWrite, Scope, SearchRequest, NO_ATTRIBUTES};

type Result<T> = std::result::Result<T, LdapError>;

/// OID of the RFC 4527 Post-Read control.
const POST_READ_OID: &str = "1.3.6.1.1.13.2";
const ASSERTION_OID: &str = "1.3.6.1.1.12";

/// The `unicodePwd` value for `password`.
fn unicode_pwd(password: &str) -> Vec<u8> {
    format!("\"{password}\"").encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// A pool of bound connections. Each `Ldap` handle multiplexes requests over one connection, so the
/// pool hands out clones round-robin and replaces a connection once it is found broken. New
/// connections go to the directory URL that last worked, else to the next one in the list.
pub struct LdapDirectory {
    pub(super) settings: LdapSettings,
    urls: Vec<String>,
    /// Index in `urls` of the directory that last accepted a connection.
    preferred: AtomicUsize,
    tls: Option<Arc<rustls::ClientConfig>>,
    /// Each slot's connection and the index of the URL it is connected to.
    slots: Vec<Mutex<Option<(Ldap, usize)>>>,
    next: AtomicUsize,
    pub(super) timeout: Duration,
    post_read: std::sync::atomic::AtomicBool,
    /// Whether the server takes the RFC 4528 Assertion control (389 DS and AD do not).
    assertions: std::sync::atomic::AtomicBool,
    /// Whether the server takes the VLV and Server Side Sort controls together.
    vlv: std::sync::atomic::AtomicBool,
    metrics: Arc<Metrics>,
    /// After every URL failed: until when new connections are not attempted, and the current backoff.
    unreachable: std::sync::Mutex<Option<(std::time::Instant, Duration)>>,
}

/// The first and the longest wait before reconnecting to a directory that could not be reached: short
/// enough that service resumes within a second of the directory answering again.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

impl LdapDirectory {
    /// Builds the pool and checks that the directory answers, so that a wrong URL or password fails at
    /// startup rather than on the first request.
    pub async fn connect(settings: LdapSettings, metrics: Arc<Metrics>) -> Result<Self> {
        let tls = tls_config(&settings)?;
        if settings.tls_insecure {
            tracing::warn!("ldap.tls_insecure is set: the directory's certificate is NOT verified");
        }
        let urls: Vec<String> = settings.url.split_whitespace().map(str::to_string).collect();
        if urls.is_empty() {
            return Err(LdapError::Config("ldap.url is empty".into()));
        }
        let slots = (0..settings.pool_size.max(1)).map(|_| Mutex::new(None)).collect();
        let directory = LdapDirectory {
            timeout: Duration::from_millis(settings.timeout_ms),
            settings,
            urls,
            preferred: AtomicUsize::new(0),
            tls,
            slots,
            next: AtomicUsize::new(0),
            post_read: std::sync::atomic::AtomicBool::new(false),
            assertions: std::sync::atomic::AtomicBool::new(false),
            vlv: std::sync::atomic::AtomicBool::new(false),
            metrics,
            unreachable: std::sync::Mutex::new(None),
        };
        let root = read_entry(&directory, "", &["supportedControl".to_string()]).await?;
        let supports = |oid: &str| root.as_ref().is_some_and(|e| e.get("supportedControl").iter().any(|c| c == oid));
        directory.post_read.store(supports(POST_READ_OID), Ordering::Relaxed);
        directory.assertions.store(supports(ASSERTION_OID), Ordering::Relaxed);
        directory
            .vlv
            .store(supports(super::vlv::VLV_OID) && supports(super::vlv::SORT_OID), Ordering::Relaxed);
        Ok(directory)
    }

    /// A new bound connection: to the URL that last worked, else to each of the others in turn.
    async fn open(&self) -> Result<(Ldap, usize)> {
        let now = std::time::Instant::now();
        let backing_off = self.unreachable.lock().ok().and_then(|u| *u).filter(|(until, _)| now < *until);
        if let Some((until, _)) = backing_off {
            // Requests during the backoff fail at once (503) instead of each waiting for a connect
            // timeout against a directory that just failed.
            return Err(LdapError::Connect(format!(
                "no directory reachable; next attempt in {} ms",
                until.duration_since(now).as_millis()
            )));
        }
        let result = self.try_each_url().await;
        if let Ok(mut unreachable) = self.unreachable.lock() {
            *unreachable = match (&result, *unreachable) {
                (Ok(_), _) => None,
                (Err(_), None) => Some((std::time::Instant::now() + FIRST_BACKOFF, FIRST_BACKOFF)),
                (Err(_), Some((_, backoff))) => {
                    let next = (backoff * 2).min(MAX_BACKOFF);
                    Some((std::time::Instant::now() + next, next))
                }
            };
        }
        result
    }

    async fn try_each_url(&self) -> Result<(Ldap, usize)> {
        let first = self.preferred.load(Ordering::Relaxed);
        let mut failure = None;
        for step in 0..self.urls.len() {
            let index = (first + step) % self.urls.len();
            let url = &self.urls[index];
            match self.open_url(url).await {
                Ok(ldap) => {
                    self.metrics
                        .increment("scim2ldap_ldap_connects_total", &[("url", url.as_str()), ("result", "ok")]);
                    if index != first {
                        tracing::warn!(from = %self.urls[first], to = %url, "directory failover");
                        self.preferred.store(index, Ordering::Relaxed);
                    }
                    return Ok((ldap, index));
                }
                Err(e) => {
                    self.metrics
                        .increment("scim2ldap_ldap_connects_total", &[("url", url.as_str()), ("result", "failed")]);
                    tracing::warn!(url = %url, error = %e, "cannot connect to the directory");
                    failure = Some(e);
                }
            }
        }
        Err(failure.unwrap_or_else(|| LdapError::Config("ldap.url is empty".into())))
    }

    async fn open_url(&self, url: &str) -> Result<Ldap> {
        let mut conn_settings = LdapConnSettings::new()
            .set_conn_timeout(Duration::from_millis(self.settings.connect_timeout_ms))
            .set_starttls(self.settings.starttls)
            .set_no_tls_verify(self.settings.tls_insecure);
        if let Some(tls) = &self.tls {
            conn_settings = conn_settings.set_config(tls.clone());
        }
        if let Some(stream) = self.tcp_without_nagle(url).await? {
            conn_settings = conn_settings.set_std_stream(StdStream::Tcp(stream));
        }
        let (conn, mut ldap) = LdapConnAsync::with_settings(conn_settings, url)
            .await
            .map_err(|e| LdapError::Connect(e.to_string()))?;
        ldap3::drive!(conn);
        if !self.settings.bind_dn.is_empty() {
            ldap.with_timeout(self.timeout)
                .simple_bind(&self.settings.bind_dn, &self.settings.bind_password)
                .await
                .and_then(|r| r.success())
                .map_err(|e| LdapError::Connect(format!("bind as {} failed: {e}", self.settings.bind_dn)))?;
        }
        Ok(ldap)
    }

    /// The TCP connection for an `ldap://` or `ldaps://` URL, with Nagle's algorithm off: requests
    /// share a connection, and with Nagle each request written while an earlier one is unanswered
    /// would wait for the directory's acknowledgement. `None` for `ldapi://`.
    async fn tcp_without_nagle(&self, url: &str) -> Result<Option<std::net::TcpStream>> {
        let parsed = url::Url::parse(url).map_err(|e| LdapError::Connect(format!("{url}: {e}")))?;
        let default_port = match parsed.scheme() {
            "ldap" => 389,
            "ldaps" => 636,
            _ => return Ok(None),
        };
        let port = parsed.port().unwrap_or(default_port);
        let connecting = async {
            match parsed.host() {
                Some(url::Host::Domain(name)) => TcpStream::connect((name, port)).await,
                Some(url::Host::Ipv4(address)) => TcpStream::connect((address, port)).await,
                Some(url::Host::Ipv6(address)) => TcpStream::connect((address, port)).await,
                None => TcpStream::connect(("localhost", port)).await,
            }
        };
        let limit = Duration::from_millis(self.settings.connect_timeout_ms);
        let stream = match tokio::time::timeout(limit, connecting).await {
            Ok(connected) => connected.map_err(|e| LdapError::Connect(format!("{url}: {e}")))?,
            Err(_) => return Err(LdapError::Connect(format!("{url}: no connection within {} ms", limit.as_millis()))),
        };
        stream
            .set_nodelay(true)
            .and_then(|()| stream.into_std())
            .map(Some)
            .map_err(|e| LdapError::Connect(format!("{url}: {e}")))
    }

    /// A connection handle from the next slot, (re)connecting that slot when it is empty, closed, or
    /// connected to another directory than the one in use: after a failover every slot moves to the
    /// new directory on its next use, so that a request never reads from one replica what it wrote
    /// to another (replication lags).
    pub(super) async fn handle(&self) -> Result<(usize, Ldap)> {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        let waiting = std::time::Instant::now();
        let mut slot = self.slots[index].lock().await;
        self.metrics.observe("scim2ldap_ldap_pool_wait_seconds", &[], waiting.elapsed());
        let preferred = self.preferred.load(Ordering::Relaxed);
        if let Some((ldap, url)) = slot.as_mut() {
            if usable(ldap.is_closed(), *url, preferred) {
                return Ok((index, ldap.clone()));
            }
            if !ldap.is_closed() {
                // Not unbound: requests in flight on it finish, and it closes when their clones drop.
                tracing::info!(from = %self.urls[*url], to = %self.urls[preferred], "retiring a connection to the directory failed over from");
            }
        }
        self.close(&mut slot);
        let (ldap, url) = self.open().await?;
        self.metrics
            .add_to_gauge("scim2ldap_ldap_connections_open", &[("url", &self.urls[url])], 1);
        *slot = Some((ldap.clone(), url));
        Ok((index, ldap))
    }

    fn close(&self, slot: &mut Option<(Ldap, usize)>) {
        if let Some((_, url)) = slot.take() {
            self.metrics
                .add_to_gauge("scim2ldap_ldap_connections_open", &[("url", &self.urls[url])], -1);
        }
    }

    /// Forgets a connection that failed, so that the next use of its slot reconnects.
    async fn discard(&self, index: usize, err: &LdapError) {
        if matches!(err, LdapError::Io { .. } | LdapError::Timeout(_)) {
            self.close(&mut *self.slots[index].lock().await);
        }
    }

    async fn search_once(&self, request: &SearchRequest) -> Result<Vec<Entry>> {
        let (index, mut ldap) = self.handle().await?;
        let filter = request.filter.to_string();
        let result = ldap
            .with_timeout(self.timeout)
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
                self.discard(index, &err).await;
                Err(err)
            }
        }
    }

    /// Runs a paged search to its end, handing each entry as received to `each`. The pages stay on one
    /// connection from first to last, as servers require.
    async fn each_paged(&self, request: &SearchRequest, page_size: i32, mut each: impl FnMut(ldap3::ResultEntry) + Send) -> Result<()> {
        let (index, mut ldap) = self.handle().await?;
        let filter = request.filter.to_string();
        let adapters: Vec<Box<dyn Adapter<String, Vec<String>>>> =
            vec![Box::new(EntriesOnly::new()), Box::new(PagedResults::new(page_size))];
        let outcome = async {
            let mut stream = ldap
                .with_timeout(self.timeout)
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
            self.discard(index, err).await;
        }
        outcome
    }

    /// The size of the sorted list of matches, from one search for a window of one entry.
    async fn count_by_vlv(&self, request: &SearchRequest, order_by: &str) -> Result<Option<usize>> {
        let started = std::time::Instant::now();
        let counting = request.clone().names_only();
        let counted = self.vlv_search(&counting, order_by, 1, 1).await.map(|(_, total)| total);
        super::measured::record(&self.metrics, "vlv_count", started, &counted);
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
        let (mut ldap, _) = self.open().await?;
        let filter = request.filter.to_string();
        let window = super::vlv::window_at(offset.max(1), count.saturating_sub(1));
        let answer = ldap
            .with_timeout(self.timeout)
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
        let (_, mut ldap) = self.handle().await?;
        for entry in entries.iter_mut().filter(|e| e.has_ranges()) {
            super::ranged::complete(&mut ldap, self.timeout, entry).await?;
        }
        Ok(())
    }

    /// The Assertion control for a write that holds only if the entry matches `assertion`. A server
    /// without the control has the entry checked against the filter just before the write instead:
    /// result 122 as the control would give, though a change in the instant between goes unseen.
    async fn assertion_for(&self, dn: &str, assertion: Option<&LdapFilter>) -> Result<Option<ldap3::controls::RawControl>> {
        let Some(assertion) = assertion else { return Ok(None) };
        if self.assertions.load(Ordering::Relaxed) {
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

    /// A successful result, or the error, after forgetting the connection when it broke.
    async fn checked(&self, index: usize, op: &'static str, result: ldap3::result::Result<ldap3::LdapResult>) -> Result<ldap3::LdapResult> {
        let result = result.and_then(|r| r.success()).map_err(|e| LdapError::from_ldap3(op, e));
        if let Err(err) = &result {
            self.discard(index, err).await;
        }
        result
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
        let (index, mut ldap) = self.handle().await?;
        ldap.with_timeout(self.timeout);
        if self.post_read.load(Ordering::Relaxed) && !read_back.is_empty() {
            controls.push(PostRead::new(read_back.to_vec()));
        }
        if !controls.is_empty() {
            ldap.with_controls(controls);
        }
        let result = self.checked(index, op, run(ldap).await).await?;
        let from_control = result
            .ctrls
            .iter()
            .find(|c| c.1.ctype == POST_READ_OID)
            .and_then(|c| c.1.val.as_deref())
            .and_then(post_read_entry);
        match from_control {
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
        if self.vlv.load(Ordering::Relaxed) {
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

    async fn paged_search(&self, request: &SearchRequest) -> Result<super::PagedSearch> {
        let (ldap, _) = self.open().await?;
        Ok(super::PagedSearch::new(ldap, request.clone(), self.timeout))
    }

    fn offers_vlv(&self) -> bool {
        self.vlv.load(Ordering::Relaxed)
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
        let (index, mut ldap) = self.handle().await?;
        ldap.with_timeout(self.timeout);
        if let Some(control) = control {
            ldap.with_controls(control);
        }
        let result = ldap.modify(dn, to_ldap3_mods(mods)).await;
        self.checked(index, "modify", result).await.map(|_| ())
    }

    async fn rename(&self, dn: &str, new_rdn: &str, new_parent: Option<&str>) -> Result<()> {
        let (index, mut ldap) = self.handle().await?;
        let result = ldap.with_timeout(self.timeout).modifydn(dn, new_rdn, true, new_parent).await;
        self.checked(index, "modrdn", result).await.map(|_| ())
    }

    async fn delete(&self, dn: &str) -> Result<()> {
        let (index, mut ldap) = self.handle().await?;
        let result = ldap.with_timeout(self.timeout).delete(dn).await;
        self.checked(index, "delete", result).await.map(|_| ())
    }

    async fn set_password(&self, dn: &str, password: &str, how: PasswordWrite) -> Result<()> {
        if how == PasswordWrite::UnicodePwd && !self.settings.is_encrypted() {
            return Err(LdapError::Config(
                "unicodePwd is written over LDAPS or StartTLS only: set ldap.url to ldaps:// or ldap.starttls".into(),
            ));
        }
        let (index, mut ldap) = self.handle().await?;
        ldap.with_timeout(self.timeout);
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
            self.discard(index, err).await;
        }
        outcome
    }

    async fn ping(&self) -> Result<()> {
        self.read("", &names_only()).await.map(|_| ())
    }
}

/// Whether a pooled connection may serve a request: open, and to the directory in use.
fn usable(closed: bool, connected_to: usize, preferred: usize) -> bool {
    !closed && connected_to == preferred
}

/// The entry a Post-Read control carries (RFC 4527: a SearchResultEntry), decoded without ldap3's
/// parser, which panics on a malformed one; `None` then, and the entry is read instead.
fn post_read_entry(value: &[u8]) -> Option<Entry> {
    let (_, tag) = ldap3::asn1::parse_tag(value).ok()?;
    Entry::from_result(ldap3::ResultEntry::new(tag))
}

/// The RFC 4528 Assertion control, critical, for a filter.
fn assertion_control(assertion: &LdapFilter) -> Result<ldap3::controls::RawControl> {
    let text = assertion.to_string();
    // The control encoder panics on a filter it cannot parse: check first.
    ldap3::parse_filter(&text).map_err(|_| LdapError::Config(format!("invalid assertion filter {text}")))?;
    let mut control = Assertion::new(text);
    control.crit = true;
    Ok(control)
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
    fn a_pool_keeps_only_open_connections_to_the_directory_in_use() {
        assert!(usable(false, 1, 1));
        assert!(!usable(true, 1, 1), "closed");
        assert!(!usable(false, 0, 1), "to the directory failed over from");
    }

    #[test]
    fn unicode_pwd_is_the_quoted_password_in_utf16le() {
        assert_eq!(unicode_pwd("aé"), vec![0x22, 0, 0x61, 0, 0xe9, 0, 0x22, 0]);
        assert_eq!(unicode_pwd("😀").len(), 8, "a surrogate pair, between two quotes");
    }
}
