//! The connection supervisor: one state machine that opens a connection, watches it with
//! a heartbeat, and reconnects by a `ReconnectPolicy`, events in, commands out.
//!
//! It fixes by construction what common reconnect helpers get wrong (see STYLE.md on
//! leptos-use): its state is one enum, not scattered flags; delays back off with jitter;
//! Disconnect cancels a pending reconnect; every event names its connection, so a
//! replaced socket's late close never touches the current one; timers carry the
//! connection (or generation) they belong to, so a stale timer does nothing; and the
//! heartbeat has a deadline, so a half-open connection is detected.

use serde::{Deserialize, Serialize};

use crate::Millis;
use crate::event_log::ConnId;
use crate::random::SeededRandom;
use crate::reconnect_policy::ReconnectPolicy;

/// The close code and reason of the user's Disconnect.
pub const DISCONNECT_CODE: u16 = 1000;
/// The reason sent with the user's Disconnect.
pub const DISCONNECT_REASON: &str = "user pressed Disconnect";

/// A timer the supervisor asks for; each names what it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimerId {
    /// Time to try again (the number tells reconnect waits apart).
    Reconnect(u32),
    /// The connection is still not open: give up on it.
    ConnectTimeout(ConnId),
    /// Time to send the next heartbeat on this connection.
    Heartbeat(ConnId),
    /// The answer to heartbeat `seq` on this connection is overdue.
    HeartbeatDeadline(ConnId, u64),
}

/// What happens, from the user and the browser.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// The user asked to connect (or reconnect now) to `url`.
    Connect {
        /// The target.
        url: String,
    },
    /// The user asked to disconnect (close with 1000).
    Disconnect,
    /// The user asked to close with a code (1000 or 3000-4999) and reason; no retry follows.
    CloseWith {
        /// The close code.
        code: u16,
        /// The reason (at most 123 bytes).
        reason: String,
    },
    /// A socket opened.
    Opened(ConnId),
    /// A message arrived on a socket (any message proves the connection alive).
    Message(ConnId),
    /// The application protocol ended the session for good (Socket.IO's "io server
    /// disconnect", a graphql-ws code its client never retries): the socket's close,
    /// when it comes, is final, and `why` says so.
    EndedForGood {
        /// Which socket.
        conn: ConnId,
        /// Why no retry follows.
        why: String,
    },
    /// A socket closed.
    Closed {
        /// Which socket.
        conn: ConnId,
        /// The close code.
        code: u16,
        /// The close reason.
        reason: String,
    },
    /// A timer fired.
    Timer(TimerId),
}

/// What the supervisor asks the browser layer to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Open a socket.
    Open {
        /// Its id.
        conn: ConnId,
        /// The target.
        url: String,
    },
    /// Start the closing handshake.
    Close {
        /// Which socket.
        conn: ConnId,
        /// The code (1000 or 3000-4999).
        code: u16,
        /// The reason.
        reason: String,
    },
    /// Stop listening to a socket and drop it, without waiting for its close (it is stuck
    /// connecting, or half-open).
    Drop(ConnId),
    /// Send a text message.
    Send {
        /// Which socket.
        conn: ConnId,
        /// The text.
        payload: String,
    },
    /// Start (or restart) a timer.
    StartTimer {
        /// Which.
        id: TimerId,
        /// After how long.
        after_ms: u64,
    },
    /// Cancel a timer.
    CancelTimer(TimerId),
}

/// The heartbeat: a text message every `every_ms`, answered (by any message) within
/// `deadline_ms`, or the connection counts as half-open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heartbeat {
    /// The interval.
    pub every_ms: u64,
    /// How long an answer may take.
    pub deadline_ms: u64,
    /// The message; `{seq}` is replaced by the heartbeat's number.
    pub payload: String,
}

/// Where the supervisor stands.
#[derive(Clone, Debug, PartialEq)]
pub enum State {
    /// Nothing to do.
    Idle,
    /// A socket is opening.
    Connecting(ConnId),
    /// A socket is open, since `since`.
    Open {
        /// Which socket.
        conn: ConnId,
        /// When it opened.
        since: Millis,
    },
    /// The user's close is under way.
    Closing(ConnId),
    /// Waiting to try again.
    Waiting {
        /// When the next attempt starts.
        until: Millis,
        /// Which retry it is (1 = first).
        retry: u32,
    },
    /// Stopped retrying, and why.
    GaveUp(String),
}

