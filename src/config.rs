//! Configuration: compiled defaults, then an optional YAML or TOML file, then `SCIM2LDAP__*` environment
//! variables (`SCIM2LDAP__LDAP__URL` sets `ldap.url`). A service can run from the environment alone.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ldap::LdapSettings;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: ServerConfig,
    /// The directory of the target served at `/scim/v2`; optional when `targets` lists others.
    #[serde(default)]
    pub ldap: Option<LdapSettings>,
    /// The mapping file.
    #[serde(default = "default_mapping")]
    pub mapping: PathBuf,
    #[serde(default)]
    pub auth: AuthConfig,
    /// `live` (default) or `shadow`: read the directory, write nothing, record the plan.
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub shadow: ShadowConfig,
    /// Further targets, each served at `/scim/v2/<name>` with its own directory, mapping and tokens.
    #[serde(default)]
    pub targets: Vec<TargetConfig>,
    #[serde(default)]
    pub cache: CacheConfig,
    #[serde(default)]
    pub log: LogConfig,
}

/// One directory behind its own SCIM URL (`/scim/v2/<name>`) and tokens, as a SaaS product gives each
/// customer tenant its own.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    pub name: String,
    pub ldap: LdapSettings,
    #[serde(default = "default_mapping")]
    pub mapping: PathBuf,
    #[serde(default)]
    pub auth: AuthConfig,
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub shadow: ShadowConfig,
}

/// A target as served: the path under `/scim/v2` (empty for the default one) and its settings.
pub struct Target<'a> {
    pub name: &'a str,
    pub ldap: &'a LdapSettings,
    pub mapping: &'a Path,
    pub auth: &'a AuthConfig,
    pub mode: Mode,
    pub shadow: &'a ShadowConfig,
}

/// Whether a target writes to its directory.
#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Live,
    /// Reads the directory, writes nothing: every request is answered as the live gateway would, the
    /// writes it would make are kept in memory for the requests after it, and appended to the plan.
    Shadow,
}

/// Shadow mode: where the plan goes, and how much it may hold in memory.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields, default)]
pub struct ShadowConfig {
    /// The LDIF change file (RFC 2849) the writes are appended to, and replayed from at startup.
    pub plan: Option<PathBuf>,
    /// Most entries the shadow holds changed (added, modified, renamed or deleted); writes beyond
    /// are refused with 503 until the plan is applied or set aside.
    pub max_entries: usize,
}

impl Default for ShadowConfig {
    fn default() -> Self {
        ShadowConfig {
            plan: None,
            max_entries: 100_000,
        }
    }
}

/// Names a target may not take: they are SCIM endpoints under `/scim/v2` themselves.
const RESERVED_TARGET_NAMES: [&str; 7] = [
    "Users",
    "Groups",
    "Schemas",
    "ResourceTypes",
    "ServiceProviderConfig",
    "Bulk",
    ".search",
];

fn default_mapping() -> PathBuf {
    PathBuf::from("mappings/openldap.yaml")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub listen: String,
    /// Externally visible `…/scim/v2` URL for `meta.location`; the request's Host when absent.
    pub public_url: Option<String>,
    pub max_body_bytes: usize,
    pub request_timeout_ms: u64,
    /// Largest page a list returns.
    pub max_results: usize,
    /// Most entries one list query may match before it is refused with 400 `tooMany` (RFC 7644
    /// §3.12), bounding the memory and directory work one query can cost.
    pub max_matches: usize,
    /// Answer a successful PATCH with 204 and no body (RFC 7644 §3.5.2 allows it) unless the request
    /// names `attributes`; by default PATCH answers 200 with the resource.
    pub patch_no_content: bool,
    /// Most operations one POST /Bulk may carry (its body is bounded by `max_body_bytes`).
    pub bulk_max_operations: usize,
    /// Most SCIM requests served at once; more are answered 503 with Retry-After at once, so that a
    /// burst cannot queue up beyond the request timeout.
    pub max_concurrent_requests: usize,
    /// Refuse (400) attributes the mapping does not store instead of ignoring them, in POST, PUT
    /// and PATCH alike.
    pub refuse_unmapped: bool,
    /// Threads serving requests; 0 picks half the CPUs this process may use (at least one). A
    /// request is short work that mostly waits on the directory, and each further thread adds
    /// wake-ups across threads: on 2 CPUs shared with slapd, one thread served a GET with about
    /// two thirds of the CPU that two threads used, and faster.
    pub worker_threads: usize,
}

