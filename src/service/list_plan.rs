//! How a page of a list is served, decided from the query and what is kept from earlier pages alone:
//! a plan is the attempts to make, in order, each of which may decline (a read-ahead that is gone or
//! stale, more matches than one search reads, a directory without VLV), and then a fallback that
//! always answers. The executors are in `queries`.

/// A way of serving a page that may decline, for the next one to be tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Attempt {
    /// The next page of a listing read ahead in the directory's order (declines when none is kept
    /// for this position, or a write made it stale).
    ReadAhead,
    /// One search that reads every match whole (declines beyond `SMALL_RESULT` matches).
    SmallResult,
    /// One VLV window at the page's offset (declines where listings are not sorted by id or the
    /// directory refuses).
    Window,
}

/// The way of serving a page when every attempt declined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fallback {
    /// The page cut from the ids an earlier page of the same query kept.
    KeptSnapshot,
    /// A paged search in the directory's order, counted while it reads the first page; the pages
    /// after it are read ahead.
    StartReadAhead,
    /// Every matching id read (and sorted), kept for the pages after this one.
    NewSnapshot,
}

/// The attempts, in order, then the fallback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Plan {
    pub attempts: Vec<Attempt>,
    pub fallback: Fallback,
}

/// What the plan depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PageRequest {
    /// 1-based, at least 1.
    pub start_index: usize,
    pub count: usize,
    /// Whether the client asked for an order (`sortBy`); unsorted lists are served in the
    /// directory's order, which paged searches and VLV follow.
    pub sorted: bool,
    /// Whether an earlier page of the same query kept its ids.
    pub snapshot_kept: bool,
}

pub(super) fn plan(page: PageRequest) -> Plan {
    // Only an unsorted listing can be served by a search that reads on in the directory's order.
    let in_directory_order = !page.sorted && page.count > 0;
    let first_page = page.start_index <= 1;
    let mut attempts = Vec::new();
    if in_directory_order && !first_page {
        attempts.push(Attempt::ReadAhead);
    }
    // A first page is always fresh (an IdP's probe must see what was just created): it never uses a
    // kept snapshot, and most queries match few entries.
    if page.snapshot_kept && !first_page {
        return Plan {
            attempts,
            fallback: Fallback::KeptSnapshot,
        };
    }
    attempts.push(Attempt::SmallResult);
    if in_directory_order && !first_page {
        attempts.push(Attempt::Window);
    }
    let fallback = if in_directory_order && first_page {
        Fallback::StartReadAhead
    } else {
        Fallback::NewSnapshot
    };
    Plan { attempts, fallback }
}

#[cfg(test)]
mod tests {
    use super::Attempt::*;
    use super::Fallback::*;
    use super::*;

    fn page(start_index: usize, count: usize, sorted: bool, snapshot_kept: bool) -> (Vec<Attempt>, Fallback) {
        let plan = plan(PageRequest {
            start_index,
            count,
            sorted,
            snapshot_kept,
        });
        (plan.attempts, plan.fallback)
    }

    #[test]
    fn a_first_page_is_read_fresh_and_a_large_one_starts_reading_ahead() {
        assert_eq!(page(1, 100, false, false), (vec![SmallResult], StartReadAhead));
    }

    #[test]
    fn a_sorted_first_page_keeps_the_sorted_ids() {
        assert_eq!(page(1, 100, true, false), (vec![SmallResult], NewSnapshot));
    }

    #[test]
    fn a_first_page_ignores_a_kept_snapshot() {
        assert_eq!(page(1, 100, false, true), (vec![SmallResult], StartReadAhead));
        assert_eq!(page(1, 100, true, true), (vec![SmallResult], NewSnapshot));
    }

    #[test]
    fn a_next_page_in_order_continues_the_read_ahead_then_the_snapshot() {
        assert_eq!(page(101, 100, false, true), (vec![ReadAhead], KeptSnapshot));
    }

    #[test]
    fn a_page_with_nothing_kept_tries_one_search_then_a_window_then_new_ids() {
        assert_eq!(page(101, 100, false, false), (vec![ReadAhead, SmallResult, Window], NewSnapshot));
    }

    #[test]
    fn a_sorted_later_page_is_cut_from_the_kept_ids_only() {
        assert_eq!(page(101, 100, true, true), (vec![], KeptSnapshot));
        assert_eq!(page(101, 100, true, false), (vec![SmallResult], NewSnapshot));
    }

    #[test]
    fn a_count_of_zero_reads_no_pages_ahead() {
        // RFC 7644 §3.4.2.4: count=0 asks for the total only.
        assert_eq!(page(1, 0, false, false), (vec![SmallResult], NewSnapshot));
        assert_eq!(page(5, 0, false, false), (vec![SmallResult], NewSnapshot));
    }
}
