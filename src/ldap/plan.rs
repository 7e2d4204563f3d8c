//! Shadow mode's plan: the LDIF change file (see `ldif`) the writes a gateway would make are appended
//! to, one record per LDAP operation, and what it adds up to for people (`scim2ldap plan summary`, the
//! shutdown log, `/metrics`).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::dn;
use super::ldif::{self, Change, Record};
use super::request::Modification;

/// The comment that stands where a password would be written; passwords never reach the plan.
pub const PASSWORD_NOTE: &str = "a password would be set here; the plan never holds passwords";
/// The comment of a modify that deactivates an account.
pub const DEACTIVATION_NOTE: &str = "deactivates the account";

const HEADER: &str = "# scim2ldap shadow plan: the writes the live gateway would have made, in order.\n\
# Review it with `scim2ldap plan summary FILE`; apply it with `ldapmodify -f FILE` to the unchanged directory.\n\
version: 1\n\n";

/// What a plan file held when it was opened.
pub struct Written {
    pub records: Vec<Record>,
    /// Passwords it notes would be set (never their values).
    pub passwords: usize,
}

/// The plan file, open for appending.
pub struct PlanFile {
    path: PathBuf,
    file: std::fs::File,
}

impl PlanFile {
    /// Opens `path` for appending (created with a header when new) and answers what is already in
    /// it, for the shadow to replay.
    pub fn open(path: &Path) -> Result<(PlanFile, Written), String> {
        let shown = path.display();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(format!("cannot read the shadow plan {shown}: {e}")),
        };
        let records = ldif::read(&text).map_err(|e| format!("the shadow plan {shown}: {e}"))?;
        // The plan holds people's names, mail addresses and memberships: readable by its owner only.
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| format!("cannot open the shadow plan {shown}: {e}"))?;
        if text.is_empty() {
            file.write_all(HEADER.as_bytes())
                .map_err(|e| format!("cannot write the shadow plan {shown}: {e}"))?;
        }
        Ok((
            PlanFile {
                path: path.to_path_buf(),
                file,
            },
            Written {
                records,
                passwords: password_notes(&text),
            },
        ))
    }

    /// Appends `text` (whole records or comments) at once, unbuffered, so that a crash of the gateway
    /// loses nothing it answered.
    pub fn append(&mut self, text: &str) -> Result<(), String> {
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|e| format!("cannot append to the shadow plan {}: {e}", self.path.display()))
    }
}

/// What a plan would change, counted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub adds: usize,
    /// Modify records, and how many of them change each attribute (by its first spelling).
    pub modifies: usize,
    pub modified_attributes: BTreeMap<String, usize>,
    pub renames: usize,
    pub deactivations: usize,
    pub deletes: usize,
    pub passwords: usize,
    /// Records per entry (by normalized DN, shown as first written).
    touched: BTreeMap<String, (String, usize)>,
}

impl Summary {
    /// The summary of a plan's text.
    pub fn of_text(text: &str) -> Result<Summary, ldif::LdifError> {
        let mut summary = Summary::default();
        for record in ldif::read(text)? {
            summary.count(&record);
        }
        summary.passwords = password_notes(text);
        Ok(summary)
    }

