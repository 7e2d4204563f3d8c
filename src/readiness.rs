//! Ready means ready: every base a mapping works in exists and the bind identity can read it, and,
//! where the directory can tell, that identity may write what the mapping writes. Run at startup
//! (a missing or unreadable users or groups base stops it, as a bad mapping does), by `/readyz`
//! (bounded in time and cached, so that probes neither hang nor hammer the directory) and by
//! `scim2ldap check`. Every finding says what to fix.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::config::Target;
use crate::ldap::error::rc;
use crate::ldap::probe::EffectiveRights;
use crate::ldap::schema::Subschema;
use crate::ldap::{names_only, Directory, LdapDirectory, LdapError, LdapFilter, SearchRequest};
use crate::mapping::{DeleteStrategy, Mapping, ResourceMapping};

/// How long `/readyz` waits for a directory: well below the probe timeouts of orchestrators and load
/// balancers (1–2 s), whatever `ldap.timeout_ms` says.
pub const READY_LIMIT: Duration = Duration::from_millis(900);
/// How long a base check's answer is kept for `/readyz`.
const BASES_TTL: Duration = Duration::from_secs(5);

/// Where a target's findings point to: who binds, the `{base}`, the mapping file.
#[derive(Debug, Clone)]
pub struct Context {
    /// The bind DN, or `an anonymous bind`.
    pub bind: String,
    pub base_dn: String,
    pub mapping_file: PathBuf,
}

impl Context {
    pub fn of(target: &Target<'_>) -> Context {
        Context {
            bind: if target.ldap.is_anonymous() {
                "an anonymous bind".to_string()
            } else {
                target.ldap.bind_dn.clone()
            },
            base_dn: target.ldap.base_dn.clone(),
            mapping_file: target.mapping.to_path_buf(),
        }
    }
}

/// One DN a mapping works in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    /// `users base`, `groups archive`, …
    pub what: String,
    pub dn: String,
    /// The mapping key that sets it.
    pub setting: &'static str,
    /// Whether the gateway cannot serve at all without it (users and groups bases).
    pub required: bool,
}

/// The users and groups bases, then the parents entries move to (archive, disabled accounts,
/// placement), each once.
pub fn bases(mapping: &Mapping) -> Vec<Base> {
    let mut out: Vec<Base> = Vec::new();
    let mut add = |base: Base| {
        if !out
            .iter()
            .any(|b| crate::ldap::dn::normalize(&b.dn) == crate::ldap::dn::normalize(&base.dn))
        {
            out.push(base);
        }
    };
    for m in resources(mapping) {
        let kind = noun(m);
        add(Base {
            what: format!("{kind} base"),
            dn: m.base.clone(),
            setting: if kind == "users" { "users.base" } else { "groups.base" },
            required: true,
        });
    }
    for m in resources(mapping) {
        let kind = noun(m);
        if let DeleteStrategy::Move(archive) = &m.delete {
            add(Base {
                what: format!("{kind} archive"),
                dn: archive.clone(),
                setting: "delete.archive",
                required: false,
            });
        }
        if let Some(disabled) = &m.disabled_parent {
            add(Base {
                what: format!("{kind} parent for disabled accounts"),
                dn: disabled.clone(),
                setting: "active.move_to",
                required: false,
            });
        }
        for (value, parent) in m.placement.iter().flat_map(|p| &p.parents) {
            add(Base {
                what: format!("{kind} placement parent for '{value}'"),
                dn: parent.clone(),
                setting: "placement",
                required: false,
            });
        }
    }
    out
}

fn resources(mapping: &Mapping) -> impl Iterator<Item = &ResourceMapping> {
    std::iter::once(&mapping.users).chain(mapping.groups.as_ref())
}

fn noun(m: &ResourceMapping) -> &'static str {
    match m.kind {
        crate::mapping::ResourceKind::User => "users",
        crate::mapping::ResourceKind::Group => "groups",
    }
}

/// What reading a base showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseState {
    Readable,
    /// The base is missing or unreadable: what to fix.
    Finding(String),
    /// The directory did not answer: nothing is known about the base.
    Unreachable(String),
}

