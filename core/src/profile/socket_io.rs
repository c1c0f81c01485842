//! Socket.IO over Engine.IO, read as the real client reads it.
//!
//! Engine.IO v4 (Socket.IO 3 and 4) frames a text message as a one-digit packet type and
//! data: `0{...}` open (sid, pingInterval, pingTimeout, maxPayload), `1` close, `2` ping,
//! `3` pong, `4` message, `5` upgrade, `6` noop. The v4 server pings (`2`) every
//! pingInterval and the client answers `3`; a client that misses a pong is closed
//! pingTimeout later without a status code (the browser reports 1005). In v3 (Socket.IO
//! 2.x) the client pings and the server answers. A message carries a Socket.IO packet:
//! a type digit (`0` connect, `1` disconnect, `2` event, `3` ack, `4` connect error,
//! `5`/`6` binary event and ack), an optional attachment count `N-`, an optional
//! namespace `/ns,`, an optional ack id, then JSON.

use serde::Deserialize;

use super::{Reading, preview};
use crate::duration::seconds;

/// Engine.IO's defaults, which the open packet overrides.
pub const DEFAULT_PING_INTERVAL_MS: u64 = 25_000;
/// See `DEFAULT_PING_INTERVAL_MS`.
pub const DEFAULT_PING_TIMEOUT_MS: u64 = 20_000;
/// Socket.IO's default wait for a namespace CONNECT before it drops the client.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 45_000;

/// What the server's open packet says.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenPacket {
    /// The Engine.IO session id.
    #[serde(default)]
    pub sid: String,
    /// How often the v4 server pings (the v3 client).
    #[serde(default = "default_interval")]
    pub ping_interval: u64,
    /// How long a ping may wait for its pong.
    #[serde(default = "default_timeout")]
    pub ping_timeout: u64,
    /// The largest message the server takes, in bytes (v4).
    #[serde(default)]
    pub max_payload: Option<u64>,
}

fn default_interval() -> u64 {
    DEFAULT_PING_INTERVAL_MS
}

fn default_timeout() -> u64 {
    DEFAULT_PING_TIMEOUT_MS
}

impl Default for OpenPacket {
    /// Engine.IO's defaults, for a session whose open packet never came.
    fn default() -> Self {
        OpenPacket {
            sid: String::new(),
            ping_interval: DEFAULT_PING_INTERVAL_MS,
            ping_timeout: DEFAULT_PING_TIMEOUT_MS,
            max_payload: None,
        }
    }
}

impl OpenPacket {
    /// "pingInterval 25 s, pingTimeout 20 s", the numbers the server gave.
    pub fn timings(&self) -> String {
        format!(
            "pingInterval {}, pingTimeout {}",
            seconds(self.ping_interval),
            seconds(self.ping_timeout)
        )
    }
}

/// One Engine.IO packet, as far as the profile acts on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Packet {
    /// `0{...}`: the session opened.
    Open(OpenPacket),
    /// `1`: the server closes the Engine.IO session.
    Close,
    /// `2`: a ping (the v4 server's heartbeat).
    Ping,
    /// `3`: a pong.
    Pong,
    /// `4...`: a Socket.IO packet.
    Message(SocketPacket),
    /// `5`, `6`: upgrade and noop, which a websocket-only client never needs.
    Other,
}

/// The Socket.IO packet types the profile acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SocketPacket {
    /// `0`: a namespace connected (from the server) or asked for (from the client).
    Connect {
        /// The namespace (`/` is the main one).
        namespace: String,
    },
    /// `1`: a namespace disconnected; from the server: "io server disconnect".
    Disconnect {
        /// The namespace (`/` is the main one).
        namespace: String,
    },
    /// `4`: the server refused a namespace.
    ConnectError {
        /// The namespace (`/` is the main one).
        namespace: String,
    },
    /// Events, acks and binary packets.
    Data,
}

