//! One connection under a profile: the opening exchange, the heartbeat answered the way
//! the real client answers it (or not, in silent mode), each frame read for the log, and
//! what was seen kept for explaining the close. Frames in, replies out; the caller sends
//! the replies and starts the one timer (Engine.IO v3's client ping).

use super::detect::{self, Detection};
use super::socket_io::{self, OpenPacket, Packet, SocketPacket};
use super::{Mode, ProfileChoice, ProfileKind, Reading, graphql};
use crate::Millis;

/// What the caller does for the profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send this text on the connection.
    Send(String),
    /// Call `timer` after this long (replacing any earlier request).
    StartTimer(u64),
}

/// What a profile saw on a connection, for explaining its close.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProtocolFacts {
    /// The profile.
    pub kind: ProfileKind,
    /// How the page behaved.
    pub mode: Mode,
    /// Why this profile: "open packet seen, ...".
    pub evidence: String,
    /// Socket.IO: the server's open packet.
    pub open: Option<OpenPacket>,
    /// Socket.IO: the Engine.IO version (4, or 3 for Socket.IO 2.x).
    pub eio: u8,
    /// Heartbeats the server sent (Socket.IO and graphql-ws pings, legacy `ka`).
    pub server_heartbeats: u32,
    /// How long before the close the server's last heartbeat came.
    pub last_heartbeat_before_close: Option<Millis>,
    /// A server ping was left without its pong, since this long before the close.
    pub unanswered_ping_for: Option<Millis>,
    /// Engine.IO v3, where the client pings: how long before the close the page last
    /// pinged (or, if it never did, opened).
    pub client_silent_for: Option<Millis>,
    /// Socket.IO: the page asked for a namespace (`40`); GraphQL: it sent
    /// `connection_init`.
    pub init_sent: bool,
    /// Socket.IO: a namespace connected; GraphQL: `connection_ack` came.
    pub acknowledged: bool,
    /// Socket.IO: the server sent `41` ("io server disconnect") or Engine.IO close `1`.
    pub server_disconnect: bool,
    /// The server refused the namespace or the connection, with its words.
    pub refused: Option<String>,
    /// How long the connection was open.
    pub open_for: Option<Millis>,
}

/// The profile state of one connection.
#[derive(Clone, Debug)]
pub struct ProfileSession {
    choice: ProfileChoice,
    mode: Mode,
    detection: Option<Detection>,
    eio: u8,
    opened_at: Option<Millis>,
    frames: u32,
    open: Option<OpenPacket>,
    heartbeats: u32,
    last_heartbeat_at: Option<Millis>,
    unanswered_since: Option<Millis>,
    last_client_ping_at: Option<Millis>,
    init_sent: bool,
    acknowledged: bool,
    server_disconnect: bool,
    refused: Option<String>,
}

impl ProfileSession {
    /// A connection to `url` under `choice`; a profile chosen by hand, or one the URL
    /// names, is known before the open.
    pub fn new(choice: ProfileChoice, mode: Mode, url: &str) -> ProfileSession {
        let detection = match choice {
            ProfileChoice::Fixed(ProfileKind::Raw) => None,
            ProfileChoice::Fixed(kind) => Some(Detection::new(kind, "chosen by hand")),
            ProfileChoice::Detect => detect::from_url(url),
        };
        ProfileSession {
            choice,
            mode,
            detection,
            eio: socket_io::eio_in_url(url).unwrap_or(4),
            opened_at: None,
            frames: 0,
            open: None,
            heartbeats: 0,
            last_heartbeat_at: None,
            unanswered_since: None,
            last_client_ping_at: None,
            init_sent: false,
            acknowledged: false,
            server_disconnect: false,
            refused: None,
        }
    }

    /// The profile in force (raw until one is detected).
    pub fn kind(&self) -> ProfileKind {
        self.detection.as_ref().map_or(ProfileKind::Raw, |d| d.kind)
    }

    /// The profile and its evidence, once there is one.
    pub fn detection(&self) -> Option<&Detection> {
        self.detection.as_ref()
    }

