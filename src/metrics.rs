//! Counters, gauges and latency histograms in the Prometheus text format (`GET /metrics`). Every layer
//! records into the one registry the application builds; nothing here knows SCIM or LDAP.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// What each metric is, for its `# HELP` line; a metric missing here is still exported.
const HELP: &[(&str, &str, &str)] = &[
    (
        "scim2ldap_http_requests_total",
        "counter",
        "HTTP requests answered, by route, method and status",
    ),
    (
        "scim2ldap_http_request_seconds",
        "histogram",
        "Time to answer an HTTP request, by route and method",
    ),
    (
        "scim2ldap_http_rejected_total",
        "counter",
        "Requests refused because the concurrent request cap was reached",
    ),
    (
        "scim2ldap_ldap_operations_total",
        "counter",
        "LDAP operations, by operation and result (result code, or io, timeout, connect)",
    ),
    (
        "scim2ldap_ldap_operation_seconds",
        "histogram",
        "Time of an LDAP operation, by operation",
    ),
    (
        "scim2ldap_ldap_connections_open",
        "gauge",
        "Open pooled LDAP connections, by directory URL",
    ),
    (
        "scim2ldap_ldap_connects_total",
        "counter",
        "LDAP connection attempts, by directory URL and result",
    ),
    (
        "scim2ldap_ldap_pool_wait_seconds",
        "histogram",
        "Time a request waited for a pooled LDAP connection",
    ),
    (
        "scim2ldap_id_cache_requests_total",
        "counter",
        "SCIM id to DN cache lookups, by result (hit or miss)",
    ),
    (
        "scim2ldap_id_cache_evictions_total",
        "counter",
        "SCIM id to DN cache entries evicted or expired",
    ),
    (
        "scim2ldap_shadow_plan_changes",
        "gauge",
        "Shadow mode: changes in the plan, by target and change (add, modify, rename, delete, deactivation, password)",
    ),
    (
        "scim2ldap_config_reloads_total",
        "counter",
        "Reloads of the configuration and mappings, by result (ok, failed)",
    ),
];

/// The HTTP methods counted under their own name. Label values must come from a closed set: anyone may
/// send any method, without a token, and each new value would add a series for good (2,000 made-up
/// methods once added 32,000 lines to `/metrics`).
const HTTP_METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// The `method` label of a request: its method when it is a known one, else `other`.
pub fn method_label(method: &str) -> &'static str {
    HTTP_METHODS.iter().find(|m| **m == method).copied().unwrap_or("other")
}

/// The `route` label of a request: the route template it matched (`/scim/v2/Users/{id}`, never the raw
/// path, so that ids and random paths add no series), or `unmatched`. axum names the catch-all route of
/// a nested router's fallback with an internal parameter; that is no route of the API either.
pub fn route_label(matched: Option<&str>) -> &str {
    match matched {
        Some(route) if !route.contains("__private__") => route,
        _ => "unmatched",
    }
}

/// The `status` label of a response: its code, which the gateway itself chose (so one of a few), or
/// `other` for anything above 599 (a status code is at least 100).
pub fn status_label(status: &axum::http::StatusCode) -> &str {
    if status.as_u16() <= 599 {
        status.as_str()
    } else {
        "other"
    }
}

