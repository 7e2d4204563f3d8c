//! A shadow over a directory held in memory, which counts the writes that reach it (none may).

use std::sync::atomic::AtomicUsize;

use super::*;
use crate::ldap::request::names_only;

/// Answers searches from its entries; every write reaching it is counted (and refused).
struct Stored {
    entries: Vec<Entry>,
    writes: Arc<AtomicUsize>,
}

impl Stored {
    fn found(&self, request: &SearchRequest) -> Vec<Entry> {
        self.entries
            .iter()
            .filter(|e| overlay::in_scope(&e.dn, &request.base, request.scope) && overlay::matches(&request.filter, e))
            .map(|e| overlay::projected(e, &request.attrs))
            .collect()
    }

    fn wrote(&self) -> Result<()> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        Err(refused("write", rc::UNWILLING_TO_PERFORM))
    }
}

#[async_trait]
impl Directory for Stored {
    async fn search(&self, request: &SearchRequest) -> Result<Vec<Entry>> {
        let found = self.found(request);
        if request.scope == Scope::Base
            && found.is_empty()
            && !self.entries.iter().any(|e| dn::normalize(&e.dn) == dn::normalize(&request.base))
        {
            return Err(refused("search", rc::NO_SUCH_OBJECT));
        }
        Ok(found)
    }
    async fn search_all(&self, request: &SearchRequest, _: i32) -> Result<Vec<Entry>> {
        Ok(self.found(request))
    }
    async fn count(&self, request: &SearchRequest, _: i32, _: &str) -> Result<usize> {
        Ok(self.found(request).len())
    }
    async fn paged_search(&self, _: &SearchRequest) -> Result<PagedSearch> {
        Err(refused("paged search", rc::UNWILLING_TO_PERFORM))
    }
    fn offers_vlv(&self) -> bool {
        false
    }
    async fn window(&self, _: &SearchRequest, _: &str, _: usize, _: usize) -> Result<Option<Window>> {
        Ok(None)
    }
    async fn add(&self, _: &str, _: &[(String, Vec<String>)], _: &[String]) -> Result<Entry> {
        self.wrote().map(|()| Entry::new(""))
    }
    async fn modify(&self, _: &str, _: &[Modification], _: Option<&LdapFilter>, _: &[String]) -> Result<Entry> {
        self.wrote().map(|()| Entry::new(""))
    }
    async fn modify_if(&self, _: &str, _: &[Modification], _: Option<&LdapFilter>) -> Result<()> {
        self.wrote()
    }
    async fn rename(&self, _: &str, _: &str, _: Option<&str>) -> Result<()> {
        self.wrote()
    }
    async fn delete(&self, _: &str) -> Result<()> {
        self.wrote()
    }
    async fn set_password(&self, _: &str, _: &str, _: PasswordWrite) -> Result<()> {
        self.wrote()
    }
    async fn ping(&self) -> Result<()> {
        Ok(())
    }
}

fn entry(entry_dn: &str, attrs: &[(&str, &[&str])]) -> Entry {
    Entry::with(entry_dn, attrs)
}

