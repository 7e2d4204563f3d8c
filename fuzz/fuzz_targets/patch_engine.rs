//! The PATCH engine on arbitrary JSON: a resource and a PatchOp body, both from the input, applied
//! with the shipped mapping's User schema. An error or a result, never a panic.
#![no_main]

mod shipped;

use libfuzzer_sys::fuzz_target;
use scim2ldap::scim::patch::{apply, normalize, PatchRequest};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    // The input is a resource and a PatchOp, separated by a NUL byte.
    let mut parts = data.splitn(2, |b| *b == 0);
    let (Some(resource), Some(ops)) = (parts.next(), parts.next()) else {
        return;
    };
    let Ok(Value::Object(resource)) = serde_json::from_slice::<Value>(resource) else {
        return;
    };
    let Ok(request) = serde_json::from_slice::<PatchRequest>(ops) else {
        return;
    };
    let schema = &shipped::mapping().users.schema;
    let Ok(mut resource) = normalize(&resource, schema) else { return };
    let _ = apply(&mut resource, &request.operations, schema);
});
