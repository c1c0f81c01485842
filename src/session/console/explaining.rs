//! Explaining a close: core's `Evidence` assembles the socket's `CloseContext`, diagnosed
//! into findings; with the companion, the next connection asks
//! how the server saw the close, and the explanation is redone with both sides.

use leptos::prelude::*;
use wsdoctor_core::Millis;
use wsdoctor_core::companion_link::{ASK_AGAIN_MS, Step};
use wsdoctor_core::diagnosis::diagnose;
use wsdoctor_core::event_log::ConnId;
use wsdoctor_core::profile::closes;

use super::{CloseExplanation, Console, ConsoleTimer, Payload};

impl Console {
    /// Explains the close of `conn`; returns why no retry should follow, when the
    /// application protocol made it final.
    pub(super) fn explain(
        &self,
        conn: ConnId,
        now: Millis,
        code: u16,
        reason: &str,
        was_clean: bool,
    ) -> Option<String> {
        let closed = self
            .runtime
            .try_update_value(|rt| rt.evidence.closed(conn, now, code, reason, was_clean))?;
        let mut context = closed.context.clone();
        context.protocol = self.take_profile_facts(conn, now).map(Box::new);
        let final_reason = context
            .protocol
            .as_deref()
            .and_then(|facts| closes::final_reason(facts, code));
        if closed.companion {
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
        let shown_is_a_drop = self
            .last_close
            .try_with_untracked(|last| last.as_ref().is_some_and(|l| l.open_for_ms.is_some()))
            .unwrap_or(false);
        if closed.replaces(shown_is_a_drop) {
            let _ = self.last_close.try_set(Some(explanation));
        }
        final_reason
    }

    /// A text message on a companion connection: the link may ask about the last close,
    /// or bring the server's view of it, which explains that close again.
    pub(super) fn on_companion_message(&self, conn: ConnId, text: &str) {
        let step = self
            .runtime
            .try_update_value(|rt| {
                rt.evidence
                    .is_companion(conn)
                    .then(|| rt.companion.message(conn, text))
            })
            .flatten();
        match step {
            Some(Step::Send(text)) => self.send_on(conn, Payload::Text(&text)),
            Some(Step::AskAgainSoon) => {
                let console = *self;
                self.driver
                    .start_timer(ConsoleTimer::AskServer(conn), ASK_AGAIN_MS, move || {
                        console.ask_server_again(conn)
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
        let open = self.driver.has(conn);
        if let (true, Some(Some(ask))) =
            (open, self.runtime.try_with_value(|rt| rt.companion.ask()))
        {
            self.send_on(conn, Payload::Text(&ask));
        }
    }
}
