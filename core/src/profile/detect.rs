//! Choosing a profile from the evidence: the URL (`/socket.io/`, `EIO=`), the subprotocol
//! the server picked (`graphql-transport-ws`, `graphql-ws`), and the first server frame
//! (Engine.IO's open packet). Each detection keeps its evidence, shown to the user as
//! "Socket.IO: open packet seen, pingInterval 25 s, pingTimeout 20 s".

use super::graphql::{LEGACY_SUBPROTOCOL, MODERN_SUBPROTOCOL};
use super::{ProfileKind, socket_io};

/// A profile and why it was chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detection {
    /// The profile.
    pub kind: ProfileKind,
    /// Why, in the user's words, first reason first.
    pub evidence: Vec<String>,
}

impl Detection {
    /// A detection from one piece of evidence.
    pub fn new(kind: ProfileKind, why: impl Into<String>) -> Detection {
        Detection {
            kind,
            evidence: vec![why.into()],
        }
    }

    /// "Socket.IO: open packet seen, pingInterval 25 s".
    pub fn summary(&self) -> String {
        format!("{}: {}", self.kind.title(), self.evidence.join(", "))
    }

    /// Adds a piece of evidence, once.
    pub fn add(&mut self, why: impl Into<String>) {
        let why = why.into();
        if !self.evidence.contains(&why) {
            self.evidence.push(why);
        }
    }
}

/// From the URL: a Socket.IO path or an `EIO=` query.
pub fn from_url(url: &str) -> Option<Detection> {
    if !socket_io::url_says_socket_io(url) {
        return None;
    }
    let why = match socket_io::eio_in_url(url) {
        Some(eio) => format!("the URL asks for Engine.IO v{eio}"),
        None => "the URL's path is /socket.io/".to_string(),
    };
    Some(Detection::new(ProfileKind::SocketIo, why))
}

/// From the subprotocol the server picked.
pub fn from_subprotocol(protocol: &str) -> Option<Detection> {
    let kind = match protocol {
        MODERN_SUBPROTOCOL => ProfileKind::GraphqlWs,
        LEGACY_SUBPROTOCOL => ProfileKind::SubscriptionsTransportWs,
        _ => return None,
    };
    Some(Detection::new(
        kind,
        format!("the server picked the subprotocol {protocol}"),
    ))
}

/// From the server's first frame: Engine.IO's open packet.
pub fn from_first_frame(text: &str) -> Option<Detection> {
    match socket_io::parse(text)? {
        socket_io::Packet::Open(open) if !open.sid.is_empty() => Some(Detection::new(
            ProfileKind::SocketIo,
            format!("open packet seen, {}", open.timings()),
        )),
        _ => None,
    }
}
