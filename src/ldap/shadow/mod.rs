//! Shadow mode: a `Directory` shared by all requests of a target that reads the directory it wraps
//! and performs no write. Each write is judged as the directory would judge it (68 on a taken name,
//! 32 on a missing entry or parent, 20 and 16 on values, 65 by the schema: a required attribute
//! removed, an attribute no class of the entry allows; 122 on an assertion), kept for the reads after it (in memory, bounded by `max_entries`) and appended
//! to the plan (`plan`, LDIF) with a comment naming the request. At startup the plan is replayed, so
//! that the IdP keeps seeing what it was answered.
//!
//! Reads merge what the shadow holds with the directory's answers: created entries (with made-up,
//! stable ids and timestamps, as the directory would add them), changed ones as changed, renamed ones
//! at their new name only, deleted ones gone. What the directory does by itself on a write is
//! approximated where the gateway reads it back: references follow renames and deletes (referential
//! integrity) and back-links (`memberOf`) follow group members. Once the shadow holds anything,
//! listings are read by id rather than with a paged search or a VLV window, which it cannot merge.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use self::state::{made_up_id, timestamp, State};
use super::directory::{read_entry, Directory, Window};
use super::dn;
use super::entry::Entry;
use super::error::{rc, LdapError};
use super::filter::LdapFilter;
use super::ldif::{self, Change, Record};
use super::overlay;
use super::paged::PagedSearch;
use super::plan::{PlanFile, DEACTIVATION_NOTE, PASSWORD_NOTE};
use super::request::{is_secret, Modification, PasswordWrite, Scope, SearchRequest};
use super::schema::Subschema;
use crate::audit;
use crate::metrics::Metrics;

mod state;

type Result<T> = std::result::Result<T, LdapError>;

/// The plan's counts on `/metrics`, by kind of change.
const CHANGES_GAUGE: &str = "scim2ldap_shadow_plan_changes";

/// What the directory adds to an entry by itself, which the gateway reads back: attribute names only.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    /// Attributes that hold a created entry's id (a made-up UUID): `entryUUID`.
    pub ids: Vec<String>,
    /// Set once, when the entry is created: `createTimestamp`.
    pub created: Vec<String>,
    /// Set on every write: `modifyTimestamp`.
    pub modified: Vec<String>,
    /// Changed on every write (a version, such as `entryCSN`).
    pub versions: Vec<String>,
    /// Hold the entry's own DN, by which references are resolved: `entryDN`.
    pub dns: Vec<String>,
}

/// An attribute the directory keeps by itself from others' values: `memberOf` from groups' `member`.
#[derive(Debug, Clone)]
pub struct BackLink {
    pub back: String,
    pub forward: Vec<String>,
}

/// How a shadow behaves; built from the mapping by the caller (this layer knows no SCIM).
#[derive(Debug, Clone)]
pub struct ShadowSettings {
    pub plan: std::path::PathBuf,
    pub max_entries: usize,
    pub generated: Generated,
    /// Attributes holding DNs that the directory keeps right across renames and deletes.
    pub references: Vec<String>,
    pub back_links: Vec<BackLink>,
    /// Matches a deactivated account, to mark the writes that deactivate one.
    pub deactivated: Option<LdapFilter>,
    /// The `target` label of the metrics.
    pub label: String,
}

/// A write as judged: what it does to the shadow, and whether it deactivates an account that was
/// active (told from the entry as read for the judging, so without another read).
struct Judged {
    effect: Effect,
    deactivates: bool,
}

/// One write's effect on the state, decided before the plan is written and applied after.
enum Effect {
    Put(Entry),
    Remove(String),
    Move { from: String, to: Entry },
}

pub struct Shadow<D> {
    inner: D,
    schema: Arc<Subschema>,
    settings: ShadowSettings,
    state: Mutex<State>,
    /// Held for the whole of each write, so that each is judged on what the ones before it left, as
    /// the directory would; holds the plan, `None` while it is replayed.
    writing: tokio::sync::Mutex<Option<PlanFile>>,
    metrics: Arc<Metrics>,
    /// The counts this shadow added to the gauges, taken back when it is dropped (a reload replays).
    counted: Mutex<HashMap<&'static str, i64>>,
    full_logged: AtomicBool,
}

