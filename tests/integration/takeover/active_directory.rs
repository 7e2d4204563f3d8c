//! Accounts an AD admin made with `samba-tool user create`, taken over with the shipped
//! `mappings/active-directory.yaml`: the CN is the display name ("Jane Legacy"), the logon names
//! are sAMAccountName `jlegacy` and userPrincipalName `jlegacy@example.org`, and the userName the
//! IdP matches is the UPN. Nothing renames the account, and what samba-tool set outside the mapping
//! (the Unix attributes, the description, the password) stays.

use pretty_assertions::assert_eq;
use serde_json::json;

use super::{ok, query, raw, values, Entry, Untouched};
use crate::support::samba::REALM;
use crate::support::{assert_scim_error, first_id, Gateway, SambaDc, Server};

/// What samba-tool sets that no mapping names; `pwdLastSet` moves only when the password changes.
const OUTSIDE_AD_MAPPING: &[&str] = &[
    "description",
    "uidNumber",
    "gidNumber",
    "loginShell",
    "unixHomeDirectory",
    "msSFU30NisDomain",
    "pwdLastSet",
];

fn disabled(entry: &Entry) -> bool {
    values(entry, "userAccountControl")
        .first()
        .and_then(|v| v.parse::<u32>().ok())
        .is_some_and(|flags| flags & 2 != 0)
}

/// A domain controller holding one account made by samba-tool (as `jdoe`, named `given surname`,
/// with Unix attributes), and a gateway in front of it.
async fn with_samba_tool_user(sam: &str, password: &str, given: &str, surname: &str) -> Gateway<SambaDc> {
    let samba = SambaDc::start().await;
    samba.samba_tool(&[
        "user",
        "create",
        sam,
        password,
        &format!("--given-name={given}"),
        &format!("--surname={surname}"),
        "--job-title=Senior Clerk",
        "--telephone-number=+1 555 0100",
        "--description=Created with samba-tool in 2015",
        "--nis-domain=example",
        &format!("--unix-home=/home/{sam}"),
        "--uid-number=10042",
        "--gid-number=10000",
        "--login-shell=/bin/zsh",
    ]);
    Gateway::attach(samba, &[]).await
}

#[tokio::test]
async fn entra_takes_over_a_samba_tool_account_on_active_directory() {
    let password = "Legacy-Passw0rd!";
    let gw = with_samba_tool_user("jlegacy", password, "Jane", "Legacy").await;
    let ldap = gw.slapd.endpoint();
    let dn = "cn=Jane Legacy,cn=Users,dc=example,dc=org";
    let untouched = Untouched::snapshot(ldap, dn, OUTSIDE_AD_MAPPING).await;
    let upn = format!("jlegacy@{REALM}");
    assert_eq!(
        values(&raw(ldap, dn).await, "userPrincipalName"),
        [upn.as_str()],
        "samba-tool's UPN"
    );

    // Entra matches its UPN in another case than AD stores it.
    let asked = format!("JLegacy@{}", REALM.to_ascii_uppercase());
    let (status, found) = gw
        .get(&format!("/Users?filter={}", query(&format!("userName eq \"{asked}\""))))
        .await;
    ok("probe", status, &found);
    assert_eq!(found["totalResults"], 1, "the samba-tool account is found by its UPN: {found}");
    assert_eq!(found["Resources"][0]["userName"], upn.as_str(), "userName is the userPrincipalName");
    let path = format!("/Users/{}", first_id(&found));

    // A create of the same userName is a uniqueness conflict, not a second account.
    let (status, body) = gw
        .post(
            "/Users",
            json!({"userName": upn, "name": {"givenName": "Jane", "familyName": "Legacy"}}),
        )
        .await;
    assert_scim_error(status, &body, 409, Some("uniqueness"));
    assert_eq!(ldap.find("(sAMAccountName=jlegacy)").await.len(), 1, "one account");
    assert_eq!(ldap.find(&format!("(userPrincipalName={upn})")).await.len(), 1, "one account");

    let (status, body) = gw
        .patch(&path, json!([{"op": "Replace", "path": "title", "value": "Records Manager"}]))
        .await;
    ok("title", status, &body);
    assert_eq!(values(&raw(ldap, dn).await, "title"), ["Records Manager"]);
    untouched.assert_kept(ldap, "PATCH title").await;

    for (sent, active) in [("False", false), ("True", true)] {
        let (status, body) = gw.patch(&path, json!([{"op": "Replace", "path": "active", "value": sent}])).await;
        ok("active", status, &body);
        assert_eq!(body["active"], active, "{body}");
        assert_eq!(disabled(&raw(ldap, dn).await), !active, "ACCOUNTDISABLE after active {sent}");
        untouched.assert_kept(ldap, &format!("active {sent}")).await;
    }
    assert!(ldap.binds(dn, password).await, "samba-tool's password still works");

    // A new userName writes the UPN and the logon name from its local part; the CN stays.
    let renamed = format!("jane.legacy@{REALM}");
    let (status, body) = gw
        .patch(&path, json!([{"op": "Replace", "path": "userName", "value": renamed}]))
        .await;
    ok("userName", status, &body);
    assert_eq!(body["userName"], renamed.as_str(), "{body}");
    let after = raw(ldap, dn).await;
    assert_eq!(values(&after, "userPrincipalName"), [renamed.as_str()]);
    assert_eq!(values(&after, "sAMAccountName"), ["jane.legacy"]);
    assert_eq!(values(&after, "cn"), ["Jane Legacy"], "the account is not renamed");
    untouched.assert_kept(ldap, "PATCH userName").await;
    assert!(ldap.binds(dn, password).await, "samba-tool's password still works");
    let asked = renamed.to_ascii_uppercase();
    let (_, found) = gw
        .get(&format!("/Users?filter={}", query(&format!("userName eq \"{asked}\""))))
        .await;
    assert_eq!(found["totalResults"], 1, "{found}");
}

