//! The fake directory's own behaviour, as RFC 4511 has a server answer.

use super::*;

const BASE: &str = "dn: dc=x\nobjectClass: top\ndc: x\n\ndn: ou=people,dc=x\nobjectClass: organizationalUnit\nou: people\n\n\
                    dn: ou=groups,dc=x\nobjectClass: organizationalUnit\nou: groups\n";

fn seeded(ldif: &str) -> FakeDirectory {
    let directory = FakeDirectory::new();
    directory.seed(BASE).unwrap_or_else(|e| panic!("{e}"));
    directory.seed(ldif).unwrap_or_else(|e| panic!("{e}"));
    directory.reset_operations();
    directory
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn person(uid: &str) -> Vec<(String, Vec<String>)> {
    vec![
        (
            "objectClass".into(),
            strings(&["top", "person", "organizationalPerson", "inetOrgPerson"]),
        ),
        ("uid".into(), strings(&[uid])),
        ("cn".into(), strings(&[uid])),
        ("sn".into(), strings(&[uid])),
    ]
}

fn code<T: std::fmt::Debug>(outcome: Result<T>) -> Option<u32> {
    outcome.err().and_then(|e| e.result_code())
}

const ADA: &str = "dn: uid=ada,ou=people,dc=x\nobjectClass: inetOrgPerson\nuid: ada\ncn: Ada\nsn: Lovelace\n\
                   mail: ada@x\nmail: countess@x\n";

#[test]
fn ldif_records_with_folded_lines_and_several_values() {
    let entries = parse_ldif("# users\nversion: 1\n\ndn: uid=a,dc=x\ncn: A\n  B\nmail: a@x\nmail: b@x\n\ndn: uid=b,dc=x\ncn: B\n")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].get("cn"), strings(&["A B"]));
    assert_eq!(entries[0].get("mail"), strings(&["a@x", "b@x"]));
    assert!(parse_ldif("cn: no dn\n").is_err());
    assert!(parse_ldif("dn: uid=a,dc=x\njpegPhoto:: AAAA\n").is_err());
}

#[tokio::test]
async fn adds_answer_the_result_codes_of_a_server() {
    let directory = seeded(ADA);
    let add = |dn: &'static str, attrs: Vec<(String, Vec<String>)>| {
        let directory = directory.clone();
        async move { directory.add(dn, &attrs, &[]).await }
    };
    assert_eq!(
        code(add("uid=ADA, ou=people,dc=x", person("ada")).await),
        Some(rc::ENTRY_ALREADY_EXISTS)
    );
    assert_eq!(code(add("uid=bo,ou=nowhere,dc=x", person("bo")).await), Some(rc::NO_SUCH_OBJECT));
    assert_eq!(
        code(add("uid=bo,ou=people,dc=x", person("other")).await),
        Some(rc::NAMING_VIOLATION)
    );
    let mut no_sn = person("bo");
    no_sn.retain(|(n, _)| n != "sn");
    assert_eq!(code(add("uid=bo,ou=people,dc=x", no_sn).await), Some(rc::OBJECT_CLASS_VIOLATION));
    let mut extra = person("bo");
    extra.push(("uniqueIdentifier".into(), strings(&["u1"])));
    assert_eq!(
        code(add("uid=bo,ou=people,dc=x", extra.clone()).await),
        Some(rc::OBJECT_CLASS_VIOLATION),
        "uniqueIdentifier needs extensibleObject"
    );
    extra[0].1.push("extensibleObject".into());
    let read_back = strings(&["uid", "entryUUID", "createTimestamp", "entryCSN"]);
    let added = directory
        .add("uid=bo,ou=people,dc=x", &extra, &read_back)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(added.get("uid"), strings(&["bo"]));
    assert!(added.get("cn").is_empty(), "only what the Post-Read asked for");
    assert!(uuid::Uuid::parse_str(added.first("entryUUID").unwrap_or_default()).is_ok());
    assert!(added.first("createTimestamp").is_some_and(|t| t.len() == 15 && t.ends_with('Z')));
    assert!(added.first("entryCSN").is_some_and(|c| c.contains("Z#")));
    assert_eq!(directory.count_of(Operation::Add), 6);
}

