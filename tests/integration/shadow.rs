//! Shadow mode: one IdP cycle (Entra's shapes) against a live gateway and a shadow gateway, each on
//! its own slapd with the same data. Step by step both must answer the same (ids aside: the shadow's
//! are made up), the shadow's directory must stay unchanged, a shadow restarted from the plan must
//! answer as before, and the plan applied with `ldapmodify` must give the live directory's users
//! and groups.

use std::collections::BTreeMap;

use pretty_assertions::assert_eq;
use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::support::{body_text, path_str, read_text, Gateway, Slapd, ENTERPRISE, TOKEN};

const DATA: &str = "tests/fixtures/ldif/sample-users.ldif";

/// The same requests to both gateways, answers compared.
struct Twins {
    live: Gateway,
    shadow: Gateway,
    /// Live id → shadow id, learned from answers that name the same resource.
    ids: Vec<(String, String)>,
}

/// The settings of a shadow gateway that writes its plan to `plan`.
fn shadow_settings(plan: &str) -> [(&'static str, &str); 2] {
    [("SCIM2LDAP__MODE", "shadow"), ("SCIM2LDAP__SHADOW__PLAN", plan)]
}

impl Twins {
    /// A live gateway and a shadow one (writing its plan to `plan`), each on a slapd of its own
    /// loaded with `data`.
    async fn start(data: &[&str], plan: &str) -> Twins {
        let settings = shadow_settings(plan);
        let (live, shadow) = tokio::join!(Gateway::start_with(data, &[]), Gateway::start_with(data, &settings));
        Twins {
            live,
            shadow,
            ids: Vec::new(),
        }
    }

    fn to_shadow(&self, text: &str) -> String {
        self.ids.iter().fold(text.to_string(), |t, (live, shadow)| t.replace(live, shadow))
    }

    fn to_live(&self, text: &str) -> String {
        self.ids.iter().fold(text.to_string(), |t, (live, shadow)| t.replace(shadow, live))
    }

    /// Sends `method path body` (written with live ids) to both; asserts the same status and answer;
    /// answers the live one.
    async fn step(&mut self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let shadow_body = body
            .as_ref()
            .map(|b| serde_json::from_str::<Value>(&self.to_shadow(&b.to_string())).unwrap_or_else(|e| panic!("{e}")));
        let (live_status, live) = self.live.call(method.clone(), path, body).await;
        let (shadow_status, shadow) = self.shadow.call(method.clone(), &self.to_shadow(path), shadow_body).await;
        self.learn(&live, &shadow);
        let shadow_as_live = serde_json::from_str::<Value>(&self.to_live(&shadow.to_string())).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (live_status, comparable(&live, &self.live.base)),
            (shadow_status, comparable(&shadow_as_live, &self.shadow.base)),
            "{method} {path}: the live gateway (left) and the shadow (right) answer differently"
        );
        (live_status, live)
    }

    /// Pairs the ids of resources both answers name the same (by userName or displayName).
    fn learn(&mut self, live: &Value, shadow: &Value) {
        let named = |answer: &Value| -> Vec<(String, String)> {
            let resources = match answer.get("Resources") {
                Some(Value::Array(all)) => all.clone(),
                _ => vec![answer.clone()],
            };
            resources
                .iter()
                .filter_map(|r| Some((name_of(r)?, r.get("id")?.as_str()?.to_string())))
                .collect()
        };
        let shadow_named = named(shadow);
        for (name, live_id) in named(live) {
            let Some((_, shadow_id)) = shadow_named.iter().find(|(n, _)| *n == name) else {
                continue;
            };
            if !self.ids.iter().any(|(l, _)| *l == live_id) {
                self.ids.push((live_id, shadow_id.clone()));
            }
        }
    }
}

fn name_of(resource: &Value) -> Option<String> {
    resource
        .get("userName")
        .or_else(|| resource.get("displayName"))
        .and_then(Value::as_str)
        .map(str::to_lowercase)
}

