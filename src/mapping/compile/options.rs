//! The resource-level options of a mapping: how `active` is stored, what DELETE does, empty groups and
//! member cleanup, passwords, placement of new entries and allocated numbers. Each option that picks a
//! behaviour is a `{ strategy: … }` section.

use serde_saphyr::Spanned;

use super::super::active::ActiveState;
use super::super::model::{RawActive, RawChoice, RawResource};
use super::super::{
    ActiveMap, Allocation, AttrMap, Computed, DeleteStrategy, EmptyGroup, MetaAttrs, Placement, RdnReference, ResourceKind, ResourceMapping,
};
use super::{check_ldap_name, schema, At, MappingError};
use crate::ldap::{dn, PasswordWrite, Scope};
use crate::scim::filter::AttrPath;
use crate::scim::schema::{AttrType, AttributeDef, Mutability, ResourceSchema};

pub(super) fn active(
    raw: &RawResource,
    attrs: &[AttrMap],
    schema: &mut ResourceSchema,
    at: &At<'_>,
) -> Result<Option<ActiveMap>, MappingError> {
    let Some(choice) = &raw.active else { return Ok(None) };
    let line = choice.referenced.line();
    let active = section("active", choice, at)?;
    check_ldap_name(&active.attribute).map_err(|m| at(line, m))?;
    if attrs.iter().any(|a| a.scim.is_simple("active")) {
        return Err(at(
            line,
            "map active either in attributes or in the active section, not both".into(),
        ));
    }
    // An account always has a state in the directory, so `active` is never unassigned; a request
    // without it creates an active account.
    let mut active_def = AttributeDef::new("active", AttrType::Boolean);
    active_def.required = true;
    schema::add_core(schema, active_def);
    let attribute = active.attribute.clone();
    let mut on_enable = Vec::new();
    for (name, value) in &active.on_enable {
        check_ldap_name(name).map_err(|m| at(line, m))?;
        if name.eq_ignore_ascii_case(&attribute) {
            return Err(at(line, format!("on_enable writes {name}, which holds the state itself")));
        }
        on_enable.push((name.clone(), value.iter().cloned().collect()));
    }
    let state = active_state(active, attribute).map_err(|m| at(line, m))?;
    Ok(Some(ActiveMap { state, on_enable }))
}

/// The state as the section's strategy stores it, with only that strategy's keys.
fn active_state(active: &RawActive, attribute: String) -> Result<ActiveState, String> {
    let has_value_keys = active.disabled_value.is_some() || active.enabled_value.is_some();
    let has_bit_keys = active.disabled_bit.is_some() || active.new_value.is_some();
    match active.strategy.as_deref() {
        None if has_bit_keys => Err(format!(
            "active now names its strategy: `active: {{ strategy: bit, attribute: {attribute}, disabled_bit: …, new_value: … }}`"
        )),
        None => Err(format!(
            "active now names its strategy: `active: {{ strategy: value, attribute: {attribute}, disabled_value: … }}`"
        )),
        Some("value") if has_bit_keys => {
            Err("strategy value takes disabled_value (and enabled_value), not disabled_bit or new_value".into())
        }
        Some("value") => {
            let disabled_value = active
                .disabled_value
                .clone()
                .ok_or("strategy value needs disabled_value: the value that marks a disabled account")?;
            Ok(ActiveState::Value {
                attribute,
                disabled_value,
                enabled_value: active.enabled_value.clone(),
            })
        }
        Some("bit") if has_value_keys => Err("strategy bit takes disabled_bit and new_value, not disabled_value or enabled_value".into()),
        Some("bit") => {
            let bit = active
                .disabled_bit
                .ok_or("strategy bit needs disabled_bit: the bit that marks a disabled account (2 in Active Directory)")?;
            let new_value = active
                .new_value
                .ok_or("strategy bit needs new_value: the attribute's value for a new enabled account (512 in Active Directory)")?;
            if !bit.is_power_of_two() {
                return Err(format!("disabled_bit {bit} is not a single bit (1, 2, 4, 8, …)"));
            }
            Ok(ActiveState::Bit { attribute, bit, new_value })
        }
        Some(other) => Err(format!("active strategy '{other}' is not value or bit")),
    }
}

/// The section of an option that picks a behaviour. A bare word, the shape before sections, is
/// refused with the section it is now.
fn section<'a, T>(key: &str, choice: &'a Spanned<RawChoice<T>>, at: &At<'_>) -> Result<&'a T, MappingError> {
    match &choice.value {
        RawChoice::Section(section) => Ok(section),
        RawChoice::Bare(word) => {
            let strategy = match (key, word.as_str()) {
                ("member_cleanup", "true") => "gateway",
                ("member_cleanup", "false") => "directory",
                _ => word,
            };
            Err(at(
                choice.referenced.line(),
                format!("`{key}: {word}` is now `{key}: {{ strategy: {strategy} }}`"),
            ))
        }
    }
}