impl<D: Directory> Shadow<D> {
    /// A shadow of `inner`, with what the plan file holds replayed (writes that no longer apply to
    /// the directory are logged and left out).
    pub async fn open(
        inner: D,
        schema: Arc<Subschema>,
        settings: ShadowSettings,
        metrics: Arc<Metrics>,
    ) -> std::result::Result<Self, String> {
        let (plan, written) = PlanFile::open(&settings.plan)?;
        let shadow = Shadow {
            inner,
            schema,
            settings,
            state: Mutex::new(State::default()),
            writing: tokio::sync::Mutex::new(None),
            metrics,
            counted: Mutex::new(HashMap::new()),
            full_logged: AtomicBool::new(false),
        };
        let replayed = written.records.len();
        for _ in 0..written.passwords {
            shadow.gauge("password");
        }
        for record in written.records {
            if let Err(e) = shadow.replay(&record).await {
                tracing::warn!(dn = record.change.dn(), error = %e, "a write of the shadow plan no longer applies to the directory; left out");
            }
        }
        *shadow.writing.lock().await = Some(plan);
        tracing::info!(plan = %shadow.settings.plan.display(), replayed, "shadow mode: nothing is written to the directory");
        Ok(shadow)
    }

    async fn replay(&self, record: &Record) -> Result<()> {
        let effect = match self.judge(&record.change, None).await {
            Ok(judged) => judged.effect,
            Err(e) => {
                self.with_state(|s| s.records += 1);
                return Err(e);
            }
        };
        self.count_change(&record.change, record.comments.iter().any(|c| c == DEACTIVATION_NOTE));
        self.commit(effect);
        Ok(())
    }

