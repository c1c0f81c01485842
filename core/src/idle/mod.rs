//! The idle-timeout experiment: parallel probe connections to one target, each with a
//! different kind of traffic, watched until the silent one is cut (then a little longer,
//! to prove the busy ones survive) or until `max_idle`. Events in, commands out; the
//! result says after how long idle connections are cut and which heartbeat keeps them.
//!
//! The first connection asks for the companion's subprotocol `wsdoctor.v1` (next to the
//! user's own). If the server picks it and answers the hello, all five probes run,
//! configured through the companion so that each direction of traffic is tested alone.
//! A server that does not speak it (its handshake fails with the offer, it picks another
//! subprotocol, it never answers the hello or answers something else) gets the probes
//! that mean something against any server (`silent`, `echo_heartbeat`), on a new first
//! connection without the offer.
//!
//! Against a framework server (Socket.IO, graphql-ws: `crate::profile`), every probe speaks
//! its protocol like the real client (the opening exchange, heartbeat answers), so that a
//! server's own heartbeat timeout does not pass for the path's, and "silent" means no
//! traffic beyond what the protocol requires; the result names the protocol's heartbeat.
//!
//! Once the silent probe is cut after T, each busy probe runs until T (plus a margin for
//! the cut to be seen) has passed since it started its traffic: a busy probe whose
//! traffic does not count is cut by then, so a survivor proves its traffic keeps a
//! connection open.
//!
//! - `probe` — one connection's kind, the directions its traffic flows, its state;
//! - `traffic` — which traffic keeps a connection open, from the probes' fates;
//! - `result` — the measured outcome as data;
//! - `verdict` — the outcome in plain words, with advice;
//! - `snippets` — configuration with the measured numbers filled in.

mod probe;
mod result;
mod snippets;
mod traffic;
mod verdict;

pub use probe::{Directions, ProbeKind};
pub use result::{CompanionOffer, CutBy, IdleResult, ProbeResult, ProtocolHeartbeat};
pub use snippets::{Snippet, every_snippet, snippets, snippets_for_known_timeout};
pub use traffic::TrafficThatCounts;
pub use verdict::{Verdict, verdict};

use serde::{Deserialize, Serialize};

use crate::Millis;
use crate::profile::{Action, Mode, ProfileChoice, ProfileKind, ProfileSession};
use crate::protocol::{
    ClientMessage, ClosedBy, ConnectionView, ServerMessage, offered_subprotocols,
};
use probe::{Probe, Stage};

/// The close code and reason the experiment uses to end its probes.
pub const FINISH_CODE: u16 = 1000;
/// The reason sent with `FINISH_CODE`.
pub const FINISH_REASON: &str = "idle experiment over";
/// The reason sent when a first connection is replaced by one without `wsdoctor.v1`.
pub const NOT_COMPANION_REASON: &str = "not the companion";
/// How long the first connection may take to open.
pub const OPEN_TIMEOUT_MS: u64 = 10_000;
/// How long a server that picked `wsdoctor.v1` may take to answer the first hello.
pub const WELCOME_TIMEOUT_MS: u64 = 5_000;
/// How long the companion may take to say how it saw the cut connections.
pub const SERVER_VIEW_TIMEOUT_MS: u64 = 1_500;

/// What the user chose.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdleSettings {
    /// Watch idle connections at most this long.
    pub max_idle_ms: u64,
    /// The heartbeat interval of the busy probes.
    pub heartbeat_ms: u64,
    /// After the silent probe is cut after T, each busy probe runs until T plus this
    /// has passed since it started its traffic (time for a cut to be seen).
    pub margin_ms: u64,
    /// The heartbeat text for a server that is not the companion; `{seq}` is its number.
    pub heartbeat_payload: String,
    /// The subprotocols the user asks for (offered next to `wsdoctor.v1`).
    pub subprotocols: Vec<String>,
    /// Whether to offer `wsdoctor.v1` (a support link's `companion=`).
    #[serde(default)]
    pub companion: CompanionMode,
    /// The application protocol every probe speaks like the real client (its opening
    /// exchange and heartbeat answers), so that "silent" means no traffic beyond what
    /// the protocol requires. A profile known before the open skips the companion offer.
    #[serde(default)]
    pub profile: ProfileChoice,
}

