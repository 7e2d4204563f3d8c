//! The PATCH path parser on any text: a path or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scim2ldap::scim::path::PatchPath;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = PatchPath::parse(text);
    }
});