/// The `active` section as written, once `active` has accepted it.
fn active_section(raw: &RawResource) -> Option<&RawActive> {
    match raw.active.as_ref().map(|a| &a.value) {
        Some(RawChoice::Section(active)) => Some(active),
        _ => None,
    }
}

/// `empty_group`, which applies to groups that map members.
pub(super) fn empty_group(
    raw: &RawResource,
    kind: ResourceKind,
    attrs: &[AttrMap],
    base_dn: &str,
    line: u64,
    at: &At<'_>,
) -> Result<EmptyGroup, MappingError> {
    let empty_group = match (&raw.empty_group, kind) {
        (None, _) => EmptyGroup::Allow,
        (Some(e), ResourceKind::User) => return Err(at(e.referenced.line(), "empty_group applies to groups only".into())),
        (Some(e), ResourceKind::Group) => {
            let line = e.referenced.line();
            let group = section("empty_group", e, at)?;
            match (group.strategy.as_str(), &group.placeholder) {
                ("allow", None) => EmptyGroup::Allow,
                ("refuse", None) => EmptyGroup::Refuse,
                ("placeholder", Some(placeholder)) if !placeholder.trim().is_empty() => {
                    EmptyGroup::Placeholder(placeholder.replace("{base}", base_dn))
                }
                ("placeholder", _) => return Err(at(line, "strategy placeholder needs a placeholder DN".into())),
                ("allow" | "refuse", Some(_)) => return Err(at(line, "a placeholder DN goes with strategy placeholder only".into())),
                (other, _) => {
                    return Err(at(
                        line,
                        format!("empty_group strategy '{other}' is not placeholder, allow or refuse"),
                    ))
                }
            }
        }
    };
    if empty_group != EmptyGroup::Allow && !maps_members(kind, attrs) {
        return Err(at(
            line,
            "empty_group needs members mapped (members.value with type: reference)".into(),
        ));
    }
    Ok(empty_group)
}

fn maps_members(kind: ResourceKind, attrs: &[AttrMap]) -> bool {
    kind == ResourceKind::Group && attrs.iter().any(AttrMap::is_members)
}

/// Whether the gateway itself removes deleted entries from the groups that list them and follows
/// renames (`gateway`), rather than leaving that to the directory (`directory`, the default).
pub(super) fn member_cleanup(raw: &RawResource, kind: ResourceKind, attrs: &[AttrMap], at: &At<'_>) -> Result<bool, MappingError> {
    let Some(choice) = &raw.member_cleanup else { return Ok(false) };
    let line = choice.referenced.line();
    let by_gateway = match section("member_cleanup", choice, at)?.strategy.as_str() {
        "directory" => false,
        "gateway" => true,
        other => return Err(at(line, format!("member_cleanup strategy '{other}' is not directory or gateway"))),
    };
    // Either strategy names who keeps memberships in step: meaningless where there are none.
    if !maps_members(kind, attrs) {
        return Err(at(line, "member_cleanup applies to groups that map members".into()));
    }
    Ok(by_gateway)
}

pub(super) fn delete(raw: &RawResource, has_active: bool, base: &str, base_dn: &str, at: &At<'_>) -> Result<DeleteStrategy, MappingError> {
    let Some(choice) = &raw.delete else {
        return Ok(DeleteStrategy::Hard);
    };
    let line = choice.referenced.line();
    let d = section("delete", choice, at)?;
    Ok(match (d.strategy.as_str(), &d.archive) {
        ("hard", None) => DeleteStrategy::Hard,
        ("disable", None) if has_active => DeleteStrategy::Disable,
        ("disable", None) => return Err(at(line, "delete strategy disable needs the active section".into())),
        ("move", Some(archive)) if !archive.trim().is_empty() => {
            let archive = archive.replace("{base}", base_dn);
            if dn::normalize(&archive) == dn::normalize(base) {
                return Err(at(line, "the archive must lie outside the resource's base".into()));
            }
            DeleteStrategy::Move(archive)
        }
        ("move", _) => return Err(at(line, "delete strategy move needs an archive DN".into())),
        (_, Some(_)) => return Err(at(line, "an archive DN goes with strategy move only".into())),
        (other, None) => return Err(at(line, format!("delete strategy '{other}' is not hard, disable or move"))),
    })
}

