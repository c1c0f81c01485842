//! The server's endpoints over real loopback sockets: the page, /healthz, the /ws echo
//! and its message-size limit.

use std::net::SocketAddr;
use std::path::PathBuf;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use wsdoctor_server::config::Config;

/// Starts the server on a free loopback port with `dist` as the page folder.
async fn start(dist: PathBuf, max_message_bytes: usize) -> SocketAddr {
    let config = Config {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        dist,
        max_message_bytes,
    };
    let listener = TcpListener::bind(config.addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = wsdoctor_server::router(&config);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn temp_dist(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsdoctor-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<title>wsdoctor test page</title>").unwrap();
    dir
}

async fn http_get(addr: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test]
async fn root_serves_the_built_page_whatever_the_query() {
    let addr = start(temp_dist("root"), 1024).await;
    let response = http_get(addr, "/?target=ws://example").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("wsdoctor test page"), "{response}");
}

#[tokio::test]
async fn healthz_answers_ok() {
    let addr = start(temp_dist("healthz"), 1024).await;
    let response = http_get(addr, "/healthz").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("ok\n"), "{response}");
}

#[tokio::test]
async fn ws_echoes_text_and_binary_unchanged() {
    let addr = start(temp_dist("echo"), 1024).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    ws.send(Message::text("hello")).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("hello"));
    let bytes = vec![0u8, 0xff, 0x80, 7];
    ws.send(Message::binary(bytes.clone())).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::binary(bytes));
    ws.close(None).await.unwrap();
}

#[tokio::test]
async fn ws_answers_a_close_1000_with_a_close_1000() {
    let addr = start(temp_dist("close"), 1024).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    ws.close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "user pressed Disconnect".into(),
    }))
    .await
    .unwrap();
    let reply = ws.next().await.unwrap().unwrap();
    match reply {
        Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Normal),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test]
async fn ws_closes_with_1009_when_a_message_is_over_the_limit() {
    let addr = start(temp_dist("limit"), 1024).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    ws.send(Message::text("x".repeat(2000))).await.unwrap();
    let mut close_code = None;
    while let Some(Ok(message)) = ws.next().await {
        if let Message::Close(frame) = message {
            close_code = frame.map(|f| f.code);
            break;
        }
    }
    assert_eq!(close_code, Some(CloseCode::Size));
}

#[tokio::test]
async fn a_message_within_the_limit_still_echoes_after_a_big_one_elsewhere() {
    let addr = start(temp_dist("isolation"), 1024).await;
    let (mut big, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    let (mut small, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .unwrap();
    big.send(Message::text("x".repeat(5000))).await.unwrap();
    while let Some(Ok(message)) = big.next().await {
        if message.is_close() {
            break;
        }
    }
    small.send(Message::text("still here")).await.unwrap();
    assert_eq!(
        small.next().await.unwrap().unwrap(),
        Message::text("still here")
    );
}
