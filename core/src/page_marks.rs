//! The page's own life as the timelines draw it: spans when the page was hidden, and
//! marks for the moments that explain drops (offline, online, frozen, resumed, the
//! machine slept, the page left or came back from the back/forward cache).
//!
//! Fed with the log's page events; bounded, oldest first out.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::Millis;
use crate::event_log::LogEvent;

/// How many hidden spans and how many marks are kept.
pub const KEPT: usize = 200;

/// A time the page was hidden; `to` is `None` while it still is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HiddenSpan {
    /// When it became hidden.
    pub from: Millis,
    /// When it became visible again.
    pub to: Option<Millis>,
}

/// A moment of the page's life worth a mark on the timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    /// When.
    pub at: Millis,
    /// The log kind of the event (`offline`, `page-frozen`, `clock-jump`, ...).
    pub kind: String,
    /// The event in words, for the mark's label.
    pub label: String,
}

/// The hidden spans and marks.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PageMarks {
    hidden: VecDeque<HiddenSpan>,
    marks: VecDeque<Mark>,
}

impl PageMarks {
    /// Nothing yet.
    pub fn new() -> PageMarks {
        PageMarks::default()
    }

    /// Takes a log event at `at`; events that are not about the page are ignored.
    pub fn record(&mut self, at: Millis, event: &LogEvent) {
        match event {
            LogEvent::PageHidden => {
                if self.hidden.back().is_some_and(|span| span.to.is_none()) {
                    return; // already hidden
                }
                if self.hidden.len() == KEPT {
                    self.hidden.pop_front();
                }
                self.hidden.push_back(HiddenSpan { from: at, to: None });
            }
            LogEvent::PageVisible => {
                if let Some(span) = self.hidden.back_mut().filter(|span| span.to.is_none()) {
                    span.to = Some(at);
                }
            }
            LogEvent::PageHide { .. }
            | LogEvent::PageShow { .. }
            | LogEvent::Frozen
            | LogEvent::Resumed
            | LogEvent::Offline
            | LogEvent::Online
            | LogEvent::ClockJump { .. }
            | LogEvent::Restored { .. } => {
                if self.marks.len() == KEPT {
                    self.marks.pop_front();
                }
                self.marks.push_back(Mark {
                    at,
                    kind: event.kind().to_string(),
                    label: event.to_string(),
                });
            }
            _ => {}
        }
    }

    /// The hidden spans, oldest first.
    pub fn hidden(&self) -> impl Iterator<Item = &HiddenSpan> {
        self.hidden.iter()
    }

    /// The marks, oldest first.
    pub fn marks(&self) -> impl Iterator<Item = &Mark> {
        self.marks.iter()
    }

    /// Moves every time by `by` ms (restoring an earlier visit onto this page's clock);
    /// a span still open at the save is closed at `closed_at` (the save).
    pub fn shift(&mut self, by: Millis, closed_at: Millis) {
        for span in &mut self.hidden {
            span.from += by;
            span.to = Some(span.to.unwrap_or(closed_at) + by);
        }
        for mark in &mut self.marks {
            mark.at += by;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_and_visible_make_spans_and_other_page_events_make_marks() {
        let mut page = PageMarks::new();
        page.record(10.0, &LogEvent::PageHidden);
        page.record(12.0, &LogEvent::PageHidden); // repeated: same span
        page.record(20.0, &LogEvent::Offline);
        page.record(30.0, &LogEvent::PageVisible);
        page.record(40.0, &LogEvent::PageHidden);
        page.record(45.0, &LogEvent::Error); // not about the page
        let spans: Vec<_> = page.hidden().cloned().collect();
        assert_eq!(
            spans,
            [
                HiddenSpan {
                    from: 10.0,
                    to: Some(30.0)
                },
                HiddenSpan {
                    from: 40.0,
                    to: None
                }
            ]
        );
        let marks: Vec<_> = page.marks().map(|m| (m.at, m.kind.as_str())).collect();
        assert_eq!(marks, [(20.0, "offline")]);
    }

    #[test]
    fn spans_and_marks_stay_bounded() {
        let mut page = PageMarks::new();
        for i in 0..1000 {
            let at = f64::from(i) * 10.0;
            page.record(at, &LogEvent::PageHidden);
            page.record(at + 5.0, &LogEvent::PageVisible);
            page.record(at + 6.0, &LogEvent::Online);
        }
        assert_eq!(page.hidden().count(), KEPT);
        assert_eq!(page.marks().count(), KEPT);
        assert_eq!(page.hidden().last().unwrap().from, 9990.0);
    }

    #[test]
    fn shifting_moves_everything_and_closes_an_open_span() {
        let mut page = PageMarks::new();
        page.record(10.0, &LogEvent::PageHidden);
        page.record(15.0, &LogEvent::Frozen);
        page.shift(-100.0, 50.0);
        assert_eq!(
            page.hidden().next(),
            Some(&HiddenSpan {
                from: -90.0,
                to: Some(-50.0)
            })
        );
        assert_eq!(page.marks().next().unwrap().at, -85.0);
    }
}