/// One connection attempt, for the reconnection history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// The socket.
    pub conn: ConnId,
    /// When it started.
    pub started: Millis,
    /// When it opened, if it did.
    pub opened: Option<Millis>,
    /// When it ended, if it has.
    pub ended: Option<Millis>,
    /// The close code, if a close event came.
    pub code: Option<u16>,
    /// The close reason, or why the supervisor ended it.
    pub reason: String,
    /// The wait before the next attempt, if one was scheduled.
    pub next_delay_ms: Option<u64>,
}

/// The most attempts the history keeps (the oldest go first).
pub const MAX_HISTORY: usize = 500;

/// The supervisor.
pub struct Supervisor {
    policy: ReconnectPolicy,
    heartbeat: Option<Heartbeat>,
    random: SeededRandom,
    state: State,
    url: String,
    next_conn: u32,
    failures: u32,
    wait_number: u32,
    heartbeat_seq: u64,
    awaiting_answer: Option<u64>,
    history: Vec<Attempt>,
    /// A socket whose close the application protocol made final, and why.
    ended_for_good: Option<(ConnId, String)>,
}

impl Supervisor {
    /// A supervisor with `policy`, an optional heartbeat, and a random `seed` for jitter.
    pub fn new(policy: ReconnectPolicy, heartbeat: Option<Heartbeat>, seed: u64) -> Supervisor {
        Supervisor {
            policy,
            heartbeat,
            random: SeededRandom::new(seed),
            state: State::Idle,
            url: String::new(),
            next_conn: 1,
            failures: 0,
            wait_number: 0,
            heartbeat_seq: 0,
            awaiting_answer: None,
            history: Vec::new(),
            ended_for_good: None,
        }
    }

    /// Replaces the policy (e.g. the user turned auto-reconnect off); takes effect at
    /// the next close.
    pub fn set_policy(&mut self, policy: ReconnectPolicy) {
        self.policy = policy;
    }

    /// Replaces the heartbeat (`None`: none). On an open connection the new one starts
    /// now; the returned commands carry that out.
    pub fn set_heartbeat(&mut self, heartbeat: Option<Heartbeat>) -> Vec<Command> {
        let mut out = Vec::new();
        if self.heartbeat == heartbeat {
            return out;
        }
        self.heartbeat = heartbeat;
        if let State::Open { conn, .. } = self.state {
            out.push(Command::CancelTimer(TimerId::Heartbeat(conn)));
            if let Some(seq) = self.awaiting_answer.take() {
                out.push(Command::CancelTimer(TimerId::HeartbeatDeadline(conn, seq)));
            }
            if let Some(heartbeat) = &self.heartbeat {
                out.push(Command::StartTimer {
                    id: TimerId::Heartbeat(conn),
                    after_ms: heartbeat.every_ms,
                });
            }
        }
        out
    }

    /// Puts back the history of an earlier visit of the page (times already moved to
    /// this page's clock), before anything else happens. New connections get ids after
    /// the restored ones, so the log never mixes them up.
    pub fn restore_history(&mut self, mut history: Vec<Attempt>) {
        if history.len() > MAX_HISTORY {
            history.drain(..history.len() - MAX_HISTORY);
        }
        let highest = history.iter().map(|a| a.conn.0).max().unwrap_or(0);
        self.next_conn = self.next_conn.max(highest.saturating_add(1));
        self.history = history;
    }

    /// The policy in force.
    pub fn policy(&self) -> &ReconnectPolicy {
        &self.policy
    }

    /// Where it stands.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Every attempt so far, oldest first (bounded).
    pub fn history(&self) -> &[Attempt] {
        &self.history
    }