    /// What `change` would do, or the directory's refusal.
    async fn judge(&self, change: &Change, assertion: Option<&LdapFilter>) -> Result<Judged> {
        let effect = match change {
            Change::Add { dn, attrs } => self.judge_add(dn, attrs).await?,
            Change::Modify { dn, mods } => return self.judge_modify(dn, mods, assertion).await,
            Change::Rename { dn, new_rdn, new_superior } => self.judge_rename(dn, new_rdn, new_superior.as_deref()).await?,
            Change::Delete { dn } => self.judge_delete(dn).await?,
        };
        Ok(Judged {
            effect,
            deactivates: false,
        })
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> Option<T> {
        self.state.lock().ok().map(|mut s| f(&mut s))
    }

    /// The entry at `entry_dn` with all its attributes, as the shadow leaves it; `None` when it does
    /// not exist.
    async fn stored(&self, entry_dn: &str) -> Result<Option<Entry>> {
        let key = dn::normalize(entry_dn);
        let everything = ["*".to_string(), "+".to_string()];
        if let Some(held) = self.with_state(|s| s.held(&key).map(|e| e.cloned())).flatten() {
            return Ok(held.map(|e| self.viewed(e, &everything)));
        }
        match read_entry(&self.inner, entry_dn, &everything).await {
            Err(e) if e.result_code() == Some(rc::NO_SUCH_OBJECT) => Ok(None),
            other => Ok(other?.map(|e| self.viewed(e, &everything))),
        }
    }

    async fn target(&self, op: &'static str, entry_dn: &str) -> Result<Entry> {
        self.stored(entry_dn).await?.ok_or_else(|| refused(op, rc::NO_SUCH_OBJECT))
    }

    /// Refuses a write once the shadow holds `max_entries`, logged once.
    fn admit(&self, op: &'static str) -> Result<()> {
        let held = self.with_state(|s| s.slots.len()).unwrap_or(0);
        if held < self.settings.max_entries {
            return Ok(());
        }
        if !self.full_logged.swap(true, Ordering::Relaxed) {
            tracing::error!(
                held,
                plan = %self.settings.plan.display(),
                "shadow mode holds shadow.max_entries changed entries: further writes are refused (503) until the plan is applied or set aside and the gateway restarted"
            );
        }
        Err(LdapError::Result {
            op,
            rc: rc::UNAVAILABLE,
            text: "shadow mode holds as many changed entries as shadow.max_entries allows".into(),
        })
    }

    async fn judge_add(&self, entry_dn: &str, attrs: &[(String, Vec<String>)]) -> Result<Effect> {
        if self.stored(entry_dn).await?.is_some() {
            return Err(refused("add", rc::ENTRY_ALREADY_EXISTS));
        }
        let (_, parent) = dn::split_first(entry_dn);
        if !parent.is_empty() && self.stored(parent).await?.is_none() {
            return Err(refused("add", rc::NO_SUCH_OBJECT));
        }
        let mut entry = Entry::from_parts(entry_dn.to_string(), without_secrets(attrs).into_iter().collect());
        let all: Vec<&str> = attrs.iter().map(|(name, _)| name.as_str()).collect();
        if overlay::lacks_required(&self.schema, &entry, &all) || self.disallows(&entry, &all) {
            return Err(refused("add", rc::OBJECT_CLASS_VIOLATION));
        }
        let record = self.with_state(|s| s.records).unwrap_or(0);
        let generated = &self.settings.generated;
        for name in &generated.ids {
            replace(&mut entry, name, vec![made_up_id(entry_dn, record)]);
        }
        for name in &generated.created {
            replace(&mut entry, name, vec![timestamp()]);
        }
        for name in &generated.dns {
            replace(&mut entry, name, vec![entry_dn.to_string()]);
        }
        self.stamp(&mut entry, record);
        Ok(Effect::Put(entry))
    }

    async fn judge_modify(&self, entry_dn: &str, mods: &[Modification], assertion: Option<&LdapFilter>) -> Result<Judged> {
        let mut entry = self.target("modify", entry_dn).await?;
        if assertion.is_some_and(|a| !overlay::matches(a, &entry)) {
            return Err(refused("modify", rc::ASSERTION_FAILED));
        }
        let deactivated = |entry: &Entry| self.settings.deactivated.as_ref().is_some_and(|f| overlay::matches(f, entry));
        let was_deactivated = deactivated(&entry);
        overlay::apply(&mut entry, mods).map_err(|code| refused("modify", code))?;
        if overlay::lacks_required(&self.schema, &entry, &modified(mods)) || self.disallows(&entry, &modified(mods)) {
            return Err(refused("modify", rc::OBJECT_CLASS_VIOLATION));
        }
        self.stamp(&mut entry, self.with_state(|s| s.records).unwrap_or(0));
        Ok(Judged {
            deactivates: deactivated(&entry) && !was_deactivated,
            effect: Effect::Put(entry),
        })
    }

    async fn judge_rename(&self, entry_dn: &str, new_rdn: &str, new_parent: Option<&str>) -> Result<Effect> {
        let entry = self.target("modrdn", entry_dn).await?;
        let mut moved = overlay::renamed(&entry, new_rdn, new_parent).ok_or_else(|| refused("modrdn", rc::INVALID_DN_SYNTAX))?;
        let same_name = dn::normalize(&moved.dn) == dn::normalize(entry_dn);
        if !same_name && self.stored(&moved.dn).await?.is_some() {
            return Err(refused("modrdn", rc::ENTRY_ALREADY_EXISTS));
        }
        if let Some(parent) = new_parent {
            if self.stored(parent).await?.is_none() {
                return Err(refused("modrdn", rc::NO_SUCH_OBJECT));
            }
        }
        self.stamp(&mut moved, self.with_state(|s| s.records).unwrap_or(0));
        Ok(Effect::Move {
            from: entry_dn.to_string(),
            to: moved,
        })
    }

    async fn judge_delete(&self, entry_dn: &str) -> Result<Effect> {
        self.target("delete", entry_dn).await?;
        Ok(Effect::Remove(entry_dn.to_string()))
    }

    /// Whether `entry` holds one of the attributes `written` that none of its classes allows, which
    /// the directory refuses (object class violation, 65): the gateway then adds a class and retries.
    fn disallows(&self, entry: &Entry, written: &[&str]) -> bool {
        let classes = entry.get("objectClass");
        written
            .iter()
            .any(|name| !entry.get(name).is_empty() && !self.schema.allows(classes, name))
    }

    /// Sets what the directory changes on every write: the modification time and the version.
    fn stamp(&self, entry: &mut Entry, record: u64) {
        let generated = &self.settings.generated;
        let now = timestamp();
        for name in &generated.modified {
            replace(entry, name, vec![now.clone()]);
        }
        for name in &generated.versions {
            let version = match entry.first(name).map(|v| v.trim().parse::<u64>()) {
                // A change number (389 DS's entryUSN, AD's uSNChanged) grows.
                Some(Ok(number)) => (number + 1).to_string(),
                None if !name.eq_ignore_ascii_case("entryCSN") => (record + 1).to_string(),
                // As OpenLDAP writes a CSN: time, then a change count that tells writes of one second apart.
                _ => format!("{}.000000Z#{record:06x}#000#000000", now.trim_end_matches('Z')),
            };
            replace(entry, name, vec![version]);
        }
    }

    fn commit(&self, effect: Effect) {
        self.with_state(|s| {
            s.records += 1;
            match effect {
                Effect::Put(entry) => s.put(entry),
                Effect::Remove(entry_dn) => s.remove(&entry_dn),
                Effect::Move { from, to } => s.moved(&from, to),
            }
        });
    }

    /// Performs a write on the shadow: judged, recorded in the plan, then kept; refused as the
    /// directory would refuse it, or with 503 when the shadow is full or the plan cannot be written.
    async fn write(
        &self,
        op: &'static str,
        change: Change,
        assertion: Option<&LdapFilter>,
        audited: (&str, &[&str]),
    ) -> Result<Option<Entry>> {
        let mut plan = self.writing.lock().await;
        let outcome: Result<Option<Entry>> = async {
            self.admit(op)?;
            let Judged { effect, deactivates } = self.judge(&change, assertion).await?;
            let (comments, recorded) = for_the_plan(&change, assertion, deactivates);
            let text = match &recorded {
                Some(change) => ldif::write_record(&Record {
                    comments,
                    change: change.clone(),
                }),
                None => ldif::comment_lines(&comments) + "\n",
            };
            let file = plan.as_mut().ok_or_else(|| unavailable(op, "the shadow plan is not open".into()))?;
            file.append(&text).map_err(|e| {
                tracing::error!(error = %e, "shadow mode cannot write its plan; the write is refused");
                unavailable(op, e)
            })?;
            let kept = match &effect {
                Effect::Put(entry) => Some(entry.clone()),
                _ => None,
            };
            match recorded {
                Some(change) => {
                    self.count_change(&change, deactivates);
                    self.commit(effect);
                }
                None => self.gauge("password"),
            }
            Ok(kept)
        }
        .await;
        let (audited_dn, attributes) = audited;
        let result = match &outcome {
            Ok(_) => "ok".to_string(),
            Err(e) => e.outcome_name(),
        };
        audit::note_write(op, audited_dn, attributes, &result);
        outcome
    }

    fn count_change(&self, change: &Change, deactivates: bool) {
        let kind = match change {
            Change::Add { .. } => "add",
            Change::Modify { .. } => "modify",
            Change::Rename { .. } => "rename",
            Change::Delete { .. } => "delete",
        };
        self.gauge(kind);
        if deactivates {
            self.gauge("deactivation");
        }
    }

    fn gauge(&self, change: &'static str) {
        self.metrics
            .add_to_gauge(CHANGES_GAUGE, &[("target", &self.settings.label), ("change", change)], 1);
        if let Ok(mut counted) = self.counted.lock() {
            *counted.entry(change).or_default() += 1;
        }
    }

    /// The entry as the directory would show it after the shadow's writes: references to renamed or
    /// deleted entries followed, back-links recomputed where `attrs` asks for them.
    fn viewed(&self, entry: Entry, attrs: &[String]) -> Entry {
        match self.state.lock() {
            Ok(state) => state.view(&self.settings, entry, attrs),
            Err(_) => entry,
        }
    }

    /// The answer to `request` given what the directory `found`, with what the shadow holds.
    fn merged(&self, request: &SearchRequest, found: Vec<Entry>) -> Vec<Entry> {
        match self.state.lock() {
            Ok(state) => state.merged(&self.settings, request, found),
            Err(_) => found,
        }
    }

    fn holds_anything(&self) -> bool {
        self.with_state(|s| !s.slots.is_empty()).unwrap_or(true)
    }
}

impl<D> Drop for Shadow<D> {
    fn drop(&mut self) {
        if let Ok(counted) = self.counted.lock() {
            for (change, count) in counted.iter() {
                self.metrics
                    .add_to_gauge(CHANGES_GAUGE, &[("target", &self.settings.label), ("change", change)], -count);
            }
        }
    }
}

/// The plan's comments for a write (the request, and what people should know) and its change record
/// without secret values; no record when it writes nothing but a password.
fn for_the_plan(change: &Change, assertion: Option<&LdapFilter>, deactivates: bool) -> (Vec<String>, Option<Change>) {
    let mut comments = vec![request_comment()];
    let mut recorded = change.clone();
    let secret_dropped = match &mut recorded {
        Change::Add { attrs, .. } => {
            let before = attrs.len();
            *attrs = without_secrets(attrs);
            before != attrs.len()
        }
        Change::Modify { mods, .. } => {
            let before = mods.len();
            mods.retain(|m| !is_secret(m.attribute()));
            before != mods.len()
        }
        Change::Rename { .. } | Change::Delete { .. } => false,
    };
    if secret_dropped {
        comments.push(PASSWORD_NOTE.into());
    }
    if deactivates {
        comments.push(DEACTIVATION_NOTE.into());
    }
    comments.extend(assertion.map(|a| format!("only if the entry matches {a} (the Assertion control is not in LDIF)")));
    let nothing_else = matches!(&recorded, Change::Modify { mods, .. } if mods.is_empty());
    (comments, (!nothing_else).then_some(recorded))
}

/// Sets `name` to `values` (`Entry::set` adds to what is there).
fn replace(entry: &mut Entry, name: &str, values: Vec<String>) {
    entry.set(name, Vec::new());
    entry.set(name, values);
}

fn without_secrets(attrs: &[(String, Vec<String>)]) -> Vec<(String, Vec<String>)> {
    attrs.iter().filter(|(name, _)| !is_secret(name)).cloned().collect()
}

fn modified(mods: &[Modification]) -> Vec<&str> {
    mods.iter().map(Modification::attribute).collect()
}

/// The request the write belongs to, for the plan's comment.
fn request_comment() -> String {
    audit::request_line().unwrap_or_else(|| "a write outside a SCIM request".into())
}

/// The error the directory would answer, marked as foreseen rather than received.
fn refused(op: &'static str, code: u32) -> LdapError {
    LdapError::Result {
        op,
        rc: code,
        text: "(as the directory would answer; shadow mode)".into(),
    }
}

fn unavailable(op: &'static str, text: String) -> LdapError {
    LdapError::Result {
        op,
        rc: rc::UNAVAILABLE,
        text,
    }
}

#[async_trait]
impl<D: Directory> Directory for Shadow<D> {
    async fn search(&self, request: &SearchRequest) -> Result<Vec<Entry>> {
        if request.scope == Scope::Base {
            let key = dn::normalize(&request.base);
            if let Some(held) = self.with_state(|s| s.held(&key).map(|e| e.is_some())).flatten() {
                // An entry the shadow holds is answered from it: the directory has not got it as it is.
                if !held {
                    return Err(refused("search", rc::NO_SUCH_OBJECT));
                }
                return Ok(self.merged(request, Vec::new()));
            }
        }
        let found = match self.inner.search(request).await {
            // Below an entry only the shadow has, the directory finds nothing.
            Err(e) if e.result_code() == Some(rc::NO_SUCH_OBJECT) => match self.stored(&request.base).await? {
                Some(_) => Vec::new(),
                None => return Err(e),
            },
            other => other?,
        };
        let answer = self.merged(request, found);
        let limit = usize::try_from(request.size_limit).unwrap_or(0);
        if limit > 0 && answer.len() > limit {
            return Err(refused("search", rc::SIZE_LIMIT_EXCEEDED));
        }
        Ok(answer)
    }

