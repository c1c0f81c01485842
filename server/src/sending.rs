//! Sending to a client that may have stopped reading. Each message the server sends is
//! counted against its client address until the socket has taken it, so a client that
//! never reads holds at most `--max-queued-bytes-per-client` in all its connections, and
//! a message not taken within `--send-timeout-ms` drops that connection: such a client
//! costs bounded memory for a bounded time, and everyone else is still served. Every
//! send of the echo and the companion goes through `send`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

use crate::closing::Client;
use crate::state::AppState;

/// Why a message did not go out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The connection is broken or closed.
    #[error("the connection is broken or closed")]
    Broken,
    /// The client did not take the message within the send timeout: it stopped reading.
    #[error("the client did not take the message within the send timeout")]
    NotReading,
    /// The client's address already has too many bytes waiting to be read.
    #[error("the client's address has too many bytes waiting to be read")]
    TooMuchQueued,
}

/// The bytes waiting to be taken, per client address.
pub struct Queued {
    max_per_client: u64,
    bytes: Mutex<HashMap<IpAddr, u64>>,
}

impl Queued {
    /// At most `max_per_client` bytes waiting per address.
    pub fn new(max_per_client: usize) -> Arc<Queued> {
        Arc::new(Queued {
            max_per_client: max_per_client as u64,
            bytes: Mutex::new(HashMap::new()),
        })
    }

    /// Counts `bytes` against `client` until the returned token is dropped; refuses when
    /// that would pass the limit (a single message is always allowed when nothing waits).
    pub fn reserve(self: &Arc<Self>, client: IpAddr, bytes: u64) -> Option<Reservation> {
        let mut all = self.bytes.lock().unwrap_or_else(|e| e.into_inner());
        let waiting = all.entry(client).or_insert(0);
        if *waiting > 0 && *waiting + bytes > self.max_per_client {
            return None;
        }
        *waiting += bytes;
        Some(Reservation {
            queued: self.clone(),
            client,
            bytes,
        })
    }

    /// Bytes waiting for `client` now.
    #[cfg(test)]
    pub fn waiting(&self, client: IpAddr) -> u64 {
        let all = self.bytes.lock().unwrap_or_else(|e| e.into_inner());
        all.get(&client).copied().unwrap_or(0)
    }
}

/// Bytes counted against an address while a message goes out.
pub struct Reservation {
    queued: Arc<Queued>,
    client: IpAddr,
    bytes: u64,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut all = self.queued.bytes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(waiting) = all.get_mut(&self.client) {
            *waiting = waiting.saturating_sub(self.bytes);
            if *waiting == 0 {
                all.remove(&self.client);
            }
        }
    }
}

/// Sends `message` to `client`'s connection within the server's limits.
pub async fn send(
    ws: &mut impl Client,
    message: Message,
    client: IpAddr,
    state: &AppState,
) -> Result<(), SendError> {
    let bytes = message.len() as u64;
    let Some(_reservation) = state.queued.reserve(client, bytes) else {
        state.metrics.client_dropped("queued_bytes");
        return Err(SendError::TooMuchQueued);
    };
    match tokio::time::timeout(state.config.send_timeout, ws.send(message)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(SendError::Broken),
        Err(_) => {
            state.metrics.client_dropped("not_reading");
            Err(SendError::NotReading)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_at_most_its_limit_and_gets_it_back_as_messages_go_out() {
        let queued = Queued::new(100);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let first = queued.reserve(a, 60).expect("room");
        assert!(queued.reserve(a, 60).is_none(), "60 + 60 > 100");
        let small = queued.reserve(a, 40).expect("60 + 40 fits");
        assert!(
            queued.reserve(b, 90).is_some(),
            "another address has its own"
        );
        drop(first);
        assert_eq!(queued.waiting(a), 40);
        drop(small);
        assert_eq!(queued.waiting(a), 0);
        let big = queued.reserve(a, 1000);
        assert!(big.is_some(), "one message alone always goes");
    }
}
