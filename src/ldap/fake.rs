//! An in-memory directory for unit tests: the `Directory` operations over entries in a map, answering
//! with the RFC 4511 result codes a real server gives where the service's path depends on them (an
//! add onto an existing name is 68, a delete of a value that is not there 16, an assertion that does
//! not hold 122, a search past its size limit 4, a class's required attribute removed 65), with the operational attributes OpenLDAP generates
//! (`entryUUID`, `entryCSN`, `entryDN`, timestamps) and its memberof and refint overlays as the
//! integration sandbox runs them. Writes are simulated by `overlay`'s functions, as `explain` does.
//!
//! Test hooks: entries seeded from LDIF (as `slapadd` loads the sandbox: no schema checks, operational
//! attributes added), the next operation of a kind made to fail with a result code, and the
//! operations made, counted by kind.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use super::directory::{Directory, Window};
use super::dn;
use super::entry::Entry;
use super::error::{rc, LdapError};
use super::filter::LdapFilter;
use super::overlay;
use super::paged::PagedSearch;
use super::request::{Modification, PasswordWrite, Scope, SearchRequest, NO_ATTRIBUTES};
use super::schema::Subschema;

type Result<T> = std::result::Result<T, LdapError>;

/// Attributes the directory keeps itself: shown only when named or asked for with `+`.
const OPERATIONAL: [&str; 9] = [
    "entryUUID",
    "entryCSN",
    "entryDN",
    "createTimestamp",
    "modifyTimestamp",
    "memberOf",
    "pwdAccountLockedTime",
    "structuralObjectClass",
    "subschemaSubentry",
];

/// Attributes the refint overlay follows deletes and renames in (the sandbox's `olcRefintAttribute`).
const REFINT_ATTRIBUTES: [&str; 3] = ["member", "uniqueMember", "manager"];

/// The subset of the RFC 4519 / RFC 2798 schema the shipped mappings write: what each class requires,
/// and attributes an `inetOrgPerson` may hold only through `extensibleObject`.
const ATTRIBUTE_TYPES: [&str; 9] = [
    "( 2.5.4.0 NAME 'objectClass' )",
    "( 2.5.4.3 NAME ( 'cn' 'commonName' ) )",
    "( 2.5.4.4 NAME ( 'sn' 'surname' ) )",
    "( 0.9.2342.19200300.100.1.1 NAME ( 'uid' 'userid' ) )",
    "( 2.5.4.31 NAME 'member' )",
    "( 2.5.4.11 NAME ( 'ou' 'organizationalUnitName' ) )",
    "( 0.9.2342.19200300.100.1.44 NAME 'uniqueIdentifier' )",
    "( 0.9.2342.19200300.100.1.43 NAME ( 'co' 'friendlyCountryName' ) )",
    "( 2.16.840.1.113730.3.1.241 NAME 'displayName' SINGLE-VALUE )",
];
const OBJECT_CLASSES: [&str; 7] = [
    "( 2.5.6.0 NAME 'top' ABSTRACT MUST objectClass )",
    "( 2.5.6.6 NAME 'person' SUP top STRUCTURAL MUST ( sn $ cn ) MAY ( userPassword $ telephoneNumber $ seeAlso $ description ) )",
    "( 2.5.6.7 NAME 'organizationalPerson' SUP person STRUCTURAL MAY ( title $ ou $ l $ st $ street $ postalCode $ physicalDeliveryOfficeName $ facsimileTelephoneNumber ) )",
    "( 2.16.840.1.113730.3.2.2 NAME 'inetOrgPerson' SUP organizationalPerson STRUCTURAL MAY ( uid $ mail $ givenName $ displayName $ mobile $ employeeNumber $ departmentNumber $ o $ manager $ preferredLanguage ) )",
    "( 2.5.6.9 NAME 'groupOfNames' SUP top STRUCTURAL MUST ( member $ cn ) MAY ( owner $ description $ o $ ou $ businessCategory $ seeAlso ) )",
    "( 2.5.6.5 NAME 'organizationalUnit' SUP top STRUCTURAL MUST ou MAY description )",
    "( 1.3.6.1.4.1.1466.101.120.111 NAME 'extensibleObject' SUP top AUXILIARY )",
];