impl ServerConfig {
    /// The number of threads that serve requests (`worker_threads`, or its default).
    pub fn request_threads(&self) -> usize {
        match self.worker_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            n => n,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            max_body_bytes: 1024 * 1024,
            request_timeout_ms: 30_000,
            max_results: 200,
            max_matches: 1_000_000,
            patch_no_content: false,
            bulk_max_operations: 1000,
            max_concurrent_requests: 256,
            refuse_unmapped: false,
            worker_threads: 0,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// One plaintext token (containers, tests); hashed at startup.
    pub token: Option<String>,
    /// Named SHA-256 hashes (hex) of valid tokens; `scim2ldap token new` prints an entry.
    pub tokens: Vec<NamedToken>,
    /// OAuth 2.0 bearer JWTs, for IdPs that send those instead of a static token.
    pub jwt: Option<JwtConfig>,
}

/// Accept JWTs signed by a key of `jwks_file`, from `issuer`, for `audience`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtConfig {
    pub issuer: String,
    pub audience: String,
    pub jwks_file: PathBuf,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("tokens", &self.tokens.iter().map(|t| &t.name).collect::<Vec<_>>())
            .field("jwt", &self.jwt)
            .finish()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedToken {
    pub name: String,
    pub sha256: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    pub capacity: u64,
    pub ttl_seconds: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            capacity: 100_000,
            ttl_seconds: 600,
        }
    }
}

#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Pretty,
    Json,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub format: LogFormat,
    /// An `EnvFilter` directive; `RUST_LOG` wins when set.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Pretty,
            level: "info".into(),
        }
    }
}