    /// Counts one record (password notes are counted from the text: see `of_text`).
    pub fn count(&mut self, record: &Record) {
        match &record.change {
            Change::Add { .. } => self.adds += 1,
            Change::Modify { mods, .. } => {
                self.modifies += 1;
                let mut names: Vec<&str> = Vec::new();
                for name in mods.iter().map(Modification::attribute) {
                    if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                        names.push(name);
                    }
                }
                for name in names {
                    // Counted under the spelling first met.
                    let known = self.modified_attributes.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned();
                    *self
                        .modified_attributes
                        .entry(known.unwrap_or_else(|| name.to_string()))
                        .or_default() += 1;
                }
            }
            Change::Rename { .. } => self.renames += 1,
            Change::Delete { .. } => self.deletes += 1,
        }
        if record.comments.iter().any(|c| c == DEACTIVATION_NOTE) {
            self.deactivations += 1;
        }
        let entry_dn = record.change.dn();
        let touched = self
            .touched
            .entry(dn::normalize(entry_dn))
            .or_insert_with(|| (entry_dn.to_string(), 0));
        touched.1 += 1;
    }

    /// The `limit` entries with the most records, most first (then by DN).
    pub fn most_touched(&self, limit: usize) -> Vec<(&str, usize)> {
        let mut all: Vec<(&str, usize)> = self.touched.values().map(|(d, n)| (d.as_str(), *n)).collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        all.truncate(limit);
        all
    }

    /// The summary as text for people.
    pub fn render(&self, most_touched: usize) -> String {
        let mut out = format!(
            "adds: {}\nmodifies: {}\nrenames: {}\ndeactivations: {}\ndeletes: {}\npasswords set: {}\n",
            self.adds, self.modifies, self.renames, self.deactivations, self.deletes, self.passwords
        );
        if !self.modified_attributes.is_empty() {
            out.push_str("modifies by attribute:\n");
            let mut by_count: Vec<(&String, &usize)> = self.modified_attributes.iter().collect();
            by_count.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
            for (name, count) in by_count {
                out.push_str(&format!("  {name}: {count}\n"));
            }
        }
        let touched = self.most_touched(most_touched);
        if !touched.is_empty() {
            out.push_str("entries touched most:\n");
            for (entry_dn, count) in touched {
                out.push_str(&format!("  {count}  {entry_dn}\n"));
            }
        }
        out
    }
}

/// How many passwords a plan's text notes would be set.
fn password_notes(text: &str) -> usize {
    text.lines().filter(|l| l.trim_start_matches(['#', ' ']) == PASSWORD_NOTE).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = "version: 1\n\n\
# POST /scim/v2/Users by entra (request 1)\n\
dn: uid=a,ou=people,dc=x\nchangetype: add\nuid: a\n\n\
# POST /scim/v2/Users by entra (request 1)\n\
# a password would be set here; the plan never holds passwords\n\
# PATCH /scim/v2/Users/1 by entra (request 2)\n\
# deactivates the account\n\
dn: uid=a,ou=people,dc=x\nchangetype: modify\nreplace: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n-\nreplace: title\ntitle: t\n-\n\n\
dn: cn=g,ou=groups,dc=x\nchangetype: modify\nadd: member\nmember: uid=a,ou=people,dc=x\n-\nadd: member\nmember: uid=b,ou=people,dc=x\n-\n\n\
dn: UID=A,ou=people,dc=x\nchangetype: modrdn\nnewrdn: uid=b\ndeleteoldrdn: 1\n\n\
dn: uid=b,ou=people,dc=x\nchangetype: delete\n\n";

    #[test]
    fn a_plan_adds_up_by_kind_attribute_and_entry() {
        let summary = Summary::of_text(PLAN).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (
                summary.adds,
                summary.modifies,
                summary.renames,
                summary.deactivations,
                summary.deletes,
                summary.passwords
            ),
            (1, 2, 1, 1, 1, 1)
        );
        assert_eq!(
            summary
                .modified_attributes
                .iter()
                .map(|(n, c)| (n.as_str(), *c))
                .collect::<Vec<_>>(),
            [("member", 1), ("pwdAccountLockedTime", 1), ("title", 1)]
        );
        assert_eq!(summary.most_touched(2), [("uid=a,ou=people,dc=x", 3), ("cn=g,ou=groups,dc=x", 1)]);
        let text = summary.render(1);
        assert!(
            text.starts_with("adds: 1\nmodifies: 2\nrenames: 1\ndeactivations: 1\ndeletes: 1\npasswords set: 1\n"),
            "{text}"
        );
        assert!(text.contains("entries touched most:\n  3  uid=a,ou=people,dc=x\n"), "{text}");
    }

    #[test]
    fn a_new_plan_file_starts_with_a_header_and_keeps_what_is_appended() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("plan.ldif");
        let (mut plan, written) = PlanFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(written.records.is_empty());
        plan.append("dn: uid=a,dc=x\nchangetype: delete\n\n")
            .unwrap_or_else(|e| panic!("{e}"));
        drop(plan);
        let (_, written) = PlanFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(written.records.len(), 1);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(text.starts_with("# scim2ldap shadow plan"), "{text}");
        assert_eq!(text.matches("version: 1").count(), 1, "{text}");
        let mode = std::fs::metadata(&path).map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()));
        assert_eq!(mode.unwrap_or_else(|e| panic!("{e}")) & 0o077, 0, "the plan is its owner's alone");
    }
}