    async fn search_all(&self, request: &SearchRequest, page_size: i32) -> Result<Vec<Entry>> {
        let found = self.inner.search_all(request, page_size).await?;
        Ok(self.merged(request, found))
    }

    async fn count(&self, request: &SearchRequest, page_size: i32, order_by: &str) -> Result<usize> {
        if !self.holds_anything() {
            return self.inner.count(request, page_size, order_by).await;
        }
        Ok(self.search_all(&request.clone().names_only(), page_size).await?.len())
    }

    async fn paged_search(&self, request: &SearchRequest) -> Result<PagedSearch> {
        if !self.holds_anything() {
            return self.inner.paged_search(request).await;
        }
        Err(LdapError::Result {
            op: "paged search",
            rc: rc::UNWILLING_TO_PERFORM,
            text: "shadow mode reads listings by id once it holds changes".into(),
        })
    }

    fn offers_vlv(&self) -> bool {
        self.inner.offers_vlv()
    }

    async fn window(&self, request: &SearchRequest, sorted_by: &str, offset: usize, count: usize) -> Result<Option<Window>> {
        if !self.holds_anything() {
            return self.inner.window(request, sorted_by, offset, count).await;
        }
        Ok(None)
    }

    async fn add(&self, dn: &str, attrs: &[(String, Vec<String>)], read_back: &[String]) -> Result<Entry> {
        let names: Vec<&str> = attrs.iter().map(|(name, _)| name.as_str()).collect();
        let change = Change::Add {
            dn: dn.to_string(),
            attrs: attrs.to_vec(),
        };
        let added = self.write("add", change, None, (dn, &names)).await?;
        let added = added.ok_or_else(|| refused("add", rc::NO_SUCH_OBJECT))?;
        Ok(overlay::projected(&self.viewed(added, read_back), read_back))
    }

