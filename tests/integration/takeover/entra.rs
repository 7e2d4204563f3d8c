//! Entra's cycle on the legacy tree, as Entra sends it: a probe by userName in another case than
//! stored, then PATCHes with capitalised ops, one op per attribute, booleans as strings.

use pretty_assertions::assert_eq;
use serde_json::json;

use super::{
    assert_classes_added, classes, data, for_put, legacy_gateway, ok, query, raw, shown, values, work, work_address, Flavour, Untouched,
    DS389, JANE, MAX, OPENLDAP, OUTSIDE_MAPPING, STAFF,
};
use crate::support::{first_id, id_of, Ds389, Server, Slapd};

async fn entra_cycle<S: Server>(server: S, flavour: Flavour) {
    let gw = legacy_gateway(server).await;
    let ldap = gw.slapd.endpoint();
    let untouched = Untouched::snapshot(ldap, JANE, OUTSIDE_MAPPING).await;
    let loaded = raw(ldap, JANE).await;
    let staff_members = values(&raw(ldap, STAFF).await, "member");

    // The probe: Jane's entry is named by cn, her userName is her uid, matched without case.
    let (status, found) = gw.get(&format!("/Users?filter={}", query(r#"userName eq "JLEGACY""#))).await;
    ok("probe", status, &found);
    assert_eq!(
        found["totalResults"], 1,
        "the cn-named entry is found by its uid in another case: {found}"
    );
    let user = &found["Resources"][0];
    assert_eq!(user["userName"], "jlegacy", "{user}");
    assert_eq!(user["id"], values(&loaded, "entryUUID")[0], "{user}");
    // Before any write, each multi-valued attribute shows one value: the first the directory
    // returns, and for cn the first that is not the RDN's.
    assert_eq!(user["name"]["familyName"], shown(&loaded, "sn", None), "{user}");
    assert_eq!(user["name"]["formatted"], "J. Legacy", "cn=Jane Legacy shows its other cn: {user}");
    assert_eq!(user["name"]["formatted"], shown(&loaded, "cn", Some("Jane Legacy")), "{user}");
    assert_eq!(user["title"], shown(&loaded, "title", None), "{user}");
    assert_eq!(*work(user, "emails"), shown(&loaded, "mail", None), "{user}");
    assert_eq!(*work(user, "phoneNumbers"), shown(&loaded, "telephoneNumber", None), "{user}");
    let id = id_of(user).to_string();
    let path = format!("/Users/{id}");

    // externalId (uniqueIdentifier) and the country (co) need extensibleObject, which the loaded
    // inetOrgPerson lacks: the gateway adds it in the same modify.
    let object_id = "5e0b7f4c-2d1a-4c3e-9f00-00000000a001";
    let (status, body) = gw
        .patch(
            &path,
            json!([{"op": "Replace", "path": "externalId", "value": object_id},
                   {"op": "Add", "path": "addresses[type eq \"work\"].country", "value": "Norway"}]),
        )
        .await;
    ok("externalId and country", status, &body);
    assert_eq!(
        (&body["externalId"], work_address(&body, "country")),
        (&json!(object_id), &json!("Norway"))
    );
    let after = raw(ldap, JANE).await;
    assert_classes_added(&loaded, &after, "PATCH externalId");
    assert_eq!(values(&after, "uniqueIdentifier"), [object_id]);
    assert_eq!(values(&after, "co"), ["Norway"]);
    untouched.assert_kept(ldap, "PATCH externalId").await;

    // A single-valued SCIM attribute replaces every value of its LDAP attribute.
    let rename_family = json!([{"op": "Replace", "path": "title", "value": "Records Manager"},
                               {"op": "Replace", "path": "name.familyName", "value": "Newname"}]);
    let (status, body) = gw.patch(&path, rename_family.clone()).await;
    ok("title and familyName", status, &body);
    assert_eq!(
        (&body["title"], &body["name"]["familyName"]),
        (&json!("Records Manager"), &json!("Newname"))
    );
    let after = raw(ldap, JANE).await;
    assert_eq!(values(&after, "sn"), ["Newname"], "every old sn is replaced");
    assert_eq!(values(&after, "title"), ["Records Manager"], "every old title is replaced");
    let (_, got) = gw.get(&path).await;
    assert_eq!(
        (&got["title"], &got["name"]["familyName"]),
        (&json!("Records Manager"), &json!("Newname"))
    );
    let (_, listed) = gw.get(&format!("/Users?filter={}", query(r#"name.familyName eq "Newname""#))).await;
    assert_eq!(super::ids(&listed), [id.as_str()], "{listed}");
    let (_, listed) = gw.get(&format!("/Users?filter={}", query(r#"name.familyName eq "Oldname""#))).await;
    assert_eq!(listed["totalResults"], 0, "no old sn is left to match: {listed}");
    untouched.assert_kept(ldap, "PATCH familyName").await;

    // Entra retries: the same PATCH again changes no value.
    let before = data(&raw(ldap, JANE).await);
    let (status, again) = gw.patch(&path, rename_family).await;
    ok("the same PATCH again", status, &again);
    assert_eq!(data(&raw(ldap, JANE).await), before, "a repeated PATCH changes nothing");
    assert_eq!(
        (&again["title"], &again["name"]["familyName"]),
        (&json!("Records Manager"), &json!("Newname"))
    );

    let (status, body) = gw
        .patch(
            &path,
            json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "jane@example.com"},
                   {"op": "Replace", "path": "phoneNumbers[type eq \"work\"].value", "value": "+47 2100 0000"}]),
        )
        .await;
    ok("work email and phone", status, &body);
    assert_eq!(
        (work(&body, "emails"), work(&body, "phoneNumbers")),
        (&json!("jane@example.com"), &json!("+47 2100 0000"))
    );
    let after = raw(ldap, JANE).await;
    assert_eq!(values(&after, "mail"), ["jane@example.com"], "the aliases go too");
    assert_eq!(values(&after, "telephoneNumber"), ["+47 2100 0000"]);
    untouched.assert_kept(ldap, "PATCH email and phone").await;

    // cn holds the RDN's value: that one stays, the written one sits beside it.
    let (status, body) = gw
        .patch(
            &path,
            json!([{"op": "Replace", "path": "name.formatted", "value": "Jane Q. Legacy"}]),
        )
        .await;
    ok("name.formatted", status, &body);
    assert_eq!(body["name"]["formatted"], "Jane Q. Legacy", "{body}");
    let mut cn = values(&raw(ldap, JANE).await, "cn");
    cn.sort();
    assert_eq!(cn, ["Jane Legacy", "Jane Q. Legacy"], "the RDN's cn stays, the alias goes");

    for (sent, active) in [("False", false), ("True", true)] {
        let (status, body) = gw.patch(&path, json!([{"op": "Replace", "path": "active", "value": sent}])).await;
        ok("active", status, &body);
        assert_eq!(body["active"], active, "{body}");
        assert_eq!(
            (flavour.disabled)(&raw(ldap, JANE).await),
            !active,
            "active {sent} in the directory"
        );
        untouched.assert_kept(ldap, &format!("active {sent}")).await;
    }

    // A new userName changes uid in place: the entry keeps its cn name (and its group membership).
    let (status, body) = gw
        .patch(&path, json!([{"op": "Replace", "path": "userName", "value": "jane.legacy"}]))
        .await;
    ok("userName", status, &body);
    assert_eq!(body["userName"], "jane.legacy", "{body}");
    let after = raw(ldap, JANE).await;
    assert_eq!(values(&after, "uid"), ["jane.legacy"], "uid changed in place, the DN stays {JANE}");
    let mut cn_now = values(&after, "cn");
    cn_now.sort();
    assert_eq!(cn_now, cn, "cn untouched by the userName change");
    assert_eq!(
        values(&raw(ldap, STAFF).await, "member"),
        staff_members,
        "no rename for refint to follow"
    );
    let (_, found) = gw.get(&format!("/Users?filter={}", query(r#"userName eq "Jane.Legacy""#))).await;
    assert_eq!(super::ids(&found), [id.as_str()], "{found}");
    untouched.assert_kept(ldap, "PATCH userName").await;

    // The issue's sequence ends with a full PUT: familyName Final leaves only sn Final.
    let (_, read) = gw.get(&path).await;
    let mut whole = for_put(read);
    whole["name"]["familyName"] = json!("Final");
    let (status, body) = gw.put(&path, whole).await;
    ok("PUT familyName Final", status, &body);
    assert_eq!(values(&raw(ldap, JANE).await, "sn"), ["Final"]);
    untouched.assert_kept(ldap, "PUT").await;

    // The same for a Unix account: posixAccount and shadowAccount stay, extensibleObject joins them.
    let max_untouched = Untouched::snapshot(ldap, MAX, OUTSIDE_MAPPING).await;
    let max_loaded = raw(ldap, MAX).await;
    assert!(classes(&max_loaded).contains("posixaccount"));
    let (_, found) = gw.get(&format!("/Users?filter={}", query(r#"userName eq "MPOSIX""#))).await;
    assert_eq!(found["totalResults"], 1, "{found}");
    let max = format!("/Users/{}", first_id(&found));
    let (status, body) = gw
        .patch(
            &max,
            json!([{"op": "Replace", "path": "externalId", "value": "5e0b7f4c-0000-4c3e-9f00-00000000a002"}]),
        )
        .await;
    ok("externalId of a posixAccount", status, &body);
    let after = raw(ldap, MAX).await;
    assert_classes_added(&max_loaded, &after, "PATCH externalId of a posixAccount");
    assert_eq!(values(&after, "uniqueIdentifier"), ["5e0b7f4c-0000-4c3e-9f00-00000000a002"]);
    max_untouched.assert_kept(ldap, "PATCH externalId of a posixAccount").await;
}

#[tokio::test]
async fn entra_takes_over_legacy_entries_on_openldap() {
    entra_cycle(Slapd::start(&[]).await, OPENLDAP).await;
}

#[tokio::test]
async fn entra_takes_over_legacy_entries_on_389_directory_server() {
    entra_cycle(Ds389::start().await, DS389).await;
}
