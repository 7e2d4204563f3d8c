//! Every mistake the compiler catches, with its line and reason.

use super::*;
use crate::mapping::test_mappings::{compile, users_with, GROUPS, USERS};

/// Users whose family name defaults to the userName (line 8).
fn good() -> String {
    users_with(&[r#"{ scim: name.familyName, ldap: sn, default: ["{userName}"] }"#])
}

/// Groups whose members are stored as the users' uid (posixGroup).
const POSIX_GROUPS: &str = r#"groups:
  base: "ou=groups,{base}"
  object_classes: [posixGroup]
  rdn: cn
  attributes:
    - { scim: displayName, ldap: cn }
    - { scim: members.value, ldap: memberUid, type: reference, store: rdn }
"#;

#[test]
fn members_stored_by_rdn_convert_both_ways() {
    let good = good();
    let mapping = compile_str(&format!("{good}{POSIX_GROUPS}"), "test.yaml", "dc=x").unwrap_or_else(|e| panic!("{e}"));
    let groups = mapping.groups.unwrap_or_else(|| panic!("no groups"));
    let members = groups.members().unwrap_or_else(|| panic!("no members"));
    assert_eq!(members.ref_value("uid=a\\2Cb,ou=People,dc=x").as_deref(), Some("a,b"));
    assert_eq!(members.ref_value("cn=ops,ou=groups,dc=x"), None, "not a user");
    assert_eq!(members.ref_value("uid=a,ou=elsewhere,dc=x"), None);
    assert_eq!(members.ref_dn("a,b"), "uid=a\\2cb,ou=people,dc=x");
    let plain = mapping.users.attrs.first().unwrap_or_else(|| panic!("no attributes"));
    assert_eq!(plain.ref_value("uid=a,ou=x"), Some("uid=a,ou=x".to_string()));
}

#[test]
fn an_administrators_filter_joins_the_type_filter_as_one_filter() {
    for written in ["objectCategory=person", "(objectCategory=person)"] {
        let text = USERS.replace(
            "  object_classes: [inetOrgPerson]\n",
            &format!("  filter: '{written}'\n  object_classes: [inetOrgPerson]\n"),
        );
        let mapping = compile_str(&text, "test.yaml", "dc=x").unwrap_or_else(|e| panic!("{e}"));
        let searched = mapping.users.of_type(crate::ldap::LdapFilter::eq("uid", "a")).to_string();
        assert_eq!(
            searched, "(&(uid=a)(!(!(&(objectClass=inetOrgPerson)(objectCategory=person)))))",
            "from {written:?}"
        );
        assert!(ldap3::parse_filter(&searched).is_ok(), "{searched}");
    }
}

fn error(text: &str) -> MappingError {
    match compile_str(text, "test.yaml", "dc=x") {
        Ok(_) => unreachable!("mapping should have been refused:\n{text}"),
        Err(e) => e,
    }
}

#[test]
fn a_good_mapping_compiles() {
    let good = good();
    let mapping = compile_str(&good, "test.yaml", "dc=x").map_err(|e| e.to_string());
    assert!(
        mapping
            .as_ref()
            .is_ok_and(|m| m.users.base == "ou=people,dc=x" && m.groups.is_none()),
        "{mapping:?}"
    );
}

#[test]
fn transforms_placement_and_allocation_compile() {
    let good = good();
    let text = format!(
            "{good}    - {{ scim: 'emails[type eq \"work\"].value', ldap: cn, transform: [lower, {{ prefix: 'm-' }}], also: [description] }}\n    \
             - {{ scim: title, ldap: title, transform: [local_part], read_from: seeAlso }}\n  scope: sub\n  \
             placement: {{ by: title, parents: {{ Eng: 'ou=eng,ou=people,{{base}}' }} }}\n  \
             allocate: [{{ ldap: uidNumber, from: 1000, to: 1999 }}]\n"
        );
    let mapping = compile_str(&text, "test.yaml", "dc=x").map_err(|e| e.to_string());
    let users = mapping.as_ref().map(|m| &m.users);
    assert!(
        users.is_ok_and(|u| {
            let title = u.attrs.iter().find(|a| a.ldap == "title");
            u.fetch_attrs.iter().any(|a| a == "seeAlso")
                && u.fetch_attrs.iter().any(|a| a == "description")
                && title.is_some_and(|t| t.read_source() == "seeAlso" && t.transform.steps.len() == 1)
                && u.placement
                    .as_ref()
                    .is_some_and(|p| p.parents == vec![("Eng".to_string(), "ou=eng,ou=people,dc=x".to_string())])
                && u.allocate.len() == 1
        }),
        "{mapping:?}"
    );
}

#[test]
fn a_computed_attribute_may_name_new_entries() {
    let good = good();
    let text = good.replace("rdn: uid", "rdn: cn") + "  computed:\n    - { ldap: cn, template: [\"{name.familyName}\", \"{userName}\"] }\n";
    let mapping = compile_str(&text, "t.yaml", "dc=x").unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(mapping.users.rdn_source, crate::mapping::RdnSource::Computed(0));
    assert_eq!(mapping.users.rdn_label(), "cn");
    assert!(mapping.users.rdn_map().is_none());
}

#[test]
fn errors_name_file_line_and_reason() {
    let good = good();
    let cases = [
        (good.replace("version: 1", "version: 2"), 1, "unsupported mapping version"),
        (good.replace("rdn: uid", "rdn: uid\n  colour: blue"), 6, "colour"),
        (good.replace("ldap: sn,", "ldap: 'bad name',"), 8, "not an LDAP attribute"),
        (good.replace("name.familyName", "nickname.x"), 8, "no sub-attributes"),
        (
            good.replace("name.familyName", "shoeSize"),
            8,
            "not an attribute of the core User schema",
        ),
        (
            good.replace("scim: name.familyName", "scim: 'phoneNumber[type eq \"work\"].value'"),
            8,
            "'phoneNumber' is not an attribute of the core User schema (did you mean phoneNumbers?)",
        ),
        (good.replace("{userName}", "{title}"), 8, "no attribute maps"),
        (good.replace("{userName}", "{userName"), 8, "unclosed"),
        (good.replace("rdn: uid", "rdn: cn"), 5, "rdn 'cn'"),
        (good.replace("{base}", "{basis}"), 3, "unknown variable"),
        (
            format!("{good}    - {{ scim: emails.value, ldap: mail, keep_other_values: true }}\n"),
            9,
            "keep_other_values applies to a writable attribute SCIM shows one value of",
        ),
        (
            good.replace("scim: name.familyName", "scim: 'emails[value eq \"x\"].value'"),
            8,
            "only be [type eq",
        ),
        (
            good.replace("scim: name.familyName", "scim: 'urn:example:ext:shoeSize'"),
            8,
            "not declared under extensions",
        ),
        (
            good.replace(
                "    - { scim: name.familyName, ldap: sn, default: [\"{userName}\"] }\n",
                "    - { scim: userName, ldap: cn }\n",
            ),
            8,
            "mapped twice",
        ),
        (
            good.replace(
                "  object_classes: [inetOrgPerson]\n",
                "  filter: '(broken'\n  object_classes: [inetOrgPerson]\n",
            ),
            4,
            "not a valid LDAP filter",
        ),
        (
            format!("{good}    - {{ scim: name.formatted, ldap: cn, fallback: '{{name.familyName}}' }}\n")
                .replace("default: [\"{userName}\"]", "fallback: \"{userName}\""),
            9,
            "has a fallback itself",
        ),
        (
            format!("{good}    - {{ scim: 'emails[type eq \"work\"].value', ldap: mail, fallback: '{{userName}}' }}\n"),
            9,
            "not to a typed value",
        ),
        (
            format!("{good}  password: {{ strategy: plaintext }}\n"),
            9,
            "password strategy 'plaintext' is not ignore, exop or unicode_pwd",
        ),
        (
            format!("{good}  active: {{ strategy: bit, attribute: userAccountControl, disabled_bit: 2 }}\n"),
            9,
            "strategy bit needs new_value",
        ),
        (
            format!("{good}  active: {{ strategy: bit, attribute: userAccountControl, disabled_bit: 6, new_value: 512 }}\n"),
            9,
            "disabled_bit 6 is not a single bit",
        ),
        (
            format!("{good}  active: {{ strategy: value, attribute: x, disabled_value: a, disabled_bit: 2 }}\n"),
            9,
            "strategy value takes disabled_value (and enabled_value), not disabled_bit or new_value",
        ),
        (
            format!("{good}  active: {{ strategy: bit, attribute: x, enabled_value: a, disabled_bit: 2, new_value: 0 }}\n"),
            9,
            "strategy bit takes disabled_bit and new_value, not disabled_value or enabled_value",
        ),
        (
            format!("{good}  active: {{ strategy: value, attribute: x }}\n"),
            9,
            "strategy value needs disabled_value",
        ),
        (
            format!("{good}  active: {{ strategy: marker, attribute: x, disabled_value: a }}\n"),
            9,
            "active strategy 'marker' is not value or bit",
        ),
        (
            format!("{good}  active: {{ strategy: bit, attribute: userAccountControl, disabled_bit: 2, new_value: 512 }}\n"),
            9,
            "add `password: { strategy: unicode_pwd }`",
        ),
        (format!("{good}  deactivate_when_ungrouped: true\n"), 9, "needs an active section"),
        (
            format!("{good}  member_cleanup: {{ strategy: gateway }}\n"),
            9,
            "member_cleanup applies to groups",
        ),
        (
            format!("{good}{POSIX_GROUPS}  member_cleanup: {{ strategy: overlay }}\n"),
            16,
            "member_cleanup strategy 'overlay' is not directory or gateway",
        ),
        (
            good.replace("ldap: uid }", "ldap: uid, store: rdn }"),
            7,
            "store: rdn applies to a group's members.value",
        ),
        (
            format!("{good}{POSIX_GROUPS}").replace("store: rdn", "store: uid"),
            15,
            "store 'uid' is not dn or rdn",
        ),
        (
            format!("{good}{POSIX_GROUPS}").replace("base: \"ou=people,{base}\"", "base: \"ou=people,{base}\"\n  scope: sub"),
            16,
            "the users need scope: one",
        ),
        (
            format!("{good}  empty_group: {{ strategy: refuse }}\n"),
            9,
            "empty_group applies to groups only",
        ),
        (
            format!("{good}  member_cleanup: {{ strategy: directory }}\n"),
            9,
            "member_cleanup applies to groups that map members",
        ),
        (
            good.replace("rdn: uid", "rdn: uid\n  delete: { strategy: hard, placeholder: x }"),
            6,
            "unknown key 'placeholder'",
        ),
        (
            good.replace("rdn: uid", "rdn: uid\n  delete: { strategy: disable }"),
            6,
            "needs the active section",
        ),
        (
            good.replace("rdn: uid", "rdn: uid\n  delete: { strategy: move }"),
            6,
            "needs an archive DN",
        ),
        (
            good.replace("rdn: uid", "rdn: uid\n  delete: { strategy: move, archive: 'ou=people,{base}' }"),
            6,
            "outside the resource's base",
        ),
        (
            good.replace("ldap: uid }", "ldap: uid, transform: [local_part] }"),
            7,
            "transform 'local_part' cannot be undone, so userName could not be read back from uid: add read_from",
        ),
        (
            good.replace("ldap: uid }", "ldap: uid, transform: [lower], case_exact: true }"),
            7,
            "transform 'lower' cannot be undone",
        ),
        (
            good.replace("ldap: uid }", "ldap: uid, transform: [local_part], read_from: sn }"),
            7,
            "'sn' is written from another source too",
        ),
        (
            good.replace("ldap: uid }", "ldap: uid, also: [uid] }"),
            7,
            "'uid' is written from another source too",
        ),
        (good.replace("ldap: uid }", "ldap: uid, read_from: mail }"), 7, "use also"),
        (
            format!("{good}    - {{ scim: title, ldap: title, read_only: true, also: [description] }}\n"),
            9,
            "read_only, so never written",
        ),
        (
            good.replace("ldap: uid }", "ldap: uid, transform: [{ regex: '(' }] }"),
            7,
            "regex '('",
        ),
        (good.replace("ldap: uid }", "ldap: uid, transform: [shout] }"), 7, "shout"),
        (
            good.replace("ldap: uid }", "ldap: uid, transform: [{ date: julian }] }"),
            7,
            "not generalized or unix",
        ),
        (
            good.replace("ldap: uid }", "ldap: uid, transform: [{ join: ',' }] }"),
            7,
            "join applies to a multi-valued",
        ),
        (
            good.replace("ldap: uid }", "ldap: uid, transform: [{ boolean: [Y, N] }] }"),
            7,
            "needs type: boolean",
        ),
        (
            format!("{good}  placement: {{ by: title, parents: {{ x: 'ou=x,ou=people,{{base}}' }} }}\n"),
            9,
            "placement by 'title', which no attribute maps",
        ),
        (
            format!("{good}  placement: {{ by: userName, parents: {{ x: 'ou=x,ou=people,{{base}}' }} }}\n"),
            9,
            "needs scope: sub",
        ),
        (
            format!("{good}  scope: sub\n  placement: {{ by: userName, parents: {{ x: 'ou=x,{{base}}' }} }}\n"),
            10,
            "must lie below the base",
        ),
        (
            format!("{good}  allocate: [{{ ldap: uidNumber, from: 10, to: 9 }}]\n"),
            9,
            "from 10 is above to 9",
        ),
        (
            format!("{good}  allocate: [{{ ldap: sn, from: 1, to: 9 }}]\n"),
            9,
            "sn is allocated",
        ),
        ("version: 1\nusers: [1, 2\n".to_string(), 0, ""),
    ];
    for (text, line, reason) in cases {
        let err = error(&text);
        assert_eq!(err.file, "test.yaml");
        if line > 0 {
            assert_eq!(err.line(), line, "{err}\n{text}");
        }
        assert!(err.to_string().contains(reason), "{err} should say {reason}");
        assert!(err.to_string().starts_with("test.yaml:"), "{err}");
    }
}

#[test]
fn every_independent_mistake_is_reported_sorted_by_line() {
    let good = good();
    let text = format!("{good}    - {{ scim: shoeSize, ldap: x }}\n    - {{ scim: title, ldap: 'bad name' }}\n{POSIX_GROUPS}")
        .replace(
            "{base}\"\n  object_classes: [posixGroup]",
            "{basis}\"\n  object_classes: [posixGroup]",
        )
        .replace("version: 1", "version: 2");
    let err = error(&text);
    let lines: Vec<u64> = err.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [1, 9, 10, 12], "{err}");
    let shown = err.to_string();
    let shown: Vec<&str> = shown.lines().collect();
    assert_eq!(shown.len(), 4, "{err}");
    assert!(shown[0].starts_with("test.yaml:1: unsupported mapping version 2"), "{err}");
    assert!(shown[1].starts_with("test.yaml:9: 'shoeSize' is not an attribute"), "{err}");
    assert!(shown[2].starts_with("test.yaml:10: 'bad name' is not an LDAP attribute"), "{err}");
    assert!(shown[3].starts_with("test.yaml:12: unknown variable in base"), "{err}");
}

#[test]
fn a_broken_attribute_entry_is_not_reported_again_as_missing() {
    let good = good();
    let err = error(&good.replace("ldap: uid }", "ldap: 'u id' }"));
    assert_eq!(err.problems.len(), 1, "{err}");
    assert_eq!(err.line(), 7);
}

#[test]
fn two_scim_attributes_on_one_ldap_attribute_need_shared() {
    let good = good();
    let phones = format!(
        "{good}    - {{ scim: 'phoneNumbers[type eq \"work\"].value', ldap: telephoneNumber }}\n    \
         - {{ scim: 'phoneNumbers[type eq \"mobile\"].value', ldap: telephoneNumber }}\n"
    );
    let err = error(&phones);
    assert_eq!(err.line(), 10, "{err}");
    let message = err.to_string();
    assert!(
        message.contains("phoneNumbers[type eq \"work\"].value (line 9) and phoneNumbers[type eq \"mobile\"].value (line 10) both write 'telephoneNumber'")
            && message.contains("shared: true"),
        "{message}"
    );
    let meant = phones.replace("ldap: telephoneNumber }\n\n", "").replace(
        "\"mobile\"].value', ldap: telephoneNumber }",
        "\"mobile\"].value', ldap: telephoneNumber, shared: true }",
    );
    assert!(compile_str(&meant, "test.yaml", "dc=x").is_ok());
    // A read-only attribute writes nothing.
    let read_only = format!("{good}    - {{ scim: displayName, ldap: sn, read_only: true }}\n");
    assert!(compile_str(&read_only, "test.yaml", "dc=x").is_ok());
}

#[test]
fn yaml_mistakes_are_said_in_plain_words_with_their_line() {
    let good = good();
    let cases = [
        (good.replace("  rdn: uid", "   rdn: uid"), 5, "the indentation is off"),
        (good.replace("  rdn: uid", "\trdn: uid"), 5, "a tab indents this line"),
        (
            good.replace("{ scim: userName, ldap: uid }", "{ scim: userName, ldap: uid"),
            7,
            "a '{' opened here is never closed",
        ),
        (good.replace("rdn: uid", "rdn: 'uid"), 5, "a quote opened here is never closed"),
        (
            good.replace("\"ou=people,{base}\"", "\"ou=people,{base}"),
            8,
            "text follows a quoted value: a closing quote is missing (perhaps on a line above)",
        ),
        (
            good.replace("  rdn: uid", "  rdn: uid\n  rdn: cn"),
            6,
            "'rdn' is given twice in the same section: keep one",
        ),
        (
            good.replace("  rdn: uid", "  rdn: uid\n  scpoe: sub"),
            6,
            "unknown key 'scpoe' (did you mean scope?); this section takes base, scope, filter, object_classes",
        ),
        (
            good.replace("ldap: uid }", "ldap: uid, requird: true }"),
            7,
            "unknown key 'requird' (did you mean required?); this section takes scim, ldap,",
        ),
        (good.replace("version: 1", "version: one"), 1, "a whole number is expected here"),
        (good.replace("  rdn: uid\n", ""), 5, "this section lacks 'rdn', which it needs"),
        (String::new(), 1, "the file is empty"),
    ];
    for (text, line, reason) in cases {
        let err = error(&text);
        assert_eq!(err.line(), line, "{err}\n{text}");
        assert!(err.to_string().starts_with(&format!("test.yaml:{line}: {reason}")), "{err}");
    }
}

#[test]
fn a_missing_or_unreadable_file_is_said_as_such() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let missing = dir.path().join("x.yaml");
    let err = load(&missing, "dc=x").err().map(|e| e.to_string());
    assert_eq!(err, Some(format!("{}: no such file", missing.display())));
    let err = load(dir.path(), "dc=x").err().map(|e| e.to_string());
    assert_eq!(err, Some(format!("{}: is a directory, not a mapping file", dir.path().display())));
}

