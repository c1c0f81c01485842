//! The connection console: core's `Supervisor` decides, this module carries its commands
//! out through `browser/` (sockets, timers), feeds every browser event back in, keeps the
//! event log, and explains each close with core's diagnosis.
//!
//! Every socket has a `ConnId`; events are logged under the id of the socket that
//! reported them. A socket or timer is never dropped from inside its own callback: what
//! must go is moved to a graveyard, emptied at the next event from elsewhere.
//!
//! Per message the console does little (count, summarise, feed the supervisor); the
//! page sees the log and the live metrics at most every `PUBLISH_MS`, and the state is
//! saved for a reload at most every `SAVE_MS`.

use std::collections::HashMap;

use leptos::prelude::*;
use wsdoctor_core::companion_link::{ASK_AGAIN_MS, CompanionLink, Step};
use wsdoctor_core::diagnosis::{CloseContext, diagnose};
use wsdoctor_core::event_log::{ConnId, EventLog, LogEvent, MessageSummary};
use wsdoctor_core::live_metrics::LiveMetrics;
use wsdoctor_core::page_marks::PageMarks;
use wsdoctor_core::saved::SavedConsole;
use wsdoctor_core::settings::ConsoleSettings;
use wsdoctor_core::supervisor::{Attempt, Command, Input, State, Supervisor, TimerId};
use wsdoctor_core::target::{check_target, parse_subprotocols};
use wsdoctor_core::{Millis, close_code, hex};

use super::page::page_is_https;
use super::persist;
use super::status::{CloseExplanation, ConnectionStatus};
use crate::browser::lifecycle::PageEvent;
use crate::browser::socket::{Socket, SocketEvent};
use crate::browser::timer::Timers;
use crate::browser::{clock, download, random};

/// How many log entries the console keeps; older ones are counted, not kept.
pub const LOG_CAPACITY: usize = 1000;
/// How often, at most, the page redraws the log and the live metrics.
const PUBLISH_MS: u64 = 100;
/// How often, at most, the console saves its state for a reload.
const SAVE_MS: Millis = 2_000.0;

/// What the console knows about one socket beyond the supervisor's view.
#[derive(Default)]
struct SocketFacts {
    opened_at: Option<Millis>,
    last_traffic: Option<Millis>,
    hidden_while_open: bool,
    went_offline: bool,
    clock_jump: Option<Millis>,
    largest_sent: Option<usize>,
    /// The server picked `wsdoctor.v1`: it is the companion and can say how it saw closes.
    companion: bool,
}

/// The console's timers: the supervisor's, and the next redraw of the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum ConsoleTimer {
    Supervisor(TimerId),
    Publish,
    /// Ask the companion again how it saw the last close, on this connection.
    AskServer(ConnId),
}

/// The browser side of the console: live sockets and timers, and what must be dropped.
#[derive(Default)]
struct Runtime {
    sockets: HashMap<ConnId, Socket>,
    timers: Timers<ConsoleTimer>,
    facts: HashMap<ConnId, SocketFacts>,
    graveyard_sockets: Vec<Socket>,
    last_save: Option<Millis>,
    companion: CompanionLink,
}

/// The console's state, cheap to copy into callbacks and components.
#[derive(Clone, Copy)]
pub struct Console {
    log: RwSignal<EventLog>,
    log_store: StoredValue<EventLog>,
    status: RwSignal<ConnectionStatus>,
    last_close: RwSignal<Option<CloseExplanation>>,
    history: RwSignal<Vec<Attempt>>,
    settings: RwSignal<ConsoleSettings>,
    metrics: RwSignal<LiveMetrics>,
    metrics_store: StoredValue<LiveMetrics>,
    page_marks: RwSignal<PageMarks>,
    protocols: StoredValue<Vec<String>>,
    supervisor: StoredValue<Supervisor>,
    runtime: StoredValue<Runtime, LocalStorage>,
}

