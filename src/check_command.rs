//! `scim2ldap check [--data] [--json]`: for each target, the bind, the bases and the bind's rights
//! (`readiness::inspect`), the mapping against the directory's schema, and with `--data` the takeover
//! report of the entries already there. Exits non-zero when something will be refused.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use scim2ldap::config::{Config, Target};
use scim2ldap::ldap::schema::Subschema;
use scim2ldap::ldap::LdapDirectory;
use scim2ldap::mapping::takeover::TakeoverReport;
use scim2ldap::mapping::ResourceKind;
use scim2ldap::readiness::{self, DirectoryFinding};

/// What `check` found for one target (`--json` prints these).
#[derive(Serialize, Default)]
struct TargetReport {
    #[serde(skip_serializing_if = "String::is_empty")]
    target: String,
    mapping: String,
    directory: String,
    /// The identity the directory bound the gateway as (Who am I?), where it tells.
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<String>,
    /// The bind, the bases and the bind's rights.
    directory_findings: Vec<DirectoryFinding>,
    /// The mapping against the schema, `file:line: reason`.
    schema_findings: Vec<String>,
    /// With `--data`.
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<TakeoverReport>,
}

impl TargetReport {
    fn problems(&self) -> usize {
        self.directory_findings.len() + self.schema_findings.len() + usize::from(self.data.as_ref().is_some_and(TakeoverReport::blocks))
    }

    fn print(&self) {
        let file = &self.mapping;
        if let Some(identity) = &self.identity {
            let shown = if identity.is_empty() { "anonymous" } else { identity };
            println!("{}: bound as {shown}", self.directory);
        }
        for finding in &self.directory_findings {
            println!("{}: {}", self.directory, finding.message);
        }
        for finding in &self.schema_findings {
            println!("{finding}");
        }
        if self.schema_findings.is_empty() && self.directory_findings.is_empty() {
            println!("{file}: matches the schema of {}", self.directory);
        }
        if let Some(data) = &self.data {
            print!("{}", data.to_text());
        }
    }
}

pub fn run(config_file: Option<PathBuf>, data: bool, json: bool) -> Result<ExitCode, String> {
    let config = Config::load_for_inspection(config_file.as_deref()).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let reports = runtime.block_on(async {
        let mut reports = Vec::new();
        for target in config.targets() {
            let report = check_target(&target, data, json).await;
            if !json {
                report.print();
            }
            reports.push(report);
        }
        reports
    });
    if json {
        let document = serde_json::json!({ "targets": reports });
        println!("{}", serde_json::to_string_pretty(&document).unwrap_or_default());
    }
    let problems: usize = reports.iter().map(TargetReport::problems).sum();
    Ok(if problems == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn check_target(target: &Target<'_>, data: bool, json: bool) -> TargetReport {
    let file = target.mapping.display().to_string();
    let mut report = TargetReport {
        target: target.name.to_string(),
        mapping: file.clone(),
        directory: target.ldap.url.clone(),
        ..TargetReport::default()
    };
    let failed = |message: String| DirectoryFinding { blocking: true, message };
    let mapping = match scim2ldap::mapping::load(target.mapping, &target.ldap.base_dn) {
        Ok(m) => m,
        Err(e) => {
            report.schema_findings.push(e.to_string());
            return report;
        }
    };
    let metrics = std::sync::Arc::new(scim2ldap::metrics::Metrics::new());
    let directory = match LdapDirectory::connect(target.ldap.clone(), metrics).await {
        Ok(d) => d,
        Err(e) => {
            report.directory_findings.push(failed(e.to_string()));
            return report;
        }
    };
    let (identity, findings) = readiness::inspect(&directory, &mapping, &readiness::Context::of(target)).await;
    report.identity = identity;
    report.directory_findings = findings;
    let schema = match Subschema::read(&directory).await {
        Ok(s) => s,
        Err(e) => {
            report
                .directory_findings
                .push(failed(format!("cannot read the directory's schema: {e}")));
            return report;
        }
    };
    report.schema_findings = scim2ldap::mapping::check::check(&mapping, &schema)
        .into_iter()
        .map(|f| format!("{file}:{}: {}", f.line, f.message))
        .collect();
    let bases_readable = !report.directory_findings.iter().any(|f| f.blocking);
    if data && bases_readable {
        let show_progress = !json && std::io::stderr().is_terminal();
        let mut progress = |kind: ResourceKind, read: usize| {
            if show_progress {
                eprint!(
                    "\r{}: {read} {} read",
                    target.ldap.url,
                    kind.endpoint().trim_start_matches('/').to_lowercase()
                );
                let _ = std::io::stderr().flush();
            }
        };
        match scim2ldap::service::scan_existing_entries(&directory, &mapping, &schema, &mut progress).await {
            Ok(takeover) => report.data = Some(takeover),
            Err(e) => report.directory_findings.push(failed(format!("cannot read the entries: {e}"))),
        }
        if show_progress {
            eprint!("\r\x1b[K");
        }
    }
    report
}
