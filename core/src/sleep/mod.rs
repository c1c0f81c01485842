//! The client-sleep experiment: one probe connection to the target with the user's
//! heartbeat, held while the page is hidden (or while the companion simulates a sleeping
//! client with `blackhole`), then checked on return.
//!
//! It answers what a developer asks after "it disconnects when I come back to the tab":
//! did my heartbeat timers run while hidden, and how late (on the main thread, and side
//! by side in a Worker, whose timers are not throttled like a hidden page's)? Did the
//! server give up on me, when and why (the companion says, with `session_view`)? When I
//! came back, was the socket open, closed, or half-open (open, but nothing gets through),
//! and how long until the page knew?
//!
//! Pure: the session feeds in socket events, timers (with when they were due), Worker
//! ticks and page events, and carries out the commands.

mod result;
mod snippets;
mod timers;
mod verdict;

use serde::{Deserialize, Serialize};

use crate::Millis;
use crate::idle::CompanionMode;
use crate::protocol::{ClientMessage, ConnectionView, ServerMessage, offered_subprotocols};

pub use result::{Fate, ServerSaw, SleepResult};
pub use snippets::sleep_snippets;
pub use timers::{Throttling, TimerSample, throttling};
pub use verdict::{SleepVerdict, sleep_verdict};

/// How long the first connection may take to open.
pub const OPEN_TIMEOUT_MS: u64 = 10_000;
/// How long the companion may take to say how it saw the probe connection.
pub const SERVER_VIEW_TIMEOUT_MS: u64 = 5_000;
/// The code the probe is closed with when the probe found it half-open.
pub const HALF_OPEN_CODE: u16 = 4000;

/// What the user chose.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SleepSettings {
    /// The heartbeat the user's app uses, ms.
    pub heartbeat_ms: u64,
    /// On return, the probe must be answered within this, ms, or the socket is half-open.
    pub probe_deadline_ms: u64,
    /// Behave like a sleeping device: send nothing while hidden.
    pub sleepy: bool,
    /// With the companion: its protocol Pings, ms (`None`: none).
    pub server_ping_ms: Option<u64>,
    /// With the companion: close when a Pong is this late, ms.
    pub ping_timeout_ms: Option<u64>,
    /// With the companion: close after this long without a message from the page, ms.
    pub client_idle_close_ms: Option<u64>,
    /// Simulate a sleeping client for this long (the companion goes silent) instead of
    /// waiting for the user to hide the page.
    pub simulate_ms: Option<u64>,
    /// The heartbeat text for a server that is not the companion; `{seq}` is its number.
    pub heartbeat_payload: String,
    /// The user's own subprotocols.
    pub subprotocols: Vec<String>,
    /// Whether to offer `wsdoctor.v1`.
    pub companion: CompanionMode,
    /// Whether this browser reports freezing (Chromium's Page Lifecycle); where it does
    /// not, the verdict says a freeze could not be seen.
    pub freeze_observable: bool,
}

impl Default for SleepSettings {
    fn default() -> Self {
        SleepSettings {
            heartbeat_ms: 20_000,
            probe_deadline_ms: 4_000,
            sleepy: false,
            server_ping_ms: Some(20_000),
            ping_timeout_ms: Some(20_000),
            client_idle_close_ms: Some(70_000),
            simulate_ms: None,
            heartbeat_payload: "ping {seq}".into(),
            subprotocols: Vec::new(),
            companion: CompanionMode::Auto,
            freeze_observable: true,
        }
    }
}

impl SleepSettings {
    /// Checks the numbers; the message names the wrong one.
    pub fn check(&self) -> Result<(), String> {
        if !(100..=600_000).contains(&self.heartbeat_ms) {
            return Err("heartbeat: from 0.1 s to 10 min".into());
        }
        if !(500..=60_000).contains(&self.probe_deadline_ms) {
            return Err("probe deadline: from 0.5 s to 60 s".into());
        }
        if self
            .simulate_ms
            .is_some_and(|ms| !(1_000..=600_000).contains(&ms))
        {
            return Err("simulated sleep: from 1 s to 10 min".into());
        }
        Ok(())
    }
}

