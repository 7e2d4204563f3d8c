//! The takeover report (`scim2ldap check --data`): what an IdP's first provisioning cycle will meet in
//! the entries already under each base. Fed one entry at a time (users first, then groups), it keeps
//! counts, the first few DNs of each finding, and only what later entries are compared with: the
//! normalized DNs read, the values of `unique` attributes, and member DNs not yet seen.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::{EmptyGroup, Mapping, ResourceKind, ResourceMapping};
use crate::ldap::dn;
use crate::ldap::schema::Subschema;
use crate::ldap::Entry;

/// How many DNs each finding lists.
pub const EXAMPLES: usize = 5;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Two entries hold one value of a `unique` attribute (ignoring case): lookups by it are ambiguous.
    Duplicate,
    /// An entry lacks an attribute the mapping requires.
    MissingRequired,
    /// No object class of the mapping allows a mapped attribute on the entry: writes of it are refused.
    Refused,
    /// The entry lacks an auxiliary class of the mapping that the gateway adds on the first write.
    NeedsClass,
    /// An attribute SCIM shows one value of holds several: the first write replaces them all.
    MoreValues,
    /// The entry is named by another attribute than the mapping's `rdn`.
    OtherRdn,
    /// A group member under a base that no entry read has (a deleted or filtered-out entry).
    DanglingMember,
    /// A group member outside the users and groups bases: never shown, never removed.
    OutsideMember,
}

impl FindingKind {
    /// Whether the IdP's first cycle will be refused on it.
    pub fn blocks(self) -> bool {
        matches!(self, FindingKind::Duplicate | FindingKind::MissingRequired | FindingKind::Refused)
    }
}

/// One finding: how many entries, the first DNs, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TakeoverFinding {
    pub kind: FindingKind,
    /// `users` or `groups`.
    pub resource: &'static str,
    /// The LDAP attribute, object class or RDN attribute concerned.
    pub subject: String,
    pub blocking: bool,
    pub entries: usize,
    pub examples: Vec<String>,
    pub message: String,
}

/// Counts per type and the findings, blocking ones first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TakeoverReport {
    pub users: usize,
    pub groups: usize,
    pub findings: Vec<TakeoverFinding>,
}

impl TakeoverReport {
    /// Whether something in the directory will be refused on the IdP's first cycle.
    pub fn blocks(&self) -> bool {
        self.findings.iter().any(|f| f.blocking)
    }

    /// The report for an admin: counts, then each finding with its first DNs.
    pub fn to_text(&self) -> String {
        let mut out = format!("{} users, {} groups\n", self.users, self.groups);
        if self.findings.is_empty() {
            out.push_str("nothing in the entries stands in the way of a takeover\n");
        }
        for finding in &self.findings {
            let mark = if finding.blocking { "REFUSED" } else { "note" };
            out.push_str(&format!("{mark}: {}: {}\n", finding.resource, finding.message));
            for example in &finding.examples {
                out.push_str(&format!("    {example}\n"));
            }
            if finding.entries > finding.examples.len() {
                out.push_str(&format!("    … and {} more\n", finding.entries - finding.examples.len()));
            }
        }
        out
    }
}

/// A count and the first DNs.
#[derive(Debug, Default)]
struct Tally {
    entries: usize,
    examples: Vec<String>,
}

impl Tally {
    fn add(&mut self, example: impl FnOnce() -> String) {
        self.entries += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push(example());
        }
    }
}

/// What the classes of one set of entries allow: per mapped attribute the auxiliary class it needs
/// (`Some`), or that none of the mapping allows it (`None`).
type ClassNeeds = Vec<(String, Option<String>)>;

/// The analysis in progress.
pub struct Takeover<'a> {
    mapping: &'a Mapping,
    schema: &'a Subschema,
    report: TakeoverReport,
    /// By finding, type (users sort before groups) and subject.
    tallies: BTreeMap<(FindingKind, bool, String), Tally>,
    /// Per object-class set (lower-cased, sorted): the classes its entries need. Entries share a few
    /// sets, so the schema is asked once per set rather than once per entry.
    needs_by_classes: HashMap<String, ClassNeeds>,
    /// `unique` attribute (by type and name) → lower-cased value → the first entry holding it.
    unique_values: HashMap<(ResourceKind, String), HashMap<String, String>>,
    /// Every entry read, normalized.
    seen: HashSet<String>,
    /// Member DNs under a base not read yet (normalized → as written, and a group holding it).
    pending_members: HashMap<String, (String, String)>,
    placeholder: Option<String>,
}

