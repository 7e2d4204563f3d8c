//! The `Directory` trait: what the service layer needs from a directory, whatever implements it
//! (LDAP, a dry run, a fake in tests), and what is built on it alone.

use async_trait::async_trait;

use super::entry::Entry;
use super::error::LdapError;
use super::filter::LdapFilter;
use super::paged::PagedSearch;
use super::request::{Modification, PasswordWrite, SearchRequest};

type Result<T> = std::result::Result<T, LdapError>;

/// What the service layer needs from a directory. Implemented over LDAP; HTTP unit tests may fake it.
#[async_trait]
pub trait Directory: Send + Sync {
    async fn search(&self, request: &SearchRequest) -> Result<Vec<Entry>>;
    /// Every entry a search matches, fetched with the Simple Paged Results control (RFC 2696) in pages of
    /// `page_size`, so that a server size limit for one request does not cut the result short.
    async fn search_all(&self, request: &SearchRequest, page_size: i32) -> Result<Vec<Entry>>;
    /// How many entries a search matches: with one VLV request sorted by `order_by` (an attribute
    /// every match has and the directory can order, such as a creation time) where the directory
    /// offers VLV and sorting, else over a paged search that returns no attributes.
    async fn count(&self, request: &SearchRequest, page_size: i32, order_by: &str) -> Result<usize>;
    /// A paged search to read page by page, on a connection of its own that it keeps until dropped.
    async fn paged_search(&self, request: &SearchRequest) -> Result<PagedSearch>;
    /// Whether the directory takes the VLV and Server Side Sort controls together, so that `window`
    /// answers and a paged search can be sorted.
    fn offers_vlv(&self) -> bool;
    /// The matches sorted by `sorted_by`, from the `offset`-th (1-based) on, `count` of them (fewer at
    /// the end), and how many match: one VLV request. `None` when the directory offers no VLV.
    async fn window(&self, request: &SearchRequest, sorted_by: &str, offset: usize, count: usize) -> Result<Option<Window>>;
    /// Adds an entry and returns it as stored, read back with the attributes `read_back` names.
    async fn add(&self, dn: &str, attrs: &[(String, Vec<String>)], read_back: &[String]) -> Result<Entry>;
    /// Applies `mods` in one modify request, only if the entry matches `assertion` when one is given
    /// (result 122 otherwise), and returns the entry as stored afterwards.
    async fn modify(&self, dn: &str, mods: &[Modification], assertion: Option<&LdapFilter>, read_back: &[String]) -> Result<Entry>;
    /// Applies `mods` in one modify request, only if the entry matches `assertion` (RFC 4528; result 122
    /// otherwise). Reads nothing back: for writes whose answer does not need the entry.
    async fn modify_if(&self, dn: &str, mods: &[Modification], assertion: Option<&LdapFilter>) -> Result<()>;
    /// Renames (modrdn, deleting the old RDN value) and optionally moves the entry.
    async fn rename(&self, dn: &str, new_rdn: &str, new_parent: Option<&str>) -> Result<()>;
    async fn delete(&self, dn: &str) -> Result<()>;
    /// Sets an entry's password the way `how` names; never logged.
    async fn set_password(&self, dn: &str, password: &str, how: PasswordWrite) -> Result<()>;
    /// Succeeds when a bound connection answers.
    async fn ping(&self) -> Result<()>;
}

/// A window of a sorted list of matches, and the size of the whole list.
pub struct Window {
    pub entries: Vec<Entry>,
    pub total: usize,
}

/// The entry at `dn` (the root DSE for ""), with `attrs`; `None` when the search finds nothing.
pub async fn read_entry<D: Directory + ?Sized>(directory: &D, dn: &str, attrs: &[String]) -> Result<Option<Entry>> {
    let found = directory
        .search(&SearchRequest::entry(dn, LdapFilter::any(), attrs.to_vec()))
        .await?;
    Ok(found.into_iter().next())
}
