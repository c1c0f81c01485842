//! The four numbers operators watch, for the page's own connections: how many are open,
//! how many ended with each close code, how long the page's own messages take to come
//! back, and how often the page reconnects.
//!
//! A round trip is counted only for a message the page sent that comes back marked as
//! its own: an echo of the same text, or an answer carrying the same `seq` (a heartbeat
//! `{"seq": 7}` answered by `{"type": "heartbeat_ack", "seq": 7}`). A server's own push,
//! an answer without the marker, or a flood never counts, so every sample is a true
//! round trip. Messages that arrive with nothing outstanding cost nothing.
//! Everything here is bounded.

use std::collections::{BTreeMap, VecDeque};

use crate::Millis;
use crate::event_log::ConnId;

/// How many latency samples are kept (the sparkline and the percentiles use them).
pub const LATENCY_SAMPLES: usize = 120;
/// How many sends may wait for an answer per connection; older ones are forgotten.
const PENDING_SENDS: usize = 64;
/// Texts longer than this are not kept to be matched (a round trip is measured with
/// small messages: heartbeats, echoes).
pub const MARKED_TEXT_BYTES: usize = 1024;
/// The window of the reconnection rate.
pub const RATE_WINDOW_MS: Millis = 60_000.0;
/// How many reconnect times are kept for the rate.
const RECONNECTS_KEPT: usize = 1000;

/// What marks a sent message as the page's own when it comes back.
#[derive(Clone, Debug, PartialEq)]
struct Pending {
    at: Millis,
    text: String,
    seq: Option<u64>,
}

/// The `seq` field of a short JSON object, if it has a whole number there.
fn seq_of(text: &str) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Seq {
        seq: u64,
    }
    if text.len() > MARKED_TEXT_BYTES || !text.trim_start().starts_with('{') {
        return None;
    }
    serde_json::from_str::<Seq>(text).ok().map(|s| s.seq)
}

/// The live metrics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveMetrics {
    open: BTreeMap<ConnId, VecDeque<Pending>>,
    disconnects: BTreeMap<u16, u64>,
    latencies: VecDeque<f64>,
    reconnects: VecDeque<Millis>,
    reconnects_total: u64,
}

impl LiveMetrics {
    /// No connections, no samples.
    pub fn new() -> LiveMetrics {
        LiveMetrics::default()
    }

    /// A connection opened.
    pub fn opened(&mut self, conn: ConnId) {
        self.open.insert(conn, VecDeque::new());
    }

    /// A connection that had opened or not ended with `code`.
    pub fn closed(&mut self, conn: ConnId, code: u16) {
        self.open.remove(&conn);
        *self.disconnects.entry(code).or_insert(0) += 1;
    }

    /// A connection was let go without a close event (connect timeout, half-open).
    pub fn dropped(&mut self, conn: ConnId) {
        self.open.remove(&conn);
    }

    /// An automatic reconnection attempt started.
    pub fn reconnect_started(&mut self, at: Millis) {
        if self.reconnects.len() == RECONNECTS_KEPT {
            self.reconnects.pop_front();
        }
        self.reconnects.push_back(at);
        self.reconnects_total += 1;
    }

    /// The page sent `text` on `conn` (binary and long texts are never matched).
    pub fn sent(&mut self, conn: ConnId, at: Millis, text: &str) {
        if text.len() > MARKED_TEXT_BYTES {
            return;
        }
        if let Some(pending) = self.open.get_mut(&conn) {
            if pending.len() == PENDING_SENDS {
                pending.pop_front();
            }
            pending.push_back(Pending {
                at,
                text: text.to_string(),
                seq: seq_of(text),
            });
        }
    }

    /// The page received `text` on `conn`: a round trip if it is the echo of a send
    /// waiting, or carries a waiting send's `seq`.
    pub fn received(&mut self, conn: ConnId, at: Millis, text: &str) {
        let Some(pending) = self.open.get_mut(&conn) else {
            return;
        };
        if pending.is_empty() || text.len() > MARKED_TEXT_BYTES {
            return;
        }
        let position = pending.iter().position(|p| p.text == text).or_else(|| {
            let seq = seq_of(text)?;
            pending.iter().position(|p| p.seq == Some(seq))
        });
        let Some(sent) = position.and_then(|i| pending.remove(i)) else {
            return;
        };
        if self.latencies.len() == LATENCY_SAMPLES {
            self.latencies.pop_front();
        }
        self.latencies.push_back((at - sent.at).max(0.0));
    }

    /// Connections open now.
    pub fn active(&self) -> usize {
        self.open.len()
    }

    /// How many connections ended with each close code, by code.
    pub fn disconnects(&self) -> &BTreeMap<u16, u64> {
        &self.disconnects
    }

