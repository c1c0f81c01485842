//! A path that goes quiet without closing: a loopback TCP relay that forwards both ways
//! until `stall()`, then swallows every byte in both directions while keeping both
//! sockets open, as a NAT that forgot the connection or a cable pulled mid-path does.
//! Neither side sees a close or a reset: only a deadline can find it (half-open). Runs
//! inside the test process; stops accepting when dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// A running relay.
pub struct StallingRelay {
    addr: SocketAddr,
    stalled: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl StallingRelay {
    /// Relays to `upstream`, forwarding until stalled.
    pub async fn start(upstream: SocketAddr) -> StallingRelay {
        let stalled = Arc::new(AtomicBool::new(false));
        let flag = stalled.clone();
        let (addr, task) = crate::loopback::serve(move |client| {
            let flag = flag.clone();
            async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let (from_client, to_client) = client.into_split();
                let (from_server, to_server) = server.into_split();
                tokio::join!(
                    forward(from_client, to_server, flag.clone()),
                    forward(from_server, to_client, flag),
                );
            }
        })
        .await;
        StallingRelay {
            addr,
            stalled,
            task,
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// From now on, every byte either way is read and dropped; no socket is closed.
    pub fn stall(&self) {
        self.stalled.store(true, Ordering::SeqCst);
    }
}

impl Drop for StallingRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies `from` to `to` until either ends, dropping what arrives once `stalled`.
async fn forward(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    stalled: Arc<AtomicBool>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) if !stalled.load(Ordering::SeqCst) => {
                if to.write_all(&buffer[..n]).await.is_err() {
                    return;
                }
            }
            Ok(_) => {}
        }
    }
}
