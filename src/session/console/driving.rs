//! Driving the connection: each input goes to core's `Supervisor`, each of its commands
//! is carried out through `browser/` (sockets, timers), and every socket and timer event
//! is fed back in. A socket or timer is never dropped inside its own callback.

use leptos::prelude::*;
use wsdoctor_core::Millis;
use wsdoctor_core::event_log::{ConnId, LogEvent, MessageSummary};
use wsdoctor_core::supervisor::{Command, Input, TimerId};
use wsdoctor_core::target::mask_secrets_in_text;

use super::{Console, ConsoleTimer, Payload, SocketFacts};
use crate::browser::clock;
use crate::browser::socket::{Socket, SocketEvent};

impl Console {
    pub(super) fn send_on(&self, conn: ConnId, payload: Payload) {
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
                    facts.last_sent = Some((now, size));
                });
                self.metrics_store.update_value(|m| m.sent(conn, now));
                LogEvent::Sent(payload.summary())
            }
            Err(message) => LogEvent::SendFailed { message },
        };
        self.record(Some(conn), event);
    }

    /// Hands one input to the supervisor and carries out its commands.
    pub(super) fn feed(&self, input: Input) {
        let now = clock::now();
        let changes_history = !matches!(input, Input::Message(_));
        let is_retry = matches!(input, Input::Timer(TimerId::Reconnect(_)));
        // A connection the user starts gets its own explanation when it closes; a retry's
        // failure before opening leaves the drop it retries after explained.
        let by_user = matches!(input, Input::Connect { .. });
        let Some(commands) = self.supervisor.try_update_value(|s| s.handle(now, input)) else {
            return; // the console is gone
        };
        for command in commands {
            match command {
                Command::Open { conn, url } => {
                    if is_retry {
                        self.metrics_store
                            .update_value(|m| m.reconnect_started(now));
                    }
                    self.open(conn, &url, by_user);
                }
                command => self.execute(command),
            }
        }
        self.publish_status();
        if changes_history
            && let Some(history) = self.supervisor.try_with_value(|s| s.history().to_vec())
        {
            let _ = self.history.try_set(history);
        }
    }

    pub(super) fn execute(&self, command: Command) {
        match command {
            Command::Open { conn, url } => self.open(conn, &url, false),
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

    pub(super) fn open(&self, conn: ConnId, url: &str, by_user: bool) {
        self.record(
            Some(conn),
            LogEvent::Connecting {
                url: url.to_string(),
            },
        );
        self.runtime.update_value(|rt| {
            rt.facts.insert(
                conn,
                SocketFacts {
                    started_by_user: by_user,
                    ..SocketFacts::default()
                },
            );
        });
        let console = *self;
        let protocols = self.protocols.get_value();
        match Socket::open(url, &protocols, move |event| {
            console.on_socket_event(conn, event)
        }) {
            Ok(socket) => self.runtime.update_value(|rt| {
                rt.sockets.insert(conn, socket);
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

    pub(super) fn timer_fired(&self, id: TimerId) {
        // The firing timer must outlive this call: move it aside, drop older leftovers.
        let _ = self.runtime.try_update_value(|rt| {
            rt.timers.bury();
            rt.graveyard_sockets.clear();
            rt.timers.fired(ConsoleTimer::Supervisor(id));
        });
        self.feed(Input::Timer(id));
    }

    pub(super) fn on_socket_event(&self, conn: ConnId, event: SocketEvent) {
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
                // The log keeps the reason as sent (masked when shown); the explanation
                // and the history show it with any URL's secrets masked.
                let reason = mask_secrets_in_text(&reason);
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

    pub(super) fn note_traffic(&self, conn: ConnId, now: Millis) {
        let _ = self.runtime.try_update_value(|rt| {
            if let Some(facts) = rt.facts.get_mut(&conn) {
                facts.last_traffic = Some(now);
            }
        });
        let _ = self
            .metrics_store
            .try_update_value(|m| m.received(conn, now));
    }
}
