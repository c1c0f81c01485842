//! The event log of a connection console: what happened, when, to which connection.
//!
//! The log is bounded: it keeps the newest entries up to its capacity and counts the
//! ones it let go, so a flood of messages cannot eat the page's memory. A message is
//! kept as a summary (size and a short preview), never as its whole payload.

use std::collections::VecDeque;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Millis;

/// Identifies one browser socket. A new connection gets a new id, so a late event of a
/// replaced socket is never mistaken for one of the current socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConnId(pub u32);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// How many log entries the console keeps; older ones are counted, not kept.
pub const CONSOLE_LOG_CAPACITY: usize = 1000;
/// How many of the newest entries the console's live view draws; pausing shows every
/// kept one.
pub const LIVE_ROWS: usize = 200;

/// How many characters of a text message, or bytes of a binary one, a preview shows.
pub const PREVIEW_CHARS: usize = 120;
/// How many bytes of a binary message the hex preview shows.
pub const PREVIEW_BYTES: usize = 32;

/// A message as the log keeps it: its kind, its size and the start of its content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSummary {
    /// Whether the frame was binary (otherwise text).
    pub binary: bool,
    /// The payload's size in bytes (UTF-8 bytes for text).
    pub bytes: usize,
    /// The start of the content: text as is, binary as hex pairs.
    pub preview: String,
    /// Whether the preview stops before the end of the content.
    pub truncated: bool,
    /// The message read as its protocol's event (`event "chat" ["hi"]`), when a protocol
    /// profile was in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded: Option<String>,
}

impl MessageSummary {
    /// Summarises a text message.
    pub fn text(text: &str) -> MessageSummary {
        MessageSummary::text_start(text, text.len())
    }

    /// Summarises a text message of `bytes` bytes (UTF-8) from its start, `head`: a long
    /// message need not be copied whole to be logged.
    pub fn text_start(head: &str, bytes: usize) -> MessageSummary {
        let preview: String = head.chars().take(PREVIEW_CHARS).collect();
        MessageSummary {
            binary: false,
            bytes,
            truncated: preview.len() < bytes,
            preview,
            decoded: None,
        }
    }

    /// Summarises a binary message.
    pub fn binary(bytes: &[u8]) -> MessageSummary {
        MessageSummary::binary_start(bytes, bytes.len())
    }

    /// Summarises a binary message of `bytes` bytes from its start, `head`.
    pub fn binary_start(head: &[u8], bytes: usize) -> MessageSummary {
        let shown = &head[..head.len().min(PREVIEW_BYTES).min(bytes)];
        MessageSummary {
            binary: true,
            bytes,
            preview: shown
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" "),
            truncated: shown.len() < bytes,
            decoded: None,
        }
    }
}

impl MessageSummary {
    /// The same summary with the protocol's reading of the message.
    pub fn read_as(mut self, decoded: Option<String>) -> MessageSummary {
        self.decoded = decoded;
        self
    }
}

impl fmt::Display for MessageSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.binary { "binary" } else { "text" };
        let more = if self.truncated { " …" } else { "" };
        match &self.decoded {
            Some(decoded) => write!(
                f,
                "{decoded} ({kind}, {} B: {}{more})",
                self.bytes, self.preview
            ),
            None => write!(f, "{kind}, {} B: {}{more}", self.bytes, self.preview),
        }
    }
}

