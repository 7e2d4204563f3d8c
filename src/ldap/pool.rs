//! A small pool of bound connections to the directory, with failover between replicas and a backoff
//! while none can be reached.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, StdStream};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

use super::error::LdapError;
use super::settings::LdapSettings;
use super::tls::tls_config;
use crate::metrics::Metrics;

type Result<T> = std::result::Result<T, LdapError>;

/// A pool of bound connections. Each `Ldap` handle multiplexes requests over one connection, so the
/// pool hands out clones round-robin and replaces a connection once it is found broken. New
/// connections go to the directory URL that last worked, else to the next one in the list.
pub(super) struct Pool {
    pub(super) settings: LdapSettings,
    urls: Vec<String>,
    /// Index in `urls` of the directory that last accepted a connection.
    preferred: AtomicUsize,
    tls: Option<Arc<rustls::ClientConfig>>,
    /// Each slot's connection and the index of the URL it is connected to.
    slots: Vec<Mutex<Option<(Ldap, usize)>>>,
    next: AtomicUsize,
    pub(super) timeout: Duration,
    metrics: Arc<Metrics>,
    /// After every URL failed: until when new connections are not attempted, and the current backoff.
    unreachable: std::sync::Mutex<Option<(std::time::Instant, Duration)>>,
}

/// The first and the longest wait before reconnecting to a directory that could not be reached: short
/// enough that service resumes within a second of the directory answering again.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

impl Pool {
    /// The pool for `settings`, no connection opened yet.
    pub(super) fn new(settings: LdapSettings, metrics: Arc<Metrics>) -> Result<Self> {
        let tls = tls_config(&settings)?;
        if settings.tls_insecure {
            tracing::warn!("ldap.tls_insecure is set: the directory's certificate is NOT verified");
        }
        let urls: Vec<String> = settings.url.split_whitespace().map(str::to_string).collect();
        if urls.is_empty() {
            return Err(LdapError::Config("ldap.url is empty".into()));
        }
        let slots = (0..settings.pool_size.max(1)).map(|_| Mutex::new(None)).collect();
        Ok(Pool {
            timeout: Duration::from_millis(settings.timeout_ms),
            settings,
            urls,
            preferred: AtomicUsize::new(0),
            tls,
            slots,
            next: AtomicUsize::new(0),
            metrics,
            unreachable: std::sync::Mutex::new(None),
        })
    }

    /// A new bound connection: to the URL that last worked, else to each of the others in turn.
    pub(super) async fn open(&self) -> Result<(Ldap, usize)> {
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
    pub(super) async fn discard(&self, index: usize, err: &LdapError) {
        if matches!(err, LdapError::Io { .. } | LdapError::Timeout(_)) {
            self.close(&mut *self.slots[index].lock().await);
        }
    }

    /// A successful result, or the error, after forgetting the connection when it broke.
    pub(super) async fn checked(
        &self,
        index: usize,
        op: &'static str,
        result: ldap3::result::Result<ldap3::LdapResult>,
    ) -> Result<ldap3::LdapResult> {
        let result = result.and_then(|r| r.success()).map_err(|e| LdapError::from_ldap3(op, e));
        if let Err(err) = &result {
            self.discard(index, err).await;
        }
        result
    }
}

/// Whether a pooled connection may serve a request: open, and to the directory in use.
fn usable(closed: bool, connected_to: usize, preferred: usize) -> bool {
    !closed && connected_to == preferred
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
}