/// The URL the real client opens for a bare `url`: path `/socket.io/` when the URL has
/// none, and `EIO=4&transport=websocket` in the query when it has no `EIO`.
pub fn client_url(url: &str) -> String {
    let (without_fragment, fragment) = match url.split_once('#') {
        Some((head, tail)) => (head, Some(tail)),
        None => (url, None),
    };
    let (base, query) = match without_fragment.split_once('?') {
        Some((base, query)) => (base.to_string(), query.to_string()),
        None => (without_fragment.to_string(), String::new()),
    };
    let mut base = base;
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    match base[after_scheme..].find('/') {
        None => base.push_str("/socket.io/"),
        Some(slash) if after_scheme + slash + 1 == base.len() => base.push_str("socket.io/"),
        Some(_) => {}
    }
    let has_eio = query.split('&').any(|pair| pair.starts_with("EIO="));
    let mut query = query;
    if !has_eio {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str("EIO=4&transport=websocket");
    }
    let mut out = format!("{base}?{query}");
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// The Engine.IO version a URL asks for (`EIO=3` or `EIO=4`), if it says.
pub fn eio_in_url(url: &str) -> Option<u8> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or("");
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("EIO="))
        .and_then(|v| v.parse().ok())
}

/// Whether a URL looks like a Socket.IO endpoint (its path or its `EIO=` query).
pub fn url_says_socket_io(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or("");
    path.contains("/socket.io") || eio_in_url(url).is_some()
}

/// Reads a text frame as an Engine.IO packet (`None` when it is not one).
pub fn parse(text: &str) -> Option<Packet> {
    let mut chars = text.chars();
    let packet = match chars.next()? {
        '0' => Packet::Open(open_packet(chars.as_str())?),
        '1' => Packet::Close,
        '2' => Packet::Ping,
        '3' => Packet::Pong,
        '4' => Packet::Message(socket_packet(chars.as_str())?),
        '5' | '6' => Packet::Other,
        _ => return None,
    };
    Some(packet)
}

/// The open packet's JSON object (an array or a number is not one).
fn open_packet(json: &str) -> Option<OpenPacket> {
    if !json.trim_start().starts_with('{') {
        return None;
    }
    serde_json::from_str(json).ok()
}

fn socket_packet(text: &str) -> Option<SocketPacket> {
    let header = header(text).ok()?;
    Some(match header.kind {
        '0' => SocketPacket::Connect {
            namespace: header.namespace,
        },
        '1' => SocketPacket::Disconnect {
            namespace: header.namespace,
        },
        '4' => SocketPacket::ConnectError {
            namespace: header.namespace,
        },
        _ => SocketPacket::Data,
    })
}

/// A Socket.IO packet's header: type, attachments, namespace, ack id, and the JSON after.
struct Header<'a> {
    kind: char,
    attachments: Option<u32>,
    namespace: String,
    ack: Option<u64>,
    data: &'a str,
}

fn header(text: &str) -> Result<Header<'_>, String> {
    let mut rest = text;
    let kind = rest
        .chars()
        .next()
        .ok_or("a message packet without a Socket.IO type")?;
    if !('0'..='6').contains(&kind) {
        return Err(format!("unknown Socket.IO packet type '{kind}'"));
    }
    rest = &rest[1..];
    let mut attachments = None;
    if matches!(kind, '5' | '6') {
        let dash = rest
            .find('-')
            .ok_or("a binary packet without its attachment count")?;
        attachments = Some(
            rest[..dash]
                .parse()
                .map_err(|_| "a binary packet with a bad attachment count")?,
        );
        rest = &rest[dash + 1..];
    }
    let mut namespace = "/".to_string();
    if rest.starts_with('/') {
        let end = rest.find(',').unwrap_or(rest.len());
        namespace = preview(&rest[..end]);
        rest = rest.get(end + 1..).unwrap_or("");
    }
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    let ack = if digits > 0 {
        Some(rest[..digits].parse().map_err(|_| "an ack id too large")?)
    } else {
        None
    };
    rest = &rest[digits..];
    Ok(Header {
        kind,
        attachments,
        namespace,
        ack,
        data: rest,
    })
}

