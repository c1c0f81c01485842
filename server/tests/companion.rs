//! The companion protocol `wsdoctor.v1`, message by message, over real loopback
//! sockets, with tokio-tungstenite as the client.

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

#[tokio::test]
async fn hello_gets_a_welcome_with_a_random_session_limits_and_the_handshake_seen() {
    let server = start(config("hello")).await;
    let mut ws = companion_with(
        server.addr(),
        &[
            ("x-forwarded-for", "203.0.113.7"),
            ("via", "1.1 corp-proxy"),
        ],
    )
    .await;
    let welcome = hello(&mut ws, None).await;
    let session = welcome["session"].as_str().unwrap();
    assert_eq!(session.len(), 32);
    assert!(session.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(welcome["conn"].as_u64().unwrap() >= 1);
    assert!(welcome["server_time_ms"].as_u64().unwrap() > 1_700_000_000_000);
    assert_eq!(welcome["limits"]["max_message_bytes"], 1024 * 1024);
    let handshake = &welcome["handshake"];
    assert!(
        handshake["client_addr"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    let proxies = handshake["proxy_headers"].as_array().unwrap();
    assert!(proxies.contains(&json!({"name": "x-forwarded-for", "value": "203.0.113.7"})));
    assert!(proxies.contains(&json!({"name": "via", "value": "1.1 corp-proxy"})));
}

#[tokio::test]
async fn a_known_session_links_the_reconnect_and_an_unknown_one_gets_a_new_id() {
    let server = start(config("reconnect")).await;
    let mut first = companion(server.addr()).await;
    let session = hello(&mut first, None).await["session"]
        .as_str()
        .unwrap()
        .to_string();
    let mut second = companion(server.addr()).await;
    assert_eq!(hello(&mut second, Some(&session)).await["session"], session);
    let mut stranger = companion(server.addr()).await;
    assert_ne!(
        hello(&mut stranger, Some("0123456789abcdef")).await["session"],
        session
    );
    let metrics = http_get(server.addr(), "/metrics").await;
    assert!(metrics.contains("wsdoctor_reconnects_total 1"), "{metrics}");
}

#[tokio::test]
async fn a_second_hello_on_one_connection_is_an_error() {
    let server = start(config("hello-twice")).await;
    let mut ws = companion(server.addr()).await;
    hello(&mut ws, None).await;
    send(&mut ws, json!({"type": "hello"})).await;
    let reply = recv(&mut ws).await;
    assert_eq!(reply["type"], "error");
    assert!(
        reply["message"].as_str().unwrap().contains("already"),
        "{reply}"
    );
}

#[tokio::test]
async fn echo_returns_seq_t_and_data_untouched_with_the_server_time() {
    let server = start(config("echo")).await;
    let mut ws = companion(server.addr()).await;
    send(
        &mut ws,
        json!({"type": "echo", "seq": 7, "t": 1234.5, "data": {"k": [1, "two"]}}),
    )
    .await;
    let reply = recv(&mut ws).await;
    assert_eq!(reply["type"], "echo");
    assert_eq!(reply["seq"], 7);
    assert_eq!(reply["t"], 1234.5);
    assert_eq!(reply["data"], json!({"k": [1, "two"]}));
    assert!(reply["server_time_ms"].as_u64().is_some());
}

#[tokio::test]
async fn ticks_arrive_at_the_configured_interval_and_null_stops_them() {
    let server = start(config("tick")).await;
    let mut ws = companion(server.addr()).await;
    send(&mut ws, json!({"type": "configure", "tick_every_ms": 100})).await;
    let configured = recv(&mut ws).await;
    assert_eq!(configured["type"], "configured");
    assert_eq!(configured["tick_every_ms"], 100);
    let started = Instant::now();
    let first = recv(&mut ws).await;
    let second = recv(&mut ws).await;
    assert_eq!(
        (first["type"].as_str(), first["seq"].as_u64()),
        (Some("tick"), Some(1))
    );
    assert_eq!(second["seq"], 2);
    assert!(started.elapsed() >= Duration::from_millis(150));
    send(&mut ws, json!({"type": "configure", "tick_every_ms": null})).await;
    // Ticks already on their way may still arrive before `configured`.
    loop {
        let reply = recv(&mut ws).await;
        if reply["type"] == "configured" {
            assert_eq!(reply["tick_every_ms"], serde_json::Value::Null);
            break;
        }
    }
    send(&mut ws, json!({"type": "echo", "seq": 1, "t": 0})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(recv(&mut ws).await["type"], "echo", "no tick after null");
}

#[tokio::test]
async fn intervals_below_the_minimum_are_refused() {
    let server = start(config("min-interval")).await;
    let mut ws = companion(server.addr()).await;
    send(&mut ws, json!({"type": "configure", "tick_every_ms": 1})).await;
    let reply = recv(&mut ws).await;
    assert_eq!(reply["type"], "error");
    assert!(
        reply["message"]
            .as_str()
            .unwrap()
            .contains("tick_every_ms must be from 100")
    );
    send(&mut ws, json!({"type": "configure", "ping_every_ms": 0})).await;
    assert_eq!(recv(&mut ws).await["type"], "error");
}

#[tokio::test]
async fn server_pings_are_timed_reported_when_asked_and_kept_in_the_session_view() {
    let server = start(config("ping")).await;
    let mut ws = companion(server.addr()).await;
    hello(&mut ws, None).await;
    send(
        &mut ws,
        json!({"type": "configure", "ping_every_ms": 100, "report_pings": true}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["type"], "configured");
    // The client library answers pings while it reads.
    let report = recv(&mut ws).await;
    assert_eq!(report["type"], "ping_rtt", "{report}");
    assert_eq!(report["seq"], 1);
    let rtt = report["rtt_ms"].as_f64().unwrap();
    assert!((0.0..1000.0).contains(&rtt), "{rtt}");
    send(&mut ws, json!({"type": "configure", "ping_every_ms": null})).await;
    let view = loop {
        let reply = recv(&mut ws).await;
        if reply["type"] == "configured" {
            send(&mut ws, json!({"type": "session_view"})).await;
        }
        if reply["type"] == "session_view" {
            break reply;
        }
    };
    let me = &view["connections"][0];
    assert!(me["pings_sent"].as_u64().unwrap() >= 1, "{view}");
    assert!(me["pongs_received"].as_u64().unwrap() >= 1, "{view}");
    assert!(me["rtt_ms"]["p50"].as_f64().is_some(), "{view}");
    let metrics = http_get(server.addr(), "/metrics").await;
    assert!(
        metrics.contains("wsdoctor_ping_rtt_seconds_count"),
        "{metrics}"
    );
}

#[tokio::test]
async fn heartbeats_are_acked_unless_acks_are_turned_off() {
    let server = start(config("heartbeat")).await;
    let mut ws = companion(server.addr()).await;
    send(&mut ws, json!({"type": "heartbeat", "seq": 1})).await;
    assert_eq!(
        recv(&mut ws).await,
        json!({"type": "heartbeat_ack", "seq": 1})
    );
    send(
        &mut ws,
        json!({"type": "configure", "ack_heartbeats": false}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["ack_heartbeats"], false);
    send(&mut ws, json!({"type": "heartbeat", "seq": 2})).await;
    send(&mut ws, json!({"type": "echo", "seq": 3, "t": 0})).await;
    assert_eq!(
        recv(&mut ws).await["type"],
        "echo",
        "the heartbeat got no answer"
    );
}

#[tokio::test]
async fn close_closes_with_the_asked_code_and_reason_after_the_delay() {
    let server = start(config("close")).await;
    let mut ws = companion(server.addr()).await;
    let asked = Instant::now();
    send(
        &mut ws,
        json!({"type": "close", "code": 4000, "reason": "drill", "after_ms": 200}),
    )
    .await;
    assert_eq!(close_frame(&mut ws).await, Some((4000, "drill".into())));
    assert!(asked.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn close_with_a_code_that_cannot_travel_is_an_error_and_the_connection_stays() {
    let server = start(config("close-bad")).await;
    let mut ws = companion(server.addr()).await;
    for code in [1005, 1006, 1015, 2000, 999, 5000] {
        send(&mut ws, json!({"type": "close", "code": code})).await;
        let reply = recv(&mut ws).await;
        assert_eq!(reply["type"], "error", "{code}");
    }
    let long = "x".repeat(124);
    send(
        &mut ws,
        json!({"type": "close", "code": 1000, "reason": long}),
    )
    .await;
    assert!(
        recv(&mut ws).await["message"]
            .as_str()
            .unwrap()
            .contains("123")
    );
    send(&mut ws, json!({"type": "echo", "seq": 1, "t": 0})).await;
    assert_eq!(recv(&mut ws).await["type"], "echo");
}

#[tokio::test]
async fn abort_drops_tcp_without_a_close_frame_and_the_view_says_so() {
    let server = start(config("abort")).await;
    let mut ws = companion(server.addr()).await;
    let session = hello(&mut ws, None).await["session"]
        .as_str()
        .unwrap()
        .to_string();
    send(&mut ws, json!({"type": "abort"})).await;
    assert_eq!(
        close_frame(&mut ws).await,
        None,
        "no close frame before the drop"
    );
    let mut other = companion(server.addr()).await;
    send(
        &mut other,
        json!({"type": "session_view", "session": session}),
    )
    .await;
    let view = recv(&mut other).await;
    let close = &view["connections"][0]["close"];
    assert_eq!(close["by"], "server", "{view}");
    assert_eq!(close["code"], serde_json::Value::Null, "{view}");
}

#[tokio::test]
async fn the_session_view_tells_a_client_close_from_a_drop_without_close_frame() {
    let server = start(config("view")).await;
    let mut clean = companion(server.addr()).await;
    let session = hello(&mut clean, None).await["session"]
        .as_str()
        .unwrap()
        .to_string();
    clean
        .close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        }))
        .await
        .unwrap();
    close_frame(&mut clean).await;

    let mut dropped = companion(server.addr()).await;
    hello(&mut dropped, Some(&session)).await;
    drop(dropped); // TCP goes away with no close frame

    let mut asker = companion(server.addr()).await;
    let mut view = serde_json::Value::Null;
    for _ in 0..50 {
        send(
            &mut asker,
            json!({"type": "session_view", "session": session}),
        )
        .await;
        view = recv(&mut asker).await;
        if view["connections"][1]["closed_ms"].is_u64() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let connections = view["connections"].as_array().unwrap();
    assert_eq!(connections.len(), 2, "{view}");
    assert_eq!(
        connections[0]["close"],
        json!({"code": 1000, "reason": "bye", "by": "client"})
    );
    assert_eq!(
        connections[1]["close"],
        json!({"code": null, "reason": null, "by": "none"})
    );
    assert!(
        connections[0]["last_rx_ms"].as_u64().unwrap()
            >= connections[0]["opened_ms"].as_u64().unwrap()
    );
}

#[tokio::test]
async fn an_unknown_session_view_is_an_error() {
    let server = start(config("view-unknown")).await;
    let mut ws = companion(server.addr()).await;
    send(&mut ws, json!({"type": "session_view"})).await;
    assert!(
        recv(&mut ws).await["message"]
            .as_str()
            .unwrap()
            .contains("hello first")
    );
    send(&mut ws, json!({"type": "session_view", "session": "nope"})).await;
    assert!(
        recv(&mut ws).await["message"]
            .as_str()
            .unwrap()
            .contains("unknown session")
    );
}

#[tokio::test]
async fn misbehave_invalid_utf8_sends_a_text_frame_the_client_rejects() {
    let server = start(config("utf8")).await;
    let mut ws = companion(server.addr()).await;
    send(
        &mut ws,
        json!({"type": "misbehave", "kind": "invalid_utf8"}),
    )
    .await;
    match next(&mut ws).await {
        Some(Err(tokio_tungstenite::tungstenite::Error::Utf8(_))) => {}
        other => panic!("expected a UTF-8 error from the client library, got {other:?}"),
    }
}

#[tokio::test]
async fn misbehave_oversized_sends_one_message_over_the_limit_then_is_rate_limited() {
    let mut config = config("oversized");
    config.max_message_bytes = 2048;
    let server = start(config).await;
    let mut ws = companion(server.addr()).await;
    send(&mut ws, json!({"type": "misbehave", "kind": "oversized"})).await;
    match next(&mut ws).await {
        Some(Ok(Message::Binary(bytes))) => assert_eq!(bytes.len(), 2049),
        other => panic!("expected 2049 bytes, got {other:?}"),
    }
    send(&mut ws, json!({"type": "misbehave", "kind": "oversized"})).await;
    let reply = recv(&mut ws).await;
    assert_eq!(reply["type"], "error");
    assert!(
        reply["message"].as_str().unwrap().contains("once every"),
        "{reply}"
    );
}

#[tokio::test]
async fn bad_messages_get_errors_naming_the_problem_and_the_connection_stays() {
    let server = start(config("bad")).await;
    let mut ws = companion(server.addr()).await;
    let cases = [
        ("{not json", "not understood"),
        (r#"{"seq": 1}"#, "no \"type\""),
        (r#"{"type": "dance"}"#, "unknown variant `dance`"),
        (r#"{"type": "echo", "t": 1}"#, "missing field `seq`"),
    ];
    for (text, wanted) in cases {
        ws.send(Message::text(text)).await.unwrap();
        let reply = recv(&mut ws).await;
        assert_eq!(reply["type"], "error");
        assert!(
            reply["message"].as_str().unwrap().contains(wanted),
            "{text}: {reply}"
        );
    }
    send(&mut ws, json!({"type": "echo", "seq": 1, "t": 0})).await;
    assert_eq!(recv(&mut ws).await["type"], "echo");
}

#[tokio::test]
async fn a_binary_message_is_acknowledged_with_its_size_and_send_sends_the_size_asked() {
    let server = start(config("sizes")).await;
    let mut ws = companion(server.addr()).await;
    ws.send(Message::binary(vec![7u8; 100_000])).await.unwrap();
    assert_eq!(
        recv(&mut ws).await,
        json!({"type": "received", "bytes": 100_000})
    );
    send(&mut ws, json!({"type": "send", "bytes": 70_000})).await;
    let sent = loop {
        match ws.next().await.expect("a message").expect("no error") {
            Message::Binary(payload) => break payload,
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("not binary: {other:?}"),
        }
    };
    assert_eq!(sent.len(), 70_000);
    // Over the message limit: refused with why, and the connection stays.
    let limit = wsdoctor_server::config::DEFAULT_MAX_MESSAGE_BYTES;
    send(&mut ws, json!({"type": "send", "bytes": limit + 1})).await;
    let refused = recv(&mut ws).await;
    assert_eq!(refused["type"], "error");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("over the limit"),
        "{refused}"
    );
    send(&mut ws, json!({"type": "echo", "seq": 1, "t": 0})).await;
    assert_eq!(recv(&mut ws).await["type"], "echo");
}

#[tokio::test]
async fn send_requests_stop_at_the_connections_byte_budget() {
    let server = start(config("budget")).await;
    let mut ws = companion(server.addr()).await;
    let each: u64 = 1 << 20;
    let allowed = wsdoctor_core::protocol::SEND_BUDGET_BYTES / each;
    for _ in 0..allowed {
        send(&mut ws, json!({"type": "send", "bytes": each})).await;
        loop {
            if let Message::Binary(_) = ws.next().await.expect("a message").expect("no error") {
                break;
            }
        }
    }
    send(&mut ws, json!({"type": "send", "bytes": each})).await;
    let refused = recv(&mut ws).await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("at most"),
        "{refused}"
    );
}

#[tokio::test]
async fn more_than_20_bad_messages_a_minute_close_with_1008_and_others_stay_served() {
    let server = start(config("abuse")).await;
    let mut bystander = companion(server.addr()).await;
    hello(&mut bystander, None).await;
    let mut ws = companion(server.addr()).await;
    for _ in 0..20 {
        ws.send(Message::text("garbage")).await.unwrap();
        assert_eq!(recv(&mut ws).await["type"], "error");
    }
    ws.send(Message::text("garbage")).await.unwrap();
    let (code, reason) = close_frame(&mut ws).await.expect("a close frame");
    assert_eq!(code, 1008);
    assert!(reason.contains("too many bad messages"), "{reason}");
    send(&mut bystander, json!({"type": "echo", "seq": 1, "t": 0})).await;
    assert_eq!(recv(&mut bystander).await["seq"], 1);
}

// Outcomes only: memory per connection is measured by `cargo xtask bench`.
#[tokio::test]
async fn a_flood_of_garbage_control_frames_stops_neither_that_client_nor_the_others() {
    let server = start(config("flood")).await;
    let mut flooder = companion(server.addr()).await;
    hello(&mut flooder, None).await;
    let mut bystander = companion(server.addr()).await;
    hello(&mut bystander, None).await;
    for i in 0u32..20_000 {
        let junk = i.to_be_bytes().repeat(30); // 120 bytes: the most a control frame holds
        let frame = if i % 2 == 0 {
            Message::Ping(junk.into())
        } else {
            Message::Pong(junk.into())
        };
        flooder.feed(frame).await.unwrap();
        if i == 10_000 {
            // Halfway through, another client is served as usual.
            send(&mut bystander, json!({"type": "echo", "seq": 7, "t": 0})).await;
            assert_eq!(recv(&mut bystander).await["seq"], 7);
        }
    }
    flooder.flush().await.unwrap();
    send(&mut flooder, json!({"type": "echo", "seq": 99, "t": 0})).await;
    assert_eq!(
        recv(&mut flooder).await["seq"],
        99,
        "the flooder kept its session"
    );
    send(&mut bystander, json!({"type": "echo", "seq": 8, "t": 0})).await;
    assert_eq!(recv(&mut bystander).await["seq"], 8);
    let other = http_get(server.addr(), "/healthz").await;
    assert!(other.ends_with("ok\n"));
}

#[tokio::test]
async fn at_the_session_cap_the_oldest_session_is_evicted() {
    let mut config = config("session-cap");
    config.max_sessions = 1;
    let server = start(config).await;
    let mut first = companion(server.addr()).await;
    let old = hello(&mut first, None).await["session"]
        .as_str()
        .unwrap()
        .to_string();
    first.close(None).await.unwrap();
    close_frame(&mut first).await;
    let mut second = companion(server.addr()).await;
    let new = hello(&mut second, None).await["session"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(old, new);
    send(&mut second, json!({"type": "session_view", "session": old})).await;
    let reply = recv(&mut second).await;
    assert_eq!(reply["type"], "error", "{reply}");
    send(&mut second, json!({"type": "session_view"})).await;
    assert_eq!(recv(&mut second).await["session"], new);
}