impl Console {
    /// A console with the settings, history and log an earlier visit saved (if any),
    /// and no connection.
    pub fn new() -> Console {
        let settings = ConsoleSettings::default();
        let console = Console {
            log: RwSignal::new(EventLog::new(LOG_CAPACITY)),
            log_store: StoredValue::new(EventLog::new(LOG_CAPACITY)),
            status: RwSignal::new(ConnectionStatus::Idle),
            last_close: RwSignal::new(None),
            history: RwSignal::new(Vec::new()),
            metrics: RwSignal::new(LiveMetrics::new()),
            metrics_store: StoredValue::new(LiveMetrics::new()),
            page_marks: RwSignal::new(PageMarks::new()),
            protocols: StoredValue::new(Vec::new()),
            supervisor: StoredValue::new(Supervisor::new(
                settings.policy(),
                settings.heartbeat(),
                random::seed(),
            )),
            settings: RwSignal::new(settings),
            runtime: StoredValue::new_local(Runtime::default()),
        };
        match persist::load() {
            Ok(Some(saved)) => console.restore(saved),
            Ok(None) => {}
            Err(message) => console.record(None, LogEvent::Note { message }),
        }
        console
    }

    fn restore(&self, saved: SavedConsole) {
        let now = clock::now();
        let settings = if saved.settings.check().is_ok() {
            saved.settings
        } else {
            ConsoleSettings::default()
        };
        self.supervisor.update_value(|s| {
            s.set_policy(settings.policy());
            let _ = s.set_heartbeat(settings.heartbeat());
            s.restore_history(saved.history);
        });
        self.settings.set(settings);
        self.history
            .set(self.supervisor.with_value(|s| s.history().to_vec()));
        let mut marks = saved.page;
        let restored = saved.log.len();
        self.log_store
            .update_value(|log| log.restore(saved.log, now));
        if restored > 0 {
            marks.record(now, &LogEvent::Restored { entries: restored });
        }
        self.page_marks.set(marks);
        self.publish();
    }

    /// The event log.
    pub fn log(&self) -> ReadSignal<EventLog> {
        self.log.read_only()
    }

    /// The connection's status.
    pub fn status(&self) -> ReadSignal<ConnectionStatus> {
        self.status.read_only()
    }

    /// The last close, explained.
    pub fn last_close(&self) -> ReadSignal<Option<CloseExplanation>> {
        self.last_close.read_only()
    }

    /// Every connection attempt so far (bounded), for the reconnection history.
    pub fn history(&self) -> ReadSignal<Vec<Attempt>> {
        self.history.read_only()
    }

    /// The settings in force.
    pub fn settings(&self) -> ReadSignal<ConsoleSettings> {
        self.settings.read_only()
    }

    /// The live metrics (refreshed at most every `PUBLISH_MS`).
    pub fn metrics(&self) -> ReadSignal<LiveMetrics> {
        self.metrics.read_only()
    }

    /// The page's hidden spans and marks, for the timelines.
    pub fn page_marks(&self) -> ReadSignal<PageMarks> {
        self.page_marks.read_only()
    }

    /// The page's clock now, for views that show "in the last minute".
    pub fn now(&self) -> Millis {
        clock::now()
    }

    /// The next `count` waits of the reconnect policy in force: (ceiling, one jittered
    /// example) in ms, so the user sees what auto-reconnect will do before it happens.
    pub fn reconnect_preview(&self, count: usize, seed: u64) -> Vec<(u64, u64)> {
        let policy = self.settings.with(ConsoleSettings::policy);
        policy
            .preview(seed, count)
            .into_iter()
            .enumerate()
            .map(|(attempt, example)| (policy.ceiling_ms(attempt as u32), example))
            .collect()
    }

    /// Puts new settings in force: the policy at the next close, a heartbeat at once on
    /// an open connection. Refused (nothing changes) with the reason when inconsistent.
    pub fn apply_settings(&self, settings: ConsoleSettings) -> Result<(), String> {
        settings.check()?;
        let heartbeat = settings.heartbeat();
        let policy = settings.policy();
        let Some(commands) = self.supervisor.try_update_value(|s| {
            s.set_policy(policy);
            s.set_heartbeat(heartbeat)
        }) else {
            return Ok(());
        };
        for command in commands {
            self.execute(command);
        }
        self.settings.set(settings);
        self.save_now();
        Ok(())
    }

