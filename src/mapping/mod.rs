//! The declarative bridge between SCIM resources and LDAP entries: the only layer that knows both.
//! `compile` turns the YAML into a `Mapping`; `to_ldap` and `from_ldap` translate in each direction;
//! `filter` turns SCIM filters into LDAP filters.

pub mod active;
pub mod check;
mod compile;
pub mod error;
pub mod filter;
pub mod fitting;
pub mod from_ldap;
mod model;
pub mod naming;
pub mod patch_plan;
pub mod shadow;
mod suggest;
pub mod takeover;
pub mod template;
#[cfg(test)]
mod test_mappings;
pub mod to_ldap;
pub mod transform;

pub use active::ActiveMap;
pub use compile::{compile_str, load, MappingError};
pub use template::Template;
pub use transform::Transform;

use crate::ldap::{dn, LdapFilter, PasswordWrite, Scope};
use crate::scim::filter::AttrPath;
use crate::scim::schema::ResourceSchema;

/// The loaded mapping: users always, groups when the file maps them.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub users: ResourceMapping,
    pub groups: Option<ResourceMapping>,
    /// The attribute whose equality filter finds entries by DN, to resolve many DNs in one search.
    pub dn_attribute: String,
}

impl Mapping {
    pub fn resource(&self, kind: ResourceKind) -> Option<&ResourceMapping> {
        match kind {
            ResourceKind::User => Some(&self.users),
            ResourceKind::Group => self.groups.as_ref(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    User,
    Group,
}

impl ResourceKind {
    pub fn name(self) -> &'static str {
        match self {
            ResourceKind::User => "User",
            ResourceKind::Group => "Group",
        }
    }

    pub fn endpoint(self) -> &'static str {
        match self {
            ResourceKind::User => "/Users",
            ResourceKind::Group => "/Groups",
        }
    }
}

/// How the SCIM `id` is stored, which decides how an id from a URL is checked and searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdFormat {
    /// A UUID (`entryUUID`, or AD's binary `objectGUID` shown dashed): ids that are not UUIDs cannot
    /// exist.
    Uuid,
    /// Any other attribute, taken as it is.
    Text,
}

#[derive(Debug, Clone)]
pub struct MetaAttrs {
    pub created: String,
    pub last_modified: String,
    pub version: String,
}

/// The SCIM side of one mapped attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimTarget {
    /// The extension URN, `None` for the core schema.
    pub urn: Option<String>,
    pub name: String,
    pub sub: Option<String>,
    /// `emails[type eq "work"]` → `Some("work")`.
    pub type_filter: Option<String>,
}

impl ScimTarget {
    pub fn is_simple(&self, name: &str) -> bool {
        self.urn.is_none() && self.sub.is_none() && self.type_filter.is_none() && self.name.eq_ignore_ascii_case(name)
    }

