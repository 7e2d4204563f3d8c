//! The mapping file as written (version 1). Field names here are the YAML keys documented in
//! `mappings/README.md`; `Spanned` keeps each entry's line for error messages.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMapping {
    pub version: Spanned<u32>,
    /// The attribute whose equality filter finds an entry by DN (`entryDN`; AD: `distinguishedName`).
    #[serde(default)]
    pub dn_attribute: Option<String>,
    pub users: Spanned<RawResource>,
    #[serde(default)]
    pub groups: Option<Spanned<RawResource>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResource {
    /// Parent DN of new entries and search base; `{base}` stands for `ldap.base_dn`.
    pub base: Spanned<String>,
    #[serde(default)]
    pub scope: Option<Spanned<String>>,
    /// An LDAP filter that bounds which entries are this resource type.
    #[serde(default)]
    pub filter: Option<Spanned<String>>,
    pub object_classes: Spanned<Vec<String>>,
    /// The LDAP attribute that names entries; its value comes from the SCIM attribute mapped to it.
    pub rdn: Spanned<String>,
    #[serde(default)]
    pub id: Option<Spanned<String>>,
    #[serde(default)]
    pub meta: Option<RawMeta>,
    #[serde(default)]
    pub extensions: Vec<Spanned<RawExtension>>,
    pub attributes: Vec<Spanned<RawAttribute>>,
    #[serde(default)]
    pub computed: Vec<Spanned<RawComputed>>,
    #[serde(default)]
    pub constants: BTreeMap<String, Spanned<Vec<String>>>,
    /// How `active: false` is stored: `{ strategy: value, … }` or `{ strategy: bit, … }`.
    #[serde(default)]
    pub active: Option<Spanned<RawChoice<RawActive>>>,
    /// What DELETE does: `hard` (default), `disable` (keep the entry, deactivated), or `move` (to
    /// `archive`, deactivated when `active` is mapped).
    #[serde(default)]
    pub delete: Option<Spanned<RawChoice<RawDelete>>>,
    /// Groups only: who removes a deleted entry from the groups that list it, and follows renames:
    /// `directory` (default: its referential-integrity overlay, if any) or `gateway`.
    #[serde(default)]
    pub member_cleanup: Option<Spanned<RawChoice<RawStrategy>>>,
    /// Users only: `ignore` (default: a SCIM password is never written), `exop` (set with the
    /// RFC 3062 Password Modify operation, so the directory hashes it) or `unicode_pwd` (Active
    /// Directory, over TLS).
    #[serde(default)]
    pub password: Option<Spanned<RawChoice<RawStrategy>>>,
    /// Users only: deactivate a user whom a group change leaves in no group at all (seed 004: access
    /// comes only from synced groups).
    #[serde(default)]
    pub deactivate_when_ungrouped: Option<Spanned<bool>>,
    /// Groups only: what to do when a group has no members: `allow` (default), `refuse`, or
    /// `placeholder` (keep a placeholder member DN).
    #[serde(default)]
    pub empty_group: Option<Spanned<RawChoice<RawEmptyGroup>>>,
    /// Parents chosen by an attribute's value; entries move when it changes. Needs `scope: sub`.
    #[serde(default)]
    pub placement: Option<Spanned<RawPlacement>>,
    /// Numbers picked for new entries (posixAccount `uidNumber`, `gidNumber`).
    #[serde(default)]
    pub allocate: Vec<Spanned<RawAllocate>>,
}

/// An option that picks one of several behaviours, as written: the `{ strategy: …, parameters }`
/// section, or a bare word (or boolean) of the shapes before it, which the compiler refuses with the
/// section it should be.
#[derive(Debug)]
pub enum RawChoice<T> {
    Section(T),
    Bare(String),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for RawChoice<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ChoiceVisitor(std::marker::PhantomData))
    }
}

struct ChoiceVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for ChoiceVisitor<T> {
    type Value = RawChoice<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a section { strategy: … }")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(RawChoice::Section)
    }

    fn visit_str<E: serde::de::Error>(self, word: &str) -> Result<Self::Value, E> {
        Ok(RawChoice::Bare(word.to_string()))
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<Self::Value, E> {
        Ok(RawChoice::Bare(value.to_string()))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(RawChoice::Bare(value.to_string()))
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Ok(RawChoice::Bare(value.to_string()))
    }
}

/// An option whose strategy takes no parameters (`password`, `member_cleanup`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStrategy {
    pub strategy: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDelete {
    pub strategy: String,
    /// With `move`: the parent DN deleted entries go to; `{base}` allowed.
    #[serde(default)]
    pub archive: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEmptyGroup {
    /// `placeholder`, `allow` or `refuse`.
    pub strategy: String,
    /// With `placeholder`: the member DN an otherwise empty group holds; `{base}` allowed.
    #[serde(default)]
    pub placeholder: Option<String>,
}

/// One transform step as written: a bare name, or a name with its argument.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawStep {
    LocalPart,
    Domain,
    Lower,
    Upper,
    Trim,
    Prefix(String),
    Suffix(String),
    Regex(String),
    Split(String),
    Join(String),
    /// `generalized` or `unix`.
    Date(String),
    /// The stored words for true and false, in that order.
    Boolean(Vec<String>),
    /// Refuse longer values.
    MaxLength(usize),
    /// Cut longer values.
    Truncate(usize),
}

