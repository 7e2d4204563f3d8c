//! The member writer's decisions, apart from its directory calls: which modify to send next, and what
//! the directory's result code to it means. Pure, so that every turn is tested without a directory;
//! `Service::write_members` only executes the steps.

use crate::ldap::error::rc;
use crate::ldap::{LdapFilter, Modification};

/// Most modifies one member write sends before giving up on a group that keeps changing.
pub(super) const MAX_ATTEMPTS: usize = 6;

/// What the next modify does with the group's placeholder member (the value an empty group holds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct PlaceholderMoves {
    /// Assert the placeholder is absent, instead of asking first: the common case costs no search.
    pub assume_absent: bool,
    /// Delete the placeholder: the group gains real members.
    pub delete: bool,
    /// Add the placeholder: the change leaves the group without members.
    pub restore: bool,
}

/// A member write in progress: the values still to add and remove, and the placeholder's moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MemberWrite {
    pub attr: String,
    pub placeholder: Option<String>,
    pub add: Vec<String>,
    pub remove: Vec<String>,
    pub moves: PlaceholderMoves,
}

/// What the directory's answer to a modify asks for next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// The group is gone from its DN (renamed or deleted elsewhere): locate it again.
    Stale,
    /// Send again with these placeholder moves.
    Retry(PlaceholderMoves),
    /// A value was already there or already gone (a retry, or a change made elsewhere): ask the
    /// directory about just the values involved, then send what is still needed.
    Recheck,
    /// The group would be left empty and the mapping refuses empty groups.
    RefuseEmpty,
    /// Any other failure is the client's answer.
    Fail,
}

impl MemberWrite {
    /// The modify that makes the change, with its assertion; `None` when nothing is left to do.
    pub(super) fn request(&self) -> Option<(Vec<Modification>, Option<LdapFilter>)> {
        let attr = &self.attr;
        let placeholder = |wanted: bool| self.placeholder.as_ref().filter(|_| wanted);
        let mut mods = Vec::new();
        if let Some(p) = placeholder(self.moves.restore) {
            mods.push(Modification::Add(attr.clone(), vec![p.clone()]));
        }
        if !self.add.is_empty() {
            mods.push(Modification::Add(attr.clone(), self.add.clone()));
        }
        if let Some(p) = placeholder(self.moves.delete) {
            mods.push(Modification::Delete(attr.clone(), vec![p.clone()]));
        }
        if !self.remove.is_empty() {
            mods.push(Modification::Delete(attr.clone(), self.remove.clone()));
        }
        if mods.is_empty() {
            return None;
        }
        let assertion = placeholder(self.moves.assume_absent).map(|p| LdapFilter::Not(Box::new(LdapFilter::eq(attr, p))));
        Some((mods, assertion))
    }

    /// The transition: what a modify that failed with `code` leads to.
    pub(super) fn next(&self, empty_refused: bool, code: Option<u32>) -> Step {
        match code {
            Some(rc::NO_SUCH_OBJECT) => Step::Stale,
            Some(rc::ASSERTION_FAILED) => Step::Retry(PlaceholderMoves {
                assume_absent: false,
                delete: true,
                ..self.moves
            }),
            Some(rc::OBJECT_CLASS_VIOLATION) if self.placeholder.is_some() && !self.moves.restore && self.add.is_empty() => {
                Step::Retry(PlaceholderMoves {
                    restore: true,
                    ..self.moves
                })
            }
            Some(rc::OBJECT_CLASS_VIOLATION) if empty_refused => Step::RefuseEmpty,
            Some(rc::ATTRIBUTE_OR_VALUE_EXISTS | rc::NO_SUCH_ATTRIBUTE) => Step::Recheck,
            _ => Step::Fail,
        }
    }