#[test]
fn the_shapes_before_are_refused_with_the_one_that_replaced_them() {
    let good = good();
    let cases = [
        (
            format!("{good}  password: exop\n"),
            9,
            "`password: exop` is now `password: { strategy: exop }`",
        ),
        (
            format!("{good}  password: unicode_pwd\n"),
            9,
            "`password: unicode_pwd` is now `password: { strategy: unicode_pwd }`",
        ),
        (
            format!("{good}  delete: disable\n"),
            9,
            "`delete: disable` is now `delete: { strategy: disable }`",
        ),
        (
            format!("{good}{GROUPS}  member_cleanup: true\n"),
            16,
            "`member_cleanup: true` is now `member_cleanup: { strategy: gateway }`",
        ),
        (
            format!("{good}{GROUPS}  member_cleanup: false\n"),
            16,
            "`member_cleanup: false` is now `member_cleanup: { strategy: directory }`",
        ),
        (
            format!("{good}{GROUPS}  empty_group: refuse\n"),
            16,
            "`empty_group: refuse` is now `empty_group: { strategy: refuse }`",
        ),
        (
            format!("{good}{GROUPS}  unknown_members: skip\n"),
            16,
            "`unknown_members: skip` is now `unknown: skip` on the members.value entry",
        ),
        (
            good.replace("default: [\"{userName}\"]", "placeholder: \"{userName}\""),
            8,
            "an attribute's `placeholder: \"{userName}\"` is now `fallback: \"{userName}\"`",
        ),
        (
            // A block section's line is that of its first key.
            format!("{good}  active:\n    attribute: pwdAccountLockedTime\n    disabled_value: \"000001010000Z\"\n"),
            10,
            "active now names its strategy: `active: { strategy: value, attribute: pwdAccountLockedTime, disabled_value: … }`",
        ),
        (
            format!("{good}  active: {{ attribute: userAccountControl, disabled_bit: 2, new_value: 512 }}\n"),
            9,
            "active now names its strategy: `active: { strategy: bit, attribute: userAccountControl, disabled_bit: …, new_value: … }`",
        ),
    ];
    for (text, line, reason) in cases {
        let err = error(&text);
        assert_eq!(err.line(), line, "{err}\n{text}");
        assert!(err.to_string().starts_with(&format!("test.yaml:{line}: {reason}")), "{err}");
    }
}