/// Whether the experiment offers the companion's subprotocol, as a support link may ask.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompanionMode {
    /// Offer it, and run against any server if it is not taken (the default).
    #[default]
    Auto,
    /// The target must be wsdoctor-server's companion: anything else ends the run.
    On,
    /// Never offer it: treat the target as any server.
    Off,
}

impl CompanionMode {
    /// The name in links (`auto`, `on`, `off`).
    pub fn name(self) -> &'static str {
        match self {
            CompanionMode::Auto => "auto",
            CompanionMode::On => "on",
            CompanionMode::Off => "off",
        }
    }

    /// The mode named `name`.
    pub fn from_name(name: &str) -> Option<CompanionMode> {
        [CompanionMode::Auto, CompanionMode::On, CompanionMode::Off]
            .into_iter()
            .find(|m| m.name() == name)
    }
}

impl Default for IdleSettings {
    fn default() -> Self {
        IdleSettings {
            max_idle_ms: 130_000,
            heartbeat_ms: 25_000,
            margin_ms: 1_000,
            heartbeat_payload: "ping {seq}".into(),
            subprotocols: Vec::new(),
            companion: CompanionMode::Auto,
            profile: ProfileChoice::Detect,
        }
    }
}

/// The longest `max_idle` a user may choose: 15 minutes.
pub const MAX_IDLE_LIMIT_MS: u64 = 15 * 60 * 1000;
/// The shortest `max_idle`: 2 seconds (tests and quick checks).
pub const MIN_IDLE_MS: u64 = 2_000;

impl IdleSettings {
    /// Checks the numbers; the message names the wrong one.
    pub fn check(&self) -> Result<(), String> {
        if !(MIN_IDLE_MS..=MAX_IDLE_LIMIT_MS).contains(&self.max_idle_ms) {
            return Err(format!(
                "watch for: from {} s to {} min",
                MIN_IDLE_MS / 1000,
                MAX_IDLE_LIMIT_MS / 60_000
            ));
        }
        if self.heartbeat_ms < 500 {
            return Err("heartbeat: at least 0.5 s".into());
        }
        if self.heartbeat_ms >= self.max_idle_ms {
            return Err(
                "heartbeat: must be shorter than the time watched, or it proves nothing".into(),
            );
        }
        Ok(())
    }
}

/// Which probe (an index into the experiment's probes).
pub type ProbeId = usize;

/// A timer the experiment asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdleTimer {
    /// The first connection is still not open.
    OpenTimeout,
    /// The server picked `wsdoctor.v1` but has not welcomed the first probe.
    WelcomeTimeout,
    /// Time for a probe's next heartbeat.
    Heartbeat(ProbeId),
    /// `max_idle` has passed with nothing cut.
    MaxIdle,
    /// The busy probes have outlived the silent one's timeout long enough.
    AfterCut,
    /// The companion did not say how it saw the cut connections in time.
    ServerView,
    /// A probe's protocol timer (Engine.IO v3's client ping).
    Profile(ProbeId),
}

/// What happens.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// Start against `url`.
    Start {
        /// The target.
        url: String,
    },
    /// A probe's socket opened with this subprotocol.
    Opened {
        /// Which probe.
        probe: ProbeId,
        /// The subprotocol the server picked (empty: none).
        protocol: String,
    },
    /// A probe received a message (`None`: binary).
    Message {
        /// Which probe.
        probe: ProbeId,
        /// The text, if it was text.
        text: Option<String>,
    },
    /// A probe's socket closed.
    Closed {
        /// Which probe.
        probe: ProbeId,
        /// The close code.
        code: u16,
        /// Whether the closing handshake completed.
        was_clean: bool,
    },
    /// A timer fired.
    Timer(IdleTimer),
    /// The page became hidden (timers may be throttled from now on).
    PageHidden,
    /// The user pressed Cancel.
    Cancel,
}

