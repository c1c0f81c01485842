//! The accept loop of the main address: every TCP connection is served by hyper's HTTP/1
//! with a header-read timeout (a client that never finishes its request, the slowloris
//! pattern, is dropped after `--handshake-timeout-ms`) and with upgrades enabled for
//! `/ws`, and a cap on the request head (`MAX_REQUEST_HEAD_BYTES`). axum's own `serve`
//! offers neither, hence this loop.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// The largest request head (request line and headers) the server reads.
pub const MAX_REQUEST_HEAD_BYTES: usize = 64 * 1024;

/// Serves `router` on `listener` until the task is aborted.
pub async fn serve(listener: TcpListener, router: Router, header_timeout: Duration) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of file descriptors and the like: wait, never give up the listener.
                tracing::warn!("accept failed: {err}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        tokio::spawn(async move {
            let service = router.map_request(move |mut request: hyper::Request<Incoming>| {
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(peer));
                request
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                // A request head larger than this is refused (hyper's default is ~400 KB).
                .max_buf_size(MAX_REQUEST_HEAD_BYTES)
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                .with_upgrades();
            if let Err(err) = connection.await {
                tracing::debug!("connection from {peer} ended: {err}");
            }
        });
    }
}
