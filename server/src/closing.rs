//! How connections end, shared by the echo and the companion loops: what a received item
//! means (a message, the client's close, a size violation, a drop), closing with a code
//! and waiting for the client's reply, and waiting for the server's stop signal.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error, Message};

use crate::state::AppState;
use crate::upgrade::Ws;

/// How long the server waits for the client to answer its close frame.
const CLOSE_REPLY_WAIT: Duration = Duration::from_secs(3);
/// How long the server reads away the rest of a message over the limit.
const LINGER_WAIT: Duration = Duration::from_secs(10);

/// What one received item means.
pub enum Ending {
    /// A message to handle (data or control).
    Message(Message),
    /// The connection is over, or must be ended.
    Over(Outcome),
}

/// How the connection ended, or must end.
pub enum Outcome {
    /// The client sent a close frame (code and reason, if any); the layer answers it
    /// while we drain.
    ClientClosed(Option<u16>, Option<String>),
    /// A message over the limit: close with 1009.
    TooBig(usize),
    /// The TCP connection ended or broke without a close frame.
    Dropped,
}

impl Outcome {
    /// Finishes the connection and returns the close code to count (`None`: none).
    pub async fn finish(self, ws: &mut Ws, state: &AppState) -> Option<u16> {
        match self {
            Outcome::ClientClosed(code, _) => {
                drain(ws).await;
                code
            }
            Outcome::TooBig(limit) => {
                let frame = CloseFrame {
                    code: CloseCode::Size,
                    reason: format!("message over {limit} bytes").into(),
                };
                let sent = tokio::time::timeout(
                    state.config.send_timeout,
                    ws.send(Message::Close(Some(frame))),
                )
                .await;
                if sent.is_err() {
                    return Some(1009);
                }
                // The rest of the message is still coming: read it away until the
                // client's close reply, so the connection ends cleanly with 1009.
                let budget = (limit as u64).saturating_mul(16).max(64 << 20);
                let ended = ws.get_mut().linger(budget, LINGER_WAIT).await;
                tracing::debug!(?ended, "lingered after 1009");
                Some(1009)
            }
            Outcome::Dropped => None,
        }
    }
}

/// Classifies what `ws.next()` returned.
pub fn classify(received: Option<Result<Message, Error>>, max_message_bytes: usize) -> Ending {
    match received {
        Some(Ok(Message::Close(frame))) => Ending::Over(Outcome::ClientClosed(
            frame.as_ref().map(|f| u16::from(f.code)),
            frame.map(|f| f.reason.to_string()),
        )),
        Some(Ok(message)) => Ending::Message(message),
        Some(Err(Error::Capacity(_))) => Ending::Over(Outcome::TooBig(max_message_bytes)),
        Some(Err(err)) => {
            tracing::debug!("connection ended: {err}");
            Ending::Over(Outcome::Dropped)
        }
        None => Ending::Over(Outcome::Dropped),
    }
}

/// Sends a close frame with `code` and `reason` (within the send timeout: a client that
/// stopped reading does not hold the server), then waits briefly for the client's reply.
/// Returns `Some(code)`.
pub async fn close_and_drain(
    ws: &mut Ws,
    state: &AppState,
    code: u16,
    reason: &str,
) -> Option<u16> {
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    };
    let sent = tokio::time::timeout(
        state.config.send_timeout,
        ws.send(Message::Close(Some(frame))),
    )
    .await;
    if sent.is_ok() {
        drain(ws).await;
    }
    Some(code)
}

/// Reads until the stream ends, so that queued frames (a close reply) go out.
async fn drain(ws: &mut Ws) {
    let _ = tokio::time::timeout(CLOSE_REPLY_WAIT, async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}

/// Resolves with the shutdown code once the server is stopping.
pub async fn stop_requested(shutdown: &mut watch::Receiver<Option<u16>>) -> u16 {
    loop {
        if let Some(code) = *shutdown.borrow_and_update() {
            return code;
        }
        if shutdown.changed().await.is_err() {
            // The sender is gone without a stop: never resolve.
            std::future::pending::<()>().await;
        }
    }
}
