use super::*;

const ATTRIBUTES: &[&str] = &[
    "( 2.5.4.3 NAME ( 'cn' 'commonName' ) SUP name )",
    "( 2.5.4.4 NAME ( 'sn' 'surname' ) SUP name )",
    "( 0.9.2342.19200300.100.1.1 NAME ( 'uid' 'userid' ) )",
    "( 0.9.2342.19200300.100.1.3 NAME ( 'mail' 'rfc822Mailbox' ) )",
    "( 2.5.4.12 NAME 'title' SUP name )",
    "( 0.9.2342.19200300.100.1.43 NAME ( 'co' 'friendlyCountryName' ) )",
    "( 0.9.2342.19200300.100.1.44 NAME 'uniqueIdentifier' )",
    "( 2.5.4.31 NAME 'member' SUP distinguishedName )",
];

const CLASSES: &[&str] = &[
    "( 2.5.6.0 NAME 'top' ABSTRACT MUST objectClass )",
    "( 2.5.6.6 NAME 'person' SUP top STRUCTURAL MUST ( sn $ cn ) )",
    "( 2.5.6.7 NAME 'organizationalPerson' SUP person STRUCTURAL MAY ( title ) )",
    "( 2.16.840.1.113730.3.2.2 NAME 'inetOrgPerson' SUP organizationalPerson STRUCTURAL MAY ( uid $ mail ) )",
    "( 1.3.6.1.4.1.1466.101.120.111 NAME 'extensibleObject' SUP top AUXILIARY )",
    "( 2.5.6.9 NAME 'groupOfNames' SUP top STRUCTURAL MUST ( member $ cn ) )",
];

const PERSON: &[&str] = &["top", "person", "organizationalPerson", "inetOrgPerson"];

/// The shipped OpenLDAP mapping, with `mail` unique as well, and changed by `edit`.
fn mapping(edit: impl Fn(String) -> String) -> Mapping {
    let text = include_str!("../../mappings/openldap.yaml").replace("ldap: mail }", "ldap: mail, unique: true }");
    crate::mapping::compile_str(&edit(text), "openldap.yaml", "dc=example,dc=org").unwrap_or_else(|e| panic!("{e}"))
}

fn entry(dn: &str, attrs: &[(&str, &[&str])]) -> Entry {
    let mut entry = Entry::new(dn);
    for (name, values) in attrs {
        entry.set(name, values.iter().map(|v| v.to_string()).collect());
    }
    entry
}

fn user(rdn: &str, uid: &str, extra: &[(&str, &[&str])]) -> Entry {
    let mut attrs: Vec<(&str, &[&str])> = vec![
        ("objectClass", PERSON),
        ("uid", std::slice::from_ref(&uid)),
        ("cn", &["x"]),
        ("sn", &["x"]),
    ];
    attrs.retain(|(name, _)| !extra.iter().any(|(e, _)| e == name));
    attrs.extend_from_slice(extra);
    entry(&format!("{rdn},ou=people,dc=example,dc=org"), &attrs)
}

fn report(mapping: &Mapping, users: &[Entry], groups: &[Entry]) -> TakeoverReport {
    let schema = Subschema::from_descriptions(ATTRIBUTES, CLASSES);
    let mut takeover = Takeover::new(mapping, &schema);
    for u in users {
        takeover.add(ResourceKind::User, u);
    }
    for g in groups {
        takeover.add(ResourceKind::Group, g);
    }
    takeover.finish()
}

fn finding(report: &TakeoverReport, kind: FindingKind, subject: &str) -> Option<(usize, Vec<String>)> {
    report
        .findings
        .iter()
        .find(|f| f.kind == kind && f.subject.eq_ignore_ascii_case(subject))
        .map(|f| (f.entries, f.examples.clone()))
}

#[test]
fn clean_entries_block_nothing() {
    let mapping = mapping(|t| t);
    let mut classes = PERSON.to_vec();
    classes.push("extensibleObject");
    let clean = user("uid=a", "a", &[("objectClass", &classes)]);
    let report = report(&mapping, &[clean], &[]);
    assert_eq!((report.users, report.groups, report.findings.clone()), (1, 0, vec![]));
    assert!(!report.blocks());
    assert!(report.to_text().contains("nothing in the entries stands in the way"));
}

#[test]
fn plain_entries_need_the_auxiliary_class_and_unallowed_attributes_are_refused() {
    let users = [user("uid=a", "a", &[]), user("uid=b", "b", &[])];
    let report_with = report(&mapping(|t| t), &users, &[]);
    assert_eq!(
        finding(&report_with, FindingKind::NeedsClass, "extensibleObject"),
        Some((
            2,
            vec![
                "uid=a,ou=people,dc=example,dc=org".into(),
                "uid=b,ou=people,dc=example,dc=org".into()
            ]
        ))
    );
    assert!(
        !report_with.blocks(),
        "the gateway adds extensibleObject: {:?}",
        report_with.findings
    );
    let without_extensible = mapping(|t| t.replace("inetOrgPerson, extensibleObject]", "inetOrgPerson]"));
    let refused = report(&without_extensible, &users, &[]);
    assert_eq!(finding(&refused, FindingKind::Refused, "co").map(|f| f.0), Some(2));
    assert_eq!(finding(&refused, FindingKind::Refused, "uniqueIdentifier").map(|f| f.0), Some(2));
    assert!(refused.blocks());
}

