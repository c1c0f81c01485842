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

use wsdoctor_core::protocol::SHUTDOWN_REASON;

use crate::closing::{self, Client, Ending};
use crate::sending;
use crate::state::AppState;

/// Echoes until the connection ends; returns the close code seen (`None`: no close
/// frame). A client that stops reading its echoes is dropped (see `sending`).
pub async fn run(mut ws: impl Client, state: &AppState, client: IpAddr) -> Option<u16> {
    let mut shutdown = state.shutdown.clone();
    loop {
        let received = tokio::select! {
            received = ws.next() => received,
            code = closing::stop_requested(&mut shutdown) => {
                return closing::close_and_drain(&mut ws, state, code, SHUTDOWN_REASON).await;
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio_tungstenite::tungstenite::Error;
    use tokio_tungstenite::tungstenite::error::CapacityError;

    use super::*;
    use crate::config::Config;
    use crate::test_client::pipe;

    const CLIENT: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn state() -> AppState {
        AppState::new(Config {
            send_timeout: Duration::from_millis(100),
            ..Config::default()
        })
        .0
    }

    #[tokio::test]
    async fn text_and_binary_come_back_unchanged_and_control_frames_do_not() {
        let state = state();
        let (server, mut browser) = pipe(true);
        let browser_side = async {
            browser.text("héllo");
            browser.push(Ok(Message::Ping(vec![1].into())));
            browser.push(Ok(Message::binary(vec![0, 255, 7])));
            let first = browser.next().await;
            let second = browser.next().await;
            browser.close(1000);
            browser.hang_up();
            (first, second)
        };
        let (code, (first, second)) = tokio::join!(run(server, &state, CLIENT), browser_side);
        assert_eq!(first, Some(Message::text("héllo")));
        assert_eq!(second, Some(Message::binary(vec![0, 255, 7])));
        assert_eq!(code, Some(1000), "the client's close code is what counts");
    }

    #[tokio::test]
    async fn a_message_over_the_limit_closes_with_1009_naming_the_limit_and_reads_the_rest_away() {
        let state = state();
        let (server, mut browser) = pipe(true);
        let too_long = CapacityError::MessageTooLong {
            size: 2 << 20,
            max_size: 1 << 20,
        };
        browser.push(Err(Error::Capacity(too_long)));
        let (code, frame) = tokio::join!(run(server, &state, CLIENT), browser.close_frame());
        assert_eq!(frame, (1009, "message over 1048576 bytes".to_string()));
        assert_eq!(code, Some(1009));
        assert!(browser.lingered(), "the rest of the message is read away");
    }

    #[tokio::test]
    async fn the_server_stopping_closes_every_echo_with_its_code() {
        let (state, stop) = AppState::new(Config::default());
        let (server, mut browser) = pipe(true);
        stop.send(Some(1012)).expect("the state holds a receiver");
        let browser_side = async {
            let frame = browser.close_frame().await;
            browser.hang_up();
            frame
        };
        let (code, frame) = tokio::join!(run(server, &state, CLIENT), browser_side);
        assert_eq!(frame, (1012, SHUTDOWN_REASON.to_string()));
        assert_eq!(code, Some(1012));
    }

    #[tokio::test]
    async fn a_client_that_stops_reading_its_echoes_is_dropped_after_the_send_timeout() {
        let state = state();
        let (server, browser) = pipe(false);
        browser.text("you will never read this");
        let code = tokio::time::timeout(Duration::from_secs(5), run(server, &state, CLIENT))
            .await
            .expect("the loop gives up within the send timeout");
        assert_eq!(code, None, "dropped, no close frame");
    }

    #[tokio::test]
    async fn a_hang_up_without_a_close_frame_counts_no_code() {
        let state = state();
        let (server, mut browser) = pipe(true);
        browser.hang_up();
        assert_eq!(run(server, &state, CLIENT).await, None);
    }
}