/// The kinds of operation the fake counts and can be made to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Search,
    SearchAll,
    Count,
    PagedSearch,
    Add,
    /// `modify` and `modify_if` alike: one modify request each.
    Modify,
    Rename,
    Delete,
    SetPassword,
}

impl Operation {
    /// The operation's name in the errors it answers, as the LDAP client names it.
    fn name(self) -> &'static str {
        match self {
            Operation::Search | Operation::SearchAll | Operation::Count => "search",
            Operation::PagedSearch => "paged search",
            Operation::Add => "add",
            Operation::Modify => "modify",
            Operation::Rename => "modrdn",
            Operation::Delete => "delete",
            Operation::SetPassword => "password modify",
        }
    }
}

/// A stored entry, with its place in the order searches answer in (the order of addition, kept
/// across renames, as slapd's entry ids are).
struct Stored {
    order: u64,
    entry: Entry,
}

#[derive(Default)]
struct State {
    /// By normalized DN.
    entries: HashMap<String, Stored>,
    next_order: u64,
    /// Changes so far: the change counter of `entryCSN`, so that every write gives a new version.
    changes: u64,
    failures: Vec<(Operation, u32)>,
    operations: Vec<Operation>,
    /// The server's own limit on a search's entries (not on a paged search's), like slapd's
    /// `sizelimit`; `None` for the root DN's unlimited searches.
    size_limit: Option<usize>,
    /// The member refint leaves in a group whose last member was deleted (`olcRefintNothing`).
    refint_nothing: Option<String>,
    /// Passwords set by `set_password`, by normalized DN: never stored in the entry.
    passwords: HashMap<String, String>,
}

/// The fake directory. Clones share the same entries, so a test keeps one to look into what the
/// service it handed another did.
#[derive(Clone)]
pub struct FakeDirectory {
    state: Arc<Mutex<State>>,
    schema: Arc<Subschema>,
}

impl Default for FakeDirectory {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeDirectory {
    /// An empty directory judging writes by the schema subset above.
    pub fn new() -> Self {
        FakeDirectory {
            state: Arc::default(),
            schema: Arc::new(Subschema::from_descriptions(&ATTRIBUTE_TYPES, &OBJECT_CLASSES)),
        }
    }

    /// Searches (not paged ones) answer sizeLimitExceeded beyond `limit` entries.
    pub fn with_size_limit(self, limit: usize) -> Self {
        self.state().size_limit = Some(limit);
        self
    }

    /// Refint puts `member` in a group whose last member is deleted, as the sandbox's
    /// `olcRefintNothing` does.
    pub fn with_refint_nothing(self, member: &str) -> Self {
        self.state().refint_nothing = Some(member.to_string());
        self
    }