    /// Whether a path (from a template or a filter) names this attribute, ignoring any type filter.
    pub fn matches_path(&self, path: &AttrPath) -> bool {
        let same_urn = match (&self.urn, &path.urn) {
            (None, None) => true,
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (None, Some(b)) => b.eq_ignore_ascii_case(crate::scim::USER_SCHEMA) || b.eq_ignore_ascii_case(crate::scim::GROUP_SCHEMA),
            (Some(_), None) => false,
        };
        let same_sub = match (&self.sub, &path.sub) {
            (None, None) => true,
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        };
        same_urn && same_sub && self.name.eq_ignore_ascii_case(&path.name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    String,
    /// LDAP `TRUE`/`FALSE`.
    Boolean,
    /// The LDAP value is the DN of another resource; the SCIM value is that resource's id.
    Reference,
}

impl AttrMap {
    /// Whether this is the core `members` reference (of a group's mapping).
    pub fn is_members(&self) -> bool {
        self.kind == ValueKind::Reference && self.scim.urn.is_none() && self.scim.name.eq_ignore_ascii_case("members")
    }

    /// The value this reference attribute stores for the entry at `dn`: the DN itself, or its RDN
    /// value; `None` when the attribute cannot name that entry (not directly under the parent).
    pub fn ref_value(&self, entry_dn: &str) -> Option<String> {
        let Some(by_rdn) = &self.by_rdn else {
            return Some(entry_dn.to_string());
        };
        let (first, parent) = dn::split_first(entry_dn);
        if dn::normalize(parent) != dn::normalize(&by_rdn.parent) {
            return None;
        }
        let (attr, value) = dn::rdn_value(first)?;
        attr.eq_ignore_ascii_case(&by_rdn.attr).then_some(value)
    }

    /// The DN a stored reference value names.
    pub fn ref_dn(&self, value: &str) -> String {
        match &self.by_rdn {
            None => value.to_string(),
            Some(by_rdn) => dn::child(&by_rdn.attr, value, &by_rdn.parent),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AttrMap {
    pub scim: ScimTarget,
    pub ldap: String,
    pub kind: ValueKind,
    pub required: bool,
    pub unique: bool,
    pub read_only: bool,
    pub case_exact: bool,
    pub primary: bool,
    pub defaults: Vec<Template>,
    /// Written when the SCIM value is absent and no default applies; a stored value equal to it reads
    /// back as unassigned.
    pub fallback: Option<Template>,
    /// From the SCIM value to the stored one.
    pub transform: Transform,
    /// The attribute that keeps the SCIM value as sent, where `transform` cannot be undone.
    pub read_from: Option<String>,
    /// Further attributes written with the stored values, never read.
    pub also: Vec<String>,
    /// Whether a write keeps the LDAP attribute's other values (after the written one) instead of
    /// replacing them all; see `mapping::naming`.
    pub keep_other_values: bool,
    /// For a reference: the users' LDAP attributes that find its target by a value other than the
    /// id (from `match`), read as the users' mapping reads them.
    pub match_by: Vec<String>,
    /// For a reference: whether a value that names nobody is left out (logged) instead of refused.
    pub skip_unknown: bool,
    /// What /Schemas says of it, when the mapping says something.
    pub description: Option<String>,
    /// For a reference stored as the RDN value of the entry it names rather than its DN.
    pub by_rdn: Option<RdnReference>,
    /// How reads show it, as the advertised schema spells it.
    pub shown: Shown,
    /// Where the mapping file declares it.
    pub line: u64,
}

/// An attribute's SCIM name and sub-attribute as /Schemas spells them, and whether it has many values:
/// looked up once, not for every entry shown.
#[derive(Debug, Clone, Default)]
pub struct Shown {
    pub name: String,
    pub sub: Option<String>,
    pub multi_valued: bool,
}

impl AttrMap {
    /// The LDAP attribute that reads and filters use.
    pub fn read_source(&self) -> &str {
        self.read_from.as_deref().unwrap_or(&self.ldap)
    }

    /// Whether the stored value is the SCIM value as sent, in one attribute.
    pub fn is_verbatim(&self) -> bool {
        self.transform.is_empty() && self.read_from.is_none() && self.also.is_empty()
    }
}

/// An LDAP attribute written from templates (such as `cn` from given and family name).
#[derive(Debug, Clone)]
pub struct Computed {
    pub ldap: String,
    pub templates: Vec<Template>,
    pub transform: Transform,
}

/// A reference stored as the RDN value of the entry it names (posixGroup `memberUid` holds the
/// member's `uid`), not its DN: the entries it can name sit directly under `parent`, named by `attr`.
#[derive(Debug, Clone, PartialEq)]
pub struct RdnReference {
    pub attr: String,
    pub parent: String,
}

/// Parents of new entries chosen by the value of one SCIM attribute.
#[derive(Debug, Clone)]
pub struct Placement {
    pub by: AttrPath,
    /// Value (compared without case) → parent DN.
    pub parents: Vec<(String, String)>,
}

/// A number picked for each new entry in `from..=to`, held by no entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub ldap: String,
    pub from: u64,
    pub to: u64,
    /// The DN of the entry whose `ldap` value is the next number to hand out, shared by every
    /// gateway (and other tool) that allocates from the range; `None`: picked by this process alone.
    pub counter: Option<String>,
}

/// Where the RDN value of a new entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RdnSource {
    /// Index into `attrs`: a writable SCIM attribute (userName).
    Attribute(usize),
    /// Index into `computed`: a template (Active Directory's CN from the display name).
    Computed(usize),
}

/// What a group without members becomes (groupOfNames requires a `member`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmptyGroup {
    /// The directory accepts empty groups.
    Allow,
    /// Refuse with 400 `invalidValue`.
    Refuse,
    /// Keep this DN as the only member; it is never shown in SCIM.
    Placeholder(String),
}

/// What DELETE does to the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteStrategy {
    /// Remove the entry.
    Hard,
    /// Keep the entry, deactivated (the `active` mapping's disabled value).
    Disable,
    /// Move the entry under this DN, out of the gateway's view, deactivated when `active` is mapped.
    Move(String),
}

/// Where a reference points: the id and type of the resource a DN belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefTarget {
    pub id: String,
    pub kind: ResourceKind,
}