#[tokio::test]
async fn okta_takes_over_a_samba_tool_account_on_active_directory() {
    let password = "Carter-Passw0rd!";
    let gw = with_samba_tool_user("kcarter", password, "Kim", "Carter").await;
    let ldap = gw.slapd.endpoint();
    let dn = "cn=Kim Carter,cn=Users,dc=example,dc=org";
    let untouched = Untouched::snapshot(ldap, dn, OUTSIDE_AD_MAPPING).await;
    let upn = format!("kcarter@{REALM}");

    let filter = query(&format!("userName eq \"KCarter@{}\"", REALM.to_ascii_uppercase()));
    let (status, found) = gw.get(&format!("/Users?filter={filter}&startIndex=1&count=100")).await;
    ok("exists-check", status, &found);
    assert_eq!(found["totalResults"], 1, "the samba-tool account is found by its UPN: {found}");
    let path = format!("/Users/{}", first_id(&found));
    let (status, read) = gw.get(&path).await;
    ok("GET by id", status, &read);
    assert_eq!(read["userName"], upn.as_str(), "{read}");

    let mut sent = super::for_put(read);
    sent["externalId"] = json!("00ukcarter");
    sent["title"] = json!("Shift Lead");
    sent["name"]["familyName"] = json!("Carter-Final");
    sent["phoneNumbers"] = json!([{"type": "work", "value": "+49 30 1234 5678"}]);
    sent["addresses"] = json!([{"type": "work", "country": "Germany"}]);
    let (status, body) = gw.put(&path, sent).await;
    ok("PUT", status, &body);
    assert_eq!((&body["title"], &body["userName"]), (&json!("Shift Lead"), &json!(upn)), "{body}");
    let after = raw(ldap, dn).await;
    assert_eq!(values(&after, "msDS-cloudExtensionAttribute1"), ["00ukcarter"]);
    assert_eq!(values(&after, "title"), ["Shift Lead"]);
    assert_eq!(values(&after, "sn"), ["Carter-Final"]);
    assert_eq!(values(&after, "telephoneNumber"), ["+49 30 1234 5678"]);
    assert_eq!(values(&after, "co"), ["Germany"]);
    assert_eq!(values(&after, "cn"), ["Kim Carter"], "the account is not renamed");
    assert_eq!(values(&after, "sAMAccountName"), ["kcarter"]);
    assert_eq!(values(&after, "userPrincipalName"), [upn.as_str()]);
    untouched.assert_kept(ldap, "PUT").await;

    for active in [false, true] {
        let (status, body) = gw.patch(&path, json!([{"op": "replace", "value": {"active": active}}])).await;
        ok("pathless active", status, &body);
        assert_eq!(body["active"], active, "{body}");
        assert_eq!(disabled(&raw(ldap, dn).await), !active, "ACCOUNTDISABLE after active {active}");
        untouched.assert_kept(ldap, &format!("active {active}")).await;
    }
    assert!(ldap.binds(dn, password).await, "samba-tool's password still works");
}