    /// After a `Recheck`: the values still absent to add, still present to remove, and whether the
    /// placeholder is there (`None` without one).
    pub(super) fn rechecked(&mut self, add: Vec<String>, remove: Vec<String>, placeholder_present: Option<bool>) {
        self.add = add;
        self.remove = remove;
        if let Some(present) = placeholder_present {
            self.moves.delete &= present;
            self.moves.restore &= !present;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLACEHOLDER: &str = "cn=nobody";

    fn write(add: &[&str], remove: &[&str], moves: PlaceholderMoves) -> MemberWrite {
        MemberWrite {
            attr: "member".into(),
            placeholder: Some(PLACEHOLDER.into()),
            add: add.iter().map(|v| v.to_string()).collect(),
            remove: remove.iter().map(|v| v.to_string()).collect(),
            moves,
        }
    }

    fn values(list: &[&str]) -> Vec<String> {
        list.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn nothing_left_sends_nothing() {
        assert_eq!(write(&[], &[], PlaceholderMoves::default()).request(), None);
    }

    #[test]
    fn an_add_assumed_over_no_placeholder_asserts_its_absence() {
        let moves = PlaceholderMoves {
            assume_absent: true,
            ..PlaceholderMoves::default()
        };
        let (mods, assertion) = write(&["a"], &[], moves).request().unwrap_or_else(|| panic!("a request"));
        assert_eq!(mods, vec![Modification::Add("member".into(), values(&["a"]))]);
        assert_eq!(assertion, Some(LdapFilter::Not(Box::new(LdapFilter::eq("member", PLACEHOLDER)))));
    }

    #[test]
    fn the_placeholder_is_restored_first_and_deleted_after_the_additions() {
        let moves = PlaceholderMoves {
            restore: true,
            delete: true,
            ..PlaceholderMoves::default()
        };
        let (mods, assertion) = write(&["a"], &["b"], moves).request().unwrap_or_else(|| panic!("a request"));
        assert_eq!(
            mods,
            vec![
                Modification::Add("member".into(), values(&[PLACEHOLDER])),
                Modification::Add("member".into(), values(&["a"])),
                Modification::Delete("member".into(), values(&[PLACEHOLDER])),
                Modification::Delete("member".into(), values(&["b"])),
            ]
        );
        assert_eq!(assertion, None);
    }

    #[test]
    fn without_a_placeholder_its_moves_send_nothing() {
        let mut plain = write(
            &[],
            &[],
            PlaceholderMoves {
                assume_absent: true,
                delete: true,
                restore: true,
            },
        );
        plain.placeholder = None;
        assert_eq!(plain.request(), None);
    }

    #[test]
    fn a_missing_group_is_stale() {
        assert_eq!(
            write(&["a"], &[], PlaceholderMoves::default()).next(false, Some(rc::NO_SUCH_OBJECT)),
            Step::Stale
        );
    }

    #[test]
    fn a_failed_assertion_deletes_the_placeholder_instead() {
        let moves = PlaceholderMoves {
            assume_absent: true,
            ..PlaceholderMoves::default()
        };
        let expected = PlaceholderMoves {
            delete: true,
            ..PlaceholderMoves::default()
        };
        assert_eq!(
            write(&["a"], &[], moves).next(false, Some(rc::ASSERTION_FAILED)),
            Step::Retry(expected)
        );
    }

    #[test]
    fn emptying_a_group_restores_the_placeholder_once() {
        let emptied = write(&[], &["b"], PlaceholderMoves::default());
        let restored = PlaceholderMoves {
            restore: true,
            ..PlaceholderMoves::default()
        };
        assert_eq!(emptied.next(false, Some(rc::OBJECT_CLASS_VIOLATION)), Step::Retry(restored));
        let again = write(&[], &["b"], restored);
        assert_eq!(again.next(false, Some(rc::OBJECT_CLASS_VIOLATION)), Step::Fail);
    }

    #[test]
    fn an_empty_group_refused_by_the_mapping_is_refused() {
        let mut emptied = write(&[], &["b"], PlaceholderMoves::default());
        emptied.placeholder = None;
        assert_eq!(emptied.next(true, Some(rc::OBJECT_CLASS_VIOLATION)), Step::RefuseEmpty);
        assert_eq!(emptied.next(false, Some(rc::OBJECT_CLASS_VIOLATION)), Step::Fail);
    }

    #[test]
    fn values_there_or_gone_are_rechecked() {
        let change = write(&["a"], &["b"], PlaceholderMoves::default());
        assert_eq!(change.next(false, Some(rc::ATTRIBUTE_OR_VALUE_EXISTS)), Step::Recheck);
        assert_eq!(change.next(false, Some(rc::NO_SUCH_ATTRIBUTE)), Step::Recheck);
    }

    #[test]
    fn other_failures_fail() {
        let change = write(&["a"], &[], PlaceholderMoves::default());
        assert_eq!(change.next(false, Some(rc::INSUFFICIENT_ACCESS)), Step::Fail);
        assert_eq!(change.next(false, None), Step::Fail);
    }

    #[test]
    fn a_recheck_keeps_only_the_placeholder_moves_still_needed() {
        let both = PlaceholderMoves {
            delete: true,
            restore: true,
            ..PlaceholderMoves::default()
        };
        let mut present = write(&["a"], &["b"], both);
        present.rechecked(values(&[]), values(&["b"]), Some(true));
        assert_eq!((present.add.clone(), present.remove.clone()), (values(&[]), values(&["b"])));
        assert_eq!(
            present.moves,
            PlaceholderMoves {
                delete: true,
                ..PlaceholderMoves::default()
            }
        );
        let mut absent = write(&["a"], &[], both);
        absent.rechecked(values(&["a"]), values(&[]), Some(false));
        assert_eq!(
            absent.moves,
            PlaceholderMoves {
                restore: true,
                ..PlaceholderMoves::default()
            }
        );
    }
}
