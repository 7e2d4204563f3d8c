//! Shadow mode's view of a mapping: which attributes the directory fills in by itself on a write,
//! so that the shadow (`ldap::shadow`, which knows no SCIM) makes them up as the directory would.

use std::path::PathBuf;

use super::{Mapping, ResourceMapping, ValueKind};
use crate::ldap::shadow::{BackLink, Generated, ShadowSettings};

/// The settings of a shadow of the directory `mapping` maps, recording to `plan`.
pub fn settings(mapping: &Mapping, plan: PathBuf, max_entries: usize, label: &str) -> ShadowSettings {
    let types: Vec<&ResourceMapping> = std::iter::once(&mapping.users).chain(mapping.groups.as_ref()).collect();
    let mut generated = Generated::default();
    for m in &types {
        // An id the gateway writes itself (an attribute of the mapping) is not made up.
        let written = m.rdn_attr.eq_ignore_ascii_case(&m.id_attr) || m.attrs.iter().any(|a| a.ldap.eq_ignore_ascii_case(&m.id_attr));
        if !written {
            push_new(&mut generated.ids, &m.id_attr);
        }
        push_new(&mut generated.created, &m.meta.created);
        push_new(&mut generated.modified, &m.meta.last_modified);
        push_new(&mut generated.versions, &m.meta.version);
    }
    push_new(&mut generated.dns, &mapping.dn_attribute);
    // A time kept as the version too (whenChanged) stays a time.
    let times: Vec<String> = generated
        .created
        .iter()
        .chain(&generated.modified)
        .map(|a| a.to_ascii_lowercase())
        .collect();
    generated.versions.retain(|v| !times.contains(&v.to_ascii_lowercase()));
    let dn_references = |m: &&ResourceMapping| {
        m.attrs
            .iter()
            .filter(|a| a.kind == ValueKind::Reference && !a.read_only && a.by_rdn.is_none())
            .map(|a| a.ldap.clone())
            .collect::<Vec<_>>()
    };
    // Where the gateway does not keep member lists itself, the directory's referential integrity does.
    let directory_follows = !mapping.groups.as_ref().is_some_and(|g| g.member_cleanup);
    let mut references = Vec::new();
    if directory_follows {
        for name in types.iter().flat_map(dn_references) {
            push_new(&mut references, &name);
        }
    }
    let forward: Vec<String> = mapping.groups.iter().flat_map(|g| g.members()).map(|a| a.ldap.clone()).collect();
    let mut back_links: Vec<BackLink> = Vec::new();
    for m in &types {
        for a in m.attrs.iter().filter(|a| a.kind == ValueKind::Reference && a.read_only) {
            if !forward.is_empty() && !back_links.iter().any(|b| b.back.eq_ignore_ascii_case(&a.ldap)) {
                back_links.push(BackLink {
                    back: a.ldap.clone(),
                    forward: forward.clone(),
                });
            }
        }
    }
    ShadowSettings {
        plan,
        max_entries,
        generated,
        references,
        back_links,
        deactivated: mapping.users.active.as_ref().map(|a| a.disabled_filter()),
        label: label.to_string(),
    }
}

fn push_new(names: &mut Vec<String>, name: &str) {
    if !name.is_empty() && !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
        names.push(name.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openldap_mapping_makes_up_ids_times_and_memberships() {
        let mapping =
            crate::mapping::load(std::path::Path::new("mappings/openldap.yaml"), "dc=example,dc=org").unwrap_or_else(|e| panic!("{e}"));
        let shadow = settings(&mapping, PathBuf::from("plan.ldif"), 10, "");
        assert_eq!(shadow.generated.ids, ["entryUUID"]);
        assert_eq!(shadow.generated.created, ["createTimestamp"]);
        assert_eq!(shadow.generated.modified, ["modifyTimestamp"]);
        assert_eq!(shadow.generated.versions, ["entryCSN"]);
        assert_eq!(shadow.generated.dns, ["entryDN"]);
        assert_eq!(shadow.references, ["manager", "member"]);
        assert_eq!(shadow.back_links.len(), 1);
        assert_eq!(
            (shadow.back_links[0].back.as_str(), shadow.back_links[0].forward.clone()),
            ("memberOf", vec!["member".to_string()])
        );
        assert_eq!(
            shadow.deactivated.map(|f| f.to_string()).as_deref(),
            Some("(pwdAccountLockedTime=000001010000Z)")
        );
    }
}
