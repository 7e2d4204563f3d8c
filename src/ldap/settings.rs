//! How to reach and bind to the directory: the `ldap` section of the configuration, and what it
//! says about the connections (encrypted, anonymous, private).

use std::path::PathBuf;

use serde::Deserialize;

fn default_pool_size() -> usize {
    4
}

fn default_timeout_ms() -> u64 {
    5000
}

fn default_connect_timeout_ms() -> u64 {
    3000
}

/// How to reach and bind to the directory (`ldap` section of the configuration).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapSettings {
    /// `ldap://host:port`, `ldaps://host:port` or `ldapi://…`; several (replicas), separated by
    /// spaces, are tried in order when one cannot be reached.
    pub url: String,
    #[serde(default)]
    pub bind_dn: String,
    #[serde(default)]
    pub bind_password: String,
    /// Accept an anonymous bind (no `bind_dn`, or one without a password, RFC 4513 §5.1.2): refused
    /// otherwise, as an anonymous gateway can rarely read and never write.
    #[serde(default)]
    pub allow_anonymous: bool,
    pub base_dn: String,
    /// Upgrade `ldap://` with StartTLS.
    #[serde(default)]
    pub starttls: bool,
    /// PEM file of the CAs that sign the directory's certificate; the system roots when absent.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Skip certificate verification. For labs only: logs a warning at startup.
    #[serde(default)]
    pub tls_insecure: bool,
    #[serde(default = "default_pool_size")]
    pub pool_size: usize,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Let passwords travel unencrypted to a directory that is neither local nor behind TLS.
    #[serde(default)]
    pub allow_plaintext_passwords: bool,
}

impl std::fmt::Debug for LdapSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LdapSettings")
            .field("url", &self.url)
            .field("bind_dn", &self.bind_dn)
            .field("bind_password", &"<redacted>")
            .field("allow_anonymous", &self.allow_anonymous)
            .field("base_dn", &self.base_dn)
            .field("starttls", &self.starttls)
            .field("ca_file", &self.ca_file)
            .field("tls_insecure", &self.tls_insecure)
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

impl LdapSettings {
    /// Whether every connection is encrypted (LDAPS for every URL, or StartTLS).
    pub fn is_encrypted(&self) -> bool {
        self.starttls || self.url.split_whitespace().all(|u| u.to_ascii_lowercase().starts_with("ldaps://"))
    }

    /// Whether the binds are anonymous: no bind DN, or a bind DN without a password, which RFC 4513
    /// §5.1.2 makes an unauthenticated (that is, anonymous) bind.
    pub fn is_anonymous(&self) -> bool {
        self.bind_dn.trim().is_empty() || self.bind_password.is_empty()
    }

    /// Whether what is sent to the directory stays on this host or inside TLS: every URL `ldaps://`,
    /// `ldapi://` or a loopback address, or StartTLS.
    pub fn keeps_secrets(&self) -> bool {
        self.starttls || self.url.split_whitespace().all(|u| is_private_url(&u.to_ascii_lowercase()))
    }
}

fn is_private_url(url: &str) -> bool {
    if url.starts_with("ldaps://") || url.starts_with("ldapi://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("ldap://") else { return false };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(host, _)| host),
    };
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_private_on_tls_ldapi_and_loopback_only() {
        for (url, private) in [
            ("ldap://127.0.0.1:3890", true),
            ("ldap://localhost", true),
            ("ldap://[::1]:389", true),
            ("ldapi://%2Frun%2Fslapd.sock", true),
            ("ldaps://dc.example.org", true),
            ("ldap://dc.example.org", false),
            ("ldap://10.0.0.5:389", false),
            ("ldap://127.0.0.1 ldap://dc2.example.org", false),
        ] {
            let settings: LdapSettings =
                serde_json::from_value(serde_json::json!({"url": url, "base_dn": "dc=x"})).unwrap_or_else(|e| unreachable!("{e}"));
            assert_eq!(settings.keeps_secrets(), private, "{url}");
        }
    }
}