#[test]
fn several_values_where_scim_shows_one_are_counted_per_attribute() {
    let users = [
        user("uid=a", "a", &[("sn", &["One", "Two"]), ("mail", &["a@x", "a2@x"])]),
        user("uid=b", "b", &[("mail", &["b@x", "b2@x", "b3@x"])]),
    ];
    let report = report(&mapping(|t| t), &users, &[]);
    assert_eq!(finding(&report, FindingKind::MoreValues, "sn").map(|f| f.0), Some(1));
    assert_eq!(
        finding(&report, FindingKind::MoreValues, "mail"),
        Some((
            2,
            vec![
                "uid=a,ou=people,dc=example,dc=org (2 values)".into(),
                "uid=b,ou=people,dc=example,dc=org (3 values)".into()
            ]
        ))
    );
    assert_eq!(
        finding(&report, FindingKind::MoreValues, "cn"),
        None,
        "cn is name.formatted, one value: it has one here"
    );
}

#[test]
fn duplicates_of_unique_values_ignore_case_and_block() {
    let users = [
        user("uid=alice", "alice", &[("mail", &["Alice@Example.org"])]),
        user("cn=Alice Smith", "ALICE", &[("mail", &["alice@example.org"])]),
        user("uid=bob", "bob", &[("mail", &["bob@example.org"])]),
    ];
    let report = report(&mapping(|t| t), &users, &[]);
    let (count, examples) = finding(&report, FindingKind::Duplicate, "mail").unwrap_or_default();
    assert_eq!(count, 1);
    assert!(
        examples[0].contains("cn=Alice Smith") && examples[0].contains("uid=alice"),
        "{examples:?}"
    );
    assert_eq!(finding(&report, FindingKind::Duplicate, "uid").map(|f| f.0), Some(1));
    assert_eq!(
        finding(&report, FindingKind::OtherRdn, "cn"),
        Some((1, vec!["cn=Alice Smith,ou=people,dc=example,dc=org".into()]))
    );
    assert!(report.blocks());
    assert!(report.findings[0].blocking, "blocking findings come first");
}

#[test]
fn entries_missing_a_required_attribute_block() {
    let no_uid = entry(
        "uid=ghost,ou=people,dc=example,dc=org",
        &[("objectClass", PERSON), ("cn", &["g"]), ("sn", &["g"])],
    );
    let report = report(&mapping(|t| t), &[no_uid], &[]);
    assert_eq!(finding(&report, FindingKind::MissingRequired, "userName").map(|f| f.0), Some(1));
    assert!(report.blocks());
}

#[test]
fn members_outside_the_bases_or_naming_no_entry_are_reported() {
    let group = |cn: &str, members: &[&str]| {
        entry(
            &format!("cn={cn},ou=groups,dc=example,dc=org"),
            &[
                ("objectClass", &["top", "groupOfNames", "extensibleObject"]),
                ("cn", &[cn]),
                ("member", members),
            ],
        )
    };
    let groups = [
        group(
            "staff",
            &[
                "uid=a,ou=people,dc=example,dc=org",
                "UID=A, OU=People,dc=example,dc=org",
                "uid=gone,ou=people,dc=example,dc=org",
                "cn=contractor,ou=partners,dc=example,dc=org",
                "cn=empty-group-placeholder,dc=example,dc=org",
                "cn=later,ou=groups,dc=example,dc=org",
            ],
        ),
        group("later", &["uid=a,ou=people,dc=example,dc=org"]),
    ];
    let mut classes = PERSON.to_vec();
    classes.push("extensibleObject");
    let report = report(&mapping(|t| t), &[user("uid=a", "a", &[("objectClass", &classes)])], &groups);
    assert_eq!(report.groups, 2);
    assert_eq!(
        finding(&report, FindingKind::DanglingMember, "member"),
        Some((
            1,
            vec!["uid=gone,ou=people,dc=example,dc=org (in cn=staff,ou=groups,dc=example,dc=org)".into()]
        ))
    );
    assert_eq!(
        finding(&report, FindingKind::OutsideMember, "member"),
        Some((
            1,
            vec!["cn=contractor,ou=partners,dc=example,dc=org (in cn=staff,ou=groups,dc=example,dc=org)".into()]
        ))
    );
    assert!(!report.blocks(), "{:?}", report.findings);
    let text = report.to_text();
    assert!(text.starts_with("1 users, 2 groups\n"), "{text}");
    assert!(text.contains("note: groups: 1 member DNs lie under a base"), "{text}");
}

#[test]
fn examples_are_bounded() {
    let users: Vec<Entry> = (0..20).map(|i| user(&format!("uid=u{i}"), &format!("u{i}"), &[])).collect();
    let report = report(&mapping(|t| t), &users, &[]);
    let (count, examples) = finding(&report, FindingKind::NeedsClass, "extensibleObject").unwrap_or_default();
    assert_eq!((count, examples.len()), (20, EXAMPLES));
    assert!(report.to_text().contains("… and 15 more"));
    let json = serde_json::to_value(&report).unwrap_or_default();
    assert_eq!(json["findings"][0]["kind"], "needs_class");
}
