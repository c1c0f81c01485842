//! How much of the reconnection history the page draws: the history keeps up to
//! `MAX_HISTORY` attempts (all of them go into exports), but a page that drew every one
//! after a thousand reconnect cycles grew to tens of thousands of DOM nodes. The
//! timeline draws the newest `TIMELINE_SEGMENTS` attempts one by one and the earlier ones
//! as one summary; the table shows one page of `TABLE_PAGE` rows at a time.

use crate::supervisor::Attempt;

/// Attempts drawn one by one on the timeline.
pub const TIMELINE_SEGMENTS: usize = 60;
/// Rows per page of the table of attempts.
pub const TABLE_PAGE: usize = 20;

/// The attempts before the ones drawn one by one, summed up.
#[derive(Clone, Debug, PartialEq)]
pub struct Earlier {
    /// How many.
    pub count: usize,
    /// When the first started.
    pub from: f64,
    /// When the last ended (or started).
    pub to: f64,
    /// Their close codes, most frequent first (`None`: no close event), with counts.
    pub codes: Vec<(Option<u16>, usize)>,
}

/// Splits `attempts` into a summary of the earlier ones (if there are more than
/// `TIMELINE_SEGMENTS`) and the newest ones, drawn one by one.
pub fn timeline(attempts: &[Attempt]) -> (Option<Earlier>, &[Attempt]) {
    if attempts.len() <= TIMELINE_SEGMENTS {
        return (None, attempts);
    }
    let (earlier, newest) = attempts.split_at(attempts.len() - TIMELINE_SEGMENTS);
    let mut codes: Vec<(Option<u16>, usize)> = Vec::new();
    for attempt in earlier {
        match codes.iter_mut().find(|(code, _)| *code == attempt.code) {
            Some((_, count)) => *count += 1,
            None => codes.push((attempt.code, 1)),
        }
    }
    codes.sort_by_key(|(code, count)| (std::cmp::Reverse(*count), *code));
    let summary = Earlier {
        count: earlier.len(),
        from: earlier.first().map_or(0.0, |a| a.started),
        to: earlier.last().map_or(0.0, |a| a.ended.unwrap_or(a.started)),
        codes,
    };
    (Some(summary), newest)
}

/// The number of table pages for `len` attempts (at least one).
pub fn pages(len: usize) -> usize {
    len.div_ceil(TABLE_PAGE).max(1)
}

/// The indexes of the attempts on table page `page`, counting from the newest (page 0
/// holds the newest `TABLE_PAGE`), in the history's order (oldest first).
pub fn page(len: usize, page: usize) -> std::ops::Range<usize> {
    let page = page.min(pages(len) - 1);
    let end = len.saturating_sub(page * TABLE_PAGE);
    end.saturating_sub(TABLE_PAGE)..end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_log::ConnId;

    fn attempts(n: usize) -> Vec<Attempt> {
        (0..n)
            .map(|i| Attempt {
                conn: ConnId(i as u32 + 1),
                started: i as f64 * 100.0,
                opened: Some(i as f64 * 100.0 + 10.0),
                ended: Some(i as f64 * 100.0 + 50.0),
                code: Some(if i % 3 == 0 { 1000 } else { 1006 }),
                reason: String::new(),
                next_delay_ms: Some(50),
            })
            .collect()
    }

    #[test]
    fn a_short_history_is_drawn_whole() {
        let few = attempts(TIMELINE_SEGMENTS);
        let (earlier, newest) = timeline(&few);
        assert_eq!(earlier, None);
        assert_eq!(newest.len(), TIMELINE_SEGMENTS);
    }

    #[test]
    fn a_long_history_draws_the_newest_and_sums_up_the_rest() {
        let many = attempts(500);
        let (earlier, newest) = timeline(&many);
        assert_eq!(newest.len(), TIMELINE_SEGMENTS);
        assert_eq!(newest[0].conn, ConnId(441));
        let earlier = earlier.unwrap();
        assert_eq!(earlier.count, 440);
        assert_eq!(earlier.from, 0.0);
        assert_eq!(earlier.to, 439.0 * 100.0 + 50.0);
        assert_eq!(earlier.codes, [(Some(1006), 293), (Some(1000), 147)]);
    }

    #[test]
    fn table_pages_count_from_the_newest() {
        assert_eq!(pages(0), 1);
        assert_eq!(pages(500), 25);
        assert_eq!(page(500, 0), 480..500);
        assert_eq!(page(500, 24), 0..20);
        assert_eq!(page(45, 2), 0..5, "the last page holds the remainder");
        assert_eq!(page(45, 9), 0..5, "past the last page: the last page");
        assert_eq!(page(3, 0), 0..3);
    }
}