    /// Turns auto-reconnect on or off (takes effect at the next close).
    pub fn set_auto_reconnect(&self, on: bool) {
        let mut settings = self.settings.get_untracked();
        settings.auto_reconnect = on;
        if let Err(message) = self.apply_settings(settings) {
            self.record(None, LogEvent::Note { message });
        }
    }

    /// Shows or masks secrets in targets' query strings (log, exports).
    pub fn set_show_secrets(&self, show: bool) {
        self.settings.update(|s| s.show_secrets = show);
        self.save_now();
    }

    /// Offers the kept log as a JSON-lines file (secrets masked unless shown).
    pub fn export_log(&self) {
        let text = self.log_as_json_lines();
        if let Err(message) = download::offer("wsdoctor-log.jsonl", "application/x-ndjson", &text) {
            self.record(
                None,
                LogEvent::Note {
                    message: format!("export failed: {message}"),
                },
            );
        }
    }

    /// The kept log as JSON lines, as `export_log` writes it.
    pub fn log_as_json_lines(&self) -> String {
        let show = self.settings.with_untracked(|s| s.show_secrets);
        self.log_store.with_value(|log| log.to_json_lines(show))
    }

    /// Opens a connection to `target`, replacing any current one. A target that is not a
    /// usable WebSocket URL is refused with a message saying why, before any socket exists.
    /// `protocols`: the subprotocols to ask for, comma-separated (empty: none).
    pub fn connect(&self, target: &str, protocols_text: &str) {
        let url = target.trim().to_string();
        let protocols = match parse_subprotocols(protocols_text) {
            Ok(protocols) => protocols,
            Err(message) => return self.record(None, LogEvent::Refused { message }),
        };
        self.protocols.set_value(protocols);
        self.settings.update(|s| {
            s.target = url.clone();
            s.subprotocols = protocols_text.to_string();
        });
        if let Err(err) = check_target(&url, page_is_https()) {
            self.record(None, LogEvent::Connecting { url });
            self.record(
                None,
                LogEvent::Refused {
                    message: err.to_string(),
                },
            );
            return;
        }
        self.feed(Input::Connect { url });
    }

    /// Closes the connection with 1000 and cancels any pending reconnect.
    pub fn disconnect(&self) {
        self.feed(Input::Disconnect);
    }

    /// Closes with a chosen code and reason; refuses (in the log) what a page may not send.
    pub fn close_with(&self, code: u16, reason: &str) {
        if let Some(why) = close_code::why_page_may_not_close_with(code) {
            self.record(None, LogEvent::SendFailed { message: why });
            return;
        }
        if reason.len() > close_code::MAX_REASON_BYTES {
            self.record(
                None,
                LogEvent::SendFailed {
                    message: format!(
                        "the reason is {} bytes; at most {} fit a close frame",
                        reason.len(),
                        close_code::MAX_REASON_BYTES
                    ),
                },
            );
            return;
        }
        self.feed(Input::CloseWith {
            code,
            reason: reason.to_string(),
        });
    }

    /// Sends a text message on the open connection.
    pub fn send(&self, text: &str) {
        if let Some(conn) = self.open_conn() {
            self.send_on(conn, Payload::Text(text));
        }
    }

    /// Sends a binary message typed as hex ("de ad be ef"); bad hex is refused, saying
    /// where.
    pub fn send_hex(&self, typed: &str) {
        let bytes = match hex::parse_hex(typed) {
            Ok(bytes) => bytes,
            Err(message) => return self.record(None, LogEvent::SendFailed { message }),
        };
        if let Some(conn) = self.open_conn() {
            self.send_on(conn, Payload::Binary(&bytes));
        }
    }

    /// The open connection, or a note in the log that there is none.
    fn open_conn(&self) -> Option<ConnId> {
        match self.supervisor.with_value(|s| s.state().clone()) {
            State::Open { conn, .. } => Some(conn),
            _ => {
                self.record(
                    None,
                    LogEvent::SendFailed {
                        message: "not connected: press Connect first".into(),
                    },
                );
                None
            }
        }
    }