#[tokio::test]
async fn modifies_check_assertions_values_and_the_rdn() {
    let directory = seeded(ADA);
    let dn = "uid=ada,ou=people,dc=x";
    let before = directory.values(dn, "entryCSN");
    let add_mail = [Modification::Add("mail".into(), strings(&["ADA@x"]))];
    assert_eq!(
        code(directory.modify_if(dn, &add_mail, None).await),
        Some(rc::ATTRIBUTE_OR_VALUE_EXISTS)
    );
    let delete_title = [Modification::Delete("title".into(), strings(&["T"]))];
    assert_eq!(
        code(directory.modify_if(dn, &delete_title, None).await),
        Some(rc::NO_SUCH_ATTRIBUTE)
    );
    let set_title = [Modification::Replace("title".into(), strings(&["T"]))];
    let other_version = LdapFilter::eq("entryCSN", "20000101000000.000000Z#000000#000#000000");
    assert_eq!(
        code(directory.modify(dn, &set_title, Some(&other_version), &[]).await),
        Some(rc::ASSERTION_FAILED)
    );
    assert_eq!(
        code(directory.modify_if("uid=gone,ou=people,dc=x", &set_title, None).await),
        Some(rc::NO_SUCH_OBJECT)
    );
    let two_names = [Modification::Add("displayName".into(), strings(&["Ada", "Countess"]))];
    assert_eq!(
        code(directory.modify_if(dn, &two_names, None).await),
        Some(rc::CONSTRAINT_VIOLATION),
        "displayName is single-valued"
    );
    let rename_by_replace = [Modification::Replace("uid".into(), strings(&["other"]))];
    assert_eq!(
        code(directory.modify_if(dn, &rename_by_replace, None).await),
        Some(rc::NOT_ALLOWED_ON_RDN)
    );
    assert_eq!(directory.values(dn, "entryCSN"), before, "refused modifies change nothing");
    let version = LdapFilter::eq("entryCSN", &before[0]);
    let after = directory
        .modify(dn, &set_title, Some(&version), &strings(&["title", "entryCSN"]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(after.get("title"), strings(&["T"]));
    assert_ne!(after.get("entryCSN"), before.as_slice(), "a write is a new version");
    assert_eq!(directory.count_of(Operation::Modify), 7);
    let csn = after.get("entryCSN").to_vec();
    let unchanged = directory
        .modify(dn, &[], None, &strings(&["entryCSN"]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(unchanged.get("entryCSN"), csn.as_slice(), "no changes, no new version");
    assert_eq!(
        directory.count_of(Operation::Modify),
        7,
        "and no modify request, as the client sends none"
    );
}

#[tokio::test]
async fn searches_scope_filter_project_and_limit() {
    let directory = seeded(&format!(
        "{ADA}\ndn: uid=bob,ou=people,dc=x\nobjectClass: inetOrgPerson\nuid: bob\ncn: Bob\nsn: B\n"
    ));
    let people = |filter: LdapFilter, attrs: &[&str]| SearchRequest::new("ou=people,dc=x", Scope::One, filter, strings(attrs));
    let found = directory
        .search(&people(LdapFilter::eq("UID", "ADA"), &[]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].get("mail").len(), 2);
    assert!(found[0].get("entryUUID").is_empty(), "operational attributes only when asked");
    let names = directory
        .search(&people(LdapFilter::Present("uid".into()), &[NO_ATTRIBUTES]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let dns: Vec<&str> = names.iter().map(|e| e.dn.as_str()).collect();
    assert_eq!(dns, ["uid=ada,ou=people,dc=x", "uid=bob,ou=people,dc=x"], "in the order added");
    assert!(names.iter().all(|e| e.names().next().is_none()));
    let everything = directory
        .search(&people(LdapFilter::eq("uid", "bob"), &["*", "+"]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!everything[0].get("entryUUID").is_empty() && !everything[0].get("cn").is_empty());
    let base = SearchRequest::new("dc=x", Scope::Sub, LdapFilter::Present("uid".into()), Vec::new());
    assert_eq!(
        code(directory.search(&base.clone().limited(1)).await),
        Some(rc::SIZE_LIMIT_EXCEEDED)
    );
    assert_eq!(
        directory.search_all(&base.clone().limited(1), 1).await.map(|e| e.len()).ok(),
        Some(2)
    );
    assert_eq!(directory.count(&base, 1, "createTimestamp").await.ok(), Some(2));
    let by_superclass = directory
        .search(&people(LdapFilter::eq("objectClass", "person"), &["objectClass"]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(by_superclass.len(), 2, "inetOrgPerson entries are persons");
    assert_eq!(by_superclass[0].get("objectClass"), strings(&["inetOrgPerson"]), "as stored");
    let missing = SearchRequest::new("ou=nowhere,dc=x", Scope::One, LdapFilter::any(), Vec::new());
    assert_eq!(code(directory.search(&missing).await), Some(rc::NO_SUCH_OBJECT));
    let limited = directory.with_size_limit(1);
    assert_eq!(
        code(limited.search(&base).await),
        Some(rc::SIZE_LIMIT_EXCEEDED),
        "the server's own limit"
    );
    assert_eq!(
        limited.search_all(&base, 1).await.map(|e| e.len()).ok(),
        Some(2),
        "paged searches pass it"
    );
}

#[tokio::test]
async fn paged_searches_serve_pages_until_the_last() {
    let directory = seeded(
        &(0..5)
            .map(|i| format!("dn: uid=u{i},ou=people,dc=x\nobjectClass: inetOrgPerson\nuid: u{i}\ncn: u\nsn: u\n\n"))
            .collect::<String>(),
    );
    let request = SearchRequest::new("ou=people,dc=x", Scope::One, LdapFilter::any(), strings(&["uid"]));
    let mut search = directory.paged_search(&request).await.unwrap_or_else(|e| panic!("{e}"));
    let mut sizes = Vec::new();
    while !search.is_finished() {
        sizes.push(search.next_page(2).await.unwrap_or_else(|e| panic!("{e}")).len());
    }
    assert_eq!(sizes, [2, 2, 1]);
    assert!(search.next_page(2).await.is_ok_and(|p| p.is_empty()));
}

#[tokio::test]
async fn renames_deletes_and_the_overlays() {
    let directory = seeded(&format!(
        "{ADA}\ndn: cn=g,ou=groups,dc=x\nobjectClass: groupOfNames\ncn: g\nmember: uid=ada,ou=people,dc=x\n"
    ))
    .with_refint_nothing("cn=nobody,dc=x");
    let (ada, group) = ("uid=ada,ou=people,dc=x", "cn=g,ou=groups,dc=x");
    assert_eq!(directory.values(ada, "memberOf"), strings(&[group]));
    assert_eq!(
        code(directory.rename(ada, "uid=ada", Some("ou=nowhere,dc=x")).await),
        Some(rc::NO_SUCH_OBJECT)
    );
    assert_eq!(
        code(directory.rename(ada, "cn=g", Some("ou=groups,dc=x")).await),
        Some(rc::ENTRY_ALREADY_EXISTS)
    );
    assert_eq!(code(directory.delete("ou=people,dc=x").await), Some(rc::NOT_ALLOWED_ON_NON_LEAF));
    directory.rename(ada, "uid=ada2", None).await.unwrap_or_else(|e| panic!("{e}"));
    let moved = "uid=ada2,ou=people,dc=x";
    assert_eq!(directory.values(moved, "uid"), strings(&["ada2"]));
    assert_eq!(directory.values(moved, "entryDN"), strings(&[moved]));
    assert_eq!(directory.values(group, "member"), strings(&[moved]), "refint follows the rename");
    assert_eq!(code(directory.delete(ada).await), Some(rc::NO_SUCH_OBJECT));
    directory.delete(moved).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        directory.values(group, "member"),
        strings(&["cn=nobody,dc=x"]),
        "refint's nothing value"
    );
    let last = [Modification::Delete("member".into(), Vec::new())];
    assert_eq!(
        code(directory.modify_if(group, &last, None).await),
        Some(rc::OBJECT_CLASS_VIOLATION)
    );
}

#[tokio::test]
async fn injected_failures_hit_the_next_operation_of_their_kind_only() {
    let directory = seeded(ADA);
    directory.fail_next(Operation::Modify, rc::BUSY);
    let request = SearchRequest::entry("uid=ada,ou=people,dc=x", LdapFilter::any(), Vec::new());
    assert!(directory.search(&request).await.is_ok());
    let set_title = [Modification::Replace("title".into(), strings(&["T"]))];
    assert_eq!(
        code(directory.modify_if("uid=ada,ou=people,dc=x", &set_title, None).await),
        Some(rc::BUSY)
    );
    assert!(directory.values("uid=ada,ou=people,dc=x", "title").is_empty());
    assert!(directory.modify_if("uid=ada,ou=people,dc=x", &set_title, None).await.is_ok());
    assert_eq!(directory.operations(), [Operation::Search, Operation::Modify, Operation::Modify]);
}
