//! TLS towards the directory, by rustls.

use std::sync::Arc;

use super::error::LdapError;
use super::settings::LdapSettings;

/// The rustls configuration for a custom CA file; `None` lets ldap3 use the system roots.
pub(super) fn tls_config(settings: &LdapSettings) -> Result<Option<Arc<rustls::ClientConfig>>, LdapError> {
    let Some(path) = &settings.ca_file else {
        return Ok(None);
    };
    let pem = std::fs::read(path).map_err(|e| LdapError::Config(format!("cannot read CA file {}: {e}", path.display())))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        let cert = cert.map_err(|e| LdapError::Config(format!("bad certificate in {}: {e}", path.display())))?;
        roots
            .add(cert)
            .map_err(|e| LdapError::Config(format!("unusable certificate in {}: {e}", path.display())))?;
    }
    if roots.is_empty() {
        return Err(LdapError::Config(format!("no certificate in CA file {}", path.display())));
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| LdapError::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Some(Arc::new(config)))
}