    async fn modify(&self, dn: &str, mods: &[Modification], assertion: Option<&LdapFilter>, read_back: &[String]) -> Result<Entry> {
        let change = Change::Modify {
            dn: dn.to_string(),
            mods: mods.to_vec(),
        };
        let modified_entry = self.write("modify", change, assertion, (dn, &modified(mods))).await?;
        let entry = modified_entry.ok_or_else(|| refused("modify", rc::NO_SUCH_OBJECT))?;
        Ok(overlay::projected(&self.viewed(entry, read_back), read_back))
    }

    async fn modify_if(&self, dn: &str, mods: &[Modification], assertion: Option<&LdapFilter>) -> Result<()> {
        let change = Change::Modify {
            dn: dn.to_string(),
            mods: mods.to_vec(),
        };
        self.write("modify", change, assertion, (dn, &modified(mods))).await.map(|_| ())
    }

    async fn rename(&self, dn: &str, new_rdn: &str, new_parent: Option<&str>) -> Result<()> {
        let change = Change::Rename {
            dn: dn.to_string(),
            new_rdn: new_rdn.to_string(),
            new_superior: new_parent.map(str::to_string),
        };
        let to = format!("{dn} -> {new_rdn}{}", new_parent.map(|p| format!(",{p}")).unwrap_or_default());
        self.write("modrdn", change, None, (&to, &[])).await.map(|_| ())
    }

