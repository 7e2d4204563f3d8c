//! The mapping compiler on any YAML: a mapping or an error naming a line, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scim2ldap::mapping::compile_str;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = compile_str(text, "fuzz.yaml", "dc=example,dc=org");
    }
});