    /// Records an event of the page's life, and keeps it as evidence for the open
    /// connections' diagnosis (hidden, offline, slept).
    pub fn record_page_event(&self, event: PageEvent) {
        let _ = self.runtime.try_update_value(|rt| {
            for facts in rt.facts.values_mut().filter(|f| f.opened_at.is_some()) {
                match event {
                    PageEvent::Hidden | PageEvent::Frozen => facts.hidden_while_open = true,
                    PageEvent::Offline => facts.went_offline = true,
                    PageEvent::ClockJump(by) => {
                        facts.clock_jump = Some(facts.clock_jump.unwrap_or(0.0) + by as f64);
                    }
                    _ => {}
                }
            }
        });
        let leaving = matches!(event, PageEvent::PageHide(_));
        let logged = match event {
            PageEvent::Hidden => LogEvent::PageHidden,
            PageEvent::Visible => LogEvent::PageVisible,
            PageEvent::PageHide(persisted) => LogEvent::PageHide { persisted },
            PageEvent::PageShow(persisted) => LogEvent::PageShow { persisted },
            PageEvent::Frozen => LogEvent::Frozen,
            PageEvent::Resumed => LogEvent::Resumed,
            PageEvent::Offline => LogEvent::Offline,
            PageEvent::Online => LogEvent::Online,
            PageEvent::ClockJump(by_ms) => LogEvent::ClockJump { by_ms },
        };
        let now = clock::now();
        let _ = self
            .page_marks
            .try_update(|marks| marks.record(now, &logged));
        self.record(None, logged);
        if leaving {
            self.save_now(); // the page may not come back: keep what it knows
        }
    }

    /// Empties the log (also the saved copy).
    pub fn clear_log(&self) {
        self.log_store.update_value(EventLog::clear);
        self.log.update(EventLog::clear);
        self.save_now();
    }

    fn send_on(&self, conn: ConnId, payload: Payload) {
        let now = clock::now();
        let outcome = self.runtime.with_value(|rt| match rt.sockets.get(&conn) {
            Some(socket) => match payload {
                Payload::Text(text) => socket.send_text(text),
                Payload::Binary(bytes) => socket.send_bytes(bytes),
            },
            None => Err("the connection is gone".into()),
        });
        let event = match outcome {
            Ok(()) => {
                let size = payload.len();
                self.runtime.update_value(|rt| {
                    let facts = rt.facts.entry(conn).or_default();
                    facts.last_traffic = Some(now);
                    facts.largest_sent = Some(facts.largest_sent.unwrap_or(0).max(size));
                });
                self.metrics_store.update_value(|m| m.sent(conn, now));
                LogEvent::Sent(payload.summary())
            }
            Err(message) => LogEvent::SendFailed { message },
        };
        self.record(Some(conn), event);
    }

    /// Hands one input to the supervisor and carries out its commands.
    fn feed(&self, input: Input) {
        let now = clock::now();
        let changes_history = !matches!(input, Input::Message(_));
        let is_retry = matches!(input, Input::Timer(TimerId::Reconnect(_)));
        let Some(commands) = self.supervisor.try_update_value(|s| s.handle(now, input)) else {
            return; // the console is gone
        };
        for command in commands {
            if is_retry && matches!(command, Command::Open { .. }) {
                self.metrics_store
                    .update_value(|m| m.reconnect_started(now));
            }
            self.execute(command);
        }
        self.publish_status();
        if changes_history
            && let Some(history) = self.supervisor.try_with_value(|s| s.history().to_vec())
        {
            let _ = self.history.try_set(history);
        }
    }

