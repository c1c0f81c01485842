//! Driving the connection: each input goes to core's `Supervisor`, each of its commands
//! is carried out through the session's `Driver` (sockets, timers), and every socket and
//! timer event is fed back in, and into core's `Evidence`.

use leptos::prelude::*;
use wsdoctor_core::Millis;
use wsdoctor_core::event_log::{ConnId, LogEvent, MessageSummary};
use wsdoctor_core::supervisor::{Command, Input, TimerId};

use wsdoctor_core::target::mask_secrets_in_text;

use super::{Console, ConsoleTimer, Payload};
use crate::browser::clock;
use crate::browser::socket::{SendError, SocketEvent};

impl Console {
    pub(super) fn send_on(&self, conn: ConnId, payload: Payload) {
        let now = clock::now();
        let outcome = match payload {
            Payload::Text(text) => self.driver.send_text(conn, text),
            Payload::Binary(bytes) => self.driver.send_bytes(conn, bytes),
        };
        let event = match outcome {
            Ok(()) => {
                let decoded = match payload {
                    Payload::Text(text) => self.profile_sent(conn, text),
                    Payload::Binary(_) => None,
                };
                let size = payload.len();
                let _ = self
                    .runtime
                    .try_update_value(|rt| rt.evidence.sent(conn, now, size));
                if let Payload::Text(text) = payload {
                    let _ = self
                        .metrics
                        .try_update_untracked(|m| m.sent(conn, now, text));
                }
                LogEvent::Sent(payload.summary().read_as(decoded))
            }
            Err(err) => LogEvent::SendFailed {
                message: err.to_string(),
            },
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
                        let _ = self
                            .metrics
                            .try_update_untracked(|m| m.reconnect_started(now));
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
            Command::Close { conn, code, reason } => match self.driver.close(conn, code, &reason) {
                Ok(()) => self.record(Some(conn), LogEvent::Closing { code, reason }),
                Err(SendError::Gone) => {}
                Err(err) => self.record(
                    Some(conn),
                    LogEvent::SendFailed {
                        message: err.to_string(),
                    },
                ),
            },
            Command::Drop(conn) => {
                let _ = self.metrics.try_update_untracked(|m| m.dropped(conn));
                let _ = self.take_profile_facts(conn, clock::now());
                self.driver.forget(conn);
            }
            Command::Send { conn, payload } => self.send_on(conn, Payload::Text(&payload)),
            Command::StartTimer { id, after_ms } => {
                let console = *self;
                self.driver
                    .start_timer(ConsoleTimer::Supervisor(id), after_ms, move || {
                        console.feed(Input::Timer(id))
                    });
            }
            Command::CancelTimer(id) => self.driver.cancel_timer(ConsoleTimer::Supervisor(id)),
        }
    }

    pub(super) fn open(&self, conn: ConnId, url: &str, by_user: bool) {
        self.record(
            Some(conn),
            LogEvent::Connecting {
                url: url.to_string(),
            },
        );
        let _ = self
            .runtime
            .try_update_value(|rt| rt.evidence.started(conn, by_user));
        self.start_profile(conn, url);
        let console = *self;
        let protocols = self.protocols.get_value();
        let opened = self.driver.open(conn, url, &protocols, move |event| {
            console.on_socket_event(conn, event)
        });
        match opened {
            Ok(()) => {}
            Err(err) => {
                self.record(
                    Some(conn),
                    LogEvent::Refused {
                        message: err.to_string(),
                    },
                );
                let _ = self.take_profile_facts(conn, clock::now());
                // The supervisor sees it as a failed attempt, like a browser's 1006.
                self.feed(Input::Closed {
                    conn,
                    code: 1006,
                    reason: "the browser refused to open the connection".into(),
                });
            }
        }
    }

    pub(super) fn on_socket_event(&self, conn: ConnId, event: SocketEvent) {
        let now = clock::now();
        match event {
            SocketEvent::Opened {
                protocol,
                extensions,
            } => {
                let companion = protocol == wsdoctor_core::COMPANION_SUBPROTOCOL;
                let _ = self
                    .runtime
                    .try_update_value(|rt| rt.evidence.opened(conn, now, &protocol));
                let _ = self.metrics.try_update_untracked(|m| m.opened(conn));
                self.record(
                    Some(conn),
                    LogEvent::Opened {
                        protocol: protocol.clone(),
                        extensions,
                    },
                );
                self.feed(Input::Opened(conn));
                self.profile_opened(conn, now, &protocol);
                if companion
                    && let Some(hello) = self.runtime.try_with_value(|rt| rt.companion.hello())
                {
                    self.send_on(conn, Payload::Text(&hello));
                }
            }
            SocketEvent::Text(text) => {
                self.note_traffic(conn, now, Some(&text));
                let (decoded, replies) = self.profile_received(conn, now, &text);
                self.record(
                    Some(conn),
                    LogEvent::Received(MessageSummary::text(&text).read_as(decoded)),
                );
                self.feed(Input::Message(conn));
                self.on_companion_message(conn, &text);
                self.run_profile_actions(conn, replies);
            }
            SocketEvent::LongText { head, bytes } => {
                self.note_traffic(conn, now, None);
                self.record(
                    Some(conn),
                    LogEvent::Received(MessageSummary::text_start(&head, bytes)),
                );
                self.feed(Input::Message(conn));
            }
            SocketEvent::Binary { head, bytes } => {
                self.note_traffic(conn, now, None);
                self.record(
                    Some(conn),
                    LogEvent::Received(MessageSummary::binary_start(&head, bytes)),
                );
                self.feed(Input::Message(conn));
            }
            SocketEvent::Error => self.record(Some(conn), LogEvent::Error),
            SocketEvent::Closed {
                code,
                reason,
                was_clean,
            } => {
                let _ = self.metrics.try_update_untracked(|m| m.closed(conn, code));
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
                if let Some(why) = self.explain(conn, now, code, &reason, was_clean) {
                    self.feed(Input::EndedForGood { conn, why });
                }
                self.feed(Input::Closed { conn, code, reason });
            }
        }
    }

    /// Traffic on `conn`: evidence for the close explanation, and (for a text) perhaps
    /// the round trip of one of the page's own messages.
    pub(super) fn note_traffic(&self, conn: ConnId, now: Millis, text: Option<&str>) {
        let _ = self
            .runtime
            .try_update_value(|rt| rt.evidence.received(conn, now));
        if let Some(text) = text {
            let _ = self
                .metrics
                .try_update_untracked(|m| m.received(conn, now, text));
        }
    }
}
