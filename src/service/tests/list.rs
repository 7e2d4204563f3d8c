//! Lists: filters as the directory matches them, pages cut by `startIndex` and `count`, and the
//! plans for small and large results.

use super::support::*;
use crate::ldap::fake::Operation;
use crate::mapping::ResourceKind;
use crate::service::{ListQuery, Page, ServiceLimits};

fn user_names(page: &Page) -> Vec<String> {
    page.resources
        .iter()
        .map(|r| r["userName"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn filters_match_as_the_directory_matches_them() {
    let svc = service_over(directory_with(STAFF));
    let cases: [(&str, &[&str]); 7] = [
        (r#"userName eq "ALICE""#, &["alice"]),
        (r#"userName co "ob""#, &["bob"]),
        (r#"userName sw "j""#, &["jlegacy"]),
        ("title pr", &["alice", "bob"]),
        (r#"title eq "engineer" and name.givenName eq "Alice""#, &["alice"]),
        (r#"userName eq "alice" or userName eq "jlegacy""#, &["alice", "jlegacy"]),
        (r#"emails[type eq "work" and value ew "@example.org"]"#, &["alice"]),
    ];
    for (filter, expected) in cases {
        let page = ok(list(&svc, ResourceKind::User, &query(Some(filter))).await);
        assert_eq!(user_names(&page), expected, "{filter}");
        assert_eq!(page.total, expected.len(), "{filter}");
    }
    let everyone = ok(list(&svc, ResourceKind::User, &query(None)).await);
    assert_eq!(user_names(&everyone), ["alice", "bob", "jlegacy"], "in the directory's order");
}

#[tokio::test]
async fn an_idp_s_probe_is_one_search_that_reads_the_matches_whole() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let found = ok(list(&svc, ResourceKind::User, &query(Some(r#"userName eq "jlegacy""#))).await);
    assert_eq!((user_names(&found), found.total), (vec!["jlegacy".to_string()], 1));
    assert_eq!(found.resources[0]["name"]["formatted"], "Jane Legacy");
    assert_eq!(directory.operations(), [Operation::Search]);
    directory.reset_operations();
    let none = ok(list(&svc, ResourceKind::User, &query(Some(r#"userName eq "nobody""#))).await);
    assert_eq!((none.resources.len(), none.total), (0, 0));
    assert_eq!(directory.operations(), [Operation::Search]);
}

#[tokio::test]
async fn pages_are_cut_by_start_index_and_count_with_the_total_of_all() {
    let directory = directory_with(&people_ldif("u", 5));
    let svc = service_over(directory.clone());
    let mut seen = Vec::new();
    for start_index in [1, 3, 5] {
        let page = ok(list(
            &svc,
            ResourceKind::User,
            &ListQuery {
                start_index,
                count: Some(2),
                ..query(None)
            },
        )
        .await);
        assert_eq!((page.total, page.start_index), (5, start_index));
        seen.extend(user_names(&page));
    }
    assert_eq!(seen, ["u0", "u1", "u2", "u3", "u4"], "no user skipped or repeated");
    let past_the_end = ok(list(
        &svc,
        ResourceKind::User,
        &ListQuery {
            start_index: 9,
            count: Some(2),
            ..query(None)
        },
    )
    .await);
    assert_eq!((past_the_end.resources.len(), past_the_end.total), (0, 5));
    let counted = ok(list(
        &svc,
        ResourceKind::User,
        &ListQuery {
            count: Some(0),
            ..query(None)
        },
    )
    .await);
    assert_eq!((counted.resources.len(), counted.total), (0, 5), "count=0 asks for the total only");
}

#[tokio::test]
async fn more_matches_than_the_service_lists_is_too_many() {
    let limits = ServiceLimits {
        max_matches: 2,
        ..ServiceLimits::default()
    };
    let svc = service_with(directory_with(STAFF), |text| text, limits);
    assert_eq!(
        refused(list(&svc, ResourceKind::User, &query(None)).await),
        scim_error(400, Some("tooMany"))
    );
    let narrowed = ok(list(&svc, ResourceKind::User, &query(Some("title pr"))).await);
    assert_eq!(narrowed.total, 2);
}

#[tokio::test]
async fn filters_that_cannot_be_read_or_name_nothing_mapped_are_invalid_filter() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    for filter in [
        r#"userName eq"#,
        r#"userName eq "a" and"#,
        r#"(userName eq "a""#,
        r#"nickName eq "x""#,
    ] {
        assert_eq!(
            refused(list(&svc, ResourceKind::User, &query(Some(filter))).await),
            scim_error(400, Some("invalidFilter")),
            "{filter}"
        );
    }
    assert_eq!(directory.operations(), [], "refused before the directory is asked");
}

#[tokio::test]
async fn a_large_list_is_counted_and_read_ahead_from_one_paged_search() {
    let directory = directory_with(&people_ldif("p", 1100));
    let svc = service_over(directory.clone());
    let first = ok(list(
        &svc,
        ResourceKind::User,
        &ListQuery {
            count: Some(100),
            ..query(None)
        },
    )
    .await);
    assert_eq!((first.total, first.resources.len()), (1100, 100));
    assert_eq!(user_names(&first)[0], "p0");
    // The whole search stops at the size limit of a small result; the directory then counts, and a
    // paged search reads the pages.
    assert_eq!(directory.count_of(Operation::Search), 1);
    assert_eq!(
        (directory.count_of(Operation::Count), directory.count_of(Operation::PagedSearch)),
        (1, 1)
    );
    directory.reset_operations();
    let second = ok(list(
        &svc,
        ResourceKind::User,
        &ListQuery {
            start_index: 101,
            count: Some(100),
            ..query(None)
        },
    )
    .await);
    assert_eq!((second.total, second.start_index), (1100, 101));
    assert_eq!(user_names(&second)[0], "p100");
    assert_eq!(directory.operations(), [], "the next page was read ahead");
}

#[tokio::test]
async fn a_server_size_limit_below_the_matches_still_lists_them_all_by_paged_search() {
    let directory = directory_with(&people_ldif("s", 5)).with_size_limit(3);
    let svc = service_over(directory.clone());
    let page = ok(list(&svc, ResourceKind::User, &query(None)).await);
    assert_eq!(user_names(&page), ["s0", "s1", "s2", "s3", "s4"]);
    assert_eq!(page.total, 5);
    assert_eq!(
        directory.count_of(Operation::PagedSearch),
        1,
        "after the plain search hit the limit"
    );
}

#[tokio::test]
async fn sorted_lists_order_by_the_mapped_attribute_either_way() {
    // Zoe Abbott: first by family name, last by userName, DN and the order she was loaded in.
    let zoe = format!("dn: uid=zoe,ou=people,{BASE_DN}\nobjectClass: inetOrgPerson\nuid: zoe\ncn: Zoe Abbott\nsn: Abbott\n");
    let svc = service_over(directory_with(&format!("{STAFF}\n{zoe}")));
    let sorted = |descending| ListQuery {
        sort_by: Some("name.familyName".into()),
        descending,
        ..query(None)
    };
    assert_eq!(
        user_names(&ok(list(&svc, ResourceKind::User, &sorted(false)).await)),
        ["zoe", "alice", "bob", "jlegacy"]
    );
    assert_eq!(
        user_names(&ok(list(&svc, ResourceKind::User, &sorted(true)).await)),
        ["jlegacy", "bob", "alice", "zoe"]
    );
    let unknown = ListQuery {
        sort_by: Some("nickName".into()),
        ..query(None)
    };
    assert_eq!(
        refused(list(&svc, ResourceKind::User, &unknown).await),
        scim_error(400, Some("invalidValue"))
    );
}
