//! The plain echo: every text or binary message goes straight back, as it came.
//!
//! Pings are answered by the WebSocket layer itself; a close ends the loop. A message
//! over the size limit gets close code 1009 with the limit in the reason.

use std::ops::ControlFlow;

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
        match reply_to(message) {
            ControlFlow::Continue(Some(reply)) => {
                if socket.send(reply).await.is_err() {
                    return;
                }
            }
            ControlFlow::Continue(None) => {}
            ControlFlow::Break(()) => return,
        }
    }
}

/// What the echo answers to one message: the same data back, nothing, or stop.
fn reply_to(message: Message) -> ControlFlow<(), Option<Message>> {
    match message {
        Message::Text(_) | Message::Binary(_) => ControlFlow::Continue(Some(message)),
        Message::Ping(_) | Message::Pong(_) => ControlFlow::Continue(None),
        Message::Close(_) => ControlFlow::Break(()),
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