impl<'a> Takeover<'a> {
    pub fn new(mapping: &'a Mapping, schema: &'a Subschema) -> Self {
        let placeholder = match mapping.groups.as_ref().map(|g| &g.empty_group) {
            Some(EmptyGroup::Placeholder(placeholder)) => Some(dn::normalize(placeholder)),
            _ => None,
        };
        Takeover {
            mapping,
            schema,
            report: TakeoverReport::default(),
            tallies: BTreeMap::new(),
            needs_by_classes: HashMap::new(),
            unique_values: HashMap::new(),
            seen: HashSet::new(),
            pending_members: HashMap::new(),
            placeholder,
        }
    }

    fn tally(&mut self, kind: FindingKind, resource: ResourceKind, subject: &str, example: impl FnOnce() -> String) {
        self.tallies
            .entry((kind, resource == ResourceKind::Group, subject.to_string()))
            .or_default()
            .add(example);
    }

    /// One entry of type `kind`, as the type's search returned it (with `objectClass`). Users must all
    /// come before the first group, so that a member DN is known to be dangling at the end.
    pub fn add(&mut self, kind: ResourceKind, entry: &Entry) {
        let Some(m) = self.mapping.resource(kind) else { return };
        match kind {
            ResourceKind::User => self.report.users += 1,
            ResourceKind::Group => self.report.groups += 1,
        }
        self.seen.insert(dn::normalize(&entry.dn));
        self.object_classes(m, entry);
        for attr in m.attrs.iter().filter(|a| !a.read_only) {
            let values = entry.get(attr.read_source());
            if attr.required && values.is_empty() {
                self.tally(FindingKind::MissingRequired, kind, &attr.scim_path(), || entry.dn.clone());
            }
            let shows_one = attr.scim.type_filter.is_some() || !attr.shown.multi_valued;
            if shows_one && values.len() > 1 {
                self.tally(FindingKind::MoreValues, kind, &attr.ldap, || {
                    format!("{} ({} values)", entry.dn, values.len())
                });
            }
            if attr.unique {
                self.unique(kind, attr.ldap.as_str(), values, &entry.dn);
            }
        }
        let (rdn, _) = dn::split_first(&entry.dn);
        let rdn_attr = rdn.split_once('=').map_or(rdn, |(attr, _)| attr).trim();
        if !rdn_attr.eq_ignore_ascii_case(&m.rdn_attr) {
            self.tally(FindingKind::OtherRdn, kind, rdn_attr, || entry.dn.clone());
        }
        if kind == ResourceKind::Group {
            self.members(m, entry);
        }
    }

    fn unique(&mut self, kind: ResourceKind, attr: &str, values: &[String], entry_dn: &str) {
        let mut duplicates = Vec::new();
        let held = self.unique_values.entry((kind, attr.to_string())).or_default();
        for value in values {
            let key = value.trim().to_lowercase();
            match held.get(&key) {
                Some(first) if dn::normalize(first) != dn::normalize(entry_dn) => {
                    duplicates.push(format!("'{value}': {entry_dn} and {first}"))
                }
                Some(_) => {}
                None => {
                    held.insert(key, entry_dn.to_string());
                }
            }
        }
        for duplicate in duplicates {
            self.tally(FindingKind::Duplicate, kind, attr, || duplicate);
        }
    }

    fn object_classes(&mut self, m: &ResourceMapping, entry: &Entry) {
        let mut classes: Vec<String> = entry.get("objectClass").iter().map(|c| c.to_ascii_lowercase()).collect();
        classes.sort();
        let key = classes.join(" ");
        if !self.needs_by_classes.contains_key(&key) {
            let written = super::check::written_attributes(m);
            // Judged as if the entry held what the mapping writes: entries of one class set share
            // the answer.
            let present: Vec<&str> = written.iter().map(String::as_str).collect();
            let needs = written
                .iter()
                .filter(|attr| !attr.eq_ignore_ascii_case("objectClass") && !self.schema.allows(&classes, attr))
                .map(|attr| {
                    let class = self.schema.auxiliary_for(&m.object_classes, attr, &present);
                    (attr.clone(), class)
                })
                .collect();
            self.needs_by_classes.insert(key.clone(), needs);
        }
        let needs = self.needs_by_classes.get(&key).cloned().unwrap_or_default();
        let mut classes_needed: Vec<String> = needs.iter().filter_map(|(_, class)| class.clone()).collect();
        classes_needed.sort();
        classes_needed.dedup();
        for class in classes_needed {
            self.tally(FindingKind::NeedsClass, m.kind, &class, || entry.dn.clone());
        }
        for (attr, _) in needs.iter().filter(|(_, class)| class.is_none()) {
            self.tally(FindingKind::Refused, m.kind, attr, || entry.dn.clone());
        }
    }

