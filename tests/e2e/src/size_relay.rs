//! A path with a message-size limit that says nothing: a loopback relay that passes the
//! HTTP upgrade through, then reads the WebSocket frames each way and forwards each data
//! message (all its fragments) only when its payload is at most `limit` bytes; larger ones
//! are read and discarded, and the connection stays open, as a proxy that drops what it
//! will not carry does. Control frames (ping, pong, close) always pass. Runs inside the
//! test process; stops accepting when dropped. (No extension is negotiated by
//! wsdoctor-server, so payload sizes are message sizes.)

use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// A running relay.
pub struct SizeRelay {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl SizeRelay {
    /// Relays to `upstream`, dropping data messages over `limit` bytes either way.
    pub async fn start(upstream: SocketAddr, limit: usize) -> SizeRelay {
        let (addr, task) = crate::loopback::serve(move |client| async move {
            let Ok(server) = TcpStream::connect(upstream).await else {
                return;
            };
            let (from_client, to_client) = client.into_split();
            let (from_server, to_server) = server.into_split();
            tokio::join!(
                forward(from_client, to_server, limit),
                forward(from_server, to_client, limit),
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

/// One frame as read: its header bytes and its payload.
struct Frame {
    fin: bool,
    opcode: u8,
    header: Vec<u8>,
    payload: Vec<u8>,
}

/// Passes the HTTP head through, then frames, holding each data message until it is
/// whole and forwarding it only if it is within `limit`.
async fn forward(mut from: impl AsyncRead + Unpin, mut to: impl AsyncWrite + Unpin, limit: usize) {
    if pass_http_head(&mut from, &mut to).await.is_none() {
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
            if to.write_all(&bytes).await.is_err() {
                return;
            }
            continue;
        }
        gathered += frame.payload.len();
        if gathered > limit {
            message = None;
        } else if let Some(bytes) = message.as_mut() {
            bytes.extend_from_slice(&frame.header);
            bytes.extend_from_slice(&frame.payload);
        }
        if frame.fin {
            if let Some(bytes) = message.take()
                && to.write_all(&bytes).await.is_err()
            {
                return;
            }
            message = Some(Vec::new());
            gathered = 0;
        }
    }
}

/// Copies bytes up to and including the blank line that ends an HTTP head.
async fn pass_http_head(
    from: &mut (impl AsyncRead + Unpin),
    to: &mut (impl AsyncWrite + Unpin),
) -> Option<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if from.read_exact(&mut byte).await.is_err() || head.len() > 64 * 1024 {
            return None;
        }
        head.push(byte[0]);
    }
    to.write_all(&head).await.ok()
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
