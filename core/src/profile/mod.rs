//! Application-protocol profiles: most production WebSockets speak a framework's protocol
//! on top (Socket.IO, graphql-ws), and their servers drop a client that does not answer
//! the framework's own heartbeat or never sends its init message. A profile knows one
//! protocol: its URL shape and subprotocol, its opening exchange, how the real client
//! answers the server's heartbeat, how to read each frame as an event, and how its
//! servers close.
//!
//! `ProfileKind` names a protocol; `ProfileChoice` is what the user picked (detect, or
//! one by hand); `Mode` says whether the page behaves like the real client or stays
//! silent to watch the server's own timeout fire. `ProfileSession` (in `session`) is the
//! state machine one connection runs: frames in, replies out. `detect` chooses a profile
//! from the evidence, `socket_io` and `graphql` are the codecs, and `closes` turns what
//! the session saw into a finding for the close panel.

use serde::{Deserialize, Serialize};

use crate::close_code::System;
use crate::event_log::PREVIEW_CHARS;

pub mod closes;
pub mod detect;
pub mod graphql;
pub mod session;
pub mod socket_io;

#[cfg(test)]
mod tests;

pub use session::{Action, ProfileSession, ProtocolFacts};

/// A protocol the page can speak on top of WebSocket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileKind {
    /// Plain WebSocket: the page sends only what the user sends.
    #[default]
    Raw,
    /// Socket.IO over Engine.IO (v4, and v3 for Socket.IO 2.x).
    #[serde(rename = "socketio")]
    SocketIo,
    /// graphql-ws, the `graphql-transport-ws` subprotocol.
    GraphqlWs,
    /// The legacy subscriptions-transport-ws, the `graphql-ws` subprotocol.
    SubscriptionsTransportWs,
}

impl ProfileKind {
    /// Every profile, raw first.
    pub const ALL: [ProfileKind; 4] = [
        ProfileKind::Raw,
        ProfileKind::SocketIo,
        ProfileKind::GraphqlWs,
        ProfileKind::SubscriptionsTransportWs,
    ];

