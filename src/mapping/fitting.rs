//! Writes that fit the entry they land on: an entry other tools created may lack the auxiliary
//! classes the mapping gives new entries (an `inetOrgPerson` without `extensibleObject` cannot hold
//! `uniqueIdentifier` or `co`). When a write needs such an attribute, the mapping's auxiliary class
//! that allows it is added in the same modify. No class is ever removed, and a structural class is
//! never added (RFC 4512 §2.4.2: an entry's structural class cannot change).

use super::ResourceMapping;
use crate::ldap::schema::Subschema;
use crate::ldap::Modification;

/// Why a write cannot fit an entry: an attribute that no class of the entry and no auxiliary class
/// of the mapping allows. → 400 `invalidValue`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{attribute} ({ldap}) cannot be stored on {dn}: its object classes ({classes}) do not allow {ldap}, and no auxiliary class among the mapping's object_classes does; add one that allows it to the mapping's object_classes (such as extensibleObject where the directory permits it) or to the entry, or remove {attribute} from the mapping"
)]
pub struct NotAllowed {
    pub attribute: String,
    pub ldap: String,
    pub dn: String,
    pub classes: String,
}

/// The auxiliary classes to add to an entry of `entry_classes` so that it may hold what `mods`
/// write; empty when its classes allow everything already (the directory refused for another reason).
/// `present` names the attributes the entry holds.
pub fn classes_to_add(
    mapping: &ResourceMapping,
    schema: &Subschema,
    entry_dn: &str,
    entry_classes: &[String],
    present: &[&str],
    mods: &[Modification],
) -> Result<Vec<String>, NotAllowed> {
    let mut added: Vec<String> = Vec::new();
    let mut holds: Vec<&str> = present.to_vec();
    holds.extend(written(mods));
    for attribute in written(mods) {
        let with_added: Vec<&str> = entry_classes.iter().chain(&added).map(String::as_str).collect();
        if schema.allows(&with_added, attribute) {
            continue;
        }
        match schema.auxiliary_for(&mapping.object_classes, attribute, &holds) {
            Some(class) => added.push(class),
            None => {
                return Err(NotAllowed {
                    attribute: scim_name(mapping, attribute),
                    ldap: attribute.to_string(),
                    dn: entry_dn.to_string(),
                    classes: entry_classes.join(", "),
                })
            }
        }
    }
    Ok(added)
}

/// The attributes a modify gives values to.
fn written(mods: &[Modification]) -> impl Iterator<Item = &str> {
    mods.iter().filter_map(|m| match m {
        Modification::Add(a, values) | Modification::Replace(a, values) if !values.is_empty() && !a.eq_ignore_ascii_case("objectClass") => {
            Some(a.as_str())
        }
        _ => None,
    })
}

/// The SCIM attribute that writes `ldap`, for messages (the LDAP name when none does).
fn scim_name(mapping: &ResourceMapping, ldap: &str) -> String {
    mapping
        .attrs
        .iter()
        .find(|a| {
            std::iter::once(&a.ldap)
                .chain(&a.read_from)
                .chain(&a.also)
                .any(|n| n.eq_ignore_ascii_case(ldap))
        })
        .map_or_else(|| ldap.to_string(), |a| a.scim_path())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::compile_str;

    const MAPPING: &str = r#"version: 1
users:
  base: "ou=people,{base}"
  object_classes: [top, person, organizationalPerson, inetOrgPerson, extensibleObject, posixAccount]
  rdn: uid
  attributes:
    - { scim: userName, ldap: uid }
    - { scim: externalId, ldap: uniqueIdentifier }
    - { scim: title, ldap: title }
    - { scim: "urn:x:posix:User:shell", ldap: loginShell }
  extensions:
    - urn: "urn:x:posix:User"
"#;

    fn schema() -> Subschema {
        Subschema::from_descriptions(
            &[
                "( 2.5.4.12 NAME 'title' )",
                "( 9.1 NAME 'uniqueIdentifier' )",
                "( 9.2 NAME 'loginShell' )",
                "( 9.3 NAME 'uid' )",
                "( 9.4 NAME 'objectClass' )",
            ],
            &[
                "( 2.5.6.0 NAME 'top' ABSTRACT MUST objectClass )",
                "( 2.5.6.6 NAME 'person' SUP top STRUCTURAL MAY ( title ) )",
                "( 2.5.6.7 NAME 'organizationalPerson' SUP person STRUCTURAL )",
                "( 9.5 NAME 'inetOrgPerson' SUP organizationalPerson STRUCTURAL MAY uid )",
                "( 9.6 NAME 'extensibleObject' SUP top AUXILIARY )",
                "( 9.7 NAME 'posixAccount' SUP top AUXILIARY MAY loginShell )",
            ],
        )
    }

    fn replace(attr: &str, value: &str) -> Modification {
        Modification::Replace(attr.into(), vec![value.into()])
    }

    fn plain_person() -> Vec<String> {
        vec!["top".into(), "inetOrgPerson".into()]
    }

    #[test]
    fn the_class_that_allows_an_attribute_is_added_once() {
        let m = compile_str(MAPPING, "t.yaml", "dc=x").unwrap_or_else(|e| unreachable!("{e}")).users;
        let fit = |present: &[&str], mods: &[Modification]| classes_to_add(&m, &schema(), "uid=a,dc=x", &plain_person(), present, mods);
        assert_eq!(
            fit(&["uid"], &[replace("loginShell", "/bin/sh"), replace("uniqueIdentifier", "e-1")]),
            Ok(vec!["posixAccount".to_string(), "extensibleObject".to_string()]),
            "the class that names loginShell, then extensibleObject for the rest"
        );
        assert_eq!(
            fit(&["uid"], &[replace("uniqueIdentifier", "e-1"), replace("loginShell", "/bin/sh")]),
            Ok(vec!["extensibleObject".to_string()]),
            "extensibleObject, once added, allows loginShell too"
        );
        assert_eq!(
            fit(&[], &[replace("title", "Boss")]),
            Ok(Vec::new()),
            "an entry that allows the write needs nothing"
        );
        assert_eq!(
            fit(&[], &[Modification::Delete("uniqueIdentifier".into(), vec![])]),
            Ok(Vec::new()),
            "removing a value needs no class"
        );
    }

    #[test]
    fn without_an_auxiliary_class_the_refusal_names_the_attribute_and_what_to_change() {
        let mapping = MAPPING.replace(", extensibleObject, posixAccount", "");
        let m = compile_str(&mapping, "t.yaml", "dc=x")
            .unwrap_or_else(|e| unreachable!("{e}"))
            .users;
        let err = classes_to_add(
            &m,
            &schema(),
            "uid=a,dc=x",
            &plain_person(),
            &[],
            &[replace("uniqueIdentifier", "e")],
        );
        let message = err.map_err(|e| e.to_string()).err().unwrap_or_default();
        assert!(
            message.starts_with("externalId (uniqueIdentifier) cannot be stored on uid=a,dc=x: its object classes (top, inetOrgPerson)"),
            "{message}"
        );
        assert!(
            message.contains("add one that allows it to the mapping's object_classes"),
            "{message}"
        );
    }
}
