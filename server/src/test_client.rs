//! An in-memory client for the connection loops' unit tests, with no TCP: the test plays
//! the browser, pushing items in (messages, errors, a hang-up) and reading what the
//! server sent. It can also stop reading (every send then waits forever), and it
//! records whether the server lingered after a 1009.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{Sink, Stream};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error, Message};
use wsdoctor_core::protocol::ServerMessage;

use crate::closing::Client;

/// How long a test waits for the server's next message.
const WAIT: Duration = Duration::from_secs(2);

/// The server's end.
pub struct Pipe {
    incoming: UnboundedReceiver<Result<Message, Error>>,
    outgoing: UnboundedSender<Message>,
    reading: bool,
    lingered: Arc<AtomicBool>,
}

/// The test's end: the browser.
pub struct Browser {
    to_server: Option<UnboundedSender<Result<Message, Error>>>,
    from_server: UnboundedReceiver<Message>,
    lingered: Arc<AtomicBool>,
}

/// A connected pair; `reading: false` makes a client that never takes a message.
pub fn pipe(reading: bool) -> (Pipe, Browser) {
    let (to_server, incoming) = unbounded_channel();
    let (outgoing, from_server) = unbounded_channel();
    let lingered = Arc::new(AtomicBool::new(false));
    let server = Pipe {
        incoming,
        outgoing,
        reading,
        lingered: lingered.clone(),
    };
    let browser = Browser {
        to_server: Some(to_server),
        from_server,
        lingered,
    };
    (server, browser)
}

impl Stream for Pipe {
    type Item = Result<Message, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.incoming.poll_recv(cx)
    }
}

impl Sink<Message> for Pipe {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.reading {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending // never woken: the client stopped reading
        }
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        self.outgoing
            .send(item)
            .map_err(|_| Error::ConnectionClosed)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }
}

impl Client for Pipe {
    async fn linger(&mut self, _max_bytes: u64, _within: Duration) {
        self.lingered.store(true, Ordering::SeqCst);
    }
}

impl Browser {
    /// Sends the server one item (a message, or an error its WebSocket layer reported).
    pub fn push(&self, item: Result<Message, Error>) {
        if let Some(to_server) = &self.to_server {
            let _ = to_server.send(item);
        }
    }

    /// Sends a text message.
    pub fn text(&self, text: &str) {
        self.push(Ok(Message::text(text)));
    }

    /// Sends a close frame with `code`.
    pub fn close(&self, code: u16) {
        self.push(Ok(Message::Close(Some(
            tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: CloseCode::from(code),
                reason: "".into(),
            },
        ))));
    }

    /// Ends the connection from the browser's side (TCP gone).
    pub fn hang_up(&mut self) {
        self.to_server = None;
    }

    /// The server's next message (`None`: it is gone, or sent nothing for 2 s).
    pub async fn next(&mut self) -> Option<Message> {
        tokio::time::timeout(WAIT, self.from_server.recv())
            .await
            .ok()
            .flatten()
    }

    /// The server's next message if one comes within `ms` (`None`: silence).
    pub async fn next_within(&mut self, ms: u64) -> Option<Message> {
        tokio::time::timeout(Duration::from_millis(ms), self.from_server.recv())
            .await
            .ok()
            .flatten()
    }

    /// The server's next message, read as the companion protocol.
    pub async fn reply(&mut self) -> ServerMessage {
        match self.next().await {
            Some(Message::Text(text)) => serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("not a server message ({e}): {text}")),
            other => panic!("expected a companion message, got {other:?}"),
        }
    }

    /// The server's next message, which must be a close frame: its code and reason.
    pub async fn close_frame(&mut self) -> (u16, String) {
        match self.next().await {
            Some(Message::Close(Some(frame))) => (u16::from(frame.code), frame.reason.to_string()),
            other => panic!("expected a close frame, got {other:?}"),
        }
    }

    /// Whether the server lingered (read away an oversized message's rest).
    pub fn lingered(&self) -> bool {
        self.lingered.load(Ordering::SeqCst)
    }
}