fn attrs(pairs: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    pairs
        .iter()
        .map(|(name, values)| (name.to_string(), values.iter().map(|v| v.to_string()).collect()))
        .collect()
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

const PEOPLE: &str = "ou=people,dc=x";

/// The directory: the people container, bjensen, and a group she is in.
fn directory(writes: &Arc<AtomicUsize>) -> Stored {
    Stored {
        entries: vec![
            entry(PEOPLE, &[("ou", &["people"])]),
            entry(
                "uid=bjensen,ou=people,dc=x",
                &[
                    ("objectClass", &["inetOrgPerson"]),
                    ("uid", &["bjensen"]),
                    ("entryUUID", &["11111111-1111-4111-8111-111111111111"]),
                ],
            ),
            entry("cn=staff,dc=x", &[("cn", &["staff"]), ("member", &["uid=bjensen,ou=people,dc=x"])]),
        ],
        writes: writes.clone(),
    }
}

async fn open(plan: &std::path::Path, max_entries: usize, writes: &Arc<AtomicUsize>) -> Shadow<Stored> {
    let settings = ShadowSettings {
        plan: plan.to_path_buf(),
        max_entries,
        generated: Generated {
            ids: strings(&["entryUUID"]),
            created: strings(&["createTimestamp"]),
            modified: strings(&["modifyTimestamp"]),
            versions: strings(&["entryCSN"]),
            dns: strings(&["entryDN"]),
        },
        references: strings(&["member"]),
        back_links: vec![BackLink {
            back: "memberOf".into(),
            forward: strings(&["member"]),
        }],
        deactivated: Some(LdapFilter::eq("pwdAccountLockedTime", "000001010000Z")),
        label: String::new(),
    };
    Shadow::open(directory(writes), Arc::default(), settings, Arc::new(Metrics::new()))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn users(filter: LdapFilter) -> SearchRequest {
    SearchRequest::new(PEOPLE, Scope::One, filter, strings(&["uid", "entryUUID", "memberOf"]))
}

fn code(outcome: Result<impl std::fmt::Debug>) -> Option<u32> {
    outcome.err().and_then(|e| e.result_code())
}

#[tokio::test]
async fn writes_are_kept_for_later_reads_recorded_in_the_plan_and_never_performed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let plan = dir.path().join("plan.ldif");
    let writes = Arc::new(AtomicUsize::new(0));
    let shadow = open(&plan, 10, &writes).await;
    let ada = "uid=ada,ou=people,dc=x";
    let added = shadow
        .add(
            ada,
            &attrs(&[("objectClass", &["inetOrgPerson"]), ("uid", &["ada"])]),
            &strings(&["entryUUID"]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let id = added.first("entryUUID").unwrap_or_default().to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "a made-up id is read back: {added:?}");
    let by_id = shadow.search(&users(LdapFilter::eq("entryUUID", &id))).await;
    assert_eq!(by_id.map(|f| f.len()).ok(), Some(1));
    shadow
        .modify_if("cn=staff,dc=x", &[Modification::Add("member".into(), strings(&[ada]))], None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let found = shadow
        .search(&users(LdapFilter::eq("uid", "ada")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found[0].get("memberOf"), ["cn=staff,dc=x"], "memberOf follows the group");
    shadow.delete("uid=bjensen,ou=people,dc=x").await.unwrap_or_else(|e| panic!("{e}"));
    let listed = shadow
        .search_all(&users(LdapFilter::any()), 100)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(listed.iter().map(|e| e.dn.as_str()).collect::<Vec<_>>(), [ada]);
    assert_eq!(shadow.count(&users(LdapFilter::any()), 100, "createTimestamp").await.ok(), Some(1));
    let group = read_entry(&shadow, "cn=staff,dc=x", &strings(&["member"])).await.ok().flatten();
    assert_eq!(
        group.map(|g| g.get("member").to_vec()),
        Some(strings(&[ada])),
        "the deleted member is followed out"
    );
    assert_eq!(
        code(
            shadow
                .search(&SearchRequest::entry("uid=bjensen,ou=people,dc=x", LdapFilter::any(), names_only()))
                .await
        ),
        Some(rc::NO_SUCH_OBJECT)
    );
    assert!(
        shadow.paged_search(&users(LdapFilter::any())).await.is_err(),
        "listings are read by id"
    );

    assert_eq!(writes.load(Ordering::SeqCst), 0, "nothing reached the directory");
    let text = std::fs::read_to_string(&plan).unwrap_or_else(|e| panic!("{e}"));
    let records = ldif::read(&text).unwrap_or_else(|e| panic!("{e}"));
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| match r.change {
            Change::Add { .. } => "add",
            Change::Modify { .. } => "modify",
            Change::Rename { .. } => "rename",
            Change::Delete { .. } => "delete",
        })
        .collect();
    assert_eq!(kinds, ["add", "modify", "delete"]);
    assert_eq!(records[0].comments, ["a write outside a SCIM request"]);
    assert!(
        !text.contains("entryUUID"),
        "made-up attributes are the directory's own, not the plan's: {text}"
    );
}

#[tokio::test]
async fn writes_are_refused_as_the_directory_would_refuse_them() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let writes = Arc::new(AtomicUsize::new(0));
    let shadow = open(&dir.path().join("plan.ldif"), 10, &writes).await;
    let bjensen = "uid=bjensen,ou=people,dc=x";
    assert_eq!(
        code(shadow.add(bjensen, &attrs(&[("uid", &["bjensen"])]), &[]).await),
        Some(rc::ENTRY_ALREADY_EXISTS)
    );
    assert_eq!(
        code(shadow.add("uid=a,ou=nowhere,dc=x", &attrs(&[("uid", &["a"])]), &[]).await),
        Some(rc::NO_SUCH_OBJECT)
    );
    let title = [Modification::Add("title".into(), strings(&["t"]))];
    assert_eq!(
        code(shadow.modify_if("uid=nobody,ou=people,dc=x", &title, None).await),
        Some(rc::NO_SUCH_OBJECT)
    );
    let asserted = LdapFilter::eq("title", "other");
    assert_eq!(
        code(shadow.modify_if(bjensen, &title, Some(&asserted)).await),
        Some(rc::ASSERTION_FAILED)
    );
    let absent = [Modification::Delete("mail".into(), strings(&["x@y"]))];
    assert_eq!(code(shadow.modify_if(bjensen, &absent, None).await), Some(rc::NO_SUCH_ATTRIBUTE));
    assert_eq!(
        code(shadow.rename(bjensen, "uid=babs", Some("ou=nowhere,dc=x")).await),
        Some(rc::NO_SUCH_OBJECT)
    );
    shadow.rename(bjensen, "uid=babs", None).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        code(shadow.modify_if(bjensen, &title, None).await),
        Some(rc::NO_SUCH_OBJECT),
        "renamed away"
    );
    let text = std::fs::read_to_string(dir.path().join("plan.ldif")).unwrap_or_default();
    assert_eq!(
        ldif::read(&text).map(|r| r.len()),
        Ok(1),
        "refused writes are not in the plan: {text}"
    );
}

#[tokio::test]
async fn once_full_every_write_is_refused_as_unavailable() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let writes = Arc::new(AtomicUsize::new(0));
    let shadow = open(&dir.path().join("plan.ldif"), 1, &writes).await;
    let user = |name: &str| attrs(&[("uid", &[name])]);
    assert!(shadow.add("uid=a,ou=people,dc=x", &user("a"), &[]).await.is_ok());
    let refused = shadow.add("uid=b,ou=people,dc=x", &user("b"), &[]).await.err();
    assert!(refused.is_some_and(|e| e.is_unavailable()), "503 once shadow.max_entries are held");
}

