//! Helpers for the server's integration tests: a server on a free loopback port, raw
//! HTTP requests, and WebSocket clients (plain and `wsdoctor.v1`).
#![allow(dead_code)] // each test file uses its own subset

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use wsdoctor_server::RunningServer;
use wsdoctor_server::config::Config;

/// A client connection.
pub type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A config on a free loopback port with a scratch page folder.
pub fn config(name: &str) -> Config {
    let dist = std::env::temp_dir().join(format!(
        "wsdoctor-server-test-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(
        dist.join("index.html"),
        "<title>wsdoctor test page</title><script type=\"module\">start()</script>",
    )
    .unwrap();
    Config {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        dist,
        ..Config::default()
    }
}

/// Starts a server with `config`.
pub async fn start(config: Config) -> RunningServer {
    wsdoctor_server::start(config)
        .await
        .expect("the server starts")
}

/// A raw HTTP/1.1 GET; returns the whole response as text.
pub async fn http_get(addr: SocketAddr, path: &str) -> String {
    http_get_with(addr, path, &[]).await
}

/// A raw HTTP/1.1 GET with extra headers; returns the whole response as text.
pub async fn http_get_with(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> String {
    String::from_utf8_lossy(&http_get_bytes(addr, path, headers).await).into_owned()
}

/// A raw HTTP/1.1 GET with extra headers; returns the whole response as bytes.
pub async fn http_get_bytes(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    response
}

/// A plain WebSocket client (no subprotocol: the echo).
pub async fn plain(addr: SocketAddr) -> Client {
    plain_with(addr, &[]).await
}

/// A plain WebSocket client with extra request headers.
pub async fn plain_with(addr: SocketAddr, headers: &[(&'static str, &str)]) -> Client {
    let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
    for (name, value) in headers {
        request
            .headers_mut()
            .append(*name, HeaderValue::from_str(value).unwrap());
    }
    let (ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    ws
}

/// A `wsdoctor.v1` client, with extra request headers.
pub async fn companion_with(addr: SocketAddr, headers: &[(&'static str, &str)]) -> Client {
    let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("wsdoctor.v1"),
    );
    for (name, value) in headers {
        request
            .headers_mut()
            .append(*name, HeaderValue::from_str(value).unwrap());
    }
    let (ws, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    assert_eq!(
        response.headers().get("sec-websocket-protocol").unwrap(),
        "wsdoctor.v1"
    );
    ws
}

/// A `wsdoctor.v1` client.
pub async fn companion(addr: SocketAddr) -> Client {
    companion_with(addr, &[]).await
}

/// Sends a JSON message.
pub async fn send(ws: &mut Client, message: Value) {
    ws.send(Message::text(message.to_string())).await.unwrap();
}

/// The next item from the server, within 5 s (`None`: the stream ended).
pub async fn next(
    ws: &mut Client,
) -> Option<Result<Message, tokio_tungstenite::tungstenite::Error>> {
    tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("the server answered within 5 s")
}

/// The next JSON message from the server, skipping pings and pongs (the client library
/// answers pings by itself while it reads).
pub async fn recv(ws: &mut Client) -> Value {
    loop {
        match next(ws).await {
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(&text).expect("JSON from the server");
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a JSON text message, got {other:?}"),
        }
    }
}

/// Sends `hello` and returns the `welcome`.
pub async fn hello(ws: &mut Client, session: Option<&str>) -> Value {
    let message = match session {
        Some(session) => serde_json::json!({"type": "hello", "session": session}),
        None => serde_json::json!({"type": "hello"}),
    };
    send(ws, message).await;
    let welcome = recv(ws).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    welcome
}

/// Reads until a close frame arrives; returns its code and reason (`None`: the stream
/// ended without one).
pub async fn close_frame(ws: &mut Client) -> Option<(u16, String)> {
    loop {
        match next(ws).await {
            Some(Ok(Message::Close(frame))) => {
                return frame.map(|f| (u16::from(f.code), f.reason.to_string()));
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}
