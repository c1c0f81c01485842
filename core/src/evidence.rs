//! The evidence the page gathers about each connection, for explaining its close: when it
//! opened, when traffic last moved, the largest and the last message the page sent, and
//! which events of the page's life happened while it was open (hidden, frozen, offline,
//! a clock jump: the machine slept).
//!
//! The session feeds in what happened; at the close, `closed` assembles the diagnosis's
//! `CloseContext` and says whether the new explanation should replace the one on screen.

use std::collections::BTreeMap;

use crate::Millis;
use crate::diagnosis::{CloseContext, LastSend};
use crate::event_log::{ConnId, LogEvent};

/// How many connections' evidence is kept at most: a connection let go without a close
/// event (its socket dropped) must not keep its evidence forever.
pub const MAX_TRACKED: usize = 16;

/// What the page knows about one connection beyond the supervisor's view.
#[derive(Clone, Debug, Default, PartialEq)]
struct Facts {
    started_by_user: bool,
    opened_at: Option<Millis>,
    last_traffic: Option<Millis>,
    hidden_while_open: bool,
    went_offline: bool,
    clock_jump: Option<Millis>,
    largest_sent: Option<usize>,
    last_sent: Option<(Millis, usize)>,
    companion: bool,
}

/// A closed connection's evidence, assembled.
#[derive(Clone, Debug, PartialEq)]
pub struct Closed {
    /// The context for `diagnose`.
    pub context: CloseContext,
    /// The server picked the companion's subprotocol: it can say how it saw the close.
    pub companion: bool,
    /// The user started this connection (Connect), rather than an automatic retry.
    pub started_by_user: bool,
}

impl Closed {
    /// Whether this close's explanation replaces the one shown. The explanation of a drop
    /// stays while automatic retries fail before opening (those are in the history, and
    /// the drop is what the user needs explained); a connection the user started, or one
    /// that opened, gets its own explanation.
    pub fn replaces(&self, shown_is_a_drop: bool) -> bool {
        self.started_by_user || self.context.opened || !shown_is_a_drop
    }
}

/// The evidence for every connection not yet closed.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    connections: BTreeMap<ConnId, Facts>,
}

impl Evidence {
    /// No evidence.
    pub fn new() -> Evidence {
        Evidence::default()
    }

    /// Connection `conn` starts connecting; `by_user`: the user pressed Connect.
    pub fn started(&mut self, conn: ConnId, by_user: bool) {
        self.connections.insert(
            conn,
            Facts {
                started_by_user: by_user,
                ..Facts::default()
            },
        );
        while self.connections.len() > MAX_TRACKED {
            self.connections.pop_first();
        }
    }

    /// Connection `conn` opened at `now` with subprotocol `protocol`.
    pub fn opened(&mut self, conn: ConnId, now: Millis, protocol: &str) {
        let facts = self.connections.entry(conn).or_default();
        facts.opened_at = Some(now);
        facts.last_traffic = Some(now);
        facts.companion = protocol == crate::COMPANION_SUBPROTOCOL;
    }

    /// Whether connection `conn` talks to the companion.
    pub fn is_companion(&self, conn: ConnId) -> bool {
        self.connections.get(&conn).is_some_and(|f| f.companion)
    }

    /// A message arrived on `conn`.
    pub fn received(&mut self, conn: ConnId, now: Millis) {
        if let Some(facts) = self.connections.get_mut(&conn) {
            facts.last_traffic = Some(now);
        }
    }

    /// The page sent `bytes` bytes on `conn`.
    pub fn sent(&mut self, conn: ConnId, now: Millis, bytes: usize) {
        let facts = self.connections.entry(conn).or_default();
        facts.last_traffic = Some(now);
        facts.largest_sent = Some(facts.largest_sent.unwrap_or(0).max(bytes));
        facts.last_sent = Some((now, bytes));
    }

    /// An event of the page's life: it taints every open connection it may explain.
    /// Connections still connecting are not tainted (the event happened before they
    /// could be affected by it while open).
    pub fn page_event(&mut self, event: &LogEvent) {
        let open = self
            .connections
            .values_mut()
            .filter(|f| f.opened_at.is_some());
        for facts in open {
            match event {
                LogEvent::PageHidden | LogEvent::Frozen => facts.hidden_while_open = true,
                LogEvent::Offline => facts.went_offline = true,
                LogEvent::ClockJump { by_ms } => {
                    facts.clock_jump = Some(facts.clock_jump.unwrap_or(0.0) + *by_ms as f64);
                }
                _ => {}
            }
        }
    }

    /// Connection `conn` closed at `now`: its evidence, assembled (and no longer kept).
    /// A connection never seen gives a context with nothing known but the close itself.
    pub fn closed(
        &mut self,
        conn: ConnId,
        now: Millis,
        code: u16,
        reason: &str,
        was_clean: bool,
    ) -> Closed {
        let facts = self.connections.remove(&conn).unwrap_or_default();
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
        Closed {
            context,
            companion: facts.companion,
            started_by_user: facts.started_by_user,
        }
    }

    /// How many connections have evidence kept.
    pub fn len(&self) -> usize {
        self.connections.len()
    }

