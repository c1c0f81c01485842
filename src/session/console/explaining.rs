//! Explaining a close: the facts the console gathered about the socket become core's
//! `CloseContext`, diagnosed into findings; with the companion, the next connection asks
//! how the server saw the close, and the explanation is redone with both sides.

use leptos::prelude::*;
use wsdoctor_core::Millis;
use wsdoctor_core::companion_link::{ASK_AGAIN_MS, Step};
use wsdoctor_core::diagnosis::{CloseContext, LastSend, diagnose};
use wsdoctor_core::event_log::ConnId;

use super::{CloseExplanation, Console, ConsoleTimer, Payload};

impl Console {
    pub(super) fn explain(
        &self,
        conn: ConnId,
        now: Millis,
        code: u16,
        reason: &str,
        was_clean: bool,
    ) {
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
            last_sent: facts.last_sent.map(|(at, bytes)| LastSend {
                bytes,
                before_close: now - at,
            }),
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
        // The explanation of a drop stays while automatic reconnect attempts fail before
        // opening: those are in the history, and the drop is what the user needs
        // explained. A connection the user started gets its own explanation.
        let keep_previous = !facts.started_by_user
            && explanation.open_for_ms.is_none()
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
    pub(super) fn on_companion_message(&self, conn: ConnId, text: &str) {
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

    pub(super) fn ask_server_again(&self, conn: ConnId) {
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
}
