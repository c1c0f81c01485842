//! A WebSocket server on loopback that accepts whatever subprotocol the client asks for
//! and echoes every message back: a server that claims to speak `wsdoctor.v1` and does
//! not. It runs inside the test process; stopped when dropped.

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// A running mimic server.
pub struct MimicServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl MimicServer {
    /// Starts the server on a free loopback port.
    pub async fn start() -> MimicServer {
        let (addr, task) = crate::loopback::serve(|stream| async move {
            let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, pick_first).await else {
                return;
            };
            while let Some(Ok(message)) = ws.next().await {
                if (message.is_text() || message.is_binary()) && ws.send(message).await.is_err() {
                    return;
                }
            }
        })
        .await;
        MimicServer { addr, task }
    }

    /// The WebSocket URL to connect to.
    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }
}

/// Answers with the first subprotocol the client asked for, whatever it is. The
/// signature is tungstenite's handshake callback, large error type included.
#[allow(clippy::result_large_err)]
fn pick_first(request: &Request, mut response: Response) -> Result<Response, ErrorResponse> {
    let first = request
        .headers()
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_string());
    if let Some(value) = first.and_then(|p| HeaderValue::from_str(&p).ok()) {
        response
            .headers_mut()
            .insert("sec-websocket-protocol", value);
    }
    Ok(response)
}

impl Drop for MimicServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
