//! A hostile WebSocket server on loopback, written with raw bytes so that it can break
//! the protocol in ways no library would: the path of the request picks the behaviour
//! (`ws://ADDR/<behaviour>`). Before the upgrade: HTTP errors, a redirect, a 101 without
//! `Sec-WebSocket-Accept`, a subprotocol nobody asked for. After it: invalid UTF-8,
//! reserved opcodes, RSV bits, bad close frames, a masked server frame, a frame claiming
//! an absurd length, a flood of pings. Every connection is bounded in bytes and ends
//! within seconds. It runs inside the test process; stopped when dropped.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

/// What the server does to a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Answers the upgrade with HTTP 500.
    Http500,
    /// Answers with a 302 redirect (WebSockets never follow one).
    Redirect,
    /// Answers 101 without `Sec-WebSocket-Accept`.
    NoAccept,
    /// Answers 101 with a subprotocol the client did not offer.
    UnofferedSubprotocol,
    /// Opens, then sends a text frame of invalid UTF-8.
    InvalidUtf8,
    /// Opens, then sends a frame with a reserved opcode (0x3).
    ReservedOpcode,
    /// Opens, then sends a text frame with RSV1 set and no extension agreed.
    RsvBits,
    /// Opens, then sends a close frame with a one-byte payload (no valid code).
    OneByteClose,
    /// Opens, then closes with code 1005, which must never travel.
    ForbiddenCloseCode,
    /// Opens, then closes with 1000 and a reason of invalid UTF-8.
    InvalidCloseReason,
    /// Opens, then sends a masked frame (servers must not mask).
    MaskedFrame,
    /// Opens, then sends a frame header claiming 2^63 bytes.
    AbsurdLength,
    /// Opens, then sends 10,000 pings, then a text message "after the pings".
    PingFlood,
}

impl Behaviour {
    /// Every behaviour, for table tests.
    pub const ALL: [Behaviour; 13] = [
        Behaviour::Http500,
        Behaviour::Redirect,
        Behaviour::NoAccept,
        Behaviour::UnofferedSubprotocol,
        Behaviour::InvalidUtf8,
        Behaviour::ReservedOpcode,
        Behaviour::RsvBits,
        Behaviour::OneByteClose,
        Behaviour::ForbiddenCloseCode,
        Behaviour::InvalidCloseReason,
        Behaviour::MaskedFrame,
        Behaviour::AbsurdLength,
        Behaviour::PingFlood,
    ];

    /// The request path that selects it.
    pub fn path(self) -> &'static str {
        match self {
            Behaviour::Http500 => "http-500",
            Behaviour::Redirect => "redirect",
            Behaviour::NoAccept => "no-accept",
            Behaviour::UnofferedSubprotocol => "unoffered-subprotocol",
            Behaviour::InvalidUtf8 => "invalid-utf8",
            Behaviour::ReservedOpcode => "reserved-opcode",
            Behaviour::RsvBits => "rsv-bits",
            Behaviour::OneByteClose => "one-byte-close",
            Behaviour::ForbiddenCloseCode => "close-1005",
            Behaviour::InvalidCloseReason => "invalid-close-reason",
            Behaviour::MaskedFrame => "masked-frame",
            Behaviour::AbsurdLength => "absurd-length",
            Behaviour::PingFlood => "ping-flood",
        }
    }

    /// Whether the browser fails it before the connection opens.
    pub fn fails_before_open(self) -> bool {
        matches!(
            self,
            Behaviour::Http500
                | Behaviour::Redirect
                | Behaviour::NoAccept
                | Behaviour::UnofferedSubprotocol
        )
    }

    fn from_path(path: &str) -> Option<Behaviour> {
        let name = path.trim_start_matches('/');
        Behaviour::ALL.into_iter().find(|b| b.path() == name)
    }
}

/// A running hostile server.
pub struct HostileServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl HostileServer {
    /// Starts the server on a free loopback port.
    pub async fn start() -> HostileServer {
        let (addr, task) = crate::loopback::serve(|stream| async move {
            let _ = tokio::time::timeout(Duration::from_secs(10), serve(stream)).await;
        })
        .await;
        HostileServer { addr, task }
    }

