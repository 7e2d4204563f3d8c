//! What a shadow holds: the entries its writes touched, as they would be stored now or gone, and
//! how the directory's answers look with them (references followed, back-links recomputed, held
//! entries merged into searches).

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};

use super::ShadowSettings;
use crate::ldap::dn;
use crate::ldap::entry::Entry;
use crate::ldap::overlay;
use crate::ldap::request::{SearchRequest, SECRET_ATTRIBUTES};

/// What the shadow holds about one entry: as it would be stored now, or gone.
pub(super) struct Slot {
    /// When the shadow first touched it, to list created entries in the order they came.
    order: u64,
    pub(super) entry: Option<Entry>,
}

#[derive(Default)]
pub(super) struct State {
    /// By normalized DN.
    pub(super) slots: HashMap<String, Slot>,
    /// Old normalized DN → new DN, for references to renamed entries.
    pub(super) renamed: HashMap<String, String>,
    /// Records in the plan: numbers the next one, whose number seeds the ids of an entry it creates.
    pub(super) records: u64,
    next_order: u64,
}

impl State {
    /// Keeps `entry` as the shadow's version of it, without any password value (a hash read from
    /// the directory included): those never stay in the shadow's memory.
    pub(super) fn put(&mut self, mut entry: Entry) {
        for name in SECRET_ATTRIBUTES {
            entry.set(name, Vec::new());
        }
        let key = dn::normalize(&entry.dn);
        let order = match self.slots.get(&key) {
            Some(slot) => slot.order,
            None => {
                self.next_order += 1;
                self.next_order
            }
        };
        self.slots.insert(key, Slot { order, entry: Some(entry) });
    }

    pub(super) fn remove(&mut self, entry_dn: &str) {
        let key = dn::normalize(entry_dn);
        let order = self.slots.get(&key).map_or(self.next_order, |slot| slot.order);
        self.slots.insert(key, Slot { order, entry: None });
    }

    /// `from` renamed to the entry `to`: references to `from` (and to names it had before) follow.
    pub(super) fn moved(&mut self, from: &str, to: Entry) {
        let from_key = dn::normalize(from);
        for target in self.renamed.values_mut().filter(|t| dn::normalize(t) == from_key) {
            *target = to.dn.clone();
        }
        self.renamed.insert(from_key, to.dn.clone());
        self.remove(from);
        self.put(to);
    }

    /// What the shadow holds at `entry_dn`: `None` when it holds nothing there (the directory knows).
    pub(super) fn held(&self, entry_dn: &str) -> Option<Option<&Entry>> {
        self.slots.get(&dn::normalize(entry_dn)).map(|slot| slot.entry.as_ref())
    }

    /// A reference after the shadow's renames and deletes: the new DN, the same, or `None` when gone.
    fn follow(&self, value: &str) -> Option<String> {
        let key = dn::normalize(value);
        if let Some(new_dn) = self.renamed.get(&key) {
            return Some(new_dn.clone());
        }
        match self.slots.get(&key) {
            Some(Slot { entry: None, .. }) => None,
            _ => Some(value.to_string()),
        }
    }