    /// The latency samples, oldest first, in ms.
    pub fn latencies(&self) -> impl ExactSizeIterator<Item = f64> + '_ {
        self.latencies.iter().copied()
    }

    /// The `p`-th percentile (0-100) of the kept latency samples, nearest rank.
    pub fn latency_percentile(&self, p: f64) -> Option<f64> {
        if self.latencies.is_empty() {
            return None;
        }
        let mut sorted: Vec<f64> = self.latencies.iter().copied().collect();
        sorted.sort_by(f64::total_cmp);
        Some(crate::stats::nearest_rank(&sorted, p / 100.0))
    }

    /// Automatic reconnections in the last minute before `now`.
    pub fn reconnects_last_minute(&self, now: Millis) -> usize {
        self.reconnects
            .iter()
            .filter(|at| now - **at <= RATE_WINDOW_MS)
            .count()
    }

    /// Automatic reconnections since the page opened.
    pub fn reconnects_total(&self) -> u64 {
        self.reconnects_total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_connections_and_disconnects_per_code() {
        let mut m = LiveMetrics::new();
        m.opened(ConnId(1));
        m.opened(ConnId(2));
        assert_eq!(m.active(), 2);
        m.closed(ConnId(1), 1006);
        m.closed(ConnId(2), 1006);
        m.closed(ConnId(3), 1012); // failed before opening: still a disconnect
        m.dropped(ConnId(4));
        assert_eq!(m.active(), 0);
        assert_eq!(
            m.disconnects().iter().collect::<Vec<_>>(),
            [(&1006, &2), (&1012, &1)]
        );
    }

    #[test]
    fn a_round_trip_pairs_an_echo_or_an_answer_with_the_same_seq_and_nothing_else() {
        let mut m = LiveMetrics::new();
        m.opened(ConnId(1));
        m.received(ConnId(1), 5.0, "push"); // nothing sent: no sample
        m.sent(ConnId(1), 100.0, "hello");
        m.sent(ConnId(1), 110.0, r#"{"type":"heartbeat","seq":7}"#);
        m.received(ConnId(1), 120.0, r#"{"type":"tick","seq":1}"#); // a push: not ours
        m.received(ConnId(1), 125.0, "news"); // a push: not ours
        m.received(ConnId(1), 130.0, r#"{"type":"heartbeat_ack","seq":7}"#);
        m.received(ConnId(1), 150.0, "hello"); // the echo, after the later send's answer
        m.received(ConnId(1), 160.0, "hello"); // nothing outstanding any more
        assert_eq!(m.latencies().collect::<Vec<_>>(), [20.0, 50.0]);
        m.sent(ConnId(9), 1.0, "x"); // not open: ignored
        m.received(ConnId(9), 2.0, "x");
        assert_eq!(m.latencies().len(), 2);
    }

    #[test]
    fn long_messages_are_never_kept_to_be_matched() {
        let mut m = LiveMetrics::new();
        m.opened(ConnId(1));
        let long = "x".repeat(MARKED_TEXT_BYTES + 1);
        m.sent(ConnId(1), 0.0, &long);
        m.received(ConnId(1), 1.0, &long);
        assert_eq!(m.latencies().len(), 0);
        assert!(m.open[&ConnId(1)].is_empty());
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut m = LiveMetrics::new();
        assert_eq!(m.latency_percentile(50.0), None);
        m.opened(ConnId(1));
        for ms in 1..=100 {
            m.sent(ConnId(1), 0.0, "ping");
            m.received(ConnId(1), f64::from(ms), "ping");
        }
        assert_eq!(m.latency_percentile(50.0), Some(50.0));
        assert_eq!(m.latency_percentile(95.0), Some(95.0));
        assert_eq!(m.latency_percentile(100.0), Some(100.0));
    }

    #[test]
    fn samples_and_pending_sends_stay_bounded_under_a_flood() {
        let mut m = LiveMetrics::new();
        m.opened(ConnId(1));
        for i in 0..100_000 {
            m.sent(ConnId(1), f64::from(i), "ping");
            m.received(ConnId(1), f64::from(i) + 1.0, "ping");
        }
        for i in 0..1_000 {
            m.sent(ConnId(1), f64::from(i), "unanswered");
        }
        assert_eq!(m.latencies().len(), LATENCY_SAMPLES);
        assert_eq!(m.open[&ConnId(1)].len(), PENDING_SENDS);
        for i in 0..5_000 {
            m.reconnect_started(f64::from(i));
        }
        assert_eq!(m.reconnects.len(), RECONNECTS_KEPT);
        assert_eq!(m.reconnects_total(), 5_000);
    }

    #[test]
    fn the_reconnection_rate_counts_the_last_minute_only() {
        let mut m = LiveMetrics::new();
        for at in [0.0, 30_000.0, 61_000.0, 90_000.0] {
            m.reconnect_started(at);
        }
        assert_eq!(m.reconnects_last_minute(95_000.0), 2);
        assert_eq!(m.reconnects_last_minute(200_000.0), 0);
        assert_eq!(m.reconnects_total(), 4);
    }
}