/// The experiment's connections: the probe, and later one that asks the companion how it
/// saw the probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SleepConn {
    /// The connection held through the sleep.
    Probe,
    /// The connection that asks the companion afterwards.
    Asker,
}

/// The experiment's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SleepTimer {
    /// The probe is still not open.
    OpenTimeout,
    /// The app's next heartbeat (main thread).
    Heartbeat,
    /// A simulated sleep is over: the client "wakes".
    WakeUp,
    /// The probe sent on return has not been answered.
    ProbeDeadline,
    /// The companion did not say how it saw the probe in time.
    ServerView,
}

/// A change of the page's life.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PageChange {
    /// The page became hidden.
    Hidden,
    /// The page became visible; `socket_open`: the probe's readyState is OPEN.
    Visible {
        /// Whether the browser says the probe is open.
        socket_open: bool,
    },
    /// The page was frozen (Chromium's Page Lifecycle).
    Frozen,
    /// The page resumed from frozen.
    Resumed,
    /// The browser went offline.
    Offline,
    /// The browser came back online.
    Online,
    /// The wall clock jumped against the page's clock by this many ms (the machine slept).
    ClockJump(u64),
}

/// What happens.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// Start against `url`.
    Start {
        /// The target.
        url: String,
    },
    /// A connection opened with this subprotocol.
    Opened {
        /// Which.
        conn: SleepConn,
        /// The subprotocol the server picked (empty: none).
        protocol: String,
    },
    /// A message arrived (`None`: binary).
    Message {
        /// On which connection.
        conn: SleepConn,
        /// Its text.
        text: Option<String>,
    },
    /// A connection closed.
    Closed {
        /// Which.
        conn: SleepConn,
        /// The code the browser reported.
        code: u16,
        /// Whether the closing handshake completed.
        was_clean: bool,
    },
    /// A timer fired (now).
    Timer(SleepTimer),
    /// The Worker's timer fired (times on the page's clock).
    WorkerTick(TimerSample),
    /// The page's life changed.
    Page(PageChange),
    /// The user stopped it.
    Stop,
}

/// What the browser layer must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Open a connection.
    Open {
        /// Which.
        conn: SleepConn,
        /// The target.
        url: String,
        /// The subprotocols to offer.
        protocols: Vec<String>,
    },
    /// Send text.
    Send {
        /// On which connection.
        conn: SleepConn,
        /// The text.
        text: String,
    },
    /// Close a connection.
    Close {
        /// Which.
        conn: SleepConn,
        /// The code.
        code: u16,
        /// The reason.
        reason: String,
    },
    /// Start (or restart) a timer.
    StartTimer {
        /// Which.
        id: SleepTimer,
        /// After how long.
        after_ms: u64,
    },
    /// Cancel a timer.
    CancelTimer(SleepTimer),
    /// Start the Worker's timer chain with this interval.
    StartWorker {
        /// The interval, ms.
        every_ms: u64,
    },
    /// Stop the Worker's timer chain.
    StopWorker,
    /// The result is ready.
    Finished,
}

/// Where the experiment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Not started.
    Ready,
    /// The probe is opening (and, with the companion, being configured).
    Connecting,
    /// Holding the probe: waiting for the page to be hidden and come back (or for the
    /// simulated sleep to end).
    Watching,
    /// Back: the probe was sent; waiting for its answer or its deadline.
    Probing,
    /// Asking the companion how it saw the probe.
    AskingServer,
    /// Over.
    Done,
}

/// A close of the probe as the page saw it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct CloseSeen {
    at: Millis,
    code: u16,
    was_clean: bool,
}

/// The experiment.
#[derive(Clone, Debug)]
pub struct SleepExperiment {
    settings: SleepSettings,
    url: String,
    phase: Phase,
    offering: bool,
    companion: bool,
    session: Option<String>,
    server_conn: Option<u64>,
    started_at: Option<Millis>,
    watch_from: Option<Millis>,
    hidden: Vec<(Millis, Option<Millis>)>,
    simulated: Option<(Millis, Option<Millis>)>,
    marks: Vec<(Millis, String)>,
    main: Vec<TimerSample>,
    worker: Vec<TimerSample>,
    next_due: Option<Millis>,
    seq: u64,
    sent_while_hidden: u32,
    skipped_while_hidden: u32,
    closed: Option<CloseSeen>,
    returned_at: Option<Millis>,
    open_on_return: Option<bool>,
    truth_at: Option<Millis>,
    half_open: bool,
    server: Option<ConnectionView>,
    cancelled: bool,
    failure: Option<String>,
    result: Option<SleepResult>,
}

