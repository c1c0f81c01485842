//! In-process servers for the tests: a TCP accept loop on a free loopback port that hands
//! each connection to its own task. Aborting the returned task stops accepting.

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Listens on `127.0.0.1:0` and runs `serve` for every connection, each in its own task.
pub async fn serve<F, Fut>(serve: F) -> (SocketAddr, JoinHandle<()>)
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream));
        }
    });
    (addr, task)
}

/// Serves `html` to every request on a free loopback port, cross-origin isolated (COOP
/// and COEP, as wsdoctor-server serves its page, so timers are as fine as the page's):
/// the benchmarks' raw-JavaScript reference pages. Returns its address; it serves until
/// the program ends.
pub async fn serve_isolated_page(html: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (addr, _task) = serve(move |mut stream| async move {
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request).await;
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncross-origin-opener-policy: same-origin\r\ncross-origin-embedder-policy: require-corp\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{html}",
            html.len()
        );
        let _ = stream.write_all(response.as_bytes()).await;
    })
    .await;
    format!("http://{addr}/")
}