/// What the browser layer must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Open a probe's socket.
    Open {
        /// Which probe.
        probe: ProbeId,
        /// The target.
        url: String,
        /// The subprotocols to offer.
        protocols: Vec<String>,
    },
    /// Send a text message on a probe.
    Send {
        /// Which probe.
        probe: ProbeId,
        /// The text.
        text: String,
    },
    /// Close a probe's socket.
    Close {
        /// Which probe.
        probe: ProbeId,
        /// The code.
        code: u16,
        /// The reason.
        reason: String,
    },
    /// Start or restart a timer.
    StartTimer {
        /// Which.
        id: IdleTimer,
        /// After how long.
        after_ms: u64,
    },
    /// Cancel a timer.
    CancelTimer(IdleTimer),
    /// The experiment is over: its result is ready.
    Finished,
}

/// Where the experiment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Not started.
    Ready,
    /// The first connection is opening (is the target the companion?).
    Detecting,
    /// Probes are running.
    Running,
    /// Asking the companion how it saw the cut connections.
    AskingServer,
    /// Over; the result is ready.
    Done,
}

/// The experiment.
#[derive(Clone, Debug)]
pub struct IdleExperiment {
    settings: IdleSettings,
    url: String,
    phase: Phase,
    companion: bool,
    companion_offer: CompanionOffer,
    probes: Vec<Probe>,
    /// The current first connection (the silent probe once running).
    first: ProbeId,
    /// Whether the current first connection offers `wsdoctor.v1`.
    offering_companion: bool,
    started_at: Option<Millis>,
    cut_at: Option<Millis>,
    ends_at: Option<Millis>,
    page_was_hidden: bool,
    views_pending: usize,
    failure: Option<String>,
    cancelled: bool,
    result: Option<IdleResult>,
}

impl IdleExperiment {
    /// A new experiment with `settings` (check them first).
    pub fn new(settings: IdleSettings) -> IdleExperiment {
        IdleExperiment {
            settings,
            url: String::new(),
            phase: Phase::Ready,
            companion: false,
            companion_offer: CompanionOffer::Pending,
            probes: Vec::new(),
            first: 0,
            offering_companion: false,
            started_at: None,
            cut_at: None,
            ends_at: None,
            page_was_hidden: false,
            views_pending: 0,
            failure: None,
            cancelled: false,
            result: None,
        }
    }

    /// Where it stands.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The settings.
    pub fn settings(&self) -> &IdleSettings {
        &self.settings
    }

    /// When the probes started running (the first one was ready).
    pub fn started_at(&self) -> Option<Millis> {
        self.started_at
    }

    /// When it will stop at the latest, as things stand now (for the countdown).
    pub fn ends_by(&self) -> Option<Millis> {
        match (self.ends_at, self.started_at) {
            (Some(end), _) => Some(end),
            (None, Some(start)) => Some(start + self.settings.max_idle_ms as f64),
            _ => None,
        }
    }

    /// Each probe as it stands at `now` (live view and, once done, the result's).
    pub fn probes(&self, now: Millis) -> Vec<ProbeResult> {
        let every = self.settings.heartbeat_ms;
        self.probes
            .iter()
            .filter(|p| p.counts())
            .map(|p| p.result(now, every))
            .collect()
    }

    /// The result, once done.
    pub fn result(&self) -> Option<&IdleResult> {
        self.result.as_ref()
    }

    /// Handles one input at `now`.
    pub fn handle(&mut self, now: Millis, input: Input) -> Vec<Command> {
        let mut out = Vec::new();
        if self.phase == Phase::Done {
            return out;
        }
        match input {
            Input::Start { url } => self.start(url, &mut out),
            Input::Opened { probe, protocol } => self.opened(now, probe, &protocol, &mut out),
            Input::Message { probe, text } => self.message(now, probe, text, &mut out),
            Input::Closed {
                probe,
                code,
                was_clean,
            } => self.closed(now, probe, code, was_clean, &mut out),
            Input::Timer(timer) => self.timer(now, timer, &mut out),
            Input::PageHidden => self.page_was_hidden = true,
            Input::Cancel => {
                self.cancelled = true;
                self.finish(now, &mut out);
            }
        }
        out
    }

