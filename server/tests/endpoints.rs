//! The server's HTTP side and the plain echo over real loopback sockets: the page with
//! its security headers, /healthz, /metrics, the echo, its size limit, the connection
//! limits, the Origin allowlist and a graceful stop.

mod common;

use common::*;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use wsdoctor_server::config::MetricsAt;

#[tokio::test]
async fn root_serves_the_built_page_whatever_the_query() {
    let server = start(config("root")).await;
    let response = http_get(server.addr(), "/?target=ws://example").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("wsdoctor test page"), "{response}");
}

#[tokio::test]
async fn the_page_is_cross_origin_isolated_with_a_strict_csp() {
    let server = start(config("headers")).await;
    let response = http_get(server.addr(), "/").await.to_ascii_lowercase();
    assert!(
        response.contains("cross-origin-opener-policy: same-origin"),
        "{response}"
    );
    assert!(
        response.contains("cross-origin-embedder-policy: require-corp"),
        "{response}"
    );
    assert!(
        response.contains("content-security-policy: default-src 'self'"),
        "{response}"
    );
    assert!(
        response.contains("'sha256-"),
        "the inline script is allowed by hash: {response}"
    );
}

/// The body of a raw HTTP response, as bytes.
fn body_of(response: &[u8]) -> &[u8] {
    let at = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header end");
    &response[at + 4..]
}

#[tokio::test]
async fn the_page_goes_out_compressed_when_accepted_and_hashed_files_are_cached_for_good() {
    use std::io::{Read, Write};
    let config = config("precompressed");
    let script = "console.log('wsdoctor');\n".repeat(100);
    let name = "wsdoctor-0123456789abcdef.js";
    std::fs::write(config.dist.join(name), &script).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(script.as_bytes()).unwrap();
    std::fs::write(config.dist.join(format!("{name}.gz")), gz.finish().unwrap()).unwrap();
    let mut br = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        writer.write_all(script.as_bytes()).unwrap();
    }
    std::fs::write(config.dist.join(format!("{name}.br")), &br).unwrap();
    let server = start(config).await;
    let path = format!("/{name}");

    let plain = http_get_bytes(server.addr(), &path, &[]).await;
    let head = String::from_utf8_lossy(&plain).to_ascii_lowercase();
    assert!(!head.contains("content-encoding"), "{head}");
    assert!(
        head.contains("cache-control: public, max-age=31536000, immutable"),
        "{head}"
    );
    assert_eq!(body_of(&plain), script.as_bytes());

    let brotli = http_get_bytes(
        server.addr(),
        &path,
        &[("Accept-Encoding", "gzip, deflate, br")],
    )
    .await;
    let head = String::from_utf8_lossy(&brotli).to_ascii_lowercase();
    assert!(head.contains("content-encoding: br"), "{head}");
    let mut unbrotli = String::new();
    brotli::Decompressor::new(body_of(&brotli), 4096)
        .read_to_string(&mut unbrotli)
        .unwrap();
    assert_eq!(unbrotli, script);

    let gzip = http_get_bytes(server.addr(), &path, &[("Accept-Encoding", "gzip")]).await;
    let head = String::from_utf8_lossy(&gzip).to_ascii_lowercase();
    assert!(head.contains("content-encoding: gzip"), "{head}");
    let mut ungzip = String::new();
    flate2::read::GzDecoder::new(body_of(&gzip))
        .read_to_string(&mut ungzip)
        .unwrap();
    assert_eq!(ungzip, script);

    let index = http_get(server.addr(), "/").await.to_ascii_lowercase();
    assert!(index.contains("cache-control: no-cache"), "{index}");
    let spa = http_get(server.addr(), "/some/deep/link")
        .await
        .to_ascii_lowercase();
    assert!(spa.contains("cache-control: no-cache"), "{spa}");
    // An old build's file is not there: the fallback's page (a 404) is not kept under its name.
    let stale = http_get(server.addr(), "/wsdoctor-fedcba9876543210_bg.wasm")
        .await
        .to_ascii_lowercase();
    assert!(stale.contains("cache-control: no-cache"), "{stale}");
}

#[tokio::test]
async fn healthz_answers_ok() {
    let server = start(config("healthz")).await;
    let response = http_get(server.addr(), "/healthz").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("ok\n"), "{response}");
}

#[tokio::test]
async fn a_plain_get_of_ws_is_told_to_use_a_websocket_client() {
    let server = start(config("plain-get")).await;
    let response = http_get(server.addr(), "/ws").await;
    assert!(response.starts_with("HTTP/1.1 426"), "{response}");
    assert!(
        response.contains("connect with a WebSocket client"),
        "{response}"
    );
}

