//! Every mistake the compiler catches, with its line and reason.

use super::*;

const GOOD: &str = r#"version: 1
users:
  base: "ou=people,{base}"
  object_classes: [inetOrgPerson]
  rdn: uid
  attributes:
    - { scim: userName, ldap: uid }
    - { scim: name.familyName, ldap: sn, default: ["{userName}"] }
"#;

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
    let mapping = compile_str(&format!("{GOOD}{POSIX_GROUPS}"), "test.yaml", "dc=x").unwrap_or_else(|e| panic!("{e}"));
    let groups = mapping.groups.unwrap_or_else(|| panic!("no groups"));
    let members = groups.members().unwrap_or_else(|| panic!("no members"));
    assert_eq!(members.ref_value("uid=a\\2Cb,ou=People,dc=x").as_deref(), Some("a,b"));
    assert_eq!(members.ref_value("cn=ops,ou=groups,dc=x"), None, "not a user");
    assert_eq!(members.ref_value("uid=a,ou=elsewhere,dc=x"), None);
    assert_eq!(members.ref_dn("a,b"), "uid=a\\2cb,ou=people,dc=x");
    let plain = mapping.users.attrs.first().unwrap_or_else(|| panic!("no attributes"));
    assert_eq!(plain.ref_value("uid=a,ou=x"), Some("uid=a,ou=x".to_string()));
}

fn error(text: &str) -> MappingError {
    match compile_str(text, "test.yaml", "dc=x") {
        Ok(_) => unreachable!("mapping should have been refused:\n{text}"),
        Err(e) => e,
    }
}

#[test]
fn a_good_mapping_compiles() {
    let mapping = compile_str(GOOD, "test.yaml", "dc=x").map_err(|e| e.to_string());
    assert!(
        mapping
            .as_ref()
            .is_ok_and(|m| m.users.base == "ou=people,dc=x" && m.groups.is_none()),
        "{mapping:?}"
    );
}

