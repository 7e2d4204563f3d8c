//! The RFC 7644 filter parser and its translation to LDAP on any text: an error or a filter, never a
//! panic; a filter that parses renders to an LDAP filter that parses too.
#![no_main]

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scim2ldap::mapping::filter::to_ldap_filter;
use scim2ldap::mapping::{load, Mapping};
use scim2ldap::scim::filter;

fn mapping() -> &'static Mapping {
    static MAPPING: OnceLock<Mapping> = OnceLock::new();
    MAPPING.get_or_init(|| {
        load(
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../mappings/openldap.yaml")),
            "dc=example,dc=org",
        )
        .unwrap_or_else(|e| panic!("{e}"))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(parsed) = filter::parse(text) else { return };
    let refs: HashMap<String, String> = HashMap::new();
    if let Ok(ldap) = to_ldap_filter(&mapping().users, &parsed, &refs) {
        let rendered = ldap.to_string();
        assert!(rendered.starts_with('(') && rendered.ends_with(')'), "{rendered}");
    }
});
