//! The companion protocol `wsdoctor.v1`: the JSON messages a client and wsdoctor-server
//! exchange once the client asked for the subprotocol `wsdoctor.v1`.
//!
//! Every message is a JSON text message with a `type` field. These types are the single
//! definition used by the app and the server; `docs/protocol.md` documents them for
//! third-party clients. Times named `*_ms` without more are Unix epoch milliseconds on
//! the server's clock; `t` is whatever the client put there, echoed untouched.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::close_code::{MAX_REASON_BYTES, travels_on_wire};

/// The subprotocol name a client asks for.
pub const SUBPROTOCOL: &str = crate::COMPANION_SUBPROTOCOL;

/// A message from the client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// Starts (no or unknown `session`) or continues (a known `session`) a session.
    Hello {
        /// A session id from an earlier `welcome`, to link a reconnect.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
    },
    /// Asks for an immediate `echo` reply.
    Echo {
        /// The client's sequence number.
        seq: u64,
        /// The client's send time, echoed untouched.
        t: f64,
        /// Any JSON, echoed untouched.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data: Option<Value>,
    },
    /// Changes what the server does on its own. An absent field keeps its value; `null`
    /// stops a periodic action.
    Configure {
        /// Send `tick` every so many ms (`null`: stop).
        #[serde(
            default,
            deserialize_with = "present",
            skip_serializing_if = "Option::is_none"
        )]
        tick_every_ms: Option<Option<u64>>,
        /// Send protocol Ping frames every so many ms (`null`: stop).
        #[serde(
            default,
            deserialize_with = "present",
            skip_serializing_if = "Option::is_none"
        )]
        ping_every_ms: Option<Option<u64>>,
        /// Whether `heartbeat` gets a `heartbeat_ack`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ack_heartbeats: Option<bool>,
        /// Whether each Pong's round trip is reported as `ping_rtt`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        report_pings: Option<bool>,
        /// Close with 1011 when a Ping has gone this long without its Pong (`null`: never),
        /// as a server's keepalive does.
        #[serde(
            default,
            deserialize_with = "present",
            skip_serializing_if = "Option::is_none"
        )]
        ping_timeout_ms: Option<Option<u64>>,
        /// Close with 1000 after this long without a message from the client (`null`:
        /// never), as a server that reaps idle clients does.
        #[serde(
            default,
            deserialize_with = "present",
            skip_serializing_if = "Option::is_none"
        )]
        client_idle_close_ms: Option<Option<u64>>,
    },
    /// Asks the server to stop reading and writing on this connection for `ms`, keeping
    /// TCP open: what a client sees after a server or NAT forgot it (a half-open socket).
    Blackhole {
        /// How long, in ms.
        ms: u64,
    },
    /// A client heartbeat; answered with `heartbeat_ack` when acks are on.
    Heartbeat {
        /// The client's sequence number.
        seq: u64,
    },
    /// Asks the server to close with this code and reason, after a delay.
    Close {
        /// The close code (must be one that may travel on the wire).
        code: u16,
        /// The close reason (at most 123 bytes of UTF-8).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// Wait this long first.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after_ms: Option<u64>,
    },
    /// Asks the server to drop the TCP connection without a close frame.
    Abort {
        /// Wait this long first.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after_ms: Option<u64>,
    },
    /// Asks the server to break the protocol on purpose.
    Misbehave {
        /// What to do.
        kind: MisbehaveKind,
    },
    /// Asks the server to send one binary message of `bytes` zero bytes (at most
    /// `max_message_bytes`, and at most `SEND_BUDGET_BYTES` in all on one connection, so
    /// a request cannot make the server send without bound).
    Send {
        /// The message's size.
        bytes: u64,
    },
    /// Asks what the server observed of a session's connections.
    SessionView {
        /// The session (default: this connection's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
    },
}

/// Deserialises a field that is present (value or `null`) as `Some(..)`; an absent field
/// stays `None` through `#[serde(default)]`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Ways the server can break the protocol on request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MisbehaveKind {
    /// A text frame whose payload is not valid UTF-8.
    InvalidUtf8,
    /// A message larger than the advertised `max_message_bytes`.
    Oversized,
}

