//! LDIF change records (RFC 2849): written one per directory write, read back in order. Only what the
//! gateway writes is covered: adds, modifies (add, delete, replace), modrdn deleting the old RDN value
//! (optionally under a new superior) and deletes, each after its `#` comment lines. Values that are not
//! safe as text are written base64 (`attr:: …`), as the RFC asks.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::request::Modification;

/// One write to the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Add {
        dn: String,
        attrs: Vec<(String, Vec<String>)>,
    },
    Modify {
        dn: String,
        mods: Vec<Modification>,
    },
    /// A modrdn that deletes the old RDN value, as the gateway always asks.
    Rename {
        dn: String,
        new_rdn: String,
        new_superior: Option<String>,
    },
    Delete {
        dn: String,
    },
}

impl Change {
    /// The entry the change is made to (before a rename).
    pub fn dn(&self) -> &str {
        match self {
            Change::Add { dn, .. } | Change::Modify { dn, .. } | Change::Rename { dn, .. } | Change::Delete { dn } => dn,
        }
    }
}

/// A change record and the comment lines before it (without their `# `).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub comments: Vec<String>,
    pub change: Change,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("LDIF record {record}: {reason}")]
pub struct LdifError {
    /// 1-based, counting change records.
    pub record: usize,
    pub reason: String,
}

/// Comment lines, one `# ` line each (line breaks inside a comment start a new comment line).
pub fn comment_lines(comments: &[String]) -> String {
    comments.iter().flat_map(|c| c.lines()).map(|line| format!("# {line}\n")).collect()
}

/// The record as LDIF, its comments first, ended by a blank line.
pub fn write_record(record: &Record) -> String {
    let mut out = comment_lines(&record.comments);
    out.push_str(&line("dn", record.change.dn()));
    match &record.change {
        Change::Add { attrs, .. } => {
            out.push_str("changetype: add\n");
            for (name, values) in attrs {
                for value in values {
                    out.push_str(&line(name, value));
                }
            }
        }
        Change::Modify { mods, .. } => {
            out.push_str("changetype: modify\n");
            for m in mods {
                let (op, name, values) = match m {
                    Modification::Add(name, values) => ("add", name, values),
                    Modification::Delete(name, values) => ("delete", name, values),
                    Modification::Replace(name, values) => ("replace", name, values),
                };
                out.push_str(&format!("{op}: {name}\n"));
                for value in values {
                    out.push_str(&line(name, value));
                }
                out.push_str("-\n");
            }
        }
        Change::Rename { new_rdn, new_superior, .. } => {
            out.push_str("changetype: modrdn\n");
            out.push_str(&line("newrdn", new_rdn));
            out.push_str("deleteoldrdn: 1\n");
            if let Some(superior) = new_superior {
                out.push_str(&line("newsuperior", superior));
            }
        }
        Change::Delete { .. } => out.push_str("changetype: delete\n"),
    }
    out.push('\n');
    out
}

/// `name: value`, or `name:: base64` for a value RFC 2849 does not allow as text.
fn line(name: &str, value: &str) -> String {
    if is_safe(value) {
        format!("{name}: {value}\n")
    } else {
        format!("{name}:: {}\n", STANDARD.encode(value.as_bytes()))
    }
}

/// RFC 2849 SAFE-STRING: ASCII without NUL, CR and LF, not starting with a space, `:` or `<`; and,
/// as the RFC recommends, not ending with a space.
fn is_safe(value: &str) -> bool {
    let starts_safe = !value.starts_with([' ', ':', '<']);
    starts_safe && !value.ends_with(' ') && value.bytes().all(|b| b.is_ascii() && !matches!(b, 0 | b'\n' | b'\r'))
}

/// The change records of an LDIF text, in order, with the comments before each. Comments after the
/// last record, and a leading `version: 1`, are left out.
pub fn read(text: &str) -> Result<Vec<Record>, LdifError> {
    let mut records = Vec::new();
    let mut comments = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    let flush = |lines: &mut Vec<String>, comments: &mut Vec<String>, records: &mut Vec<Record>| {
        if lines.is_empty() {
            return Ok(());
        }
        let number = records.len() + 1;
        let parsed = parse_record(lines).map_err(|reason| LdifError { record: number, reason })?;
        lines.clear();
        // Comments before the `version:` line are about the file, not about a record.
        let comments = std::mem::take(comments);
        if let Some(change) = parsed {
            records.push(Record { comments, change });
        }
        Ok(())
    };
    for raw in text.lines() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.is_empty() {
            flush(&mut lines, &mut comments, &mut records)?;
        } else if let Some(comment) = raw.strip_prefix('#') {
            comments.push(comment.strip_prefix(' ').unwrap_or(comment).to_string());
        } else if let Some(continued) = raw.strip_prefix(' ') {
            match lines.last_mut() {
                Some(last) => last.push_str(continued),
                None => {
                    return Err(LdifError {
                        record: records.len() + 1,
                        reason: "a continuation line starts the record".into(),
                    })
                }
            }
        } else {
            lines.push(raw.to_string());
        }
    }
    flush(&mut lines, &mut comments, &mut records)?;
    Ok(records)
}

