//! What the console keeps across a reload: the settings, the reconnection history, the
//! page's hidden spans and marks, and the newest log entries, as versioned JSON bounded
//! in size (the page puts it in local storage).
//!
//! Times on the page are `performance.now()`, which restarts at every load. A saved copy
//! carries both clocks at the moment of saving, so loading moves every time onto the new
//! page's clock: what happened before the reload lands at negative times, in order, with
//! the real gap in between.

use serde::{Deserialize, Serialize};

use crate::Millis;
use crate::event_log::LogEntry;
use crate::page_marks::PageMarks;
use crate::settings::ConsoleSettings;
use crate::supervisor::Attempt;

/// The version of the saved format; a copy of another version is ignored, not misread.
pub const SAVED_VERSION: u32 = 1;
/// The most log entries saved.
pub const SAVED_LOG_ENTRIES: usize = 300;
/// The most bytes a saved copy may take (local storage holds about 5 MB per origin).
pub const SAVED_MAX_BYTES: usize = 256 * 1024;

/// The console's saved state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedConsole {
    /// `SAVED_VERSION` when written.
    pub version: u32,
    /// The wall clock (ms since 1970) when saved.
    pub saved_wall_ms: f64,
    /// The page's clock when saved.
    pub saved_at: Millis,
    /// The settings.
    pub settings: ConsoleSettings,
    /// The reconnection history, oldest first.
    pub history: Vec<Attempt>,
    /// The page's hidden spans and marks.
    pub page: PageMarks,
    /// The newest log entries, oldest first.
    pub log: Vec<LogEntry>,
}

/// Why a saved copy was not used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// It is not JSON of the expected shape (damaged, or written by something else).
    #[error("the saved console state could not be read ({0}); started afresh")]
    Unreadable(String),
    /// It was written by another version of wsdoctor.
    #[error(
        "the saved console state is from another version of wsdoctor (format {0}, this page reads {SAVED_VERSION}); started afresh"
    )]
    OtherVersion(u32),
}

impl SavedConsole {
    /// The JSON to store, at most `SAVED_MAX_BYTES`: the oldest log entries go first,
    /// then the oldest history, until it fits. No secret is stored: the target keeps its
    /// secret parameters without their values (the user types them again after a
    /// reload), and the log and close reasons are masked.
    pub fn to_json(&self) -> String {
        let mut copy = self.clone();
        copy.settings.target = crate::target::without_secret_values(&copy.settings.target);
        for entry in &mut copy.log {
            entry.event = entry.event.masked();
        }
        for attempt in &mut copy.history {
            attempt.reason = crate::target::mask_secrets_in_text(&attempt.reason);
        }
        if copy.log.len() > SAVED_LOG_ENTRIES {
            copy.log.drain(..copy.log.len() - SAVED_LOG_ENTRIES);
        }
        loop {
            let json = serde_json::to_string(&copy).unwrap_or_default();
            if json.len() <= SAVED_MAX_BYTES {
                return json;
            }
            if !copy.log.is_empty() {
                let cut = copy.log.len().div_ceil(4);
                copy.log.drain(..cut);
            } else if !copy.history.is_empty() {
                let cut = copy.history.len().div_ceil(4);
                copy.history.drain(..cut);
            } else {
                copy.page = PageMarks::new();
                for field in [
                    &mut copy.settings.target,
                    &mut copy.settings.subprotocols,
                    &mut copy.settings.heartbeat_payload,
                ] {
                    crate::text::truncate(field, 1024);
                }
                return serde_json::to_string(&copy).unwrap_or_default();
            }
        }
    }