    /// Whether no connection has evidence kept.
    pub fn is_empty(&self) -> bool {
        self.connections.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::COMPANION_SUBPROTOCOL;
    use crate::diagnosis::diagnose;

    const A: ConnId = ConnId(1);
    const B: ConnId = ConnId(2);

    fn opened_at(evidence: &mut Evidence, conn: ConnId, now: Millis) {
        evidence.started(conn, true);
        evidence.opened(conn, now, "");
    }

    #[test]
    fn hiding_the_page_taints_open_connections_but_not_one_still_connecting() {
        let mut evidence = Evidence::new();
        opened_at(&mut evidence, A, 0.0);
        evidence.started(B, false);
        evidence.page_event(&LogEvent::PageHidden);
        evidence.opened(B, 10.0, "");
        assert!(
            evidence
                .closed(A, 20.0, 1006, "", false)
                .context
                .hidden_while_open
        );
        assert!(
            !evidence
                .closed(B, 20.0, 1006, "", false)
                .context
                .hidden_while_open
        );
    }

    #[test]
    fn a_frozen_page_counts_as_hidden_and_offline_is_kept_apart() {
        let mut evidence = Evidence::new();
        opened_at(&mut evidence, A, 0.0);
        evidence.page_event(&LogEvent::Frozen);
        evidence.page_event(&LogEvent::Offline);
        let context = evidence.closed(A, 5.0, 1006, "", false).context;
        assert!(context.hidden_while_open);
        assert!(context.went_offline);
    }

    #[test]
    fn events_that_explain_nothing_leave_no_mark() {
        let mut evidence = Evidence::new();
        opened_at(&mut evidence, A, 0.0);
        evidence.page_event(&LogEvent::PageVisible);
        evidence.page_event(&LogEvent::Online);
        let context = evidence.closed(A, 5.0, 1006, "", false).context;
        assert!(!context.hidden_while_open && !context.went_offline);
        assert_eq!(context.clock_jump, None);
    }

    #[test]
    fn clock_jumps_while_open_add_up() {
        let mut evidence = Evidence::new();
        opened_at(&mut evidence, A, 0.0);
        evidence.page_event(&LogEvent::ClockJump { by_ms: 30_000 });
        evidence.page_event(&LogEvent::ClockJump { by_ms: 12_000 });
        let context = evidence.closed(A, 50_000.0, 1006, "", false).context;
        assert_eq!(context.clock_jump, Some(42_000.0));
    }

    #[test]
    fn the_close_context_measures_open_time_silence_and_sends() {
        let mut evidence = Evidence::new();
        opened_at(&mut evidence, A, 1_000.0);
        evidence.sent(A, 2_000.0, 200_000);
        evidence.received(A, 3_000.0);
        evidence.sent(A, 4_000.0, 10);
        let closed = evidence.closed(A, 9_000.0, 1009, "too big", true);
        let context = closed.context;
        assert_eq!(context.code, 1009);
        assert_eq!(context.reason, "too big");
        assert!(context.was_clean && context.opened);
        assert_eq!(context.open_for, Some(8_000.0));
        assert_eq!(context.silent_for, Some(5_000.0));
        assert_eq!(context.largest_sent_bytes, Some(200_000));
        assert_eq!(
            context.last_sent,
            Some(LastSend {
                bytes: 10,
                before_close: 5_000.0
            })
        );
    }

    #[test]
    fn a_connection_that_never_opened_has_no_open_time_or_silence() {
        let mut evidence = Evidence::new();
        evidence.started(A, true);
        let context = evidence.closed(A, 3_000.0, 1006, "", false).context;
        assert!(!context.opened);
        assert_eq!(context.open_for, None);
        assert_eq!(context.silent_for, None);
        let findings = diagnose(&context);
        assert!(
            findings
                .iter()
                .any(|f| f.title.contains("failed before it opened")),
            "{findings:?}"
        );
    }

    #[test]
    fn the_companion_is_recognised_by_its_subprotocol() {
        let mut evidence = Evidence::new();
        evidence.started(A, true);
        evidence.opened(A, 0.0, COMPANION_SUBPROTOCOL);
        opened_at(&mut evidence, B, 0.0);
        assert!(evidence.is_companion(A));
        assert!(!evidence.is_companion(B));
        assert!(evidence.closed(A, 1.0, 1000, "", true).companion);
        assert!(!evidence.closed(B, 1.0, 1000, "", true).companion);
    }

    #[test]
    fn evidence_is_given_once_and_then_forgotten() {
        let mut evidence = Evidence::new();
        opened_at(&mut evidence, A, 0.0);
        evidence.page_event(&LogEvent::PageHidden);
        assert!(
            evidence
                .closed(A, 1.0, 1006, "", false)
                .context
                .hidden_while_open
        );
        assert!(evidence.is_empty());
        assert!(!evidence.closed(A, 2.0, 1006, "", false).context.opened);
    }

    #[test]
    fn connections_let_go_without_a_close_are_not_kept_forever() {
        let mut evidence = Evidence::new();
        for n in 0..100 {
            evidence.started(ConnId(n), false);
        }
        assert_eq!(evidence.len(), MAX_TRACKED);
        assert!(
            !evidence
                .closed(ConnId(0), 1.0, 1006, "", false)
                .started_by_user
        );
    }

    #[test]
    fn a_retry_failing_before_open_keeps_the_drop_explained() {
        let mut evidence = Evidence::new();
        evidence.started(B, false);
        let retry = evidence.closed(B, 1.0, 1006, "", false);
        assert!(!retry.replaces(true), "the drop on screen stays");
        assert!(retry.replaces(false), "nothing worth keeping is shown");
    }

    #[test]
    fn a_connection_the_user_started_or_that_opened_gets_its_own_explanation() {
        let mut evidence = Evidence::new();
        evidence.started(A, true);
        assert!(evidence.closed(A, 1.0, 1006, "", false).replaces(true));
        evidence.started(B, false);
        evidence.opened(B, 2.0, "");
        assert!(evidence.closed(B, 3.0, 1006, "", false).replaces(true));
    }
}