    /// Handles one input at time `now` and returns what to do.
    pub fn handle(&mut self, now: Millis, input: Input) -> Vec<Command> {
        let mut out = Vec::new();
        match input {
            Input::Connect { url } => {
                self.url = url;
                self.failures = 0;
                self.stop_everything(now, "replaced by a new connection", &mut out);
                self.start_attempt(now, &mut out);
            }
            Input::Disconnect => {
                self.disconnect(DISCONNECT_CODE, DISCONNECT_REASON.into(), &mut out)
            }
            Input::CloseWith { code, reason } => self.disconnect(code, reason, &mut out),
            Input::Opened(conn) => self.opened(now, conn, &mut out),
            Input::Message(conn) => {
                if self.current() == Some(conn)
                    && let Some(seq) = self.awaiting_answer.take()
                {
                    out.push(Command::CancelTimer(TimerId::HeartbeatDeadline(conn, seq)));
                }
            }
            Input::EndedForGood { conn, why } => self.ended_for_good = Some((conn, why)),
            Input::Closed { conn, code, reason } => self.closed(now, conn, code, reason, &mut out),
            Input::Timer(id) => self.timer(now, id, &mut out),
        }
        out
    }

    /// The socket the supervisor is working with, if any.
    fn current(&self) -> Option<ConnId> {
        match self.state {
            State::Connecting(conn) | State::Open { conn, .. } | State::Closing(conn) => Some(conn),
            _ => None,
        }
    }

    fn start_attempt(&mut self, now: Millis, out: &mut Vec<Command>) {
        let conn = ConnId(self.next_conn);
        self.next_conn += 1;
        self.state = State::Connecting(conn);
        self.awaiting_answer = None;
        out.push(Command::Open {
            conn,
            url: self.url.clone(),
        });
        if self.policy.connect_timeout_ms != u64::MAX {
            out.push(Command::StartTimer {
                id: TimerId::ConnectTimeout(conn),
                after_ms: self.policy.connect_timeout_ms,
            });
        }
        if self.history.len() == MAX_HISTORY {
            self.history.remove(0);
        }
        self.history.push(Attempt {
            conn,
            started: now,
            opened: None,
            ended: None,
            code: None,
            reason: String::new(),
            next_delay_ms: None,
        });
    }

    fn attempt(&mut self, conn: ConnId) -> Option<&mut Attempt> {
        self.history.iter_mut().rev().find(|a| a.conn == conn)
    }

    fn end_attempt(&mut self, now: Millis, conn: ConnId, code: Option<u16>, reason: &str) {
        if let Some(attempt) = self.attempt(conn)
            && attempt.ended.is_none()
        {
            attempt.ended = Some(now);
            attempt.code = code;
            attempt.reason = reason.to_string();
        }
    }

    /// Cancels every timer and lets go of the current socket (user Connect replaces it).
    fn stop_everything(&mut self, now: Millis, why: &str, out: &mut Vec<Command>) {
        out.push(Command::CancelTimer(TimerId::Reconnect(self.wait_number)));
        if let Some(conn) = self.current() {
            self.cancel_conn_timers(conn, out);
            out.push(Command::Drop(conn));
            self.end_attempt(now, conn, None, why);
        }
        self.state = State::Idle;
    }

    fn cancel_conn_timers(&mut self, conn: ConnId, out: &mut Vec<Command>) {
        out.push(Command::CancelTimer(TimerId::ConnectTimeout(conn)));
        out.push(Command::CancelTimer(TimerId::Heartbeat(conn)));
        if let Some(seq) = self.awaiting_answer.take() {
            out.push(Command::CancelTimer(TimerId::HeartbeatDeadline(conn, seq)));
        }
    }

    fn disconnect(&mut self, code: u16, reason: String, out: &mut Vec<Command>) {
        out.push(Command::CancelTimer(TimerId::Reconnect(self.wait_number)));
        match self.state.clone() {
            State::Connecting(conn) | State::Open { conn, .. } => {
                self.cancel_conn_timers(conn, out);
                out.push(Command::Close { conn, code, reason });
                self.state = State::Closing(conn);
            }
            State::Waiting { .. } | State::GaveUp(_) => {
                self.state = State::Idle;
                if let Some(last) = self.history.last_mut() {
                    last.next_delay_ms = None;
                }
            }
            State::Idle | State::Closing(_) => {}
        }
    }

