//! The plain echo: every text or binary message goes straight back, as it came.
//!
//! Pings are answered by the WebSocket layer itself. A client's close is answered with
//! the same code: the loop keeps reading until the WebSocket layer has sent that reply
//! (returning at once would drop the connection, and the client would see 1006). A message
//! over the size limit gets close code 1009 with the limit in the reason.

use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};

/// Echoes until the client closes or the connection fails.
pub async fn run(mut socket: WebSocket, max_message_bytes: usize) {
    while let Some(received) = socket.recv().await {
        let message = match received {
            Ok(message) => message,
            Err(err) => {
                if is_over_size_limit(err) {
                    let reason = format!("message over {max_message_bytes} bytes");
                    let frame = CloseFrame {
                        code: close_code::SIZE,
                        reason: reason.into(),
                    };
                    let _ = socket.send(Message::Close(Some(frame))).await;
                }
                return;
            }
        };
        if let Some(reply) = reply_to(message)
            && socket.send(reply).await.is_err()
        {
            return;
        }
    }
}

/// What the echo answers to one message: the same data back, or nothing (control
/// frames, including the close, are answered by the WebSocket layer).
fn reply_to(message: Message) -> Option<Message> {
    match message {
        Message::Text(_) | Message::Binary(_) => Some(message),
        Message::Ping(_) | Message::Pong(_) | Message::Close(_) => None,
    }
}

/// Whether a receive error means the peer sent a message or frame over the limit.
fn is_over_size_limit(err: axum::Error) -> bool {
    let inner = err.into_inner();
    let over = matches!(
        inner.downcast_ref::<tungstenite::Error>(),
        Some(tungstenite::Error::Capacity(_))
    );
    if !over {
        tracing::debug!("echo connection ended: {inner}");
    }
    over
}