#[test]
fn every_option_that_picks_a_behaviour_is_a_strategy_section() {
    let users = good().replace("default: [\"{userName}\"]", "fallback: \"{userName}\"")
        + "  password: { strategy: exop }\n  \
           active: { strategy: value, attribute: pwdAccountLockedTime, disabled_value: \"000001010000Z\" }\n  \
           delete: { strategy: disable }\n";
    let groups = GROUPS.replace("type: reference }", "type: reference, unknown: skip }")
        + "  member_cleanup: { strategy: gateway }\n  empty_group: { strategy: placeholder, placeholder: \"cn=empty,{base}\" }\n";
    let mapping = compile(&format!("{users}{groups}"));
    let users = &mapping.users;
    assert_eq!(users.password, Some(crate::ldap::PasswordWrite::Exop));
    assert!(matches!(users.delete, crate::mapping::DeleteStrategy::Disable));
    assert!(users.active.as_ref().is_some_and(|a| a.attribute() == "pwdAccountLockedTime"));
    assert!(users.attrs.iter().any(|a| a.ldap == "sn" && a.fallback.is_some()));
    let groups = mapping.groups.unwrap_or_else(|| panic!("no groups"));
    assert!(groups.member_cleanup);
    assert_eq!(groups.empty_group, crate::mapping::EmptyGroup::Placeholder("cn=empty,dc=x".into()));
    assert!(groups.members().is_some_and(|m| m.skip_unknown));
    // The defaults: members that name nobody are refused, and cleanup is left to the directory.
    let plain = compile(&format!("{}{GROUPS}", good()));
    let plain = plain.groups.unwrap_or_else(|| panic!("no groups"));
    assert!(!plain.member_cleanup && plain.members().is_some_and(|m| !m.skip_unknown));
}

