//! The plain echo (no subprotocol): every text or binary message goes straight back.
//!
//! Pings are answered by the WebSocket layer. A client's close is answered with the same
//! code: the loop keeps reading until the layer has sent that reply (returning at once
//! would drop the connection, and the client would see 1006). A message over the size
//! limit gets 1009 with the limit in the reason; a server shutdown sends every client
//! the shutdown code.

use std::net::IpAddr;

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use crate::closing::{self, Ending};
use crate::sending;
use crate::state::AppState;
use crate::upgrade::Ws;

/// Echoes until the connection ends; returns the close code seen (`None`: no close
/// frame). A client that stops reading its echoes is dropped (see `sending`).
pub async fn run(mut ws: Ws, state: &AppState, client: IpAddr) -> Option<u16> {
    let mut shutdown = state.shutdown.clone();
    loop {
        let received = tokio::select! {
            received = ws.next() => received,
            code = closing::stop_requested(&mut shutdown) => {
                return closing::close_and_drain(&mut ws, state, code, "the server is stopping").await;
            }
        };
        let message = match closing::classify(received, state.config.max_message_bytes) {
            Ending::Message(message) => message,
            Ending::Over(outcome) => return outcome.finish(&mut ws, state).await,
        };
        if matches!(message, Message::Text(_) | Message::Binary(_)) {
            state.metrics.message_in();
            if sending::send(&mut ws, message, client, state)
                .await
                .is_err()
            {
                return None;
            }
            state.metrics.message_out();
        }
    }
}