#[tokio::test]
async fn the_http_check_says_what_it_saw_and_counts_upgrades_that_lost_their_upgrade_header() {
    let server = start(config("http-check")).await;
    let before = http_get(server.addr(), "/ws?http-check").await;
    assert!(before.starts_with("HTTP/1.1 200"), "{before}");
    assert!(
        before
            .to_ascii_lowercase()
            .contains("cache-control: no-store"),
        "{before}"
    );
    assert!(
        before.contains("\"upgrades_without_upgrade_header\":0"),
        "{before}"
    );
    // What a proxy that drops hop-by-hop headers forwards of a browser's upgrade.
    let stripped = http_get_with(
        server.addr(),
        "/ws",
        &[
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("Sec-WebSocket-Version", "13"),
        ],
    )
    .await;
    assert!(stripped.starts_with("HTTP/1.1 426"), "{stripped}");
    let after = http_get_with(
        server.addr(),
        "/ws?http-check",
        &[("X-Forwarded-For", "203.0.113.9")],
    )
    .await;
    let body = after.split("\r\n\r\n").nth(1).unwrap_or_default();
    let seen: serde_json::Value = serde_json::from_str(body).expect(&after);
    assert_eq!(seen["service"], "wsdoctor-server");
    assert_eq!(seen["upgrades_without_upgrade_header"], 1);
    assert_eq!(
        seen["request"]["proxy_headers"][0]["name"],
        "x-forwarded-for"
    );
    assert_eq!(seen["request"]["proxy_headers"][0]["value"], "203.0.113.9");
}

#[tokio::test]
async fn ws_echoes_text_and_binary_unchanged() {
    let server = start(config("echo")).await;
    let mut ws = plain(server.addr()).await;
    ws.send(Message::text("hello")).await.unwrap();
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap(),
        Message::text("hello")
    );
    let bytes = vec![0u8, 0xff, 0x80, 7];
    ws.send(Message::binary(bytes.clone())).await.unwrap();
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap(),
        Message::binary(bytes)
    );
}

#[tokio::test]
async fn ws_answers_a_close_1000_with_a_close_1000() {
    let server = start(config("close")).await;
    let mut ws = plain(server.addr()).await;
    ws.close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "user pressed Disconnect".into(),
    }))
    .await
    .unwrap();
    assert_eq!(close_frame(&mut ws).await.map(|(code, _)| code), Some(1000));
}

#[tokio::test]
async fn ws_closes_with_1009_when_a_message_is_over_the_limit() {
    let mut config = config("limit");
    config.max_message_bytes = 1024;
    let server = start(config).await;
    let mut ws = plain(server.addr()).await;
    ws.send(Message::text("x".repeat(2000))).await.unwrap();
    let (code, reason) = close_frame(&mut ws).await.expect("a close frame");
    assert_eq!(code, 1009);
    assert!(reason.contains("1024"), "{reason}");
}

/// After a close frame, the connection ends cleanly: no reset, no error.
async fn ends_cleanly(ws: &mut Client) {
    loop {
        match next(ws).await {
            None | Some(Err(tokio_tungstenite::tungstenite::Error::ConnectionClosed)) => return,
            Some(Ok(_)) => continue,
            Some(Err(err)) => panic!("the connection ended with an error, not cleanly: {err}"),
        }
    }
}

#[tokio::test]
async fn a_4_mib_message_in_one_frame_gets_1009_and_a_clean_end_not_a_reset() {
    let server = start(config("linger-one")).await;
    for size in [4 << 20, 9 << 20] {
        let mut ws = plain(server.addr()).await;
        ws.send(Message::binary(vec![7u8; size]))
            .await
            .expect("the server reads the whole message away");
        let (code, reason) = close_frame(&mut ws).await.expect("a close frame");
        assert_eq!(code, 1009);
        assert!(reason.contains("1048576"), "{reason}");
        ends_cleanly(&mut ws).await;
    }
}

#[tokio::test]
async fn a_4_mib_message_in_fragments_gets_1009_and_a_clean_end_not_a_reset() {
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    let server = start(config("linger-fragments")).await;
    let mut ws = plain(server.addr()).await;
    let piece = vec![b'y'; 64 * 1024];
    let pieces = 64;
    for i in 0..pieces {
        let opcode = if i == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        let frame = Frame::message(piece.clone(), opcode, i == pieces - 1);
        ws.feed(Message::Frame(frame))
            .await
            .expect("the server reads every fragment away");
    }
    ws.flush().await.expect("sent");
    let (code, _) = close_frame(&mut ws).await.expect("a close frame");
    assert_eq!(code, 1009);
    ends_cleanly(&mut ws).await;
}

#[tokio::test]
async fn a_big_message_on_one_connection_leaves_the_others_alone() {
    let mut config = config("isolation");
    config.max_message_bytes = 1024;
    let server = start(config).await;
    let mut big = plain(server.addr()).await;
    let mut small = plain(server.addr()).await;
    big.send(Message::text("x".repeat(5000))).await.unwrap();
    close_frame(&mut big).await;
    small.send(Message::text("still here")).await.unwrap();
    assert_eq!(
        next(&mut small).await.unwrap().unwrap(),
        Message::text("still here")
    );
}

