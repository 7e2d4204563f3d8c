//! Lists that scale: one search for the ids that match (paged, so no server size limit truncates it),
//! kept briefly as a snapshot, then one search per page for just that page's entries, so a page deep
//! in the list costs what the first one does. Sequential paging in the directory's order (Okta's
//! import: startIndex 1, 101, 201, …) is served from an open paged search instead, each next page read
//! ahead while the client handles the current one.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::error::{Result, ServiceError};
use super::list_cache::{Pages, ReadAhead, Snapshot};
use super::list_plan::{self, Attempt, Fallback, PageRequest};
use super::view::ResourceView;
use super::Service;
use crate::ldap::{Entry, LdapFilter, PagedSearch, SearchRequest};
use crate::mapping::error::TranslateError;
use crate::mapping::filter::{referenced_ids, to_ldap_filter};
use crate::mapping::{ResourceKind, ResourceMapping, ValueKind};
use crate::scim::filter::{self, AttrPath};
use crate::scim::ScimType;

/// Entries per paged-results page when collecting ids.
const ID_PAGE: i32 = 1000;
/// Ids per search when fetching a page's entries.
const FETCH_CHUNK: usize = 200;
/// A first page whose query matches at most this many entries is answered by one search that reads
/// them whole (IdPs' probes match one or none); larger results take the id snapshot.
const SMALL_RESULT: usize = 1000;

/// A list request after parsing: RFC 7644 §3.4.2.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub filter: Option<String>,
    /// 1-based.
    pub start_index: usize,
    pub count: Option<usize>,
    pub sort_by: Option<String>,
    pub descending: bool,
}

/// A page of resources and the total that match.
pub struct Page {
    pub resources: Vec<Map<String, Value>>,
    pub total: usize,
    pub start_index: usize,
}

/// A page of a search across resource types, each resource with its type.
pub struct MixedPage {
    pub resources: Vec<(ResourceKind, Map<String, Value>)>,
    pub total: usize,
    pub start_index: usize,
}

/// Most resources read ahead for one listing, so that memory stays bounded whatever clients do.
const READ_AHEAD_ENTRIES: usize = 10_000;
/// Entries per LDAP page when reading ahead. The directory idles from the end of one page until the
/// next request arrives, so a request per client page (often 100 entries) would leave it idle a
/// thousand times over 100,000 users.
const READ_AHEAD_BATCH: usize = 1000;

impl Service {
    /// RFC 7644 §3.4.3 search at the root: users, then groups, paged as one list (each type sorted on
    /// its own, by `sortBy` where it has that attribute). A type whose attributes the filter does not name matches nothing; a filter no type
    /// understands is refused.
    pub async fn list_across(&self, query: &ListQuery, without_members: bool, base_url: &str) -> Result<MixedPage> {
        let start_index = query.start_index.max(1);
        let mut skip = start_index - 1;
        let mut remaining = query.count.unwrap_or(self.max_results).min(self.max_results);
        let mut page = MixedPage {
            resources: Vec::new(),
            total: 0,
            start_index,
        };
        let mut refusal = None;
        let mut answered = false;
        for kind in [ResourceKind::User, ResourceKind::Group] {
            let Some(m) = self.mapping.resource(kind) else { continue };
            // RFC 7644 §3.4.2.3: resources without the sort attribute keep their default order.
            let sort_by = query.sort_by.clone().filter(|s| sort_attribute(m, s).is_ok());
            let part = ListQuery {
                start_index: skip + 1,
                count: Some(remaining),
                sort_by,
                ..query.clone()
            };
            match self.view(kind, base_url)?.list(&part, without_members).await {
                Ok(found) => {
                    answered = true;
                    page.total += found.total;
                    skip = skip.saturating_sub(found.total);
                    remaining -= found.resources.len();
                    page.resources.extend(found.resources.into_iter().map(|r| (kind, r)));
                }
                Err(e @ ServiceError::Translate(TranslateError::UnknownAttribute(_))) => refusal = Some(e),
                Err(e) => return Err(e),
            }
        }
        match (answered, refusal) {
            (false, Some(e)) => Err(e),
            _ => Ok(page),
        }
    }

    fn check_matches(&self, matched: usize) -> Result<()> {
        if matched > self.max_matches {
            return Err(ServiceError::BadRequest(
                ScimType::TooMany,
                format!(
                    "the filter matches {matched} resources, more than the {} this service provider lists: narrow it",
                    self.max_matches
                ),
            ));
        }
        Ok(())
    }