    fn start(&mut self, url: String, out: &mut Vec<Command>) {
        if self.phase != Phase::Ready {
            return;
        }
        let profile = self.settings.profile;
        self.url = profile.url_for(&url);
        self.settings.subprotocols = profile.protocols_for(&self.settings.subprotocols);
        self.phase = Phase::Detecting;
        // A protocol known before the open (chosen, or in the URL) is not the companion's.
        let known = self.speaker().kind() != ProfileKind::Raw;
        if self.settings.companion == CompanionMode::Off || known {
            self.companion_offer = CompanionOffer::NotOffered;
        }
        self.open_first(self.settings.companion != CompanionMode::Off && !known, out);
    }

    /// The user's own subprotocols, without the companion's.
    fn own_subprotocols(&self) -> Vec<String> {
        offered_subprotocols(false, &self.settings.subprotocols)
    }

    /// A new speaker of the protocol in force, as the real client would speak it.
    fn speaker(&self) -> ProfileSession {
        ProfileSession::new(self.settings.profile, Mode::LikeTheClient, &self.url)
    }

    /// A new probe of `kind`, speaking the protocol (when there is one).
    fn new_probe(&self, kind: ProbeKind) -> Probe {
        let mut probe = Probe::new(kind);
        probe.protocol = Some(self.speaker());
        probe
    }

    /// Opens a (new) first connection, offering `wsdoctor.v1` or not.
    fn open_first(&mut self, offer_companion: bool, out: &mut Vec<Command>) {
        self.first = self.probes.len();
        self.offering_companion = offer_companion;
        let probe = self.new_probe(ProbeKind::Silent);
        self.probes.push(probe);
        out.push(Command::Open {
            probe: self.first,
            url: self.url.clone(),
            protocols: offered_subprotocols(offer_companion, &self.settings.subprotocols),
        });
        out.push(Command::StartTimer {
            id: IdleTimer::OpenTimeout,
            after_ms: OPEN_TIMEOUT_MS,
        });
    }

    /// The server does not speak `wsdoctor.v1`: a new first connection without it (or,
    /// when the companion was required, the end of the run).
    fn fall_back(&mut self, now: Millis, offer: CompanionOffer, out: &mut Vec<Command>) {
        self.companion_offer = offer;
        if self.settings.companion == CompanionMode::On {
            self.failure = Some(
                "the target did not answer as wsdoctor-server's companion (wsdoctor.v1), and \
                 the link asked for the companion (companion=on)"
                    .into(),
            );
            return self.finish(now, out);
        }
        out.push(Command::CancelTimer(IdleTimer::WelcomeTimeout));
        out.push(Command::CancelTimer(IdleTimer::OpenTimeout));
        let old = self.first;
        if let Some(probe) = self.probes.get_mut(old) {
            if probe.is_live() {
                out.push(Command::Close {
                    probe: old,
                    code: FINISH_CODE,
                    reason: NOT_COMPANION_REASON.into(),
                });
            }
            probe.stage = Stage::Replaced;
        }
        self.open_first(false, out);
    }

    fn opened(&mut self, now: Millis, id: ProbeId, protocol: &str, out: &mut Vec<Command>) {
        let Some(probe) = self.probes.get_mut(id) else {
            return;
        };
        if !probe.is_live() {
            return;
        }
        probe.opened(now);
        if protocol != crate::COMPANION_SUBPROTOCOL
            && let Some(speaker) = probe.protocol.as_mut()
        {
            let actions = speaker.opened(now, protocol);
            self.speak(now, id, actions, out);
        }
        if self.phase == Phase::Detecting && id == self.first {
            out.push(Command::CancelTimer(IdleTimer::OpenTimeout));
            if self.offering_companion && protocol == crate::COMPANION_SUBPROTOCOL {
                self.send(now, id, &ClientMessage::Hello { session: None }, out);
                out.push(Command::StartTimer {
                    id: IdleTimer::WelcomeTimeout,
                    after_ms: WELCOME_TIMEOUT_MS,
                });
            } else {
                if self.offering_companion {
                    self.companion_offer = CompanionOffer::NotPicked;
                }
                self.begin(now, out);
            }
            return;
        }
        if self.companion {
            self.send(now, id, &ClientMessage::Hello { session: None }, out);
        } else {
            self.running(now, id, out);
        }
    }

