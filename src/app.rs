//! Wiring: configuration → one directory pool, mapping, cache and token set per target → the HTTP
//! application.

use std::sync::Arc;
use std::time::Duration;

use crate::config::{AuthConfig, Config, Target};
use crate::http::{App, AppState, JwtVerifier, TargetState, TokenHash, Tokens, SCIM_BASE};
use crate::ldap::schema::Subschema;
use crate::ldap::{Directory, LdapDirectory, Measured, PasswordWrite};
use crate::mapping;
use crate::metrics::Metrics;
use crate::service::{Service, ServiceLimits};

/// Builds the application from a loaded configuration: connects to every target's directory (failing
/// fast when one cannot be reached), loads and checks each mapping.
pub async fn build(config: &Config) -> Result<App, String> {
    build_with_metrics(config, Arc::new(Metrics::new())).await
}

/// As `build`, recording into `metrics` (a reload keeps the running counters).
pub async fn build_with_metrics(config: &Config, metrics: Arc<Metrics>) -> Result<App, String> {
    let in_flight = Arc::new(tokio::sync::Semaphore::new(config.server.max_concurrent_requests.max(1)));
    let mut targets = Vec::new();
    let mut readiness = crate::readiness::Readiness::default();
    for target in config.targets() {
        let state = build_target(config, &target, metrics.clone(), in_flight.clone())
            .await
            .map_err(|e| {
                if target.name.is_empty() {
                    e
                } else {
                    format!("target {}: {e}", target.name)
                }
            })?;
        let context = crate::readiness::Context::of(&target);
        let (mapping, directory) = (state.service.mapping().clone(), state.service.directory().clone());
        readiness
            .targets
            .push(crate::readiness::ReadinessTarget::new(target.name, mapping, directory, context));
        targets.push(state);
    }
    Ok(App {
        readiness: Arc::new(readiness),
        targets,
        metrics,
        max_body_bytes: config.server.max_body_bytes,
        request_timeout: Duration::from_millis(config.server.request_timeout_ms),
    })
}

async fn build_target(
    config: &Config,
    target: &Target<'_>,
    metrics: Arc<Metrics>,
    in_flight: Arc<tokio::sync::Semaphore>,
) -> Result<AppState, String> {
    let mut mapping = load_mapping(config, target)?;
    crate::service::log_allocations(&mapping);
    let tokens = tokens(target.auth)?;
    let directory = LdapDirectory::connect(target.ldap.clone(), metrics.clone())
        .await
        .map_err(|e| format!("{e} ({})", target.ldap.url))?;
    crate::readiness::at_startup(&directory, &mapping, &crate::readiness::Context::of(target)).await?;
    let (unordered, schema) = fit_to_directory(&mut mapping, target.mapping, &directory).await?;
    let schema = Arc::new(schema);
    let directory = for_mode(target, &mapping, Measured::new(directory, metrics.clone()), &schema, &metrics).await?;
    let service = service(config, mapping, directory, metrics.clone())
        .schema(schema, unordered)
        .build();
    let suffix = if target.name.is_empty() {
        String::new()
    } else {
        format!("/{}", target.name)
    };
    Ok(AppState::new(TargetState {
        service: Arc::new(service),
        tokens: Arc::new(tokens),
        base_path: format!("{SCIM_BASE}{suffix}"),
        public_url: config
            .server
            .public_url
            .as_deref()
            .map(|u| format!("{}{suffix}", u.trim_end_matches('/'))),
        max_body_bytes: config.server.max_body_bytes,
        request_timeout: Duration::from_millis(config.server.request_timeout_ms),
        patch_no_content: config.server.patch_no_content,
        bulk_max_operations: config.server.bulk_max_operations,
        in_flight,
        metrics,
    }))
}

/// Loads `target`'s mapping with the server's settings applied, refusing a password mapping the
/// connection cannot carry safely: `serve` and `explain` start from the same mapping.
fn load_mapping(config: &Config, target: &Target<'_>) -> Result<mapping::Mapping, String> {
    let mut mapping = mapping::load(target.mapping, &target.ldap.base_dn).map_err(|e| e.to_string())?;
    for m in std::iter::once(&mut mapping.users).chain(mapping.groups.as_mut()) {
        m.schema.refuse_unmapped = config.server.refuse_unmapped;
    }
    if mapping.users.password == Some(PasswordWrite::UnicodePwd) && !target.ldap.is_encrypted() {
        return Err(format!(
            "{}: `password: {{ strategy: unicode_pwd }}` needs an encrypted connection, as Active Directory accepts passwords over TLS only: set ldap.url to ldaps://… or ldap.starttls: true",
            target.mapping.display()
        ));
    }
    if mapping.users.password == Some(PasswordWrite::Exop) && !target.ldap.keeps_secrets() && !target.ldap.allow_plaintext_passwords {
        return Err(format!(
            "{}: `password: {{ strategy: exop }}` would send passwords unencrypted to {}: use ldaps://, ldapi:// or ldap.starttls: true, or set ldap.allow_plaintext_passwords: true",
            target.mapping.display(),
            target.ldap.url
        ));
    }
    Ok(mapping)
}