#[tokio::test]
async fn passwords_never_reach_the_plan() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let plan = dir.path().join("plan.ldif");
    let writes = Arc::new(AtomicUsize::new(0));
    let shadow = open(&plan, 10, &writes).await;
    let ada = "uid=ada,ou=people,dc=x";
    let with_password = attrs(&[("uid", &["ada"]), ("userPassword", &["s3cret-1"])]);
    let added = shadow
        .add(ada, &with_password, &strings(&["*"]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(added.get("userPassword").is_empty(), "nor kept in memory");
    let replace = [
        Modification::Replace("unicodePwd".into(), strings(&["s3cret-2"])),
        Modification::Replace("title".into(), strings(&["t"])),
    ];
    shadow.modify_if(ada, &replace, None).await.unwrap_or_else(|e| panic!("{e}"));
    shadow.modify_if(ada, &replace[..1], None).await.unwrap_or_else(|e| panic!("{e}"));
    shadow
        .set_password(ada, "s3cret-3", PasswordWrite::Exop)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let text = std::fs::read_to_string(&plan).unwrap_or_default();
    assert!(
        !text.contains("s3cret") && !text.contains("userPassword") && !text.contains("unicodePwd"),
        "{text}"
    );
    assert_eq!(text.matches(PASSWORD_NOTE).count(), 4, "{text}");
    assert_eq!(
        ldif::read(&text).map(|r| r.len()),
        Ok(2),
        "a modify of only a password is a comment: {text}"
    );
    let summary = super::super::plan::Summary::of_text(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summary.passwords, 4);
}

#[tokio::test]
async fn a_reopened_shadow_replays_its_plan_with_the_same_ids() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let plan = dir.path().join("plan.ldif");
    let writes = Arc::new(AtomicUsize::new(0));
    let first = open(&plan, 10, &writes).await;
    let added = first
        .add("uid=ada,ou=people,dc=x", &attrs(&[("uid", &["ada"])]), &strings(&["entryUUID"]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    first
        .rename("uid=ada,ou=people,dc=x", "uid=ada.l", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let locked = [Modification::Replace("pwdAccountLockedTime".into(), strings(&["000001010000Z"]))];
    first
        .modify_if("uid=ada.l,ou=people,dc=x", &locked, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    drop(first);
    let text = std::fs::read_to_string(&plan).unwrap_or_default();
    assert!(text.contains(&format!("# {DEACTIVATION_NOTE}\ndn: uid=ada.l,")), "{text}");

    let again = open(&plan, 10, &writes).await;
    let found = again
        .search(&users(LdapFilter::eq("uid", "ada.l")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].first("entryUUID"), added.first("entryUUID"));
    assert!(again.search(&users(LdapFilter::eq("uid", "ada"))).await.is_ok_and(|f| f.is_empty()));
    assert_eq!(std::fs::read_to_string(&plan).unwrap_or_default(), text, "a replay appends nothing");
}

#[tokio::test]
async fn a_search_the_shadow_s_entries_push_past_its_size_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let writes = Arc::new(AtomicUsize::new(0));
    let shadow = open(&dir.path().join("plan.ldif"), 10, &writes).await;
    shadow
        .add("uid=ada,ou=people,dc=x", &attrs(&[("uid", &["ada"])]), &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let any = users(LdapFilter::Present("uid".into()));
    assert_eq!(shadow.search(&any.clone().limited(2)).await.map(|f| f.len()).ok(), Some(2));
    assert_eq!(code(shadow.search(&any.limited(1)).await), Some(rc::SIZE_LIMIT_EXCEEDED));
}

#[tokio::test]
async fn every_write_changes_the_version_and_the_modification_time_is_set() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let writes = Arc::new(AtomicUsize::new(0));
    let shadow = open(&dir.path().join("plan.ldif"), 10, &writes).await;
    let bjensen = "uid=bjensen,ou=people,dc=x";
    let read_back = strings(&["entryCSN", "modifyTimestamp"]);
    let title = |t: &str| [Modification::Replace("title".into(), strings(&[t]))];
    let first = shadow
        .modify(bjensen, &title("a"), None, &read_back)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let second = shadow
        .modify(bjensen, &title("b"), None, &read_back)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        first.first("entryCSN").is_some() && first.first("modifyTimestamp").is_some(),
        "{first:?}"
    );
    assert_ne!(first.first("entryCSN"), second.first("entryCSN"));
}

#[tokio::test]
async fn a_replayed_write_that_no_longer_applies_is_left_out_and_later_ids_stay_the_same() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let plan = dir.path().join("plan.ldif");
    let text = "dn: uid=bjensen,ou=people,dc=x\nchangetype: add\nuid: bjensen\n\ndn: uid=ada,ou=people,dc=x\nchangetype: add\nuid: ada\n\n";
    std::fs::write(&plan, text).unwrap_or_else(|e| panic!("{e}"));
    let writes = Arc::new(AtomicUsize::new(0));
    let shadow = open(&plan, 10, &writes).await;
    let found = shadow
        .search(&users(LdapFilter::eq("uid", "ada")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let expected = made_up_id("uid=ada,ou=people,dc=x", 1);
    assert_eq!(found.first().and_then(|e| e.first("entryUUID")), Some(expected.as_str()));
    let bjensen = shadow
        .search(&users(LdapFilter::eq("uid", "bjensen")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bjensen.len(), 1, "the directory's entry, untouched");
    assert_eq!(bjensen[0].first("entryUUID"), Some("11111111-1111-4111-8111-111111111111"));
}
