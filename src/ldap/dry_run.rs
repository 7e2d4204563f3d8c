//! A `Directory` that reads from the one it wraps but only writes down the writes it is asked for
//! (`scim2ldap explain`): what a SCIM request would do to the directory, without doing it. The writes
//! are simulated for the reads that follow them in the same request (see `overlay`), and refused
//! with the result codes the directory would answer (an add onto an existing name is 68), so that
//! the request takes the path, and answers the status, it would take against the directory. One
//! `DryRun` is one request.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::directory::{read_entry, Directory, Window};
use super::dn;
use super::entry::Entry;
use super::error::{rc, LdapError};
use super::filter::LdapFilter;
use super::overlay::{self, Overlay};
use super::request::{is_secret, Modification, PasswordWrite, Scope, SearchRequest};
use super::schema::Subschema;
use crate::audit;

type Result<T> = std::result::Result<T, LdapError>;

pub struct DryRun<D> {
    inner: D,
    log: Mutex<Vec<String>>,
    written: Mutex<Overlay>,
    /// The directory's schema, to refuse a modify that removes a required attribute as it would.
    schema: Arc<Subschema>,
}

impl<D: Directory> DryRun<D> {
    pub fn new(inner: D) -> Self {
        DryRun {
            inner,
            log: Mutex::new(Vec::new()),
            written: Mutex::new(Overlay::default()),
            schema: Arc::default(),
        }
    }

    /// Judges modifies by the directory's `schema` too (the classes' required attributes).
    pub fn with_schema(mut self, schema: Arc<Subschema>) -> Self {
        self.schema = schema;
        self
    }

    /// Every operation asked for, in order: reads (performed) and writes (not performed).
    pub fn operations(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn note(&self, line: String) {
        if let Ok(mut log) = self.log.lock() {
            log.push(line);
        }
    }

    /// What the request's writes left at `entry_dn`: `None` when they did not touch it.
    fn written(&self, entry_dn: &str) -> Option<Option<Entry>> {
        self.written.lock().ok()?.state(entry_dn).map(|e| e.cloned())
    }

    fn overlay<T>(&self, change: impl FnOnce(&mut Overlay) -> T) -> Option<T> {
        self.written.lock().ok().map(|mut o| change(&mut o))
    }

    /// The entry at `entry_dn` with all its attributes, as the request's writes left it; `None` when
    /// it does not exist.
    async fn stored(&self, entry_dn: &str) -> Result<Option<Entry>> {
        if let Some(state) = self.written(entry_dn) {
            return Ok(state);
        }
        match read_entry(&self.inner, entry_dn, &["*".to_string(), "+".to_string()]).await {
            Err(e) if e.result_code() == Some(rc::NO_SUCH_OBJECT) => Ok(None),
            other => other,
        }
    }

    /// The entry a write to `entry_dn` changes, or the directory's refusal when there is none.
    async fn target(&self, op: &'static str, entry_dn: &str) -> Result<Entry> {
        self.stored(entry_dn).await?.ok_or_else(|| refused(op, rc::NO_SUCH_OBJECT))
    }

    /// Notes a write, as performed or as the directory would refuse it, in the log and the audit
    /// record; answers the outcome.
    fn noted<T>(&self, line: String, op: &str, audited_dn: &str, attributes: &[&str], outcome: Result<T>) -> Result<T> {
        let result = match &outcome {
            Ok(_) => "0".to_string(),
            Err(e) => e.result_code().map_or_else(|| "error".to_string(), |c| c.to_string()),
        };
        match &outcome {
            Ok(_) => self.note(line),
            Err(e) => self.note(format!("{line}\n    -> refused: {e}")),
        }
        audit::note_write(op, audited_dn, attributes, &result);
        outcome
    }

    /// A modify applied to what the request left at `entry_dn`; the entry afterwards.
    async fn simulate_modify(&self, entry_dn: &str, mods: &[Modification], assertion: Option<&LdapFilter>) -> Result<Entry> {
        let mut entry = self.target("modify", entry_dn).await?;
        if assertion.is_some_and(|a| !overlay::matches(a, &entry)) {
            return Err(refused("modify", rc::ASSERTION_FAILED));
        }
        overlay::apply(&mut entry, mods).map_err(|code| refused("modify", code))?;
        if overlay::lacks_required(&self.schema, &entry, &modified(mods)) {
            return Err(refused("modify", rc::OBJECT_CLASS_VIOLATION));
        }
        self.overlay(|o| o.put(entry.clone()));
        Ok(entry)
    }
}

/// The error the directory would answer, marked as foreseen rather than received.
fn refused(op: &'static str, code: u32) -> LdapError {
    LdapError::Result {
        op,
        rc: code,
        text: "(as the directory would answer)".into(),
    }
}

fn modified(mods: &[Modification]) -> Vec<&str> {
    mods.iter().map(Modification::attribute).collect()
}

fn shown(name: &str, values: &[String]) -> String {
    if is_secret(name) {
        return "<secret>".into();
    }
    values.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", ")
}