    /// Reads a stored copy and moves its times onto the page's clock, given the page's
    /// clock `now` and the wall clock `now_wall_ms` at loading.
    pub fn from_json(text: &str, now: Millis, now_wall_ms: f64) -> Result<SavedConsole, LoadError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| LoadError::Unreadable(e.to_string()))?;
        let version = value.get("version").and_then(serde_json::Value::as_u64);
        if version != Some(u64::from(SAVED_VERSION)) {
            return Err(LoadError::OtherVersion(version.unwrap_or(0) as u32));
        }
        let mut saved: SavedConsole =
            serde_json::from_value(value).map_err(|e| LoadError::Unreadable(e.to_string()))?;
        // Old time t becomes: now - (how long ago, by the wall clock) + (t - saved_at).
        // A wall clock that went backwards counts as no time passed.
        let ago = (now_wall_ms - saved.saved_wall_ms).max(0.0);
        let by = now - ago - saved.saved_at;
        for attempt in &mut saved.history {
            attempt.started += by;
            attempt.opened = attempt.opened.map(|t| t + by);
            // An attempt still going at the save ended with the page.
            attempt.ended = Some(attempt.ended.unwrap_or(saved.saved_at) + by);
            attempt.next_delay_ms = attempt.next_delay_ms.filter(|_| attempt.code.is_some());
        }
        for entry in &mut saved.log {
            entry.at += by;
        }
        saved.page.shift(by, saved.saved_at);
        saved.saved_at += by;
        Ok(saved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_log::{ConnId, EventLog, LogEvent, MessageSummary};

    fn attempt(conn: u32, started: f64, ended: Option<f64>) -> Attempt {
        Attempt {
            conn: ConnId(conn),
            started,
            opened: Some(started + 5.0),
            ended,
            code: ended.map(|_| 1006),
            reason: String::new(),
            next_delay_ms: ended.map(|_| 1000),
        }
    }

    fn saved_with_log(entries: usize, text: &str) -> SavedConsole {
        let mut log = EventLog::new(entries.max(1));
        for i in 0..entries {
            log.push(
                i as f64,
                Some(ConnId(1)),
                LogEvent::Received(MessageSummary::text(text)),
            );
        }
        SavedConsole {
            version: SAVED_VERSION,
            saved_wall_ms: 1_000_000.0,
            saved_at: 50_000.0,
            settings: ConsoleSettings::default(),
            history: vec![
                attempt(1, 1_000.0, Some(20_000.0)),
                attempt(2, 21_000.0, None),
            ],
            page: PageMarks::new(),
            log: log.entries().cloned().collect(),
        }
    }

    #[test]
    fn a_reload_moves_the_past_onto_the_new_clock_with_the_real_gap() {
        let saved = saved_with_log(3, "x");
        let json = saved.to_json();
        // Reloaded 10 s later by the wall clock; the new page's clock reads 200 ms.
        let loaded = SavedConsole::from_json(&json, 200.0, 1_010_000.0).unwrap();
        // saved_at (50 s) is 10 s before now (200 ms): -9800 ms.
        assert_eq!(loaded.saved_at, -9_800.0);
        assert_eq!(loaded.history[0].started, 1_000.0 - 59_800.0);
        assert_eq!(loaded.history[0].ended, Some(20_000.0 - 59_800.0));
        assert_eq!(
            loaded.history[1].ended,
            Some(-9_800.0),
            "an attempt still open at the save ended with the page"
        );
        assert_eq!(loaded.history[1].next_delay_ms, None);
        assert_eq!(loaded.log[2].at, 2.0 - 59_800.0);
        assert_eq!(loaded.settings, ConsoleSettings::default());
    }

    #[test]
    fn the_saved_copy_stays_within_its_bound() {
        let big = "y".repeat(120);
        let saved = saved_with_log(5_000, &big);
        let json = saved.to_json();
        assert!(json.len() <= SAVED_MAX_BYTES, "{} bytes", json.len());
        let loaded = SavedConsole::from_json(&json, 0.0, 1_000_000.0).unwrap();
        assert!(loaded.log.len() <= SAVED_LOG_ENTRIES);
        assert_eq!(
            loaded.log.last().map(|e| e.seq),
            Some(4_999),
            "the newest entries are the ones kept"
        );

        let mut huge = saved_with_log(0, "");
        huge.settings.target = "z".repeat(SAVED_MAX_BYTES * 2);
        assert!(huge.to_json().len() <= SAVED_MAX_BYTES);
    }

    #[test]
    fn a_huge_target_cut_inside_a_character_is_saved_without_a_panic() {
        // The reproduction: byte 1024 falls inside a "€" (3 bytes), 100,000 of them.
        let mut huge = saved_with_log(0, "");
        let start = "ws://127.0.0.1:9/ws?q=";
        huge.settings.target = format!(
            "{start}{}{}",
            "a".repeat(1023 - start.len()),
            "€".repeat(100_000)
        );
        huge.settings.heartbeat_payload = "€".repeat(100_000);
        let json = huge.to_json();
        assert!(json.len() <= SAVED_MAX_BYTES);
        let loaded = SavedConsole::from_json(&json, 0.0, 1_000_000.0).unwrap();
        assert!(loaded.settings.target.starts_with(start));
        assert!(loaded.settings.target.len() <= 1024);
    }

    #[test]
    fn no_secret_reaches_the_saved_copy() {
        let mut saved = saved_with_log(0, "");
        saved.settings.target = "wss://a.test/ws?token=SECRET1&room=7".into();
        let mut log = EventLog::new(10);
        log.push(
            0.0,
            Some(ConnId(1)),
            LogEvent::Connecting {
                url: "wss://a.test/ws?token=SECRET1".into(),
            },
        );
        log.push(
            1.0,
            Some(ConnId(1)),
            LogEvent::Refused {
                message: "The URL 'ws://exa%mple.com/ws?token=SECRET2' is invalid.".into(),
            },
        );
        saved.log = log.entries().cloned().collect();
        saved.history[0].reason = "bye wss://a.test/?key=SECRET3".into();
        let json = saved.to_json();
        for secret in ["SECRET1", "SECRET2", "SECRET3"] {
            assert!(!json.contains(secret), "{secret} in {json}");
        }
        let loaded = SavedConsole::from_json(&json, 0.0, 1_000_000.0).unwrap();
        assert_eq!(loaded.settings.target, "wss://a.test/ws?token=&room=7");
        assert_eq!(
            crate::target::secrets_to_retype(&loaded.settings.target),
            ["token"]
        );
    }

    #[test]
    fn another_version_or_damage_is_refused_with_a_message() {
        let mut saved = saved_with_log(1, "x");
        saved.version = 99;
        let err = SavedConsole::from_json(&saved.to_json(), 0.0, 0.0).unwrap_err();
        assert_eq!(err, LoadError::OtherVersion(99));
        assert!(err.to_string().contains("another version"));
        for damaged in ["", "{", "[]", "{\"version\":1}", "null"] {
            let err = SavedConsole::from_json(damaged, 0.0, 0.0).unwrap_err();
            assert!(
                err.to_string().contains("started afresh"),
                "{damaged}: {err}"
            );
        }
    }

    #[test]
    fn a_wall_clock_that_went_back_counts_as_no_time_passed() {
        let saved = saved_with_log(1, "x");
        let loaded = SavedConsole::from_json(&saved.to_json(), 100.0, 0.0).unwrap();
        assert_eq!(loaded.saved_at, 100.0);
    }
}
