//! Lists: filters pushed down to LDAP, sorting, paging from id snapshots, POST .search.

use pretty_assertions::assert_eq;
use serde_json::{json, Value};

use crate::support::{assert_scim_error, path_str, Gateway};

fn names(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["userName"].as_str().map(str::to_string))
        .collect()
}

fn query(filter: &str) -> String {
    filter.bytes().map(|b| format!("%{b:02X}")).collect()
}

async fn people(gw: &Gateway) {
    for (user, family, mail) in [
        ("Otto", "Ostrander", "otto@example.com"),
        ("olga", "Olsen", "olga@example.org"),
        ("bert", "Berg", "bert@example.net"),
        ("anna", "Olsen", "anna@example.com"),
    ] {
        gw.create_user(json!({"userName": user, "name": {"familyName": family}, "emails": [{"type": "work", "value": mail}]}))
            .await;
    }
}

#[tokio::test]
async fn filters_from_idp_test_collections_are_answered_by_ldap() {
    let gw = Gateway::start().await;
    people(&gw).await;
    let cases = [
        (
            r#"name.FamilyName eq "Olsen" and (emails.Value co "example.com" or emails.Value co "example.org")"#,
            vec!["anna", "olga"],
        ),
        (r#"userName sw "O""#, vec!["olga", "Otto"]),
        (r#"userName Eq "OTTO""#, vec!["Otto"]),
        (
            r#"not (userName sw "o") and emails[type eq "work" and value ew ".net"]"#,
            vec!["bert"],
        ),
        (r#"emails[type eq "home"].value pr"#, vec![]),
        (r#"meta.created gt "2000-01-01T00:00:00Z""#, vec!["anna", "bert", "olga", "Otto"]),
        (r#"userName eq "*" or userName eq ")(uid=*""#, vec![]),
    ];
    for (filter, expected) in cases {
        let (status, list) = gw.get(&format!("/Users?filter={}&sortBy=userName", query(filter))).await;
        assert_eq!(status, 200, "{filter}: {list}");
        let mut got = names(&list);
        got.sort_by_key(|n| n.to_lowercase());
        assert_eq!(got, expected, "{filter}");
        assert_eq!(list["totalResults"], expected.len(), "{filter}");
    }
    // OpenLDAP has no ordering rule for uid: ordered comparisons on userName are answered by the
    // gateway, lexicographically without case, with the rest of the filter left to the directory.
    for (filter, expected) in [
        (r#"userName gt "a""#, vec!["anna", "bert", "olga", "Otto"]),
        (r#"userName gt "bert""#, vec!["olga", "Otto"]),
        (r#"not (userName ge "m")"#, vec!["anna", "bert"]),
        (r#"userName lt "OLGA""#, vec!["anna", "bert"]),
        (r#"userName le "olga" and userName sw "o""#, vec!["olga"]),
        (r#"userName gt "zzz""#, vec![]),
    ] {
        let (status, list) = gw.get(&format!("/Users?filter={}&sortBy=userName", query(filter))).await;
        assert_eq!(status, 200, "{filter}: {list}");
        assert_eq!(names(&list), expected, "{filter}");
        assert_eq!(list["totalResults"], expected.len(), "{filter}");
    }
    let (status, _) = gw
        .get(&format!(
            "/Users?filter={}",
            query(r#"meta.lastModified ge "2000-01-01T00:00:00Z""#)
        ))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn sorting_and_search_requests() {
    let gw = Gateway::start().await;
    people(&gw).await;
    let (_, list) = gw.get("/Users?sortBy=userName").await;
    assert_eq!(names(&list), vec!["anna", "bert", "olga", "Otto"]);
    let (_, list) = gw.get("/Users?sortBy=userName&sortOrder=descending").await;
    assert_eq!(names(&list), vec!["Otto", "olga", "bert", "anna"]);
    // Berg < Olsen = Olsen < Ostrander; equal keys are ordered by id.
    let (_, list) = gw.get("/Users?sortBy=name.familyName").await;
    let sorted = names(&list);
    assert_eq!((sorted[0].as_str(), sorted[3].as_str()), ("bert", "Otto"), "{sorted:?}");
    let (_, list) = gw.get("/Users?sortBy=emails").await;
    assert_eq!(names(&list), vec!["anna", "bert", "olga", "Otto"]);
    let (status, body) = gw.get("/Users?sortBy=nickName").await;
    assert_scim_error(status, &body, 400, Some("invalidValue"));
    let (status, body) = gw.get("/Users?sortBy=userName&sortOrder=sideways").await;
    assert_scim_error(status, &body, 400, Some("invalidValue"));

    let (status, list) = gw
        .post(
            "/Users/.search",
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                "filter": "name.familyName eq \"Olsen\"",
                "sortBy": "userName",
                "sortOrder": "descending",
                "startIndex": 1,
                "count": 10,
                "attributes": ["userName"]
            }),
        )
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(names(&list), vec!["olga", "anna"]);
    assert!(list["Resources"][0].get("name").is_none(), "attributes applies: {list}");

    // The root search pages users then groups as one list; a type the filter does not apply to
    // matches nothing.
    let (status, group) = gw.post("/Groups", json!({"displayName": "Olsens"})).await;
    assert_eq!(status, 201, "{group}");
    let (status, list) = gw.post("/.search", json!({"startIndex": 3, "count": 3})).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["totalResults"], 5);
    let types: Vec<&str> = list["Resources"]
        .as_array()
        .map(|r| r.iter().filter_map(|x| x["meta"]["resourceType"].as_str()).collect())
        .unwrap_or_else(|| panic!("no Resources in {list}"));
    assert_eq!(types, vec!["User", "User", "Group"]);
    let (_, list) = gw
        .post("/.search", json!({"filter": "userName sw \"o\"", "sortBy": "userName"}))
        .await;
    assert_eq!(names(&list), vec!["olga", "Otto"]);
    let (_, list) = gw
        .post(
            "/.search",
            json!({"filter": "displayName eq \"Olsens\"", "attributes": ["displayName"]}),
        )
        .await;
    assert_eq!(list["totalResults"], 1, "{list}");
    assert_eq!(
        (&list["Resources"][0]["id"], &list["Resources"][0]["displayName"]),
        (&group["id"], &json!("Olsens"))
    );
    assert!(list["Resources"][0].get("members").is_none(), "{list}");
    let (status, body) = gw.post("/.search", json!({"filter": "shoeSize eq 1"})).await;
    assert_scim_error(status, &body, 400, Some("invalidFilter"));
    let (_, spc) = gw.get("/ServiceProviderConfig").await;
    assert_eq!(spc["sort"]["supported"], true);
}

#[tokio::test]
async fn pages_continue_a_snapshot_and_first_pages_are_fresh() {
    let gw = Gateway::start().await;
    people(&gw).await;
    let (_, first) = gw.get("/Users?sortBy=userName&count=2").await;
    assert_eq!(
        (names(&first), first["totalResults"].clone()),
        (vec!["anna".to_string(), "bert".to_string()], json!(4))
    );
    let (_, second) = gw.get("/Users?sortBy=userName&count=2&startIndex=3").await;
    assert_eq!(names(&second), vec!["olga", "Otto"]);
    let (_, beyond) = gw.get("/Users?sortBy=userName&count=2&startIndex=9").await;
    assert_eq!(
        (beyond["itemsPerPage"].clone(), beyond["totalResults"].clone()),
        (json!(0), json!(4))
    );

    // A probe right after a create sees it: a first page never comes from a snapshot.
    let (_, probe) = gw.get("/Users?filter=userName%20eq%20%22zoe%22").await;
    assert_eq!(probe["totalResults"], 0);
    gw.create_user(json!({"userName": "zoe"})).await;
    let (_, probe) = gw.get("/Users?filter=userName%20eq%20%22zoe%22").await;
    assert_eq!(probe["totalResults"], 1);
    let (_, last) = gw.get("/Users?sortBy=userName&count=2&startIndex=5").await;
    assert_eq!((names(&last), last["totalResults"].clone()), (vec!["zoe".to_string()], json!(5)));
}

#[tokio::test]
async fn large_results_page_from_a_paged_id_scan() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ldif = dir.path().join("many.ldif");
    let text = crate::support::people_ldif("p", 1500);
    std::fs::write(&ldif, text).unwrap_or_else(|e| panic!("{e}"));
    let gw = Gateway::start_with(&[path_str(&ldif)], &[]).await;
    let mut seen = Vec::new();
    let mut start = 1;
    while start <= 1500 {
        let (status, page) = gw.get(&format!("/Users?sortBy=userName&count=200&startIndex={start}")).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["totalResults"], 1500);
        seen.extend(names(&page));
        start += 200;
    }
    let mut expected: Vec<String> = (0..1500).map(|i| format!("p{i}")).collect();
    expected.sort();
    assert_eq!(seen, expected, "every user once, in order");
    let (_, deep) = gw
        .get("/Users?sortBy=userName&sortOrder=descending&count=3&startIndex=1498&filter=userName%20sw%20%22p%22")
        .await;
    assert_eq!(names(&deep), vec!["p10", "p1", "p0"]);
}

/// The gateway's metrics, and how many LDAP operations of a kind it counted (any result).
async fn ldap_operations(gw: &Gateway) -> (String, impl Fn(&str) -> u64) {
    let metrics = crate::support::metrics(gw).await;
    let text = metrics.clone();
    let operations = move |op: &str| -> u64 {
        text.lines()
            .filter(|l| l.starts_with(&format!("scim2ldap_ldap_operations_total{{op=\"{op}\",")))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    };
    (metrics, operations)
}

/// A directory without VLV and sorting (slapd without sssvlv): the first page of a large listing
/// counts the matches by reading them, with the same totals and pages; a page size that does not
/// divide the read-ahead batch still gives whole pages.
#[tokio::test]
async fn large_listings_are_counted_without_vlv_too() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ldif = dir.path().join("many.ldif");
    std::fs::write(&ldif, crate::support::people_ldif("p", 1234)).unwrap_or_else(|e| panic!("{e}"));
    let slapd = crate::support::Slapd::start_with_env(&[path_str(&ldif)], &[("SLAPD_NO_SSSVLV", "1")]).await;
    let gw = Gateway::attach(slapd, &[]).await;
    // 150 a page: read ahead in batches of 900 (whole pages), so no page straddles two batches.
    let mut seen = Vec::new();
    for start in (1..=1234).step_by(150) {
        let (status, page) = gw.get(&format!("/Users?startIndex={start}&count=150")).await;
        assert_eq!((status, page["totalResults"].clone()), (200, json!(1234)), "{page}");
        let names = names(&page);
        assert_eq!(names.len(), 150.min(1235 - start), "page at {start}");
        seen.extend(names);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 1234, "every user once");
    let (metrics, operations) = ldap_operations(&gw).await;
    assert_eq!((operations("count"), operations("vlv_count")), (1, 0), "{metrics}");
}

/// Okta's import: startIndex 1, 101, 201, … without sortBy, served from an open paged search read
/// ahead; the same pages asked out of sequence (or after a write) come from one VLV window each, and
/// a page past the end is empty. The directory (slapd with sssvlv) sorts both by id, so the pages
/// agree.
#[tokio::test]
async fn sequential_pages_are_read_ahead_and_other_pages_are_one_window() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ldif = dir.path().join("many.ldif");
    std::fs::write(&ldif, crate::support::people_ldif("p", 1234)).unwrap_or_else(|e| panic!("{e}"));
    let gw = Gateway::start_with(&[path_str(&ldif)], &[]).await;
    let ids = |page: &serde_json::Value| -> Vec<String> {
        page["Resources"]
            .as_array()
            .map(|r| r.iter().filter_map(|u| u["id"].as_str().map(str::to_string)).collect())
            .unwrap_or_else(|| panic!("no Resources in {page}"))
    };
    let mut sequential = Vec::new();
    let mut start = 1;
    loop {
        let (status, page) = gw.get(&format!("/Users?startIndex={start}&count=100")).await;
        assert_eq!((status, page["totalResults"].clone()), (200, json!(1234)), "{page}");
        let found = ids(&page);
        assert_eq!(page["itemsPerPage"], found.len());
        // Some clients stop at a short page, others ask once more and get an empty one.
        if found.is_empty() {
            break;
        }
        sequential.extend(found);
        start += 100;
    }
    assert_eq!(sequential.len(), 1234);
    // Served by the open paged search: its pages were read, and no id snapshot was taken.
    let (metrics, operations) = ldap_operations(&gw).await;
    assert_eq!(operations("paged_search_open"), 1, "{metrics}");
    // The total came from the sssvlv overlay's count, not from reading every match.
    assert_eq!(operations("vlv_count"), 1, "{metrics}");
    // In batches of 1,000 entries: two LDAP pages for thirteen SCIM pages.
    assert_eq!(operations("search_page"), 2, "{metrics}");
    assert_eq!(operations("search_paged"), 0, "{metrics}");
    let mut unique = sequential.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique, sequential, "every user once, in the order of their ids");

    // Out of sequence, the pages hold the same users in the same places.
    for start in [1101, 1, 601, 1234] {
        let (_, page) = gw.get(&format!("/Users?startIndex={start}&count=100")).await;
        assert_eq!(
            ids(&page),
            sequential[start - 1..(start + 99).min(1234)].to_vec(),
            "page at {start}"
        );
        assert_eq!(page["totalResults"], 1234);
    }
    let (_, beyond) = gw.get("/Users?startIndex=1300&count=100").await;
    assert_eq!((ids(&beyond).len(), beyond["totalResults"].clone()), (0, json!(1234)), "{beyond}");
    let (metrics, operations) = ldap_operations(&gw).await;
    assert_eq!(operations("vlv_window"), 4, "1101, 601, 1234 and 1300: {metrics}");
    // slapd refuses a window past the end (result 76); that page alone was read from an id snapshot.
    assert!(metrics.contains("{op=\"vlv_window\",result=\"76\"} 1"), "{metrics}");
    assert_eq!(operations("search_paged"), 1, "{metrics}");

    // A write in the middle of a listing: the next page is read afresh, and shows the change.
    let (_, first) = gw.get("/Users?startIndex=1&count=100").await;
    assert_eq!(ids(&first), sequential[..100].to_vec());
    let renamed = &sequential[150];
    let (status, body) = gw
        .patch(
            &format!("/Users/{renamed}"),
            json!([{"op": "replace", "path": "title", "value": "Changed"}]),
        )
        .await;
    assert!(status == 200 || status == 204, "{body}");
    let (_, second) = gw.get("/Users?startIndex=101&count=100").await;
    let changed = second["Resources"]
        .as_array()
        .and_then(|r| r.iter().find(|u| u["id"] == json!(renamed)))
        .cloned();
    assert_eq!(changed.map(|u| u["title"].clone()), Some(json!("Changed")));
}
