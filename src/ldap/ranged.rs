//! Ranged retrieval (Active Directory): AD sends at most MaxValRange values of an attribute in one
//! read (1,500 by default) and names the slice it sent, `member;range=0-1499`. The rest is asked for
//! slice by slice (`member;range=1500-*`) until the slice that ends in `*`; all values then sit under
//! the plain name, so a group of 50,000 members reads whole.

use std::time::Duration;

use ldap3::Ldap;

use super::entry::{entry_from, Entry};
use super::error::LdapError;

/// At most this many further slices per entry: a server that never sends the last slice must not
/// keep the gateway reading.
const MAX_SLICES: usize = 10_000;

/// Reads the missing slices of `entry`'s ranged attributes on `ldap`.
pub(super) async fn complete(ldap: &mut Ldap, timeout: Duration, entry: &mut Entry) -> Result<(), LdapError> {
    let mut pending = entry.merge_ranges();
    let mut slices = 0;
    while let Some((attr, next)) = pending.pop() {
        let Some(start) = next else { continue };
        slices += 1;
        if slices > MAX_SLICES {
            return Err(LdapError::Result {
                op: "search",
                rc: super::error::rc::SIZE_LIMIT_EXCEEDED,
                text: format!("{attr} of {} never ends", entry.dn),
            });
        }
        let (found, _) = ldap
            .with_timeout(timeout)
            .search(
                &entry.dn,
                ldap3::Scope::Base,
                "(objectClass=*)",
                vec![format!("{attr};range={start}-*")],
            )
            .await
            .and_then(|r| r.success())
            .map_err(|e| LdapError::from_ldap3("search", e))?;
        let Some(raw) = found.into_iter().next() else { break };
        let mut slice = entry_from("search", raw)?;
        for (name, next) in slice.merge_ranges() {
            entry.set(&name, slice.get(&name).to_vec());
            pending.push((name, next));
        }
    }
    Ok(())
}