    fn opened(&mut self, now: Millis, conn: ConnId, out: &mut Vec<Command>) {
        if self.state != State::Connecting(conn) {
            return; // a socket we no longer care about
        }
        out.push(Command::CancelTimer(TimerId::ConnectTimeout(conn)));
        self.state = State::Open { conn, since: now };
        if let Some(attempt) = self.attempt(conn) {
            attempt.opened = Some(now);
        }
        if let Some(heartbeat) = &self.heartbeat {
            out.push(Command::StartTimer {
                id: TimerId::Heartbeat(conn),
                after_ms: heartbeat.every_ms,
            });
        }
    }

    fn closed(
        &mut self,
        now: Millis,
        conn: ConnId,
        code: u16,
        reason: String,
        out: &mut Vec<Command>,
    ) {
        // A late close of a replaced socket is recorded under its own id, nothing more.
        self.end_attempt(now, conn, Some(code), &reason);
        if self.current() != Some(conn) {
            return;
        }
        let was_open_for = match self.state {
            State::Open { since, .. } => Some(now - since),
            _ => None,
        };
        self.cancel_conn_timers(conn, out);
        if matches!(self.state, State::Closing(_)) {
            self.state = State::Idle; // the user's Disconnect: no retry
            return;
        }
        if was_open_for.is_some_and(|open| self.policy.is_stable(open)) {
            self.failures = 0;
        }
        if let Some((_, why)) = self
            .ended_for_good
            .take()
            .filter(|(ended, _)| *ended == conn)
        {
            self.state = State::GaveUp(why);
            return;
        }
        match self.policy.retry_after(Some(code)) {
            Ok(()) => self.schedule_retry(now, conn, out),
            Err(why) => self.state = State::GaveUp(why),
        }
    }

    fn schedule_retry(&mut self, now: Millis, after: ConnId, out: &mut Vec<Command>) {
        if self.policy.max_attempts == Some(0) {
            self.state = State::Idle; // automatic reconnection is off
            return;
        }
        if let Some(max) = self.policy.max_attempts
            && self.failures >= max
        {
            self.state =
                State::GaveUp(format!("gave up after {max} reconnections in a row failed"));
            return;
        }
        let delay = self.policy.delay_ms(self.failures, &mut self.random);
        self.failures += 1;
        self.wait_number += 1;
        if let Some(attempt) = self.attempt(after) {
            attempt.next_delay_ms = Some(delay);
        }
        out.push(Command::StartTimer {
            id: TimerId::Reconnect(self.wait_number),
            after_ms: delay,
        });
        self.state = State::Waiting {
            until: now + delay as f64,
            retry: self.failures,
        };
    }