    /// Pages of `count` resources from `search`, read (in batches of `READ_AHEAD_BATCH`) and rendered
    /// by a task of their own, in parallel with the requests, up to `READ_AHEAD_ENTRIES` ahead of the
    /// receiver; dropping the receiver stops the task and closes the search's connection.
    fn read_pages(&self, kind: ResourceKind, search: PagedSearch, count: usize, base_url: &str) -> Pages {
        let count = count.max(1);
        let (pages, receiver) = tokio::sync::mpsc::channel((READ_AHEAD_ENTRIES / count).max(1));
        // Whole pages per batch, so that no page straddles two batches.
        let batch = count * (READ_AHEAD_BATCH / count).max(1);
        let service = self.clone();
        let base_url = base_url.to_string();
        let fetch = move |mut search: PagedSearch| {
            tokio::spawn(async move {
                let entries = search.next_page(page_size(batch)).await;
                (search, entries)
            })
        };
        tokio::spawn(async move {
            let mut next = Some(fetch(search));
            while let Some(fetching) = next.take() {
                let Ok((search, entries)) = fetching.await else { break };
                let last = entries.as_ref().map_or(true, |e| e.len() < batch) || search.is_finished();
                // The directory reads the next batch while this one is rendered.
                if !last {
                    next = Some(fetch(search));
                }
                let (entries, view) = match (entries, service.view(kind, &base_url)) {
                    (Ok(entries), Ok(view)) => (entries, view),
                    (Err(e), _) => {
                        let _ = pages.send(Err(e.into())).await;
                        break;
                    }
                    (_, Err(e)) => {
                        let _ = pages.send(Err(e)).await;
                        break;
                    }
                };
                for page in entries.chunks(count) {
                    if pages.send(view.render_all(page).await).await.is_err() {
                        return;
                    }
                }
            }
        });
        receiver
    }
}