    fn members(&mut self, m: &ResourceMapping, group: &Entry) {
        let Some(members) = m.members() else { return };
        for value in group.get(members.read_source()) {
            let member = members.ref_dn(value);
            let key = dn::normalize(&member);
            if self.seen.contains(&key) || self.placeholder.as_ref() == Some(&key) {
                continue;
            }
            let inside = std::iter::once(&self.mapping.users)
                .chain(self.mapping.groups.as_ref())
                .any(|r| r.holds(&member));
            if inside {
                self.pending_members.entry(key).or_insert_with(|| (member, group.dn.clone()));
            } else {
                self.tally(FindingKind::OutsideMember, ResourceKind::Group, "member", || {
                    format!("{member} (in {})", group.dn)
                });
            }
        }
    }

    /// The report, once every entry has been added.
    pub fn finish(mut self) -> TakeoverReport {
        let pending = std::mem::take(&mut self.pending_members);
        let mut dangling: Vec<(String, String)> = pending
            .into_iter()
            .filter(|(key, _)| !self.seen.contains(key))
            .map(|(_, found)| found)
            .collect();
        dangling.sort();
        for (member, group) in dangling {
            self.tally(FindingKind::DanglingMember, ResourceKind::Group, "member", || {
                format!("{member} (in {group})")
            });
        }
        let mut findings: Vec<TakeoverFinding> = std::mem::take(&mut self.tallies)
            .into_iter()
            .map(|((kind, is_group, subject), tally)| {
                let resource = if is_group { ResourceKind::Group } else { ResourceKind::User };
                self.finding(kind, resource, subject, tally)
            })
            .collect();
        findings.sort_by_key(|f| (!f.blocking, f.kind, f.resource == "groups"));
        self.report.findings = findings;
        self.report
    }

    fn finding(&self, kind: FindingKind, resource: ResourceKind, subject: String, tally: Tally) -> TakeoverFinding {
        let n = tally.entries;
        let rdn = self.mapping.resource(resource).map_or("", |m| m.rdn_attr.as_str());
        let message = match kind {
            FindingKind::Duplicate => format!(
                "{n} entries share a value of '{subject}' (ignoring case) with another entry; the mapping makes it unique, so the IdP's match on it is ambiguous and its creates answer 409: make the values unique, or remove the stale entries"
            ),
            FindingKind::MissingRequired => format!(
                "{n} entries have no {subject}, which the mapping requires: the IdP cannot match them and the gateway will not show them as complete resources; fill it in, or move the entries out of the base"
            ),
            FindingKind::Refused => format!(
                "{n} entries' object classes do not allow '{subject}', and no auxiliary class of the mapping does: a write of it is refused (400); add an auxiliary class that allows it (extensibleObject does) to the mapping's object_classes, or drop the attribute from the mapping"
            ),
            FindingKind::NeedsClass => format!(
                "{n} entries lack the auxiliary class {subject}, which the gateway adds on the first write of an attribute only it allows"
            ),
            FindingKind::MoreValues => format!(
                "{n} entries hold several '{subject}' values where SCIM shows one: the IdP's first write of it replaces all of them with its one value"
            ),
            FindingKind::OtherRdn => format!(
                "{n} entries are named by '{subject}' rather than the mapping's rdn '{rdn}': they are served as they are, and a rename from the IdP renames them to {rdn}="
            ),
            FindingKind::DanglingMember => format!(
                "{n} member DNs lie under a base but name no entry read (deleted, or not of the mapped classes): SCIM never shows them and the gateway never removes them; remove them from their groups"
            ),
            FindingKind::OutsideMember => format!(
                "{n} member values lie outside the users and groups bases: SCIM never shows them and the gateway never removes them"
            ),
        };
        TakeoverFinding {
            kind,
            resource: match resource {
                ResourceKind::User => "users",
                ResourceKind::Group => "groups",
            },
            subject,
            blocking: kind.blocks(),
            entries: n,
            examples: tally.examples,
            message,
        }
    }
}

#[cfg(test)]
#[path = "takeover_tests.rs"]
mod tests;