/// Where new entries go: under the parent that the value of one SCIM attribute selects.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlacement {
    /// The SCIM attribute whose value selects the parent.
    pub by: String,
    /// Value (compared without case) → parent DN; `{base}` allowed. Other values stay under `base`.
    pub parents: BTreeMap<String, String>,
}

/// A number the gateway picks for a new entry: the lowest one in the range that no entry holds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAllocate {
    pub ldap: String,
    pub from: u64,
    pub to: u64,
    /// DN of the counter entry (`{base}` allowed) that hands out the numbers atomically.
    #[serde(default)]
    pub counter: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMeta {
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub last_modified: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExtension {
    pub urn: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAttribute {
    /// A SCIM path: `userName`, `name.givenName`, `emails[type eq "work"].value`, `urn:…:department`.
    pub scim: String,
    pub ldap: String,
    /// `string` (default), `boolean`, or `reference` (the LDAP value is the DN of another resource).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// For a group's `members`: `dn` (default) or `rdn`, the member's RDN value instead of its DN
    /// (posixGroup `memberUid` holds the member's `uid`).
    #[serde(default)]
    pub store: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub unique: bool,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default)]
    pub case_exact: bool,
    /// For a typed value (`emails[type eq "work"]`): mark it `primary` when read.
    #[serde(default)]
    pub primary: bool,
    /// Templates tried in order when the SCIM value is absent: the first whose fields are all present
    /// gives the LDAP value (for attributes LDAP requires but IdPs may omit).
    #[serde(default)]
    pub default: Vec<String>,
    /// A template written when the SCIM value is absent and no default applies, for attributes the
    /// directory requires; a stored value equal to it reads back as unassigned, so nothing invented
    /// shows up in SCIM.
    #[serde(default)]
    pub fallback: Option<String>,
    /// Steps from the SCIM value to the stored one, in order (`local_part`, `lower`, `prefix: "x-"`, …).
    #[serde(default)]
    pub transform: Vec<RawStep>,
    /// The LDAP attribute that keeps the SCIM value as sent, and that reads show, for a transform that
    /// cannot be undone.
    #[serde(default)]
    pub read_from: Option<String>,
    /// More LDAP attributes written with the same values (fan-out); only `ldap` is read back.
    #[serde(default)]
    pub also: Vec<String>,
    /// For an attribute SCIM shows one value of: a write keeps the LDAP attribute's other values
    /// (mail aliases) after the written one, instead of replacing them all.
    #[serde(default)]
    pub keep_other_values: bool,
    /// For a reference: the SCIM attributes of the users that identify the target besides `id`
    /// (`[id, userName, externalId]`: Okta sends the manager's login), tried in one search.
    #[serde(default, rename = "match")]
    pub match_by: Vec<String>,
    /// For a reference: `refuse` (400 naming the value) or `skip` (left out, logged) for a value that
    /// names nobody. Default: `skip` for a manager, `refuse` for members.
    #[serde(default)]
    pub unknown: Option<String>,
    /// What /Schemas says of the attribute (custom extensions; standard ones have RFC 7643's).
    #[serde(default)]
    pub description: Option<String>,
    /// Another SCIM attribute writes the same LDAP attribute, and that is meant (the compiler refuses
    /// it otherwise: the attribute would hold one value of each, mixed up on every write).
    #[serde(default)]
    pub shared: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawComputed {
    /// An LDAP attribute written from templates, never read back into SCIM.
    pub ldap: String,
    pub template: Vec<String>,
    /// Steps applied to the rendered template (as for attributes; a computed value is never read back).
    #[serde(default)]
    pub transform: Vec<RawStep>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawActive {
    /// `value` (a marker value) or `bit` (a bit of an integer attribute); absent in the shape before
    /// it, which inferred it from the keys and is refused.
    #[serde(default)]
    pub strategy: Option<String>,
    pub attribute: String,
    /// The value that marks a disabled account.
    #[serde(default)]
    pub disabled_value: Option<String>,
    /// The value of an enabled account; when absent, enabling removes the attribute.
    #[serde(default)]
    pub enabled_value: Option<String>,
    /// Instead of a value: the bit of an integer attribute that marks a disabled account (2 in
    /// Active Directory's userAccountControl).
    #[serde(default)]
    pub disabled_bit: Option<u64>,
    /// With `disabled_bit`: the attribute's value for a new enabled account (512 in AD).
    #[serde(default)]
    pub new_value: Option<u64>,
    /// The parent DN disabled accounts are moved to (and back from when enabled); `{base}` allowed.
    #[serde(default)]
    pub move_to: Option<String>,
    /// Attributes written when an account is enabled again (`lockoutTime: "0"` clears an AD
    /// lockout); `null` removes one.
    #[serde(default)]
    pub on_enable: BTreeMap<String, Option<String>>,
}
