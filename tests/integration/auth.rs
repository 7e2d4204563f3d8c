//! Who may call: OAuth bearer JWTs checked for signature, issuer, audience and expiry; tokens and
//! mappings reloaded without a restart; each target with its own directory and tokens.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::support::process::{Process, SHIPPED_MAPPING};
use crate::support::{eventually, path_str, read, read_text, Gateway, Slapd};

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// A fresh RSA key (PEM) and the JWKS that publishes its public half under `kid`.
fn rsa_key_and_jwks(dir: &std::path::Path, kid: &str) -> (Vec<u8>, String) {
    let key = dir.join(format!("{kid}.pem"));
    let generated = std::process::Command::new("openssl")
        .args(["genrsa", "-out"])
        .arg(&key)
        .arg("2048")
        .output()
        .unwrap_or_else(|e| panic!("openssl: {e}"));
    assert!(generated.status.success());
    let modulus = std::process::Command::new("openssl")
        .args(["rsa", "-noout", "-modulus", "-in"])
        .arg(&key)
        .output()
        .unwrap_or_else(|e| panic!("openssl: {e}"));
    let hex_modulus = String::from_utf8_lossy(&modulus.stdout)
        .trim()
        .trim_start_matches("Modulus=")
        .to_string();
    let n = hex::decode(hex_modulus).unwrap_or_else(|e| panic!("{e}"));
    let jwks = json!({"keys": [{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": base64url(&n), "e": "AQAB"}]});
    (std::fs::read(&key).unwrap_or_else(|e| panic!("{e}")), jwks.to_string())
}

#[tokio::test]
async fn oauth_bearer_jwts_are_checked_for_signature_issuer_audience_and_expiry() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (private, jwks) = rsa_key_and_jwks(dir.path(), "idp-key");
    let (other_private, _) = rsa_key_and_jwks(dir.path(), "other-key");
    let jwks_file = dir.path().join("jwks.json");
    std::fs::write(&jwks_file, jwks).unwrap_or_else(|e| panic!("{e}"));
    let gw = Gateway::start_with(
        &[],
        &[
            ("SCIM2LDAP__AUTH__JWT__ISSUER", "https://idp.example.org/"),
            ("SCIM2LDAP__AUTH__JWT__AUDIENCE", "scim2ldap"),
            ("SCIM2LDAP__AUTH__JWT__JWKS_FILE", path_str(&jwks_file)),
        ],
    )
    .await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_else(|e| panic!("clock before 1970: {e}"));
    let sign = |key: &[u8], kid: &str, claims: serde_json::Value| {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(kid.to_string());
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(key).unwrap_or_else(|e| panic!("{e}"));
        jsonwebtoken::encode(&header, &claims, &key).unwrap_or_else(|e| panic!("{e}"))
    };
    let claims = |iss: &str, aud: &str, exp: u64| json!({"iss": iss, "aud": aud, "sub": "entra-app", "exp": exp});
    let good = sign(&private, "idp-key", claims("https://idp.example.org/", "scim2ldap", now + 600));
    for (token, expected) in [
        (good.clone(), 200),
        (
            sign(&private, "idp-key", claims("https://evil.example.org/", "scim2ldap", now + 600)),
            401,
        ),
        (
            sign(&private, "idp-key", claims("https://idp.example.org/", "someone-else", now + 600)),
            401,
        ),
        (
            sign(&private, "idp-key", claims("https://idp.example.org/", "scim2ldap", now - 3600)),
            401,
        ),
        (
            sign(
                &other_private,
                "idp-key",
                claims("https://idp.example.org/", "scim2ldap", now + 600),
            ),
            401,
        ),
        ("not.a.jwt".to_string(), 401),
        (crate::support::TOKEN.to_string(), 200),
    ] {
        let (status, body) = read(gw.raw(Method::GET, "/scim/v2/Users", None, Some(&token)).await).await;
        assert_eq!(status, expected, "{body}");
    }
}

fn sha256_hex(token: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

#[tokio::test]
async fn tokens_and_mappings_reload_without_a_restart() {
    let slapd = Slapd::start(&[]).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mapping = dir.path().join("mapping.yaml");
    std::fs::copy(SHIPPED_MAPPING, &mapping).unwrap_or_else(|e| panic!("{e}"));
    let config = dir.path().join("scim2ldap.yaml");
    let write_config = |token: &str| {
        let text = format!(
            "ldap: {{ url: \"{}\", bind_dn: \"{}\", bind_password: \"{}\", base_dn: \"{}\" }}\nmapping: {}\nauth:\n  tokens:\n    - {{ name: rotated, sha256: \"{}\" }}\n",
            slapd.url,
            crate::support::slapd::ROOT_DN,
            crate::support::slapd::ROOT_PW,
            crate::support::slapd::SUFFIX,
            mapping.display(),
            sha256_hex(token)
        );
        std::fs::write(&config, text).unwrap_or_else(|e| panic!("{e}"));
    };
    write_config("first-token-0123456789");
    let port = crate::support::endpoint::free_port();
    let log = dir.path().join("gateway.log");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_scim2ldap"))
        .args(["serve", "--config"])
        .arg(&config)
        .env("SCIM2LDAP__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env_remove("RUST_LOG")
        .stdout(std::fs::File::create(&log).unwrap_or_else(|e| panic!("{e}")))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let gateway = Process {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let status_with = |token: &'static str| {
        let request = client.get(format!("{}/scim/v2/Users", gateway.base)).bearer_auth(token).send();
        // 0 while the gateway does not answer yet (polled until it does); no assertion expects 0.
        async move { request.await.map(|r| r.status().as_u16()).unwrap_or(0) }
    };
    let up = eventually(100, Duration::from_millis(50), || async {
        status_with("first-token-0123456789").await == 200
    })
    .await;
    assert!(up, "the gateway started");

    // A rotated token takes effect on SIGHUP.
    write_config("second-token-0123456789");
    let hup = std::process::Command::new("kill")
        .arg("-HUP")
        .arg(gateway.child.id().to_string())
        .status();
    assert!(hup.is_ok_and(|s| s.success()));
    let rotated = eventually(60, Duration::from_millis(100), || async {
        status_with("second-token-0123456789").await == 200
    })
    .await;
    assert!(rotated, "the new token works");
    assert_eq!(status_with("first-token-0123456789").await, 401, "the old one no longer does");

    // A broken mapping, noticed by its file changing, leaves the running one in place.
    std::fs::write(&mapping, "version: 2\n").unwrap_or_else(|e| panic!("{e}"));
    let reported = eventually(60, Duration::from_millis(100), || async {
        read_text(&log).contains("reload failed")
    })
    .await;
    assert!(reported, "{}", read_text(&log));
    let text = read_text(&log);
    assert!(
        text.contains(&format!("{}:1:", mapping.display())),
        "the error names file and line:\n{text}"
    );
    assert_eq!(
        status_with("second-token-0123456789").await,
        200,
        "still serving the last good configuration"
    );
    let metrics = client
        .get(format!("{}/metrics", gateway.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let metrics = crate::support::body_text(metrics).await;
    let reloads = metrics
        .lines()
        .find_map(|l| l.strip_prefix("scim2ldap_config_reloads_total{result=\"ok\"} "))
        .and_then(|n| n.parse::<u64>().ok());
    assert!(reloads.is_some_and(|n| n >= 1), "{metrics}");
    assert!(metrics.contains("scim2ldap_config_reloads_total{result=\"failed\"} 1"), "{metrics}");
}

#[tokio::test]
async fn each_target_has_its_own_directory_url_and_tokens() {
    let acme = Slapd::start(&[]).await;
    let globex = Slapd::start(&[]).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("scim2ldap.yaml");
    let target = |name: &str, slapd: &Slapd| {
        format!(
            "  - name: {name}\n    ldap: {{ url: \"{}\", bind_dn: \"{}\", bind_password: \"{}\", base_dn: \"{}\" }}\n    mapping: {}/mappings/openldap.yaml\n    auth: {{ token: \"{name}-token-0123456789\" }}\n",
            slapd.url,
            crate::support::slapd::ROOT_DN,
            crate::support::slapd::ROOT_PW,
            crate::support::slapd::SUFFIX,
            env!("CARGO_MANIFEST_DIR"),
        )
    };
    let yaml = format!("targets:\n{}{}", target("acme", &acme), target("globex", &globex));
    std::fs::write(&file, yaml).unwrap_or_else(|e| panic!("{e}"));
    let config = scim2ldap::config::Config::load_from(Some(&file), Vec::new()).unwrap_or_else(|e| panic!("{e}"));
    let app = scim2ldap::app::build(&config).await.unwrap_or_else(|e| panic!("{e}"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let base = format!("http://{}", listener.local_addr().unwrap_or_else(|e| panic!("{e}")));
    tokio::spawn(scim2ldap::http::serve(listener, app, std::future::pending()));
    let client = reqwest::Client::new();

    let created = client
        .post(format!("{base}/scim/v2/acme/Users"))
        .bearer_auth("acme-token-0123456789")
        .json(&json!({"userName": "wile"}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(created.status(), 201);
    let location = created
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_else(|| panic!("no Location on the created user"))
        .to_string();
    assert!(location.starts_with(&format!("{base}/scim/v2/acme/Users/")), "{location}");
    assert_eq!(acme.find("(uid=wile)").await.len(), 1);
    assert!(globex.find("(uid=wile)").await.is_empty(), "written to acme's directory only");

    // One target's token is refused on the other, and the id of one target is unknown to the other.
    for (path, token, expected) in [
        ("/scim/v2/globex/Users", "acme-token-0123456789", 401),
        ("/scim/v2/acme/Users", "globex-token-0123456789", 401),
        ("/scim/v2/globex/Users", "globex-token-0123456789", 200),
        ("/scim/v2/Users", "acme-token-0123456789", 404),
    ] {
        let status = client
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .map(|r| r.status().as_u16());
        assert_eq!(status.ok(), Some(expected), "{path} with {token}");
    }
    let id = location
        .rsplit_once('/')
        .map(|(_, id)| id)
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| panic!("no id at the end of {location}"));
    let status = client
        .get(format!("{base}/scim/v2/globex/Users/{id}"))
        .bearer_auth("globex-token-0123456789")
        .send()
        .await
        .map(|r| r.status().as_u16());
    assert_eq!(status.ok(), Some(404));
    let ready = client.get(format!("{base}/readyz")).send().await.map(|r| r.status().as_u16());
    assert_eq!(ready.ok(), Some(200), "ready when every target's directory answers");
}