    /// The schema it judges writes by, as the service reads a directory's at startup.
    pub fn schema(&self) -> Arc<Subschema> {
        self.schema.clone()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds the entries of `ldif` as `slapadd` would: without schema or parent checks, with the
    /// operational attributes a write generates (where the LDIF does not set them).
    pub fn seed(&self, ldif: &str) -> std::result::Result<(), String> {
        let entries = parse_ldif(ldif)?;
        let mut state = self.state();
        for mut entry in entries {
            let key = dn::normalize(&entry.dn);
            if state.entries.contains_key(&key) {
                return Err(format!("{} is in the LDIF twice", entry.dn));
            }
            stamp_new(&mut state, &mut entry);
            insert(&mut state, key, entry);
        }
        refresh_member_of(&mut state.entries);
        Ok(())
    }

    /// Makes the next operation of kind `operation` fail with result `code`, without effect.
    pub fn fail_next(&self, operation: Operation, code: u32) {
        self.state().failures.push((operation, code));
    }

    /// The operations made so far, in order.
    pub fn operations(&self) -> Vec<Operation> {
        self.state().operations.clone()
    }

    /// How many operations of kind `operation` were made.
    pub fn count_of(&self, operation: Operation) -> usize {
        self.state().operations.iter().filter(|o| **o == operation).count()
    }

    /// Forgets the operations counted so far (after a test's setup).
    pub fn reset_operations(&self) {
        self.state().operations.clear();
    }

    /// The entry at `entry_dn` with every attribute, operational ones included.
    pub fn entry(&self, entry_dn: &str) -> Option<Entry> {
        self.state().entries.get(&dn::normalize(entry_dn)).map(|s| s.entry.clone())
    }

    /// The values of `attr` at `entry_dn` (none when either is absent).
    pub fn values(&self, entry_dn: &str, attr: &str) -> Vec<String> {
        self.entry(entry_dn).map(|e| e.get(attr).to_vec()).unwrap_or_default()
    }

    /// The last password set for `entry_dn`.
    pub fn password(&self, entry_dn: &str) -> Option<String> {
        self.state().passwords.get(&dn::normalize(entry_dn)).cloned()
    }

    /// Counts the operation, and answers the failure injected for it, if any.
    fn begin(&self, operation: Operation) -> std::result::Result<MutexGuard<'_, State>, LdapError> {
        let mut state = self.state();
        state.operations.push(operation);
        if let Some(i) = state.failures.iter().position(|(o, _)| *o == operation) {
            let (_, code) = state.failures.remove(i);
            return Err(refused(operation, code, "injected by the test"));
        }
        Ok(state)
    }

    /// Whether `entry` matches `filter` as slapd decides it: `objectClass=person` holds for an entry
    /// of a class derived from `person` too, whether or not the entry lists `person`.
    fn matches(&self, filter: &LdapFilter, entry: &Entry) -> bool {
        let classes = entry.get("objectClass");
        let inherited: Vec<String> = self
            .schema
            .class_names()
            .filter(|ancestor| !classes.iter().any(|c| c.eq_ignore_ascii_case(ancestor)))
            .filter(|ancestor| classes.iter().any(|c| self.schema.derives_from(c, ancestor)))
            .map(str::to_string)
            .collect();
        if inherited.is_empty() {
            return overlay::matches(filter, entry);
        }
        let mut view = entry.clone();
        view.set("objectClass", inherited);
        overlay::matches(filter, &view)
    }

    /// The entries `request` finds, in the directory's order, shown with the attributes it asks for.
    fn find(&self, state: &State, operation: Operation, request: &SearchRequest) -> Result<Vec<Entry>> {
        if request.base.is_empty() && request.scope == Scope::Base {
            return Ok(vec![shown(&root_dse(), &request.attrs)]);
        }
        if !state.entries.contains_key(&dn::normalize(&request.base)) {
            return Err(refused(operation, rc::NO_SUCH_OBJECT, "no such object"));
        }
        let mut found: Vec<&Stored> = state
            .entries
            .values()
            .filter(|s| overlay::in_scope(&s.entry.dn, &request.base, request.scope))
            .filter(|s| self.matches(&request.filter, &s.entry))
            .collect();
        found.sort_by_key(|s| s.order);
        Ok(found.into_iter().map(|s| shown(&s.entry, &request.attrs)).collect())
    }

