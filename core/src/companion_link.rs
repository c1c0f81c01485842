//! The console's link to the companion: when the user asks for `wsdoctor.v1` and the
//! server is wsdoctor-server, every connection joins one session, and after a close the
//! next connection asks how the server saw it. The answer (close frame or none, who sent
//! it) goes into the diagnosis: both sides of the disconnect.
//!
//! Pure logic: the console hands in what arrived and sends what this returns.

use std::collections::BTreeMap;

use crate::diagnosis::{CloseContext, ServerSide};
use crate::event_log::ConnId;
use crate::protocol::{ClientMessage, ServerMessage};

/// How many times to ask again when the server has not noted the close yet.
pub const MAX_ASKS: u32 = 4;
/// How long to wait before asking again.
pub const ASK_AGAIN_MS: u64 = 300;

/// A close waiting for the server's view.
#[derive(Clone, Debug, PartialEq)]
struct Pending {
    conn: ConnId,
    server_conn: u64,
    context: CloseContext,
    asks: u32,
}

/// What the console must do next.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Nothing.
    Nothing,
    /// Send this text on the connection the message came from.
    Send(String),
    /// Ask again on that connection after `ASK_AGAIN_MS`: the server has not noted the
    /// close yet.
    AskAgainSoon,
    /// The close of `conn`, now with the server's view in its context: diagnose again.
    Explained {
        /// The connection that closed.
        conn: ConnId,
        /// Its context, with `server` filled in.
        context: CloseContext,
    },
}

/// The link's state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompanionLink {
    session: Option<String>,
    server_conns: BTreeMap<ConnId, u64>,
    pending: Option<Pending>,
}

fn json(message: &ClientMessage) -> String {
    serde_json::to_string(message).unwrap_or_default()
}

impl CompanionLink {
    /// Nothing known yet.
    pub fn new() -> CompanionLink {
        CompanionLink::default()
    }

    /// The greeting a newly opened companion connection sends (joining the session).
    pub fn hello(&self) -> String {
        json(&ClientMessage::Hello {
            session: self.session.clone(),
        })
    }

    /// The question to ask again (see `Step::AskAgainSoon`), if a close still waits.
    pub fn ask(&self) -> Option<String> {
        self.pending.as_ref().map(|_| {
            json(&ClientMessage::SessionView {
                session: self.session.clone(),
            })
        })
    }

    /// A companion connection closed, with the context the browser gave; the next
    /// connection will ask the server about it.
    pub fn closed(&mut self, conn: ConnId, context: CloseContext) {
        if let Some(server_conn) = self.server_conns.remove(&conn) {
            self.pending = Some(Pending {
                conn,
                server_conn,
                context,
                asks: 0,
            });
        }
    }