/// Users with the enterprise extension and a custom one, each attribute given as `{ext}` names it.
fn with_extensions(enterprise: &str, custom: &str) -> String {
    let mut text = users_with(&[
        &format!("{{ scim: \"{enterprise}department\", ldap: departmentNumber }}"),
        &format!("{{ scim: \"{enterprise}employeeNumber\", ldap: employeeNumber }}"),
        &format!("{{ scim: \"{enterprise}manager.value\", ldap: manager, type: reference, match: [id, \"{enterprise}employeeNumber\"] }}"),
        &format!("{{ scim: \"{custom}osUsername\", ldap: description, default: [\"{{{enterprise}employeeNumber}}\"] }}"),
    ]);
    text.push_str(&format!(
        "  extensions:\n    - {{ urn: \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\", name: EnterpriseUser }}\n    \
         - {{ urn: \"urn:example:hubstaff:User\", name: hubstaff }}\n  \
         computed:\n    - {{ ldap: cn, template: [\"{{{custom}osUsername}}\", \"{{userName}}\"] }}\n  \
         scope: sub\n  placement: {{ by: \"{enterprise}department\", parents: {{ Eng: \"ou=eng,ou=people,{{base}}\" }} }}\n"
    ));
    text
}

#[test]
fn extension_attributes_may_be_named_by_the_extension_s_name() {
    let full = with_extensions(
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:",
        "urn:example:hubstaff:User:",
    );
    let full = compile(&full);
    for (enterprise, custom) in [("enterprise:", "hubstaff:"), ("EnterpriseUser:", "Hubstaff:")] {
        let short = compile(&with_extensions(enterprise, custom));
        assert_eq!(format!("{:?}", short.users), format!("{:?}", full.users), "{enterprise} {custom}");
    }
    let department = full.users.attrs.iter().find(|a| a.ldap == "departmentNumber");
    assert!(
        department.is_some_and(|a| a.scim.urn.as_deref() == Some(crate::scim::ENTERPRISE_USER_SCHEMA)),
        "{department:?}"
    );
}