/// One thing that happened, in the words the log shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LogEvent {
    /// The user asked to connect; the browser is opening the socket.
    Connecting {
        /// The target URL.
        url: String,
    },
    /// The browser could not even start the connection (bad URL, mixed content, ...).
    Refused {
        /// Why, as the browser said it.
        message: String,
    },
    /// The handshake completed.
    Opened {
        /// The subprotocol the server chose (empty: none).
        protocol: String,
        /// The extensions the server accepted (empty: none).
        extensions: String,
    },
    /// The page sent a message.
    Sent(MessageSummary),
    /// The page received a message.
    Received(MessageSummary),
    /// The page could not send (e.g. the socket is not open).
    SendFailed {
        /// Why.
        message: String,
    },
    /// The user asked to close, with this code and reason.
    Closing {
        /// The close code sent.
        code: u16,
        /// The reason sent.
        reason: String,
    },
    /// The connection closed.
    Closed {
        /// The close code the browser reported.
        code: u16,
        /// The close reason the browser reported.
        reason: String,
        /// Whether the closing handshake completed.
        was_clean: bool,
    },
    /// The browser's `error` event, which carries no detail by design.
    Error,
    /// The page became hidden (another tab, minimised, locked screen).
    PageHidden,
    /// The page became visible again.
    PageVisible,
    /// The page is being left; `persisted`: it may be kept in the back/forward cache.
    PageHide {
        /// Whether the page goes into the back/forward cache.
        persisted: bool,
    },
    /// The page was shown; `persisted`: it came back from the back/forward cache.
    PageShow {
        /// Whether it came from the back/forward cache.
        persisted: bool,
    },
    /// The browser froze the page (Chromium's `freeze`).
    #[serde(rename = "page-frozen")]
    Frozen,
    /// The browser resumed the frozen page.
    #[serde(rename = "page-resumed")]
    Resumed,
    /// The browser reported the network gone.
    Offline,
    /// The browser reported the network back.
    Online,
    /// The wall clock jumped ahead of the page's clock: the machine slept.
    ClockJump {
        /// By how much, in ms.
        by_ms: u64,
    },
    /// The page was reloaded; the entries before this one were saved by the earlier visit.
    Restored {
        /// How many entries were restored.
        entries: usize,
    },
    /// Something the page noted for the user (settings applied, saved state ignored, ...).
    Note {
        /// What.
        message: String,
    },
}

impl LogEvent {
    /// A short, stable name of the kind of event, for filters and test selectors.
    pub fn kind(&self) -> &'static str {
        match self {
            LogEvent::Connecting { .. } => "connecting",
            LogEvent::Refused { .. } => "refused",
            LogEvent::Opened { .. } => "opened",
            LogEvent::Sent(_) => "sent",
            LogEvent::Received(_) => "received",
            LogEvent::SendFailed { .. } => "send-failed",
            LogEvent::Closing { .. } => "closing",
            LogEvent::Closed { .. } => "closed",
            LogEvent::Error => "error",
            LogEvent::PageHidden => "page-hidden",
            LogEvent::PageVisible => "page-visible",
            LogEvent::PageHide { .. } => "page-hide",
            LogEvent::PageShow { .. } => "page-show",
            LogEvent::Frozen => "page-frozen",
            LogEvent::Resumed => "page-resumed",
            LogEvent::Offline => "offline",
            LogEvent::Online => "online",
            LogEvent::ClockJump { .. } => "clock-jump",
            LogEvent::Restored { .. } => "restored",
            LogEvent::Note { .. } => "note",
        }
    }

    /// The same event with secrets masked (see `target::mask_secrets`): in the target,
    /// and in every URL inside free text (a browser's error, a note, a close reason), for
    /// the screen, exports and the saved copy.
    pub fn masked(&self) -> LogEvent {
        use crate::target::{mask_secrets, mask_secrets_in_text as in_text};
        match self {
            LogEvent::Connecting { url } => LogEvent::Connecting {
                url: mask_secrets(url),
            },
            LogEvent::Refused { message } => LogEvent::Refused {
                message: in_text(message),
            },
            LogEvent::SendFailed { message } => LogEvent::SendFailed {
                message: in_text(message),
            },
            LogEvent::Note { message } => LogEvent::Note {
                message: in_text(message),
            },
            LogEvent::Closing { code, reason } => LogEvent::Closing {
                code: *code,
                reason: in_text(reason),
            },
            LogEvent::Closed {
                code,
                reason,
                was_clean,
            } => LogEvent::Closed {
                code: *code,
                reason: in_text(reason),
                was_clean: *was_clean,
            },
            other => other.clone(),
        }
    }
}

fn or_none(text: &str) -> &str {
    if text.is_empty() { "none" } else { text }
}