    fn execute(&self, command: Command) {
        match command {
            Command::Open { conn, url } => self.open(conn, &url),
            Command::Close { conn, code, reason } => {
                let outcome = self
                    .runtime
                    .with_value(|rt| rt.sockets.get(&conn).map(|s| s.close(code, &reason)));
                match outcome {
                    Some(Ok(())) => self.record(Some(conn), LogEvent::Closing { code, reason }),
                    Some(Err(message)) => self.record(Some(conn), LogEvent::SendFailed { message }),
                    None => {}
                }
            }
            Command::Drop(conn) => {
                self.metrics_store.update_value(|m| m.dropped(conn));
                self.runtime.update_value(|rt| {
                    if let Some(socket) = rt.sockets.remove(&conn) {
                        rt.graveyard_sockets.push(socket);
                    }
                })
            }
            Command::Send { conn, payload } => self.send_on(conn, Payload::Text(&payload)),
            Command::StartTimer { id, after_ms } => {
                let console = *self;
                self.runtime.update_value(|rt| {
                    rt.timers
                        .start(ConsoleTimer::Supervisor(id), after_ms, move || {
                            console.timer_fired(id)
                        })
                });
            }
            Command::CancelTimer(id) => self
                .runtime
                .update_value(|rt| rt.timers.cancel(ConsoleTimer::Supervisor(id))),
        }
    }

    fn open(&self, conn: ConnId, url: &str) {
        self.record(
            Some(conn),
            LogEvent::Connecting {
                url: url.to_string(),
            },
        );
        let console = *self;
        let protocols = self.protocols.get_value();
        match Socket::open(url, &protocols, move |event| {
            console.on_socket_event(conn, event)
        }) {
            Ok(socket) => self.runtime.update_value(|rt| {
                rt.sockets.insert(conn, socket);
                rt.facts.insert(conn, SocketFacts::default());
            }),
            Err(err) => {
                self.record(
                    Some(conn),
                    LogEvent::Refused {
                        message: err.to_string(),
                    },
                );
                // The supervisor sees it as a failed attempt, like a browser's 1006.
                self.feed(Input::Closed {
                    conn,
                    code: 1006,
                    reason: "the browser refused to open the connection".into(),
                });
            }
        }
    }

    fn timer_fired(&self, id: TimerId) {
        // The firing timer must outlive this call: move it aside, drop older leftovers.
        let _ = self.runtime.try_update_value(|rt| {
            rt.timers.bury();
            rt.graveyard_sockets.clear();
            rt.timers.fired(ConsoleTimer::Supervisor(id));
        });
        self.feed(Input::Timer(id));
    }

    fn on_socket_event(&self, conn: ConnId, event: SocketEvent) {
        let now = clock::now();
        // Leftovers from elsewhere may go now; this socket is not among them (it is live).
        let _ = self.runtime.try_update_value(|rt| {
            rt.timers.bury();
            rt.graveyard_sockets.clear();
        });
        match event {
            SocketEvent::Opened {
                protocol,
                extensions,
            } => {
                let companion = protocol == wsdoctor_core::COMPANION_SUBPROTOCOL;
                let _ = self.runtime.try_update_value(|rt| {
                    let facts = rt.facts.entry(conn).or_default();
                    facts.opened_at = Some(now);
                    facts.last_traffic = Some(now);
                    facts.companion = companion;
                });
                let _ = self.metrics_store.try_update_value(|m| m.opened(conn));
                self.record(
                    Some(conn),
                    LogEvent::Opened {
                        protocol,
                        extensions,
                    },
                );
                self.feed(Input::Opened(conn));
                if companion
                    && let Some(hello) = self.runtime.try_with_value(|rt| rt.companion.hello())
                {
                    self.send_on(conn, Payload::Text(&hello));
                }
            }
            SocketEvent::Text(text) => {
                self.note_traffic(conn, now);
                self.record(Some(conn), LogEvent::Received(MessageSummary::text(&text)));
                self.feed(Input::Message(conn));
                self.on_companion_message(conn, &text);
            }
            SocketEvent::Binary(bytes) => {
                self.note_traffic(conn, now);
                self.record(
                    Some(conn),
                    LogEvent::Received(MessageSummary::binary(&bytes)),
                );
                self.feed(Input::Message(conn));
            }
            SocketEvent::Error => self.record(Some(conn), LogEvent::Error),
            SocketEvent::Closed {
                code,
                reason,
                was_clean,
            } => {
                let _ = self
                    .metrics_store
                    .try_update_value(|m| m.closed(conn, code));
                self.record(
                    Some(conn),
                    LogEvent::Closed {
                        code,
                        reason: reason.clone(),
                        was_clean,
                    },
                );
                self.explain(conn, now, code, &reason, was_clean);
                // This socket is running this callback: keep it until the next event.
                let _ = self.runtime.try_update_value(|rt| {
                    if let Some(socket) = rt.sockets.remove(&conn) {
                        rt.graveyard_sockets.push(socket);
                    }
                });
                self.feed(Input::Closed { conn, code, reason });
            }
        }
    }

