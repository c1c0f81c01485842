//! A path that counts only one direction: a loopback TCP relay that cuts a connection
//! (both sides, no close frame) once no byte has gone from the client to the server for
//! its idle time, however much the server sends. Some proxies and NATs behave so; no
//! Debian proxy can be set up that way, hence this small one. Runs inside the test
//! process; stops accepting when dropped.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// A running relay.
pub struct OneWayRelay {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl OneWayRelay {
    /// Relays to `upstream`, cutting connections idle from the client for `idle`.
    pub async fn start(upstream: SocketAddr, idle: Duration) -> OneWayRelay {
        let (addr, task) =
            crate::loopback::serve(move |client| relay(client, upstream, idle)).await;
        OneWayRelay { addr, task }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for OneWayRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(client: TcpStream, upstream: SocketAddr, idle: Duration) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    let last_from_client = Arc::new(Mutex::new(Instant::now()));
    let seen = last_from_client.clone();
    let upward = async move {
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            match from_client.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    *seen.lock().expect("the relay's clock") = Instant::now();
                    if to_server.write_all(&buffer[..n]).await.is_err() {
                        return;
                    }
                }
            }
        }
    };
    let downward = tokio::io::copy(&mut from_server, &mut to_client);
    let watchdog = async move {
        loop {
            tokio::time::sleep(Duration::from_millis(10)).await;
            if last_from_client
                .lock()
                .expect("the relay's clock")
                .elapsed()
                >= idle
            {
                return;
            }
        }
    };
    // Whichever ends first, both sockets are dropped here: a cut without a close frame.
    tokio::select! {
        () = upward => {}
        _ = downward => {}
        () = watchdog => {}
    }
}