impl fmt::Display for LogEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogEvent::Connecting { url } => write!(f, "connecting to {url}"),
            LogEvent::Refused { message } => write!(f, "could not connect: {message}"),
            LogEvent::Opened {
                protocol,
                extensions,
            } => write!(
                f,
                "opened (subprotocol: {}, extensions: {})",
                or_none(protocol),
                or_none(extensions)
            ),
            LogEvent::Sent(message) => write!(f, "sent {message}"),
            LogEvent::Received(message) => write!(f, "received {message}"),
            LogEvent::SendFailed { message } => write!(f, "not sent: {message}"),
            LogEvent::Closing { code, reason } => {
                write!(f, "closing with code {code}, reason \"{reason}\"")
            }
            LogEvent::Closed {
                code,
                reason,
                was_clean,
            } => write!(
                f,
                "closed: code {code}, reason \"{reason}\", wasClean {was_clean}"
            ),
            LogEvent::Error => write!(f, "error (browsers give no detail for this event)"),
            LogEvent::PageHidden => write!(f, "page hidden"),
            LogEvent::PageVisible => write!(f, "page visible"),
            LogEvent::PageHide { persisted } => write!(
                f,
                "page left{}",
                if *persisted {
                    " (kept in the back/forward cache)"
                } else {
                    ""
                }
            ),
            LogEvent::PageShow { persisted } => write!(
                f,
                "page shown{}",
                if *persisted {
                    " (back from the back/forward cache)"
                } else {
                    ""
                }
            ),
            LogEvent::Frozen => write!(f, "page frozen by the browser"),
            LogEvent::Resumed => write!(f, "page resumed"),
            LogEvent::Offline => write!(f, "network offline"),
            LogEvent::Online => write!(f, "network online"),
            LogEvent::ClockJump { by_ms } => write!(
                f,
                "clock jumped {:.1} s: the machine slept or the page was suspended",
                *by_ms as f64 / 1000.0
            ),
            LogEvent::Restored { entries } => write!(
                f,
                "page reloaded: the {entries} entries above are from the previous visit"
            ),
            LogEvent::Note { message } => write!(f, "{message}"),
        }
    }
}

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// A number that orders entries, unique within one log.
    pub seq: u64,
    /// When it happened, in milliseconds on the page's monotonic clock.
    pub at: Millis,
    /// The connection it belongs to; `None` for page events.
    pub conn: Option<ConnId>,
    /// What happened.
    pub event: LogEvent,
}

impl LogEntry {
    /// Whether the entry matches a filter: its kind or its text contains `query`, in any
    /// case. An empty query matches everything.
    pub fn matches(&self, query: &str) -> bool {
        let query = query.trim().to_lowercase();
        query.is_empty()
            || self.event.kind().contains(&query)
            || self.event.to_string().to_lowercase().contains(&query)
    }
}

/// One exported line: the entry's fields, its event's fields, and the text as shown.
#[derive(Serialize)]
struct ExportLine<'a> {
    seq: u64,
    at_ms: Millis,
    conn: Option<ConnId>,
    #[serde(flatten)]
    event: &'a LogEvent,
    text: String,
}

impl LogEntry {
    /// The entry as one line of JSON (no newline), secrets masked unless `show_secrets`.
    pub fn to_json_line(&self, show_secrets: bool) -> String {
        let masked;
        let event = if show_secrets {
            &self.event
        } else {
            masked = self.event.masked();
            &masked
        };
        let line = ExportLine {
            seq: self.seq,
            at_ms: (self.at * 1000.0).round() / 1000.0,
            conn: self.conn,
            event,
            text: event.to_string(),
        };
        serde_json::to_string(&line)
            .unwrap_or_else(|err| format!("{{\"seq\":{},\"error\":\"{err}\"}}", self.seq))
    }
}

/// The newest entries, up to a capacity, and a count of the older ones let go.
#[derive(Clone, Debug, PartialEq)]
pub struct EventLog {
    entries: VecDeque<LogEntry>,
    capacity: usize,
    dropped: u64,
    next_seq: u64,
    received: u64,
    sent: u64,
}

