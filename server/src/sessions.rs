//! Diagnostic sessions: what the server observed of each connection, kept after the
//! connection is gone so the client can ask "what did you see?" once it reconnects.
//!
//! Memory is bounded: at most `max_sessions` sessions (expired ones go first, then the
//! oldest), at most `MAX_CONNECTIONS_PER_SESSION` connections each (the oldest closed
//! one goes first), at most `MAX_RTT_SAMPLES` round trips per connection. A session
//! whose connections are all closed is kept for `keep` after the last close.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wsdoctor_core::protocol::{CloseView, ConnectionView, RttSummary};

/// Connections remembered per session.
pub const MAX_CONNECTIONS_PER_SESSION: usize = 64;
/// Round trips remembered per connection (the newest).
pub const MAX_RTT_SAMPLES: usize = 256;

/// What the server observed of one connection, updated while it lives.
#[derive(Debug)]
pub struct ConnRecord {
    conn: u64,
    opened_ms: u64,
    closed_ms: Option<u64>,
    close: Option<CloseView>,
    last_rx_ms: u64,
    last_tx_ms: u64,
    pings_sent: u64,
    pongs_received: u64,
    rtts: std::collections::VecDeque<f64>,
}

impl ConnRecord {
    /// A record for connection `conn`, opened at `now_ms`.
    pub fn new(conn: u64, now_ms: u64) -> ConnRecord {
        ConnRecord {
            conn,
            opened_ms: now_ms,
            closed_ms: None,
            close: None,
            last_rx_ms: 0,
            last_tx_ms: 0,
            pings_sent: 0,
            pongs_received: 0,
            rtts: std::collections::VecDeque::new(),
        }
    }

    /// Something arrived from the client.
    pub fn received(&mut self, now_ms: u64) {
        self.last_rx_ms = now_ms;
    }

    /// The server sent something.
    pub fn sent(&mut self, now_ms: u64) {
        self.last_tx_ms = now_ms;
    }

    /// The server sent a protocol Ping.
    pub fn ping_sent(&mut self, now_ms: u64) {
        self.pings_sent += 1;
        self.sent(now_ms);
    }

    /// A Pong came back after `rtt_ms`.
    pub fn pong_received(&mut self, now_ms: u64, rtt_ms: f64) {
        self.pongs_received += 1;
        self.received(now_ms);
        if self.rtts.len() == MAX_RTT_SAMPLES {
            self.rtts.pop_front();
        }
        self.rtts.push_back(rtt_ms);
    }

    /// The connection ended (only the first call counts).
    pub fn closed(&mut self, now_ms: u64, close: CloseView) {
        if self.closed_ms.is_none() {
            self.closed_ms = Some(now_ms);
            self.close = Some(close);
        }
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.closed_ms.is_some()
    }

    /// The record as the protocol shows it.
    pub fn view(&self) -> ConnectionView {
        let samples: Vec<f64> = self.rtts.iter().copied().collect();
        ConnectionView {
            conn: self.conn,
            opened_ms: self.opened_ms,
            closed_ms: self.closed_ms,
            close: self.close.clone(),
            last_rx_ms: self.last_rx_ms,
            last_tx_ms: self.last_tx_ms,
            pings_sent: self.pings_sent,
            pongs_received: self.pongs_received,
            rtt_ms: RttSummary::of(&samples),
        }
    }
}

/// A connection's record, shared between its task and its session.
pub type SharedRecord = Arc<Mutex<ConnRecord>>;

fn lock(record: &SharedRecord) -> std::sync::MutexGuard<'_, ConnRecord> {
    record.lock().unwrap_or_else(|e| e.into_inner())
}

struct Session {
    connections: Vec<SharedRecord>,
    /// The last time a connection joined or closed.
    last_activity_ms: u64,
}

impl Session {
    fn has_open_connection(&self) -> bool {
        self.connections.iter().any(|c| !lock(c).is_closed())
    }

    fn expired(&self, now_ms: u64, keep: Duration) -> bool {
        !self.has_open_connection()
            && now_ms.saturating_sub(self.last_activity_ms) > keep.as_millis() as u64
    }
}

/// Whether `hello` started a new session or continued a known one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Joined {
    /// A new session with this id.
    New(String),
    /// A known session (a reconnect).
    Known(String),
}