    /// The entry as the directory would show it after the shadow's writes: references to renamed or
    /// deleted entries followed, back-links recomputed where `attrs` asks for them.
    pub(super) fn view(&self, settings: &ShadowSettings, mut entry: Entry, attrs: &[String]) -> Entry {
        if self.slots.is_empty() {
            return entry;
        }
        for name in &settings.references {
            let values = entry.get(name);
            if values.is_empty() {
                continue;
            }
            let followed: Vec<String> = values.iter().filter_map(|v| self.follow(v)).collect();
            if followed != values {
                let name = entry.names().find(|n| n.eq_ignore_ascii_case(name)).unwrap_or(name).to_string();
                entry.set(&name, Vec::new());
                entry.set(&name, followed);
            }
        }
        let own = dn::normalize(&entry.dn);
        for link in &settings.back_links {
            let asked = attrs.is_empty() || attrs.iter().any(|a| a == "+" || a.eq_ignore_ascii_case(&link.back));
            if !asked && entry.get(&link.back).is_empty() {
                continue;
            }
            let mut values = entry.get(&link.back).to_vec();
            for (key, slot) in &self.slots {
                let lists = slot
                    .entry
                    .as_ref()
                    .is_some_and(|holder| link.forward.iter().any(|f| holder.get(f).iter().any(|m| dn::normalize(m) == own)));
                let at = values.iter().position(|v| dn::normalize(v) == *key);
                match (lists, at, &slot.entry) {
                    (true, None, Some(holder)) => values.push(holder.dn.clone()),
                    (false, Some(i), _) => {
                        values.remove(i);
                    }
                    _ => {}
                }
            }
            let name = entry
                .names()
                .find(|n| n.eq_ignore_ascii_case(&link.back))
                .unwrap_or(&link.back)
                .to_string();
            entry.set(&name, Vec::new());
            entry.set(&name, values);
        }
        entry
    }

    /// The answer to `request` given what the directory `found`: entries the shadow holds as it holds
    /// them (in the directory's place, or after the directory's answers in the order they were
    /// created), where they are in scope and match.
    pub(super) fn merged(&self, settings: &ShadowSettings, request: &SearchRequest, found: Vec<Entry>) -> Vec<Entry> {
        if self.slots.is_empty() {
            return found;
        }
        let everything = ["*".to_string(), "+".to_string()];
        let held = |entry: &Entry| {
            let viewed = self.view(settings, entry.clone(), &everything);
            let wanted = overlay::in_scope(&viewed.dn, &request.base, request.scope) && overlay::matches(&request.filter, &viewed);
            wanted.then(|| overlay::projected(&self.view(settings, entry.clone(), &request.attrs), &request.attrs))
        };
        let mut shown = HashSet::new();
        let mut answer = Vec::with_capacity(found.len());
        for entry in found {
            let key = dn::normalize(&entry.dn);
            match self.slots.get(&key) {
                None => answer.push(self.view(settings, entry, &request.attrs)),
                Some(slot) => {
                    if let Some(shown_entry) = slot.entry.as_ref().and_then(held) {
                        shown.insert(key);
                        answer.push(shown_entry);
                    }
                }
            }
        }
        let mut rest: Vec<(u64, Entry)> = self
            .slots
            .iter()
            .filter(|(key, _)| !shown.contains(*key))
            .filter_map(|(_, slot)| Some((slot.order, held(slot.entry.as_ref()?)?)))
            .collect();
        rest.sort_by_key(|(order, _)| *order);
        answer.extend(rest.into_iter().map(|(_, e)| e));
        answer
    }
}