/// A message from the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The answer to `hello`.
    Welcome {
        /// The session id (new, or the one the client sent if it was known).
        session: String,
        /// This connection's number on the server.
        conn: u64,
        /// The server's clock.
        server_time_ms: u64,
        /// The limits in force.
        limits: Limits,
        /// What the server saw of the upgrade request.
        handshake: HandshakeView,
    },
    /// The answer to `echo`.
    Echo {
        /// The client's sequence number.
        seq: u64,
        /// The client's time, untouched.
        t: f64,
        /// The client's data, untouched.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data: Option<Value>,
        /// The server's clock when it answered.
        server_time_ms: u64,
    },
    /// The answer to `configure`: the values now in force.
    Configured {
        /// Tick interval, or `null` when off.
        tick_every_ms: Option<u64>,
        /// Ping interval, or `null` when off.
        ping_every_ms: Option<u64>,
        /// Whether heartbeats are answered.
        ack_heartbeats: bool,
        /// Whether ping round trips are reported.
        report_pings: bool,
        /// The Pong deadline that closes with 1011, or `null` when off.
        #[serde(default)]
        ping_timeout_ms: Option<u64>,
        /// The client silence that closes with 1000, or `null` when off.
        #[serde(default)]
        client_idle_close_ms: Option<u64>,
    },
    /// The server goes silent now for `ms` (the answer to `blackhole`).
    Blackholed {
        /// How long.
        ms: u64,
    },
    /// A periodic message from the server.
    Tick {
        /// Counts ticks on this connection from 1.
        seq: u64,
        /// The server's clock.
        server_time_ms: u64,
    },
    /// The round trip of one protocol Ping, measured by the server.
    PingRtt {
        /// Counts pings on this connection from 1.
        seq: u64,
        /// From sending the Ping to receiving its Pong.
        rtt_ms: f64,
    },
    /// The acknowledgement of a binary message from the client: its size as received.
    Received {
        /// The message's size, in bytes.
        bytes: u64,
    },
    /// The answer to `heartbeat`.
    HeartbeatAck {
        /// The client's sequence number.
        seq: u64,
    },
    /// The answer to `session_view`.
    SessionView {
        /// The session.
        session: String,
        /// Its connections, oldest first.
        connections: Vec<ConnectionView>,
    },
    /// A request was not understood or not allowed; the connection stays open.
    Error {
        /// What was wrong, in one sentence.
        message: String,
    },
}

/// The limits the server enforces, advertised in `welcome`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// The largest message accepted; a larger one closes the connection with 1009.
    pub max_message_bytes: usize,
    /// The shortest `tick_every_ms` accepted.
    pub min_tick_ms: u64,
    /// The shortest `ping_every_ms` accepted.
    pub min_ping_ms: u64,
    /// The longest `after_ms` of `close` and `abort`.
    pub max_delay_ms: u64,
    /// More `error` replies than this within a minute close the connection with 1008.
    pub max_errors_per_minute: u32,
    /// How long a session's view is kept after its last connection closed.
    pub session_keep_ms: u64,
}

impl Limits {
    /// wsdoctor-server's defaults, for the scenario tests' simulated companions.
    #[cfg(test)]
    pub(crate) fn for_tests() -> Limits {
        Limits {
            max_message_bytes: 1 << 20,
            min_tick_ms: 100,
            min_ping_ms: 100,
            max_delay_ms: 600_000,
            max_errors_per_minute: 20,
            session_keep_ms: 900_000,
        }
    }
}

/// What the server saw of the upgrade request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeView {
    /// The address the TCP connection came from (a proxy's, if one is in the path).
    pub client_addr: String,
    /// `Origin`, if sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// `User-Agent`, if sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The extensions the client offered (`Sec-WebSocket-Extensions`).
    pub extensions_offered: Vec<String>,
    /// The extensions the server accepted (none: wsdoctor-server accepts none).
    pub extensions_accepted: Vec<String>,
    /// Headers that reveal an intermediary (`Via`, `Forwarded`, `X-Forwarded-*`,
    /// `X-Real-IP`, ...), as sent. Their absence proves nothing: a tunnel hides a proxy.
    pub proxy_headers: Vec<Header>,
}

/// Why `check` (the lab, the soak, the size check), which needs the companion, cannot
/// run against this server: it picked `protocol` instead of `wsdoctor.v1` (empty: none),
/// or (`None`) it took the name but did not answer `hello` with a `welcome`.
pub fn not_the_companion(check: &str, protocol: Option<&str>) -> String {
    let what = match protocol {
        Some("") => "picked no subprotocol".to_string(),
        Some(other) => format!("picked {other}"),
        None => "did not answer its hello".to_string(),
    };
    format!("{check} needs wsdoctor-server's companion, and this server {what}")
}

/// How many bytes `send` requests may ask for in all on one connection.
pub const SEND_BUDGET_BYTES: u64 = 64 * 1024 * 1024;

/// The close reason wsdoctor-server sends to every connection when it stops (with 1001
/// from the companion, 1012 from the echo path).
pub const SHUTDOWN_REASON: &str = "the server is stopping";

/// The query that turns a plain `GET` of the companion's path into the HTTP side of the
/// "blocked or down" check: the server answers `HttpSeen` as JSON (and 426, as before, to
/// a plain `GET` without it). Same path as the WebSocket, so the request takes the same
/// route through every proxy.
pub const HTTP_CHECK_QUERY: &str = "http-check";