    fn modify_entry(&self, entry_dn: &str, mods: &[Modification], assertion: Option<&LdapFilter>, read_back: &[String]) -> Result<Entry> {
        let mut state = self.begin(Operation::Modify)?;
        let key = dn::normalize(entry_dn);
        let mut entry = state
            .entries
            .get(&key)
            .map(|s| s.entry.clone())
            .ok_or_else(|| refused(Operation::Modify, rc::NO_SUCH_OBJECT, "no such object"))?;
        if assertion.is_some_and(|a| !self.matches(a, &entry)) {
            return Err(refused(Operation::Modify, rc::ASSERTION_FAILED, "assertion failed"));
        }
        overlay::apply(&mut entry, mods).map_err(|code| refused(Operation::Modify, code, "modify refused"))?;
        let (rdn, _) = dn::split_first(&entry.dn);
        if let Some((attr, value)) = dn::rdn_value(rdn) {
            if !entry.get(attr).iter().any(|v| v.eq_ignore_ascii_case(&value)) {
                return Err(refused(
                    Operation::Modify,
                    rc::NOT_ALLOWED_ON_RDN,
                    "value of naming attribute is not present",
                ));
            }
        }
        self.check_schema(Operation::Modify, &entry)?;
        stamp_modified(&mut state, &mut entry);
        if let Some(stored) = state.entries.get_mut(&key) {
            stored.entry = entry;
        }
        refresh_member_of(&mut state.entries);
        Ok(state.entries.get(&key).map(|s| shown(&s.entry, read_back)).unwrap_or_default())
    }

