//! The four numbers operators watch, for the page's own connections: how many are open,
//! how many ended with each close code, how long an answer takes (from heartbeats and
//! echoes), and how often the page reconnects.
//!
//! Latency is the time from a message the page sent to the next message it received on
//! the same connection: usually a heartbeat's answer or an echo, but a server's own push
//! that arrives first is taken as the answer too (the page shows it as "send to next
//! message", not as a round trip). Messages that arrive with no send outstanding (pushes,
//! a flood) cost nothing.
//! Everything here is bounded.

use std::collections::{BTreeMap, VecDeque};

use crate::Millis;
use crate::event_log::ConnId;

/// How many latency samples are kept (the sparkline and the percentiles use them).
pub const LATENCY_SAMPLES: usize = 120;
/// How many sends may wait for an answer per connection; older ones are forgotten.
const PENDING_SENDS: usize = 64;
/// The window of the reconnection rate.
pub const RATE_WINDOW_MS: Millis = 60_000.0;
/// How many reconnect times are kept for the rate.
const RECONNECTS_KEPT: usize = 1000;

/// The live metrics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveMetrics {
    open: BTreeMap<ConnId, VecDeque<Millis>>,
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

    /// The page sent a message on `conn`.
    pub fn sent(&mut self, conn: ConnId, at: Millis) {
        if let Some(pending) = self.open.get_mut(&conn) {
            if pending.len() == PENDING_SENDS {
                pending.pop_front();
            }
            pending.push_back(at);
        }
    }

    /// The page received a message on `conn`: the answer to the oldest send waiting.
    pub fn received(&mut self, conn: ConnId, at: Millis) {
        let Some(sent_at) = self.open.get_mut(&conn).and_then(VecDeque::pop_front) else {
            return;
        };
        if self.latencies.len() == LATENCY_SAMPLES {
            self.latencies.pop_front();
        }
        self.latencies.push_back((at - sent_at).max(0.0));
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
    fn latency_pairs_each_answer_with_the_oldest_send_and_ignores_pushes() {
        let mut m = LiveMetrics::new();
        m.opened(ConnId(1));
        m.received(ConnId(1), 5.0); // a push with nothing sent: no sample
        m.sent(ConnId(1), 100.0);
        m.sent(ConnId(1), 110.0);
        m.received(ConnId(1), 130.0);
        m.received(ConnId(1), 150.0);
        m.received(ConnId(1), 160.0); // nothing outstanding
        assert_eq!(m.latencies().collect::<Vec<_>>(), [30.0, 40.0]);
        m.sent(ConnId(9), 1.0); // not open: ignored
        m.received(ConnId(9), 2.0);
        assert_eq!(m.latencies().len(), 2);
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut m = LiveMetrics::new();
        assert_eq!(m.latency_percentile(50.0), None);
        m.opened(ConnId(1));
        for ms in 1..=100 {
            m.sent(ConnId(1), 0.0);
            m.received(ConnId(1), f64::from(ms));
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
            m.sent(ConnId(1), f64::from(i));
            m.received(ConnId(1), f64::from(i) + 1.0);
        }
        for i in 0..1_000 {
            m.sent(ConnId(1), f64::from(i));
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
