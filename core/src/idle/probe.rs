//! One probe connection of the idle experiment: its kind (what traffic it carries) and
//! what happened to it.

use serde::{Deserialize, Serialize};

use super::result::ProbeResult;
use crate::Millis;
use crate::protocol::{ClientMessage, ClosedBy};

/// What traffic a probe carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeKind {
    /// No application traffic either way (the companion sends nothing, not even pings).
    Silent,
    /// The client sends a heartbeat every interval; nothing comes back.
    ClientHeartbeat,
    /// The server sends a small message every interval (companion only).
    ServerHeartbeat,
    /// The server sends protocol Ping frames; the browser answers them by itself
    /// (companion only).
    ServerPing,
    /// The client sends a heartbeat and gets an answer.
    EchoHeartbeat,
}

impl ProbeKind {
    /// The name in reports and on the page.
    pub fn name(self) -> &'static str {
        match self {
            ProbeKind::Silent => "silent",
            ProbeKind::ClientHeartbeat => "client_heartbeat",
            ProbeKind::ServerHeartbeat => "server_heartbeat",
            ProbeKind::ServerPing => "server_ping",
            ProbeKind::EchoHeartbeat => "echo_heartbeat",
        }
    }

    /// What the probe does, in words.
    pub fn describe(self) -> &'static str {
        match self {
            ProbeKind::Silent => "no traffic either way",
            ProbeKind::ClientHeartbeat => "the page sends a heartbeat, nothing comes back",
            ProbeKind::ServerHeartbeat => "the server sends a small message",
            ProbeKind::ServerPing => "the server sends Ping frames, the browser answers Pong",
            ProbeKind::EchoHeartbeat => "the page sends a heartbeat, the server answers",
        }
    }

    /// Whether the page sends heartbeats on this probe.
    pub fn client_sends(self) -> bool {
        matches!(self, ProbeKind::ClientHeartbeat | ProbeKind::EchoHeartbeat)
    }

    /// Whether traffic flows from the server to the client on this probe.
    pub fn server_sends(self) -> bool {
        matches!(
            self,
            ProbeKind::ServerHeartbeat | ProbeKind::ServerPing | ProbeKind::EchoHeartbeat
        )
    }

    /// The companion configuration that makes the server's side of this probe.
    pub fn configure(self, every_ms: u64) -> ClientMessage {
        let (tick, ping, ack) = match self {
            ProbeKind::Silent | ProbeKind::ClientHeartbeat => (None, None, false),
            ProbeKind::ServerHeartbeat => (Some(every_ms), None, false),
            ProbeKind::ServerPing => (None, Some(every_ms), false),
            ProbeKind::EchoHeartbeat => (None, None, true),
        };
        ClientMessage::Configure {
            tick_every_ms: Some(tick),
            ping_every_ms: Some(ping),
            ack_heartbeats: Some(ack),
            report_pings: Some(false),
        }
    }
}

/// How far a probe got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Opening, or being configured.
    Starting,
    /// Carrying its traffic.
    Running,
    /// Closed (by the path, the server, or the experiment).
    Closed,
}

/// One probe's state.
#[derive(Clone, Debug)]
pub struct Probe {
    pub kind: ProbeKind,
    pub stage: Stage,
    pub opened_at: Option<Millis>,
    pub running_since: Option<Millis>,
    pub last_traffic: Option<Millis>,
    pub closed_at: Option<Millis>,
    /// The last traffic before the close (the idle time is measured from it).
    pub idle_before_close: Option<Millis>,
    pub close_code: Option<u16>,
    pub was_clean: Option<bool>,
    pub survived_until: Option<Millis>,
    pub heartbeats: u64,
    pub session: Option<String>,
    pub server_conn: Option<u64>,
    pub server_saw: Option<ClosedBy>,
    pub server_close_code: Option<u16>,
}

impl Probe {
    pub fn new(kind: ProbeKind) -> Probe {
        Probe {
            kind,
            stage: Stage::Starting,
            opened_at: None,
            running_since: None,
            last_traffic: None,
            closed_at: None,
            idle_before_close: None,
            close_code: None,
            was_clean: None,
            survived_until: None,
            heartbeats: 0,
            session: None,
            server_conn: None,
            server_saw: None,
            server_close_code: None,
        }
    }

    pub fn opened(&mut self, now: Millis) {
        self.opened_at = Some(now);
        self.last_traffic = Some(now);
    }

    pub fn close(&mut self, now: Millis, code: u16, was_clean: bool) {
        self.stage = Stage::Closed;
        self.closed_at = Some(now);
        self.idle_before_close = self.last_traffic.map(|t| now - t);
        self.close_code = Some(code);
        self.was_clean = Some(was_clean);
    }

    /// The probe as the result shows it, at `now`; `heartbeat_ms` is the busy probes'
    /// interval.
    pub fn result(&self, now: Millis, heartbeat_ms: u64) -> ProbeResult {
        let start = self.running_since.or(self.opened_at);
        // Only the path or the server closes a probe; the experiment's own closes at the
        // end set `survived_until` instead.
        let cut = self.closed_at;
        ProbeResult {
            name: self.kind.name().to_string(),
            kind: self.kind,
            interval_ms: (self.kind != ProbeKind::Silent).then_some(heartbeat_ms),
            survived: cut.is_none() && self.opened_at.is_some(),
            running: self.stage != Stage::Closed && self.survived_until.is_none(),
            opened: self.opened_at.is_some(),
            closed_after_ms: match (start, cut) {
                (Some(start), Some(cut)) => Some((cut - start).max(0.0) as u64),
                _ => None,
            },
            alive_for_ms: start
                .map(|s| (self.survived_until.or(cut).unwrap_or(now) - s).max(0.0) as u64),
            idle_before_close_ms: self.idle_before_close.map(|ms| ms.max(0.0) as u64),
            close_code: self.close_code,
            was_clean: self.was_clean,
            server_saw: self.server_saw,
            server_close_code: self.server_close_code,
        }
    }
}
