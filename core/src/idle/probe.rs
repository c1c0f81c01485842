//! One probe connection of the idle experiment: its kind (what traffic it carries, in
//! which directions) and what happened to it.

use serde::{Deserialize, Serialize};

use super::result::ProbeResult;
use crate::Millis;
use crate::profile::ProfileSession;
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

/// The directions in which a probe's own traffic flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directions {
    /// Bytes from the page to the server.
    pub from_page: bool,
    /// Bytes from the server to the page.
    pub from_server: bool,
}

impl ProbeKind {
    /// The stable identifier in reports, exports and `data-name` attributes.
    pub fn name(self) -> &'static str {
        match self {
            ProbeKind::Silent => "silent",
            ProbeKind::ClientHeartbeat => "client_heartbeat",
            ProbeKind::ServerHeartbeat => "server_heartbeat",
            ProbeKind::ServerPing => "server_ping",
            ProbeKind::EchoHeartbeat => "echo_heartbeat",
        }
    }

    /// The name people read on the page.
    pub fn label(self) -> &'static str {
        match self {
            ProbeKind::Silent => "Silent connection",
            ProbeKind::ClientHeartbeat => "Heartbeats from the page",
            ProbeKind::ServerHeartbeat => "Messages from the server",
            ProbeKind::ServerPing => "Ping frames from the server",
            ProbeKind::EchoHeartbeat => "Echoed heartbeats",
        }
    }

    /// What the probe does, in words.
    pub fn describe(self) -> &'static str {
        match self {
            ProbeKind::Silent => "no traffic either way",
            ProbeKind::ClientHeartbeat => "the page sends a heartbeat, nothing comes back",
            ProbeKind::ServerHeartbeat => "the server sends a small message, nothing goes back",
            ProbeKind::ServerPing => "the server sends Ping frames, the browser answers Pong",
            ProbeKind::EchoHeartbeat => "the page sends a heartbeat, the server answers",
        }
    }

    /// Which directions its traffic flows in. A server Ping is answered by the browser's
    /// automatic Pong, so that probe carries bytes both ways.
    pub fn directions(self) -> Directions {
        let (from_page, from_server) = match self {
            ProbeKind::Silent => (false, false),
            ProbeKind::ClientHeartbeat => (true, false),
            ProbeKind::ServerHeartbeat => (false, true),
            ProbeKind::ServerPing | ProbeKind::EchoHeartbeat => (true, true),
        };
        Directions {
            from_page,
            from_server,
        }
    }

    /// Whether the page sends heartbeats on this probe.
    pub fn client_sends(self) -> bool {
        matches!(self, ProbeKind::ClientHeartbeat | ProbeKind::EchoHeartbeat)
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
            ping_timeout_ms: None,
            client_idle_close_ms: None,
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
    /// A first connection replaced by another attempt (the server did not speak
    /// `wsdoctor.v1`): not part of the result, and its late events are ignored.
    Replaced,
}

/// One probe's state.
#[derive(Clone, Debug)]
pub struct Probe {
    pub kind: ProbeKind,
    pub stage: Stage,
    pub opened_at: Option<Millis>,
    pub running_since: Option<Millis>,
    /// When the page last sent on it.
    pub last_sent: Option<Millis>,
    /// When the page last received on it.
    pub last_received: Option<Millis>,
    pub closed_at: Option<Millis>,
    /// The last traffic either way before the close (the idle time is measured from it).
    pub idle_before_close: Option<Millis>,
    pub close_code: Option<u16>,
    pub was_clean: Option<bool>,
    pub survived_until: Option<Millis>,
    pub heartbeats: u64,
    pub session: Option<String>,
    pub server_conn: Option<u64>,
    pub server_saw: Option<ClosedBy>,
    pub server_close_code: Option<u16>,
    /// The application protocol it speaks like the real client (Socket.IO, graphql-ws),
    /// on a server that is not the companion.
    pub protocol: Option<ProfileSession>,
}

impl Probe {
    pub fn new(kind: ProbeKind) -> Probe {
        Probe {
            kind,
            stage: Stage::Starting,
            opened_at: None,
            running_since: None,
            last_sent: None,
            last_received: None,
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
            protocol: None,
        }
    }

    /// Whether it belongs in the result (a replaced first attempt does not).
    pub fn counts(&self) -> bool {
        self.stage != Stage::Replaced
    }

    /// Whether it can still carry traffic.
    pub fn is_live(&self) -> bool {
        matches!(self.stage, Stage::Starting | Stage::Running)
    }

    pub fn opened(&mut self, now: Millis) {
        self.opened_at = Some(now);
    }

    /// The last traffic either way (the open counts as traffic both ways).
    pub fn last_traffic(&self) -> Option<Millis> {
        [self.opened_at, self.last_sent, self.last_received]
            .into_iter()
            .flatten()
            .reduce(f64::max)
    }

    pub fn close(&mut self, now: Millis, code: u16, was_clean: bool) {
        self.idle_before_close = self.last_traffic().map(|t| now - t);
        self.stage = Stage::Closed;
        self.closed_at = Some(now);
        self.close_code = Some(code);
        self.was_clean = Some(was_clean);
    }

    /// How long before `at` the probe's own traffic last flowed, in the directions its
    /// kind carries; `None` if its traffic never started. Ping frames are invisible to
    /// the page: the server sends one every `heartbeat_ms` once the probe runs.
    pub fn own_traffic_idle(&self, at: Millis, heartbeat_ms: u64) -> Option<Millis> {
        let since = self.running_since?;
        let every = heartbeat_ms as f64;
        match self.kind {
            ProbeKind::Silent => None,
            ProbeKind::ServerPing => {
                let running = at - since;
                (running >= every).then(|| running % every)
            }
            ProbeKind::ClientHeartbeat if self.heartbeats > 0 => self.last_sent.map(|t| at - t),
            ProbeKind::EchoHeartbeat if self.heartbeats > 0 => [self.last_sent, self.last_received]
                .into_iter()
                .flatten()
                .reduce(f64::max)
                .map(|t| at - t),
            ProbeKind::ServerHeartbeat => self.last_received.filter(|t| *t > since).map(|t| at - t),
            ProbeKind::ClientHeartbeat | ProbeKind::EchoHeartbeat => None,
        }
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
            label: self.kind.label().to_string(),
            kind: self.kind,
            interval_ms: (self.kind != ProbeKind::Silent).then_some(heartbeat_ms),
            survived: cut.is_none() && self.running_since.is_some(),
            running: self.is_live() && self.survived_until.is_none(),
            opened: self.opened_at.is_some(),
            carried_traffic: self.running_since.is_some(),
            closed_after_ms: match (start, cut) {
                (Some(start), Some(cut)) => Some(whole_ms(cut - start)),
                _ => None,
            },
            cut_after_open_ms: match (self.opened_at, cut) {
                (Some(open), Some(cut)) => Some(whole_ms(cut - open)),
                _ => None,
            },
            alive_for_ms: start.map(|s| whole_ms(self.survived_until.or(cut).unwrap_or(now) - s)),
            idle_before_close_ms: self.idle_before_close.map(whole_ms),
            own_traffic_idle_ms: cut
                .and_then(|cut| self.own_traffic_idle(cut, heartbeat_ms))
                .map(whole_ms),
            close_code: self.close_code,
            was_clean: self.was_clean,
            server_saw: self.server_saw,
            server_close_code: self.server_close_code,
        }
    }
}

/// A duration in ms, rounded to whole ms (never negative).
fn whole_ms(ms: Millis) -> u64 {
    ms.max(0.0).round() as u64
}