/// What a configuration is loaded for: serving needs bearer tokens; inspecting the directory does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Serve,
    Inspect,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl Config {
    /// Loads the file (when given) under the `SCIM2LDAP__` environment, then checks the result.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::load_from(file, env)
    }

    /// As `load`, for commands that only read the directory (`check`): no bearer token is needed.
    pub fn load_for_inspection(file: Option<&Path>) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::load_with(file, env, Purpose::Inspect)
    }

    /// As `load`, with the environment given (tests).
    pub fn load_from(file: Option<&Path>, env: Vec<(String, String)>) -> Result<Config, ConfigError> {
        Self::load_with(file, env, Purpose::Serve)
    }

    fn load_with(file: Option<&Path>, env: Vec<(String, String)>, purpose: Purpose) -> Result<Config, ConfigError> {
        let mut builder = config::Config::builder();
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError(format!("{} does not exist", file.display())));
            }
            builder = builder.add_source(config::File::from(file));
        }
        let env_source = config::Environment::with_prefix("SCIM2LDAP")
            .prefix_separator("__")
            .separator("__")
            .source(Some(env.into_iter().collect()));
        let config: Config = builder
            .add_source(env_source)
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| ConfigError(e.to_string()))?;
        config.validate(purpose)?;
        Ok(config)
    }

    /// Every target: the default one (when `ldap` is set) first, then `targets`.
    pub fn targets(&self) -> Vec<Target<'_>> {
        let default = self.ldap.as_ref().map(|ldap| Target {
            name: "",
            ldap,
            mapping: &self.mapping,
            auth: &self.auth,
            mode: self.mode,
            shadow: &self.shadow,
        });
        default
            .into_iter()
            .chain(self.targets.iter().map(|t| Target {
                name: &t.name,
                ldap: &t.ldap,
                mapping: &t.mapping,
                auth: &t.auth,
                mode: t.mode,
                shadow: &t.shadow,
            }))
            .collect()
    }

    fn validate(&self, purpose: Purpose) -> Result<(), ConfigError> {
        if self.ldap.is_none() && self.targets.is_empty() {
            return Err(ConfigError(
                "no directory: set ldap.url (SCIM2LDAP__LDAP__URL) or list targets".into(),
            ));
        }
        if self.server.max_results == 0 {
            return Err(ConfigError("server.max_results must be at least 1".into()));
        }
        let mut names = std::collections::HashSet::new();
        for target in self.targets() {
            let at = if target.name.is_empty() {
                String::new()
            } else {
                format!("targets.{}: ", target.name)
            };
            if !target.name.is_empty() {
                let valid = target.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if !valid || RESERVED_TARGET_NAMES.iter().any(|r| r.eq_ignore_ascii_case(target.name)) {
                    return Err(ConfigError(format!(
                        "target name '{}' must be letters, digits, '-' or '_', and not a SCIM endpoint name",
                        target.name
                    )));
                }
                if !names.insert(target.name.to_ascii_lowercase()) {
                    return Err(ConfigError(format!("target name '{}' is used twice", target.name)));
                }
            }
            if target.ldap.is_anonymous() && !target.ldap.allow_anonymous {
                let what = if target.ldap.bind_dn.trim().is_empty() {
                    "no ldap.bind_dn (SCIM2LDAP__LDAP__BIND_DN)"
                } else {
                    "ldap.bind_dn without ldap.bind_password (SCIM2LDAP__LDAP__BIND_PASSWORD), an unauthenticated bind (RFC 4513 §5.1.2)"
                };
                return Err(ConfigError(format!(
                    "{at}{what}: the gateway would bind anonymously, which directories let read little and write nothing; set the service account's DN and password, or ldap.allow_anonymous: true (SCIM2LDAP__LDAP__ALLOW_ANONYMOUS) if anonymous is meant"
                )));
            }
            let needs_token = purpose == Purpose::Serve;
            if needs_token
                && target.auth.token.as_deref().is_none_or(str::is_empty)
                && target.auth.tokens.is_empty()
                && target.auth.jwt.is_none()
            {
                return Err(ConfigError(format!(
                    "{at}no bearer token: set SCIM2LDAP__AUTH__TOKEN or auth.tokens (scim2ldap token new prints one)"
                )));
            }
            if target.auth.token.as_deref().is_some_and(|t| t.len() < 16) {
                return Err(ConfigError(format!("{at}auth.token must be at least 16 characters")));
            }
            if target.ldap.starttls && target.ldap.url.starts_with("ldaps://") {
                return Err(ConfigError(format!(
                    "{at}ldap.starttls goes with ldap:// URLs; ldaps:// is TLS already"
                )));
            }
            if target.ldap.pool_size == 0 {
                return Err(ConfigError(format!("{at}ldap.pool_size must be at least 1")));
            }
            if target.mode == Mode::Shadow && target.shadow.plan.is_none() {
                return Err(ConfigError(format!(
                    "{at}mode: shadow needs shadow.plan (SCIM2LDAP__SHADOW__PLAN), the file the writes it would make are recorded in"
                )));
            }
            if target.mode == Mode::Shadow && target.shadow.max_entries == 0 {
                return Err(ConfigError(format!("{at}shadow.max_entries must be at least 1")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn runs_from_environment_alone() {
        let config = Config::load_from(
            None,
            env(&[
                ("SCIM2LDAP__SERVER__LISTEN", "127.0.0.1:9999"),
                ("SCIM2LDAP__LDAP__URL", "ldap://127.0.0.1:3389"),
                ("SCIM2LDAP__LDAP__BIND_DN", "cn=admin,dc=example,dc=org"),
                ("SCIM2LDAP__LDAP__BIND_PASSWORD", "pw"),
                ("SCIM2LDAP__LDAP__BASE_DN", "dc=example,dc=org"),
                ("SCIM2LDAP__MAPPING", "mappings/openldap.yaml"),
                ("SCIM2LDAP__AUTH__TOKEN", "0123456789abcdef0123"),
                ("SCIM2LDAP__LDAP__POOL_SIZE", "8"),
                ("UNRELATED", "x"),
            ]),
        );
        let config = config.map_err(|e| e.to_string());
        assert!(config.is_ok(), "{config:?}");
        if let Ok(config) = config {
            assert_eq!(config.server.listen, "127.0.0.1:9999");
            let ldap = config
                .ldap
                .as_ref()
                .map(|l| (l.base_dn.as_str(), l.bind_password.as_str(), l.pool_size));
            assert_eq!(ldap, Some(("dc=example,dc=org", "pw", 8)));
            assert_eq!(config.mapping, PathBuf::from("mappings/openldap.yaml"));
            assert!(!format!("{config:?}").contains("0123456789abcdef0123"));
            assert!(!format!("{config:?}").contains("\"pw\""));
        }
    }

    #[test]
    fn targets_each_need_a_token_and_a_free_name() {
        let dir = std::env::temp_dir().join(format!("scim2ldap-config-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join("targets.yaml");
        let write = |text: &str| std::fs::write(&file, text).map_err(|e| e.to_string());
        let target = |name: &str, auth: &str| {
            format!("  - name: {name}\n    ldap: {{ url: \"ldap://x\", base_dn: \"dc=x\", bind_dn: \"cn=a\", bind_password: \"pw\" }}\n    auth: {auth}\n")
        };
        let good = format!(
            "targets:\n{}{}",
            target("acme", "{ token: 0123456789abcdef-acme }"),
            target("globex", "{ token: 0123456789abcdef-glob }")
        );
        assert_eq!(write(&good), Ok(()));
        let config = Config::load_from(Some(&file), Vec::new()).map_err(|e| e.to_string());
        let names = config.map(|c| c.targets().iter().map(|t| t.name.to_string()).collect::<Vec<_>>());
        assert_eq!(names, Ok(vec!["acme".to_string(), "globex".to_string()]));
        for (text, expected) in [
            (format!("targets:\n{}", target("acme", "{}")), "targets.acme: no bearer token"),
            (
                format!("targets:\n{}", target("Users", "{ token: 0123456789abcdef-acme }")),
                "not a SCIM endpoint name",
            ),
            (
                format!(
                    "targets:\n{}{}",
                    target("a", "{ token: 0123456789abcdef-acme }"),
                    target("A", "{ token: 0123456789abcdef-acme }")
                ),
                "used twice",
            ),
            ("server: { listen: \"127.0.0.1:1\" }\n".to_string(), "no directory"),
        ] {
            assert_eq!(write(&text), Ok(()));
            let err = Config::load_from(Some(&file), Vec::new())
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(expected), "{text}: {err}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn refuses_to_run_without_a_token() {
        let directory = [
            ("SCIM2LDAP__LDAP__URL", "ldap://x"),
            ("SCIM2LDAP__LDAP__BASE_DN", "dc=x"),
            ("SCIM2LDAP__LDAP__BIND_DN", "cn=a"),
            ("SCIM2LDAP__LDAP__BIND_PASSWORD", "pw"),
        ];
        let err = Config::load_from(None, env(&directory));
        assert!(err.is_err_and(|e| e.to_string().contains("token")));
        let inspecting = Config::load_with(None, env(&directory), Purpose::Inspect);
        assert!(inspecting.is_ok(), "check only reads the directory: {inspecting:?}");
    }

    #[test]
    fn refuses_an_anonymous_bind_unless_asked_for() {
        let with = |extra: &[(&str, &str)]| {
            let mut pairs = vec![
                ("SCIM2LDAP__LDAP__URL", "ldap://x"),
                ("SCIM2LDAP__LDAP__BASE_DN", "dc=x"),
                ("SCIM2LDAP__AUTH__TOKEN", "0123456789abcdef0123"),
            ];
            pairs.extend_from_slice(extra);
            Config::load_from(None, env(&pairs)).map(|_| ()).map_err(|e| e.to_string())
        };
        let no_dn = with(&[]).err().unwrap_or_default();
        assert!(
            no_dn.contains("no ldap.bind_dn") && no_dn.contains("SCIM2LDAP__LDAP__ALLOW_ANONYMOUS"),
            "{no_dn}"
        );
        let no_password = with(&[("SCIM2LDAP__LDAP__BIND_DN", "cn=a")]).err().unwrap_or_default();
        assert!(no_password.contains("without ldap.bind_password"), "{no_password}");
        assert_eq!(with(&[("SCIM2LDAP__LDAP__ALLOW_ANONYMOUS", "true")]), Ok(()));
    }

    #[test]
    fn shadow_mode_needs_a_plan_file() {
        let with = |extra: &[(&str, &str)]| {
            let mut pairs = vec![
                ("SCIM2LDAP__LDAP__URL", "ldap://x"),
                ("SCIM2LDAP__LDAP__BASE_DN", "dc=x"),
                ("SCIM2LDAP__LDAP__BIND_DN", "cn=a"),
                ("SCIM2LDAP__LDAP__BIND_PASSWORD", "pw"),
                ("SCIM2LDAP__AUTH__TOKEN", "0123456789abcdef0123"),
            ];
            pairs.extend_from_slice(extra);
            Config::load_from(None, env(&pairs)).map_err(|e| e.to_string())
        };
        let live = with(&[]).map(|c| (c.mode, c.shadow.plan.clone()));
        assert_eq!(live.ok(), Some((Mode::Live, None)));
        let no_plan = with(&[("SCIM2LDAP__MODE", "shadow")]).err().unwrap_or_default();
        assert!(no_plan.contains("SCIM2LDAP__SHADOW__PLAN"), "{no_plan}");
        let shadow = with(&[
            ("SCIM2LDAP__MODE", "shadow"),
            ("SCIM2LDAP__SHADOW__PLAN", "/tmp/plan.ldif"),
            ("SCIM2LDAP__SHADOW__MAX_ENTRIES", "50"),
        ]);
        let shadow = shadow.map(|c| {
            let targets = c.targets();
            (targets[0].mode, targets[0].shadow.plan.clone(), targets[0].shadow.max_entries)
        });
        assert_eq!(shadow.ok(), Some((Mode::Shadow, Some(PathBuf::from("/tmp/plan.ldif")), 50)));
    }

    #[test]
    fn unknown_keys_are_errors() {
        let err = Config::load_from(
            None,
            env(&[
                ("SCIM2LDAP__LDAP__URL", "ldap://x"),
                ("SCIM2LDAP__LDAP__BASE_DN", "dc=x"),
                ("SCIM2LDAP__LDAP__URLL", "typo"),
                ("SCIM2LDAP__LDAP__BIND_DN", "cn=a"),
                ("SCIM2LDAP__LDAP__BIND_PASSWORD", "pw"),
                ("SCIM2LDAP__AUTH__TOKEN", "0123456789abcdef0123"),
            ]),
        );
        assert!(err.is_err_and(|e| e.to_string().contains("urll")));
    }
}