/// The target's directory as its requests use it: the directory itself, or in shadow mode a shadow
/// of it that writes nothing and records the plan (replayed from the plan file first).
async fn for_mode(
    target: &Target<'_>,
    mapping: &mapping::Mapping,
    directory: Measured<LdapDirectory>,
    schema: &Arc<Subschema>,
    metrics: &Arc<Metrics>,
) -> Result<Arc<dyn Directory>, String> {
    let (crate::config::Mode::Shadow, Some(plan)) = (target.mode, &target.shadow.plan) else {
        return Ok(Arc::new(directory));
    };
    let settings = mapping::shadow::settings(mapping, plan.clone(), target.shadow.max_entries, target.name);
    let shadow = crate::ldap::shadow::Shadow::open(directory, schema.clone(), settings, metrics.clone()).await?;
    Ok(Arc::new(shadow))
}

/// Fits a mapping to the directory's schema (see `narrow_type_filters`) and answers the mapped
/// attributes it cannot order (`Service::unordered`) with the schema itself; refuses a mapping that names attributes the
/// directory does not have (an `id: entryUUID` on Active Directory would otherwise create entries
/// without ids). Without a readable schema, nothing changes and the directory judges each request.
pub async fn fit_to_directory(
    mapping: &mut mapping::Mapping,
    file: &std::path::Path,
    directory: &dyn Directory,
) -> Result<(std::collections::HashSet<String>, Subschema), String> {
    match Subschema::read(directory).await {
        Ok(schema) if schema.is_empty() => Ok((std::collections::HashSet::new(), schema)),
        Ok(schema) => {
            let unknown = mapping::check::unknown_attributes(mapping, &schema);
            if !unknown.is_empty() {
                let lines: Vec<String> = unknown
                    .iter()
                    .map(|f| format!("{}:{}: {}", file.display(), f.line, f.message))
                    .collect();
                return Err(lines.join("\n"));
            }
            narrow_type_filters(mapping, &schema);
            Ok((unordered_attributes(mapping, &schema), schema))
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the directory's schema; ordered comparisons are not checked");
            Ok((std::collections::HashSet::new(), Subschema::default()))
        }
    }
}

/// Leaves out of each type's filter the classes that another of its classes derives from:
/// `(objectClass=inetOrgPerson)` already matches only persons, and one index lookup is cheaper than
/// intersecting three (every search of the type carries this filter).
fn narrow_type_filters(mapping: &mut mapping::Mapping, schema: &Subschema) {
    for m in std::iter::once(&mut mapping.users).chain(mapping.groups.as_mut()) {
        let classes = m.filter_classes.clone();
        m.filter_classes
            .retain(|ancestor| !classes.iter().any(|class| schema.derives_from(class, ancestor)));
    }
}

/// The mapped LDAP attributes (and ids) the directory's schema gives no ordering rule.
fn unordered_attributes(mapping: &mapping::Mapping, schema: &Subschema) -> std::collections::HashSet<String> {
    std::iter::once(&mapping.users)
        .chain(mapping.groups.as_ref())
        .flat_map(|m| {
            m.attrs
                .iter()
                .flat_map(|a| [a.ldap.clone(), a.read_source().to_string()])
                .chain([m.id_attr.clone()])
        })
        .filter(|a| !schema.has_ordering(a))
        .map(|a| a.to_ascii_lowercase())
        .collect()
}

/// The use cases of one target over `directory`, with the configured limits: the caller adds what
/// it knows of the directory's schema, then builds.
pub fn service(
    config: &Config,
    mapping: mapping::Mapping,
    directory: Arc<dyn Directory>,
    metrics: Arc<Metrics>,
) -> crate::service::ServiceBuilder {
    Service::builder(mapping, directory).metrics(metrics).limits(ServiceLimits {
        max_results: config.server.max_results,
        max_matches: config.server.max_matches,
        cache_capacity: config.cache.capacity,
        cache_ttl: Duration::from_secs(config.cache.ttl_seconds),
    })
}

fn tokens(auth: &AuthConfig) -> Result<Tokens, String> {
    let mut tokens = Vec::new();
    if let Some(token) = auth.token.as_deref().filter(|t| !t.is_empty()) {
        tokens.push(TokenHash::from_plain("env", token));
    }
    for named in &auth.tokens {
        tokens.push(TokenHash::from_hex(&named.name, &named.sha256)?);
    }
    let jwt = auth
        .jwt
        .as_ref()
        .map(|j| JwtVerifier::load(&j.issuer, &j.audience, &j.jwks_file))
        .transpose()?;
    Ok(Tokens { hashes: tokens, jwt })
}

/// The use cases of `target` over a dry run of its directory (`scim2ldap explain`): the mapping loaded
/// and fitted as `serve` fits it, so that the reads and writes listed are the ones it would make. One
/// per request: the dry run keeps what the request wrote.
pub async fn dry_run_service(
    config: &Config,
    target: &Target<'_>,
) -> Result<(Service, Arc<crate::ldap::dry_run::DryRun<LdapDirectory>>), String> {
    let mut mapping = load_mapping(config, target)?;
    let metrics = Arc::new(Metrics::new());
    let ldap = LdapDirectory::connect(target.ldap.clone(), metrics.clone())
        .await
        .map_err(|e| format!("{e} ({})", target.ldap.url))?;
    let (unordered, schema) = fit_to_directory(&mut mapping, target.mapping, &ldap).await?;
    let schema = Arc::new(schema);
    let directory = Arc::new(crate::ldap::dry_run::DryRun::new(ldap).with_schema(schema.clone()));
    let service = service(config, mapping, directory.clone(), metrics)
        .schema(schema, unordered)
        .build();
    Ok((service, directory))
}