    /// The first connection is ready: the probes start.
    fn begin(&mut self, now: Millis, out: &mut Vec<Command>) {
        self.phase = Phase::Running;
        self.started_at = Some(now);
        out.push(Command::StartTimer {
            id: IdleTimer::MaxIdle,
            after_ms: self.settings.max_idle_ms,
        });
        let (others, protocols): (&[ProbeKind], Vec<String>) = if self.companion {
            let configure = ProbeKind::Silent.configure(self.settings.heartbeat_ms);
            self.send(now, self.first, &configure, out);
            (
                &[
                    ProbeKind::ClientHeartbeat,
                    ProbeKind::ServerHeartbeat,
                    ProbeKind::ServerPing,
                    ProbeKind::EchoHeartbeat,
                ],
                vec![crate::COMPANION_SUBPROTOCOL.to_string()],
            )
        } else {
            self.running(now, self.first, out);
            (&[ProbeKind::EchoHeartbeat], self.own_subprotocols())
        };
        for kind in others {
            let probe = self.new_probe(*kind);
            self.probes.push(probe);
            out.push(Command::Open {
                probe: self.probes.len() - 1,
                url: self.url.clone(),
                protocols: protocols.clone(),
            });
        }
    }

    /// A probe is configured: from now on its traffic is what its kind says.
    fn running(&mut self, now: Millis, id: ProbeId, out: &mut Vec<Command>) {
        let heartbeat_ms = self.settings.heartbeat_ms;
        let Some(probe) = self.probes.get_mut(id) else {
            return;
        };
        probe.stage = Stage::Running;
        probe.running_since = Some(now);
        if probe.kind.client_sends() {
            out.push(Command::StartTimer {
                id: IdleTimer::Heartbeat(id),
                after_ms: heartbeat_ms,
            });
        }
    }

    fn send(&mut self, now: Millis, id: ProbeId, message: &ClientMessage, out: &mut Vec<Command>) {
        let text = serde_json::to_string(message).unwrap_or_default();
        self.send_text(now, id, text, out);
    }

    /// Carries out what a probe's protocol asks for: replies, and its timer.
    fn speak(&mut self, now: Millis, id: ProbeId, actions: Vec<Action>, out: &mut Vec<Command>) {
        for action in actions {
            match action {
                Action::Send(text) => self.send_text(now, id, text, out),
                Action::StartTimer(after_ms) => out.push(Command::StartTimer {
                    id: IdleTimer::Profile(id),
                    after_ms,
                }),
            }
        }
    }

    fn send_text(&mut self, now: Millis, id: ProbeId, text: String, out: &mut Vec<Command>) {
        if let Some(probe) = self.probes.get_mut(id) {
            probe.last_sent = Some(now);
            out.push(Command::Send { probe: id, text });
        }
    }

    fn message(&mut self, now: Millis, id: ProbeId, text: Option<String>, out: &mut Vec<Command>) {
        let Some(probe) = self.probes.get_mut(id) else {
            return;
        };
        if !probe.is_live() {
            return;
        }
        probe.last_received = Some(now);
        let message = text
            .as_deref()
            .and_then(|t| serde_json::from_str::<ServerMessage>(t).ok());
        if self.phase == Phase::Detecting && id == self.first {
            // The companion's first word is always its welcome; anything else (an echo
            // of the hello, another protocol's greeting) means another server.
            let Some(ServerMessage::Welcome { session, conn, .. }) = message else {
                return self.fall_back(now, CompanionOffer::WrongAnswer, out);
            };
            out.push(Command::CancelTimer(IdleTimer::WelcomeTimeout));
            probe.session = Some(session);
            probe.server_conn = Some(conn);
            self.companion = true;
            self.companion_offer = CompanionOffer::Answered;
            return self.begin(now, out);
        }
        if !self.companion {
            if let (Some(text), Some(speaker)) = (text.as_deref(), probe.protocol.as_mut()) {
                let (_, actions) = speaker.received(now, text);
                self.speak(now, id, actions, out);
            }
            return;
        }
        match message {
            Some(ServerMessage::Welcome { session, conn, .. }) => {
                probe.session = Some(session);
                probe.server_conn = Some(conn);
                let configure = probe.kind.configure(self.settings.heartbeat_ms);
                self.send(now, id, &configure, out);
            }
            Some(ServerMessage::Configured { .. }) if probe.stage == Stage::Starting => {
                self.running(now, id, out);
            }
            Some(ServerMessage::SessionView {
                session,
                connections,
            }) => {
                self.server_view(&session, &connections);
                self.views_pending = self.views_pending.saturating_sub(1);
                if self.views_pending == 0 && self.phase == Phase::AskingServer {
                    self.finish(now, out);
                }
            }
            _ => {}
        }
    }

