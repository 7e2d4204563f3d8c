//! RFC 7643's descriptions of the core User and Group attributes (§4, §8.7.1) and of the enterprise
//! extension (§4.3, §8.7.2), as /Schemas shows them: Entra's validator and admins read them.

use super::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};

/// A schema's own description.
pub fn schema_description(schema_id: &str) -> Option<&'static str> {
    match schema_id {
        USER_SCHEMA => Some("User Account"),
        GROUP_SCHEMA => Some("Group"),
        ENTERPRISE_USER_SCHEMA => Some("Enterprise User"),
        _ => None,
    }
}

/// The description of attribute `name` (or of its sub-attribute `sub`) in schema `schema_id`.
pub fn attribute_description(schema_id: &str, name: &str, sub: Option<&str>) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    let sub = sub.map(str::to_ascii_lowercase);
    match (schema_id, name.as_str(), sub.as_deref()) {
        (USER_SCHEMA, attr, sub) => user(attr, sub),
        (GROUP_SCHEMA, "displayname", None) => Some("A human-readable name for the Group. REQUIRED."),
        (GROUP_SCHEMA, "members", sub) => members(sub),
        (GROUP_SCHEMA, "externalid", None) => Some(EXTERNAL_ID),
        (ENTERPRISE_USER_SCHEMA, attr, sub) => enterprise(attr, sub),
        _ => None,
    }
}

const EXTERNAL_ID: &str = "A String that is an identifier for the resource as defined by the provisioning client.";

fn user(attr: &str, sub: Option<&str>) -> Option<&'static str> {
    Some(match (attr, sub) {
        ("username", None) => "Unique identifier for the User, typically used by the user to directly authenticate to the service provider. Each User MUST include a non-empty userName value. This identifier MUST be unique across the service provider's entire set of Users. REQUIRED.",
        ("externalid", None) => EXTERNAL_ID,
        ("name", None) => "The components of the user's real name. Providers MAY return just the full name as a single string in the formatted sub-attribute, or they MAY return just the individual component attributes using the other sub-attributes, or they MAY return both.",
        ("name", Some("formatted")) => "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display (e.g., 'Ms. Barbara J Jensen, III').",
        ("name", Some("familyname")) => "The family name of the User, or last name in most Western languages (e.g., 'Jensen' given the full name 'Ms. Barbara J Jensen, III').",
        ("name", Some("givenname")) => "The given name of the User, or first name in most Western languages (e.g., 'Barbara' given the full name 'Ms. Barbara J Jensen, III').",
        ("name", Some("middlename")) => "The middle name(s) of the User (e.g., 'Jane' given the full name 'Ms. Barbara J Jensen, III').",
        ("name", Some("honorificprefix")) => "The honorific prefix(es) of the User, or title in most Western languages (e.g., 'Ms.' given the full name 'Ms. Barbara J Jensen, III').",
        ("name", Some("honorificsuffix")) => "The honorific suffix(es) of the User, or suffix in most Western languages (e.g., 'III' given the full name 'Ms. Barbara J Jensen, III').",
        ("displayname", None) => "The name of the User, suitable for display to end-users. The name SHOULD be the full name of the User being described, if known.",
        ("nickname", None) => "The casual way to address the user in real life, e.g., 'Bob' or 'Bobby' instead of 'Robert'. This attribute SHOULD NOT be used to represent a User's username (e.g., 'bjensen' or 'mpepperidge').",
        ("profileurl", None) => "A fully qualified URL pointing to a page representing the User's online profile.",
        ("title", None) => "The user's title, such as \"Vice President.\"",
        ("usertype", None) => "Used to identify the relationship between the organization and the user. Typical values used might be 'Contractor', 'Employee', 'Intern', 'Temp', 'External', and 'Unknown', but any value may be used.",
        ("preferredlanguage", None) => "Indicates the User's preferred written or spoken language. Generally used for selecting a localized user interface; e.g., 'en_US' specifies the language English and country US.",
        ("locale", None) => "Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations.",
        ("timezone", None) => "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'.",
        ("active", None) => "A Boolean value indicating the User's administrative status.",
        ("password", None) => "The User's cleartext password. This attribute is intended to be used as a means to specify an initial password when creating a new User or to reset an existing User's password.",
        ("emails", None) => "Email addresses for the user. The value SHOULD be canonicalized by the service provider, e.g., 'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'. Canonical type values of 'work', 'home', and 'other'.",
        ("emails", Some("value")) => "Email addresses for the user. The value SHOULD be canonicalized by the service provider, e.g., 'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'.",
        ("phonenumbers", None) => "Phone numbers for the User. The value SHOULD be canonicalized by the service provider according to the format specified in RFC 3966, e.g., 'tel:+1-201-555-0123'. Canonical type values of 'work', 'home', 'mobile', 'fax', 'pager', and 'other'.",
        ("phonenumbers", Some("value")) => "Phone number of the User.",
        ("ims", None) => "Instant messaging addresses for the User.",
        ("ims", Some("value")) => "Instant messaging address for the User.",
        ("photos", None) => "URLs of photos of the User.",
        ("photos", Some("value")) => "URL of a photo of the User.",
        ("addresses", None) => "A physical mailing address for this User. Canonical type values of 'work', 'home', and 'other'.",
        ("addresses", Some("formatted")) => "The full mailing address, formatted for display or use with a mailing label. This attribute MAY contain newlines.",
        ("addresses", Some("streetaddress")) => "The full street address component, which may include house number, street name, P.O. box, and multi-line extended street address information. This attribute MAY contain newlines.",
        ("addresses", Some("locality")) => "The city or locality component.",
        ("addresses", Some("region")) => "The state or region component.",
        ("addresses", Some("postalcode")) => "The zip code or postal code component.",
        ("addresses", Some("country")) => "The country name component.",
        ("groups", None) => "A list of groups to which the user belongs, either through direct membership, through nested groups, or dynamically calculated.",
        ("groups", Some("value")) => "The identifier of the User's group.",
        ("groups", Some("$ref")) => "The URI of the corresponding 'Group' resource to which the user belongs.",
        ("groups", Some("display")) => "A human-readable name, primarily used for display purposes. READ-ONLY.",
        ("entitlements", None) => "A list of entitlements for the User that represent a thing the User has.",
        ("entitlements", Some("value")) => "The value of an entitlement.",
        ("roles", None) => "A list of roles for the User that collectively represent who the User is, e.g., 'Student', 'Faculty'.",
        ("roles", Some("value")) => "The value of a role.",
        ("x509certificates", None) => "A list of certificates issued to the User.",
        ("x509certificates", Some("value")) => "The value of an X.509 certificate.",
        (_, Some("type")) => "A label indicating the attribute's function, e.g., 'work' or 'home'.",
        (_, Some("primary")) => "A Boolean value indicating the 'primary' or preferred attribute value for this attribute. The primary attribute value 'true' MUST appear no more than once.",
        (_, Some("display")) => "A human-readable name, primarily used for display purposes. READ-ONLY.",
        _ => return None,
    })
}