/// One resource type's compiled mapping.
#[derive(Debug, Clone)]
pub struct ResourceMapping {
    pub kind: ResourceKind,
    /// What SCIM clients see (discovery, PATCH engine).
    pub schema: ResourceSchema,
    pub base: String,
    pub scope: Scope,
    pub filter: Option<LdapFilter>,
    pub object_classes: Vec<String>,
    /// The classes that select entries of this type: the object classes but `top` and
    /// `extensibleObject`, and (once the directory's schema is known) but those another one derives from.
    pub filter_classes: Vec<String>,
    /// Where the mapping file lists the object classes.
    pub object_classes_line: u64,
    pub rdn_attr: String,
    /// What gives the RDN value of new entries.
    pub rdn_source: RdnSource,
    pub id_attr: String,
    pub id_format: IdFormat,
    pub meta: MetaAttrs,
    pub attrs: Vec<AttrMap>,
    pub computed: Vec<Computed>,
    pub constants: Vec<(String, Vec<String>)>,
    pub active: Option<ActiveMap>,
    pub empty_group: EmptyGroup,
    pub delete: DeleteStrategy,
    /// How a SCIM `password` is written; `None`: ignored (never written, never advertised).
    pub password: Option<PasswordWrite>,
    /// Whether a user left in no group by a group change is deactivated.
    pub deactivate_when_ungrouped: bool,
    /// Whether the gateway itself keeps member lists consistent on deletes and renames.
    pub member_cleanup: bool,
    pub placement: Option<Placement>,
    /// Where disabled accounts live (`active.move_to`): moved there when disabled, back when enabled.
    pub disabled_parent: Option<String>,
    pub allocate: Vec<Allocation>,
    /// Every LDAP attribute a read must request (operational ones included: `*` would miss them).
    pub fetch_attrs: Vec<String>,
}

impl ResourceMapping {
    /// The filter that selects every entry of this type.
    pub fn type_filter(&self) -> LdapFilter {
        let mut parts: Vec<LdapFilter> = self.filter_classes.iter().map(|c| LdapFilter::eq("objectClass", c)).collect();
        parts.extend(self.filter.clone());
        if parts.is_empty() {
            LdapFilter::any()
        } else {
            LdapFilter::and(parts)
        }
    }

    /// `filter`, restricted to this type's entries, its own condition first.
    ///
    /// When `filter` finds its entries by equality, the type's test is written `(!(!type))`, which
    /// matches exactly the same entries. OpenLDAP's back-mdb gathers an AND's candidates from every
    /// indexed part, and an `objectClass` index key lists every entry of the type (up to 65,536 ids,
    /// copied on every search): that cost slapd 25 µs per `userName eq` search among 50,000 users,
    /// 8 to 14 µs among 20,000. A NOT part it passes over, and tests it on the few entries the
    /// equality found. Other filters keep the plain form, whose index narrows what has to be scanned.
    pub fn of_type(&self, filter: LdapFilter) -> LdapFilter {
        let of_type = self.type_filter();
        let of_type = match filter.found_by_equality() {
            true => LdapFilter::Not(Box::new(LdapFilter::Not(Box::new(of_type)))),
            false => of_type,
        };
        LdapFilter::and(vec![filter, of_type])
    }

    /// The parent DN an entry for `resource` belongs under.
    pub fn parent_for(&self, resource: &serde_json::Map<String, serde_json::Value>) -> &str {
        if let Some(disabled) = self.disabled_parent.as_ref().filter(|_| !active::wants_active(resource)) {
            return disabled;
        }
        let Some(placement) = &self.placement else { return &self.base };
        let value = to_ldap::scalar_at(resource, &placement.by);
        value
            .and_then(|v| placement.parents.iter().find(|(key, _)| key.eq_ignore_ascii_case(v.trim())))
            .map_or(&self.base, |(_, parent)| parent)
    }

    /// Whether entries move when the resource changes (placement, or disabled accounts moved apart).
    pub fn moves_entries(&self) -> bool {
        self.placement.is_some() || self.disabled_parent.is_some()
    }

    /// The SCIM attribute mapped to the RDN, when a SCIM attribute (not a template) gives it.
    pub fn rdn_map(&self) -> Option<&AttrMap> {
        match self.rdn_source {
            RdnSource::Attribute(index) => self.attrs.get(index),
            RdnSource::Computed(_) => None,
        }
    }

    /// What names new entries, for messages: the SCIM path, or the computed LDAP attribute.
    pub fn rdn_label(&self) -> String {
        self.rdn_map().map_or_else(|| self.rdn_attr.clone(), AttrMap::scim_path)
    }

    /// The group's `members` attribute, when mapped.
    pub fn members(&self) -> Option<&AttrMap> {
        self.attrs.iter().find(|a| a.is_members())
    }

    /// Whether a DN lies where entries of this type live (under the base, one level down for `one`).
    pub fn holds(&self, entry_dn: &str) -> bool {
        let (_, parent) = crate::ldap::dn::split_first(entry_dn);
        let base = crate::ldap::dn::normalize(&self.base);
        let candidate = crate::ldap::dn::normalize(match self.scope {
            Scope::One => parent,
            _ => entry_dn,
        });
        match self.scope {
            Scope::One => candidate == base,
            _ => candidate.ends_with(&format!(",{base}")),
        }
    }
}