/// An answer without what differs between any two directories: times and versions, the gateway's
/// own address, an error's wording (its status and scimType stay); lists in a fixed order.
fn comparable(answer: &Value, base: &str) -> Value {
    let mut value: Value = serde_json::from_str(&answer.to_string().replace(base, "BASE")).unwrap_or_else(|e| panic!("{e}"));
    if value["schemas"][0] == "urn:ietf:params:scim:api:messages:2.0:Error" {
        if let Some(error) = value.as_object_mut() {
            error.remove("detail");
        }
    }
    normalize(&mut value);
    value
}

fn normalize(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let Some(Value::Object(meta)) = object.get_mut("meta") {
                for varying in ["created", "lastModified", "version"] {
                    meta.remove(varying);
                }
            }
            for (_, inner) in object.iter_mut() {
                normalize(inner);
            }
            if let Some(Value::Array(resources)) = object.get_mut("Resources") {
                resources.sort_by_key(|r| name_of(r).unwrap_or_default()); // a sort key only
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                normalize(item);
            }
            if items.iter().all(|i| i.get("value").is_some()) {
                items.sort_by_key(|i| i["value"].to_string());
            }
        }
        _ => {}
    }
}

/// The users and groups of a directory, as comparable text: every user attribute but the password,
/// plus the operational ones the gateway writes or reads (lock, memberships), values sorted.
async fn people_and_groups(directory: &Slapd) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let mut all = BTreeMap::new();
    let filter = "(|(objectClass=inetOrgPerson)(objectClass=groupOfNames))";
    for entry in directory
        .entries(filter, &["*", "pwdAccountLockedTime", "memberOf", "entryDN"])
        .await
    {
        let dn = entry
            .get("entrydn")
            .and_then(|d| d.first())
            .map(|d| d.to_lowercase())
            .unwrap_or_else(|| panic!("no entryDN in {entry:?}"));
        let attrs: BTreeMap<String, Vec<String>> = entry
            .into_iter()
            // Passwords never reach the plan: the IdP sets them at its next cycle.
            .filter(|(name, _)| name != "entrydn" && name != "userpassword")
            .map(|(name, mut values)| {
                values.sort();
                (name, values)
            })
            .collect();
        all.insert(dn, attrs);
    }
    all
}

/// Everything in a directory with operational attributes, to show it unchanged.
async fn everything(directory: &Slapd) -> Vec<String> {
    let mut all: Vec<String> = directory
        .entries("(objectClass=*)", &["*", "+"])
        .await
        .into_iter()
        .map(|e| format!("{:?}", e.into_iter().collect::<BTreeMap<_, _>>()))
        .collect();
    all.sort();
    all
}

fn ldapmodify(directory: &Slapd, plan: &std::path::Path) {
    let output = std::process::Command::new("ldapmodify")
        .args([
            "-x",
            "-H",
            &directory.url,
            "-D",
            &directory.bind_dn,
            "-w",
            &directory.password,
            "-f",
        ])
        .arg(plan)
        .output()
        .unwrap_or_else(|e| panic!("cannot run ldapmodify (ldap-utils): {e}"));
    assert!(
        output.status.success(),
        "ldapmodify -f plan failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        std::fs::read_to_string(plan).unwrap_or_else(|e| format!("(plan unreadable: {e})"))
    );
}

fn id_of(answer: &Value) -> String {
    answer["id"].as_str().unwrap_or_else(|| panic!("no id in {answer}")).to_string()
}

fn filter_by_user_name(name: &str) -> String {
    format!("/Users?filter=userName%20eq%20%22{}%22", name.replace('@', "%40"))
}

fn entra_user(name: &str, given: &str, family: &str, employee: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "externalId": format!("aad-{given}"),
        "userName": name,
        "active": true,
        "displayName": format!("{given} {family}"),
        "emails": [{"primary": true, "type": "work", "value": name}],
        "name": {"formatted": format!("{given} {family}"), "familyName": family, "givenName": given},
        ENTERPRISE: {"employeeNumber": employee, "department": "R&D"}
    })
}