type Labels = Vec<(&'static str, String)>;

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

enum Series {
    Counter(u64),
    Gauge(i64),
    Histogram(Box<Histogram>),
}

/// The registry: series keyed by metric name and label values.
#[derive(Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<(&'static str, Labels), Series>>,
}

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    /// Changes a series, made when new. An existing series is found among its metric's without
    /// allocating (several updates per request): only a new one copies its label values.
    fn update(&self, name: &'static str, labels: &[(&'static str, &str)], new: fn() -> Series, change: impl FnOnce(&mut Series)) {
        let Ok(mut series) = self.series.lock() else { return };
        let same_labels =
            |stored: &Labels| stored.len() == labels.len() && stored.iter().zip(labels).all(|((sk, sv), (k, v))| sk == k && sv == v);
        let existing = series
            .range_mut((name, Vec::new())..)
            .take_while(|((stored, _), _)| *stored == name)
            .find(|((_, stored), _)| same_labels(stored))
            .map(|(_, value)| value);
        match existing {
            Some(value) => change(value),
            None => {
                let key = (name, labels.iter().map(|(k, v)| (*k, (*v).to_string())).collect());
                change(series.entry(key).or_insert_with(new));
            }
        }
    }

    pub fn increment(&self, name: &'static str, labels: &[(&'static str, &str)]) {
        self.update(
            name,
            labels,
            || Series::Counter(0),
            |s| {
                if let Series::Counter(n) = s {
                    *n += 1;
                }
            },
        );
    }

    pub fn add_to_gauge(&self, name: &'static str, labels: &[(&'static str, &str)], delta: i64) {
        self.update(
            name,
            labels,
            || Series::Gauge(0),
            |s| {
                if let Series::Gauge(n) = s {
                    *n += delta;
                }
            },
        );
    }

    pub fn observe(&self, name: &'static str, labels: &[(&'static str, &str)], took: Duration) {
        let seconds = took.as_secs_f64();
        self.update(
            name,
            labels,
            || Series::Histogram(Box::default()),
            |s| {
                if let Series::Histogram(h) = s {
                    for (bound, count) in BUCKETS.iter().zip(h.counts.iter_mut()) {
                        if seconds <= *bound {
                            *count += 1;
                        }
                    }
                    h.count += 1;
                    h.sum += seconds;
                }
            },
        );
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let Ok(series) = self.series.lock() else { return out };
        let mut described = None;
        for ((name, labels), value) in series.iter() {
            if described != Some(*name) {
                described = Some(*name);
                if let Some((_, kind, help)) = HELP.iter().find(|(n, _, _)| n == name) {
                    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
                }
            }
            match value {
                Series::Counter(n) => {
                    let _ = writeln!(out, "{name}{} {n}", label_text(labels, None));
                }
                Series::Gauge(n) => {
                    let _ = writeln!(out, "{name}{} {n}", label_text(labels, None));
                }
                Series::Histogram(h) => {
                    for (bound, count) in BUCKETS.iter().zip(h.counts.iter()) {
                        let _ = writeln!(out, "{name}_bucket{} {count}", label_text(labels, Some(&bound.to_string())));
                    }
                    let _ = writeln!(out, "{name}_bucket{} {}", label_text(labels, Some("+Inf")), h.count);
                    let _ = writeln!(out, "{name}_sum{} {}", label_text(labels, None), h.sum);
                    let _ = writeln!(out, "{name}_count{} {}", label_text(labels, None), h.count);
                }
            }
        }
        out
    }
}

fn label_text(labels: &Labels, le: Option<&str>) -> String {
    let mut parts: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_come_from_a_closed_set() {
        for known in ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] {
            assert_eq!(method_label(known), known);
        }
        for junk in ["get", "PROPFIND", "M0X1", "TRACE", "CONNECT", ""] {
            assert_eq!(method_label(junk), "other", "{junk}");
        }
        assert_eq!(route_label(Some("/scim/v2/Users/{id}")), "/scim/v2/Users/{id}");
        assert_eq!(route_label(Some("/scim/v2/{*__private__axum_fallback}")), "unmatched");
        assert_eq!(route_label(None), "unmatched");
        let status = |code| axum::http::StatusCode::from_u16(code).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(status_label(&status(404)), "404");
        assert_eq!(status_label(&status(999)), "other");
    }

    #[test]
    fn renders_counters_gauges_and_cumulative_histograms() {
        let metrics = Metrics::new();
        metrics.increment("scim2ldap_http_requests_total", &[("route", "/Users"), ("status", "200")]);
        metrics.increment("scim2ldap_http_requests_total", &[("route", "/Users"), ("status", "200")]);
        metrics.add_to_gauge("scim2ldap_ldap_connections_open", &[("url", "ldap://a\"b")], 2);
        metrics.observe("scim2ldap_ldap_operation_seconds", &[("op", "search")], Duration::from_millis(3));
        let text = metrics.render();
        assert!(text.contains("# TYPE scim2ldap_http_requests_total counter\n"), "{text}");
        assert!(
            text.contains("scim2ldap_http_requests_total{route=\"/Users\",status=\"200\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("scim2ldap_ldap_connections_open{url=\"ldap://a\\\"b\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("scim2ldap_ldap_operation_seconds_bucket{op=\"search\",le=\"0.0025\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("scim2ldap_ldap_operation_seconds_bucket{op=\"search\",le=\"0.005\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("scim2ldap_ldap_operation_seconds_bucket{op=\"search\",le=\"+Inf\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("scim2ldap_ldap_operation_seconds_count{op=\"search\"} 1\n"), "{text}");
    }
}
