//! Discovery documents describe what the loaded mapping stores.

use serde_json::Value;

use crate::support::{Gateway, ENTERPRISE};

#[tokio::test]
async fn discovery_is_generated_from_the_mapping() {
    let gw = Gateway::start().await;
    let (status, spc) = gw.get("/ServiceProviderConfig").await;
    assert_eq!(status, 200);
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["filter"]["supported"], true);
    assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");

    let (status, types) = gw.get("/ResourceTypes").await;
    assert_eq!(status, 200);
    assert_eq!(types["Resources"][0]["name"], "User", "User is listed first");
    assert_eq!(types["Resources"][0]["schemaExtensions"][0]["schema"], ENTERPRISE);
    let (status, user_type) = gw.get("/ResourceTypes/User").await;
    assert_eq!((status, user_type["endpoint"].clone()), (200, Value::from("/Users")));

    let (status, schemas) = gw.get("/Schemas").await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = schemas["Resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        vec![
            "urn:ietf:params:scim:schemas:core:2.0:User",
            ENTERPRISE,
            "urn:ietf:params:scim:schemas:core:2.0:Group"
        ]
    );
    assert_eq!(types["Resources"][1]["name"], "Group");
    let (_, user) = gw.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").await;
    assert_eq!(user["description"], "User Account", "RFC 7643 §8.7.1");
    let described = user["attributes"].as_array().into_iter().flatten().all(|a| {
        a["description"].as_str().is_some_and(|d| !d.is_empty())
            && a["subAttributes"]
                .as_array()
                .into_iter()
                .flatten()
                .all(|s| s["description"].as_str().is_some_and(|d| !d.is_empty()))
    });
    assert!(described, "every attribute and sub-attribute is described: {user}");
    let attribute = |name: &str| {
        user["attributes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["name"] == name)
            .cloned()
    };
    let user_name = attribute("userName").unwrap_or_else(|| panic!("no userName in {user}"));
    assert_eq!(user_name["required"], true);
    assert_eq!(user_name["uniqueness"], "server");
    let emails = attribute("emails").unwrap_or_else(|| panic!("no emails in {user}"));
    assert_eq!(emails["multiValued"], true);
    assert!(attribute("active").is_some());
    assert!(attribute("nickName").is_none(), "only mapped attributes are advertised");
    assert_eq!(
        attribute("groups").unwrap_or_else(|| panic!("no groups in {user}"))["mutability"],
        "readOnly"
    );
    let (_, group) = gw.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group").await;
    let members = group["attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["name"] == "members")
        .cloned()
        .unwrap_or_else(|| panic!("no members in {group}"));
    assert_eq!(members["multiValued"], true);
    let subs: Vec<&str> = members["subAttributes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(subs, vec!["value", "$ref", "type"]);
    let (status, _) = gw.get("/Schemas/urn:nope").await;
    assert_eq!(status, 404);
}

/// Microsoft's reference collection asks for lower-case endpoints, with a slash before the query.
#[tokio::test]
async fn endpoints_ignore_case_and_a_trailing_slash() {
    let gw = Gateway::start().await;
    let id = gw.create_user(serde_json::json!({"userName": "casey"})).await;
    for path in [
        "/users?filter=userName%20eq%20%22casey%22",
        "/Users/?filter=userName%20eq%20%22casey%22",
        "/USERS/?filter=userName%20eq%20casey",
    ] {
        let (status, found) = gw.get(path).await;
        assert_eq!((status, found["totalResults"].clone()), (200, Value::from(1)), "{path}: {found}");
    }
    let (status, user) = gw.get(&format!("/users/{id}/")).await;
    assert_eq!((status, user["userName"].clone()), (200, Value::from("casey")));
    let (status, _) = gw.get("/GROUPS").await;
    assert_eq!(status, 200);
    let (status, _) = gw.get("/schemas/").await;
    assert_eq!(status, 200);
    let (status, _) = gw.get(&format!("/Users/{}", id.to_uppercase().replace('-', "_"))).await;
    assert_eq!(status, 404, "ids are not rewritten");
}