fn describe(mods: &[Modification]) -> String {
    mods.iter()
        .map(|m| match m {
            Modification::Add(name, values) => format!("\n    add {name}: {}", shown(name, values)),
            Modification::Delete(name, values) if values.is_empty() => format!("\n    delete {name}"),
            Modification::Delete(name, values) => format!("\n    delete {name}: {}", shown(name, values)),
            Modification::Replace(name, values) if values.is_empty() => format!("\n    replace {name} (with nothing)"),
            Modification::Replace(name, values) => format!("\n    replace {name}: {}", shown(name, values)),
        })
        .collect()
}

fn with_assertion(assertion: Option<&LdapFilter>) -> String {
    assertion.map(|a| format!(" if {a}")).unwrap_or_default()
}

#[async_trait]
impl<D: Directory> Directory for DryRun<D> {
    async fn search(&self, request: &SearchRequest) -> Result<Vec<Entry>> {
        self.note(format!(
            "search (read) base={:?} scope={:?} filter={}",
            request.base, request.scope, request.filter
        ));
        // An entry the request wrote is read from what it wrote: the directory has not got it.
        if request.scope == Scope::Base {
            if let Some(state) = self.written(&request.base) {
                let entry = state.ok_or_else(|| refused("search", rc::NO_SUCH_OBJECT))?;
                return Ok(Some(entry)
                    .filter(|e| overlay::matches(&request.filter, e))
                    .map(|e| overlay::projected(&e, &request.attrs))
                    .into_iter()
                    .collect());
            }
        }
        let found = self.inner.search(request).await?;
        Ok(self.overlay(|o| o.merged(request, found.clone())).unwrap_or(found))
    }

    async fn search_all(&self, request: &SearchRequest, page_size: i32) -> Result<Vec<Entry>> {
        self.note(format!(
            "paged search (read) base={:?} scope={:?} filter={}",
            request.base, request.scope, request.filter
        ));
        let found = self.inner.search_all(request, page_size).await?;
        Ok(self.overlay(|o| o.merged(request, found.clone())).unwrap_or(found))
    }

    async fn count(&self, request: &SearchRequest, page_size: i32, order_by: &str) -> Result<usize> {
        self.note(format!(
            "count (read) base={:?} scope={:?} filter={}",
            request.base, request.scope, request.filter
        ));
        self.inner.count(request, page_size, order_by).await
    }

    async fn paged_search(&self, request: &SearchRequest) -> Result<crate::ldap::PagedSearch> {
        self.note(format!(
            "paged search (read) base={:?} scope={:?} filter={}",
            request.base, request.scope, request.filter
        ));
        self.inner.paged_search(request).await
    }

    fn offers_vlv(&self) -> bool {
        self.inner.offers_vlv()
    }

    async fn window(&self, request: &SearchRequest, sorted_by: &str, offset: usize, count: usize) -> Result<Option<Window>> {
        self.note(format!(
            "window (read) base={:?} scope={:?} filter={} sorted by {sorted_by} from {offset}, {count}",
            request.base, request.scope, request.filter
        ));
        self.inner.window(request, sorted_by, offset, count).await
    }

