//! A `Directory` that reads from the one it wraps but only writes down the writes it is asked for
//! (`scim2ldap explain`): what a SCIM request would do to the directory, without doing it.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::client::{read_entry, Directory, Modification, PasswordWrite, SearchRequest, Window};
use super::entry::Entry;
use super::error::LdapError;
use super::filter::LdapFilter;

type Result<T> = std::result::Result<T, LdapError>;

/// Attributes whose values are never printed.
const SECRET_ATTRIBUTES: [&str; 2] = ["userPassword", "unicodePwd"];

pub struct DryRun<D> {
    inner: D,
    log: Mutex<Vec<String>>,
}

impl<D: Directory> DryRun<D> {
    pub fn new(inner: D) -> Self {
        DryRun {
            inner,
            log: Mutex::new(Vec::new()),
        }
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

    /// The entry as it is now, for a write that must answer one.
    async fn current(&self, dn: &str, attrs: &[String]) -> Result<Entry> {
        Ok(read_entry(&self.inner, dn, attrs)
            .await?
            .unwrap_or_else(|| Entry::from_parts(dn.to_string(), HashMap::new())))
    }
}

fn shown(name: &str, values: &[String]) -> String {
    if SECRET_ATTRIBUTES.iter().any(|s| s.eq_ignore_ascii_case(name)) {
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
        self.inner.search(request).await
    }

    async fn search_all(&self, request: &SearchRequest, page_size: i32) -> Result<Vec<Entry>> {
        self.note(format!(
            "paged search (read) base={:?} scope={:?} filter={}",
            request.base, request.scope, request.filter
        ));
        self.inner.search_all(request, page_size).await
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

    async fn add(&self, dn: &str, attrs: &[(String, Vec<String>)], _read_back: &[String]) -> Result<Entry> {
        let listed: String = attrs
            .iter()
            .map(|(name, values)| format!("\n    {name}: {}", shown(name, values)))
            .collect();
        self.note(format!("add {dn}{listed}"));
        Ok(Entry::from_parts(dn.to_string(), attrs.iter().cloned().collect()))
    }

    async fn modify(&self, dn: &str, mods: &[Modification], assertion: Option<&LdapFilter>, read_back: &[String]) -> Result<Entry> {
        self.note(format!("modify {dn}{}{}", with_assertion(assertion), describe(mods)));
        self.current(dn, read_back).await
    }

    async fn modify_if(&self, dn: &str, mods: &[Modification], assertion: Option<&LdapFilter>) -> Result<()> {
        self.note(format!("modify {dn}{}{}", with_assertion(assertion), describe(mods)));
        Ok(())
    }

    async fn rename(&self, dn: &str, new_rdn: &str, new_parent: Option<&str>) -> Result<()> {
        let parent = new_parent.map(|p| format!(" under {p}")).unwrap_or_default();
        self.note(format!("modrdn {dn} to {new_rdn}{parent}"));
        Ok(())
    }

    async fn delete(&self, dn: &str) -> Result<()> {
        self.note(format!("delete {dn}"));
        Ok(())
    }

    async fn set_password(&self, dn: &str, _password: &str, how: PasswordWrite) -> Result<()> {
        let method = match how {
            PasswordWrite::Exop => "password modify (RFC 3062)",
            PasswordWrite::UnicodePwd => "replace unicodePwd",
        };
        self.note(format!("{method} {dn}: <secret>"));
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        self.inner.ping().await
    }
}
