//! Attributes a client sends that this service provider does not store (not in its /Schemas:
//! `nickName`, Okta's `locale`, an undeclared extension). One rule for POST, PUT and PATCH: ignored
//! (RFC 7644 §3.3 lets a server ignore what it does not support), and logged the first time each
//! name is seen; or, where the configuration asks for it, refused with 400.

use std::collections::HashSet;
use std::sync::Mutex;

use super::error::ScimType;
use super::patch::PatchError;
use super::schema::ResourceSchema;

/// Names logged so far; bounded, as every client's typos would otherwise accumulate.
static LOGGED: Mutex<Option<HashSet<String>>> = Mutex::new(None);
const MAX_LOGGED: usize = 256;

/// What an attribute this service provider does not store does: `Ok` (ignored) or, with
/// `refuse_unmapped`, the error naming it (`invalidPath` for a PATCH path, `invalidValue` in a body).
pub fn unmapped(schema: &ResourceSchema, name: &str, in_path: bool) -> Result<(), PatchError> {
    // Okta sends a random placeholder password on every create; where passwords are not written
    // it is never the client's mistake.
    if name.eq_ignore_ascii_case("password") {
        return Ok(());
    }
    if schema.refuse_unmapped {
        let scim_type = if in_path { ScimType::InvalidPath } else { ScimType::InvalidValue };
        return Err(PatchError::new(
            scim_type,
            format!("attribute '{name}' is not stored by this service provider (see /Schemas)"),
        ));
    }
    let first_time = LOGGED
        .lock()
        .map(|mut seen| {
            let seen = seen.get_or_insert_with(HashSet::new);
            seen.len() < MAX_LOGGED && seen.insert(name.to_ascii_lowercase())
        })
        .unwrap_or(false);
    if first_time {
        tracing::info!(resource = %schema.name, attribute = %name, "ignoring an attribute this service provider does not store (logged once per name)");
    }
    Ok(())
}