/// What the value of `HttpSeen::service` always is: tells the companion's answer from a
/// page or a proxy's error page that happens to be JSON.
pub const HTTP_CHECK_SERVICE: &str = "wsdoctor-server";

/// The companion's answer to a plain HTTP request: what it saw of it, and what it saw of
/// WebSocket requests from the same address that arrived broken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpSeen {
    /// Always `HTTP_CHECK_SERVICE`.
    pub service: String,
    /// The request as the server saw it (no extensions: it is not an upgrade).
    pub request: HandshakeView,
    /// WebSocket requests from the same client address that reached the server in the
    /// last minute without `Upgrade` or `Connection: upgrade`: something in between
    /// dropped them.
    #[serde(default)]
    pub upgrades_without_upgrade_header: u32,
}

/// One HTTP header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The name, in lower case.
    pub name: String,
    /// The value.
    pub value: String,
}

/// What the server observed of one connection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectionView {
    /// The connection's number on the server.
    pub conn: u64,
    /// When it opened.
    pub opened_ms: u64,
    /// When it closed, if it has.
    pub closed_ms: Option<u64>,
    /// How it closed, if it has.
    pub close: Option<CloseView>,
    /// The last time anything arrived from the client (0: never).
    pub last_rx_ms: u64,
    /// The last time the server sent anything (0: never).
    pub last_tx_ms: u64,
    /// Protocol Pings the server sent.
    pub pings_sent: u64,
    /// Pongs that came back.
    pub pongs_received: u64,
    /// Round trips of those pings.
    pub rtt_ms: RttSummary,
}

/// How a connection ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseView {
    /// The close code, when a close frame carried one.
    pub code: Option<u16>,
    /// The close reason, when a close frame carried one.
    pub reason: Option<String>,
    /// Who closed it.
    pub by: ClosedBy,
}

/// Who ended a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosedBy {
    /// The client sent a close frame.
    Client,
    /// The server sent a close frame (or aborted on request).
    Server,
    /// The TCP connection ended with no close frame: something in between cut it, or
    /// the client vanished.
    None,
}

/// p50, p95 and maximum of a set of round trips (all `null` when there are none).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RttSummary {
    /// The median.
    pub p50: Option<f64>,
    /// The 95th percentile.
    pub p95: Option<f64>,
    /// The largest.
    pub max: Option<f64>,
}