#[test]
fn a_prefix_that_names_no_extension_or_several_is_refused_with_the_names_known() {
    let short = with_extensions("enterprise:", "hubstaff:");
    let cases = [
        (
            short.replacen("hubstaff:osUsername", "hubstuff:osUsername", 1),
            11,
            "'hubstuff:osUsername': no extension is named 'hubstuff' (did you mean hubstaff?); the names known here are \
             EnterpriseUser, hubstaff, enterprise",
        ),
        (
            short.replace("{enterprise:employeeNumber}", "{corp:employeeNumber}"),
            11,
            "'corp:employeeNumber': no extension is named 'corp'",
        ),
        (
            short.replace("match: [id, \"enterprise:employeeNumber\"]", "match: [id, \"hr:employeeNumber\"]"),
            10,
            "'hr:employeeNumber': no extension is named 'hr'",
        ),
        (
            short.replace("{hubstaff:osUsername}", "{staff:osUsername}"),
            16,
            "no extension is named 'staff'",
        ),
        (
            short.replace("by: \"enterprise:department\"", "by: \"ent:department\""),
            18,
            "no extension is named 'ent'",
        ),
        (
            short.replace("name: hubstaff", "name: enterprise"),
            11,
            "'hubstaff:osUsername': no extension is named 'hubstaff'",
        ),
        (
            short.replace("name: hubstaff", "name: Enterprise"),
            8,
            "'enterprise:department': 'enterprise' names several extensions (urn:example:hubstaff:User, \
             urn:ietf:params:scim:schemas:extension:enterprise:2.0:User): give each its own `name:`, or write the full URN",
        ),
    ];
    for (text, line, reason) in cases {
        let err = error(&text);
        assert!(
            err.problems.iter().any(|p| p.line == line && p.message.contains(reason)),
            "{err} should say at line {line}: {reason}\n{text}"
        );
    }
}