    async fn add(&self, dn: &str, attrs: &[(String, Vec<String>)], read_back: &[String]) -> Result<Entry> {
        let listed: String = attrs
            .iter()
            .map(|(name, values)| format!("\n    {name}: {}", shown(name, values)))
            .collect();
        let outcome = async {
            // The directory refuses a name that is taken (whatever the gateway can see of it) and a
            // parent that does not exist.
            if self.stored(dn).await?.is_some() {
                return Err(refused("add", rc::ENTRY_ALREADY_EXISTS));
            }
            let (_, parent) = dn::split_first(dn);
            if !parent.is_empty() && self.stored(parent).await?.is_none() {
                return Err(refused("add", rc::NO_SUCH_OBJECT));
            }
            let entry = Entry::from_parts(dn.to_string(), attrs.iter().cloned().collect());
            self.overlay(|o| o.put(entry.clone()));
            Ok(overlay::projected(&entry, read_back))
        }
        .await;
        let names: Vec<&str> = attrs.iter().map(|(name, _)| name.as_str()).collect();
        self.noted(format!("add {dn}{listed}"), "add", dn, &names, outcome)
    }

    async fn modify(&self, dn: &str, mods: &[Modification], assertion: Option<&LdapFilter>, read_back: &[String]) -> Result<Entry> {
        let outcome = self.simulate_modify(dn, mods, assertion).await;
        let outcome = outcome.map(|e| overlay::projected(&e, read_back));
        let line = format!("modify {dn}{}{}", with_assertion(assertion), describe(mods));
        self.noted(line, "modify", dn, &modified(mods), outcome)
    }

    async fn modify_if(&self, dn: &str, mods: &[Modification], assertion: Option<&LdapFilter>) -> Result<()> {
        let outcome = self.simulate_modify(dn, mods, assertion).await.map(|_| ());
        let line = format!("modify {dn}{}{}", with_assertion(assertion), describe(mods));
        self.noted(line, "modify", dn, &modified(mods), outcome)
    }

    async fn rename(&self, dn: &str, new_rdn: &str, new_parent: Option<&str>) -> Result<()> {
        let outcome = async {
            let entry = self.target("modrdn", dn).await?;
            let moved = overlay::renamed(&entry, new_rdn, new_parent).ok_or_else(|| refused("modrdn", rc::INVALID_DN_SYNTAX))?;
            let same_name = dn::normalize(&moved.dn) == dn::normalize(dn);
            if !same_name && self.stored(&moved.dn).await?.is_some() {
                return Err(refused("modrdn", rc::ENTRY_ALREADY_EXISTS));
            }
            self.overlay(|o| {
                o.remove(dn);
                o.put(moved);
            });
            Ok(())
        }
        .await;
        let parent = new_parent.map(|p| format!(" under {p}")).unwrap_or_default();
        let to = format!("{dn} -> {new_rdn}{}", new_parent.map(|p| format!(",{p}")).unwrap_or_default());
        self.noted(format!("modrdn {dn} to {new_rdn}{parent}"), "modrdn", &to, &[], outcome)
    }

    async fn delete(&self, dn: &str) -> Result<()> {
        let outcome = async {
            self.target("delete", dn).await?;
            self.overlay(|o| o.remove(dn));
            Ok(())
        }
        .await;
        self.noted(format!("delete {dn}"), "delete", dn, &[], outcome)
    }

    async fn set_password(&self, dn: &str, _password: &str, how: PasswordWrite) -> Result<()> {
        let method = match how {
            PasswordWrite::Exop => "password modify (RFC 3062)",
            PasswordWrite::UnicodePwd => "replace unicodePwd",
        };
        let outcome = self.target("password modify", dn).await.map(|_| ());
        self.noted(format!("{method} {dn}: <secret>"), "password modify", dn, &[], outcome)
    }

    async fn ping(&self) -> Result<()> {
        self.inner.ping().await
    }
}
