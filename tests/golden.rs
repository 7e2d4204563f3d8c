//! Golden tests of mapping translation in both directions, on every shipped mapping (no directory).
//! Review changes with `cargo insta review`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::Path;

use scim2ldap::ldap::Entry;
use scim2ldap::mapping::filter::to_ldap_filter;
use scim2ldap::mapping::from_ldap::from_ldap;
use scim2ldap::mapping::to_ldap::{new_entry, to_ldap};
use scim2ldap::mapping::{load, Mapping, RefTarget, ResourceKind, ResourceMapping};
use scim2ldap::scim::{filter, patch};
use serde_json::{Map, Value};

const BASE_DN: &str = "dc=example,dc=org";

fn openldap() -> Mapping {
    load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/mappings/openldap.yaml")), BASE_DN).unwrap()
}

#[test]
fn every_shipped_mapping_loads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings");
    let mut loaded = 0;
    for dir in [root.clone(), root.join("examples")] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                load(&path, BASE_DN).unwrap_or_else(|e| panic!("{e}"));
                loaded += 1;
            }
        }
    }
    assert!(loaded >= 8, "{loaded}");
}

/// Each cookbook mapping with its fixture (`tests/golden/examples/<name>.json`): the user as the IdP
/// sends it becomes an entry, that entry reads back as SCIM, and the fixture's filters translate.
#[test]
fn cookbook_examples_translate_both_ways() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for entry in std::fs::read_dir(root.join("mappings/examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let mapping = load(&path, BASE_DN).unwrap();
        let users = &mapping.users;
        let fixture = root.join(format!("tests/golden/examples/{name}.json"));
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(&fixture).unwrap_or_else(|e| panic!("{}: {e}", fixture.display()))).unwrap();
        let sent = patch::normalize(doc["user"].as_object().unwrap(), &users.schema).unwrap();
        let attrs = to_ldap(users, &sent, &HashMap::new()).unwrap();
        let (dn, mut stored) = new_entry(users, &attrs, users.parent_for(&sent)).unwrap();
        // What the directory and the service add: the id, timestamps, and allocated numbers (the first
        // of each range on an empty directory).
        stored.push(("entryUUID".into(), vec!["6f1f6a1e-0000-4000-8000-000000000001".into()]));
        stored.push(("createTimestamp".into(), vec!["20261125010203Z".into()]));
        stored.extend(users.allocate.iter().map(|a| (a.ldap.clone(), vec![a.from.to_string()])));
        stored.sort();
        let entry = Entry::from_parts(dn.clone(), stored.iter().cloned().collect());
        let read_back = from_ldap(users, &entry, &HashMap::new(), "https://scim.example.org/scim/v2");
        assert!(
            read_back["userName"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case(sent["userName"].as_str().unwrap()),
            "{name}: userName must read back as sent"
        );
        let filters: Vec<String> = doc["filters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let f = f.as_str().unwrap();
                let translated = filter::parse(f)
                    .map_err(|e| e.to_string())
                    .and_then(|parsed| to_ldap_filter(users, &parsed, &HashMap::new()).map_err(|e| e.to_string()));
                match translated {
                    Ok(ldap) => format!("{f} => {ldap}"),
                    Err(e) => format!("{f} => error: {e}"),
                }
            })
            .collect();
        insta::assert_yaml_snapshot!(format!("example-{name}"), (dn, stored, Value::Object(read_back), filters));
        checked += 1;
    }
    assert_eq!(checked, 6);
}

#[test]
fn scim_to_ldap() {
    let mapping = openldap();
    insta::glob!("golden/to_ldap/*.json", |path| {
        let body: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let resource = patch::normalize(body.as_object().unwrap(), &mapping.users.schema).unwrap();
        let refs: HashMap<String, String> = [("manager-id".to_string(), "uid=boss,ou=people,dc=example,dc=org".to_string())].into();
        let attrs = to_ldap(&mapping.users, &resource, &refs).unwrap();
        let (dn, mut entry) = new_entry(&mapping.users, &attrs, mapping.users.parent_for(&resource)).unwrap();
        entry.sort();
        insta::assert_yaml_snapshot!((dn, entry));
    });
}

#[test]
fn ldap_to_scim() {
    let mapping = openldap();
    insta::glob!("golden/from_ldap/*.json", |path| {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let attrs: HashMap<String, Vec<String>> = serde_json::from_value(doc["attrs"].clone()).unwrap();
        let entry = Entry::from_parts(doc["dn"].as_str().unwrap().to_string(), attrs);
        let boss = RefTarget {
            id: "boss-id".to_string(),
            kind: ResourceKind::User,
        };
        let refs: HashMap<String, RefTarget> = [("uid=boss,ou=people,dc=example,dc=org".to_string(), boss)].into();
        let resource: Map<String, Value> = from_ldap(&mapping.users, &entry, &refs, "https://scim.example.org/scim/v2");
        insta::assert_json_snapshot!(Value::Object(resource));
    });
}

