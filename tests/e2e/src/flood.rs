//! A WebSocket server on loopback that floods every client with numbered text messages:
//! the hostile peer of the flood tests. It runs inside the test process, bounded in count.

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
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
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                        return;
                    };
                    for i in 0..count {
                        if ws.feed(Message::text(format!("flood {i}"))).await.is_err() {
                            return;
                        }
                    }
                    let _ = ws.flush().await;
                    while let Some(Ok(_)) = ws.next().await {}
                });
            }
        });
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