/// The state of `base` from the outcome of a base-scope search on it (entries found).
pub fn base_state(base: &Base, outcome: &Result<usize, LdapError>, context: &Context) -> BaseState {
    let Base { what, dn, setting, .. } = base;
    let file = context.mapping_file.display();
    let where_set = format!("check ldap.base_dn ({}) and {setting} in {file}", context.base_dn);
    match outcome {
        Ok(found) if *found > 0 => BaseState::Readable,
        Ok(_) => BaseState::Finding(format!(
            "{what} {dn} cannot be read by {}: give it read access to the base, or bind as an account that has it",
            context.bind
        )),
        Err(e) if e.is_unavailable() => BaseState::Unreachable(e.to_string()),
        Err(e) => BaseState::Finding(match e.result_code() {
            // Directories answer noSuchObject for entries the identity may not see as well (OpenLDAP
            // without `disclose` access), so the message names both causes.
            Some(rc::NO_SUCH_OBJECT) => format!("{what} {dn} does not exist (or {} may not see it): {where_set}", context.bind),
            Some(rc::INSUFFICIENT_ACCESS) => format!(
                "{what} {dn} cannot be read by {}: give it read access to the base, or bind as an account that has it",
                context.bind
            ),
            Some(rc::INVALID_DN_SYNTAX) => format!("{what} {dn} is not a valid DN: {where_set}"),
            _ => format!("{what} {dn} cannot be read: {e}"),
        }),
    }
}

/// Entries a base-scope search on `dn` finds (1 when the entry exists and may be read).
pub async fn read_base(directory: &dyn Directory, dn: &str) -> Result<usize, LdapError> {
    let request = SearchRequest::entry(dn, LdapFilter::any(), names_only());
    directory.search(&request).await.map(|found| found.len())
}

/// One thing `check` or startup found about a target's directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectoryFinding {
    /// Whether the gateway cannot serve with it (startup stops).
    pub blocking: bool,
    pub message: String,
}

/// What the directory says about the bind and the bases: the bound identity (Who am I?, when
/// offered) and the findings, blocking ones first.
pub async fn inspect(directory: &LdapDirectory, mapping: &Mapping, context: &Context) -> (Option<String>, Vec<DirectoryFinding>) {
    let identity = directory.who_am_i().await.unwrap_or_else(|e| {
        tracing::debug!(error = %e, "Who am I? refused");
        None
    });
    let mut findings = Vec::new();
    if identity.as_deref().is_some_and(|i| i.is_empty()) && !context.bind.starts_with("an anonymous") {
        findings.push(DirectoryFinding {
            blocking: true,
            message: format!(
                "the directory says the bind as {} is anonymous: give the account a password (ldap.bind_password)",
                context.bind
            ),
        });
    }
    for base in bases(mapping) {
        let outcome = read_base(directory, &base.dn).await;
        match base_state(&base, &outcome, context) {
            BaseState::Readable => {}
            BaseState::Finding(message) | BaseState::Unreachable(message) => findings.push(DirectoryFinding {
                blocking: base.required,
                message,
            }),
        }
    }
    if !findings.iter().any(|f| f.blocking) {
        let schema = Subschema::read(directory).await.unwrap_or_default();
        for m in resources(mapping) {
            let attrs = crate::mapping::check::written_attributes(m);
            match directory.effective_rights(&m.base, m.scope, &m.type_filter(), &attrs).await {
                Ok(Some(rights)) => findings.extend(
                    rights_findings(m, &rights, &schema, context)
                        .into_iter()
                        .map(|message| DirectoryFinding { blocking: false, message }),
                ),
                Ok(None) => tracing::debug!("the directory cannot tell the bind's rights"),
                Err(e) => findings.push(DirectoryFinding {
                    blocking: false,
                    message: format!("cannot read {}'s rights on {} {}: {e}", context.bind, noun(m), m.base),
                }),
            }
        }
    }
    findings.sort_by_key(|f| !f.blocking);
    (identity, findings)
}

/// The checks `serve` makes before it serves a target: logs the bound identity; a missing or
/// unreadable users or groups base is the error that stops startup, the rest are warnings.
pub async fn at_startup(directory: &LdapDirectory, mapping: &Mapping, context: &Context) -> Result<(), String> {
    let (identity, findings) = inspect(directory, mapping, context).await;
    match identity {
        Some(identity) if identity.is_empty() => tracing::warn!("bound to the directory anonymously (ldap.allow_anonymous)"),
        Some(identity) => tracing::info!(identity, "bound to the directory"),
        None => tracing::info!(bind_dn = %context.bind, "bound to the directory (it does not answer Who am I?)"),
    }
    let (blocking, warnings): (Vec<_>, Vec<_>) = findings.into_iter().partition(|f| f.blocking);
    for warning in warnings {
        tracing::warn!("{}", warning.message);
    }
    if blocking.is_empty() {
        Ok(())
    } else {
        Err(blocking.into_iter().map(|f| f.message).collect::<Vec<_>>().join("\n"))
    }
}

