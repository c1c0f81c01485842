//! The companion protocol `wsdoctor.v1` on one connection (see `docs/protocol.md`).
//!
//! One loop per connection waits on whatever comes first: a client message, the tick
//! timer, the ping timer, a scheduled close or abort, a keepalive deadline (a Pong
//! overdue, or the client silent too long), or the server stopping. A `blackhole`
//! request makes the loop stop reading and writing for a while, keeping TCP open. At most one
//! reply goes out per client message (no amplification); periodic traffic has minimum
//! intervals; bad messages get an `error` reply, and more than the allowed number a
//! minute close the connection with 1008. Everything observed goes into the connection's
//! record, which the session keeps after the connection is gone.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use wsdoctor_core::protocol::{
    ClientMessage, CloseView, ClosedBy, HandshakeView, Limits, MisbehaveKind, SEND_BUDGET_BYTES,
    SHUTDOWN_REASON, ServerMessage, parse_client_message, to_json,
};

use crate::clock::epoch_ms;
use crate::closing::{self, Client, Ending, Outcome};
use crate::sending;
use crate::sessions::{ConnRecord, Joined, SharedRecord};
use crate::state::AppState;

/// The shortest tick interval a client may ask for.
pub const MIN_TICK_MS: u64 = 100;
/// The shortest ping interval a client may ask for.
pub const MIN_PING_MS: u64 = 100;
/// The longest delay of a scheduled close or abort.
pub const MAX_DELAY_MS: u64 = 10 * 60 * 1000;
/// More error replies than this within a minute close the connection with 1008.
pub const MAX_ERRORS_PER_MINUTE: u32 = 20;
/// One `misbehave oversized` per this long, per connection.
const OVERSIZED_EVERY: Duration = Duration::from_secs(10);
/// Pings awaiting their pong, at most (older ones count as lost).
const MAX_PENDING_PINGS: usize = 64;

/// The close when a Ping's Pong is overdue (as Python `websockets`' keepalive closes).
const PING_TIMEOUT_CODE: u16 = 1011;
/// The close when the client has been silent for `client_idle_close_ms`.
const CLIENT_IDLE_CODE: u16 = 1000;

/// Something to do at a set time.
enum Scheduled {
    Close { code: u16, reason: String },
    Abort,
}

/// A `configure` request's fields (absent: keep; `Some(None)`: stop).
struct Configure {
    tick_every_ms: Option<Option<u64>>,
    ping_every_ms: Option<Option<u64>>,
    ack_heartbeats: Option<bool>,
    report_pings: Option<bool>,
    ping_timeout_ms: Option<Option<u64>>,
    client_idle_close_ms: Option<Option<u64>>,
}

/// What handling one client message asks the loop to do.
enum Step {
    Nothing,
    Reply(ServerMessage),
    Raw(Message),
    Close {
        code: u16,
        reason: String,
    },
    Abort,
    /// Reply, then stop reading and writing for this long.
    Blackhole(ServerMessage, Duration),
}

struct Companion<'a> {
    state: &'a AppState,
    /// The client's address (for the bytes it may leave unread).
    client: IpAddr,
    conn: u64,
    record: SharedRecord,
    session: Option<String>,
    handshake: HandshakeView,
    ack_heartbeats: bool,
    report_pings: bool,
    tick_every_ms: Option<u64>,
    tick: Option<Interval>,
    tick_seq: u64,
    ping_every_ms: Option<u64>,
    ping: Option<Interval>,
    ping_seq: u64,
    pending_pings: VecDeque<(u64, Instant)>,
    errors: VecDeque<Instant>,
    scheduled: Option<(Instant, Scheduled)>,
    last_oversized: Option<Instant>,
    /// Bytes `send` requests have asked for so far (at most `SEND_BUDGET_BYTES`).
    sent_on_request: u64,
    ping_timeout_ms: Option<u64>,
    client_idle_close_ms: Option<u64>,
    /// When the client last sent a message (or the connection opened).
    last_from_client: Instant,
}