    /// Records how the companion saw the probes of `session`.
    fn server_view(&mut self, session: &str, connections: &[ConnectionView]) {
        for probe in self
            .probes
            .iter_mut()
            .filter(|p| p.session.as_deref() == Some(session))
        {
            let close = connections
                .iter()
                .find(|c| Some(c.conn) == probe.server_conn)
                .and_then(|c| c.close.as_ref());
            probe.server_saw = Some(close.map_or(ClosedBy::None, |close| close.by));
            if probe.server_close_code.is_none() {
                probe.server_close_code = close.and_then(|close| close.code);
            }
        }
    }

    fn closed(
        &mut self,
        now: Millis,
        id: ProbeId,
        code: u16,
        was_clean: bool,
        out: &mut Vec<Command>,
    ) {
        let Some(probe) = self.probes.get_mut(id) else {
            return;
        };
        if !probe.is_live() {
            return;
        }
        probe.close(now, code, was_clean);
        let kind = probe.kind;
        let never_ran = probe.running_since.is_none();
        let never_opened = probe.opened_at.is_none();
        let idle = probe.idle_before_close;
        out.push(Command::CancelTimer(IdleTimer::Heartbeat(id)));
        out.push(Command::CancelTimer(IdleTimer::Profile(id)));
        if self.phase == Phase::Detecting && id == self.first {
            if self.offering_companion {
                let offer = if never_opened {
                    CompanionOffer::HandshakeFailed
                } else {
                    CompanionOffer::NoWelcome
                };
                return self.fall_back(now, offer, out);
            }
            self.failure = Some(self.unreachable(code));
            return self.finish(now, out);
        }
        if never_ran {
            return; // a probe that never carried its traffic tells nothing about idle time
        }
        if kind == ProbeKind::Silent && self.cut_at.is_none() && self.phase == Phase::Running {
            self.cut_at = Some(now);
            out.push(Command::CancelTimer(IdleTimer::MaxIdle));
            // Each busy probe's traffic is proven once T has passed since it started: a
            // probe whose traffic does not count is cut by then.
            let t = idle.unwrap_or(0.0);
            let margin = self.settings.margin_ms as f64;
            let until = self
                .probes
                .iter()
                .filter(|p| p.counts() && p.is_live())
                .filter_map(|p| p.running_since)
                .map(|since| since + t + margin)
                .fold(now + margin / 4.0, f64::max);
            self.ends_at = Some(until);
            out.push(Command::StartTimer {
                id: IdleTimer::AfterCut,
                after_ms: (until - now).ceil() as u64,
            });
        }
        if self.phase == Phase::Running && !self.probes.iter().any(Probe::is_live) {
            self.conclude(now, out);
        }
    }

    /// Why the first connection failed, in one sentence.
    fn unreachable(&self, code: u16) -> String {
        let with_and_without = if self.companion_offer == CompanionOffer::HandshakeFailed {
            ", with and without the subprotocol wsdoctor.v1"
        } else {
            ""
        };
        let own = self.own_subprotocols();
        let protocols = if own.is_empty() {
            String::new()
        } else {
            format!(
                "; it offered the subprotocols {}, and a browser fails a handshake whose answer \
                 picks none of them",
                own.join(", ")
            )
        };
        format!(
            "the first connection closed with {code} before opening{with_and_without}: the \
             server could not be reached, refused the WebSocket handshake, or failed TLS (the \
             browser does not say which){protocols}"
        )
    }