/// All sessions.
pub struct Sessions {
    max_sessions: usize,
    keep: Duration,
    sessions: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// An empty registry.
    pub fn new(max_sessions: usize, keep: Duration) -> Sessions {
        Sessions {
            max_sessions: max_sessions.max(1),
            keep,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// Links `record` to the session `wanted` if it is known, else to a new session.
    pub fn join(&self, wanted: Option<&str>, record: SharedRecord, now_ms: u64) -> Joined {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(id) = wanted
            && let Some(session) = sessions.get_mut(id)
            && !session.expired(now_ms, self.keep)
        {
            add_connection(session, record, now_ms);
            return Joined::Known(id.to_string());
        }
        self.make_room(&mut sessions, now_ms);
        let id = new_session_id();
        let mut session = Session {
            connections: Vec::new(),
            last_activity_ms: now_ms,
        };
        add_connection(&mut session, record, now_ms);
        sessions.insert(id.clone(), session);
        Joined::New(id)
    }

    /// Notes that a connection of `session` closed (keeps the session from expiring early).
    pub fn touch(&self, session: &str, now_ms: u64) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(session) = sessions.get_mut(session) {
            session.last_activity_ms = now_ms;
        }
    }

    /// The views of `session`'s connections, oldest first; `None` if unknown or expired.
    pub fn view(&self, session: &str, now_ms: u64) -> Option<Vec<ConnectionView>> {
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let session = sessions.get(session)?;
        if session.expired(now_ms, self.keep) {
            return None;
        }
        Some(session.connections.iter().map(|c| lock(c).view()).collect())
    }

    /// How many sessions are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// Drops expired sessions, then the least recently active until there is room for one.
    fn make_room(&self, sessions: &mut HashMap<String, Session>, now_ms: u64) {
        if sessions.len() < self.max_sessions {
            return;
        }
        sessions.retain(|_, s| !s.expired(now_ms, self.keep));
        while sessions.len() >= self.max_sessions {
            let oldest = sessions
                .iter()
                .min_by_key(|(_, s)| (s.has_open_connection(), s.last_activity_ms))
                .map(|(id, _)| id.clone());
            match oldest {
                Some(id) => sessions.remove(&id),
                None => break,
            };
        }
    }
}

fn add_connection(session: &mut Session, record: SharedRecord, now_ms: u64) {
    if session.connections.len() >= MAX_CONNECTIONS_PER_SESSION {
        let oldest_closed = session.connections.iter().position(|c| lock(c).is_closed());
        session.connections.remove(oldest_closed.unwrap_or(0));
    }
    session.connections.push(record);
    session.last_activity_ms = now_ms;
}

/// A random 128-bit session id, as 32 hex digits. Views hold client addresses and
/// headers, so ids must not be guessable: they come from the OS's random source.
fn new_session_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness is a broken machine; fail loudly rather than hand out guessable ids.
        panic!("the OS random source failed: cannot make a session id");
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsdoctor_core::protocol::ClosedBy;

    fn record(conn: u64, now: u64) -> SharedRecord {
        Arc::new(Mutex::new(ConnRecord::new(conn, now)))
    }

    fn close(record: &SharedRecord, now: u64) {
        lock(record).closed(
            now,
            CloseView {
                code: None,
                reason: None,
                by: ClosedBy::None,
            },
        );
    }

    #[test]
    fn a_known_session_links_a_reconnect_and_an_unknown_one_starts_anew() {
        let sessions = Sessions::new(10, Duration::from_secs(900));
        let Joined::New(id) = sessions.join(None, record(1, 0), 0) else {
            panic!("first hello starts a session")
        };
        assert_eq!(id.len(), 32);
        assert_eq!(
            sessions.join(Some(&id), record(2, 5), 5),
            Joined::Known(id.clone())
        );
        assert!(matches!(
            sessions.join(Some("feedface"), record(3, 6), 6),
            Joined::New(_)
        ));
        let view = sessions.view(&id, 7).unwrap();
        assert_eq!(view.iter().map(|c| c.conn).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn a_closed_session_is_kept_for_the_keep_time_then_forgotten() {
        let keep = Duration::from_secs(900);
        let sessions = Sessions::new(10, keep);
        let conn = record(1, 0);
        let Joined::New(id) = sessions.join(None, conn.clone(), 0) else {
            unreachable!()
        };
        close(&conn, 1_000);
        sessions.touch(&id, 1_000);
        assert!(sessions.view(&id, 1_000 + 900_000).is_some());
        assert!(sessions.view(&id, 1_000 + 900_001).is_none());
    }

    #[test]
    fn an_open_connection_keeps_its_session_however_long() {
        let sessions = Sessions::new(10, Duration::from_secs(1));
        let Joined::New(id) = sessions.join(None, record(1, 0), 0) else {
            unreachable!()
        };
        assert!(sessions.view(&id, 10_000_000).is_some());
    }

    #[test]
    fn at_the_cap_the_least_recently_active_closed_session_goes_first() {
        let sessions = Sessions::new(2, Duration::from_secs(900));
        let a = record(1, 0);
        let Joined::New(first) = sessions.join(None, a.clone(), 0) else {
            unreachable!()
        };
        close(&a, 10);
        let Joined::New(second) = sessions.join(None, record(2, 20), 20) else {
            unreachable!()
        };
        let Joined::New(third) = sessions.join(None, record(3, 30), 30) else {
            unreachable!()
        };
        assert_eq!(sessions.len(), 2);
        assert!(sessions.view(&first, 31).is_none());
        assert!(sessions.view(&second, 31).is_some());
        assert!(sessions.view(&third, 31).is_some());
    }

    #[test]
    fn a_session_remembers_a_bounded_number_of_connections() {
        let sessions = Sessions::new(10, Duration::from_secs(900));
        let first = record(0, 0);
        let Joined::New(id) = sessions.join(None, first.clone(), 0) else {
            unreachable!()
        };
        close(&first, 1);
        for conn in 1..200 {
            let r = record(conn, conn);
            sessions.join(Some(&id), r.clone(), conn);
            close(&r, conn);
        }
        let view = sessions.view(&id, 300).unwrap();
        assert_eq!(view.len(), MAX_CONNECTIONS_PER_SESSION);
        assert_eq!(view.last().unwrap().conn, 199);
    }

    #[test]
    fn round_trips_are_bounded_and_summarised() {
        let mut record = ConnRecord::new(1, 0);
        for i in 0..1000 {
            record.ping_sent(i);
            record.pong_received(i, f64::from(i as u32 % 10));
        }
        let view = record.view();
        assert_eq!(view.pings_sent, 1000);
        assert_eq!(view.pongs_received, 1000);
        assert_eq!(view.rtt_ms.max, Some(9.0));
        assert_eq!(record.rtts.len(), MAX_RTT_SAMPLES);
    }

    #[test]
    fn session_ids_differ() {
        assert_ne!(new_session_id(), new_session_id());
    }
}
