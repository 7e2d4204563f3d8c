//! Okta's cycle on the legacy tree: the exists-check with `startIndex=1&count=100`, a GET by id, a
//! full PUT of the resource it read with its profile's changes, deactivation and reactivation by a
//! pathless replace.

use pretty_assertions::assert_eq;
use serde_json::json;

use super::{
    assert_classes_added, data, for_put, legacy_gateway, ok, query, raw, values, work, work_address, Flavour, Untouched, DS389, JANE, MAX,
    OPENLDAP, OUTSIDE_MAPPING,
};
use crate::support::{first_id, Ds389, Gateway, Server, Slapd};

/// One legacy user through Okta's profile push: `asked` is its userName in another case, `rdn_cn`
/// the cn its DN holds (when it is named by cn).
async fn okta_takes_over<S: Server>(gw: &Gateway<S>, flavour: &Flavour, dn: &str, asked: &str, rdn_cn: Option<&str>) {
    let ldap = gw.slapd.endpoint();
    let untouched = Untouched::snapshot(ldap, dn, OUTSIDE_MAPPING).await;
    let loaded = raw(ldap, dn).await;

    let filter = query(&format!("userName eq \"{asked}\""));
    let (status, found) = gw.get(&format!("/Users?filter={filter}&startIndex=1&count=100")).await;
    ok("exists-check", status, &found);
    assert_eq!((&found["totalResults"], &found["startIndex"]), (&json!(1), &json!(1)), "{found}");
    let id = first_id(&found).to_string();
    let path = format!("/Users/{id}");
    let (status, read) = gw.get(&path).await;
    ok("GET by id", status, &read);
    assert_eq!(read["userName"], values(&loaded, "uid")[0], "{read}");

    // Okta sends back everything it read, with the fields its profile changed.
    let mut sent = for_put(read);
    let external_id = format!("00u{}", asked.to_ascii_lowercase());
    let mail = format!("{}@okta.example.com", asked.to_ascii_lowercase());
    sent["externalId"] = json!(external_id);
    sent["title"] = json!("Shift Lead");
    sent["name"]["familyName"] = json!("Final");
    sent["emails"] = json!([{"type": "work", "value": mail, "primary": true}]);
    sent["phoneNumbers"] = json!([{"type": "work", "value": "+49 30 1234 5678"}]);
    sent["addresses"] = json!([{"type": "work", "country": "Germany"}]);
    let (status, body) = gw.put(&path, sent.clone()).await;
    ok("PUT", status, &body);
    let (_, got) = gw.get(&path).await;
    for shown in [&body, &got] {
        assert_eq!(
            (&shown["externalId"], &shown["title"], &shown["name"]["familyName"]),
            (&json!(external_id), &json!("Shift Lead"), &json!("Final")),
            "{shown}"
        );
        assert_eq!(
            (work(shown, "emails"), work(shown, "phoneNumbers")),
            (&json!(mail), &json!("+49 30 1234 5678"))
        );
        assert_eq!(work_address(shown, "country"), "Germany", "{shown}");
    }
    let after = raw(ldap, dn).await;
    assert_classes_added(&loaded, &after, "PUT with externalId and country");
    assert_eq!(values(&after, "uniqueIdentifier"), [external_id.as_str()]);
    assert_eq!(values(&after, "co"), ["Germany"]);
    assert_eq!(values(&after, "sn"), ["Final"], "every old sn is replaced");
    assert_eq!(values(&after, "title"), ["Shift Lead"], "every old title is replaced");
    assert_eq!(values(&after, "mail"), [mail.as_str()], "every old mail is replaced");
    assert_eq!(values(&after, "telephoneNumber"), ["+49 30 1234 5678"]);
    assert_eq!(values(&after, "uid"), values(&loaded, "uid"));
    if let Some(cn) = rdn_cn {
        assert!(values(&after, "cn").iter().any(|v| v == cn), "the RDN's cn stays: {after:?}");
    }
    untouched.assert_kept(ldap, "PUT").await;

    // Okta pushes the same profile again: nothing is written.
    let (status, again) = gw.put(&path, sent).await;
    ok("the same PUT again", status, &again);
    assert_eq!(data(&raw(ldap, dn).await), data(&after), "a repeated PUT changes nothing");

    for active in [false, true] {
        let (status, body) = gw.patch(&path, json!([{"op": "replace", "value": {"active": active}}])).await;
        ok("pathless active", status, &body);
        assert_eq!(body["active"], active, "{body}");
        assert_eq!(
            (flavour.disabled)(&raw(ldap, dn).await),
            !active,
            "active {active} in the directory"
        );
        untouched.assert_kept(ldap, &format!("active {active}")).await;
    }
}

async fn okta_cycle<S: Server>(server: S, flavour: Flavour) {
    let gw = legacy_gateway(server).await;
    // A Unix account first (posixAccount and shadowAccount kept), then the cn-named user.
    okta_takes_over(&gw, &flavour, MAX, "MPosix", None).await;
    okta_takes_over(&gw, &flavour, JANE, "JLegacy", Some("Jane Legacy")).await;
}

#[tokio::test]
async fn okta_takes_over_legacy_entries_on_openldap() {
    okta_cycle(Slapd::start(&[]).await, OPENLDAP).await;
}

#[tokio::test]
async fn okta_takes_over_legacy_entries_on_389_directory_server() {
    okta_cycle(Ds389::start().await, DS389).await;
}
