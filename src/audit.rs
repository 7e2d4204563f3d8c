//! The audit trail: one log line per write request (target `scim2ldap::audit`) saying who (the token's
//! name), what (method and path), which directory entries changed and which attributes (names only,
//! never values, so secrets stay out of logs), how each write ended, and the answer's status. The HTTP
//! layer opens the record for a request; the directory layer notes each write in it.

use std::cell::RefCell;
use std::future::Future;

/// One directory write and how it ended: `ok`, or the directory's name for the refusal.
struct Write {
    op: String,
    dn: String,
    attributes: String,
    outcome: String,
}

enum Line {
    Write(Write),
    Note(String),
}

#[derive(Default)]
struct Record {
    caller: Option<String>,
    /// Method, path and request id, for what records the writes elsewhere (shadow mode's plan).
    request: Option<(String, String, String)>,
    lines: Vec<Line>,
}

tokio::task_local! {
    static RECORD: RefCell<Record>;
}

/// Runs a write request with an open record, and returns its outcome with the audit fields:
/// the caller and the directory writes, as text.
pub async fn recorded<F: Future>(request: F) -> (F::Output, Option<String>, String) {
    RECORD
        .scope(RefCell::new(Record::default()), async {
            let output = request.await;
            let (caller, writes) = RECORD
                .try_with(|r| {
                    let r = r.borrow();
                    (r.caller.clone(), render(&r.lines))
                })
                .unwrap_or_default();
            (output, caller, writes)
        })
        .await
}

/// The writes as one text. A refused write that a later write of the same operation to the same entry
/// made good (the gateway retries a member change after an assertion that guarded an empty group's
/// placeholder failed, or after the directory refused to leave a group empty) reads `retried(<why>)`,
/// so that a request that succeeded shows no failure; a refusal nothing made good keeps its name.
fn render(lines: &[Line]) -> String {
    let made_good = |at: usize, refused: &Write| {
        lines[at + 1..].iter().any(|later| match later {
            Line::Write(w) => w.outcome == "ok" && w.op == refused.op && w.dn == refused.dn,
            Line::Note(_) => false,
        })
    };
    let rendered: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(at, line)| match line {
            Line::Note(text) => text.clone(),
            Line::Write(w) if w.outcome != "ok" && made_good(at, w) => {
                format!("{} {} [{}] result=retried({})", w.op, w.dn, w.attributes, w.outcome)
            }
            Line::Write(w) => format!("{} {} [{}] result={}", w.op, w.dn, w.attributes, w.outcome),
        })
        .collect();
    rendered.join("; ")
}

/// Names who is making the current request, when a record is open.
pub fn set_caller(name: &str) {
    let _ = RECORD.try_with(|r| r.borrow_mut().caller = Some(name.to_string()));
}

/// Names the current request (method, path and its `x-request-id`), when a record is open.
pub fn set_request(method: &str, path: &str, request_id: &str) {
    let _ = RECORD.try_with(|r| r.borrow_mut().request = Some((method.into(), path.into(), request_id.into())));
}

/// The current request in a line for people: `PATCH /scim/v2/Users/… by entra (request 8c1…)`;
/// `None` outside a named request.
pub fn request_line() -> Option<String> {
    RECORD
        .try_with(|r| {
            let r = r.borrow();
            let (method, path, request_id) = r.request.as_ref()?;
            let caller = r.caller.as_deref().unwrap_or("-");
            Some(format!("{method} {path} by {caller} (request {request_id})"))
        })
        .ok()
        .flatten()
}

/// Notes a directory write of the current request: the operation, the entry, the attribute names
/// and its outcome (`ok`, or the LDAP result name such as `noSuchObject`).
pub fn note_write(op: &str, dn: &str, attributes: &[&str], outcome: &str) {
    let _ = RECORD.try_with(|r| {
        r.borrow_mut().lines.push(Line::Write(Write {
            op: op.to_string(),
            dn: dn.to_string(),
            attributes: attributes.join(","),
            outcome: outcome.to_string(),
        }))
    });
}

/// Notes something the current request changed beyond its own writes' attribute names (an object
/// class added to fit an entry).
pub fn note(text: String) {
    let _ = RECORD.try_with(|r| r.borrow_mut().lines.push(Line::Note(text)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_record_collects_the_caller_and_the_writes_of_its_request_only() {
        note_write("add", "uid=outside", &["uid"], "ok");
        let ((), caller, writes) = recorded(async {
            set_caller("okta");
            note_write("add", "uid=a,dc=x", &["objectClass", "uid"], "ok");
            note_write("modify", "cn=g,dc=x", &["member"], "ok");
        })
        .await;
        assert_eq!(caller.as_deref(), Some("okta"));
        assert_eq!(
            writes,
            "add uid=a,dc=x [objectClass,uid] result=ok; modify cn=g,dc=x [member] result=ok"
        );
    }

    #[tokio::test]
    async fn the_request_line_names_method_path_caller_and_request_id() {
        assert_eq!(request_line(), None);
        let (line, _, _) = recorded(async {
            set_request("PATCH", "/scim/v2/Users/1", "r-1");
            set_caller("entra");
            request_line()
        })
        .await;
        assert_eq!(line.as_deref(), Some("PATCH /scim/v2/Users/1 by entra (request r-1)"));
    }

    #[tokio::test]
    async fn a_refusal_made_good_by_a_retry_reads_as_retried() {
        let ((), _, writes) = recorded(async {
            note_write("modify", "cn=g,dc=x", &["member"], "assertionFailed");
            note_write("modify", "cn=g,dc=x", &["member", "member"], "ok");
        })
        .await;
        assert_eq!(
            writes,
            "modify cn=g,dc=x [member] result=retried(assertionFailed); modify cn=g,dc=x [member,member] result=ok"
        );
    }

    #[tokio::test]
    async fn a_refusal_nothing_made_good_keeps_its_name() {
        let ((), _, writes) = recorded(async {
            note_write("modify", "cn=g,dc=x", &["member"], "objectClassViolation");
            note_write("modify", "cn=other,dc=x", &["member"], "ok");
            note_write("delete", "cn=g,dc=x", &[], "ok");
        })
        .await;
        assert_eq!(
            writes,
            "modify cn=g,dc=x [member] result=objectClassViolation; modify cn=other,dc=x [member] result=ok; delete cn=g,dc=x [] result=ok"
        );
    }
}