    /// The URL that makes the server behave so.
    pub fn url(&self, behaviour: Behaviour) -> String {
        format!("ws://{}/{}", self.addr, behaviour.path())
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An unmasked server frame.
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    match payload.len() {
        n @ 0..=125 => out.push(n as u8),
        n @ 126..=65535 => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

/// Reads the request head (at most 16 KiB); returns its path and `Sec-WebSocket-Key`.
async fn read_request(stream: &mut TcpStream) -> Option<(String, String)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        if stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let path = text.split_whitespace().nth(1)?.to_string();
    let key = text
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("sec-websocket-key")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_default();
    Some((path, key))
}

async fn serve(mut stream: TcpStream) {
    let Some((path, key)) = read_request(&mut stream).await else {
        return;
    };
    let Some(behaviour) = Behaviour::from_path(&path) else {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    };
    let accept = derive_accept_key(key.as_bytes());
    let upgrade = |extra: &str| {
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n{extra}\r\n"
        )
    };
    let accepted = upgrade(&format!("Sec-WebSocket-Accept: {accept}\r\n"));
    let answer: Vec<u8> = match behaviour {
        Behaviour::Http500 => {
            b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops".to_vec()
        }
        Behaviour::Redirect => {
            b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n".to_vec()
        }
        Behaviour::NoAccept => upgrade("").into_bytes(),
        Behaviour::UnofferedSubprotocol => upgrade(&format!(
            "Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: nobody.asked\r\n"
        ))
        .into_bytes(),
        _ => {
            let mut bytes = accepted.into_bytes();
            bytes.extend(after_open(behaviour));
            bytes
        }
    };
    if stream.write_all(&answer).await.is_err() {
        return;
    }
    if behaviour == Behaviour::PingFlood {
        // It stays until the page closes, and answers that close like a real server.
        let _ = tokio::time::timeout(Duration::from_secs(10), answer_close(&mut stream)).await;
        return;
    }
    // The others are cut soon after their offence, as a broken server would be (and no
    // test waits on a browser's closing timeout); what the browser sends meanwhile is
    // read, bounded.
    let _ = tokio::time::timeout(Duration::from_millis(300), async {
        let mut sink = vec![0u8; 16 * 1024];
        let mut read = 0usize;
        while read < 4 << 20 {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(n) => read += n,
            }
        }
    })
    .await;
}

/// Reads the browser's (masked) frames, pongs and all, until its close frame; answers
/// it with a close frame carrying the same code.
async fn answer_close(stream: &mut TcpStream) -> Option<()> {
    let mut read = 0usize;
    loop {
        let mut head = [0u8; 2];
        stream.read_exact(&mut head).await.ok()?;
        let length = match head[1] & 0x7f {
            126 => {
                let mut more = [0u8; 2];
                stream.read_exact(&mut more).await.ok()?;
                u64::from(u16::from_be_bytes(more))
            }
            127 => {
                let mut more = [0u8; 8];
                stream.read_exact(&mut more).await.ok()?;
                u64::from_be_bytes(more)
            }
            short => u64::from(short),
        };
        let mut mask = [0u8; 4];
        if head[1] & 0x80 != 0 {
            stream.read_exact(&mut mask).await.ok()?;
        }
        read += length as usize;
        if length > 1 << 20 || read > 4 << 20 {
            return None;
        }
        let mut payload = vec![0u8; length as usize];
        stream.read_exact(&mut payload).await.ok()?;
        if head[0] & 0x0f == 0x8 {
            let code: Vec<u8> = payload
                .iter()
                .take(2)
                .enumerate()
                .map(|(i, b)| b ^ mask[i % 4])
                .collect();
            let _ = stream.write_all(&frame(0x88, &code)).await;
            return Some(());
        }
    }
}

/// The bytes a behaviour sends once the connection is open.
fn after_open(behaviour: Behaviour) -> Vec<u8> {
    match behaviour {
        Behaviour::InvalidUtf8 => frame(0x81, &[b'o', b'k', 0xff, 0xfe, 0xfd]),
        Behaviour::ReservedOpcode => frame(0x83, b"what is this"),
        Behaviour::RsvBits => frame(0x80 | 0x40 | 0x1, b"compressed? no"),
        Behaviour::OneByteClose => frame(0x88, &[0x03]),
        Behaviour::ForbiddenCloseCode => frame(0x88, &1005u16.to_be_bytes()),
        Behaviour::InvalidCloseReason => {
            let mut payload = 1000u16.to_be_bytes().to_vec();
            payload.extend_from_slice(&[0xc3, 0x28]);
            frame(0x88, &payload)
        }
        Behaviour::MaskedFrame => {
            // FIN + text, MASK bit + length 2, a key, "hi" masked with it.
            let key = [1u8, 2, 3, 4];
            vec![
                0x81,
                0x82,
                key[0],
                key[1],
                key[2],
                key[3],
                b'h' ^ 1,
                b'i' ^ 2,
            ]
        }
        Behaviour::AbsurdLength => {
            let mut bytes = vec![0x82, 127];
            bytes.extend_from_slice(&(1u64 << 63).to_be_bytes());
            bytes
        }
        Behaviour::PingFlood => {
            let mut bytes = Vec::new();
            for i in 0..10_000u32 {
                bytes.extend(frame(0x89, &i.to_be_bytes()));
            }
            bytes.extend(frame(0x81, b"after the pings"));
            bytes
        }
        _ => Vec::new(),
    }
}