impl ResourceView<'_> {
    pub async fn list(&self, query: &ListQuery, without_members: bool) -> Result<Page> {
        let listing = self.listing(query, without_members).await?;
        let kept = if listing.start_index > 1 {
            self.snapshots.get(&listing.key).await
        } else {
            None
        };
        let plan = list_plan::plan(PageRequest {
            start_index: listing.start_index,
            count: listing.count,
            sorted: listing.sort_attr.is_some(),
            snapshot_kept: kept.is_some(),
        });
        for attempt in plan.attempts {
            let page = match attempt {
                Attempt::ReadAhead => self.continue_reading(&listing).await?,
                Attempt::SmallResult => self.small_result(&listing).await?,
                Attempt::Window => self.window(&listing).await?,
            };
            if let Some(page) = page {
                return Ok(page);
            }
        }
        match (plan.fallback, kept) {
            (Fallback::KeptSnapshot, Some(ids)) => self.page_of(&listing, &ids).await,
            (Fallback::StartReadAhead, _) => self.start_reading(&listing).await,
            (Fallback::KeptSnapshot | Fallback::NewSnapshot, _) => {
                let ids = self
                    .matching_ids(listing.filter.clone(), listing.sort_attr.as_deref(), listing.descending)
                    .await?;
                self.check_matches(ids.len())?;
                self.snapshots.insert(listing.key.clone(), ids.clone()).await;
                self.page_of(&listing, &ids).await
            }
        }
    }

    /// A list query made ready to serve: its LDAP filter (with order comparisons the directory cannot
    /// make resolved), its sort attribute and page, and the key its snapshots and read-aheads are kept by.
    async fn listing(&self, query: &ListQuery, without_members: bool) -> Result<Listing> {
        let m = self.m;
        let ldap_filter = match query.filter.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
            Some(text) => {
                let parsed = filter::parse(text)?;
                let refs = self.dns_of(&referenced_ids(m, &parsed)).await?;
                to_ldap_filter(m, &parsed, &refs)?
            }
            None => m.type_filter(),
        };
        let filter_key = ldap_filter.to_string();
        let filter = self.resolve_orders(ldap_filter).await?;
        let sort_attr = query.sort_by.as_deref().map(|s| sort_attribute(m, s)).transpose()?;
        let key = format!(
            "{}|{filter_key}|{}|{}|{without_members}",
            m.kind.name(),
            sort_attr.as_deref().unwrap_or(""),
            query.descending
        );
        Ok(Listing {
            filter,
            sort_attr,
            descending: query.descending,
            start_index: query.start_index.max(1),
            count: query.count.unwrap_or(self.max_results).min(self.max_results),
            without_members,
            key,
        })
    }

    /// The page of `ids` the listing asks for, its entries read by id.
    async fn page_of(&self, listing: &Listing, ids: &Snapshot) -> Result<Page> {
        let page: Vec<&String> = ids.iter().skip(listing.start_index - 1).take(listing.count).collect();
        let entries = self.fetch_page(&page, listing.without_members).await?;
        Ok(Page {
            resources: self.render_all(&entries).await?,
            total: ids.len(),
            start_index: listing.start_index,
        })
    }

    /// The first page of a large listing in the directory's order: the matches are counted while an
    /// open paged search reads the page, and then the pages after it.
    async fn start_reading(&self, listing: &Listing) -> Result<Page> {
        let base_url = self.base_url;
        let (m, count) = (self.m, listing.count);
        let request = shown_resources(m, listing.filter.clone(), listing.without_members);
        let writes = self.writes.load(std::sync::atomic::Ordering::Acquire);
        // The pages are read and rendered while the matches are counted.
        let first_page = async {
            let mut search = self.directory.paged_search(&request).await?;
            if let Some(id_attr) = self.sorted_by_id() {
                search = search.sorted_by(id_attr);
            }
            let mut pages = self.read_pages(m.kind, search, count, base_url);
            let first = pages.recv().await.unwrap_or_else(|| Ok(Vec::new()))?;
            Ok::<_, ServiceError>((pages, first))
        };
        let (total, first_page) = tokio::join!(self.directory.count(&request, ID_PAGE, &m.meta.created), first_page);
        let total = total?;
        self.check_matches(total)?;
        let resources = match first_page {
            Ok((pages, resources)) => {
                if !resources.is_empty() {
                    let ahead = ReadAhead { total, pages, writes };
                    self.keep_reading(&listing.key, 1 + count, count, ahead).await;
                }
                resources
            }
            Err(e) => {
                tracing::debug!(error = %e, "paged search unavailable; reading the page by id");
                let ids = self.matching_ids(listing.filter.clone(), None, false).await?;
                self.snapshots.insert(listing.key.clone(), ids.clone()).await;
                return self.page_of(listing, &ids).await;
            }
        };
        Ok(Page {
            resources,
            total,
            start_index: 1,
        })
    }

    /// The page at `start_index` when a listing in progress has reached it; `None` otherwise (or when
    /// its search failed), for the caller to read the page by id.
    async fn continue_reading(&self, listing: &Listing) -> Result<Option<Page>> {
        let base_url = self.base_url;
        let (key, start_index, count) = (listing.key.as_str(), listing.start_index, listing.count);
        let Some(slot) = self.read_aheads.remove(&read_ahead_key(key, start_index, count, base_url)).await else {
            return Ok(None);
        };
        let Some(mut ahead) = slot.lock().await.take() else {
            return Ok(None);
        };
        if ahead.writes != self.writes.load(std::sync::atomic::Ordering::Acquire) {
            return Ok(None);
        }
        let resources = match ahead.pages.recv().await {
            Some(Ok(resources)) => resources,
            // The search ended exactly at the previous page.
            None => Vec::new(),
            Some(Err(e)) => {
                tracing::debug!(error = %e, "a read-ahead failed; reading the page by id");
                return Ok(None);
            }
        };
        let total = ahead.total;
        // Kept after the last page too: a client asking for the page after it gets an empty page
        // from the finished listing, not a scan of every id.
        if !resources.is_empty() {
            self.keep_reading(key, start_index + count, count, ahead).await;
        }
        Ok(Some(Page {
            resources,
            total,
            start_index,
        }))
    }

    /// Keeps a listing for the request that asks for the page at `start_index`.
    async fn keep_reading(&self, key: &str, start_index: usize, count: usize, ahead: ReadAhead) {
        let base_url = self.base_url;
        self.read_aheads
            .insert(
                read_ahead_key(key, start_index, count, base_url),
                Arc::new(tokio::sync::Mutex::new(Some(ahead))),
            )
            .await;
    }

    /// The page at `start_index` of the list sorted by id, read as one VLV window; `None` where
    /// listings are not sorted by id or the directory declined (the caller then reads the page by id).
    async fn window(&self, listing: &Listing) -> Result<Option<Page>> {
        let (m, start_index, count) = (self.m, listing.start_index, listing.count);
        let Some(id_attr) = self.sorted_by_id() else { return Ok(None) };
        let request = shown_resources(m, listing.filter.clone(), listing.without_members);
        let window = match self.directory.window(&request, id_attr, start_index, count).await {
            Ok(Some(window)) => window,
            Ok(None) => return Ok(None),
            Err(e) => {
                tracing::debug!(error = %e, "VLV window refused; reading the page by id");
                return Ok(None);
            }
        };
        self.check_matches(window.total)?;
        // Past the end, a server may answer the list's last entry (slapd refuses instead): no page.
        let entries = if start_index > window.total { &[][..] } else { &window.entries[..] };
        Ok(Some(Page {
            resources: self.render_all(entries).await?,
            total: window.total,
            start_index,
        }))
    }

    /// The page, when the filter matches at most `SMALL_RESULT` entries: all of them read whole in one
    /// search, sorted here; `None` when there are more (the directory stops at the size limit).
    async fn small_result(&self, listing: &Listing) -> Result<Option<Page>> {
        let m = self.m;
        let found = self
            .directory
            .search(&shown_resources(m, listing.filter.clone(), listing.without_members).limited(SMALL_RESULT as i32))
            .await;
        let entries = match found {
            Ok(entries) => entries,
            Err(e) if e.result_code() == Some(crate::ldap::error::rc::SIZE_LIMIT_EXCEEDED) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let keyed = self.in_list_order(entries, listing.sort_attr.as_deref(), listing.descending);
        let total = keyed.len();
        self.check_matches(total)?;
        // Only a result that goes on past this page has later pages to continue.
        if listing.start_index - 1 + listing.count < total {
            let ids = keyed.iter().map(|(id, _)| id.clone()).collect();
            self.snapshots.insert(listing.key.clone(), Arc::new(ids)).await;
        }
        let mut resources = Vec::new();
        for (_, entry) in keyed.iter().skip(listing.start_index - 1).take(listing.count) {
            resources.push(self.render(entry).await?);
        }
        Ok(Some(Page {
            resources,
            total,
            start_index: listing.start_index,
        }))
    }

    async fn render_all(&self, entries: &[Entry]) -> Result<Vec<Map<String, Value>>> {
        let mut resources = Vec::with_capacity(entries.len());
        for entry in entries {
            resources.push(self.render(entry).await?);
        }
        Ok(resources)
    }

    /// The entries of one page, in the page's order; entries deleted since the snapshot are left out.
    async fn fetch_page(&self, ids: &[&String], without_members: bool) -> Result<Vec<crate::ldap::Entry>> {
        let m = self.m;
        let mut by_id = HashMap::new();
        for chunk in ids.chunks(FETCH_CHUNK) {
            let any = LdapFilter::or(chunk.iter().map(|id| LdapFilter::eq(&m.id_attr, id)).collect());
            let found = self.directory.search(&shown_resources(m, m.of_type(any), without_members)).await?;
            for entry in found {
                if let Some(id) = entry.first(&m.id_attr) {
                    by_id.insert(id.to_string(), entry);
                }
            }
        }
        Ok(ids.iter().filter_map(|id| by_id.remove(id.as_str())).collect())
    }

    /// The id attribute, when unsorted listings are ordered by it: where the directory sorts (VLV and
    /// Server Side Sort) and its schema orders ids, so that a page at any offset is one VLV request.
    /// Every path then reads in that order (sorted paged searches, VLV windows, snapshots sorted
    /// here), so pages served by different paths never skip or repeat anyone.
    fn sorted_by_id(&self) -> Option<&str> {
        let m = self.m;
        (self.directory.offers_vlv() && !self.unordered.contains(&m.id_attr.to_ascii_lowercase())).then_some(m.id_attr.as_str())
    }

    /// The ids of every entry the filter matches, sorted by `sort_attr` (then id) or by id.
    /// `ldap_filter` with its order comparisons (`gt`, `ge`, `lt`, `le`) on attributes the directory
    /// cannot order (no ORDERING rule: OpenLDAP's `sn`, `cn`, `uid`, `mail`) answered here: the values
    /// each such attribute holds among this type's entries are read (one paged search of that one
    /// attribute, bounded by `max_matches`) and the comparison becomes equality matches of those that
    /// satisfy it, so that the directory applies the rest of the filter, paging and counting as usual.
    async fn resolve_orders(&self, ldap_filter: LdapFilter) -> Result<LdapFilter> {
        let m = self.m;
        let mut unorderable: Vec<String> = ldap_filter
            .ordered_attributes()
            .into_iter()
            .filter(|a| self.unordered.contains(&a.to_ascii_lowercase()))
            .map(str::to_ascii_lowercase)
            .collect();
        unorderable.dedup();
        if unorderable.is_empty() {
            return Ok(ldap_filter);
        }
        let mut known = HashMap::new();
        for attr in unorderable {
            let holders = self
                .directory
                .search_all(
                    &SearchRequest::new(&m.base, m.scope, m.of_type(LdapFilter::Present(attr.clone())), vec![attr.clone()]),
                    ID_PAGE,
                )
                .await?;
            self.check_matches(holders.len())?;
            let mut values: Vec<String> = holders.iter().flat_map(|e| e.get(&attr).iter().cloned()).collect();
            values.sort_unstable();
            values.dedup();
            known.insert(attr, values);
        }
        Ok(ldap_filter.with_orders_resolved(&known))
    }

    async fn matching_ids(&self, ldap_filter: LdapFilter, sort_attr: Option<&str>, descending: bool) -> Result<Snapshot> {
        let m = self.m;
        let mut attrs = vec![m.id_attr.clone()];
        attrs.extend(sort_attr.map(str::to_string));
        let entries = self
            .directory
            .search_all(&SearchRequest::new(&m.base, m.scope, ldap_filter, attrs), ID_PAGE)
            .await?;
        let ids = self.in_list_order(entries, sort_attr, descending).into_iter().map(|(id, _)| id);
        Ok(Arc::new(ids.collect()))
    }

    /// `entries` with their ids (those without one left out), in the order lists are served: by
    /// `sort_attr` then id when sorted; unsorted, the order the other paths read in: by id where the
    /// directory sorts (`sorted_by_id`), else the directory's own, which its paged searches follow.
    fn in_list_order(&self, entries: Vec<Entry>, sort_attr: Option<&str>, descending: bool) -> Vec<(String, Entry)> {
        let mut keyed: Vec<(Option<String>, String, Entry)> = entries
            .into_iter()
            .filter_map(|e| {
                let id = e.first(&self.m.id_attr)?.to_string();
                let sort_key = sort_attr.and_then(|a| e.first(a)).map(str::to_lowercase);
                Some((sort_key, id, e))
            })
            .collect();
        if sort_attr.is_some() || self.sorted_by_id().is_some() {
            keyed.sort_by(|(ka, ia, _), (kb, ib, _)| order(ka, ia, kb, ib, descending));
        }
        keyed.into_iter().map(|(_, id, entry)| (id, entry)).collect()
    }
}