    fn note_traffic(&self, conn: ConnId, now: Millis) {
        let _ = self.runtime.try_update_value(|rt| {
            if let Some(facts) = rt.facts.get_mut(&conn) {
                facts.last_traffic = Some(now);
            }
        });
        let _ = self
            .metrics_store
            .try_update_value(|m| m.received(conn, now));
    }

    fn explain(&self, conn: ConnId, now: Millis, code: u16, reason: &str, was_clean: bool) {
        let facts = self
            .runtime
            .try_update_value(|rt| rt.facts.remove(&conn))
            .flatten()
            .unwrap_or_default();
        let context = CloseContext {
            code,
            reason: reason.to_string(),
            was_clean,
            opened: facts.opened_at.is_some(),
            open_for: facts.opened_at.map(|at| now - at),
            silent_for: facts.last_traffic.map(|at| now - at),
            hidden_while_open: facts.hidden_while_open,
            went_offline: facts.went_offline,
            clock_jump: facts.clock_jump,
            largest_sent_bytes: facts.largest_sent,
            ..CloseContext::default()
        };
        if facts.companion {
            let _ = self
                .runtime
                .try_update_value(|rt| rt.companion.closed(conn, context.clone()));
        }
        let explanation = CloseExplanation {
            conn,
            code,
            reason: reason.to_string(),
            was_clean,
            open_for_ms: context.open_for.map(|ms| ms as u64),
            findings: diagnose(&context),
            server: None,
        };
        // The explanation of a drop stays while reconnect attempts fail before opening:
        // those are in the history, and the drop is what the user needs explained.
        let keep_previous = explanation.open_for_ms.is_none()
            && self
                .last_close
                .try_with_untracked(|last| last.as_ref().is_some_and(|l| l.open_for_ms.is_some()))
                .unwrap_or(false);
        if !keep_previous {
            let _ = self.last_close.try_set(Some(explanation));
        }
    }

    /// A text message on a companion connection: the link may ask about the last close,
    /// or bring the server's view of it, which explains that close again.
    fn on_companion_message(&self, conn: ConnId, text: &str) {
        let step = self
            .runtime
            .try_update_value(|rt| {
                rt.facts
                    .get(&conn)
                    .is_some_and(|f| f.companion)
                    .then(|| rt.companion.message(conn, text))
            })
            .flatten();
        match step {
            Some(Step::Send(text)) => self.send_on(conn, Payload::Text(&text)),
            Some(Step::AskAgainSoon) => {
                let console = *self;
                let _ = self.runtime.try_update_value(|rt| {
                    rt.timers
                        .start(ConsoleTimer::AskServer(conn), ASK_AGAIN_MS, move || {
                            console.ask_server_again(conn)
                        })
                });
            }
            Some(Step::Explained {
                conn: closed,
                context,
            }) => {
                let _ = self.last_close.try_update(|last| {
                    if let Some(last) = last.as_mut().filter(|l| l.conn == closed) {
                        last.findings = diagnose(&context);
                        last.server = context.server;
                    }
                });
            }
            Some(Step::Nothing) | None => {}
        }
    }

    fn ask_server_again(&self, conn: ConnId) {
        let _ = self.runtime.try_update_value(|rt| {
            rt.timers.bury();
            rt.graveyard_sockets.clear();
            rt.timers.fired(ConsoleTimer::AskServer(conn));
        });
        let open = self
            .runtime
            .try_with_value(|rt| rt.sockets.contains_key(&conn))
            .unwrap_or(false);
        if let (true, Some(Some(ask))) =
            (open, self.runtime.try_with_value(|rt| rt.companion.ask()))
        {
            self.send_on(conn, Payload::Text(&ask));
        }
    }