#[test]
fn transforms_placement_and_allocation_compile() {
    let text = format!(
            "{GOOD}    - {{ scim: 'emails[type eq \"work\"].value', ldap: cn, transform: [lower, {{ prefix: 'm-' }}], also: [description] }}\n    \
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
    let text = GOOD.replace("rdn: uid", "rdn: cn") + "  computed:\n    - { ldap: cn, template: [\"{name.familyName}\", \"{userName}\"] }\n";
    let mapping = compile_str(&text, "t.yaml", "dc=x").unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(mapping.users.rdn_source, crate::mapping::RdnSource::Computed(0));
    assert_eq!(mapping.users.rdn_label(), "cn");
    assert!(mapping.users.rdn_map().is_none());
}

#[test]
fn errors_name_file_line_and_reason() {
    let cases = [
        (GOOD.replace("version: 1", "version: 2"), 1, "unsupported mapping version"),
        (GOOD.replace("rdn: uid", "rdn: uid\n  colour: blue"), 6, "colour"),
        (GOOD.replace("ldap: sn,", "ldap: 'bad name',"), 8, "not an LDAP attribute"),
        (GOOD.replace("name.familyName", "nickname.x"), 8, "no sub-attributes"),
        (
            GOOD.replace("name.familyName", "shoeSize"),
            8,
            "not an attribute of the core User schema",
        ),
        (
            GOOD.replace("scim: name.familyName", "scim: 'phoneNumber[type eq \"work\"].value'"),
            8,
            "'phoneNumber' is not an attribute of the core User schema (did you mean phoneNumbers?)",
        ),
        (GOOD.replace("{userName}", "{title}"), 8, "no attribute maps"),
        (GOOD.replace("{userName}", "{userName"), 8, "unclosed"),
        (GOOD.replace("rdn: uid", "rdn: cn"), 5, "rdn 'cn'"),
        (GOOD.replace("{base}", "{basis}"), 3, "unknown placeholder"),
        (
            format!("{GOOD}    - {{ scim: emails.value, ldap: mail, keep_other_values: true }}\n"),
            9,
            "keep_other_values applies to a writable attribute SCIM shows one value of",
        ),
        (
            GOOD.replace("scim: name.familyName", "scim: 'emails[value eq \"x\"].value'"),
            8,
            "only be [type eq",
        ),
        (
            GOOD.replace("scim: name.familyName", "scim: 'urn:example:ext:shoeSize'"),
            8,
            "not declared under extensions",
        ),
        (
            GOOD.replace(
                "    - { scim: name.familyName, ldap: sn, default: [\"{userName}\"] }\n",
                "    - { scim: userName, ldap: cn }\n",
            ),
            8,
            "mapped twice",
        ),
        (
            GOOD.replace(
                "  object_classes: [inetOrgPerson]\n",
                "  filter: '(broken'\n  object_classes: [inetOrgPerson]\n",
            ),
            4,
            "not a valid LDAP filter",
        ),
        (
            format!("{GOOD}    - {{ scim: name.formatted, ldap: cn, placeholder: '{{name.familyName}}' }}\n")
                .replace("default: [\"{userName}\"]", "placeholder: \"{userName}\""),
            9,
            "has a placeholder itself",
        ),
        (
            format!("{GOOD}    - {{ scim: 'emails[type eq \"work\"].value', ldap: mail, placeholder: '{{userName}}' }}\n"),
            9,
            "not to a typed value",
        ),
        (
            format!("{GOOD}  password: plaintext\n"),
            9,
            "password 'plaintext' is not ignore, exop or unicode_pwd",
        ),
        (
            format!("{GOOD}  active: {{ attribute: userAccountControl, disabled_bit: 2 }}\n"),
            9,
            "disabled_bit needs new_value",
        ),
        (
            format!("{GOOD}  active: {{ attribute: userAccountControl, disabled_bit: 6, new_value: 512 }}\n"),
            9,
            "disabled_bit 6 is not a single bit",
        ),
        (
            format!("{GOOD}  active: {{ attribute: x, disabled_value: a, disabled_bit: 2, new_value: 0 }}\n"),
            9,
            "not both",
        ),
        (
            format!("{GOOD}  active: {{ attribute: userAccountControl, disabled_bit: 2, new_value: 512 }}\n"),
            9,
            "add `password: unicode_pwd`",
        ),
        (format!("{GOOD}  deactivate_when_ungrouped: true\n"), 9, "needs an active section"),
        (format!("{GOOD}  member_cleanup: true\n"), 3, "member_cleanup applies to groups"),
        (
            GOOD.replace("ldap: uid }", "ldap: uid, store: rdn }"),
            7,
            "store: rdn applies to a group's members.value",
        ),
        (
            format!("{GOOD}{POSIX_GROUPS}").replace("store: rdn", "store: uid"),
            15,
            "store 'uid' is not dn or rdn",
        ),
        (
            format!("{GOOD}{POSIX_GROUPS}").replace("base: \"ou=people,{base}\"", "base: \"ou=people,{base}\"\n  scope: sub"),
            16,
            "the users need scope: one",
        ),
        (
            format!("{GOOD}  unknown_members: skip\n"),
            0,
            "unknown_members applies to groups only",
        ),
        (
            format!("{GOOD}  empty_group: {{ strategy: placeholder }}\n"),
            0,
            "empty_group applies to groups only",
        ),
        (
            GOOD.replace("rdn: uid", "rdn: uid\n  delete: { strategy: disable }"),
            6,
            "needs the active section",
        ),
        (
            GOOD.replace("rdn: uid", "rdn: uid\n  delete: { strategy: move }"),
            6,
            "needs an archive DN",
        ),
        (
            GOOD.replace("rdn: uid", "rdn: uid\n  delete: { strategy: move, archive: 'ou=people,{base}' }"),
            6,
            "outside the resource's base",
        ),
        (
            GOOD.replace("ldap: uid }", "ldap: uid, transform: [local_part] }"),
            7,
            "transform 'local_part' cannot be undone, so userName could not be read back from uid: add read_from",
        ),
        (
            GOOD.replace("ldap: uid }", "ldap: uid, transform: [lower], case_exact: true }"),
            7,
            "transform 'lower' cannot be undone",
        ),
        (
            GOOD.replace("ldap: uid }", "ldap: uid, transform: [local_part], read_from: sn }"),
            7,
            "'sn' is written from another source too",
        ),
        (
            GOOD.replace("ldap: uid }", "ldap: uid, also: [uid] }"),
            7,
            "'uid' is written from another source too",
        ),
        (GOOD.replace("ldap: uid }", "ldap: uid, read_from: mail }"), 7, "use also"),
        (
            format!("{GOOD}    - {{ scim: title, ldap: title, read_only: true, also: [description] }}\n"),
            9,
            "read_only, so never written",
        ),
        (
            GOOD.replace("ldap: uid }", "ldap: uid, transform: [{ regex: '(' }] }"),
            7,
            "regex '('",
        ),
        (GOOD.replace("ldap: uid }", "ldap: uid, transform: [shout] }"), 7, "shout"),
        (
            GOOD.replace("ldap: uid }", "ldap: uid, transform: [{ date: julian }] }"),
            7,
            "not generalized or unix",
        ),
        (
            GOOD.replace("ldap: uid }", "ldap: uid, transform: [{ join: ',' }] }"),
            7,
            "join applies to a multi-valued",
        ),
        (
            GOOD.replace("ldap: uid }", "ldap: uid, transform: [{ boolean: [Y, N] }] }"),
            7,
            "needs type: boolean",
        ),
        (
            format!("{GOOD}  placement: {{ by: title, parents: {{ x: 'ou=x,ou=people,{{base}}' }} }}\n"),
            9,
            "placement by 'title', which no attribute maps",
        ),
        (
            format!("{GOOD}  placement: {{ by: userName, parents: {{ x: 'ou=x,ou=people,{{base}}' }} }}\n"),
            9,
            "needs scope: sub",
        ),
        (
            format!("{GOOD}  scope: sub\n  placement: {{ by: userName, parents: {{ x: 'ou=x,{{base}}' }} }}\n"),
            10,
            "must lie below the base",
        ),
        (
            format!("{GOOD}  allocate: [{{ ldap: uidNumber, from: 10, to: 9 }}]\n"),
            9,
            "from 10 is above to 9",
        ),
        (
            format!("{GOOD}  allocate: [{{ ldap: sn, from: 1, to: 9 }}]\n"),
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
    let text = format!("{GOOD}    - {{ scim: shoeSize, ldap: x }}\n    - {{ scim: title, ldap: 'bad name' }}\n{POSIX_GROUPS}")
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
    assert!(shown[3].starts_with("test.yaml:12: unknown placeholder in base"), "{err}");
}

#[test]
fn a_broken_attribute_entry_is_not_reported_again_as_missing() {
    let err = error(&GOOD.replace("ldap: uid }", "ldap: 'u id' }"));
    assert_eq!(err.problems.len(), 1, "{err}");
    assert_eq!(err.line(), 7);
}

#[test]
fn two_scim_attributes_on_one_ldap_attribute_need_shared() {
    let phones = format!(
        "{GOOD}    - {{ scim: 'phoneNumbers[type eq \"work\"].value', ldap: telephoneNumber }}\n    \
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
    let read_only = format!("{GOOD}    - {{ scim: displayName, ldap: sn, read_only: true }}\n");
    assert!(compile_str(&read_only, "test.yaml", "dc=x").is_ok());
}

#[test]
fn yaml_mistakes_are_said_in_plain_words_with_their_line() {
    let cases = [
        (GOOD.replace("  rdn: uid", "   rdn: uid"), 5, "the indentation is off"),
        (GOOD.replace("  rdn: uid", "\trdn: uid"), 5, "a tab indents this line"),
        (
            GOOD.replace("{ scim: userName, ldap: uid }", "{ scim: userName, ldap: uid"),
            7,
            "a '{' opened here is never closed",
        ),
        (GOOD.replace("rdn: uid", "rdn: 'uid"), 5, "a quote opened here is never closed"),
        (
            GOOD.replace("\"ou=people,{base}\"", "\"ou=people,{base}"),
            8,
            "text follows a quoted value: a closing quote is missing (perhaps on a line above)",
        ),
        (
            GOOD.replace("  rdn: uid", "  rdn: uid\n  rdn: cn"),
            6,
            "'rdn' is given twice in the same section: keep one",
        ),
        (
            GOOD.replace("  rdn: uid", "  rdn: uid\n  scpoe: sub"),
            6,
            "unknown key 'scpoe' (did you mean scope?); this section takes base, scope, filter, object_classes",
        ),
        (
            GOOD.replace("ldap: uid }", "ldap: uid, requird: true }"),
            7,
            "unknown key 'requird' (did you mean required?); this section takes scim, ldap,",
        ),
        (GOOD.replace("version: 1", "version: one"), 1, "a whole number is expected here"),
        (GOOD.replace("  rdn: uid\n", ""), 5, "this section lacks 'rdn', which it needs"),
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
