//! `scim2ldap plan summary FILE`: what a shadow mode plan would change, for the people who decide
//! whether to apply it; and the same counts in the log when a shadow gateway shuts down.

use std::path::Path;
use std::process::ExitCode;

use scim2ldap::config::{Config, Mode};
use scim2ldap::ldap::plan::Summary;

/// How many of the entries touched most the summary lists.
const MOST_TOUCHED: usize = 10;

/// Prints the summary of the plan at `file`.
pub fn summary(file: &Path) -> Result<ExitCode, String> {
    print!("{}", summary_text(file)?);
    Ok(ExitCode::SUCCESS)
}

fn summary_text(file: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let summary = Summary::of_text(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(format!("{}\n{}", file.display(), summary.render(MOST_TOUCHED)))
}

/// Logs the counts of each shadow target's plan, as the gateway stops.
pub fn log_at_shutdown(config: &Config) {
    for target in config.targets().iter().filter(|t| t.mode == Mode::Shadow) {
        let Some(plan) = target.shadow.plan.as_deref() else { continue };
        let read = std::fs::read_to_string(plan).map_err(|e| e.to_string());
        match read.and_then(|text| Summary::of_text(&text).map_err(|e| e.to_string())) {
            Ok(s) => tracing::info!(
                target = target.name,
                plan = %plan.display(),
                adds = s.adds,
                modifies = s.modifies,
                renames = s.renames,
                deactivations = s.deactivations,
                deletes = s.deletes,
                passwords = s.passwords,
                "shadow plan at shutdown (scim2ldap plan summary shows more)"
            ),
            Err(e) => tracing::warn!(target = target.name, plan = %plan.display(), error = %e, "cannot summarize the shadow plan"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_the_file_and_counts_its_changes() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("plan.ldif");
        let plan = "# DELETE /scim/v2/Users/1 by entra (request r)\ndn: uid=a,dc=x\nchangetype: delete\n\n";
        std::fs::write(&file, plan).unwrap_or_else(|e| panic!("{e}"));
        let text = summary_text(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(text.starts_with(&format!("{}\nadds: 0\n", file.display())), "{text}");
        assert!(text.contains("deletes: 1\n") && text.contains("  1  uid=a,dc=x\n"), "{text}");
        std::fs::write(&file, "dn: uid=a,dc=x\nuid: a\n").unwrap_or_else(|e| panic!("{e}"));
        assert!(summary_text(&file).is_err_and(|e| e.contains("record 1")));
    }
}