    fn publish_status(&self) {
        let Some((state, last_code)) = self.supervisor.try_with_value(|s| {
            let last_code = s.history().last().and_then(|a| a.code);
            (s.state().clone(), last_code)
        }) else {
            return;
        };
        let status = match state {
            State::Idle => last_code.map_or(ConnectionStatus::Idle, ConnectionStatus::Closed),
            State::Connecting(_) => ConnectionStatus::Connecting,
            State::Open { .. } => ConnectionStatus::Open,
            State::Closing(_) => ConnectionStatus::Closing,
            State::Waiting { until, retry } => ConnectionStatus::Waiting {
                retry,
                in_ms: (until - clock::now()).max(0.0) as u64,
            },
            State::GaveUp(why) => ConnectionStatus::GaveUp(why),
        };
        if self.status.try_get_untracked().as_ref() != Some(&status) {
            let _ = self.status.try_set(status);
        }
    }

    /// Adds to the log. The page sees the log at most every `PUBLISH_MS`, so a flood
    /// of messages costs one render per interval, not one per message.
    fn record(&self, conn: Option<ConnId>, event: LogEvent) {
        let at = clock::now();
        if self
            .log_store
            .try_update_value(|log| log.push(at, conn, event))
            .is_none()
        {
            return; // the console is gone
        }
        let pending = self
            .runtime
            .try_with_value(|rt| rt.timers.is_pending(ConsoleTimer::Publish))
            .unwrap_or(true);
        if pending {
            return;
        }
        let console = *self;
        let _ = self.runtime.try_update_value(|rt| {
            rt.timers.start(ConsoleTimer::Publish, PUBLISH_MS, move || {
                console.publish_tick()
            })
        });
    }

    fn publish_tick(&self) {
        // The firing timer is kept aside until the next event: it is running now.
        let _ = self
            .runtime
            .try_update_value(|rt| rt.timers.fired(ConsoleTimer::Publish));
        self.publish();
        let now = clock::now();
        let due = self
            .runtime
            .try_with_value(|rt| rt.last_save.is_none_or(|at| now - at >= SAVE_MS))
            .unwrap_or(false);
        if due {
            self.save_now();
        }
    }

    /// Shows the page the log and metrics as they are now.
    fn publish(&self) {
        if let Some(snapshot) = self.log_store.try_get_value() {
            let _ = self.log.try_set(snapshot);
        }
        if let Some(snapshot) = self.metrics_store.try_get_value() {
            let _ = self.metrics.try_set(snapshot);
        }
    }

    /// Saves settings, history, page marks and the newest log entries for a reload.
    fn save_now(&self) {
        let now = clock::now();
        let _ = self.runtime.try_update_value(|rt| rt.last_save = Some(now));
        let (Some(settings), Some(history), Some(page), Some(log)) = (
            self.settings.try_get_untracked(),
            self.supervisor.try_with_value(|s| s.history().to_vec()),
            self.page_marks.try_get_untracked(),
            self.log_store.try_with_value(|log| {
                let skip = log
                    .entries()
                    .len()
                    .saturating_sub(wsdoctor_core::saved::SAVED_LOG_ENTRIES);
                log.entries().skip(skip).cloned().collect::<Vec<_>>()
            }),
        ) else {
            return;
        };
        let saved = SavedConsole {
            version: wsdoctor_core::saved::SAVED_VERSION,
            saved_wall_ms: clock::wall_now(),
            saved_at: now,
            settings,
            history,
            page,
            log,
        };
        if let Err(message) = persist::save(&saved) {
            self.record(None, LogEvent::Note { message });
        }
    }
}

/// A message to send, as typed.
#[derive(Clone, Copy)]
enum Payload<'a> {
    Text(&'a str),
    Binary(&'a [u8]),
}

impl Payload<'_> {
    fn len(&self) -> usize {
        match self {
            Payload::Text(text) => text.len(),
            Payload::Binary(bytes) => bytes.len(),
        }
    }

    fn summary(&self) -> MessageSummary {
        match self {
            Payload::Text(text) => MessageSummary::text(text),
            Payload::Binary(bytes) => MessageSummary::binary(bytes),
        }
    }
}

impl Default for Console {
    fn default() -> Self {
        Console::new()
    }
}