#[test]
fn scim_filters_to_ldap_filters() {
    let mapping = openldap();
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/filters.txt")).unwrap();
    let refs: HashMap<String, String> = [("boss-id".to_string(), "uid=boss,ou=people,dc=example,dc=org".to_string())].into();
    let translated: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let result = filter::parse(line)
                .map_err(|e| e.to_string())
                .and_then(|f| to_ldap_filter(&mapping.users, &f, &refs).map_err(|e| e.to_string()));
            match result {
                Ok(ldap) => format!("{line}\n  => {ldap}"),
                Err(e) => format!("{line}\n  => error: {e}"),
            }
        })
        .collect();
    insta::assert_snapshot!(translated.join("\n"));
}

/// The text between the first pair of backticks in a table cell.
fn backticked(cell: &str) -> Option<&str> {
    let start = cell.find('`')? + 1;
    let len = cell[start..].find('`')?;
    Some(&cell[start..start + len])
}

/// Which LDAP attribute a resource mapping stores a SCIM attribute in, if any. A reference may be
/// named with or without its `.value`.
fn ldap_attribute_of(m: &ResourceMapping, scim: &str) -> Option<String> {
    let wanted = scim.to_ascii_lowercase();
    if wanted == "active" {
        return m.active.as_ref().map(|a| a.attribute().to_string());
    }
    m.attrs
        .iter()
        .find(|a| {
            let path = a.scim_path().to_ascii_lowercase();
            path == wanted || path == format!("{wanted}.value")
        })
        .map(|a| a.ldap.clone())
}

/// A table being read in a guide: its SCIM column, and each mapping column with its file and mapping.
type DocTable = (Option<usize>, Vec<(usize, String, Mapping)>);

#[test]
fn docs_tables_match_the_shipped_mappings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut table: Option<DocTable> = None;
        // Tables under a heading that says "(groups)" describe groups; the others users.
        let mut groups = false;
        for (number, line) in text.lines().enumerate() {
            let at = format!("{}:{}", path.display(), number + 1);
            if line.starts_with('#') {
                groups = line.contains("(groups)");
            }
            if !line.trim_start().starts_with('|') {
                table = None;
                continue;
            }
            let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
            if cells.iter().all(|c| c.chars().all(|ch| ch == '-' || ch == ':')) {
                continue;
            }
            let Some((scim_column, mappings)) = &table else {
                let scim_column = cells.iter().position(|c| c.contains("SCIM attribute"));
                let mappings = cells
                    .iter()
                    .enumerate()
                    .filter_map(|(i, c)| backticked(c).filter(|f| f.starts_with("mappings/")).map(|f| (i, f)))
                    .map(|(i, file)| {
                        (
                            i,
                            file.to_string(),
                            load(&root.join(file), BASE_DN).unwrap_or_else(|e| panic!("{at}: {e}")),
                        )
                    })
                    .collect();
                table = Some((scim_column, mappings));
                continue;
            };
            let Some(scim_column) = scim_column else { continue };
            let scim = backticked(cells[*scim_column]).unwrap_or_else(|| panic!("{at}: no `SCIM attribute` in the row"));
            for (column, file, mapping) in mappings {
                let resource = if groups { mapping.groups.as_ref() } else { Some(&mapping.users) };
                let stored = resource.and_then(|m| ldap_attribute_of(m, scim));
                match backticked(cells[*column]) {
                    Some(ldap) => assert!(
                        stored.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(ldap)),
                        "{at}: the guide says {file} stores {scim} in {ldap}; the mapping stores it in {stored:?}"
                    ),
                    None => assert_eq!(stored, None, "{at}: the guide says {file} does not store {scim}"),
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 100, "only {checked} table cells checked");
}

#[test]
fn the_sample_kubernetes_configuration_loads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("docker/kubernetes.yaml")).unwrap();
    let embedded: String = manifest
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("scim2ldap.yaml: |"))
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .map(|l| format!("{}\n", &l[4..]))
        .collect();
    assert!(embedded.contains("ldap:"), "{embedded}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scim2ldap.yaml");
    std::fs::write(&file, embedded).unwrap();
    let env = vec![("SCIM2LDAP__LDAP__BIND_PASSWORD".to_string(), "secret".to_string())];
    let config = scim2ldap::config::Config::load_from(Some(&file), env);
    assert!(config.is_ok(), "{:?}", config.err());
}