/// A UUID that stands for the id the directory would give the entry created by the plan's record
/// number `record` at `entry_dn`: the same at every replay of the plan.
pub(super) fn made_up_id(entry_dn: &str, record: u64) -> String {
    let digest = Sha256::digest(format!("scim2ldap shadow {record} {}", dn::normalize(entry_dn)).as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    // Version 4 and the RFC 9562 variant, as a random UUID would have.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(bytes).to_string()
}

/// Now as an LDAP generalized time.
pub(super) fn timestamp() -> String {
    let format = time::macros::format_description!("[year][month][day][hour][minute][second]Z");
    time::OffsetDateTime::now_utc().format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ldap::filter::LdapFilter;
    use crate::ldap::request::Scope;
    use crate::ldap::shadow::{BackLink, Generated};

    fn entry(entry_dn: &str, attrs: &[(&str, &[&str])]) -> Entry {
        Entry::with(entry_dn, attrs)
    }

    fn settings() -> ShadowSettings {
        ShadowSettings {
            plan: "plan.ldif".into(),
            max_entries: 10,
            generated: Generated::default(),
            references: vec!["member".into()],
            back_links: vec![BackLink {
                back: "memberOf".into(),
                forward: vec!["member".into()],
            }],
            deactivated: None,
            label: String::new(),
        }
    }

    #[test]
    fn made_up_ids_are_uuids_stable_for_a_record_and_a_name() {
        let id = made_up_id("uid=a,ou=people,dc=x", 3);
        assert_eq!(id, made_up_id("UID=a, ou=people,dc=x", 3));
        assert_ne!(id, made_up_id("uid=a,ou=people,dc=x", 4));
        let parsed = uuid::Uuid::parse_str(&id).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.get_version_num(), 4);
    }

    #[test]
    fn references_follow_renames_and_deletes() {
        let mut state = State::default();
        state.remove("uid=gone,dc=x");
        state.moved("uid=old,dc=x", entry("uid=new,dc=x", &[]));
        state.moved("uid=new,dc=x", entry("uid=newer,dc=x", &[]));
        assert_eq!(state.follow("UID=gone,dc=x"), None);
        assert_eq!(state.follow("uid=old,dc=x").as_deref(), Some("uid=newer,dc=x"));
        assert_eq!(state.follow("uid=kept,dc=x").as_deref(), Some("uid=kept,dc=x"));
        let group = entry("cn=g,dc=x", &[("member", &["uid=gone,dc=x", "uid=old,dc=x", "uid=kept,dc=x"])]);
        let viewed = state.view(&settings(), group, &[]);
        assert_eq!(viewed.get("member"), ["uid=newer,dc=x", "uid=kept,dc=x"]);
    }

    #[test]
    fn memberships_follow_the_groups_the_shadow_changed() {
        let mut state = State::default();
        state.put(entry("cn=new,dc=x", &[("member", &["uid=a,dc=x"])]));
        state.put(entry("cn=left,dc=x", &[("member", &["uid=b,dc=x"])]));
        state.remove("cn=gone,dc=x");
        let user = entry("uid=a,dc=x", &[("memberOf", &["cn=left,dc=x", "cn=gone,dc=x", "cn=kept,dc=x"])]);
        let viewed = state.view(&settings(), user, &["memberOf".into()]);
        let mut groups = viewed.get("memberOf").to_vec();
        groups.sort();
        assert_eq!(groups, ["cn=kept,dc=x", "cn=new,dc=x"]);
        let asked_nothing = state.view(&settings(), entry("uid=a,dc=x", &[]), &["uid".into()]);
        assert!(asked_nothing.get("memberOf").is_empty(), "only where the read asks for it");
    }

    #[test]
    fn searches_keep_the_directory_s_order_and_list_created_entries_after_it_in_order() {
        let mut state = State::default();
        state.put(entry("uid=second,dc=x", &[("uid", &["second"])]));
        state.put(entry("uid=first,dc=x", &[("uid", &["first"]), ("title", &["changed"])]));
        state.put(entry("uid=third,dc=x", &[("uid", &["third"])]));
        state.remove("uid=gone,dc=x");
        let found = vec![
            entry("uid=first,dc=x", &[("uid", &["first"])]),
            entry("uid=gone,dc=x", &[("uid", &["gone"])]),
            entry("uid=kept,dc=x", &[("uid", &["kept"])]),
        ];
        let request = SearchRequest::new(
            "dc=x",
            Scope::One,
            LdapFilter::Present("uid".into()),
            vec!["uid".into(), "title".into()],
        );
        let answer = state.merged(&settings(), &request, found);
        let dns: Vec<&str> = answer.iter().map(|e| e.dn.as_str()).collect();
        assert_eq!(dns, ["uid=first,dc=x", "uid=kept,dc=x", "uid=second,dc=x", "uid=third,dc=x"]);
        assert_eq!(answer[0].get("title"), ["changed"], "as the shadow holds it");
        let narrowed = SearchRequest::new("dc=x", Scope::One, LdapFilter::eq("title", "changed"), vec!["uid".into()]);
        let answer = state.merged(&settings(), &narrowed, Vec::new());
        assert_eq!(answer.iter().map(|e| e.dn.as_str()).collect::<Vec<_>>(), ["uid=first,dc=x"]);
        assert!(answer[0].get("title").is_empty(), "only the attributes asked for");
    }
}