    /// Its name in links and data attributes (`socketio`, `graphql-ws`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ProfileKind::Raw => "raw",
            ProfileKind::SocketIo => "socketio",
            ProfileKind::GraphqlWs => "graphql-ws",
            ProfileKind::SubscriptionsTransportWs => "subscriptions-transport-ws",
        }
    }

    /// The profile a name stands for (`from_name(k.name()) == Some(k)`).
    pub fn from_name(name: &str) -> Option<ProfileKind> {
        let name = name.trim().to_ascii_lowercase();
        let name = if name == "socket.io" {
            "socketio"
        } else {
            &name
        };
        ProfileKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Its name as people know it.
    pub fn title(self) -> &'static str {
        match self {
            ProfileKind::Raw => "Raw WebSocket",
            ProfileKind::SocketIo => "Socket.IO",
            ProfileKind::GraphqlWs => "graphql-ws",
            ProfileKind::SubscriptionsTransportWs => "subscriptions-transport-ws",
        }
    }

    /// The subprotocol its client asks for, if any.
    pub fn subprotocol(self) -> Option<&'static str> {
        match self {
            ProfileKind::GraphqlWs => Some(graphql::MODERN_SUBPROTOCOL),
            ProfileKind::SubscriptionsTransportWs => Some(graphql::LEGACY_SUBPROTOCOL),
            ProfileKind::Raw | ProfileKind::SocketIo => None,
        }
    }

    /// A heartbeat the page may send under this protocol without breaking it (`None`:
    /// raw, any text will do): a Socket.IO event no handler listens to, a graphql-ws
    /// `ping` (the server answers `pong`), a legacy `stop` of no operation.
    pub fn heartbeat(self, seq: u64) -> Option<String> {
        match self {
            ProfileKind::Raw => None,
            ProfileKind::SocketIo => Some(format!(r#"42["wsdoctor-heartbeat",{seq}]"#)),
            ProfileKind::GraphqlWs => Some(r#"{"type":"ping"}"#.into()),
            ProfileKind::SubscriptionsTransportWs => Some(format!(
                r#"{{"id":"wsdoctor-heartbeat-{seq}","type":"stop"}}"#
            )),
        }
    }

    /// The system whose close codes the catalogue knows for it.
    pub fn system(self) -> Option<System> {
        match self {
            ProfileKind::GraphqlWs => Some(System::GraphqlWs),
            ProfileKind::SubscriptionsTransportWs => Some(System::SubscriptionsTransportWs),
            ProfileKind::Raw | ProfileKind::SocketIo => None,
        }
    }
}

/// What the user picked: detect the profile from the evidence, or one by hand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileChoice {
    /// From the URL, the negotiated subprotocol and the first server frame; raw when
    /// nothing points to a protocol.
    #[default]
    Detect,
    /// This one, whatever the evidence.
    Fixed(ProfileKind),
}

impl ProfileChoice {
    /// Its name in links (`auto`, or the profile's name).
    pub fn name(self) -> &'static str {
        match self {
            ProfileChoice::Detect => "auto",
            ProfileChoice::Fixed(kind) => kind.name(),
        }
    }

    /// The choice a name stands for (`auto`, or a profile's name).
    pub fn from_name(name: &str) -> Option<ProfileChoice> {
        if name.trim().eq_ignore_ascii_case("auto") {
            return Some(ProfileChoice::Detect);
        }
        ProfileKind::from_name(name).map(ProfileChoice::Fixed)
    }

    /// The URL to open for `url`: a Socket.IO profile chosen by hand completes a bare
    /// URL to `/socket.io/?EIO=4&transport=websocket`, as the real client does.
    pub fn url_for(self, url: &str) -> String {
        match self {
            ProfileChoice::Fixed(ProfileKind::SocketIo) => socket_io::client_url(url),
            _ => url.to_string(),
        }
    }

    /// The subprotocols to ask for: a profile chosen by hand adds its own when missing
    /// (a graphql-ws server closes 4406 without it).
    pub fn protocols_for(self, asked: &[String]) -> Vec<String> {
        let mut protocols = asked.to_vec();
        if let ProfileChoice::Fixed(kind) = self
            && let Some(own) = kind.subprotocol()
            && !protocols.iter().any(|p| p == own)
        {
            protocols.insert(0, own.to_string());
        }
        protocols
    }
}

/// How the page behaves under a profile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Like the real client: the opening exchange, and every heartbeat answered, so the
    /// connection stays up as the user's app would.
    #[default]
    LikeTheClient,
    /// Nothing the user did not type: no opening exchange, no heartbeat answers, to watch
    /// the server's own timeout fire.
    Silent,
}

impl Mode {
    /// Its name in links and data attributes.
    pub fn name(self) -> &'static str {
        match self {
            Mode::LikeTheClient => "client",
            Mode::Silent => "silent",
        }
    }

    /// The mode a name stands for.
    pub fn from_name(name: &str) -> Option<Mode> {
        [Mode::LikeTheClient, Mode::Silent]
            .into_iter()
            .find(|m| m.name() == name.trim())
    }
}

/// One frame read as the protocol's event, for the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    /// The event as a person reads it: `event "chat" ["hi"]`, `ping`, `next 1 {...}`.
    pub text: String,
    /// Whether the frame broke the protocol's rules (garbage, truncated, unknown type);
    /// `text` then says how.
    pub malformed: bool,
}

impl Reading {
    /// The reading as the log shows it: a malformed frame says so first.
    pub fn for_log(&self) -> String {
        if self.malformed {
            format!("malformed: {}", self.text)
        } else {
            self.text.clone()
        }
    }

    fn ok(text: impl Into<String>) -> Reading {
        Reading {
            text: text.into(),
            malformed: false,
        }
    }

    fn malformed(text: impl Into<String>) -> Reading {
        Reading {
            text: text.into(),
            malformed: true,
        }
    }
}

/// `text` cut to the log's preview length (`event_log::PREVIEW_CHARS`), with "…" when
/// cut: a reading shows no more of a payload than the raw preview beside it.
fn preview(text: &str) -> String {
    if text.chars().count() <= PREVIEW_CHARS {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(PREVIEW_CHARS).collect();
    cut.push('…');
    cut
}