    fn timer(&mut self, now: Millis, id: TimerId, out: &mut Vec<Command>) {
        match id {
            TimerId::Reconnect(number) => {
                if number == self.wait_number && matches!(self.state, State::Waiting { .. }) {
                    self.start_attempt(now, out);
                }
            }
            TimerId::ConnectTimeout(conn) => {
                if self.state == State::Connecting(conn) {
                    out.push(Command::Drop(conn));
                    let why = format!(
                        "no answer within the connect timeout ({} s)",
                        self.policy.connect_timeout_ms / 1000
                    );
                    self.end_attempt(now, conn, None, &why);
                    self.schedule_retry(now, conn, out);
                }
            }
            TimerId::Heartbeat(conn) => {
                let Some(heartbeat) = self.heartbeat.clone() else {
                    return;
                };
                if !matches!(self.state, State::Open { conn: open, .. } if open == conn) {
                    return;
                }
                self.heartbeat_seq += 1;
                let seq = self.heartbeat_seq;
                out.push(Command::Send {
                    conn,
                    payload: heartbeat.payload.replace("{seq}", &seq.to_string()),
                });
                if self.awaiting_answer.is_none() {
                    self.awaiting_answer = Some(seq);
                    out.push(Command::StartTimer {
                        id: TimerId::HeartbeatDeadline(conn, seq),
                        after_ms: heartbeat.deadline_ms,
                    });
                }
                out.push(Command::StartTimer {
                    id: TimerId::Heartbeat(conn),
                    after_ms: heartbeat.every_ms,
                });
            }
            TimerId::HeartbeatDeadline(conn, seq) => {
                let open = matches!(self.state, State::Open { conn: c, .. } if c == conn);
                if !open || self.awaiting_answer != Some(seq) {
                    return;
                }
                let deadline = self.heartbeat.as_ref().map_or(0, |h| h.deadline_ms);
                self.awaiting_answer = None;
                out.push(Command::CancelTimer(TimerId::Heartbeat(conn)));
                out.push(Command::Drop(conn));
                let why = format!("half-open: no answer to heartbeat {seq} within {deadline} ms");
                self.end_attempt(now, conn, None, &why);
                self.schedule_retry(now, conn, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconnect_policy::Jitter;

    fn policy() -> ReconnectPolicy {
        ReconnectPolicy::recommended()
    }

    fn opens(out: &[Command]) -> Vec<ConnId> {
        out.iter()
            .filter_map(|c| match c {
                Command::Open { conn, .. } => Some(*conn),
                _ => None,
            })
            .collect()
    }

    fn reconnect_timer(out: &[Command]) -> Option<(TimerId, u64)> {
        out.iter().find_map(|c| match c {
            Command::StartTimer {
                id: id @ TimerId::Reconnect(_),
                after_ms,
            } => Some((*id, *after_ms)),
            _ => None,
        })
    }

    fn connected(supervisor: &mut Supervisor, now: Millis) -> ConnId {
        let out = supervisor.handle(
            now,
            Input::Connect {
                url: "wss://example.com/ws".into(),
            },
        );
        let conn = opens(&out)[0];
        supervisor.handle(now + 10.0, Input::Opened(conn));
        conn
    }

    fn dropped(conn: ConnId) -> Input {
        Input::Closed {
            conn,
            code: 1006,
            reason: String::new(),
        }
    }

    #[test]
    fn an_abnormal_close_schedules_a_retry_that_opens_a_new_socket() {
        let mut s = Supervisor::new(policy(), None, 1);
        let conn = connected(&mut s, 0.0);
        let out = s.handle(100.0, dropped(conn));
        let (timer, delay) = reconnect_timer(&out).expect("a retry is scheduled");
        assert!(delay <= 1_000);
        assert!(matches!(s.state(), State::Waiting { retry: 1, .. }));
        let out = s.handle(100.0 + delay as f64, Input::Timer(timer));
        assert_eq!(opens(&out), [ConnId(conn.0 + 1)]);
    }

    #[test]
    fn disconnect_cancels_a_pending_reconnect() {
        let mut s = Supervisor::new(policy(), None, 1);
        let conn = connected(&mut s, 0.0);
        let (timer, _) = reconnect_timer(&s.handle(100.0, dropped(conn))).unwrap();
        let out = s.handle(200.0, Input::Disconnect);
        assert!(out.contains(&Command::CancelTimer(timer)));
        assert_eq!(s.state(), &State::Idle);
        // Even if the timer was already on its way, it opens nothing.
        assert!(opens(&s.handle(5_000.0, Input::Timer(timer))).is_empty());
    }

    #[test]
    fn disconnect_closes_with_1000_and_the_close_brings_no_retry() {
        let mut s = Supervisor::new(policy(), None, 1);
        let conn = connected(&mut s, 0.0);
        let out = s.handle(50.0, Input::Disconnect);
        assert!(out.contains(&Command::Close {
            conn,
            code: 1000,
            reason: DISCONNECT_REASON.into()
        }));
        let out = s.handle(
            60.0,
            Input::Closed {
                conn,
                code: 1000,
                reason: DISCONNECT_REASON.into(),
            },
        );
        assert!(reconnect_timer(&out).is_none());
        assert_eq!(s.state(), &State::Idle);
    }

    #[test]
    fn closing_with_a_chosen_code_sends_it_and_brings_no_retry() {
        let mut s = Supervisor::new(policy(), None, 1);
        let conn = connected(&mut s, 0.0);
        let out = s.handle(
            50.0,
            Input::CloseWith {
                code: 4000,
                reason: "test".into(),
            },
        );
        assert!(out.contains(&Command::Close {
            conn,
            code: 4000,
            reason: "test".into()
        }));
        let out = s.handle(
            60.0,
            Input::Closed {
                conn,
                code: 4000,
                reason: "test".into(),
            },
        );
        assert!(reconnect_timer(&out).is_none());
        assert_eq!(s.state(), &State::Idle);
    }

    #[test]
    fn a_replaced_sockets_late_close_does_not_touch_the_new_connection() {
        let mut s = Supervisor::new(policy(), None, 1);
        let old = connected(&mut s, 0.0);
        let out = s.handle(
            100.0,
            Input::Connect {
                url: "wss://example.com/ws".into(),
            },
        );
        assert!(out.contains(&Command::Drop(old)));
        let new = opens(&out)[0];
        s.handle(110.0, Input::Opened(new));
        let out = s.handle(120.0, dropped(old));
        assert!(out.is_empty(), "{out:?}");
        assert!(matches!(s.state(), State::Open { conn, .. } if *conn == new));
        assert_eq!(
            s.history()[0].conn,
            old,
            "the late close is recorded under its own id"
        );
    }

    #[test]
    fn retries_back_off_with_jitter_below_a_growing_ceiling() {
        let mut s = Supervisor::new(policy(), None, 42);
        let mut now = 0.0;
        let out = s.handle(
            now,
            Input::Connect {
                url: "wss://x/ws".into(),
            },
        );
        let mut conn = opens(&out)[0];
        let mut delays = Vec::new();
        for _ in 0..6 {
            let out = s.handle(
                now,
                Input::Closed {
                    conn,
                    code: 1006,
                    reason: String::new(),
                },
            );
            let (timer, delay) = reconnect_timer(&out).unwrap();
            delays.push(delay);
            now += delay as f64;
            conn = opens(&s.handle(now, Input::Timer(timer)))[0];
        }
        for (attempt, delay) in delays.iter().enumerate() {
            assert!(*delay <= policy().ceiling_ms(attempt as u32), "{delays:?}");
        }
        assert!(
            delays.windows(2).any(|w| w[0] != w[1]),
            "jittered: {delays:?}"
        );
    }

    #[test]
    fn a_heartbeat_without_answer_by_its_deadline_detects_a_half_open_connection() {
        let heartbeat = Heartbeat {
            every_ms: 25_000,
            deadline_ms: 10_000,
            payload: "{\"type\":\"heartbeat\",\"seq\":{seq}}".into(),
        };
        let mut s = Supervisor::new(policy(), Some(heartbeat), 1);
        let conn = connected(&mut s, 0.0);
        let out = s.handle(25_010.0, Input::Timer(TimerId::Heartbeat(conn)));
        assert!(out.contains(&Command::Send {
            conn,
            payload: "{\"type\":\"heartbeat\",\"seq\":1}".into()
        }));
        assert!(out.contains(&Command::StartTimer {
            id: TimerId::HeartbeatDeadline(conn, 1),
            after_ms: 10_000
        }));
        // Nothing arrives: the deadline passes.
        let out = s.handle(35_010.0, Input::Timer(TimerId::HeartbeatDeadline(conn, 1)));
        assert!(out.contains(&Command::Drop(conn)));
        assert!(reconnect_timer(&out).is_some());
        assert!(
            s.history()[0].reason.contains("half-open"),
            "{:?}",
            s.history()
        );
    }

    #[test]
    fn any_message_answers_the_heartbeat() {
        let heartbeat = Heartbeat {
            every_ms: 1_000,
            deadline_ms: 500,
            payload: "ping".into(),
        };
        let mut s = Supervisor::new(policy(), Some(heartbeat), 1);
        let conn = connected(&mut s, 0.0);
        s.handle(1_000.0, Input::Timer(TimerId::Heartbeat(conn)));
        let out = s.handle(1_050.0, Input::Message(conn));
        assert!(out.contains(&Command::CancelTimer(TimerId::HeartbeatDeadline(conn, 1))));
        assert!(
            s.handle(1_500.0, Input::Timer(TimerId::HeartbeatDeadline(conn, 1)))
                .is_empty()
        );
        assert!(matches!(s.state(), State::Open { .. }));
    }

    #[test]
    fn a_socket_stuck_connecting_is_dropped_at_the_connect_timeout_and_retried() {
        let mut s = Supervisor::new(policy(), None, 1);
        let out = s.handle(
            0.0,
            Input::Connect {
                url: "wss://x/ws".into(),
            },
        );
        let conn = opens(&out)[0];
        assert!(out.contains(&Command::StartTimer {
            id: TimerId::ConnectTimeout(conn),
            after_ms: 10_000
        }));
        let out = s.handle(10_000.0, Input::Timer(TimerId::ConnectTimeout(conn)));
        assert!(out.contains(&Command::Drop(conn)));
        assert!(reconnect_timer(&out).is_some());
    }

    #[test]
    fn a_stale_connect_timeout_does_not_kill_a_later_connection() {
        let mut s = Supervisor::new(policy(), None, 1);
        let first = connected(&mut s, 0.0);
        let (timer, delay) = reconnect_timer(&s.handle(100.0, dropped(first))).unwrap();
        let second = opens(&s.handle(100.0 + delay as f64, Input::Timer(timer)))[0];
        assert!(
            s.handle(10_000.0, Input::Timer(TimerId::ConnectTimeout(first)))
                .is_empty()
        );
        assert_eq!(s.state(), &State::Connecting(second));
    }

    #[test]
    fn a_session_the_protocol_ended_for_good_is_not_retried() {
        let mut s = Supervisor::new(policy(), None, 1);
        let conn = connected(&mut s, 0.0);
        s.handle(
            50.0,
            Input::EndedForGood {
                conn,
                why: "io server disconnect".into(),
            },
        );
        let out = s.handle(
            100.0,
            Input::Closed {
                conn,
                code: 1005,
                reason: String::new(),
            },
        );
        assert!(reconnect_timer(&out).is_none());
        assert!(matches!(s.state(), State::GaveUp(why) if why == "io server disconnect"));
    }

    #[test]
    fn final_codes_stop_automatic_retries_but_the_user_can_connect_again() {
        let mut s = Supervisor::new(policy(), None, 1);
        let conn = connected(&mut s, 0.0);
        let out = s.handle(
            100.0,
            Input::Closed {
                conn,
                code: 1008,
                reason: "token expired".into(),
            },
        );
        assert!(reconnect_timer(&out).is_none());
        assert!(matches!(s.state(), State::GaveUp(why) if why.contains("1008")));
        let out = s.handle(
            200.0,
            Input::Connect {
                url: "wss://x/ws".into(),
            },
        );
        assert_eq!(opens(&out).len(), 1);
    }

    #[test]
    fn after_the_maximum_of_failed_attempts_it_gives_up() {
        let mut policy = policy();
        policy.max_attempts = Some(3);
        let mut s = Supervisor::new(policy, None, 1);
        let out = s.handle(
            0.0,
            Input::Connect {
                url: "wss://x/ws".into(),
            },
        );
        let mut conn = opens(&out)[0];
        let mut now = 0.0;
        for _ in 0..3 {
            let (timer, delay) = reconnect_timer(&s.handle(now, dropped(conn))).unwrap();
            now += delay as f64;
            conn = opens(&s.handle(now, Input::Timer(timer)))[0];
        }
        let out = s.handle(now, dropped(conn));
        assert!(reconnect_timer(&out).is_none());
        assert!(
            matches!(s.state(), State::GaveUp(why) if why.contains("3 reconnections in a row failed"))
        );
    }

    /// A server that accepts and drops every connection at once: what are the first
    /// eight waits?
    fn waits_against_a_flapping_server(policy: ReconnectPolicy) -> Vec<u64> {
        let mut s = Supervisor::new(policy, None, 3);
        let mut now = 0.0;
        let mut conn = opens(&s.handle(
            now,
            Input::Connect {
                url: "wss://x/ws".into(),
            },
        ))[0];
        let mut waits = Vec::new();
        for _ in 0..8 {
            s.handle(now + 5.0, Input::Opened(conn));
            let (timer, delay) = reconnect_timer(&s.handle(now + 50.0, dropped(conn))).unwrap();
            waits.push(delay);
            now += 50.0 + delay as f64;
            conn = opens(&s.handle(now, Input::Timer(timer)))[0];
        }
        waits
    }

    #[test]
    fn a_flapping_server_keeps_ours_backing_off_while_the_seed_policy_hammers_it_every_second() {
        let seed = waits_against_a_flapping_server(ReconnectPolicy::seed_article());
        assert_eq!(
            seed, [1_000; 8],
            "reset on every open: a retry a second forever"
        );
        let mut ours = ReconnectPolicy::recommended();
        ours.jitter = Jitter::None; // to compare ceilings exactly
        let ours = waits_against_a_flapping_server(ours);
        assert_eq!(
            ours,
            [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]
        );
    }

    #[test]
    fn a_stable_connection_resets_the_backoff() {
        let mut policy = policy();
        policy.jitter = Jitter::None;
        let mut s = Supervisor::new(policy, None, 1);
        let conn = connected(&mut s, 0.0);
        let (timer, first) = reconnect_timer(&s.handle(100.0, dropped(conn))).unwrap();
        assert_eq!(first, 1_000);
        let conn = opens(&s.handle(1_100.0, Input::Timer(timer)))[0];
        s.handle(1_110.0, Input::Opened(conn));
        let (_, after_stable) = reconnect_timer(&s.handle(60_000.0, dropped(conn))).unwrap();
        assert_eq!(
            after_stable, 1_000,
            "an hour-long (here: a minute) connection starts the backoff over"
        );
    }

    #[test]
    fn with_auto_reconnect_off_a_drop_just_ends_it() {
        let mut policy = policy();
        policy.max_attempts = Some(0);
        let mut s = Supervisor::new(policy, None, 1);
        let conn = connected(&mut s, 0.0);
        let out = s.handle(100.0, dropped(conn));
        assert!(reconnect_timer(&out).is_none());
        assert_eq!(s.state(), &State::Idle);
    }

    #[test]
    fn the_history_records_each_attempt_with_its_wait() {
        let mut s = Supervisor::new(policy(), None, 1);
        let conn = connected(&mut s, 0.0);
        let (_, delay) = reconnect_timer(&s.handle(
            500.0,
            Input::Closed {
                conn,
                code: 1001,
                reason: "restart".into(),
            },
        ))
        .unwrap();
        let attempt = &s.history()[0];
        assert_eq!(attempt.opened, Some(10.0));
        assert_eq!(attempt.ended, Some(500.0));
        assert_eq!(attempt.code, Some(1001));
        assert_eq!(attempt.reason, "restart");
        assert_eq!(attempt.next_delay_ms, Some(delay));
    }

    #[test]
    fn a_heartbeat_turned_on_while_open_starts_now_and_off_stops_it() {
        let mut sup = Supervisor::new(policy(), None, 1);
        connected(&mut sup, 0.0);
        let hb = Heartbeat {
            every_ms: 5_000,
            deadline_ms: 1_000,
            payload: "hb {seq}".into(),
        };
        let out = sup.set_heartbeat(Some(hb.clone()));
        assert!(out.contains(&Command::StartTimer {
            id: TimerId::Heartbeat(ConnId(1)),
            after_ms: 5_000
        }));
        assert!(
            sup.set_heartbeat(Some(hb)).is_empty(),
            "no change, no commands"
        );
        let out = sup.handle(5_010.0, Input::Timer(TimerId::Heartbeat(ConnId(1))));
        assert!(out.contains(&Command::Send {
            conn: ConnId(1),
            payload: "hb 1".into()
        }));
        let out = sup.set_heartbeat(None);
        assert!(out.contains(&Command::CancelTimer(TimerId::Heartbeat(ConnId(1)))));
        assert!(
            out.contains(&Command::CancelTimer(TimerId::HeartbeatDeadline(
                ConnId(1),
                1
            )))
        );
        assert!(
            sup.handle(10_010.0, Input::Timer(TimerId::Heartbeat(ConnId(1))))
                .is_empty(),
            "a heartbeat timer that fires after the heartbeat was turned off sends nothing"
        );
    }

    #[test]
    fn restored_history_keeps_its_ids_and_new_connections_follow_them() {
        let mut sup = Supervisor::new(policy(), None, 1);
        let old = Attempt {
            conn: ConnId(7),
            started: -60_000.0,
            opened: Some(-59_990.0),
            ended: Some(-1_000.0),
            code: Some(1006),
            reason: String::new(),
            next_delay_ms: None,
        };
        sup.restore_history(vec![old.clone()]);
        assert_eq!(connected(&mut sup, 0.0), ConnId(8));
        assert_eq!(sup.history()[0], old);
        assert_eq!(sup.history().len(), 2);
    }
}