/// A text frame read as the Socket.IO client reads it.
pub fn read(text: &str) -> Reading {
    let Some(first) = text.chars().next() else {
        return Reading::malformed("empty frame: not an Engine.IO packet");
    };
    let rest = &text[first.len_utf8()..];
    match first {
        '0' => match open_packet(rest) {
            Some(open) => Reading::ok(format!(
                "open sid {}, {}",
                preview(&open.sid),
                open.timings()
            )),
            None => Reading::malformed(format!(
                "open packet whose JSON does not parse: {}",
                preview(rest)
            )),
        },
        '1' => Reading::ok("close (Engine.IO)"),
        '2' => Reading::ok(with_data("ping", rest)),
        '3' => Reading::ok(with_data("pong", rest)),
        '4' => read_message(rest),
        '5' => Reading::ok("upgrade"),
        '6' => Reading::ok("noop"),
        other => Reading::malformed(format!(
            "not an Engine.IO packet: unknown type '{}'",
            preview(&other.to_string())
        )),
    }
}

fn with_data(name: &str, data: &str) -> String {
    if data.is_empty() {
        name.to_string()
    } else {
        format!("{name} {}", preview(data))
    }
}

fn read_message(text: &str) -> Reading {
    let header = match header(text) {
        Ok(header) => header,
        Err(why) => return Reading::malformed(why),
    };
    let data = header.data;
    let parsed: Option<serde_json::Value> = if data.is_empty() {
        None
    } else {
        match serde_json::from_str(data) {
            Ok(value) => Some(value),
            Err(_) => {
                return Reading::malformed(format!(
                    "Socket.IO packet whose JSON does not parse (truncated?): {}",
                    preview(text)
                ));
            }
        }
    };
    let mut line = match header.kind {
        '0' => match &parsed {
            Some(data) => format!("connect {} {}", header.namespace, compact(data)),
            None => format!("connect {}", header.namespace),
        },
        '1' => format!("disconnect {}", header.namespace),
        '2' | '5' => match event(parsed.as_ref()) {
            Ok(text) => text,
            Err(why) => return Reading::malformed(why),
        },
        '3' | '6' => format!(
            "ack {} {}",
            header.ack.map_or("?".into(), |id| id.to_string()),
            parsed.as_ref().map(compact).unwrap_or_default()
        )
        .trim_end()
        .to_string(),
        _ => format!(
            "connect refused {} {}",
            header.namespace,
            parsed.as_ref().map(compact).unwrap_or_default()
        )
        .trim_end()
        .to_string(),
    };
    if header.namespace != "/" && matches!(header.kind, '2' | '3' | '5' | '6') {
        line.push_str(&format!(" on {}", header.namespace));
    }
    if let (Some(id), '2' | '5') = (header.ack, header.kind) {
        line.push_str(&format!(" (ack {id} asked)"));
    }
    if let Some(count) = header.attachments {
        line.push_str(&format!(" ({count} binary attachment(s) follow)"));
    }
    Reading::ok(line)
}

/// `event "chat" ["hi"]` from an EVENT's data (`["chat","hi"]`).
fn event(data: Option<&serde_json::Value>) -> Result<String, String> {
    let Some(serde_json::Value::Array(items)) = data else {
        return Err("an event without its array of name and arguments".into());
    };
    let Some((serde_json::Value::String(name), args)) = items.split_first() else {
        return Err("an event whose first element is not its name".into());
    };
    let args = serde_json::Value::Array(args.to_vec());
    Ok(format!(
        "event {} {}",
        compact(&serde_json::Value::String(name.clone())),
        compact(&args)
    ))
}

fn compact(value: &serde_json::Value) -> String {
    preview(&value.to_string())
}