    fn timer(&mut self, now: Millis, timer: IdleTimer, out: &mut Vec<Command>) {
        match timer {
            IdleTimer::WelcomeTimeout if self.phase == Phase::Detecting => {
                self.fall_back(now, CompanionOffer::NoWelcome, out);
            }
            IdleTimer::OpenTimeout if self.phase == Phase::Detecting => {
                self.failure = Some(format!(
                    "the first connection did not open within {} s",
                    OPEN_TIMEOUT_MS / 1000
                ));
                self.finish(now, out);
            }
            IdleTimer::Heartbeat(id) if self.phase == Phase::Running => {
                let Some(probe) = self.probes.get_mut(id) else {
                    return;
                };
                if probe.stage != Stage::Running {
                    return;
                }
                probe.heartbeats += 1;
                let seq = probe.heartbeats;
                let spoken = probe.protocol.as_ref().map(ProfileSession::kind);
                let text = if self.companion {
                    serde_json::to_string(&ClientMessage::Heartbeat { seq }).unwrap_or_default()
                } else if let Some(text) = spoken.and_then(|kind| kind.heartbeat(seq)) {
                    text
                } else {
                    self.settings
                        .heartbeat_payload
                        .replace("{seq}", &seq.to_string())
                };
                self.send_text(now, id, text, out);
                out.push(Command::StartTimer {
                    id: IdleTimer::Heartbeat(id),
                    after_ms: self.settings.heartbeat_ms,
                });
            }
            IdleTimer::MaxIdle | IdleTimer::AfterCut if self.phase == Phase::Running => {
                self.conclude(now, out);
            }
            IdleTimer::ServerView if self.phase == Phase::AskingServer => self.finish(now, out),
            IdleTimer::Profile(id) => {
                let actions = match self.probes.get_mut(id) {
                    Some(probe) if probe.is_live() => {
                        probe.protocol.as_mut().map(|speaker| speaker.timer(now))
                    }
                    _ => None,
                };
                self.speak(now, id, actions.unwrap_or_default(), out);
            }
            _ => {}
        }
    }

    /// Asks the companion how it saw each cut probe (on a probe still open), then finishes.
    fn conclude(&mut self, now: Millis, out: &mut Vec<Command>) {
        let asker = self.probes.iter().position(|p| p.stage == Stage::Running);
        let sessions: Vec<String> = self
            .probes
            .iter()
            .filter(|p| p.stage == Stage::Closed && p.opened_at.is_some())
            .filter_map(|p| p.session.clone())
            .collect();
        match asker {
            Some(asker) if self.companion && !sessions.is_empty() => {
                self.phase = Phase::AskingServer;
                self.views_pending = sessions.len();
                for session in sessions {
                    let ask = ClientMessage::SessionView {
                        session: Some(session),
                    };
                    self.send(now, asker, &ask, out);
                }
                out.push(Command::StartTimer {
                    id: IdleTimer::ServerView,
                    after_ms: SERVER_VIEW_TIMEOUT_MS,
                });
            }
            _ => self.finish(now, out),
        }
    }

    fn finish(&mut self, now: Millis, out: &mut Vec<Command>) {
        for (id, probe) in self.probes.iter_mut().enumerate() {
            out.push(Command::CancelTimer(IdleTimer::Heartbeat(id)));
            out.push(Command::CancelTimer(IdleTimer::Profile(id)));
            if probe.is_live() {
                probe.survived_until = Some(now);
                out.push(Command::Close {
                    probe: id,
                    code: FINISH_CODE,
                    reason: FINISH_REASON.into(),
                });
            }
        }
        for timer in [
            IdleTimer::OpenTimeout,
            IdleTimer::WelcomeTimeout,
            IdleTimer::MaxIdle,
            IdleTimer::AfterCut,
            IdleTimer::ServerView,
        ] {
            out.push(Command::CancelTimer(timer));
        }
        self.result = Some(IdleResult::from_probes(
            &self.probes,
            result::Context {
                now,
                settings: &self.settings,
                companion: self.companion,
                companion_offer: self.companion_offer,
                started_at: self.started_at,
                page_was_hidden: self.page_was_hidden,
                cancelled: self.cancelled,
                failure: self.failure.clone(),
            },
        ));
        self.phase = Phase::Done;
        out.push(Command::Finished);
    }
}

#[cfg(test)]
mod tests;
