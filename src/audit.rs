//! The audit trail: one log line per write request (target `scim2ldap::audit`) saying who (the token's
//! name), what (method and path), which directory entries changed and which attributes (names only,
//! never values, so secrets stay out of logs), and the answer's status. The HTTP layer opens the
//! record for a request; the directory layer notes each write in it.

use std::cell::RefCell;
use std::future::Future;

#[derive(Default)]
struct Record {
    caller: Option<String>,
    writes: Vec<String>,
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
                    (r.caller.clone(), r.writes.join("; "))
                })
                .unwrap_or_default();
            (output, caller, writes)
        })
        .await
}

/// Names who is making the current request, when a record is open.
pub fn set_caller(name: &str) {
    let _ = RECORD.try_with(|r| r.borrow_mut().caller = Some(name.to_string()));
}

/// Notes a directory write of the current request: the operation, the entry, the attribute names
/// and the LDAP result code.
pub fn note_write(op: &str, dn: &str, attributes: &[&str], result: &str) {
    let _ = RECORD.try_with(|r| {
        r.borrow_mut()
            .writes
            .push(format!("{op} {dn} [{}] result={result}", attributes.join(",")))
    });
}

/// Notes something the current request changed beyond its own writes' attribute names (an object
/// class added to fit an entry).
pub fn note(text: String) {
    let _ = RECORD.try_with(|r| r.borrow_mut().writes.push(text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_record_collects_the_caller_and_the_writes_of_its_request_only() {
        note_write("add", "uid=outside", &["uid"], "0");
        let ((), caller, writes) = recorded(async {
            set_caller("okta");
            note_write("add", "uid=a,dc=x", &["objectClass", "uid"], "0");
            note_write("modify", "cn=g,dc=x", &["member"], "0");
        })
        .await;
        assert_eq!(caller.as_deref(), Some("okta"));
        assert_eq!(
            writes,
            "add uid=a,dc=x [objectClass,uid] result=0; modify cn=g,dc=x [member] result=0"
        );
    }
}
