//! Hostile and malformed input: each value is either stored exactly (proven by reading the directory)
//! and found by an exact filter only, or refused with a SCIM error; nothing is a 5xx, nothing panics.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{id_of, read, Gateway, TOKEN};

/// Percent-encodes a whole query value.
fn encoded(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn assert_refused_or(what: &str, status: u16, body: &Value, ok: u16) {
    assert!(status == ok || (400..500).contains(&status), "{what}: {status}: {body}");
    if status != ok {
        assert_eq!(body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error", "{body}");
        assert_eq!(body["status"], status.to_string(), "{body}");
    }
}

#[tokio::test]
async fn dn_and_filter_specials_are_stored_exactly_or_refused() {
    let gw = Gateway::start().await;
    gw.create_user(json!({"userName": "bystander"})).await;
    let long = "x".repeat(5000);
    let values = [
        "*",
        "(",
        ")",
        "\\",
        "a\u{0}b",
        ",",
        "+",
        "=",
        "#lead",
        " lead",
        "trail ",
        "  ",
        "<>;\"",
        "a,b+c=d",
        "ü日本語",
        "\\2a",
        "*)(uid=*",
        "admin)(|(uid=*",
        long.as_str(),
    ];
    let mut stored = 0;
    for value in values {
        let (status, created) = gw.post("/Users", json!({"userName": value, "title": value})).await;
        assert_refused_or(&format!("create {value:?}"), status, &created, 201);
        if status != 201 {
            continue;
        }
        stored += 1;
        let id = id_of(&created);
        // The directory holds exactly the value, at the entry the id names.
        let entries = gw.slapd.entries(&format!("(entryUUID={id})"), &["uid", "title"]).await;
        assert_eq!(entries.len(), 1, "{value:?}");
        assert_eq!(entries[0].get("uid"), Some(&vec![value.to_string()]), "{value:?}");
        assert_eq!(entries[0].get("title"), Some(&vec![value.to_string()]), "{value:?}");
        // An exact filter finds it and only it; no value widens a filter.
        let filter = format!("userName eq {}", crate::support::json_string(value));
        let (status, found) = gw.get(&format!("/Users?filter={}", encoded(&filter))).await;
        assert_eq!((status, found["totalResults"].clone()), (200, json!(1)), "{value:?}: {found}");
        assert_eq!(found["Resources"][0]["id"], id, "{value:?}");
        let filter = format!("title co {}", crate::support::json_string(value));
        let (status, found) = gw.get(&format!("/Users?filter={}", encoded(&filter))).await;
        assert_eq!(status, 200, "{value:?}: {found}");
        let titles: Vec<&str> = found["Resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["title"].as_str())
            .collect();
        // LDAP ignores insignificant spaces (RFC 4518), so a value with outer spaces may match nothing;
        // it never matches more than values that contain it.
        assert!(titles.iter().all(|t| t.contains(value.trim())), "{value:?}: {titles:?}");
        assert!(!titles.is_empty() || value.trim() != value, "{value:?} finds itself");
        // The value as a PATCH filter value and as a path filter stays a literal.
        let patch = json!([{"op": "replace", "path": format!("emails[value eq {}].value", crate::support::json_string(value)), "value": "e@example.org"}]);
        let (status, body) = gw.patch(&format!("/Users/{id}"), patch).await;
        assert_refused_or(&format!("patch {value:?}"), status, &body, 200);
    }
    assert!(
        stored >= values.len() - 3,
        "most hostile values are storable: {stored} of {}",
        values.len()
    );
    let (status, all) = gw.get("/Users?count=0").await;
    assert_eq!((status, all["totalResults"].clone()), (200, json!(stored + 1)));
}

#[tokio::test]
async fn malformed_bodies_and_shapes_are_scim_errors() {
    let gw = Gateway::start_with(&[], &[("SCIM2LDAP__SERVER__MAX_BODY_BYTES", "262144")]).await;
    let id = gw.create_user(json!({"userName": "target"})).await;
    let raw = |method: Method, path: String, body: Vec<u8>| {
        gw.client
            .request(method, format!("{}/scim/v2{path}", gw.base))
            .bearer_auth(TOKEN)
            .header("content-type", "application/scim+json")
            .body(body)
            .send()
    };
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    let bodies: Vec<Vec<u8>> =
        vec![
        b"".to_vec(),
        b"{".to_vec(),
        b"null".to_vec(),
        b"\"text\"".to_vec(),
        vec![0xff, 0xfe, 0x7b, 0x7d],
        b"{\"userName\": \"a\\u0000b\", \"x\": }".to_vec(),
        format!("{{\"userName\": {deep}}}").into_bytes(),
        json!({"userName": 5}).to_string().into_bytes(),
        json!({"userName": ["a", "b"]}).to_string().into_bytes(),
        json!({"userName": {"nested": true}}).to_string().into_bytes(),
        json!({"userName": "shapes", "emails": "x"}).to_string().into_bytes(),
        json!({"userName": "shapes2", "name": "x"}).to_string().into_bytes(),
        json!({"userName": "shapes3", "emails": [{"type": "work", "value": {"deep": [1, 2]}}]}).to_string().into_bytes(),
        json!({"userName": "huge", "emails": (0..10_000).map(|i| json!({"type": "home", "value": format!("{i}@x")})).collect::<Vec<_>>()})
            .to_string()
            .into_bytes(),
        json!({"userName": "schemas", "schemas": "not-a-list"}).to_string().into_bytes(),
    ];
    for body in bodies {
        let shown = String::from_utf8_lossy(&body[..body.len().min(60)]).to_string();
        for (method, path) in [(Method::POST, "/Users".to_string()), (Method::PUT, format!("/Users/{id}"))] {
            let (status, answer) = read(raw(method.clone(), path, body.clone()).await.unwrap_or_else(|e| panic!("{e}"))).await;
            assert!(status < 500, "{method} {shown}: {status} {answer}");
            if status >= 400 {
                assert_eq!(answer["status"], status.to_string(), "{method} {shown}: {answer}");
            }
        }
    }
    let patches = [
        json!({}),
        json!({"Operations": "x"}),
        json!({"Operations": [{"op": "add"}]}),
        json!({"Operations": [{"op": "add", "path": 5, "value": "x"}]}),
        json!({"Operations": [{"op": "replace", "path": "emails[value eq \"*\" or value pr", "value": "x"}]}),
        json!({"Operations": [{"op": "replace", "path": "name.givenName.x.y", "value": "x"}]}),
        json!({"Operations": [{"op": "remove", "path": "members[value eq \"\\u0000\"]"}]}),
        json!({"Operations": (0..5000).map(|_| json!({"op": "replace", "path": "title", "value": "t"})).collect::<Vec<_>>()}),
    ];
    for patch in patches {
        let body = patch.to_string().into_bytes();
        let (status, answer) = read(
            raw(Method::PATCH, format!("/Users/{id}"), body)
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
        assert!(status < 500, "{patch}: {status} {answer}");
    }
    for filter in [
        "userName eq \"a\\u0000\"".to_string(),
        format!("userName eq \"{}\"", "x".repeat(20_000)),
        "(".repeat(1000),
        "not ".repeat(1000) + "userName pr",
        "emails[emails[value eq \"a\"]]".to_string(),
    ] {
        let (status, answer) = gw.get(&format!("/Users?filter={}", encoded(&filter))).await;
        assert!((400..500).contains(&status) || status == 200, "{status} {answer}");
    }
    let (status, _) = gw.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 200, "the gateway still serves");
}