    /// Switches between behaving like the client and staying silent, from the next frame.
    pub fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
    }

    /// How `text`, sent or received, reads under the profile in force (`None`: raw).
    pub fn read(&self, text: &str) -> Option<Reading> {
        match self.kind() {
            ProfileKind::Raw => None,
            ProfileKind::SocketIo => Some(socket_io::read(text)),
            ProfileKind::GraphqlWs | ProfileKind::SubscriptionsTransportWs => {
                Some(graphql::read(text))
            }
        }
    }

    fn like_the_client(&self) -> bool {
        self.mode == Mode::LikeTheClient
    }

    /// The connection opened with `protocol` (empty: none): GraphQL clients send
    /// `connection_init` at once.
    pub fn opened(&mut self, now: Millis, protocol: &str) -> Vec<Action> {
        self.opened_at = Some(now);
        if self.choice == ProfileChoice::Detect
            && self.detection.is_none()
            && let Some(found) = detect::from_subprotocol(protocol)
        {
            self.detection = Some(found);
        }
        match self.kind() {
            ProfileKind::GraphqlWs | ProfileKind::SubscriptionsTransportWs
                if self.like_the_client() =>
            {
                self.init_sent = true;
                vec![Action::Send(graphql::CONNECTION_INIT.into())]
            }
            _ => Vec::new(),
        }
    }

    /// A text frame from the server: how it reads under the profile (`None` when raw),
    /// and what the real client would send back.
    pub fn received(&mut self, now: Millis, text: &str) -> (Option<Reading>, Vec<Action>) {
        self.frames += 1;
        if self.frames == 1 && self.choice == ProfileChoice::Detect && self.detection.is_none() {
            self.detection = detect::from_first_frame(text);
        }
        let reading = self.read(text);
        let actions = match self.kind() {
            ProfileKind::Raw => Vec::new(),
            ProfileKind::SocketIo => self.socket_io_frame(now, text),
            ProfileKind::GraphqlWs | ProfileKind::SubscriptionsTransportWs => {
                self.graphql_frame(now, text)
            }
        };
        (reading, actions)
    }

    fn socket_io_frame(&mut self, now: Millis, text: &str) -> Vec<Action> {
        let mut actions = Vec::new();
        match socket_io::parse(text) {
            Some(Packet::Open(open)) => {
                if let Some(detection) = self.detection.as_mut() {
                    detection.add(format!("open packet seen, {}", open.timings()));
                }
                if self.like_the_client() {
                    if self.eio >= 4 {
                        self.init_sent = true;
                        actions.push(Action::Send("40".into()));
                    } else {
                        // v3: the server connects the default namespace itself, and
                        // the client pings.
                        actions.push(Action::StartTimer(open.ping_interval));
                    }
                }
                self.open = Some(open);
            }
            Some(Packet::Ping) => {
                self.heartbeat(now);
                if self.like_the_client() {
                    // A v4 client answers `2` with `3`, and the probe `2probe` with
                    // `3probe`; it never pings itself.
                    actions.push(Action::Send(format!("3{}", &text[1..])));
                } else {
                    self.unanswered_since.get_or_insert(now);
                }
            }
            Some(Packet::Pong) => self.heartbeat(now),
            Some(Packet::Close) => self.server_disconnect = true,
            Some(Packet::Message(SocketPacket::Connect { .. })) => self.acknowledged = true,
            Some(Packet::Message(SocketPacket::Disconnect { namespace })) if namespace == "/" => {
                self.server_disconnect = true
            }
            Some(Packet::Message(SocketPacket::ConnectError { .. })) => {
                self.refused = Some(socket_io::read(text).text);
            }
            _ => {}
        }
        actions
    }

    fn graphql_frame(&mut self, now: Millis, text: &str) -> Vec<Action> {
        let mut actions = Vec::new();
        match graphql::message_type(text).as_deref() {
            Some("ping") => {
                self.heartbeat(now);
                if self.like_the_client() {
                    actions.push(Action::Send(graphql::PONG.into()));
                } else {
                    self.unanswered_since.get_or_insert(now);
                }
            }
            Some("ka") | Some("pong") => self.heartbeat(now),
            Some("connection_ack") => self.acknowledged = true,
            Some("connection_error") => self.refused = Some(text.to_string()),
            _ => {}
        }
        actions
    }

    fn heartbeat(&mut self, now: Millis) {
        self.heartbeats += 1;
        self.last_heartbeat_at = Some(now);
    }

    /// The page sent `text` at `now` (the user typed it, or a reply went out): a pong, a
    /// ping or an init typed by hand counts like the profile's own.
    pub fn sent(&mut self, now: Millis, text: &str) {
        match self.kind() {
            ProfileKind::SocketIo => {
                if text.starts_with("40") {
                    self.init_sent = true;
                }
                if text.starts_with('3') {
                    self.unanswered_since = None;
                }
                if text.starts_with('2') {
                    self.last_client_ping_at = Some(now);
                }
            }
            ProfileKind::GraphqlWs | ProfileKind::SubscriptionsTransportWs => {
                match graphql::message_type(text).as_deref() {
                    Some("connection_init") => self.init_sent = true,
                    Some("pong") => self.unanswered_since = None,
                    _ => {}
                }
            }
            ProfileKind::Raw => {}
        }
    }

    /// The timer asked for by `StartTimer` fired at `now`: Engine.IO v3's client ping.
    pub fn timer(&mut self, now: Millis) -> Vec<Action> {
        match (&self.open, self.kind(), self.like_the_client()) {
            (Some(open), ProfileKind::SocketIo, true) if self.eio < 4 => {
                let again = open.ping_interval;
                self.last_client_ping_at = Some(now);
                vec![Action::Send("2".into()), Action::StartTimer(again)]
            }
            _ => Vec::new(),
        }
    }

    /// What the profile saw, for the close at `now` (`None` when raw).
    pub fn facts(&self, now: Millis) -> Option<ProtocolFacts> {
        let detection = self.detection.as_ref()?;
        Some(ProtocolFacts {
            kind: detection.kind,
            mode: self.mode,
            evidence: detection.evidence.join(", "),
            open: self.open.clone(),
            eio: self.eio,
            server_heartbeats: self.heartbeats,
            last_heartbeat_before_close: self.last_heartbeat_at.map(|at| now - at),
            unanswered_ping_for: self.unanswered_since.map(|at| now - at),
            client_silent_for: self
                .last_client_ping_at
                .or(self.opened_at)
                .map(|at| now - at),
            init_sent: self.init_sent,
            acknowledged: self.acknowledged,
            server_disconnect: self.server_disconnect,
            refused: self.refused.clone(),
            open_for: self.opened_at.map(|at| now - at),
        })
    }
}
