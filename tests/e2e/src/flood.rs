//! A WebSocket server on loopback that floods every client with numbered text messages:
//! the hostile peer of the flood tests. It runs inside the test process, bounded in count.

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// A running flood server; stopped when dropped.
pub struct FloodServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl FloodServer {
    /// Starts a server that sends `count` messages to each client as fast as it can.
    pub async fn start(count: usize) -> FloodServer {
        FloodServer::start_sized(count, 0).await
    }

    /// The same with each message padded to at least `bytes` bytes.
    pub async fn start_sized(count: usize, bytes: usize) -> FloodServer {
        let (addr, task) = crate::loopback::serve(move |stream| async move {
            let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            for i in 0..count {
                let mut text = format!("flood {i}");
                if text.len() < bytes {
                    text.push(' ');
                    text.push_str(&"x".repeat(bytes.saturating_sub(text.len())));
                }
                if ws.feed(Message::text(text)).await.is_err() {
                    return;
                }
            }
            let _ = ws.flush().await;
            while let Some(Ok(_)) = ws.next().await {}
        })
        .await;
        FloodServer { addr, task }
    }

    /// The WebSocket URL to connect to.
    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }
}

impl Drop for FloodServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