/// How a SCIM password is written, if at all; a written one is advertised as write-only.
pub(super) fn password(
    raw: &RawResource,
    kind: ResourceKind,
    active: Option<&ActiveMap>,
    schema: &mut ResourceSchema,
    at: &At<'_>,
) -> Result<Option<PasswordWrite>, MappingError> {
    let written = match &raw.password {
        None => None,
        Some(choice) => {
            let line = choice.referenced.line();
            match section("password", choice, at)?.strategy.as_str() {
                "ignore" => None,
                "exop" | "unicode_pwd" if kind != ResourceKind::User => return Err(at(line, "password applies to users only".into())),
                "exop" => Some(PasswordWrite::Exop),
                "unicode_pwd" => Some(PasswordWrite::UnicodePwd),
                other => return Err(at(line, format!("password strategy '{other}' is not ignore, exop or unicode_pwd"))),
            }
        }
    };
    if let Some(ActiveState::Bit { attribute, .. }) = active.map(|a| &a.state) {
        if attribute.eq_ignore_ascii_case("userAccountControl") && written != Some(PasswordWrite::UnicodePwd) {
            let line = raw.active.as_ref().map_or(0, |a| a.referenced.line());
            return Err(at(
                line,
                "Active Directory enables no account without a password: add `password: { strategy: unicode_pwd }` (the gateway sets a random password when the IdP sends none)".into(),
            ));
        }
    }
    if written.is_some() {
        // Write-only and never returned (RFC 7643 §4.1.1).
        let mut password = AttributeDef::new("password", AttrType::String);
        password.mutability = Mutability::WriteOnly;
        schema::add_core(schema, password);
    }
    Ok(written)
}

pub(super) fn deactivate_when_ungrouped(raw: &RawResource, kind: ResourceKind, at: &At<'_>) -> Result<bool, MappingError> {
    match raw.deactivate_when_ungrouped.as_ref().map(|d| (d.referenced.line(), d.value)) {
        None | Some((_, false)) => Ok(false),
        Some((line, true)) if kind != ResourceKind::User => Err(at(line, "deactivate_when_ungrouped applies to users only".into())),
        Some((line, true)) if raw.active.is_none() => Err(at(
            line,
            "deactivate_when_ungrouped needs an active section to deactivate with".into(),
        )),
        Some(_) => Ok(true),
    }
}

/// Parents chosen by an attribute: below the base, which is searched with scope `sub`.
pub(super) fn placement(
    raw: &RawResource,
    attrs: &[AttrMap],
    scope: Scope,
    base: &str,
    base_dn: &str,
    at: &At<'_>,
) -> Result<Option<Placement>, MappingError> {
    let Some(p) = &raw.placement else { return Ok(None) };
    let line = p.referenced.line();
    let by = AttrPath::parse(&p.value.by).ok_or_else(|| at(line, format!("placement by '{}' is not a SCIM attribute path", p.value.by)))?;
    if !attrs.iter().any(|a| a.scim.type_filter.is_none() && a.scim.matches_path(&by)) {
        return Err(at(line, format!("placement by '{by}', which no attribute maps")));
    }
    if scope != Scope::Sub {
        return Err(at(line, "placement puts entries below the base: it needs scope: sub".into()));
    }
    let mut parents = Vec::new();
    for (value, parent) in &p.value.parents {
        let parent = parent.replace("{base}", base_dn);
        if !lies_below(&parent, base) {
            return Err(at(
                line,
                format!("placement parent '{parent}' for '{value}' must lie below the base '{base}'"),
            ));
        }
        parents.push((value.clone(), parent));
    }
    Ok(Some(Placement { by, parents }))
}

/// Whether `entry` lies below `base` (not at it), so that a search of the base finds it.
fn lies_below(entry: &str, base: &str) -> bool {
    dn::normalize(entry).ends_with(&format!(",{}", dn::normalize(base)))
}

/// `active.move_to`: the parent of disabled accounts, which must stay in view (below the base, with
/// `scope: sub`) so that they can be read, filtered and enabled again.
pub(super) fn disabled_parent(
    raw: &RawResource,
    scope: Scope,
    base: &str,
    base_dn: &str,
    at: &At<'_>,
) -> Result<Option<String>, MappingError> {
    let (Some(active), Some(line)) = (active_section(raw), raw.active.as_ref().map(|a| a.referenced.line())) else {
        return Ok(None);
    };
    let Some(parent) = &active.move_to else { return Ok(None) };
    let parent = parent.replace("{base}", base_dn);
    if scope != Scope::Sub {
        return Err(at(
            line,
            "move_to keeps disabled accounts below the base: it needs scope: sub".into(),
        ));
    }
    if !lies_below(&parent, base) {
        return Err(at(line, format!("move_to '{parent}' must lie below the base '{base}'")));
    }
    Ok(Some(parent))
}