    /// A text message arrived on companion connection `conn`.
    pub fn message(&mut self, conn: ConnId, text: &str) -> Step {
        let Ok(message) = serde_json::from_str::<ServerMessage>(text) else {
            return Step::Nothing;
        };
        match message {
            ServerMessage::Welcome {
                session,
                conn: server_conn,
                ..
            } => {
                self.session = Some(session);
                self.server_conns.insert(conn, server_conn);
                while self.server_conns.len() > 64 {
                    self.server_conns.pop_first();
                }
                match &mut self.pending {
                    Some(pending) if pending.conn != conn => {
                        pending.asks += 1;
                        self.ask().map_or(Step::Nothing, Step::Send)
                    }
                    _ => Step::Nothing,
                }
            }
            ServerMessage::SessionView { connections, .. } => {
                let Some(pending) = self.pending.as_mut() else {
                    return Step::Nothing;
                };
                let close = connections
                    .iter()
                    .find(|c| c.conn == pending.server_conn)
                    .and_then(|c| c.close.clone());
                match close {
                    Some(close) => {
                        let mut context = pending.context.clone();
                        context.server = Some(ServerSide {
                            by: close.by,
                            code: close.code,
                        });
                        let conn = pending.conn;
                        self.pending = None;
                        Step::Explained { conn, context }
                    }
                    None if pending.asks < MAX_ASKS => {
                        pending.asks += 1;
                        Step::AskAgainSoon
                    }
                    None => {
                        self.pending = None;
                        Step::Nothing
                    }
                }
            }
            _ => Step::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{CloseView, ClosedBy, ConnectionView, RttSummary};

    fn welcome(conn: u64) -> String {
        serde_json::json!({
            "type": "welcome", "session": "s1", "conn": conn, "server_time_ms": 0,
            "limits": {"max_message_bytes": 1, "min_tick_ms": 1, "min_ping_ms": 1,
                       "max_delay_ms": 1, "max_errors_per_minute": 1, "session_keep_ms": 1},
            "handshake": {"client_addr": "127.0.0.1:1", "extensions_offered": [],
                          "extensions_accepted": [], "proxy_headers": []}
        })
        .to_string()
    }

    fn view(conn: u64, close: Option<CloseView>) -> String {
        let message = ServerMessage::SessionView {
            session: "s1".into(),
            connections: vec![ConnectionView {
                conn,
                opened_ms: 0,
                closed_ms: close.as_ref().map(|_| 1),
                close,
                last_rx_ms: 0,
                last_tx_ms: 0,
                pings_sent: 0,
                pongs_received: 0,
                rtt_ms: RttSummary::default(),
            }],
        };
        serde_json::to_string(&message).unwrap()
    }

    fn dropped() -> CloseContext {
        CloseContext {
            code: 1006,
            opened: true,
            ..CloseContext::default()
        }
    }

    #[test]
    fn the_next_connection_asks_and_the_answer_fills_in_the_servers_side() {
        let mut link = CompanionLink::new();
        assert_eq!(link.hello(), r#"{"type":"hello"}"#);
        assert_eq!(link.message(ConnId(1), &welcome(7)), Step::Nothing);
        link.closed(ConnId(1), dropped());
        assert_eq!(
            link.hello(),
            r#"{"type":"hello","session":"s1"}"#,
            "joins the session"
        );
        let ask = link.message(ConnId(2), &welcome(8));
        assert_eq!(
            ask,
            Step::Send(r#"{"type":"session_view","session":"s1"}"#.into())
        );
        let answer = link.message(
            ConnId(2),
            &view(
                7,
                Some(CloseView {
                    code: None,
                    reason: None,
                    by: ClosedBy::None,
                }),
            ),
        );
        let Step::Explained { conn, context } = answer else {
            panic!("{answer:?}")
        };
        assert_eq!(conn, ConnId(1));
        assert_eq!(
            context.server,
            Some(ServerSide {
                by: ClosedBy::None,
                code: None
            })
        );
        assert_eq!(link.ask(), None, "nothing waits any more");
    }

    #[test]
    fn a_server_that_has_not_noted_the_close_yet_is_asked_again_a_few_times() {
        let mut link = CompanionLink::new();
        link.message(ConnId(1), &welcome(7));
        link.closed(ConnId(1), dropped());
        link.message(ConnId(2), &welcome(8));
        let mut steps = Vec::new();
        for _ in 0..10 {
            steps.push(link.message(ConnId(2), &view(7, None)));
        }
        let again = steps.iter().filter(|s| **s == Step::AskAgainSoon).count();
        assert_eq!(again as u32, MAX_ASKS - 1, "{steps:?}");
        assert_eq!(link.ask(), None, "then it gives up");
    }

    #[test]
    fn closes_of_other_servers_and_garbage_change_nothing() {
        let mut link = CompanionLink::new();
        link.closed(ConnId(1), dropped()); // never welcomed: not a companion connection
        assert_eq!(link.ask(), None);
        assert_eq!(link.message(ConnId(1), "not json"), Step::Nothing);
        assert_eq!(
            link.message(ConnId(1), r#"{"type":"tick","seq":1,"server_time_ms":0}"#),
            Step::Nothing
        );
    }
}