/// Runs the protocol until the connection ends; returns the close code (`None`: none).
pub async fn run(
    mut ws: impl Client,
    state: &AppState,
    client: IpAddr,
    handshake: HandshakeView,
) -> Option<u16> {
    let conn = state.next_conn();
    let record = Arc::new(Mutex::new(ConnRecord::new(conn, epoch_ms())));
    let mut me = Companion {
        state,
        client,
        conn,
        record,
        session: None,
        handshake,
        ack_heartbeats: true,
        report_pings: false,
        tick_every_ms: None,
        tick: None,
        tick_seq: 0,
        ping_every_ms: None,
        ping: None,
        ping_seq: 0,
        pending_pings: VecDeque::new(),
        errors: VecDeque::new(),
        scheduled: None,
        last_oversized: None,
        sent_on_request: 0,
        ping_timeout_ms: None,
        client_idle_close_ms: None,
        last_from_client: Instant::now(),
    };
    let mut shutdown = state.shutdown.clone();
    let (code, close) = loop {
        let pong_deadline = me.pong_deadline();
        let client_idle_deadline = me.client_idle_deadline();
        let step = tokio::select! {
            received = ws.next() => {
                match closing::classify(received, state.config.max_message_bytes) {
                    Ending::Message(message) => me.on_message(message),
                    Ending::Over(outcome) => break me.finish(&mut ws, outcome).await,
                }
            }
            () = next_tick(&mut me.tick) => {
                me.tick_seq += 1;
                Step::Reply(ServerMessage::Tick { seq: me.tick_seq, server_time_ms: epoch_ms() })
            }
            () = next_tick(&mut me.ping) => me.ping_step(),
            () = at(me.scheduled.as_ref().map(|(when, _)| *when)) => {
                match me.scheduled.take() {
                    Some((_, Scheduled::Close { code, reason })) => Step::Close { code, reason },
                    Some((_, Scheduled::Abort)) => Step::Abort,
                    None => Step::Nothing,
                }
            }
            () = at(pong_deadline) => me.pong_overdue(),
            () = at(client_idle_deadline) => me.client_idle(),
            code = closing::stop_requested(&mut shutdown) => {
                Step::Close { code, reason: SHUTDOWN_REASON.into() }
            }
        };
        match step {
            Step::Nothing => {}
            Step::Reply(message) => {
                if !me.send(&mut ws, Message::text(to_json(&message))).await {
                    break (None, closed_by(ClosedBy::None, None, None));
                }
            }
            Step::Raw(message) => {
                if !me.send(&mut ws, message).await {
                    break (None, closed_by(ClosedBy::None, None, None));
                }
            }
            Step::Close { code, reason } => {
                let sent = closing::close_and_drain(&mut ws, state, code, &reason).await;
                break (sent, closed_by(ClosedBy::Server, sent, Some(reason)));
            }
            Step::Blackhole(reply, away) => {
                if !me.send(&mut ws, Message::text(to_json(&reply))).await {
                    break (None, closed_by(ClosedBy::None, None, None));
                }
                tokio::select! {
                    () = tokio::time::sleep(away) => me.back_from_blackhole(),
                    code = closing::stop_requested(&mut shutdown) => {
                        let reason = SHUTDOWN_REASON.to_string();
                        let sent = closing::close_and_drain(&mut ws, state, code, &reason).await;
                        break (sent, closed_by(ClosedBy::Server, sent, Some(reason)));
                    }
                }
            }
            Step::Abort => {
                // Dropping the stream closes TCP with no close frame.
                drop(ws);
                break (
                    None,
                    closed_by(
                        ClosedBy::Server,
                        None,
                        Some("aborted on request: no close frame".into()),
                    ),
                );
            }
        }
    };
    let now = epoch_ms();
    lock(&me.record).closed(now, close);
    if let Some(session) = &me.session {
        state.sessions.touch(session, now);
    }
    tracing::debug!(conn = me.conn, ?code, "companion connection ended");
    code
}

fn closed_by(by: ClosedBy, code: Option<u16>, reason: Option<String>) -> CloseView {
    CloseView { code, reason, by }
}

fn lock(record: &SharedRecord) -> std::sync::MutexGuard<'_, ConnRecord> {
    record.lock().unwrap_or_else(|e| e.into_inner())
}