impl RttSummary {
    /// Summarises `samples` (nearest-rank percentiles).
    pub fn of(samples: &[f64]) -> RttSummary {
        if samples.is_empty() {
            return RttSummary::default();
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        RttSummary {
            p50: Some(crate::stats::nearest_rank(&sorted, 0.50)),
            p95: Some(crate::stats::nearest_rank(&sorted, 0.95)),
            max: sorted.last().copied(),
        }
    }
}

/// Parses one client text message, with an error that names the problem.
pub fn parse_client_message(text: &str) -> Result<ClientMessage, String> {
    let message: ClientMessage = serde_json::from_str(text).map_err(|err| {
        let err = err.to_string();
        if err.contains("missing field `type`") {
            "the message has no \"type\" field".to_string()
        } else {
            format!("the message was not understood: {err}")
        }
    })?;
    if let ClientMessage::Close { code, reason, .. } = &message {
        if !travels_on_wire(*code) {
            return Err(format!(
                "close code {code} may not be sent in a close frame (allowed: 1000-1003, 1007-1014, 3000-4999)"
            ));
        }
        if let Some(reason) = reason.as_deref().filter(|r| r.len() > MAX_REASON_BYTES) {
            return Err(format!(
                "the close reason is {} bytes; at most {MAX_REASON_BYTES} fit a close frame",
                reason.len()
            ));
        }
    }
    Ok(message)
}

/// The subprotocols an experiment offers: `wsdoctor.v1` first when `offer_companion`,
/// then the user's own (a `wsdoctor.v1` among them is left out: it is offered or not by
/// the first rule, never twice).
pub fn offered_subprotocols(offer_companion: bool, own: &[String]) -> Vec<String> {
    let companion = crate::COMPANION_SUBPROTOCOL;
    offer_companion
        .then(|| companion.to_string())
        .into_iter()
        .chain(own.iter().filter(|p| p.as_str() != companion).cloned())
        .collect()
}

/// Serialises a server message (infallible for these types).
pub fn to_json(message: &ServerMessage) -> String {
    serde_json::to_string(message).unwrap_or_else(|err| {
        format!("{{\"type\":\"error\",\"message\":\"cannot serialise a reply: {err}\"}}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hello_with_and_without_a_session() {
        assert_eq!(
            parse_client_message(r#"{"type":"hello"}"#),
            Ok(ClientMessage::Hello { session: None })
        );
        assert_eq!(
            parse_client_message(r#"{"type":"hello","session":"ab12"}"#),
            Ok(ClientMessage::Hello {
                session: Some("ab12".into())
            })
        );
    }

    #[test]
    fn echo_keeps_any_json_data() {
        let parsed = parse_client_message(r#"{"type":"echo","seq":3,"t":12.5,"data":{"x":[1,2]}}"#);
        assert_eq!(
            parsed,
            Ok(ClientMessage::Echo {
                seq: 3,
                t: 12.5,
                data: Some(json!({"x": [1, 2]}))
            })
        );
    }

    #[test]
    fn configure_tells_absent_from_null_from_a_value() {
        let parsed = parse_client_message(
            r#"{"type":"configure","tick_every_ms":null,"ping_every_ms":500}"#,
        )
        .unwrap();
        assert_eq!(
            parsed,
            ClientMessage::Configure {
                tick_every_ms: Some(None),
                ping_every_ms: Some(Some(500)),
                ack_heartbeats: None,
                report_pings: None,
                ping_timeout_ms: None,
                client_idle_close_ms: None,
            }
        );
    }

    #[test]
    fn close_codes_that_cannot_travel_are_refused_by_name() {
        for code in [999, 1004, 1005, 1006, 1015, 2000, 5000] {
            let err =
                parse_client_message(&format!(r#"{{"type":"close","code":{code}}}"#)).unwrap_err();
            assert!(err.contains(&code.to_string()), "{err}");
        }
        assert!(parse_client_message(r#"{"type":"close","code":4000,"reason":"ok"}"#).is_ok());
    }

    #[test]
    fn a_close_reason_over_123_bytes_is_refused() {
        let long = "é".repeat(62); // 124 bytes
        let err = parse_client_message(&format!(
            r#"{{"type":"close","code":1000,"reason":"{long}"}}"#
        ))
        .unwrap_err();
        assert!(err.contains("124 bytes"), "{err}");
    }

    #[test]
    fn bad_messages_get_an_error_naming_the_problem() {
        let cases = [
            ("not json", "not understood"),
            (r#"{"seq":1}"#, "no \"type\""),
            (r#"{"type":"dance"}"#, "unknown variant `dance`"),
            (r#"{"type":"echo","t":1}"#, "missing field `seq`"),
            (r#"{"type":"heartbeat","seq":-1}"#, "invalid value"),
            (
                r#"{"type":"misbehave","kind":"explode"}"#,
                "unknown variant `explode`",
            ),
            (r#"{"type":"hello","sesion":"x"}"#, "unknown field `sesion`"),
        ];
        for (text, wanted) in cases {
            let err = parse_client_message(text).unwrap_err();
            assert!(err.contains(wanted), "{text}: {err}");
        }
    }

    #[test]
    fn server_messages_serialise_with_their_type() {
        let text = to_json(&ServerMessage::HeartbeatAck { seq: 9 });
        assert_eq!(text, r#"{"type":"heartbeat_ack","seq":9}"#);
        let text = to_json(&ServerMessage::Configured {
            tick_every_ms: None,
            ping_every_ms: Some(1000),
            ack_heartbeats: true,
            report_pings: false,
            ping_timeout_ms: Some(3000),
            client_idle_close_ms: None,
        });
        assert_eq!(
            text,
            r#"{"type":"configured","tick_every_ms":null,"ping_every_ms":1000,"ack_heartbeats":true,"report_pings":false,"ping_timeout_ms":3000,"client_idle_close_ms":null}"#
        );
        // A reply from a server before these two fields reads as both off.
        let older: ServerMessage = serde_json::from_str(
            r#"{"type":"configured","tick_every_ms":null,"ping_every_ms":null,"ack_heartbeats":true,"report_pings":false}"#,
        )
        .unwrap();
        assert!(matches!(
            older,
            ServerMessage::Configured {
                ping_timeout_ms: None,
                client_idle_close_ms: None,
                ..
            }
        ));
        assert_eq!(
            parse_client_message(r#"{"type":"blackhole","ms":4000}"#),
            Ok(ClientMessage::Blackhole { ms: 4000 })
        );
        assert_eq!(
            to_json(&ServerMessage::Blackholed { ms: 4000 }),
            r#"{"type":"blackholed","ms":4000}"#
        );
    }

    #[test]
    fn rtt_summary_uses_nearest_rank() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        let summary = RttSummary::of(&samples);
        assert_eq!(summary.p50, Some(50.0));
        assert_eq!(summary.p95, Some(95.0));
        assert_eq!(summary.max, Some(100.0));
        assert_eq!(RttSummary::of(&[]), RttSummary::default());
        assert_eq!(RttSummary::of(&[3.0]).p95, Some(3.0));
    }
}
