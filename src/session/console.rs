//! The connection console: one socket at a time, its status, and the event log.
//!
//! Every socket gets a fresh `ConnId`. Events are logged under the id of the socket
//! that reported them, and only the current socket's events move the status.

use leptos::prelude::*;
use wsdoctor_core::event_log::{ConnId, EventLog, LogEvent, MessageSummary};
use wsdoctor_core::target::check_target;

use super::page::page_is_https;

use crate::browser::clock;
use crate::browser::socket::{Socket, SocketEvent};

/// How many log entries the console keeps; older ones are counted, not kept.
pub const LOG_CAPACITY: usize = 1000;

/// The code and reason the Disconnect button sends. An explicit 1000: a `close()`
/// without a code reaches the server as 1005 (no status).
const DISCONNECT_CODE: u16 = 1000;
const DISCONNECT_REASON: &str = "user pressed Disconnect";

/// Where the current connection stands, in the words the page shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionStatus {
    /// Nothing connected yet.
    Idle,
    /// The handshake is under way.
    Connecting,
    /// Open: messages can be sent.
    Open,
    /// The closing handshake is under way.
    Closing,
    /// Closed, with the code the browser reported.
    Closed(u16),
}

impl ConnectionStatus {
    /// A short label, shown as text so that colour is never the only signal.
    pub fn label(self) -> String {
        match self {
            ConnectionStatus::Idle => "not connected".into(),
            ConnectionStatus::Connecting => "connecting…".into(),
            ConnectionStatus::Open => "open".into(),
            ConnectionStatus::Closing => "closing…".into(),
            ConnectionStatus::Closed(code) => format!("closed ({code})"),
        }
    }

    /// A stable name for styles and tests.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Idle => "idle",
            ConnectionStatus::Connecting => "connecting",
            ConnectionStatus::Open => "open",
            ConnectionStatus::Closing => "closing",
            ConnectionStatus::Closed(_) => "closed",
        }
    }

    /// Whether a socket is live (connecting, open or closing).
    pub fn is_live(self) -> bool {
        matches!(
            self,
            ConnectionStatus::Connecting | ConnectionStatus::Open | ConnectionStatus::Closing
        )
    }
}

/// The console's state, cheap to copy into callbacks and components.
#[derive(Clone, Copy)]
pub struct Console {
    log: RwSignal<EventLog>,
    status: RwSignal<ConnectionStatus>,
    current: RwSignal<Option<ConnId>>,
    socket: StoredValue<Option<Socket>, LocalStorage>,
    next_conn: StoredValue<u32>,
}

impl Console {
    /// A console with an empty log and no connection.
    pub fn new() -> Console {
        Console {
            log: RwSignal::new(EventLog::new(LOG_CAPACITY)),
            status: RwSignal::new(ConnectionStatus::Idle),
            current: RwSignal::new(None),
            socket: StoredValue::new_local(None),
            next_conn: StoredValue::new(1),
        }
    }

    /// The event log.
    pub fn log(&self) -> ReadSignal<EventLog> {
        self.log.read_only()
    }

    /// The current connection's status.
    pub fn status(&self) -> ReadSignal<ConnectionStatus> {
        self.status.read_only()
    }

    /// Opens a connection to `target`, replacing any current one. A target that is not a
    /// usable WebSocket URL is refused with a message saying why, before any socket exists.
    pub fn connect(&self, target: &str) {
        // The old socket's handlers are detached as it is dropped: it cannot report here.
        drop(self.socket.try_update_value(Option::take));
        let conn = ConnId(self.next_conn.get_value());
        self.next_conn.update_value(|n| *n += 1);
        self.current.set(Some(conn));
        let url = target.trim().to_string();
        self.record(Some(conn), LogEvent::Connecting { url: url.clone() });
        if let Err(err) = check_target(&url, page_is_https()) {
            return self.refuse(conn, err.to_string());
        }
        let console = *self;
        match Socket::open(&url, &[], move |event| console.on_socket_event(conn, event)) {
            Ok(socket) => {
                self.socket.set_value(Some(socket));
                self.status.set(ConnectionStatus::Connecting);
            }
            Err(err) => self.refuse(conn, err.to_string()),
        }
    }

    /// Sends a text message on the current connection.
    pub fn send(&self, text: &str) {
        let conn = self.current.get_untracked();
        let outcome = self.socket.with_value(|socket| match socket {
            Some(socket) => socket.send_text(text),
            None => Err("not connected: press Connect first".into()),
        });
        let event = match outcome {
            Ok(()) => LogEvent::Sent(MessageSummary::text(text)),
            Err(message) => LogEvent::SendFailed { message },
        };
        self.record(conn, event);
    }

    /// Closes the current connection with code 1000.
    pub fn disconnect(&self) {
        let conn = self.current.get_untracked();
        let outcome = self.socket.with_value(|socket| {
            socket
                .as_ref()
                .map(|socket| socket.close(DISCONNECT_CODE, DISCONNECT_REASON))
        });
        match outcome {
            Some(Ok(())) => {
                self.record(
                    conn,
                    LogEvent::Closing {
                        code: DISCONNECT_CODE,
                        reason: DISCONNECT_REASON.into(),
                    },
                );
                if self.status.get_untracked() != ConnectionStatus::Closed(DISCONNECT_CODE) {
                    self.status.set(ConnectionStatus::Closing);
                }
            }
            Some(Err(message)) => self.record(conn, LogEvent::SendFailed { message }),
            None => {}
        }
    }

    /// Records the page going hidden or visible.
    pub fn record_visibility(&self, hidden: bool) {
        let event = if hidden {
            LogEvent::PageHidden
        } else {
            LogEvent::PageVisible
        };
        self.record(None, event);
    }

    /// Empties the log.
    pub fn clear_log(&self) {
        self.log.update(EventLog::clear);
    }

    fn refuse(&self, conn: ConnId, message: String) {
        self.record(Some(conn), LogEvent::Refused { message });
        self.status.set(ConnectionStatus::Idle);
    }

    fn on_socket_event(&self, conn: ConnId, event: SocketEvent) {
        let is_current = self.current.try_get_untracked().flatten() == Some(conn);
        let (logged, status) = match event {
            SocketEvent::Opened {
                protocol,
                extensions,
            } => (
                LogEvent::Opened {
                    protocol,
                    extensions,
                },
                Some(ConnectionStatus::Open),
            ),
            SocketEvent::Text(text) => (LogEvent::Received(MessageSummary::text(&text)), None),
            SocketEvent::Binary(bytes) => {
                (LogEvent::Received(MessageSummary::binary(&bytes)), None)
            }
            SocketEvent::Closed {
                code,
                reason,
                was_clean,
            } => (
                LogEvent::Closed {
                    code,
                    reason,
                    was_clean,
                },
                Some(ConnectionStatus::Closed(code)),
            ),
            SocketEvent::Error => (LogEvent::Error, None),
        };
        self.record(Some(conn), logged);
        if let (true, Some(status)) = (is_current, status) {
            let _ = self.status.try_set(status);
        }
    }

    fn record(&self, conn: Option<ConnId>, event: LogEvent) {
        let at = clock::now();
        let _ = self.log.try_update(|log| log.push(at, conn, event));
    }
}

impl Default for Console {
    fn default() -> Self {
        Console::new()
    }
}