impl SleepExperiment {
    /// A new experiment with `settings` (check them first).
    pub fn new(settings: SleepSettings) -> SleepExperiment {
        SleepExperiment {
            settings,
            url: String::new(),
            phase: Phase::Ready,
            offering: false,
            companion: false,
            session: None,
            server_conn: None,
            started_at: None,
            watch_from: None,
            hidden: Vec::new(),
            simulated: None,
            marks: Vec::new(),
            main: Vec::new(),
            worker: Vec::new(),
            next_due: None,
            seq: 0,
            sent_while_hidden: 0,
            skipped_while_hidden: 0,
            closed: None,
            returned_at: None,
            open_on_return: None,
            truth_at: None,
            half_open: false,
            server: None,
            cancelled: false,
            failure: None,
            result: None,
        }
    }

    /// Where it stands.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The settings.
    pub fn settings(&self) -> &SleepSettings {
        &self.settings
    }

    /// The result, once done.
    pub fn result(&self) -> Option<&SleepResult> {
        self.result.as_ref()
    }

    /// The result as it stands at `now` (for a live view).
    pub fn snapshot(&self, now: Millis) -> SleepResult {
        self.result
            .clone()
            .unwrap_or_else(|| SleepResult::from_experiment(self, now))
    }

    /// Whether the page is hidden now (as far as the experiment knows).
    fn hidden_now(&self) -> bool {
        self.hidden.last().is_some_and(|(_, to)| to.is_none())
    }

    /// Handles one input at `now`; returns what to do.
    pub fn handle(&mut self, now: Millis, input: Input) -> Vec<Command> {
        let mut out = Vec::new();
        if self.phase == Phase::Done {
            return out;
        }
        match input {
            Input::Start { url } => self.start(now, url, &mut out),
            Input::Opened { conn, protocol } => self.opened(now, conn, &protocol, &mut out),
            Input::Message { conn, text } => self.message(now, conn, text, &mut out),
            Input::Closed {
                conn,
                code,
                was_clean,
            } => self.closed(now, conn, code, was_clean, &mut out),
            Input::Timer(timer) => self.timer(now, timer, &mut out),
            Input::WorkerTick(sample) => {
                if matches!(self.phase, Phase::Watching | Phase::Probing) {
                    self.worker.push(sample);
                }
            }
            Input::Page(change) => self.page(now, change, &mut out),
            Input::Stop => {
                self.cancelled = true;
                self.finish(now, &mut out);
            }
        }
        out
    }

    fn start(&mut self, now: Millis, url: String, out: &mut Vec<Command>) {
        if self.phase != Phase::Ready {
            return;
        }
        self.url = url;
        self.started_at = Some(now);
        self.phase = Phase::Connecting;
        self.open_probe(self.settings.companion != CompanionMode::Off, out);
    }

    fn open_probe(&mut self, offer: bool, out: &mut Vec<Command>) {
        self.offering = offer;
        out.push(Command::Open {
            conn: SleepConn::Probe,
            url: self.url.clone(),
            protocols: offered_subprotocols(offer, &self.settings.subprotocols),
        });
        out.push(Command::StartTimer {
            id: SleepTimer::OpenTimeout,
            after_ms: OPEN_TIMEOUT_MS,
        });
    }

    fn send(&mut self, conn: SleepConn, message: &ClientMessage, out: &mut Vec<Command>) {
        if let Ok(text) = serde_json::to_string(message) {
            out.push(Command::Send { conn, text });
        }
    }