#[tokio::test]
async fn beyond_the_per_client_limit_a_connection_is_closed_with_1013_and_a_reason() {
    let mut config = config("per-client");
    config.max_connections_per_client = 2;
    let server = start(config).await;
    let _a = plain(server.addr()).await;
    let _b = plain(server.addr()).await;
    let mut third = plain(server.addr()).await;
    let (code, reason) = close_frame(&mut third).await.expect("a close frame");
    assert_eq!(code, 1013);
    assert!(
        reason.contains("too many connections from your address"),
        "{reason}"
    );
}

#[tokio::test]
async fn beyond_the_total_limit_a_connection_is_closed_with_1013_until_one_leaves() {
    let mut config = config("total");
    config.max_connections = 1;
    let server = start(config).await;
    let mut first = plain(server.addr()).await;
    let mut second = plain(server.addr()).await;
    let (code, reason) = close_frame(&mut second).await.expect("a close frame");
    assert_eq!(code, 1013);
    assert!(reason.contains("connection limit"), "{reason}");
    first.close(None).await.unwrap();
    close_frame(&mut first).await;
    // The slot is freed once the first connection's task has finished.
    let mut ok = false;
    for _ in 0..50 {
        let mut again = plain(server.addr()).await;
        again.send(Message::text("in")).await.unwrap();
        if let Some(Ok(Message::Text(text))) = next(&mut again).await {
            ok = text.as_str() == "in";
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(ok, "a connection is accepted again once the first one left");
}

#[tokio::test]
async fn an_origin_outside_the_allowlist_is_refused() {
    let mut config = config("origin");
    config.allow_origins = vec!["https://allowed.example".into()];
    let server = start(config).await;
    let refused = tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr())).await;
    assert!(refused.is_err(), "no Origin: refused");
    let ws = companion_with(server.addr(), &[("origin", "https://allowed.example")]).await;
    drop(ws);
}

#[tokio::test]
async fn stopping_the_server_closes_every_connection_with_the_shutdown_code() {
    let mut config = config("stop");
    config.shutdown_code = 1012;
    let server = start(config).await;
    let mut a = plain(server.addr()).await;
    let mut b = companion(server.addr()).await;
    let stopping = tokio::spawn(server.stop());
    assert_eq!(close_frame(&mut a).await.map(|(c, _)| c), Some(1012));
    assert_eq!(close_frame(&mut b).await.map(|(c, _)| c), Some(1012));
    stopping.await.unwrap();
}

#[tokio::test]
async fn metrics_count_connections_messages_and_disconnects_by_code() {
    let server = start(config("metrics")).await;
    let mut ws = plain(server.addr()).await;
    ws.send(Message::text("one")).await.unwrap();
    next(&mut ws).await;
    let text = http_get(server.addr(), "/metrics").await;
    assert!(text.contains("wsdoctor_connections_active 1"), "{text}");
    assert!(
        text.contains("wsdoctor_messages_total{direction=\"in\"} 1"),
        "{text}"
    );
    ws.close(Some(CloseFrame {
        code: CloseCode::Away,
        reason: "".into(),
    }))
    .await
    .unwrap();
    close_frame(&mut ws).await;
    let mut counted = String::new();
    for _ in 0..50 {
        counted = http_get(server.addr(), "/metrics").await;
        if counted.contains("wsdoctor_disconnects_total{code=\"1001\"} 1") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        counted.contains("wsdoctor_disconnects_total{code=\"1001\"} 1"),
        "{counted}"
    );
    assert!(
        counted.contains("wsdoctor_connections_active 0"),
        "{counted}"
    );
}

#[tokio::test]
async fn metrics_can_move_to_their_own_address_or_be_turned_off() {
    let mut separate = config("metrics-separate");
    separate.metrics = MetricsAt::Separate("127.0.0.1:0".parse().unwrap());
    let server = start(separate).await;
    let main = http_get(server.addr(), "/metrics").await;
    assert!(!main.contains("wsdoctor_connections_active"), "{main}");
    let own = http_get(server.metrics_addr().unwrap(), "/metrics").await;
    assert!(own.contains("wsdoctor_connections_active"), "{own}");

    let mut off = config("metrics-off");
    off.metrics = MetricsAt::Off;
    let server = start(off).await;
    let main = http_get(server.addr(), "/metrics").await;
    assert!(!main.contains("wsdoctor_connections_active"), "{main}");
    assert!(server.metrics_addr().is_none());
}

#[tokio::test]
async fn a_client_that_never_finishes_its_request_is_dropped_after_the_handshake_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut config = config("slowloris");
    config.handshake_timeout = std::time::Duration::from_millis(300);
    let server = start(config).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    stream
        .write_all(b"GET /ws HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut buffer = [0u8; 512];
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buffer))
        .await
        .expect("the server gave up on the slow client within 5 s");
    // Either a clean end (0 bytes) or a 408 response, then the end.
    let answer = String::from_utf8_lossy(&buffer[..read.unwrap_or(0)]).to_string();
    assert!(answer.is_empty() || answer.contains("408"), "{answer}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(250));
}
