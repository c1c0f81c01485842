//! How connections end, shared by the echo and the companion loops: what a received item
//! means (a message, the client's close, a size violation, a drop), closing with a code
//! and waiting for the client's reply, and waiting for the server's stop signal.
//!
//! The loops see a connection as a `Client`: a stream of messages in and a sink of
//! messages out, so they run in unit tests over an in-memory pipe. Reading away the rest
//! of an oversized message (`linger`) needs the raw socket: it stays below that layer.

use std::future::Future;
use std::time::Duration;

use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error, Message};

use crate::state::AppState;
use crate::upgrade::Ws;

/// One client's WebSocket as the loops see it: messages in, messages out.
pub trait Client:
    Stream<Item = Result<Message, Error>> + Sink<Message, Error = Error> + Unpin + Send
{
    /// After a 1009 close: reads away the rest of the oversized message, within
    /// `max_bytes` and `within`, until the client's close reply (or gives up).
    fn linger(&mut self, max_bytes: u64, within: Duration) -> impl Future<Output = ()> + Send;
}

impl Client for Ws {
    async fn linger(&mut self, max_bytes: u64, within: Duration) {
        let ended = self.get_mut().linger(max_bytes, within).await;
        tracing::debug!(?ended, "lingered after 1009");
    }
}

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
    pub async fn finish(self, ws: &mut impl Client, state: &AppState) -> Option<u16> {
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
                ws.linger(budget, LINGER_WAIT).await;
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
    ws: &mut impl Client,
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
async fn drain(ws: &mut impl Client) {
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

#[cfg(test)]
mod tests {
    use tokio_tungstenite::tungstenite::error::CapacityError;

    use super::*;
    use crate::config::Config;
    use crate::test_client::pipe;

    #[test]
    fn a_close_frame_is_the_client_closing_with_its_code_and_reason() {
        let frame = CloseFrame {
            code: CloseCode::from(4001),
            reason: "done".into(),
        };
        match classify(Some(Ok(Message::Close(Some(frame)))), 10) {
            Ending::Over(Outcome::ClientClosed(code, reason)) => {
                assert_eq!((code, reason.as_deref()), (Some(4001), Some("done")));
            }
            _ => panic!("expected the client's close"),
        }
        assert!(matches!(
            classify(Some(Ok(Message::Close(None))), 10),
            Ending::Over(Outcome::ClientClosed(None, None))
        ));
    }

    #[test]
    fn a_capacity_error_is_a_message_over_the_limit_and_other_errors_a_drop() {
        let too_long = Error::Capacity(CapacityError::MessageTooLong {
            size: 11,
            max_size: 10,
        });
        assert!(matches!(
            classify(Some(Err(too_long)), 10),
            Ending::Over(Outcome::TooBig(10))
        ));
        assert!(matches!(
            classify(Some(Err(Error::ConnectionClosed)), 10),
            Ending::Over(Outcome::Dropped)
        ));
        assert!(matches!(classify(None, 10), Ending::Over(Outcome::Dropped)));
        assert!(matches!(
            classify(Some(Ok(Message::text("x"))), 10),
            Ending::Message(_)
        ));
    }

    #[tokio::test]
    async fn closing_waits_for_the_clients_reply_and_ends_when_it_hangs_up() {
        let (state, _stop) = AppState::new(Config::default());
        let (mut server, mut browser) = pipe(true);
        let browser_side = async {
            let frame = browser.close_frame().await;
            browser.close(1001);
            browser.hang_up();
            frame
        };
        let started = tokio::time::Instant::now();
        let (code, frame) = tokio::join!(
            close_and_drain(&mut server, &state, 1001, "going away"),
            browser_side
        );
        assert_eq!(frame, (1001, "going away".to_string()));
        assert_eq!(code, Some(1001));
        assert!(
            started.elapsed() < CLOSE_REPLY_WAIT,
            "it ended when the client hung up, not at the reply wait"
        );
    }

    #[tokio::test]
    async fn closing_a_client_that_stopped_reading_gives_up_after_the_send_timeout() {
        let (state, _stop) = AppState::new(Config {
            send_timeout: Duration::from_millis(50),
            ..Config::default()
        });
        let (mut server, _browser) = pipe(false);
        let ended = tokio::time::timeout(
            Duration::from_secs(2),
            close_and_drain(&mut server, &state, 1001, "going away"),
        )
        .await;
        assert_eq!(ended.ok(), Some(Some(1001)));
    }
}