/// What the directory's rights say the bind may not do for a type.
pub fn rights_findings(m: &ResourceMapping, rights: &EffectiveRights, schema: &Subschema, context: &Context) -> Vec<String> {
    let mut findings = Vec::new();
    let kind = noun(m);
    if let Some(writable) = &rights.writable {
        let denied: Vec<String> = crate::mapping::check::written_attributes(m)
            .into_iter()
            .filter(|a| !writable.contains(&a.to_ascii_lowercase()) && schema.allows(&rights.classes, a))
            .collect();
        if !denied.is_empty() {
            findings.push(format!(
                "{kind}: {} may not write {} on {} (as {} tells): grant it write access to them under {}, or leave them out of {}",
                context.bind,
                denied.join(", "),
                rights.entry,
                rights.source.name(),
                m.base,
                context.mapping_file.display()
            ));
        }
    }
    if let Some(classes) = &rights.child_classes {
        let creatable = m.filter_classes.iter().any(|c| classes.contains(&c.to_ascii_lowercase()));
        if !creatable {
            findings.push(format!(
                "{kind}: {} may not create {} entries under {} (allowedChildClassesEffective): grant it the right to create them there",
                context.bind,
                m.filter_classes.join("/"),
                m.base
            ));
        }
    }
    findings
}

/// One line of `/readyz`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub target: String,
    /// `directory`, `users base`, `groups base`.
    pub check: String,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The last definite answer about a target's bases, and when it came.
type CachedBases = (Instant, Vec<Check>);

/// What `/readyz` checks for one target.
#[derive(Clone)]
pub struct ReadinessTarget {
    pub name: String,
    pub mapping: Arc<Mapping>,
    pub directory: Arc<dyn Directory>,
    pub context: Context,
    bases: Arc<tokio::sync::Mutex<Option<CachedBases>>>,
}

impl ReadinessTarget {
    pub fn new(name: &str, mapping: Arc<Mapping>, directory: Arc<dyn Directory>, context: Context) -> Self {
        ReadinessTarget {
            name: name.to_string(),
            mapping,
            directory,
            context,
            bases: Arc::default(),
        }
    }

    /// The directory answers (checked every time, as cheap as a root DSE read), then the bases
    /// (answers kept for a few seconds). Nothing is cached while the directory does not answer, so
    /// readiness returns as soon as it does.
    async fn checks(&self) -> Vec<Check> {
        let check = |name: &str, detail: Option<String>| Check {
            target: self.name.clone(),
            check: name.to_string(),
            ok: detail.is_none(),
            detail,
        };
        if let Err(e) = self.directory.ping().await {
            return vec![check("directory", Some(format!("the directory does not answer: {e}")))];
        }
        let mut cached = self.bases.lock().await;
        if let Some((at, checks)) = cached.as_ref() {
            if at.elapsed() < BASES_TTL {
                return std::iter::once(check("directory", None)).chain(checks.iter().cloned()).collect();
            }
        }
        let mut checks = Vec::new();
        for base in bases(&self.mapping).into_iter().filter(|b| b.required) {
            let outcome = read_base(self.directory.as_ref(), &base.dn).await;
            match base_state(&base, &outcome, &self.context) {
                BaseState::Readable => checks.push(check(&base.what, None)),
                BaseState::Finding(message) => checks.push(check(&base.what, Some(message))),
                BaseState::Unreachable(message) => {
                    return vec![check("directory", Some(format!("the directory does not answer: {message}")))];
                }
            }
        }
        *cached = Some((Instant::now(), checks.clone()));
        std::iter::once(check("directory", None)).chain(checks).collect()
    }
}

/// Every target's readiness, for `/readyz`.
#[derive(Clone, Default)]
pub struct Readiness {
    pub targets: Vec<ReadinessTarget>,
}

