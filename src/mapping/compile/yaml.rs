//! The YAML parser's complaints in plain words: an admin who indented one line a space too far reads
//! "the indentation is off" rather than "while parsing a block mapping, did not find expected key".
//! The line comes with the error; this is the reason only.

use super::first_line;
use crate::mapping::suggest::did_you_mean;

/// The reason of a serde-saphyr error message (`error: line 6 column 3: …`, a source snippet after),
/// in plain words where it is a common mistake, else as the parser said it.
pub(super) fn plain(message: &str) -> String {
    let first = first_line(message);
    let reason = without_position(&first);
    if let Some(rest) = reason.strip_prefix("unknown field `") {
        return unknown_key(rest);
    }
    if let Some(rest) = reason.strip_prefix("missing field `") {
        let key = rest.split('`').next().unwrap_or(rest);
        return format!("this section lacks '{key}', which it needs");
    }
    if let Some(rest) = reason.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest).trim();
        return format!("'{key}' is given twice in the same section: keep one");
    }
    let plain = [
        ("tabs disallowed", "a tab indents this line: YAML indents with spaces only"),
        (
            "did not find expected",
            "the indentation is off: this line must start in the same column as the other keys (or '- ' items) of its section",
        ),
        (
            "mapping values are not allowed",
            "a ':' where no key can start: the indentation is off, or a value that holds ': ' needs quotes around it",
        ),
        ("unclosed bracket '{'", "a '{' opened here is never closed: add the '}'"),
        ("unclosed bracket '['", "a '[' opened here is never closed: add the ']'"),
        ("unclosed quote", "a quote opened here is never closed: add the closing quote"),
        (
            "invalid trailing content after",
            "text follows a quoted value: a closing quote is missing (perhaps on a line above), or the value needs quotes around all of it",
        ),
        (
            "illegal placement of ':'",
            "a ':' where none can be: a '[' or '{' above may never be closed, or a value that holds ': ' needs quotes",
        ),
        ("invalid u", "a whole number is expected here"),
        ("invalid i", "a whole number is expected here"),
        ("invalid bool", "true or false is expected here"),
        ("expected string scalar", "a single value is expected here, not a list or a section"),
        ("unexpected end of input", "the file is empty, or ends before the mapping does"),
    ];
    plain
        .iter()
        .find(|(said, _)| reason.contains(said))
        .map_or_else(|| reason.to_string(), |(_, meant)| meant.to_string())
}

/// Keys of the shapes before the current one: the key, a key only the section it belonged to takes
/// now (so that the same word elsewhere gets the usual answer), and what replaced it.
const REPLACED_KEYS: &[(&str, &str, &str)] = &[
    (
        "placeholder",
        "fallback",
        "an attribute's `placeholder: \"{userName}\"` is now `fallback: \"{userName}\"` (a placeholder is the member DN of an empty group only: `empty_group: { strategy: placeholder, placeholder: DN }`)",
    ),
    (
        "unknown_members",
        "member_cleanup",
        "`unknown_members: skip` is now `unknown: skip` on the members.value entry: `{ scim: members.value, ldap: member, type: reference, unknown: skip }`",
    ),
];

/// `unknown field `colour`, expected one of base, scope, …` (after its first backtick) as an unknown
/// key with the nearest known one and the list of those the section takes.
fn unknown_key(rest: &str) -> String {
    let (key, expected) = rest.split_once('`').unwrap_or((rest, ""));
    let expected = expected.trim_start_matches(',').trim();
    let known = expected
        .strip_prefix("expected one of ")
        .or_else(|| expected.strip_prefix("expected "))
        .unwrap_or(expected);
    let names: Vec<&str> = known
        .split(", ")
        .flat_map(|n| n.split(" or "))
        .map(|n| n.trim().trim_matches('`'))
        .filter(|n| !n.is_empty())
        .collect();
    let replaced = REPLACED_KEYS
        .iter()
        .find(|(old, section_key, _)| *old == key && names.contains(section_key));
    if let Some((_, _, now)) = replaced {
        return (*now).to_string();
    }
    match names.as_slice() {
        [] => format!("unknown key '{key}'"),
        _ => format!(
            "unknown key '{key}'{}; this section takes {}",
            did_you_mean(key, names.iter().copied()),
            names.join(", ")
        ),
    }
}

/// The message without serde-saphyr's `error: line N column M: ` prefix.
fn without_position(message: &str) -> &str {
    let rest = message.strip_prefix("error: ").unwrap_or(message);
    match rest.strip_prefix("line ") {
        Some(after) => after.split_once(": ").map_or(rest, |(_, reason)| reason),
        None => rest,
    }
}