/// One attribute line: its name and value (base64 decoded).
fn attribute(line: &str) -> Result<(String, String), String> {
    let (name, rest) = line.split_once(':').ok_or_else(|| format!("not an attribute line: {line}"))?;
    let value = if let Some(encoded) = rest.strip_prefix(':') {
        let bytes = STANDARD.decode(encoded.trim()).map_err(|e| format!("{name}: bad base64: {e}"))?;
        String::from_utf8(bytes).map_err(|_| format!("{name}: a value that is not UTF-8"))?
    } else if rest.starts_with('<') {
        return Err(format!("{name}: values from URLs are not read"));
    } else {
        rest.strip_prefix(' ').unwrap_or(rest).to_string()
    };
    Ok((name.trim().to_string(), value))
}

/// The change of one record's lines; `None` for a lone `version:` line.
fn parse_record(lines: &[String]) -> Result<Option<Change>, String> {
    let mut fields = lines.iter().take(2).map(|l| attribute(l));
    let (first, dn) = fields.next().ok_or("an empty record")??;
    if first.eq_ignore_ascii_case("version") && lines.len() == 1 {
        return Ok(None);
    }
    if !first.eq_ignore_ascii_case("dn") {
        return Err(format!("a record starts with dn:, not {first}:"));
    }
    let (kind, changetype) = fields.next().ok_or("no changetype")??;
    if !kind.eq_ignore_ascii_case("changetype") {
        return Err(format!("{dn}: a control or content record, not a change record"));
    }
    let rest: Vec<(String, String)> = lines[2..]
        .iter()
        .filter(|l| *l != "-")
        .map(|l| attribute(l))
        .collect::<Result<_, _>>()?;
    let change = match changetype.to_ascii_lowercase().as_str() {
        "add" => {
            let mut attrs: Vec<(String, Vec<String>)> = Vec::new();
            for (name, value) in rest {
                match attrs.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(&name)) {
                    Some((_, values)) => values.push(value),
                    None => attrs.push((name, vec![value])),
                }
            }
            Change::Add { dn, attrs }
        }
        "modify" => Change::Modify {
            mods: modifications(&rest, lines)?,
            dn,
        },
        "modrdn" | "moddn" => {
            let field = |wanted: &str| rest.iter().find(|(n, _)| n.eq_ignore_ascii_case(wanted)).map(|(_, v)| v.clone());
            if field("deleteoldrdn").as_deref() != Some("1") {
                return Err(format!("{dn}: only modrdn with deleteoldrdn: 1 is read"));
            }
            Change::Rename {
                new_rdn: field("newrdn").ok_or_else(|| format!("{dn}: modrdn without newrdn"))?,
                new_superior: field("newsuperior"),
                dn,
            }
        }
        "delete" => Change::Delete { dn },
        other => return Err(format!("{dn}: changetype {other} is not read")),
    };
    Ok(Some(change))
}