    fn opened(&mut self, now: Millis, conn: SleepConn, protocol: &str, out: &mut Vec<Command>) {
        match conn {
            SleepConn::Probe if self.phase == Phase::Connecting => {
                out.push(Command::CancelTimer(SleepTimer::OpenTimeout));
                if self.offering && protocol == crate::COMPANION_SUBPROTOCOL {
                    self.send(conn, &ClientMessage::Hello { session: None }, out);
                } else if self.settings.companion == CompanionMode::On {
                    self.fail(
                        now,
                        "the target did not answer as wsdoctor-server's companion (wsdoctor.v1), and the link asked for it (companion=on)",
                        out,
                    );
                } else {
                    self.begin_watch(now, out);
                }
            }
            SleepConn::Asker if self.phase == Phase::AskingServer => {
                let hello = ClientMessage::Hello {
                    session: self.session.clone(),
                };
                self.send(conn, &hello, out);
            }
            _ => {}
        }
    }

    fn message(
        &mut self,
        now: Millis,
        conn: SleepConn,
        text: Option<String>,
        out: &mut Vec<Command>,
    ) {
        let reply = text
            .as_deref()
            .and_then(|t| serde_json::from_str::<ServerMessage>(t).ok());
        match (conn, self.phase) {
            (SleepConn::Probe, Phase::Connecting) => match reply {
                Some(ServerMessage::Welcome { session, conn, .. }) => {
                    self.companion = true;
                    self.session = Some(session);
                    self.server_conn = Some(conn);
                    let configure = ClientMessage::Configure {
                        tick_every_ms: None,
                        ping_every_ms: Some(self.settings.server_ping_ms),
                        ack_heartbeats: Some(true),
                        report_pings: Some(false),
                        ping_timeout_ms: Some(
                            self.settings
                                .ping_timeout_ms
                                .filter(|_| self.settings.server_ping_ms.is_some()),
                        ),
                        client_idle_close_ms: Some(self.settings.client_idle_close_ms),
                    };
                    self.send(SleepConn::Probe, &configure, out);
                }
                Some(ServerMessage::Configured { .. }) if self.companion => {
                    self.begin_watch(now, out)
                }
                Some(ServerMessage::Error { message }) if self.companion => {
                    self.fail(
                        now,
                        &format!("the companion refused the settings: {message}"),
                        out,
                    );
                }
                _ => self.begin_watch(now, out), // another server that echoes: not the companion
            },
            (SleepConn::Probe, Phase::Probing) => {
                self.truth_at = Some(now);
                out.push(Command::CancelTimer(SleepTimer::ProbeDeadline));
                self.after_return(now, out);
            }
            (SleepConn::Asker, Phase::AskingServer) => match reply {
                Some(ServerMessage::Welcome { .. }) => {
                    let ask = ClientMessage::SessionView {
                        session: self.session.clone(),
                    };
                    self.send(SleepConn::Asker, &ask, out);
                }
                Some(ServerMessage::SessionView { connections, .. }) => {
                    self.server = connections
                        .into_iter()
                        .find(|c| Some(c.conn) == self.server_conn);
                    self.finish(now, out);
                }
                Some(ServerMessage::Error { .. }) => self.finish(now, out),
                _ => {}
            },
            _ => {}
        }
    }

    fn closed(
        &mut self,
        now: Millis,
        conn: SleepConn,
        code: u16,
        was_clean: bool,
        out: &mut Vec<Command>,
    ) {
        match conn {
            SleepConn::Asker => {
                if self.phase == Phase::AskingServer {
                    self.finish(now, out);
                }
            }
            SleepConn::Probe => {
                if self.closed.is_some() {
                    return;
                }
                let seen = CloseSeen {
                    at: now,
                    code,
                    was_clean,
                };
                match self.phase {
                    Phase::Connecting if self.offering && self.settings.companion == CompanionMode::Auto => {
                        // A handshake that failed while wsdoctor.v1 was offered: try without.
                        out.push(Command::CancelTimer(SleepTimer::OpenTimeout));
                        self.open_probe(false, out);
                    }
                    Phase::Connecting => self.fail(
                        now,
                        &format!("the connection closed with {code} before the experiment could start: the target could not be reached, or refused the WebSocket"),
                        out,
                    ),
                    Phase::Watching => {
                        self.closed = Some(seen);
                        let away = self.hidden_now() || self.simulated.is_some_and(|(_, to)| to.is_none());
                        let was_away = !self.hidden.is_empty() || self.simulated.is_some();
                        if !away && !was_away {
                            // Closed before any sleep: that is the answer.
                            self.after_return(now, out);
                        }
                    }
                    Phase::Probing => {
                        self.closed = Some(seen);
                        self.truth_at = Some(now);
                        out.push(Command::CancelTimer(SleepTimer::ProbeDeadline));
                        self.after_return(now, out);
                    }
                    // Once the return is resolved, a close is the experiment's own.
                    _ => {}
                }
            }
        }
    }

