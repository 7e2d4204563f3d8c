//! Shared by the benchmarks: a private slapd loaded with users, the gateway in front of it, timing.
// Each benchmark, and this module's use of the test harness, takes only part of it.
#![allow(dead_code)]

#[path = "../../tests/integration/support/endpoint.rs"]
pub mod endpoint;
#[path = "../../tests/integration/support/slapd.rs"]
pub mod slapd;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{header, Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use ldap3::{Ldap, LdapConnAsync};

pub const TOKEN: &str = "bench-token-0123456789abcdef";

pub fn user_dn(i: usize) -> String {
    format!("uid=u{i},ou=people,dc=example,dc=org")
}

/// A slapd holding users u0…u(count-1) loaded offline, with mail and a family name each.
pub async fn slapd_with_users(count: usize) -> (slapd::Slapd, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let ldif = dir.path().join("users.ldif");
    let mut text = String::with_capacity(count * 200);
    for i in 0..count {
        let _ = write!(
            text,
            "dn: {}\nobjectClass: inetOrgPerson\nuid: u{i}\ncn: User {i}\nsn: Family{}\nmail: u{i}@example.org\n\n",
            user_dn(i),
            i % 1000
        );
    }
    std::fs::write(&ldif, text).unwrap();
    let started = Instant::now();
    let slapd = slapd::Slapd::start(&[ldif.to_str().unwrap()]).await;
    eprintln!("slapd with {count} users loaded in {:.1} s", started.elapsed().as_secs_f64());
    (slapd, dir)
}

/// The gateway on a free port in front of `slapd`; answers its `…/scim/v2` URL.
pub async fn gateway(slapd: &slapd::Slapd) -> String {
    let env = vec![
        ("SCIM2LDAP__LDAP__URL".to_string(), slapd.url.clone()),
        ("SCIM2LDAP__LDAP__BIND_DN".into(), slapd::ROOT_DN.into()),
        ("SCIM2LDAP__LDAP__BIND_PASSWORD".into(), slapd::ROOT_PW.into()),
        ("SCIM2LDAP__LDAP__BASE_DN".into(), slapd::SUFFIX.into()),
        (
            "SCIM2LDAP__MAPPING".into(),
            concat!(env!("CARGO_MANIFEST_DIR"), "/mappings/openldap.yaml").into(),
        ),
        ("SCIM2LDAP__AUTH__TOKEN".into(), TOKEN.into()),
        ("SCIM2LDAP__LOG__LEVEL".into(), "warn".into()),
    ];
    let config = scim2ldap::config::Config::load_from(None, env).unwrap();
    let state = scim2ldap::app::build(&config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/scim/v2", listener.local_addr().unwrap());
    tokio::spawn(scim2ldap::http::serve(listener, state, std::future::pending()));
    base
}

/// One keep-alive HTTP/1.1 connection that hyper's connection task drives, as ldap3's task drives an
/// LDAP connection, so that the client machinery on both sides of a gateway/raw comparison is alike
/// (reqwest's pool adds about 0.05 ms per request on a 2-core machine).
pub struct HttpConn {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    origin: String,
}

impl HttpConn {
    /// A connection to the host of `url` (`http://host:port/…`).
    pub async fn open(url: &str) -> Self {
        let authority = url.trim_start_matches("http://").split('/').next().unwrap().to_string();
        let stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(connection);
        HttpConn {
            sender,
            origin: format!("http://{authority}"),
        }
    }

    /// Sends `method url` with the benchmark's token and `body` as JSON; answers the status and body.
    pub async fn send(&mut self, method: Method, url: &str, body: Option<&serde_json::Value>) -> (StatusCode, Bytes) {
        let path = url.strip_prefix(&self.origin).unwrap();
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, &self.origin["http://".len()..])
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
        let body = match body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/scim+json");
                Full::new(Bytes::from(serde_json::to_vec(json).unwrap()))
            }
            None => Full::new(Bytes::new()),
        };
        self.sender.ready().await.unwrap();
        let response = self.sender.send_request(request.body(body).unwrap()).await.unwrap();
        let status = response.status();
        (status, response.into_body().collect().await.unwrap().to_bytes())
    }
}

/// The gateway's metrics: `sum_count(name)` answers a histogram's sum and count, where `name` is its
/// series as rendered (`scim2ldap_ldap_operation_seconds{op="modify"}`).
pub struct Metrics(String);

impl Metrics {
    pub async fn read(base: &str) -> Metrics {
        let mut conn = HttpConn::open(base).await;
        let (_, text) = conn.send(Method::GET, &base.replace("/scim/v2", "/metrics"), None).await;
        Metrics(String::from_utf8_lossy(&text).into_owned())
    }

    pub fn sum_count(&self, series: &str) -> (f64, f64) {
        let (name, labels) = series.split_once('{').unwrap_or((series, ""));
        let value = |suffix: &str| -> f64 {
            let prefix = if labels.is_empty() {
                format!("{name}_{suffix} ")
            } else {
                format!("{name}_{suffix}{{{labels} ")
            };
            self.0
                .lines()
                .find_map(|l| l.strip_prefix(&prefix))
                .map_or(0.0, |v| v.trim().parse().unwrap())
        };
        (value("sum"), value("count"))
    }
}

/// The mean of a histogram's observations between two readings, in milliseconds.
pub fn mean_ms_between(before: &Metrics, after: &Metrics, series: &str) -> f64 {
    let (sum0, count0) = before.sum_count(series);
    let (sum1, count1) = after.sum_count(series);
    1000.0 * (sum1 - sum0) / (count1 - count0).max(1.0)
}

/// The JSON answer to a request sent with the benchmark's token.
pub async fn json_of(request: reqwest::RequestBuilder) -> serde_json::Value {
    request.bearer_auth(TOKEN).send().await.unwrap().json().await.unwrap()
}

/// A bound raw LDAP connection, for the baseline.
pub async fn raw_ldap(slapd: &slapd::Slapd) -> Ldap {
    let (conn, mut ldap) = LdapConnAsync::new(&slapd.url).await.unwrap();
    ldap3::drive!(conn);
    ldap.simple_bind(slapd::ROOT_DN, slapd::ROOT_PW).await.unwrap().success().unwrap();
    ldap
}

pub struct Stats {
    pub p50: Duration,
    pub p99: Duration,
    pub mean: Duration,
}

pub fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len().max(1) as u32;
    Stats {
        p50: samples[samples.len() / 2],
        p99: samples[samples.len() * 99 / 100],
        mean,
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