/// A second shadow gateway over the same directory and plan: a restart.
async fn restarted(twins: &Twins, settings: &[(&str, &str)]) -> (String, tokio::sync::oneshot::Sender<()>, reqwest::Client) {
    let config = Gateway::config(&twins.shadow.slapd, settings).unwrap_or_else(|e| panic!("config: {e}"));
    let app = scim2ldap::app::build(&config).await.unwrap_or_else(|e| panic!("build: {e}"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("addr: {e}"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(scim2ldap::http::serve(listener, app, async move {
        let _ = stopped.await;
    }));
    (format!("http://{addr}"), stop, reqwest::Client::new())
}

async fn get(client: &reqwest::Client, base: &str, path: &str) -> (u16, Value) {
    let response = client
        .get(format!("{base}/scim/v2{path}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    crate::support::read(response).await
}

#[tokio::test]
async fn a_shadow_gateway_answers_as_the_live_one_writes_nothing_and_its_plan_reproduces_the_live_directory() {
    let plan_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let plan = plan_dir.path().join("plan.ldif");
    let plan_setting = path_str(&plan).to_string();
    let mut twins = Twins::start(&[DATA], &plan_setting).await;
    let untouched = everything(&twins.shadow.slapd).await;

    // Test Connection: a user that cannot exist.
    let (status, _) = twins
        .step(Method::GET, &filter_by_user_name("c7b0a3a4-1f1e-4d0a-9c7e-2a1b1e2f3a4b"), None)
        .await;
    assert_eq!(status, 200);
    // Matching an existing user by userName, then bringing it up to date.
    let (_, matched) = twins.step(Method::GET, &filter_by_user_name("bjensen"), None).await;
    let bjensen = id_of(&matched["Resources"][0]);
    let (status, _) = twins
        .step(
            Method::PATCH,
            &format!("/Users/{bjensen}"),
            Some(patch(json!([{"op": "Replace", "path": "displayName", "value": "Barbara J."},
                {"op": "Add", "path": "externalId", "value": "aad-barbara"}]))),
        )
        .await;
    assert_eq!(status, 200);

    // Creates, one with a manager.
    let (_, probe) = twins.step(Method::GET, &filter_by_user_name("grace@example.org"), None).await;
    assert_eq!(probe["totalResults"], 0);
    let mut grace = entra_user("grace@example.org", "Grace", "Hopper", "1001");
    grace[ENTERPRISE]["manager"] = json!({"value": bjensen});
    let (status, created) = twins.step(Method::POST, "/Users", Some(grace)).await;
    assert_eq!(status, 201, "{created}");
    let grace = id_of(&created);
    let (status, created) = twins
        .step(
            Method::POST,
            "/Users",
            Some(entra_user("ada@example.org", "Ada", "Lovelace", "1002")),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let ada = id_of(&created);
    let (status, _) = twins
        .step(Method::POST, "/Users", Some(entra_user("ada@example.org", "Ada", "Again", "1003")))
        .await;
    assert_eq!(status, 409, "a userName taken by a user the shadow created");
    let (_, found) = twins.step(Method::GET, &filter_by_user_name("ada@example.org"), None).await;
    assert_eq!(found["totalResults"], 1, "{found}");
    twins.step(Method::GET, &format!("/Users/{ada}"), None).await;

    // PATCHes in Entra's shapes: the manager as a bare id, attributes, a rename.
    let ada_path = format!("/Users/{ada}");
    let (status, _) = twins
        .step(
            Method::PATCH,
            &ada_path,
            Some(patch(
                json!([{"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": grace}]),
            )),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = twins
        .step(
            Method::PATCH,
            &ada_path,
            Some(patch(json!([
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ada.lovelace@example.org"},
                {"op": "Replace", "path": "name.familyName", "value": "King"},
                {"op": "Add", "path": "title", "value": "Countess"}
            ]))),
        )
        .await;
    assert_eq!(status, 200);
    let (status, renamed) = twins
        .step(
            Method::PATCH,
            &ada_path,
            Some(patch(
                json!([{"op": "Replace", "path": "userName", "value": "ada.lovelace@example.org"}]),
            )),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    let (_, old_name) = twins.step(Method::GET, &filter_by_user_name("ada@example.org"), None).await;
    assert_eq!(old_name["totalResults"], 0, "renamed away: {old_name}");
    twins
        .step(Method::GET, &filter_by_user_name("ada.lovelace@example.org"), None)
        .await;
    twins.step(Method::GET, &format!("/Users/{grace}"), None).await;

    // An empty group, then members; an unknown member; a member removal.
    let (_, probe) = twins
        .step(
            Method::GET,
            "/Groups?excludedAttributes=members&filter=displayName%20eq%20%22Analysts%22",
            None,
        )
        .await;
    assert_eq!(probe["totalResults"], 0);
    let (status, group) = twins
        .step(
            Method::POST,
            "/Groups",
            Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Analysts", "externalId": "aad-g1", "members": []})),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let group_path = format!("/Groups/{}", id_of(&group));
    let (status, _) = twins
        .step(
            Method::PATCH,
            &group_path,
            Some(patch(
                json!([{"op": "Add", "path": "members", "value": [{"value": ada}, {"value": grace}, {"value": bjensen}]}]),
            )),
        )
        .await;
    assert!(status == 200 || status == 204, "{status}");
    let (status, _) = twins
        .step(
            Method::PATCH,
            &group_path,
            Some(patch(
                json!([{"op": "Add", "path": "members", "value": [{"value": "00000000-0000-4000-8000-000000000000"}]}]),
            )),
        )
        .await;
    assert_eq!(status, 400, "an unknown member");
    let (status, _) = twins
        .step(
            Method::PATCH,
            &group_path,
            Some(patch(json!([{"op": "Remove", "path": "members", "value": [{"value": grace}]}]))),
        )
        .await;
    assert!(status == 200 || status == 204, "{status}");
    twins.step(Method::GET, &group_path, None).await;
    twins.step(Method::GET, &ada_path, None).await;

    // A deactivation (Entra sends a string), then a delete.
    let (status, _) = twins
        .step(
            Method::PATCH,
            &ada_path,
            Some(patch(json!([{"op": "Replace", "path": "active", "value": "False"}]))),
        )
        .await;
    assert_eq!(status, 200);
    let (_, inactive) = twins.step(Method::GET, &ada_path, None).await;
    assert_eq!(inactive["active"], false, "{inactive}");
    let (status, _) = twins.step(Method::DELETE, &format!("/Users/{bjensen}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = twins.step(Method::GET, &format!("/Users/{bjensen}"), None).await;
    assert_eq!(status, 404, "gone");
    twins.step(Method::GET, &filter_by_user_name("bjensen"), None).await;
    twins.step(Method::GET, &group_path, None).await;
    twins.step(Method::GET, &format!("/Users/{grace}"), None).await;
    // Full listings, one page and page by page.
    let (_, users) = twins.step(Method::GET, "/Users", None).await;
    assert_eq!(users["totalResults"], 3, "{users}");
    // Pages come in id order, and the shadow's ids are not the directory's: the same users, in pages.
    let mut paged: Vec<String> = Vec::new();
    for start in [1, 3] {
        let (_, page) = twins.shadow.get(&format!("/Users?startIndex={start}&count=2")).await;
        assert_eq!(page["totalResults"], 3, "{page}");
        paged.extend(page["Resources"].as_array().into_iter().flatten().filter_map(name_of));
    }
    paged.sort();
    let mut listed: Vec<String> = users["Resources"].as_array().into_iter().flatten().filter_map(name_of).collect();
    listed.sort();
    assert_eq!(paged, listed);
    twins.step(Method::GET, "/Groups", None).await;

    assert_eq!(
        everything(&twins.shadow.slapd).await,
        untouched,
        "the shadow's directory is unchanged"
    );
    let text = std::fs::read_to_string(&plan).unwrap_or_else(|e| panic!("{e}"));
    assert!(text.contains("# POST /scim/v2/Users by env (request "), "{text}");
    let summary = scim2ldap::ldap::plan::Summary::of_text(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (summary.adds, summary.renames, summary.deactivations, summary.deletes),
        (3, 1, 1, 1),
        "{text}"
    );
    let metrics = twins.shadow.raw(Method::GET, "/metrics", None, None).await;
    let metrics = body_text(metrics).await;
    for (change, count) in [
        ("add", summary.adds),
        ("modify", summary.modifies),
        ("deactivation", 1),
        ("delete", 1),
    ] {
        let line = format!("scim2ldap_shadow_plan_changes{{target=\"\",change=\"{change}\"}} {count}");
        assert!(metrics.contains(&line), "{line} in:\n{metrics}");
    }

    // A restarted shadow replays its plan: the same ids, the same answers.
    let shadow_grace = twins.to_shadow(&grace);
    let (_, before) = twins.shadow.get(&format!("/Users/{shadow_grace}")).await;
    let (base, stop, client) = restarted(&twins, &shadow_settings(&plan_setting)).await;
    let (status, after) = get(&client, &base, &format!("/Users/{shadow_grace}")).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(comparable(&after, &base), comparable(&before, &twins.shadow.base));
    let (_, gone) = get(&client, &base, &filter_by_user_name("bjensen")).await;
    assert_eq!(gone["totalResults"], 0, "{gone}");
    let _ = stop.send(());
    assert_eq!(read_text(&plan), text, "a replay appends nothing");

    // The plan, applied to the unchanged directory, gives what the live gateway wrote.
    ldapmodify(&twins.shadow.slapd, &plan);
    assert_eq!(
        people_and_groups(&twins.shadow.slapd).await,
        people_and_groups(&twins.live.slapd).await
    );
}

fn patch(ops: Value) -> Value {
    let mut body = Map::new();
    body.insert("schemas".into(), json!(["urn:ietf:params:scim:api:messages:2.0:PatchOp"]));
    body.insert("Operations".into(), ops);
    Value::Object(body)
}

#[tokio::test]
async fn a_full_shadow_answers_writes_with_503_and_keeps_answering_reads() {
    let plan_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let plan = plan_dir.path().join("plan.ldif");
    let settings = [
        ("SCIM2LDAP__MODE", "shadow"),
        ("SCIM2LDAP__SHADOW__PLAN", path_str(&plan)),
        ("SCIM2LDAP__SHADOW__MAX_ENTRIES", "1"),
    ];
    let gw = Gateway::start_with(&[DATA], &settings).await;
    let ada = gw.create_user(json!({"userName": "ada"})).await;
    let (status, refused) = gw.post("/Users", json!({"userName": "grace"})).await;
    crate::support::assert_scim_error(status, &refused, 503, None);
    let (status, found) = gw.get(&format!("/Users/{ada}")).await;
    assert_eq!((status, found["userName"].clone()), (200, json!("ada")));
    assert!(gw.slapd.find("(uid=ada)").await.is_empty(), "nothing written");
}

/// Okta's shapes: the exists-check with paging, a create with a password, a full PUT, pathless
/// deactivation and reactivation, group push by `replace` of members and removal by filter, import.
#[tokio::test]
async fn okta_s_cycle_is_answered_alike_and_its_plan_holds_no_password() {
    let plan_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let plan = plan_dir.path().join("plan.ldif");
    let plan_setting = path_str(&plan).to_string();
    let mut twins = Twins::start(&[DATA], &plan_setting).await;
    let untouched = everything(&twins.shadow.slapd).await;
    let name = "okta.user@example.org";
    let (_, probe) = twins
        .step(Method::GET, &format!("{}&startIndex=1&count=100", filter_by_user_name(name)), None)
        .await;
    assert_eq!(probe["totalResults"], 0);
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
        "name": {"givenName": "Okta", "familyName": "User"}, "emails": [{"primary": true, "value": name, "type": "work"}],
        "displayName": "Okta User", "active": true, "password": "Placeholder-1!x"});
    let (status, created) = twins.step(Method::POST, "/Users", Some(user)).await;
    assert_eq!(status, 201, "{created}");
    let id = id_of(&created);
    let path = format!("/Users/{id}");
    let (_, mut full) = twins.step(Method::GET, &path, None).await;
    full["title"] = json!("Engineer");
    if let Some(resource) = full.as_object_mut() {
        resource.remove("meta");
    }
    let (status, _) = twins.step(Method::PUT, &path, Some(full)).await;
    assert_eq!(status, 200);
    for active in [false, true] {
        let (status, _) = twins
            .step(
                Method::PATCH,
                &path,
                Some(patch(json!([{"op": "replace", "value": {"active": active}}]))),
            )
            .await;
        assert_eq!(status, 200);
    }
    let (_, jsmith) = twins.step(Method::GET, &filter_by_user_name("jsmith"), None).await;
    let jsmith = id_of(&jsmith["Resources"][0]);
    let (status, group) = twins
        .step(
            Method::POST,
            "/Groups",
            Some(json!({"displayName": "Okta Group", "members": [{"value": id}]})),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let group_path = format!("/Groups/{}", id_of(&group));
    let replaced = json!([{"op": "replace", "path": "members", "value": [{"value": id}, {"value": jsmith}]}]);
    let (status, _) = twins.step(Method::PATCH, &group_path, Some(patch(replaced))).await;
    assert!(status == 200 || status == 204, "{status}");
    let removal = json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}]);
    let (status, _) = twins.step(Method::PATCH, &group_path, Some(patch(removal))).await;
    assert!(status == 200 || status == 204, "{status}");
    twins.step(Method::GET, &group_path, None).await;
    twins.step(Method::GET, &path, None).await;
    let (_, imported) = twins.step(Method::GET, "/Users?startIndex=1&count=100", None).await;
    assert_eq!(imported["totalResults"], 3, "{imported}");
    twins.step(Method::GET, "/Groups?startIndex=1&count=100", None).await;

    assert_eq!(
        everything(&twins.shadow.slapd).await,
        untouched,
        "the shadow's directory is unchanged"
    );
    let text = std::fs::read_to_string(&plan).unwrap_or_else(|e| panic!("{e}"));
    assert!(!text.contains("Placeholder-1!x"), "{text}");
    assert!(text.contains(scim2ldap::ldap::plan::PASSWORD_NOTE), "{text}");
    ldapmodify(&twins.shadow.slapd, &plan);
    assert_eq!(
        people_and_groups(&twins.shadow.slapd).await,
        people_and_groups(&twins.live.slapd).await
    );
}

/// The user names of every page of `/Users` (pages of 100), checking each page's total.
async fn paged_user_names(gw: &Gateway, total: usize) -> Vec<String> {
    let mut names = Vec::new();
    for start in (1..=total).step_by(100) {
        let (status, page) = gw.get(&format!("/Users?startIndex={start}&count=100")).await;
        assert_eq!(
            (status, page["totalResults"].clone()),
            (200, json!(total)),
            "page at {start}: {page}"
        );
        names.extend(page["Resources"].as_array().into_iter().flatten().filter_map(name_of));
    }
    names.sort();
    names
}

/// Beyond the one-search size (1,000), listings page over the directory: in shadow mode they are
/// read by id once it holds changes, with the same totals and, page by page, the same users.
#[tokio::test]
async fn large_listings_over_a_shadow_count_and_page_its_changes() {
    let data_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = data_dir.path().join("many.ldif");
    std::fs::write(&data, crate::support::people_ldif("p", 1100)).unwrap_or_else(|e| panic!("{e}"));
    let data = [path_str(&data)];
    let plan = data_dir.path().join("plan.ldif");
    let plan_setting = path_str(&plan).to_string();
    let mut twins = Twins::start(&data, &plan_setting).await;
    let (status, _) = twins.step(Method::POST, "/Users", Some(json!({"userName": "newcomer"}))).await;
    assert_eq!(status, 201);
    let (_, leaver) = twins.step(Method::GET, &filter_by_user_name("p7"), None).await;
    let (status, _) = twins
        .step(Method::DELETE, &format!("/Users/{}", id_of(&leaver["Resources"][0])), None)
        .await;
    assert_eq!(status, 204);
    twins.step(Method::GET, &filter_by_user_name("newcomer"), None).await;
    let live_names = paged_user_names(&twins.live, 1100).await;
    let shadow_names = paged_user_names(&twins.shadow, 1100).await;
    assert_eq!(shadow_names.len(), 1100, "no user twice, none missing");
    assert_eq!(shadow_names, live_names);
    assert!(shadow_names.contains(&"newcomer".to_string()) && !shadow_names.contains(&"p7".to_string()));
}