/// Waits for the next tick of `interval`, or forever when there is none.
async fn next_tick(interval: &mut Option<Interval>) {
    match interval {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Waits until `deadline`, or forever when there is none.
async fn at(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// A periodic timer whose first tick is one period from now.
fn every(ms: u64) -> Interval {
    let period = Duration::from_millis(ms);
    let mut interval = tokio::time::interval_at(Instant::now() + period, period);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    interval
}

impl Companion<'_> {
    async fn send(&mut self, ws: &mut impl Client, message: Message) -> bool {
        let is_data = matches!(
            message,
            Message::Text(_) | Message::Binary(_) | Message::Frame(_)
        );
        if sending::send(ws, message, self.client, self.state)
            .await
            .is_err()
        {
            return false;
        }
        lock(&self.record).sent(epoch_ms());
        if is_data {
            self.state.metrics.message_out();
        }
        true
    }

    async fn finish(&mut self, ws: &mut impl Client, outcome: Outcome) -> (Option<u16>, CloseView) {
        let close = match &outcome {
            Outcome::ClientClosed(code, reason) => {
                closed_by(ClosedBy::Client, *code, reason.clone())
            }
            Outcome::TooBig(limit) => closed_by(
                ClosedBy::Server,
                Some(1009),
                Some(format!("message over {limit} bytes")),
            ),
            Outcome::Dropped => closed_by(ClosedBy::None, None, None),
        };
        (outcome.finish(ws, self.state).await, close)
    }

    fn on_message(&mut self, message: Message) -> Step {
        let now = epoch_ms();
        match message {
            Message::Text(text) => {
                self.last_from_client = Instant::now();
                lock(&self.record).received(now);
                self.state.metrics.message_in();
                match parse_client_message(&text) {
                    Ok(message) => self.on_request(message),
                    Err(problem) => self.error(problem),
                }
            }
            Message::Binary(payload) => {
                // The client's own payload: acknowledged with its size as received.
                self.last_from_client = Instant::now();
                lock(&self.record).received(now);
                self.state.metrics.message_in();
                Step::Reply(ServerMessage::Received {
                    bytes: payload.len() as u64,
                })
            }
            Message::Ping(_) => {
                lock(&self.record).received(now);
                Step::Nothing
            }
            Message::Pong(payload) => self.on_pong(&payload),
            Message::Close(_) | Message::Frame(_) => Step::Nothing,
        }
    }

    fn on_request(&mut self, message: ClientMessage) -> Step {
        match message {
            ClientMessage::Hello { session } => self.hello(session),
            ClientMessage::Echo { seq, t, data } => Step::Reply(ServerMessage::Echo {
                seq,
                t,
                data,
                server_time_ms: epoch_ms(),
            }),
            ClientMessage::Configure {
                tick_every_ms,
                ping_every_ms,
                ack_heartbeats,
                report_pings,
                ping_timeout_ms,
                client_idle_close_ms,
            } => self.configure(Configure {
                tick_every_ms,
                ping_every_ms,
                ack_heartbeats,
                report_pings,
                ping_timeout_ms,
                client_idle_close_ms,
            }),
            ClientMessage::Blackhole { ms } => self.blackhole(ms),
            ClientMessage::Heartbeat { seq } => {
                if self.ack_heartbeats {
                    Step::Reply(ServerMessage::HeartbeatAck { seq })
                } else {
                    Step::Nothing
                }
            }
            ClientMessage::Close {
                code,
                reason,
                after_ms,
            } => self.schedule(
                after_ms,
                Scheduled::Close {
                    code,
                    reason: reason.unwrap_or_default(),
                },
            ),
            ClientMessage::Abort { after_ms } => self.schedule(after_ms, Scheduled::Abort),
            ClientMessage::Misbehave { kind } => self.misbehave(kind),
            ClientMessage::SessionView { session } => self.session_view(session),
            ClientMessage::Send { bytes } => self.send_on_request(bytes),
        }
    }

    fn hello(&mut self, wanted: Option<String>) -> Step {
        if self.session.is_some() {
            return self.error("hello was already sent on this connection".into());
        }
        let now = epoch_ms();
        let session = match self
            .state
            .sessions
            .join(wanted.as_deref(), self.record.clone(), now)
        {
            Joined::Known(id) => {
                self.state.metrics.reconnected();
                id
            }
            Joined::New(id) => id,
        };
        self.session = Some(session.clone());
        Step::Reply(ServerMessage::Welcome {
            session,
            conn: self.conn,
            server_time_ms: now,
            limits: self.limits(),
            handshake: self.handshake.clone(),
        })
    }

    fn limits(&self) -> Limits {
        Limits {
            max_message_bytes: self.state.config.max_message_bytes,
            min_tick_ms: MIN_TICK_MS,
            min_ping_ms: MIN_PING_MS,
            max_delay_ms: MAX_DELAY_MS,
            max_errors_per_minute: MAX_ERRORS_PER_MINUTE,
            session_keep_ms: self.state.config.session_keep.as_millis() as u64,
        }
    }

    fn configure(&mut self, request: Configure) -> Step {
        let Configure {
            tick_every_ms,
            ping_every_ms,
            ack_heartbeats,
            report_pings,
            ping_timeout_ms,
            client_idle_close_ms,
        } = request;
        for (name, value, min) in [
            ("tick_every_ms", tick_every_ms, MIN_TICK_MS),
            ("ping_every_ms", ping_every_ms, MIN_PING_MS),
            ("ping_timeout_ms", ping_timeout_ms, MIN_PING_MS),
            ("client_idle_close_ms", client_idle_close_ms, MIN_TICK_MS),
        ] {
            if let Some(Some(ms)) = value
                && !(min..=MAX_DELAY_MS).contains(&ms)
            {
                return self.error(format!(
                    "{name} must be from {min} to {MAX_DELAY_MS}, not {ms}"
                ));
            }
        }
        if let Some(timeout) = ping_timeout_ms {
            self.ping_timeout_ms = timeout;
        }
        if let Some(idle) = client_idle_close_ms {
            self.client_idle_close_ms = idle;
            self.last_from_client = Instant::now();
        }
        if let Some(tick) = tick_every_ms {
            self.tick_every_ms = tick;
            self.tick = tick.map(every);
        }
        if let Some(ping) = ping_every_ms {
            self.ping_every_ms = ping;
            self.ping = ping.map(every);
            self.pending_pings.clear();
        }
        if let Some(ack) = ack_heartbeats {
            self.ack_heartbeats = ack;
        }
        if let Some(report) = report_pings {
            self.report_pings = report;
        }
        Step::Reply(ServerMessage::Configured {
            tick_every_ms: self.tick_every_ms,
            ping_every_ms: self.ping_every_ms,
            ack_heartbeats: self.ack_heartbeats,
            report_pings: self.report_pings,
            ping_timeout_ms: self.ping_timeout_ms,
            client_idle_close_ms: self.client_idle_close_ms,
        })
    }

    fn blackhole(&mut self, ms: u64) -> Step {
        if !(1..=MAX_DELAY_MS).contains(&ms) {
            return self.error(format!(
                "blackhole ms must be from 1 to {MAX_DELAY_MS}, not {ms}"
            ));
        }
        Step::Blackhole(ServerMessage::Blackholed { ms }, Duration::from_millis(ms))
    }

    /// Back from a blackhole: nothing was timed while away, so the keepalive rules start
    /// afresh (Pongs that waited in the socket count as received, not as late).
    fn back_from_blackhole(&mut self) {
        self.pending_pings.clear();
        self.last_from_client = Instant::now();
    }

    /// When the oldest unanswered Ping's Pong is overdue, if a ping timeout is set.
    fn pong_deadline(&self) -> Option<Instant> {
        let timeout = Duration::from_millis(self.ping_timeout_ms?);
        self.pending_pings.front().map(|(_, sent)| *sent + timeout)
    }

    fn pong_overdue(&mut self) -> Step {
        let ms = self.ping_timeout_ms.unwrap_or_default();
        Step::Close {
            code: PING_TIMEOUT_CODE,
            reason: format!("keepalive ping timeout: no Pong within {ms} ms"),
        }
    }

    /// When the client will have been silent too long, if a limit is set.
    fn client_idle_deadline(&self) -> Option<Instant> {
        let limit = Duration::from_millis(self.client_idle_close_ms?);
        Some(self.last_from_client + limit)
    }

    fn client_idle(&mut self) -> Step {
        let ms = self.client_idle_close_ms.unwrap_or_default();
        Step::Close {
            code: CLIENT_IDLE_CODE,
            reason: format!("no message from the client for {ms} ms"),
        }
    }

    fn schedule(&mut self, after_ms: Option<u64>, action: Scheduled) -> Step {
        let after = after_ms.unwrap_or(0);
        if after > MAX_DELAY_MS {
            return self.error(format!(
                "after_ms must be at most {MAX_DELAY_MS}, not {after}"
            ));
        }
        if after == 0 {
            return match action {
                Scheduled::Close { code, reason } => Step::Close { code, reason },
                Scheduled::Abort => Step::Abort,
            };
        }
        self.scheduled = Some((Instant::now() + Duration::from_millis(after), action));
        Step::Nothing
    }

    fn misbehave(&mut self, kind: MisbehaveKind) -> Step {
        match kind {
            MisbehaveKind::InvalidUtf8 => Step::Raw(Message::Frame(Frame::message(
                vec![b'b', b'a', b'd', 0xff, 0xfe, 0xfd],
                OpCode::Data(Data::Text),
                true,
            ))),
            MisbehaveKind::Oversized => {
                let now = Instant::now();
                if self
                    .last_oversized
                    .is_some_and(|last| now.duration_since(last) < OVERSIZED_EVERY)
                {
                    return self.error(format!(
                        "misbehave oversized is allowed once every {} s per connection",
                        OVERSIZED_EVERY.as_secs()
                    ));
                }
                self.last_oversized = Some(now);
                let size = self.state.config.max_message_bytes + 1;
                Step::Raw(Message::binary(vec![0u8; size]))
            }
        }
    }

    /// One binary message of `bytes` zeros, within the message limit and the budget.
    fn send_on_request(&mut self, bytes: u64) -> Step {
        let limit = self.state.config.max_message_bytes as u64;
        if bytes > limit {
            return self.error(format!(
                "send: {bytes} bytes is over the limit of {limit} bytes per message"
            ));
        }
        if self.sent_on_request + bytes > SEND_BUDGET_BYTES {
            return self.error(format!(
                "send: this connection has asked for {} bytes; at most {SEND_BUDGET_BYTES} in all",
                self.sent_on_request
            ));
        }
        self.sent_on_request += bytes;
        Step::Raw(Message::binary(vec![0u8; bytes as usize]))
    }

    fn session_view(&mut self, wanted: Option<String>) -> Step {
        let Some(session) = wanted.or_else(|| self.session.clone()) else {
            return self.error("send hello first, or name a session".into());
        };
        match self.state.sessions.view(&session, epoch_ms()) {
            Some(connections) => Step::Reply(ServerMessage::SessionView {
                session,
                connections,
            }),
            None => self.error("unknown session: it expired, was evicted, or never existed".into()),
        }
    }

    fn ping_step(&mut self) -> Step {
        self.ping_seq += 1;
        if self.pending_pings.len() == MAX_PENDING_PINGS {
            self.pending_pings.pop_front();
        }
        self.pending_pings
            .push_back((self.ping_seq, Instant::now()));
        lock(&self.record).ping_sent(epoch_ms());
        Step::Raw(Message::Ping(self.ping_seq.to_be_bytes().to_vec().into()))
    }

    fn on_pong(&mut self, payload: &[u8]) -> Step {
        let now = epoch_ms();
        let Ok(bytes) = <[u8; 8]>::try_from(payload) else {
            lock(&self.record).received(now);
            return Step::Nothing; // an unsolicited pong (allowed by RFC 6455): not ours
        };
        let seq = u64::from_be_bytes(bytes);
        let Some(index) = self.pending_pings.iter().position(|(s, _)| *s == seq) else {
            lock(&self.record).received(now);
            return Step::Nothing;
        };
        let (_, sent) = self
            .pending_pings
            .remove(index)
            .unwrap_or((seq, Instant::now()));
        let rtt_ms = sent.elapsed().as_secs_f64() * 1000.0;
        lock(&self.record).pong_received(now, rtt_ms);
        self.state.metrics.ping_rtt_ms(rtt_ms);
        if self.report_pings {
            Step::Reply(ServerMessage::PingRtt { seq, rtt_ms })
        } else {
            Step::Nothing
        }
    }

    /// An `error` reply, or a 1008 close when the client keeps sending bad messages.
    fn error(&mut self, message: String) -> Step {
        let now = Instant::now();
        while self
            .errors
            .front()
            .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(60))
        {
            self.errors.pop_front();
        }
        self.errors.push_back(now);
        if self.errors.len() > MAX_ERRORS_PER_MINUTE as usize {
            return Step::Close {
                code: 1008,
                reason: format!("too many bad messages (over {MAX_ERRORS_PER_MINUTE} a minute)"),
            };
        }
        Step::Reply(ServerMessage::Error { message })
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::config::Config;
    use crate::test_client::{Browser, pipe};

    const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    fn state() -> AppState {
        AppState::new(Config::default()).0
    }

    async fn hello(browser: &mut Browser) -> String {
        browser.text(r#"{"type":"hello"}"#);
        match browser.reply().await {
            ServerMessage::Welcome {
                session, limits, ..
            } => {
                assert_eq!(limits.max_message_bytes, 1 << 20);
                assert_eq!(limits.max_errors_per_minute, MAX_ERRORS_PER_MINUTE);
                session
            }
            other => panic!("expected welcome, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn hello_starts_a_session_and_echo_and_heartbeat_get_one_reply_each() {
        let state = state();
        let (server, mut browser) = pipe(true);
        let browser_side = async {
            let session = hello(&mut browser).await;
            browser.text(r#"{"type":"echo","seq":7,"t":12.5,"data":{"k":[1]}}"#);
            let echo = browser.reply().await;
            browser.text(r#"{"type":"heartbeat","seq":3}"#);
            let ack = browser.reply().await;
            browser.text(r#"{"type":"hello"}"#);
            let second_hello = browser.reply().await;
            browser.close(1000);
            browser.hang_up();
            (session, echo, ack, second_hello)
        };
        let (code, (session, echo, ack, second_hello)) = tokio::join!(
            run(server, &state, CLIENT, HandshakeView::default()),
            browser_side
        );
        assert!(!session.is_empty());
        match echo {
            ServerMessage::Echo { seq, t, data, .. } => {
                assert_eq!((seq, t), (7, 12.5));
                assert_eq!(data, Some(serde_json::json!({"k": [1]})));
            }
            other => panic!("expected echo, got {other:?}"),
        }
        assert_eq!(ack, ServerMessage::HeartbeatAck { seq: 3 });
        assert!(
            matches!(&second_hello, ServerMessage::Error { message } if message.contains("already")),
            "{second_hello:?}"
        );
        assert_eq!(code, Some(1000));
        let seen = state.sessions.view(&session, epoch_ms()).expect("kept");
        let close = seen[0].close.clone().expect("the close is recorded");
        assert_eq!((close.by, close.code), (ClosedBy::Client, Some(1000)));
    }

    #[tokio::test]
    async fn bad_messages_get_an_error_each_and_too_many_a_minute_close_with_1008() {
        let state = state();
        let (server, mut browser) = pipe(true);
        let browser_side = async {
            // A binary message is the client's payload: acknowledged, not an error.
            browser.push(Ok(Message::binary(vec![1, 2])));
            let binary = browser.reply().await;
            for _ in 0..=MAX_ERRORS_PER_MINUTE {
                browser.text("not json");
            }
            let mut errors = 0;
            while errors < MAX_ERRORS_PER_MINUTE {
                assert!(matches!(browser.reply().await, ServerMessage::Error { .. }));
                errors += 1;
            }
            let frame = browser.close_frame().await;
            browser.hang_up();
            (binary, frame)
        };
        let (code, (binary, frame)) = tokio::join!(
            run(server, &state, CLIENT, HandshakeView::default()),
            browser_side
        );
        assert_eq!(binary, ServerMessage::Received { bytes: 2 });
        assert_eq!(frame.0, 1008);
        assert!(frame.1.contains("too many bad messages"), "{}", frame.1);
        assert_eq!(code, Some(1008));
    }

    #[tokio::test]
    async fn configure_refuses_a_tick_faster_than_the_minimum_and_accepts_a_valid_one() {
        let state = state();
        let (server, mut browser) = pipe(true);
        let browser_side = async {
            browser.text(r#"{"type":"configure","tick_every_ms":5}"#);
            let refused = browser.reply().await;
            browser.text(r#"{"type":"configure","tick_every_ms":100,"ack_heartbeats":false}"#);
            let configured = browser.reply().await;
            let tick = browser.reply().await;
            browser.text(r#"{"type":"heartbeat","seq":1}"#);
            browser.text(r#"{"type":"configure","tick_every_ms":null}"#);
            let after = browser.reply().await;
            browser.close(1000);
            browser.hang_up();
            (refused, configured, tick, after)
        };
        let (_, (refused, configured, tick, after)) = tokio::join!(
            run(server, &state, CLIENT, HandshakeView::default()),
            browser_side
        );
        assert!(
            matches!(&refused, ServerMessage::Error { message } if message.contains("tick_every_ms")),
            "{refused:?}"
        );
        assert!(
            matches!(
                configured,
                ServerMessage::Configured {
                    tick_every_ms: Some(100),
                    ack_heartbeats: false,
                    ..
                }
            ),
            "{configured:?}"
        );
        assert!(
            matches!(tick, ServerMessage::Tick { seq: 1, .. }),
            "{tick:?}"
        );
        assert!(
            matches!(
                after,
                ServerMessage::Configured {
                    tick_every_ms: None,
                    ..
                }
            ),
            "no heartbeat ack once acks are off: {after:?}"
        );
    }

    #[tokio::test]
    async fn a_requested_close_goes_out_with_its_code_and_the_session_records_the_server_closed() {
        let state = state();
        let (server, mut browser) = pipe(true);
        let browser_side = async {
            let session = hello(&mut browser).await;
            browser.text(r#"{"type":"close","code":4000,"reason":"bye"}"#);
            let frame = browser.close_frame().await;
            browser.hang_up();
            (session, frame)
        };
        let (code, (session, frame)) = tokio::join!(
            run(server, &state, CLIENT, HandshakeView::default()),
            browser_side
        );
        assert_eq!(frame, (4000, "bye".to_string()));
        assert_eq!(code, Some(4000));
        let close = state.sessions.view(&session, epoch_ms()).expect("kept")[0]
            .close
            .clone()
            .expect("recorded");
        assert_eq!(close.by, ClosedBy::Server);
        assert_eq!(close.reason.as_deref(), Some("bye"));
    }

    #[tokio::test]
    async fn abort_ends_the_connection_without_a_close_frame() {
        let state = state();
        let (server, mut browser) = pipe(true);
        let browser_side = async {
            let session = hello(&mut browser).await;
            browser.text(r#"{"type":"abort"}"#);
            (session, browser.next().await)
        };
        let (code, (session, after)) = tokio::join!(
            run(server, &state, CLIENT, HandshakeView::default()),
            browser_side
        );
        assert_eq!(after, None, "nothing more, not even a close frame");
        assert_eq!(code, None);
        let close = state.sessions.view(&session, epoch_ms()).expect("kept")[0]
            .close
            .clone()
            .expect("recorded");
        assert_eq!((close.by, close.code), (ClosedBy::Server, None));
    }

    #[tokio::test]
    async fn invalid_utf8_on_request_is_sent_as_a_raw_text_frame() {
        let state = state();
        let (server, mut browser) = pipe(true);
        let browser_side = async {
            browser.text(r#"{"type":"misbehave","kind":"invalid_utf8"}"#);
            let raw = browser.next().await;
            browser.close(1000);
            browser.hang_up();
            raw
        };
        let (_, raw) = tokio::join!(
            run(server, &state, CLIENT, HandshakeView::default()),
            browser_side
        );
        match raw {
            Some(Message::Frame(frame)) => assert!(std::str::from_utf8(frame.payload()).is_err()),
            other => panic!("expected a raw frame, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_client_silent_past_its_limit_is_closed_with_1000_and_a_reason() {
        let state = state();
        let (server, mut browser) = pipe(true);
        let browser_side = async {
            browser.text(r#"{"type":"configure","client_idle_close_ms":200}"#);
            let configured = browser.reply().await;
            let frame = browser.close_frame().await;
            browser.hang_up();
            (configured, frame)
        };
        let (code, (configured, frame)) = tokio::join!(
            run(server, &state, CLIENT, HandshakeView::default()),
            browser_side
        );
        assert!(
            matches!(
                configured,
                ServerMessage::Configured {
                    client_idle_close_ms: Some(200),
                    ..
                }
            ),
            "{configured:?}"
        );
        assert_eq!(
            frame,
            (1000, "no message from the client for 200 ms".to_string())
        );
        assert_eq!(code, Some(1000));
    }

    #[tokio::test]
    async fn a_ping_left_without_its_pong_closes_with_1011_like_a_keepalive() {
        let state = state();
        let (server, mut browser) = pipe(true);
        let browser_side = async {
            browser.text(r#"{"type":"configure","ping_every_ms":100,"ping_timeout_ms":150}"#);
            let _configured = browser.reply().await;
            // Answer the first Ping as a browser would, then stop answering.
            let first = browser.next().await;
            let Some(Message::Ping(payload)) = first else {
                panic!("expected a Ping, got {first:?}");
            };
            browser.push(Ok(Message::Pong(payload)));
            loop {
                match browser.next().await {
                    Some(Message::Ping(_)) => continue,
                    Some(Message::Close(Some(frame))) => {
                        browser.hang_up();
                        return (u16::from(frame.code), frame.reason.to_string());
                    }
                    other => panic!("expected Pings then a close, got {other:?}"),
                }
            }
        };
        let (code, frame) = tokio::join!(
            run(server, &state, CLIENT, HandshakeView::default()),
            browser_side
        );
        assert_eq!(
            frame,
            (
                1011,
                "keepalive ping timeout: no Pong within 150 ms".to_string()
            )
        );
        assert_eq!(code, Some(1011));
    }

    #[tokio::test]
    async fn a_blackhole_goes_silent_then_answers_what_waited() {
        let state = state();
        let (server, mut browser) = pipe(true);
        let browser_side = async {
            browser.text(r#"{"type":"blackhole","ms":300}"#);
            let started = browser.reply().await;
            browser.text(r#"{"type":"heartbeat","seq":1}"#);
            let during = browser.next_within(150).await;
            let after = browser.reply().await;
            browser.close(1000);
            browser.hang_up();
            (started, during, after)
        };
        let (_, (started, during, after)) = tokio::join!(
            run(server, &state, CLIENT, HandshakeView::default()),
            browser_side
        );
        assert_eq!(started, ServerMessage::Blackholed { ms: 300 });
        assert_eq!(during, None, "nothing comes back while the server is away");
        assert_eq!(after, ServerMessage::HeartbeatAck { seq: 1 });
    }

    #[tokio::test]
    async fn keepalive_limits_and_blackholes_out_of_range_are_refused() {
        let state = state();
        let (server, mut browser) = pipe(true);
        let browser_side = async {
            let mut replies = Vec::new();
            for request in [
                r#"{"type":"configure","ping_timeout_ms":5}"#,
                r#"{"type":"configure","client_idle_close_ms":700000}"#,
                r#"{"type":"blackhole","ms":0}"#,
            ] {
                browser.text(request);
                replies.push(browser.reply().await);
            }
            browser.close(1000);
            browser.hang_up();
            replies
        };
        let (_, replies) = tokio::join!(
            run(server, &state, CLIENT, HandshakeView::default()),
            browser_side
        );
        for (reply, field) in
            replies
                .iter()
                .zip(["ping_timeout_ms", "client_idle_close_ms", "blackhole ms"])
        {
            assert!(
                matches!(reply, ServerMessage::Error { message } if message.contains(field)),
                "{field}: {reply:?}"
            );
        }
    }
}