/// The modifications of a modify record: `op: attr`, its values, `-`. `fields` are the record's
/// attribute lines after `changetype`; the `-` separators, which are none, are found in `lines`.
fn modifications(fields: &[(String, String)], lines: &[String]) -> Result<Vec<Modification>, String> {
    let mut mods = Vec::new();
    let mut current: Option<(String, String, Vec<String>)> = None;
    let mut values = fields.iter();
    for line in lines.iter().skip(2) {
        if line == "-" {
            let (op, name, values) = current.take().ok_or("a `-` without a modification")?;
            mods.push(match op.as_str() {
                "add" => Modification::Add(name, values),
                "delete" => Modification::Delete(name, values),
                _ => Modification::Replace(name, values),
            });
            continue;
        }
        let (name, value) = values.next().ok_or("a modification line without a value")?.clone();
        match current.as_mut() {
            None => {
                let op = name.to_ascii_lowercase();
                if !matches!(op.as_str(), "add" | "delete" | "replace") {
                    return Err(format!("{name}: not add, delete or replace"));
                }
                current = Some((op, value, Vec::new()));
            }
            Some((_, attr, values)) if attr.eq_ignore_ascii_case(&name) => values.push(value),
            Some((_, attr, _)) => return Err(format!("a value of {name} in the modification of {attr}")),
        }
    }
    if current.is_some() {
        return Err("a modification not ended by `-`".into());
    }
    Ok(mods)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    fn records() -> Vec<Record> {
        vec![
            Record {
                comments: strings(&["POST /scim/v2/Users by entra (request r1)"]),
                change: Change::Add {
                    dn: "uid=jdoe,ou=people,dc=x".into(),
                    attrs: vec![
                        ("objectClass".into(), strings(&["top", "inetOrgPerson"])),
                        ("cn".into(), strings(&["Jöhn Doe"])),
                        ("description".into(), strings(&[" leading space", ":colon", "line\nbreak"])),
                    ],
                },
            },
            Record {
                comments: strings(&["PATCH /scim/v2/Groups/1", "only if (member=cn=placeholder)"]),
                change: Change::Modify {
                    dn: "cn=staff,ou=groups,dc=x".into(),
                    mods: vec![
                        Modification::Add("member".into(), strings(&["uid=jdoe,ou=people,dc=x"])),
                        Modification::Delete("member".into(), strings(&["cn=placeholder"])),
                        Modification::Delete("description".into(), Vec::new()),
                        Modification::Replace("title".into(), Vec::new()),
                        Modification::Replace("o".into(), strings(&["a", "b"])),
                    ],
                },
            },
            Record {
                comments: Vec::new(),
                change: Change::Rename {
                    dn: "uid=jdoe,ou=people,dc=x".into(),
                    new_rdn: "uid=john".into(),
                    new_superior: Some("ou=leavers,dc=x".into()),
                },
            },
            Record {
                comments: strings(&["DELETE /scim/v2/Users/2"]),
                change: Change::Delete {
                    dn: "uid=john,ou=leavers,dc=x".into(),
                },
            },
        ]
    }

    #[test]
    fn records_are_written_as_rfc_2849_change_records() {
        let text: String = records().iter().map(write_record).collect();
        assert!(text.starts_with("# POST /scim/v2/Users by entra (request r1)\ndn: uid=jdoe,ou=people,dc=x\nchangetype: add\n"));
        assert!(text.contains("cn:: SsO2aG4gRG9l\n"), "non-ASCII is base64: {text}");
        assert!(text.contains("description:: IGxlYWRpbmcgc3BhY2U=\n"), "{text}");
        assert!(text.contains(
            "changetype: modify\nadd: member\nmember: uid=jdoe,ou=people,dc=x\n-\ndelete: member\nmember: cn=placeholder\n-\ndelete: description\n-\nreplace: title\n-\nreplace: o\no: a\no: b\n-\n\n"
        ));
        assert!(text.contains("changetype: modrdn\nnewrdn: uid=john\ndeleteoldrdn: 1\nnewsuperior: ou=leavers,dc=x\n\n"));
        assert!(text.ends_with("# DELETE /scim/v2/Users/2\ndn: uid=john,ou=leavers,dc=x\nchangetype: delete\n\n"));
    }

    #[test]
    fn written_records_read_back_the_same() {
        let text: String = format!("# a plan\nversion: 1\n\n{}", records().iter().map(write_record).collect::<String>());
        assert_eq!(read(&text), Ok(records()));
    }

    #[test]
    fn folded_lines_and_trailing_comments_are_read() {
        let text = "dn: uid=a,dc=x\nchangetype: modify\nreplace: descr\n iption\ndescription: long\n  value\n-\n\n# only a comment\n";
        assert_eq!(
            read(text),
            Ok(vec![Record {
                comments: Vec::new(),
                change: Change::Modify {
                    dn: "uid=a,dc=x".into(),
                    mods: vec![Modification::Replace("description".into(), strings(&["long value"]))],
                },
            }])
        );
    }

    #[test]
    fn malformed_records_are_refused_with_their_number() {
        let add = "dn: uid=a,dc=x\nchangetype: add\nuid: a\n\n";
        for (bad, reason) in [
            ("dn: uid=b,dc=x\nuid: b\n", "not a change record"),
            ("dn: uid=b,dc=x\nchangetype: modify\nreplace: uid\nuid: b\n", "not ended"),
            (
                "dn: uid=b,dc=x\nchangetype: modrdn\nnewrdn: uid=c\ndeleteoldrdn: 0\n",
                "deleteoldrdn: 1",
            ),
            ("dn: uid=b,dc=x\nchangetype: add\njpegPhoto:< file:///x\n", "URLs"),
        ] {
            let err = read(&format!("{add}{bad}")).err();
            assert_eq!(err.as_ref().map(|e| e.record), Some(2), "{bad}");
            assert!(err.is_some_and(|e| e.reason.contains(reason)), "{bad}");
        }
    }
}