impl Readiness {
    /// Each target's checks, run side by side and each bounded by `READY_LIMIT`.
    pub async fn checks(&self) -> Vec<Check> {
        let mut running = tokio::task::JoinSet::new();
        for (index, target) in self.targets.iter().cloned().enumerate() {
            running.spawn(async move {
                let checks = match tokio::time::timeout(READY_LIMIT, target.checks()).await {
                    Ok(checks) => checks,
                    Err(_) => vec![Check {
                        target: target.name.clone(),
                        check: "directory".into(),
                        ok: false,
                        detail: Some(format!("the directory did not answer within {} ms", READY_LIMIT.as_millis())),
                    }],
                };
                (index, checks)
            });
        }
        let mut answers = running.join_all().await;
        answers.sort_by_key(|(index, _)| *index);
        answers.into_iter().flat_map(|(_, checks)| checks).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn context() -> Context {
        Context {
            bind: "cn=scim,dc=example,dc=org".into(),
            base_dn: "dc=exmaple,dc=org".into(),
            mapping_file: PathBuf::from("mappings/openldap.yaml"),
        }
    }

    fn users_base() -> Base {
        Base {
            what: "users base".into(),
            dn: "ou=people,dc=exmaple,dc=org".into(),
            setting: "users.base",
            required: true,
        }
    }

    fn refused(code: u32) -> Result<usize, LdapError> {
        Err(LdapError::Result {
            op: "search",
            rc: code,
            text: String::new(),
        })
    }

    #[test]
    fn a_missing_base_names_the_settings_that_make_it() {
        let state = base_state(&users_base(), &refused(rc::NO_SUCH_OBJECT), &context());
        assert_eq!(
            state,
            BaseState::Finding(
                "users base ou=people,dc=exmaple,dc=org does not exist (or cn=scim,dc=example,dc=org may not see it): check ldap.base_dn (dc=exmaple,dc=org) and users.base in mappings/openldap.yaml".into()
            )
        );
    }

    #[test]
    fn an_unreadable_base_names_the_bind() {
        for outcome in [Ok(0), refused(rc::INSUFFICIENT_ACCESS)] {
            let state = base_state(&users_base(), &outcome, &context());
            let BaseState::Finding(message) = state else { panic!("{state:?}") };
            assert!(message.contains("cannot be read by cn=scim,dc=example,dc=org"), "{message}");
        }
        assert_eq!(base_state(&users_base(), &Ok(1), &context()), BaseState::Readable);
    }

    #[test]
    fn a_directory_that_does_not_answer_tells_nothing_about_the_base() {
        let state = base_state(&users_base(), &Err(LdapError::Timeout("search")), &context());
        assert!(matches!(state, BaseState::Unreachable(_)), "{state:?}");
    }

    fn mapping() -> Mapping {
        crate::mapping::load(
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/mappings/openldap.yaml")),
            "dc=example,dc=org",
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_bases_are_the_users_and_groups_bases() {
        let found: Vec<(String, String, bool)> = bases(&mapping()).into_iter().map(|b| (b.what, b.dn, b.required)).collect();
        assert_eq!(
            found,
            vec![
                ("users base".into(), "ou=people,dc=example,dc=org".into(), true),
                ("groups base".into(), "ou=groups,dc=example,dc=org".into(), true)
            ]
        );
    }

    #[test]
    fn rights_name_the_attributes_the_bind_may_not_write() {
        let mapping = mapping();
        let schema = Subschema::default();
        let written = crate::mapping::check::written_attributes(&mapping.users);
        assert!(
            written.iter().any(|a| a == "uid") && written.iter().any(|a| a == "pwdAccountLockedTime"),
            "{written:?}"
        );
        assert!(!written.iter().any(|a| a == "memberOf"), "read-only attributes are not written");
        let mut writable: std::collections::HashSet<String> = written.iter().map(|a| a.to_ascii_lowercase()).collect();
        writable.remove("mail");
        writable.remove("title");
        let rights = EffectiveRights {
            source: crate::ldap::probe::RightsSource::GetEffectiveRights,
            entry: "uid=a,ou=people,dc=example,dc=org".into(),
            classes: vec!["inetOrgPerson".into()],
            writable: Some(writable),
            child_classes: None,
        };
        let findings = rights_findings(&mapping.users, &rights, &schema, &context());
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(findings[0].contains("may not write title, mail on uid=a"), "{findings:?}");
        let everything = EffectiveRights {
            writable: Some(written.iter().map(|a| a.to_ascii_lowercase()).collect()),
            child_classes: Some(["inetorgperson".to_string()].into()),
            ..rights
        };
        assert!(rights_findings(&mapping.users, &everything, &schema, &context()).is_empty());
        let no_children = EffectiveRights {
            child_classes: Some(Default::default()),
            ..everything
        };
        assert!(rights_findings(&mapping.users, &no_children, &schema, &context())[0].contains("may not create"));
    }
}
