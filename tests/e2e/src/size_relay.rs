//! A path with a message-size limit: a loopback relay that passes the HTTP upgrade
//! through, then reads the WebSocket frames each way and forwards each data message (all
//! its fragments) only when its payload is at most `limit` bytes. A larger one is either
//! read and discarded with the connection left open, as a proxy that drops what it will
//! not carry does (`OverLimit::Drop`), or answered with a close frame 1009 to the browser
//! and the connection ended, as a proxy that speaks WebSocket does (`OverLimit::Close`).
//! Control frames (ping, pong, close) always pass. Runs inside the test process; stops
//! accepting when dropped. (No extension is negotiated by wsdoctor-server, so payload
//! sizes are message sizes.)

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

/// What the relay does with a data message over its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverLimit {
    /// Discards it without a word; the connection stays open.
    Drop,
    /// Sends the browser a close frame 1009 Message Too Big and ends the connection.
    Close,
}

/// The close frame the relay sends: 1009, "message too big for the relay".
const CLOSE_1009: &[u8] = b"\x88\x1f\x03\xf1message too big for the relay";

/// A running relay.
pub struct SizeRelay {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl SizeRelay {
    /// Relays to `upstream`, doing `over` with data messages over `limit` bytes either
    /// way.
    pub async fn start(upstream: SocketAddr, limit: usize, over: OverLimit) -> SizeRelay {
        let (addr, task) = crate::loopback::serve(move |client| async move {
            let Ok(server) = TcpStream::connect(upstream).await else {
                return;
            };
            let (from_client, to_client) = client.into_split();
            let (from_server, to_server) = server.into_split();
            let to_client = Arc::new(Mutex::new(to_client));
            let rule = Rule {
                limit,
                over,
                browser: to_client.clone(),
            };
            tokio::join!(
                forward(from_client, Peer::Server(to_server), &rule),
                forward(from_server, Peer::Browser(to_client), &rule),
            );
        })
        .await;
        SizeRelay { addr, task }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for SizeRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The size rule, and the way to the browser (for the close frame).
struct Rule {
    limit: usize,
    over: OverLimit,
    browser: Arc<Mutex<OwnedWriteHalf>>,
}

/// Where one direction writes.
enum Peer {
    Server(OwnedWriteHalf),
    Browser(Arc<Mutex<OwnedWriteHalf>>),
}

impl Peer {
    async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Peer::Server(to) => to.write_all(bytes).await,
            Peer::Browser(to) => to.lock().await.write_all(bytes).await,
        }
    }
}

/// One frame as read: its header bytes and its payload.
struct Frame {
    fin: bool,
    opcode: u8,
    header: Vec<u8>,
    payload: Vec<u8>,
}

/// Passes the HTTP head through, then frames, holding each data message until it is
/// whole and forwarding it only if it is within the rule's limit.
async fn forward(mut from: impl AsyncRead + Unpin, mut to: Peer, rule: &Rule) {
    let limit = rule.limit;
    let Some(head) = read_http_head(&mut from).await else {
        return;
    };
    if to.write(&head).await.is_err() {
        return;
    }
    // The message being gathered (its frames as bytes) and its payload so far; `None`
    // once it is over the limit (the rest of it is discarded).
    let mut message: Option<Vec<u8>> = Some(Vec::new());
    let mut gathered = 0usize;
    loop {
        let Some(frame) = read_frame(&mut from).await else {
            return;
        };
        if frame.opcode >= 8 {
            let mut bytes = frame.header;
            bytes.extend_from_slice(&frame.payload);
            if to.write(&bytes).await.is_err() {
                return;
            }
            continue;
        }
        gathered += frame.payload.len();
        if gathered > limit && rule.over == OverLimit::Close {
            let mut browser = rule.browser.lock().await;
            let _ = browser.write_all(CLOSE_1009).await;
            let _ = browser.shutdown().await;
            return;
        }
        if gathered > limit {
            message = None;
        } else if let Some(bytes) = message.as_mut() {
            bytes.extend_from_slice(&frame.header);
            bytes.extend_from_slice(&frame.payload);
        }
        if frame.fin {
            if let Some(bytes) = message.take()
                && to.write(&bytes).await.is_err()
            {
                return;
            }
            message = Some(Vec::new());
            gathered = 0;
        }
    }
}

/// Reads bytes up to and including the blank line that ends an HTTP head.
async fn read_http_head(from: &mut (impl AsyncRead + Unpin)) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if from.read_exact(&mut byte).await.is_err() || head.len() > 64 * 1024 {
            return None;
        }
        head.push(byte[0]);
    }
    Some(head)
}

/// Reads one frame (RFC 6455 section 5.2), or `None` when the stream ends.
async fn read_frame(from: &mut (impl AsyncRead + Unpin)) -> Option<Frame> {
    let mut header = vec![0u8; 2];
    from.read_exact(&mut header).await.ok()?;
    let fin = header[0] & 0x80 != 0;
    let opcode = header[0] & 0x0f;
    let masked = header[1] & 0x80 != 0;
    let len = match header[1] & 0x7f {
        126 => {
            let mut extended = [0u8; 2];
            from.read_exact(&mut extended).await.ok()?;
            header.extend_from_slice(&extended);
            u16::from_be_bytes(extended) as usize
        }
        127 => {
            let mut extended = [0u8; 8];
            from.read_exact(&mut extended).await.ok()?;
            header.extend_from_slice(&extended);
            usize::try_from(u64::from_be_bytes(extended)).ok()?
        }
        short => short as usize,
    };
    if masked {
        let mut key = [0u8; 4];
        from.read_exact(&mut key).await.ok()?;
        header.extend_from_slice(&key);
    }
    // Bounded: the tests send at most a few MiB.
    if len > 64 * 1024 * 1024 {
        return None;
    }
    let mut payload = vec![0u8; len];
    from.read_exact(&mut payload).await.ok()?;
    Some(Frame {
        fin,
        opcode,
        header,
        payload,
    })
}