fn members(sub: Option<&str>) -> Option<&'static str> {
    Some(match sub {
        None => "A list of members of the Group.",
        Some("value") => "Identifier of the member of this Group.",
        Some("$ref") => "The URI corresponding to a SCIM resource that is a member of this Group.",
        Some("type") => "A label indicating the type of resource, e.g., 'User' or 'Group'.",
        Some("display") => "A human-readable name, primarily used for display purposes. READ-ONLY.",
        _ => return None,
    })
}

fn enterprise(attr: &str, sub: Option<&str>) -> Option<&'static str> {
    Some(match (attr, sub) {
        ("employeenumber", None) => "Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization.",
        ("costcenter", None) => "Identifies the name of a cost center.",
        ("organization", None) => "Identifies the name of an organization.",
        ("division", None) => "Identifies the name of a division.",
        ("department", None) => "Identifies the name of a department.",
        ("manager", None) => "The User's manager. A complex type that optionally allows service providers to represent organizational hierarchy by referencing the 'id' attribute of another User.",
        ("manager", Some("value")) => "The id of the SCIM resource representing the User's manager. REQUIRED.",
        ("manager", Some("$ref")) => "The URI of the SCIM resource representing the User's manager. REQUIRED.",
        ("manager", Some("displayname")) => "The displayName of the User's manager. OPTIONAL and READ-ONLY.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_and_enterprise_attributes_have_the_rfc_s_descriptions() {
        assert_eq!(schema_description(USER_SCHEMA), Some("User Account"));
        assert!(attribute_description(USER_SCHEMA, "userName", None).is_some_and(|d| d.starts_with("Unique identifier for the User")));
        assert!(attribute_description(USER_SCHEMA, "emails", Some("type")).is_some());
        assert!(attribute_description(GROUP_SCHEMA, "members", Some("value")).is_some());
        assert!(attribute_description(ENTERPRISE_USER_SCHEMA, "manager", Some("value")).is_some());
        assert_eq!(attribute_description("urn:x:custom", "osUsername", None), None);
    }
}
