//! The numbers operators watch, in Prometheus text format (`/metrics`): active
//! connections, disconnects by close code (`none` for drops without a close frame), ping
//! round trips, reconnects, messages in and out, and refused connections.
//!
//! Each server instance owns its recorder (no process-wide global), so several servers
//! in one process (tests) never mix their counts.

use metrics::{Counter, Gauge, Histogram, Key, Label, Level, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

const ACTIVE: &str = "wsdoctor_connections_active";
const DISCONNECTS: &str = "wsdoctor_disconnects_total";
const PING_RTT: &str = "wsdoctor_ping_rtt_seconds";
const RECONNECTS: &str = "wsdoctor_reconnects_total";
const MESSAGES: &str = "wsdoctor_messages_total";
const REFUSED: &str = "wsdoctor_connections_refused_total";
const DROPPED: &str = "wsdoctor_clients_dropped_total";

/// Round-trip buckets, in seconds: loopback to a slow mobile path.
const RTT_BUCKETS: &[f64] = &[
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

static METADATA: Metadata<'static> = Metadata::new("wsdoctor_server", Level::INFO, None);

/// The server's metrics.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    active: Gauge,
    reconnects: Counter,
    messages_in: Counter,
    messages_out: Counter,
    ping_rtt: Histogram,
}

impl Metrics {
    /// A fresh set, all zero.
    pub fn new() -> Metrics {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(PING_RTT.into()), RTT_BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let describe = |name: &'static str, unit: Option<Unit>, text: &'static str| {
            recorder.describe_counter(name.into(), unit, text.into());
        };
        describe(
            DISCONNECTS,
            None,
            "Connections ended, by close code (none: no close frame).",
        );
        describe(
            RECONNECTS,
            None,
            "hello messages that named a known session.",
        );
        describe(MESSAGES, None, "WebSocket data messages, by direction.");
        describe(
            REFUSED,
            None,
            "Connections closed at once with 1013, by limit.",
        );
        describe(
            DROPPED,
            None,
            "Connections dropped because the client stopped reading (not_reading: a message not taken in time; queued_bytes: too many bytes waiting for its address).",
        );
        recorder.describe_gauge(ACTIVE.into(), None, "Open WebSocket connections.".into());
        recorder.describe_histogram(
            PING_RTT.into(),
            Some(Unit::Seconds),
            "Round trips of protocol pings sent by the server.".into(),
        );
        let handle = recorder.handle();
        let counter = |name: &'static str, labels: Vec<Label>| {
            recorder.register_counter(&Key::from_parts(name, labels), &METADATA)
        };
        let metrics = Metrics {
            active: recorder.register_gauge(&Key::from_name(ACTIVE), &METADATA),
            reconnects: counter(RECONNECTS, vec![]),
            messages_in: counter(MESSAGES, vec![Label::new("direction", "in")]),
            messages_out: counter(MESSAGES, vec![Label::new("direction", "out")]),
            ping_rtt: recorder.register_histogram(&Key::from_name(PING_RTT), &METADATA),
            recorder,
            handle,
        };
        metrics.active.set(0.0);
        metrics.reconnects.absolute(0);
        metrics
    }

    /// A connection opened.
    pub fn connection_opened(&self) {
        self.active.increment(1.0);
    }

    /// A connection ended with `code` (`None`: no close frame). Codes a client chooses
    /// freely are counted by range, so they cannot make a series each.
    pub fn connection_closed(&self, code: Option<u16>) {
        self.active.decrement(1.0);
        let code = code_label(code);
        self.recorder
            .register_counter(
                &Key::from_parts(DISCONNECTS, vec![Label::new("code", code)]),
                &METADATA,
            )
            .increment(1);
    }

    /// A connection was refused by a limit.
    pub fn connection_refused(&self, limit: &'static str) {
        self.recorder
            .register_counter(
                &Key::from_parts(REFUSED, vec![Label::new("limit", limit)]),
                &METADATA,
            )
            .increment(1);
    }

    /// A connection was dropped because its client stopped reading.
    pub fn client_dropped(&self, reason: &'static str) {
        self.recorder
            .register_counter(
                &Key::from_parts(DROPPED, vec![Label::new("reason", reason)]),
                &METADATA,
            )
            .increment(1);
    }

    /// A `hello` named a known session.
    pub fn reconnected(&self) {
        self.reconnects.increment(1);
    }

    /// A data message arrived.
    pub fn message_in(&self) {
        self.messages_in.increment(1);
    }

    /// A data message was sent.
    pub fn message_out(&self) {
        self.messages_out.increment(1);
    }

    /// A ping's round trip, in milliseconds.
    pub fn ping_rtt_ms(&self, rtt_ms: f64) {
        self.ping_rtt.record(rtt_ms / 1000.0);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        self.handle.run_upkeep();
        self.handle.render()
    }
}

/// The `code` label: each standard code by itself, the others by range.
fn code_label(code: Option<u16>) -> String {
    match code {
        None => "none".into(),
        Some(code @ 1000..=1015) => code.to_string(),
        Some(3000..=3999) => "3000-3999".into(),
        Some(4000..=4999) => "4000-4999".into(),
        Some(_) => "other".into(),
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disconnects_are_counted_by_code_with_none_for_no_close_frame() {
        let metrics = Metrics::new();
        metrics.connection_opened();
        metrics.connection_opened();
        metrics.connection_closed(Some(1000));
        metrics.connection_closed(None);
        let text = metrics.render();
        assert!(
            text.contains("wsdoctor_disconnects_total{code=\"1000\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("wsdoctor_disconnects_total{code=\"none\"} 1"),
            "{text}"
        );
        assert!(text.contains("wsdoctor_connections_active 0"), "{text}");
    }

    #[test]
    fn codes_a_client_chooses_are_counted_by_range_not_one_series_each() {
        let metrics = Metrics::new();
        for code in 4000..4300 {
            metrics.connection_opened();
            metrics.connection_closed(Some(code));
        }
        metrics.connection_opened();
        metrics.connection_closed(Some(3001));
        metrics.connection_opened();
        metrics.connection_closed(Some(1009));
        let text = metrics.render();
        assert!(
            text.contains("wsdoctor_disconnects_total{code=\"4000-4999\"} 300"),
            "{text}"
        );
        assert!(text.contains("{code=\"3000-3999\"} 1"), "{text}");
        assert!(text.contains("{code=\"1009\"} 1"), "{text}");
        let series = text
            .lines()
            .filter(|l| l.starts_with("wsdoctor_disconnects_total{"))
            .count();
        assert_eq!(series, 3, "{text}");
    }

    #[test]
    fn ping_rtts_land_in_histogram_buckets_in_seconds() {
        let metrics = Metrics::new();
        metrics.ping_rtt_ms(0.3);
        metrics.ping_rtt_ms(40.0);
        let text = metrics.render();
        assert!(
            text.contains("wsdoctor_ping_rtt_seconds_bucket{le=\"0.0005\"} 1"),
            "{text}"
        );
        assert!(text.contains("wsdoctor_ping_rtt_seconds_count 2"), "{text}");
    }

    #[test]
    fn two_instances_do_not_share_counts() {
        let a = Metrics::new();
        let b = Metrics::new();
        a.message_in();
        assert!(
            a.render()
                .contains("wsdoctor_messages_total{direction=\"in\"} 1")
        );
        assert!(
            !b.render()
                .contains("wsdoctor_messages_total{direction=\"in\"} 1")
        );
    }
}