/// `store: rdn` on a group's members: stored as the member's RDN value, which names users only and
/// only where one DN follows from it (users directly under their base, named by their RDN attribute).
pub(super) fn rdn_references(
    raw: &RawResource,
    attrs: &mut [AttrMap],
    users: Option<&ResourceMapping>,
    empty_group: &EmptyGroup,
    at: &At<'_>,
) -> Result<(), MappingError> {
    for (entry, attr) in raw.attributes.iter().zip(attrs.iter_mut()) {
        let line = entry.referenced.line();
        match entry.value.store.as_deref() {
            None | Some("dn") => {}
            Some("rdn") => {
                if !attr.is_members() {
                    return Err(at(line, "store: rdn applies to a group's members.value".into()));
                }
                // The users' section has mistakes of its own, reported for it.
                let Some(users) = users else { continue };
                if users.scope != Scope::One {
                    return Err(at(
                        line,
                        "store: rdn names members by their RDN under the users' base: the users need scope: one".into(),
                    ));
                }
                if matches!(empty_group, EmptyGroup::Placeholder(_)) {
                    return Err(at(
                        line,
                        "store: rdn cannot hold a placeholder DN: use empty_group strategy allow or refuse".into(),
                    ));
                }
                attr.by_rdn = Some(RdnReference {
                    attr: users.rdn_attr.clone(),
                    parent: users.base.clone(),
                });
            }
            Some(other) => return Err(at(line, format!("store '{other}' is not dn or rdn"))),
        }
    }
    Ok(())
}

/// Numbers picked for new entries; no mapped attribute may write them.
pub(super) fn allocate(
    raw: &RawResource,
    attrs: &[AttrMap],
    computed: &[Computed],
    base_dn: &str,
    at: &At<'_>,
) -> Result<Vec<Allocation>, MappingError> {
    let mut allocate = Vec::new();
    for entry in &raw.allocate {
        let line = entry.referenced.line();
        let a = &entry.value;
        check_ldap_name(&a.ldap).map_err(|m| at(line, m))?;
        if a.from > a.to {
            return Err(at(line, format!("allocate {}: from {} is above to {}", a.ldap, a.from, a.to)));
        }
        // Numbers are LDAP INTEGERs, and the next one is always computed as one more.
        if a.to >= i64::MAX as u64 {
            return Err(at(line, format!("allocate {}: to must be below {}", a.ldap, i64::MAX)));
        }
        if attrs.iter().any(|m| !m.read_only && m.ldap.eq_ignore_ascii_case(&a.ldap))
            || computed.iter().any(|c| c.ldap.eq_ignore_ascii_case(&a.ldap))
        {
            return Err(at(line, format!("{} is allocated: map it read_only, if at all", a.ldap)));
        }
        allocate.push(Allocation {
            ldap: a.ldap.clone(),
            from: a.from,
            to: a.to,
            counter: counter_dn(a.counter.as_deref(), base_dn).map_err(|m| at(line, m))?,
        });
    }
    Ok(allocate)
}

/// The counter entry's DN with `{base}` filled in; it must name an entry (`attr=value,…`).
fn counter_dn(counter: Option<&str>, base_dn: &str) -> Result<Option<String>, String> {
    let Some(counter) = counter else { return Ok(None) };
    let counter = counter.trim().replace("{base}", base_dn);
    let (rdn, parent) = dn::split_first(&counter);
    if dn::rdn_value(rdn).is_none_or(|(attr, value)| attr.is_empty() || value.is_empty()) || parent.is_empty() {
        return Err(format!(
            "allocate counter '{counter}' is not the DN of an entry below a parent, such as \"cn=uidNext,ou=counters,{{base}}\""
        ));
    }
    Ok(Some(counter))
}

pub(super) fn meta(raw: &RawResource) -> MetaAttrs {
    let meta = raw.meta.as_ref();
    MetaAttrs {
        created: meta.and_then(|m| m.created.clone()).unwrap_or_else(|| "createTimestamp".into()),
        last_modified: meta
            .and_then(|m| m.last_modified.clone())
            .unwrap_or_else(|| "modifyTimestamp".into()),
        version: meta.and_then(|m| m.version.clone()).unwrap_or_else(|| "entryCSN".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::counter_dn;

    #[test]
    fn a_counter_names_an_entry_below_a_parent() {
        assert_eq!(counter_dn(None, "dc=x"), Ok(None));
        assert_eq!(
            counter_dn(Some(" cn=uidNext,ou=counters,{base}"), "dc=x"),
            Ok(Some("cn=uidNext,ou=counters,dc=x".to_string()))
        );
        for bad in ["uidNext", "cn=uidNext", "cn=,dc=x", "=x,dc=x"] {
            assert!(counter_dn(Some(bad), "dc=x").is_err_and(|e| e.contains("is not the DN")), "{bad}");
        }
    }
}