    async fn delete(&self, dn: &str) -> Result<()> {
        let change = Change::Delete { dn: dn.to_string() };
        self.write("delete", change, None, (dn, &[])).await.map(|_| ())
    }

    async fn set_password(&self, dn: &str, _password: &str, how: PasswordWrite) -> Result<()> {
        let mut plan = self.writing.lock().await;
        let outcome = async {
            self.admit("password modify")?;
            self.target("password modify", dn).await?;
            let how = match how {
                PasswordWrite::Exop => "the Password Modify operation (RFC 3062)",
                PasswordWrite::UnicodePwd => "a replace of unicodePwd",
            };
            let comments = [request_comment(), PASSWORD_NOTE.to_string(), format!("(for {dn}, with {how})")];
            let file = plan
                .as_mut()
                .ok_or_else(|| unavailable("password modify", "the shadow plan is not open".into()))?;
            file.append(&(ldif::comment_lines(&comments) + "\n"))
                .map_err(|e| unavailable("password modify", e))?;
            self.gauge("password");
            Ok(())
        }
        .await;
        let result = outcome.as_ref().map_or_else(LdapError::outcome_name, |()| "ok".to_string());
        audit::note_write("password modify", dn, &[], &result);
        outcome
    }

    async fn ping(&self) -> Result<()> {
        self.inner.ping().await
    }
}

#[cfg(test)]
mod tests;