/// A list query made ready to serve (see `Service::listing`).
struct Listing {
    filter: LdapFilter,
    sort_attr: Option<String>,
    descending: bool,
    start_index: usize,
    count: usize,
    without_members: bool,
    /// What snapshots and read-aheads of this query are kept by.
    key: String,
}

/// A search for the entries `filter` matches, with the attributes they are shown with.
fn shown_resources(m: &ResourceMapping, filter: LdapFilter, without_members: bool) -> SearchRequest {
    SearchRequest::new(&m.base, m.scope, filter, super::reading::read_attrs(m, without_members))
}

fn read_ahead_key(query: &str, start_index: usize, count: usize, base_url: &str) -> String {
    format!("{query}|{start_index}|{count}|{base_url}")
}

fn page_size(count: usize) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

/// Sort order: by key (entries without the sort attribute last either way, RFC 7644 §3.4.2.3), then
/// by id, so that pages are stable.
fn order(ka: &Option<String>, ia: &str, kb: &Option<String>, ib: &str, descending: bool) -> Ordering {
    let by_key = match (ka, kb) {
        (Some(a), Some(b)) if descending => b.cmp(a),
        (Some(a), Some(b)) => a.cmp(b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    by_key.then_with(|| ia.cmp(ib))
}

/// The LDAP attribute a `sortBy` path sorts on: a mapped attribute (for a multi-valued one, its first
/// mapped value), `id`, or `meta.created` / `meta.lastModified`.
fn sort_attribute(m: &ResourceMapping, sort_by: &str) -> Result<String> {
    let invalid = || {
        ServiceError::BadRequest(
            ScimType::InvalidValue,
            format!("cannot sort by '{sort_by}': not an attribute this service provider stores"),
        )
    };
    let path = AttrPath::parse(sort_by.trim()).ok_or_else(invalid)?;
    if path.urn.is_none() && path.sub.is_none() && path.name.eq_ignore_ascii_case("id") {
        return Ok(m.id_attr.clone());
    }
    if path.urn.is_none() && path.name.eq_ignore_ascii_case("meta") {
        return match path.sub.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("created") => Ok(m.meta.created.clone()),
            Some("lastmodified") => Ok(m.meta.last_modified.clone()),
            _ => Err(invalid()),
        };
    }
    let value_path = AttrPath {
        sub: path.sub.clone().or_else(|| Some("value".into())),
        ..path.clone()
    };
    m.attrs
        .iter()
        .filter(|a| a.kind != ValueKind::Reference)
        .find(|a| a.scim.matches_path(&path) || (path.sub.is_none() && a.scim.matches_path(&value_path)))
        .map(|a| a.read_source().to_string())
        .ok_or_else(invalid)
}
