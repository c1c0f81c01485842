//! The connection console: core's `Supervisor` decides, this module carries its commands
//! out through `browser/` (sockets, timers), feeds every browser event back in, keeps the
//! event log, and explains each close with core's diagnosis.
//!
//! Every socket has a `ConnId`; events are logged under the id of the socket that
//! reported them. Sockets and timers are kept by the session's one `Driver`; what the
//! page saw of each connection is kept as core's `Evidence` for explaining its close.
//!
//! Per message the console does little (count, summarise, feed the supervisor); the log
//! and the live metrics are updated in place without telling the page, which is told at
//! most every `PUBLISH_MS` (nothing is copied for it), and the state is saved for a
//! reload at most every `SAVE_MS`.
//!
//! This file holds the console's state and what components call; `driving` carries the
//! supervisor's commands out and feeds events in, `explaining` turns a close into
//! findings (with the companion's side when there is one), `publishing` shows the page
//! the log, metrics and status, and saves and restores the console across reloads;
//! `view` is what components read (`ConsoleView`), apart from the actions here.

use std::collections::BTreeMap;

use leptos::prelude::*;
use wsdoctor_core::companion_link::CompanionLink;
use wsdoctor_core::event_log::{ConnId, EventLog, LogEvent, MessageSummary};
use wsdoctor_core::evidence::Evidence;
use wsdoctor_core::live_metrics::LiveMetrics;
use wsdoctor_core::page_marks::PageMarks;
use wsdoctor_core::profile::ProfileSession;
use wsdoctor_core::profile::detect::Detection;
use wsdoctor_core::settings::ConsoleSettings;
use wsdoctor_core::supervisor::{Attempt, Input, State, Supervisor, TimerId};
use wsdoctor_core::target::{check_target, parse_subprotocols};
use wsdoctor_core::{Millis, close_code, hex};

use super::driver::Driver;
use super::page::page_is_https;
use super::persist;
use super::status::{CloseExplanation, ConnectionStatus};
use crate::browser::lifecycle::PageEvent;
use crate::browser::{clock, download, random};

mod driving;
mod explaining;
mod profiling;
mod publishing;
mod view;

pub use view::ConsoleView;

/// How often, at most, the page redraws the log and the live metrics.
const PUBLISH_MS: u64 = 100;
/// How often, at most, the console saves its state for a reload.
const SAVE_MS: Millis = 2_000.0;

/// The console's timers: the supervisor's, and the next redraw of the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum ConsoleTimer {
    Supervisor(TimerId),
    Publish,
    /// Ask the companion again how it saw the last close, on this connection.
    AskServer(ConnId),
    /// The protocol profile's timer on this connection (Engine.IO v3's client ping).
    Profile(ConnId),
}

/// What the console keeps beside the supervisor: the evidence for explaining closes, the
/// link to the companion, and when it last saved.
#[derive(Default)]
struct Runtime {
    evidence: Evidence,
    companion: CompanionLink,
    last_save: Option<Millis>,
    /// The protocol profile of each connection not yet closed.
    profiles: BTreeMap<ConnId, ProfileSession>,
}

/// The console's state, cheap to copy into callbacks and components.
#[derive(Clone, Copy)]
pub struct Console {
    /// Updated in place on every event; the page is told at most every `PUBLISH_MS`.
    log: RwSignal<EventLog>,
    status: RwSignal<ConnectionStatus>,
    last_close: RwSignal<Option<CloseExplanation>>,
    history: RwSignal<Vec<Attempt>>,
    settings: RwSignal<ConsoleSettings>,
    /// Like `log`: updated in place, the page told at most every `PUBLISH_MS`.
    metrics: RwSignal<LiveMetrics>,
    page_marks: RwSignal<PageMarks>,
    /// The protocol profile of the newest connection, with its evidence (`None`: raw).
    profile: RwSignal<Option<Detection>>,
    protocols: StoredValue<Vec<String>>,
    supervisor: StoredValue<Supervisor>,
    runtime: StoredValue<Runtime>,
    driver: Driver<ConnId, ConsoleTimer>,
}

impl Console {
    /// A console with the settings, history and log an earlier visit saved (if any),
    /// and no connection.
    pub fn new() -> Console {
        let settings = ConsoleSettings::default();
        let console = Console {
            log: RwSignal::new(EventLog::new(
                wsdoctor_core::event_log::CONSOLE_LOG_CAPACITY,
            )),
            status: RwSignal::new(ConnectionStatus::Idle),
            last_close: RwSignal::new(None),
            history: RwSignal::new(Vec::new()),
            metrics: RwSignal::new(LiveMetrics::new()),
            page_marks: RwSignal::new(PageMarks::new()),
            profile: RwSignal::new(None),
            protocols: StoredValue::new(Vec::new()),
            supervisor: StoredValue::new(Supervisor::new(
                settings.policy(),
                settings.heartbeat(),
                random::seed(),
            )),
            settings: RwSignal::new(settings),
            runtime: StoredValue::new(Runtime::default()),
            driver: Driver::new(),
        };
        match persist::load() {
            Ok(Some(saved)) => console.restore(saved),
            Ok(None) => {}
            Err(message) => console.record(None, LogEvent::Note { message }),
        }
        console
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
        self.log.with_untracked(|log| log.to_json_lines(show))
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
        let profile = self.settings.with_untracked(|s| s.profile);
        self.protocols.set_value(profile.protocols_for(&protocols));
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
        self.feed(Input::Connect {
            url: profile.url_for(&url),
        });
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
            .runtime
            .try_update_value(|rt| rt.evidence.page_event(&logged));
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
        self.log.update(EventLog::clear);
        self.save_now();
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
