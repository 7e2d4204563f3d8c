//! TLS to the directory: StartTLS verified against a CA file; verification is on by default.

use std::path::Path;
use std::process::Command;

use crate::support::{refusal, Gateway, Slapd};

/// A throwaway CA and a server certificate for 127.0.0.1, made with openssl in `dir`.
fn make_certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap_or_else(|e| panic!("openssl: {e}"));
        assert!(
            status.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=scim2ldap test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap_or_else(|e| panic!("{e}"));
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        "-out",
        "server.pem",
    ]);
}

#[tokio::test]
async fn starttls_is_verified_against_the_configured_ca() {
    let certs = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    make_certificates(certs.path());
    let cert = certs.path().join("server.pem").display().to_string();
    let key = certs.path().join("server.key").display().to_string();
    let ca = certs.path().join("ca.pem").display().to_string();
    let slapd = Slapd::start_with_env(&[], &[("SLAPD_TLS_CERT", &cert), ("SLAPD_TLS_KEY", &key)]).await;

    // Verification is on by default: the test CA is not among the system roots.
    let config = Gateway::config(&slapd, &[("SCIM2LDAP__LDAP__STARTTLS", "true")]).unwrap_or_else(|e| panic!("{e}"));
    let refused = refusal(scim2ldap::app::build(&config).await);
    assert!(
        refused.contains("cannot connect"),
        "an unverifiable certificate must be refused: {refused}"
    );

    // A CA file that does not exist is a clear startup error.
    let config = Gateway::config(
        &slapd,
        &[
            ("SCIM2LDAP__LDAP__STARTTLS", "true"),
            ("SCIM2LDAP__LDAP__CA_FILE", "/nonexistent/ca.pem"),
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let refused = refusal(scim2ldap::app::build(&config).await);
    assert!(refused.contains("/nonexistent/ca.pem"), "{refused}");

    // With the CA, the gateway works over StartTLS.
    let gw = Gateway::attach(slapd, &[("SCIM2LDAP__LDAP__STARTTLS", "true"), ("SCIM2LDAP__LDAP__CA_FILE", &ca)]).await;
    let id = gw.create_user(serde_json::json!({"userName": "over-tls"})).await;
    let (status, user) = gw.get(&format!("/Users/{id}")).await;
    assert_eq!((status, user["userName"].as_str()), (200, Some("over-tls")));
}