    fn begin_watch(&mut self, now: Millis, out: &mut Vec<Command>) {
        if self.phase != Phase::Connecting {
            return;
        }
        if self.settings.simulate_ms.is_some() && !self.companion {
            return self.fail(
                now,
                "a simulated sleep needs wsdoctor-server's companion (its blackhole); against another server, hide the page instead",
                out,
            );
        }
        self.phase = Phase::Watching;
        self.watch_from = Some(now);
        self.schedule_heartbeat(now, out);
        out.push(Command::StartWorker {
            every_ms: self.settings.heartbeat_ms,
        });
        if let Some(sleep_ms) = self.settings.simulate_ms {
            // Silent past the wake-up, so the probe sent on waking meets the silence.
            let ms = sleep_ms + self.settings.probe_deadline_ms + 1_000;
            self.send(SleepConn::Probe, &ClientMessage::Blackhole { ms }, out);
            self.simulated = Some((now, None));
            out.push(Command::StartTimer {
                id: SleepTimer::WakeUp,
                after_ms: sleep_ms,
            });
        }
    }

    fn schedule_heartbeat(&mut self, now: Millis, out: &mut Vec<Command>) {
        let every = self.settings.heartbeat_ms;
        self.next_due = Some(now + every as Millis);
        out.push(Command::StartTimer {
            id: SleepTimer::Heartbeat,
            after_ms: every,
        });
    }

    fn heartbeat(&mut self, now: Millis, out: &mut Vec<Command>) {
        if !matches!(self.phase, Phase::Watching | Phase::Probing) {
            return;
        }
        if let Some(due) = self.next_due {
            self.main.push(TimerSample { due, fired: now });
        }
        let hidden = self.hidden_now();
        if self.closed.is_none() {
            if hidden && self.settings.sleepy {
                self.skipped_while_hidden += 1;
            } else {
                self.seq += 1;
                if hidden {
                    self.sent_while_hidden += 1;
                }
                let text = if self.companion {
                    serde_json::to_string(&ClientMessage::Heartbeat { seq: self.seq })
                        .unwrap_or_default()
                } else {
                    self.settings
                        .heartbeat_payload
                        .replace("{seq}", &self.seq.to_string())
                };
                out.push(Command::Send {
                    conn: SleepConn::Probe,
                    text,
                });
            }
        }
        self.schedule_heartbeat(now, out);
    }

    fn page(&mut self, now: Millis, change: PageChange, out: &mut Vec<Command>) {
        let watching = matches!(self.phase, Phase::Watching | Phase::Probing);
        match change {
            PageChange::Hidden if self.phase == Phase::Watching && !self.hidden_now() => {
                self.hidden.push((now, None));
            }
            PageChange::Visible { socket_open } if self.hidden_now() => {
                if let Some(span) = self.hidden.last_mut() {
                    span.1 = Some(now);
                }
                if self.phase == Phase::Watching && self.simulated.is_none() {
                    self.wake(now, socket_open, out);
                }
            }
            PageChange::Frozen if watching => self.marks.push((now, "frozen".into())),
            PageChange::Resumed if watching => self.marks.push((now, "resumed".into())),
            PageChange::Offline if watching => self.marks.push((now, "offline".into())),
            PageChange::Online if watching => self.marks.push((now, "online".into())),
            PageChange::ClockJump(by) if watching => {
                self.marks.push((now, format!("clock jump {by}")));
            }
            _ => {}
        }
    }

