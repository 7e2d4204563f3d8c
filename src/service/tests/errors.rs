//! The error table end to end: what the directory answers becomes the status and `scimType` the
//! client reads, in an RFC 7644 error document.

use serde_json::json;

use super::support::*;
use crate::ldap::error::rc;
use crate::ldap::fake::Operation;
use crate::mapping::ResourceKind;

#[tokio::test]
async fn directory_refusals_of_a_read_answer_by_the_table() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    let alice = id_at(&directory, &user_dn("alice"));
    let cases = [
        (rc::INSUFFICIENT_ACCESS, scim_error(403, None)),
        (rc::BUSY, scim_error(503, None)),
        (rc::UNAVAILABLE, scim_error(503, None)),
        (80, scim_error(500, None)),
    ];
    for (code, expected) in cases {
        directory.fail_next(Operation::Search, code);
        let answer = get(&svc, ResourceKind::User, &alice).await;
        if let Err(e) = &answer {
            assert!(
                !e.detail.contains("injected"),
                "directory text stays out of {code}'s answer: {}",
                e.detail
            );
        }
        assert_eq!(refused(answer), expected, "result {code}");
    }
    assert_eq!(
        ok(get(&svc, ResourceKind::User, &alice).await)["userName"],
        "alice",
        "nothing left injected"
    );
}

#[tokio::test]
async fn a_lookup_cut_short_by_the_size_limit_is_the_gateway_s_fault_not_too_many() {
    let directory = directory_with(STAFF);
    let svc = service_over(directory.clone());
    directory.fail_next(Operation::Search, rc::SIZE_LIMIT_EXCEEDED);
    let alice = id_at(&directory, &user_dn("alice"));
    assert_eq!(refused(get(&svc, ResourceKind::User, &alice).await), scim_error(500, None));
}

#[tokio::test]
async fn refused_writes_are_the_client_s_400_or_409_and_leave_nothing_behind() {
    let directory = directory_with("");
    let svc = service_over(directory.clone());
    let cases = [
        (rc::CONSTRAINT_VIOLATION, scim_error(400, Some("invalidValue"))),
        (rc::UNWILLING_TO_PERFORM, scim_error(400, Some("invalidValue"))),
        (rc::INVALID_ATTRIBUTE_SYNTAX, scim_error(400, Some("invalidValue"))),
        // Another request added the name between the uniqueness check and the add.
        (rc::ENTRY_ALREADY_EXISTS, scim_error(409, Some("uniqueness"))),
    ];
    for (code, expected) in cases {
        directory.fail_next(Operation::Add, code);
        let answer = create(&svc, ResourceKind::User, json!({"userName": "carol"})).await;
        if let (Err(e), true) = (&answer, expected.0 == 400) {
            assert!(
                e.detail.contains("injected by the test"),
                "a 4xx says what the directory refused: {}",
                e.detail
            );
        }
        assert_eq!(refused(answer), expected, "result {code}");
        assert!(directory.entry(&user_dn("carol")).is_none());
    }
    assert_eq!(directory.count_of(Operation::Add), 4);
}

#[tokio::test]
async fn a_password_the_directory_refuses_undoes_the_create() {
    let directory = directory_with("");
    let svc = service_over(directory.clone());
    directory.fail_next(Operation::SetPassword, rc::CONSTRAINT_VIOLATION);
    let answer = create(&svc, ResourceKind::User, json!({"userName": "carol", "password": "weak"})).await;
    assert_eq!(refused(answer), scim_error(400, Some("invalidValue")));
    assert!(
        directory.entry(&user_dn("carol")).is_none(),
        "no account without the password the IdP set"
    );
    assert_eq!(directory.count_of(Operation::Delete), 1);
}
