//! Abusive clients against the server, judged by outcomes (not memory figures, which
//! belong to `cargo xtask bench`): a client that stops reading is dropped after a bounded
//! number of queued bytes or a bounded time, other clients are still served, `/metrics`
//! says so; request heads have a size cap; behind a trusted proxy, limits apply to the
//! client named by X-Forwarded-For.

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures_util::SinkExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

/// Sends 64 KiB messages and never reads the echoes, until a send stays stuck (the
/// server stopped reading because its own send is blocked) or fails (it dropped us).
/// Returns whether the server dropped the connection within `patience`.
async fn push_without_reading(ws: &mut Client, patience: Duration) -> bool {
    let deadline = Instant::now() + patience;
    let chunk = Message::binary(vec![0u8; 64 * 1024]);
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(300), ws.send(chunk.clone())).await {
            Ok(Ok(())) => continue,
            Ok(Err(_)) => return true,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    false
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_and_the_others_are_still_served() {
    let mut config = config("not-reading");
    config.send_timeout = Duration::from_millis(500);
    let server = start(config).await;
    let mut lazy = plain(server.addr()).await;
    let mut good = plain(server.addr()).await;
    assert!(
        push_without_reading(&mut lazy, Duration::from_secs(20)).await,
        "the server dropped the client that stopped reading"
    );
    good.send(Message::text("still served")).await.unwrap();
    assert_eq!(
        next(&mut good).await.unwrap().unwrap(),
        Message::text("still served")
    );
    let metrics = http_get(server.addr(), "/metrics").await;
    assert!(
        metrics.contains("wsdoctor_clients_dropped_total{reason=\"not_reading\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_bytes_left_unread_by_one_address_are_bounded_across_its_connections() {
    let mut config = config("queued-bytes");
    config.send_timeout = Duration::from_secs(30); // time alone would not drop them
    config.max_queued_bytes_per_client = 100 * 1024;
    let server = start(config).await;
    // The first lazy connection gets its server stuck on a 64 KiB echo.
    let mut first = plain(server.addr()).await;
    let stuck = push_without_reading(&mut first, Duration::from_secs(3)).await;
    assert!(
        !stuck,
        "within 30 s of send timeout the first is not dropped yet"
    );
    // A second one from the same address would pile another 64 KiB on top: dropped.
    let mut second = plain(server.addr()).await;
    assert!(
        push_without_reading(&mut second, Duration::from_secs(10)).await,
        "the second connection is dropped at the address's limit"
    );
    // A reading client from the same address with small messages still fits.
    let mut good = plain(server.addr()).await;
    good.send(Message::text("small")).await.unwrap();
    assert_eq!(
        next(&mut good).await.unwrap().unwrap(),
        Message::text("small")
    );
    let metrics = http_get(server.addr(), "/metrics").await;
    assert!(
        metrics.contains("wsdoctor_clients_dropped_total{reason=\"queued_bytes\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_request_head_over_64_kib_is_refused_and_the_server_goes_on() {
    let server = start(config("head-cap")).await;
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let huge = "a".repeat(200 * 1024); // under hyper's own default (~400 KB), over ours
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Pad: {huge}\r\n\r\n"
    );
    // The server may stop reading (and close) before all of it is written.
    let _ = stream.write_all(request.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        !answer.contains("101 Switching Protocols") && !answer.contains("200 OK"),
        "{answer}"
    );
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "refused as too large, or cut: {answer}"
    );
    assert!(http_get(server.addr(), "/healthz").await.contains("200 OK"));
}

#[tokio::test]
async fn behind_a_trusted_proxy_limits_apply_to_the_forwarded_client_not_the_proxy() {
    let mut config = config("trusted-proxy");
    config.max_connections_per_client = 1;
    config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let server = start(config).await;
    let mut alice = companion_with(server.addr(), &[("x-forwarded-for", "198.51.100.7")]).await;
    let welcome = hello(&mut alice, None).await;
    assert!(
        welcome["handshake"]["client_addr"]
            .as_str()
            .unwrap()
            .starts_with("198.51.100.7 (via 127.0.0.1:"),
        "{welcome}"
    );
    // Another client behind the same proxy has its own limit.
    let mut bob = plain_with(server.addr(), &[("x-forwarded-for", "203.0.113.5")]).await;
    bob.send(Message::text("hi")).await.unwrap();
    assert_eq!(next(&mut bob).await.unwrap().unwrap(), Message::text("hi"));
    // A forged leftmost entry does not help Alice past her limit.
    let mut forged = plain_with(
        server.addr(),
        &[("x-forwarded-for", "1.2.3.4, 198.51.100.7")],
    )
    .await;
    let (code, _) = close_frame(&mut forged).await.expect("a close frame");
    assert_eq!(code, 1013);
}