    /// Back from the sleep: if the page already knows the probe closed, that is the
    /// truth; otherwise send a probe with a deadline.
    fn wake(&mut self, now: Millis, socket_open: bool, out: &mut Vec<Command>) {
        self.returned_at = Some(now);
        self.open_on_return = Some(socket_open && self.closed.is_none());
        if self.closed.is_some() {
            self.truth_at = Some(now);
            return self.after_return(now, out);
        }
        self.phase = Phase::Probing;
        let text = if self.companion {
            serde_json::to_string(&ClientMessage::Echo {
                seq: 0,
                t: now,
                data: None,
            })
            .unwrap_or_default()
        } else {
            self.settings.heartbeat_payload.replace("{seq}", "probe")
        };
        out.push(Command::Send {
            conn: SleepConn::Probe,
            text,
        });
        out.push(Command::StartTimer {
            id: SleepTimer::ProbeDeadline,
            after_ms: self.settings.probe_deadline_ms,
        });
    }

    fn timer(&mut self, now: Millis, timer: SleepTimer, out: &mut Vec<Command>) {
        match timer {
            SleepTimer::OpenTimeout if self.phase == Phase::Connecting => self.fail(
                now,
                &format!(
                    "the connection did not open within {} s",
                    OPEN_TIMEOUT_MS / 1000
                ),
                out,
            ),
            SleepTimer::Heartbeat => self.heartbeat(now, out),
            SleepTimer::WakeUp if self.phase == Phase::Watching => {
                if let Some(span) = self.simulated.as_mut() {
                    span.1 = Some(now);
                }
                self.wake(now, self.closed.is_none(), out);
            }
            SleepTimer::ProbeDeadline if self.phase == Phase::Probing => {
                self.half_open = true;
                self.truth_at = Some(now);
                out.push(Command::Close {
                    conn: SleepConn::Probe,
                    code: HALF_OPEN_CODE,
                    reason: format!(
                        "half-open: no answer to the probe within {} ms",
                        self.settings.probe_deadline_ms
                    ),
                });
                self.after_return(now, out);
            }
            SleepTimer::ServerView if self.phase == Phase::AskingServer => self.finish(now, out),
            _ => {}
        }
    }

    /// The return is resolved: stop the timers, and ask the companion how it saw it.
    fn after_return(&mut self, now: Millis, out: &mut Vec<Command>) {
        out.push(Command::CancelTimer(SleepTimer::Heartbeat));
        out.push(Command::StopWorker);
        if self.closed.is_none() && !self.half_open {
            out.push(Command::Close {
                conn: SleepConn::Probe,
                code: 1000,
                reason: "sleep experiment done".into(),
            });
        }
        if self.companion && self.session.is_some() {
            self.phase = Phase::AskingServer;
            out.push(Command::Open {
                conn: SleepConn::Asker,
                url: self.url.clone(),
                protocols: vec![crate::COMPANION_SUBPROTOCOL.to_string()],
            });
            out.push(Command::StartTimer {
                id: SleepTimer::ServerView,
                after_ms: SERVER_VIEW_TIMEOUT_MS,
            });
        } else {
            self.finish(now, out);
        }
    }

    fn fail(&mut self, now: Millis, why: &str, out: &mut Vec<Command>) {
        self.failure = Some(why.to_string());
        self.finish(now, out);
    }

    fn finish(&mut self, now: Millis, out: &mut Vec<Command>) {
        for timer in [
            SleepTimer::OpenTimeout,
            SleepTimer::Heartbeat,
            SleepTimer::WakeUp,
            SleepTimer::ProbeDeadline,
            SleepTimer::ServerView,
        ] {
            out.push(Command::CancelTimer(timer));
        }
        out.push(Command::StopWorker);
        for conn in [SleepConn::Probe, SleepConn::Asker] {
            out.push(Command::Close {
                conn,
                code: 1000,
                reason: "sleep experiment done".into(),
            });
        }
        if let Some(span) = self.hidden.last_mut().filter(|s| s.1.is_none()) {
            span.1 = Some(now);
        }
        self.result = Some(SleepResult::from_experiment(self, now));
        self.phase = Phase::Done;
        out.push(Command::Finished);
    }
}

#[cfg(test)]
mod tests;