impl EventLog {
    /// An empty log that keeps at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> EventLog {
        EventLog {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            dropped: 0,
            next_seq: 0,
            received: 0,
            sent: 0,
        }
    }

    /// Adds an entry, letting the oldest go if the log is full.
    pub fn push(&mut self, at: Millis, conn: Option<ConnId>, event: LogEvent) {
        match event {
            LogEvent::Received(_) => self.received += 1,
            LogEvent::Sent(_) => self.sent += 1,
            _ => {}
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(LogEntry {
            seq: self.next_seq,
            at,
            conn,
            event,
        });
        self.next_seq += 1;
    }

    /// The kept entries, oldest first.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &LogEntry> + ExactSizeIterator {
        self.entries.iter()
    }

    /// How many entries were let go to stay within the capacity.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Messages received since the log started or was cleared, kept or not.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Messages sent since the log started or was cleared, kept or not.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// The kept entries as JSON lines (one object per line, oldest first), secrets
    /// masked unless `show_secrets`: the log's export.
    pub fn to_json_lines(&self, show_secrets: bool) -> String {
        let mut out = String::new();
        for entry in &self.entries {
            out.push_str(&entry.to_json_line(show_secrets));
            out.push('\n');
        }
        out
    }

    /// Puts back entries saved by an earlier visit (oldest first, times already moved to
    /// this page's clock) before the current ones, and marks where they end. Entries
    /// beyond the capacity are let go, oldest first.
    pub fn restore(&mut self, saved: Vec<LogEntry>, restored_at: Millis) {
        if saved.is_empty() {
            return;
        }
        let count = saved.len();
        let counts = (self.received, self.sent);
        let current: Vec<LogEntry> = self.entries.drain(..).collect();
        self.next_seq = 0;
        for entry in saved {
            self.push(entry.at, entry.conn, entry.event);
        }
        self.push(restored_at, None, LogEvent::Restored { entries: count });
        // The counts are this visit's: restored messages were counted by the earlier one.
        (self.received, self.sent) = (counts.0, counts.1);
        for entry in current {
            self.push(entry.at, entry.conn, entry.event);
        }
    }

    /// Empties the log (the counts too).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.dropped = 0;
        self.received = 0;
        self.sent = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_log_lets_the_oldest_go_and_counts_it() {
        let mut log = EventLog::new(3);
        for i in 0..5 {
            log.push(f64::from(i), None, LogEvent::PageHidden);
        }
        let kept: Vec<u64> = log.entries().map(|e| e.seq).collect();
        assert_eq!(kept, vec![2, 3, 4]);
        assert_eq!(log.dropped(), 2);
    }

    #[test]
    fn message_counts_are_exact_even_when_entries_are_let_go() {
        let mut log = EventLog::new(10);
        for i in 0..100_000 {
            log.push(
                f64::from(i),
                Some(ConnId(1)),
                LogEvent::Received(MessageSummary::text("x")),
            );
        }
        log.push(
            0.0,
            Some(ConnId(1)),
            LogEvent::Sent(MessageSummary::text("y")),
        );
        assert_eq!(log.received(), 100_000);
        assert_eq!(log.sent(), 1);
        assert_eq!(log.entries().len(), 10);
        assert_eq!(log.dropped(), 100_001 - 10);
    }

    #[test]
    fn a_filter_matches_kind_or_text_in_any_case() {
        let mut log = EventLog::new(10);
        log.push(
            0.0,
            None,
            LogEvent::Received(MessageSummary::text("Hello Beta")),
        );
        log.push(1.0, None, LogEvent::Sent(MessageSummary::text("alpha")));
        log.push(2.0, None, LogEvent::PageHidden);
        let kept = |q: &str| log.entries().filter(|e| e.matches(q)).count();
        assert_eq!(kept(""), 3);
        assert_eq!(kept("beta"), 1);
        assert_eq!(kept("SENT"), 1);
        assert_eq!(kept("page-hidden"), 1);
        assert_eq!(kept("nothing like it"), 0);
    }

    #[test]
    fn clear_empties_the_log_and_resets_the_dropped_count() {
        let mut log = EventLog::new(1);
        log.push(0.0, None, LogEvent::PageHidden);
        log.push(1.0, None, LogEvent::PageVisible);
        log.clear();
        assert_eq!(log.entries().len(), 0);
        assert_eq!(log.dropped(), 0);
    }

    #[test]
    fn a_huge_text_message_is_kept_as_a_short_preview_with_its_full_size() {
        let text = "é".repeat(10_000);
        let summary = MessageSummary::text(&text);
        assert_eq!(summary.bytes, 20_000);
        assert_eq!(summary.preview.chars().count(), PREVIEW_CHARS);
        assert!(summary.truncated);
    }

    #[test]
    fn a_message_summarised_from_its_start_matches_one_summarised_whole() {
        let text = "é".repeat(10_000);
        let head: String = text.chars().take(300).collect();
        assert_eq!(
            MessageSummary::text_start(&head, text.len()),
            MessageSummary::text(&text)
        );
        let bytes = [9u8; 70_000];
        assert_eq!(
            MessageSummary::binary_start(&bytes[..PREVIEW_BYTES], bytes.len()),
            MessageSummary::binary(&bytes)
        );
        assert_eq!(
            MessageSummary::binary_start(&[1, 2], 2).to_string(),
            "binary, 2 B: 01 02"
        );
    }

    #[test]
    fn a_short_text_message_is_shown_whole() {
        let summary = MessageSummary::text("hello");
        assert_eq!(summary.to_string(), "text, 5 B: hello");
        assert!(!summary.truncated);
    }

    #[test]
    fn binary_messages_preview_as_hex() {
        let summary = MessageSummary::binary(&[0, 0xff, 0x10]);
        assert_eq!(summary.to_string(), "binary, 3 B: 00 ff 10");
        let long = MessageSummary::binary(&[7; 100]);
        assert!(long.truncated);
        assert_eq!(long.preview.split(' ').count(), PREVIEW_BYTES);
    }

    #[test]
    fn close_events_show_code_reason_and_was_clean() {
        let closed = LogEvent::Closed {
            code: 1000,
            reason: "bye".into(),
            was_clean: true,
        };
        assert_eq!(
            closed.to_string(),
            "closed: code 1000, reason \"bye\", wasClean true"
        );
        assert_eq!(closed.kind(), "closed");
    }

    #[test]
    fn opened_without_subprotocol_says_none() {
        let opened = LogEvent::Opened {
            protocol: String::new(),
            extensions: "permessage-deflate".into(),
        };
        assert_eq!(
            opened.to_string(),
            "opened (subprotocol: none, extensions: permessage-deflate)"
        );
    }

    fn every_kind_of_event() -> Vec<LogEvent> {
        vec![
            LogEvent::Connecting {
                url: "ws://a/?token=t".into(),
            },
            LogEvent::Refused {
                message: "m".into(),
            },
            LogEvent::Opened {
                protocol: "p".into(),
                extensions: String::new(),
            },
            LogEvent::Sent(MessageSummary::text("hi")),
            LogEvent::Received(MessageSummary::binary(&[0xde, 0xad])),
            LogEvent::SendFailed {
                message: "m".into(),
            },
            LogEvent::Closing {
                code: 1000,
                reason: "r".into(),
            },
            LogEvent::Closed {
                code: 1006,
                reason: String::new(),
                was_clean: false,
            },
            LogEvent::Error,
            LogEvent::PageHidden,
            LogEvent::PageVisible,
            LogEvent::PageHide { persisted: true },
            LogEvent::PageShow { persisted: false },
            LogEvent::Frozen,
            LogEvent::Resumed,
            LogEvent::Offline,
            LogEvent::Online,
            LogEvent::ClockJump { by_ms: 5000 },
            LogEvent::Restored { entries: 3 },
            LogEvent::Note {
                message: "n".into(),
            },
        ]
    }

    #[test]
    fn every_event_round_trips_through_json_under_its_kind() {
        for event in every_kind_of_event() {
            let json = serde_json::to_value(&event).unwrap();
            assert_eq!(json["kind"], event.kind(), "{json}");
            let back: LogEvent = serde_json::from_value(json).unwrap();
            assert_eq!(back, event);
        }
    }

    #[test]
    fn the_export_is_one_json_object_per_line_with_secrets_masked() {
        let mut log = EventLog::new(100);
        for (i, event) in every_kind_of_event().into_iter().enumerate() {
            log.push(i as f64 * 1.5, Some(ConnId(2)), event);
        }
        let export = log.to_json_lines(false);
        let lines: Vec<serde_json::Value> = export
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), every_kind_of_event().len());
        assert_eq!(lines[0]["kind"], "connecting");
        assert_eq!(lines[0]["url"], "ws://a/?token=••••");
        assert_eq!(lines[0]["conn"], 2);
        assert_eq!(lines[1]["at_ms"], 1.5);
        assert_eq!(lines[3]["bytes"], 2);
        assert_eq!(lines[4]["preview"], "de ad");
        assert_eq!(
            lines[7]["text"],
            "closed: code 1006, reason \"\", wasClean false"
        );
        assert!(!export.contains("token=t"));
        assert!(
            log.to_json_lines(true).contains("token=t"),
            "shown when asked"
        );
    }

    #[test]
    fn restored_entries_come_first_with_a_marker_and_the_bound_holds() {
        let mut earlier = EventLog::new(5);
        for i in 0..3 {
            earlier.push(
                f64::from(i),
                None,
                LogEvent::Note {
                    message: format!("old {i}"),
                },
            );
        }
        earlier.push(3.0, None, LogEvent::Received(MessageSummary::text("old 3")));
        let mut log = EventLog::new(5);
        log.push(
            100.0,
            None,
            LogEvent::Note {
                message: "new".into(),
            },
        );
        log.restore(earlier.entries().cloned().collect(), 50.0);
        let texts: Vec<String> = log.entries().map(|e| e.event.to_string()).collect();
        assert_eq!(
            texts,
            [
                "old 1",
                "old 2",
                "received text, 5 B: old 3",
                "page reloaded: the 4 entries above are from the previous visit",
                "new"
            ]
        );
        assert_eq!(log.received(), 0, "restored entries are not counted again");
        let seqs: Vec<u64> = log.entries().map(|e| e.seq).collect();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "unique, ordered: {seqs:?}"
        );
    }
}