    /// 65 when the entry lacks an attribute its classes require, or holds one they do not allow; 19
    /// for several values of a single-valued attribute.
    fn check_schema(&self, operation: Operation, entry: &Entry) -> Result<()> {
        let classes = entry.get("objectClass");
        if let Some(crowded) = entry
            .names()
            .find(|n| entry.get(n).len() > 1 && self.schema.attribute(n).is_some_and(|a| a.single_value))
        {
            return Err(refused(
                operation,
                rc::CONSTRAINT_VIOLATION,
                &format!("attribute '{crowded}' cannot have multiple values"),
            ));
        }
        if let Some(missing) = classes
            .iter()
            .flat_map(|class| self.schema.required(class))
            .find(|must| entry.get(must).is_empty())
        {
            return Err(refused(
                operation,
                rc::OBJECT_CLASS_VIOLATION,
                &format!("object class violation: {missing} required"),
            ));
        }
        if let Some(stray) = entry
            .names()
            .filter(|n| !is_operational(n))
            .find(|n| !self.schema.allows(classes, n))
        {
            return Err(refused(
                operation,
                rc::OBJECT_CLASS_VIOLATION,
                &format!("attribute '{stray}' not allowed"),
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl Directory for FakeDirectory {
    async fn search(&self, request: &SearchRequest) -> Result<Vec<Entry>> {
        let state = self.begin(Operation::Search)?;
        let found = self.find(&state, Operation::Search, request)?;
        let asked = usize::try_from(request.size_limit).ok().filter(|l| *l > 0);
        let limit = match (asked, state.size_limit) {
            (Some(a), Some(s)) => Some(a.min(s)),
            (a, s) => a.or(s),
        };
        // The client reports the result code, not the entries sent before it.
        if limit.is_some_and(|l| found.len() > l) {
            return Err(refused(Operation::Search, rc::SIZE_LIMIT_EXCEEDED, "size limit exceeded"));
        }
        Ok(found)
    }

    async fn search_all(&self, request: &SearchRequest, _page_size: i32) -> Result<Vec<Entry>> {
        let state = self.begin(Operation::SearchAll)?;
        self.find(&state, Operation::SearchAll, request)
    }

    async fn count(&self, request: &SearchRequest, _page_size: i32, _order_by: &str) -> Result<usize> {
        let state = self.begin(Operation::Count)?;
        Ok(self.find(&state, Operation::Count, &request.clone().names_only())?.len())
    }

    async fn paged_search(&self, request: &SearchRequest) -> Result<PagedSearch> {
        let state = self.begin(Operation::PagedSearch)?;
        let found = self.find(&state, Operation::PagedSearch, request)?;
        Ok(PagedSearch::from_entries(found, request.clone()))
    }

    fn offers_vlv(&self) -> bool {
        false
    }

    async fn window(&self, _request: &SearchRequest, _sorted_by: &str, _offset: usize, _count: usize) -> Result<Option<Window>> {
        Ok(None)
    }

    async fn add(&self, entry_dn: &str, attrs: &[(String, Vec<String>)], read_back: &[String]) -> Result<Entry> {
        let mut state = self.begin(Operation::Add)?;
        let key = dn::normalize(entry_dn);
        if state.entries.contains_key(&key) {
            return Err(refused(Operation::Add, rc::ENTRY_ALREADY_EXISTS, "already exists"));
        }
        let (rdn, parent) = dn::split_first(entry_dn);
        if !parent.is_empty() && !state.entries.contains_key(&dn::normalize(parent)) {
            return Err(refused(Operation::Add, rc::NO_SUCH_OBJECT, "parent does not exist"));
        }
        let mut entry = Entry::new(entry_dn);
        for (name, values) in attrs.iter().filter(|(_, values)| !values.is_empty()) {
            let mut seen: Vec<&String> = Vec::new();
            for value in values {
                if seen.iter().any(|v| v.eq_ignore_ascii_case(value)) {
                    return Err(refused(Operation::Add, rc::ATTRIBUTE_OR_VALUE_EXISTS, "duplicate value"));
                }
                seen.push(value);
            }
            entry.set(name, values.clone());
        }
        match dn::rdn_value(rdn) {
            Some((attr, value)) if entry.get(attr).iter().any(|v| v.eq_ignore_ascii_case(&value)) => {}
            _ => return Err(refused(Operation::Add, rc::NAMING_VIOLATION, "naming attribute is not present")),
        }
        self.check_schema(Operation::Add, &entry)?;
        stamp_new(&mut state, &mut entry);
        let answer = shown(&entry, read_back);
        insert(&mut state, key, entry);
        refresh_member_of(&mut state.entries);
        Ok(answer)
    }

    async fn modify(&self, entry_dn: &str, mods: &[Modification], assertion: Option<&LdapFilter>, read_back: &[String]) -> Result<Entry> {
        // As the LDAP client does: no changes, no modify request (and no new version), just a read.
        if mods.is_empty() {
            let state = self.begin(Operation::Search)?;
            let request = SearchRequest::entry(entry_dn, LdapFilter::any(), read_back.to_vec());
            return self
                .find(&state, Operation::Search, &request)?
                .pop()
                .ok_or_else(|| refused(Operation::Search, rc::NO_SUCH_OBJECT, "no such object"));
        }
        self.modify_entry(entry_dn, mods, assertion, read_back)
    }

    async fn modify_if(&self, entry_dn: &str, mods: &[Modification], assertion: Option<&LdapFilter>) -> Result<()> {
        self.modify_entry(entry_dn, mods, assertion, &[]).map(|_| ())
    }

    async fn rename(&self, entry_dn: &str, new_rdn: &str, new_parent: Option<&str>) -> Result<()> {
        let mut state = self.begin(Operation::Rename)?;
        let key = dn::normalize(entry_dn);
        let stored = state
            .entries
            .get(&key)
            .ok_or_else(|| refused(Operation::Rename, rc::NO_SUCH_OBJECT, "no such object"))?;
        let moved = overlay::renamed(&stored.entry, new_rdn, new_parent)
            .ok_or_else(|| refused(Operation::Rename, rc::INVALID_DN_SYNTAX, "invalid new RDN"))?;
        let new_key = dn::normalize(&moved.dn);
        if new_key != key && state.entries.contains_key(&new_key) {
            return Err(refused(Operation::Rename, rc::ENTRY_ALREADY_EXISTS, "already exists"));
        }
        let (_, parent) = dn::split_first(&moved.dn);
        if !state.entries.contains_key(&dn::normalize(parent)) {
            return Err(refused(Operation::Rename, rc::NO_SUCH_OBJECT, "new superior does not exist"));
        }
        if has_children(&state, &key) {
            return Err(refused(
                Operation::Rename,
                rc::NOT_ALLOWED_ON_NON_LEAF,
                "subtree rename not supported",
            ));
        }
        let mut moved = moved;
        stamp_modified(&mut state, &mut moved);
        let new_dn = moved.dn.clone();
        if let Some(stored) = state.entries.remove(&key) {
            state.entries.insert(
                new_key,
                Stored {
                    order: stored.order,
                    entry: moved,
                },
            );
        }
        follow_reference(&mut state, entry_dn, Some(&new_dn));
        Ok(())
    }

    async fn delete(&self, entry_dn: &str) -> Result<()> {
        let mut state = self.begin(Operation::Delete)?;
        let key = dn::normalize(entry_dn);
        if !state.entries.contains_key(&key) {
            return Err(refused(Operation::Delete, rc::NO_SUCH_OBJECT, "no such object"));
        }
        if has_children(&state, &key) {
            return Err(refused(
                Operation::Delete,
                rc::NOT_ALLOWED_ON_NON_LEAF,
                "subordinate objects must be deleted first",
            ));
        }
        state.entries.remove(&key);
        state.passwords.remove(&key);
        follow_reference(&mut state, entry_dn, None);
        Ok(())
    }

    async fn set_password(&self, entry_dn: &str, password: &str, _how: PasswordWrite) -> Result<()> {
        let mut state = self.begin(Operation::SetPassword)?;
        let key = dn::normalize(entry_dn);
        let Some(mut entry) = state.entries.get(&key).map(|s| s.entry.clone()) else {
            return Err(refused(Operation::SetPassword, rc::NO_SUCH_OBJECT, "no such object"));
        };
        stamp_modified(&mut state, &mut entry);
        if let Some(stored) = state.entries.get_mut(&key) {
            stored.entry = entry;
        }
        state.passwords.insert(key, password.to_string());
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }
}

fn refused(operation: Operation, code: u32, text: &str) -> LdapError {
    LdapError::Result {
        op: operation.name(),
        rc: code,
        text: text.to_string(),
    }
}

fn is_operational(name: &str) -> bool {
    OPERATIONAL.iter().any(|o| o.eq_ignore_ascii_case(name))
}

/// The entry with the attributes a read asks for (RFC 4511 §4.5.1.8): none for `1.1`, user
/// attributes for none or `*`, operational ones when named or with `+`.
fn shown(entry: &Entry, attrs: &[String]) -> Entry {
    let named = |name: &str| attrs.iter().any(|a| a.eq_ignore_ascii_case(name));
    let all_user = attrs.is_empty() || named("*");
    let all_operational = named("+");
    let mut out = Entry::new(entry.dn.clone());
    if attrs.len() == 1 && attrs[0] == NO_ATTRIBUTES {
        return out;
    }
    for name in entry.names() {
        let wanted = named(name) || if is_operational(name) { all_operational } else { all_user };
        if wanted {
            out.set(name, entry.get(name).to_vec());
        }
    }
    out
}

fn root_dse() -> Entry {
    let mut root = Entry::new("");
    root.set("objectClass", vec!["top".into()]);
    root.set("subschemaSubentry", vec!["cn=Subschema".into()]);
    root
}

fn insert(state: &mut State, key: String, entry: Entry) {
    let order = state.next_order;
    state.next_order += 1;
    state.entries.insert(key, Stored { order, entry });
}

fn has_children(state: &State, key: &str) -> bool {
    state.entries.keys().any(|k| k.ends_with(&format!(",{key}")))
}

fn replace(entry: &mut Entry, name: &str, values: Vec<String>) {
    entry.set(name, Vec::new());
    entry.set(name, values);
}

/// Now, as the directory writes times: `20261207093000Z`, and the microseconds.
fn now() -> (String, u32) {
    let now = time::OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    (stamp, now.microsecond())
}

/// The operational attributes of a new entry, those the entry does not hold already.
fn stamp_new(state: &mut State, entry: &mut Entry) {
    let (stamp, _) = now();
    if entry.get("entryUUID").is_empty() {
        entry.set("entryUUID", vec![uuid::Uuid::new_v4().to_string()]);
    }
    if entry.get("createTimestamp").is_empty() {
        entry.set("createTimestamp", vec![format!("{stamp}Z")]);
    }
    let own_dn = entry.dn.clone();
    replace(entry, "entryDN", vec![own_dn]);
    stamp_modified(state, entry);
}

/// A new `modifyTimestamp` and `entryCSN` (OpenLDAP's form, the change count making each distinct).
fn stamp_modified(state: &mut State, entry: &mut Entry) {
    let (stamp, micros) = now();
    state.changes += 1;
    replace(entry, "modifyTimestamp", vec![format!("{stamp}Z")]);
    replace(
        entry,
        "entryCSN",
        vec![format!("{stamp}.{micros:06}Z#{:06x}#000#000000", state.changes)],
    );
}

/// The memberof overlay: each entry's `memberOf` names the groups whose `member` holds it.
fn refresh_member_of(entries: &mut HashMap<String, Stored>) {
    let mut groups_of: HashMap<String, Vec<String>> = HashMap::new();
    for stored in entries.values() {
        for member in stored.entry.get("member") {
            groups_of.entry(dn::normalize(member)).or_default().push(stored.entry.dn.clone());
        }
    }
    for (key, stored) in entries.iter_mut() {
        let groups = groups_of.remove(key).unwrap_or_default();
        if groups.as_slice() != stored.entry.get("memberOf") {
            replace(&mut stored.entry, "memberOf", groups);
        }
    }
}

/// The refint overlay: references to `old_dn` follow it to `new_dn`, or are removed (a group left
/// without members holding `refint_nothing`), each a modify of its own with a new version, as
/// slapd's internal modifies are; then memberof follows.
fn follow_reference(state: &mut State, old_dn: &str, new_dn: Option<&str>) {
    let old_key = dn::normalize(old_dn);
    let nothing = state.refint_nothing.clone();
    let mut changed = Vec::new();
    for (key, stored) in state.entries.iter_mut() {
        for attr in REFINT_ATTRIBUTES {
            let values = stored.entry.get(attr);
            if !values.iter().any(|v| dn::normalize(v) == old_key) {
                continue;
            }
            let mut kept: Vec<String> = values.iter().filter(|v| dn::normalize(v) != old_key).cloned().collect();
            kept.extend(new_dn.map(str::to_string));
            if kept.is_empty() && attr == "member" {
                kept.extend(nothing.clone());
            }
            replace(&mut stored.entry, attr, kept);
            changed.push(key.clone());
        }
    }
    changed.dedup();
    for key in changed {
        if let Some(mut stored) = state.entries.remove(&key) {
            stamp_modified(state, &mut stored.entry);
            state.entries.insert(key, stored);
        }
    }
    refresh_member_of(&mut state.entries);
}

/// Entries of LDIF content records (RFC 2849): `attr: value` lines, folded lines continued by a
/// leading space, `#` comments, records apart by blank lines. Base64 (`::`) values are not read.
pub fn parse_ldif(text: &str) -> std::result::Result<Vec<Entry>, String> {
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        match (line.strip_prefix(' '), lines.last_mut()) {
            (Some(continued), Some(last)) if !last.is_empty() => last.push_str(continued),
            _ => lines.push(line.to_string()),
        }
    }
    let mut entries = Vec::new();
    let mut current: Option<Entry> = None;
    for line in lines.iter().map(|l| l.trim_end()).filter(|l| !l.starts_with('#')) {
        if line.is_empty() {
            entries.extend(current.take());
            continue;
        }
        let (name, value) = line.split_once(':').ok_or_else(|| format!("not an LDIF line: {line}"))?;
        if value.starts_with(':') || value.starts_with('<') {
            return Err(format!("only plain values are read: {line}"));
        }
        let value = value.trim_start().to_string();
        match current.as_mut() {
            None if name.eq_ignore_ascii_case("dn") => current = Some(Entry::new(value)),
            None if name.eq_ignore_ascii_case("version") => {}
            None => return Err(format!("an entry starts with dn: {line}")),
            Some(entry) => entry.set(name, vec![value]),
        }
    }
    entries.extend(current);
    Ok(entries)
}

#[cfg(test)]
mod tests;
