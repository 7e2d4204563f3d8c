//! The RFC 7644 filter parser and its translation to LDAP on any text: an error or a filter, never a
//! panic; a filter that parses renders to an LDAP filter that parses too.
#![no_main]

mod shipped;

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use scim2ldap::mapping::filter::to_ldap_filter;
use scim2ldap::scim::filter;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(parsed) = filter::parse(text) else { return };
    let refs: HashMap<String, String> = HashMap::new();
    if let Ok(ldap) = to_ldap_filter(&shipped::mapping().users, &parsed, &refs) {
        let rendered = ldap.to_string();
        assert!(rendered.starts_with('(') && rendered.ends_with(')'), "{rendered}");
    }
});
