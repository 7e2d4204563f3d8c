//! The shipped OpenLDAP mapping, loaded once for every run of a target.

use std::path::Path;
use std::sync::OnceLock;

use scim2ldap::mapping::{load, Mapping};

pub fn mapping() -> &'static Mapping {
    static MAPPING: OnceLock<Mapping> = OnceLock::new();
    MAPPING.get_or_init(|| {
        load(
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../mappings/openldap.yaml")),
            "dc=example,dc=org",
        )
        .unwrap_or_else(|e| panic!("{e}"))
    })
}
