//! The profiles against the frames real servers send (recorded from npm socket.io 4.8,
//! graphql-ws 6 and subscriptions-transport-ws 0.11), in both modes, and against garbage.

use super::socket_io::{self, client_url};
use super::*;
use super::{closes, detect};
use crate::diagnosis::{CloseContext, FindingKind, diagnose};
use crate::event_log::PREVIEW_CHARS;

const OPEN: &str = r#"0{"sid":"EXT6E7Sz7fMhYpowAAAA","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

fn socket_io_session(mode: Mode) -> ProfileSession {
    ProfileSession::new(
        ProfileChoice::Detect,
        mode,
        "ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket",
    )
}

fn sends(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(text) => Some(text.as_str()),
            Action::StartTimer(_) => None,
        })
        .collect()
}

fn diagnosed(
    session: &ProfileSession,
    now: f64,
    code: u16,
    reason: &str,
) -> Vec<crate::diagnosis::Finding> {
    diagnose(&CloseContext {
        code,
        reason: reason.into(),
        opened: true,
        open_for: Some(now),
        protocol: session.facts(now).map(Box::new),
        ..CloseContext::default()
    })
}

#[test]
fn a_socket_io_event_reads_as_its_name_and_arguments() {
    assert_eq!(
        socket_io::read(r#"42["chat","hi"]"#).text,
        r#"event "chat" ["hi"]"#
    );
    assert_eq!(
        socket_io::read(r#"42/admin,7["chat",{"a":1}]"#).text,
        r#"event "chat" [{"a":1}] on /admin (ack 7 asked)"#
    );
    assert_eq!(socket_io::read(r#"437["ok"]"#).text, r#"ack 7 ["ok"]"#);
    assert_eq!(
        socket_io::read(r#"40{"sid":"x"}"#).text,
        r#"connect / {"sid":"x"}"#
    );
    assert_eq!(
        socket_io::read(r#"44/admin,{"message":"not authorized"}"#).text,
        r#"connect refused /admin {"message":"not authorized"}"#
    );
    assert_eq!(socket_io::read("41").text, "disconnect /");
    assert_eq!(socket_io::read("2").text, "ping");
    assert_eq!(socket_io::read("3probe").text, "pong probe");
    assert_eq!(
        socket_io::read(OPEN).text,
        "open sid EXT6E7Sz7fMhYpowAAAA, pingInterval 25 s, pingTimeout 20 s"
    );
    assert!(
        socket_io::read(r#"451-["upload",{"_placeholder":true,"num":0}]"#)
            .text
            .ends_with("(1 binary attachment(s) follow)")
    );
}

#[test]
fn garbage_and_truncated_frames_read_as_malformed_without_panicking() {
    for text in [
        "",
        "x",
        "é",
        "4",
        "4é",
        "49",
        "42[\"chat\",",
        "42{}",
        "42[1,2]",
        "7",
        "451-",
        "45x-[]",
        "4/ns",
        "0{",
        "0[]",
        "42/ns",
        "4299999999999999999999999[\"a\"]",
    ] {
        let socket = socket_io::read(text);
        let graphql = graphql::read(text);
        assert!(graphql.malformed, "graphql read {text:?} as fine");
        if !matches!(text, "4/ns" | "42/ns") {
            assert!(
                socket.malformed,
                "socket.io read {text:?} as {}",
                socket.text
            );
        }
    }
    assert!(socket_io::read(r#"42["chat","hi"]"#).text.len() < 40);
    let long = format!(r#"42["chat","{}"]"#, "a".repeat(10_000));
    assert!(socket_io::read(&long).text.chars().count() < PREVIEW_CHARS + 40);
}

#[test]
fn a_socket_io_url_is_completed_the_way_the_real_client_completes_it() {
    assert_eq!(
        client_url("ws://h:1"),
        "ws://h:1/socket.io/?EIO=4&transport=websocket"
    );
    assert_eq!(
        client_url("wss://h/"),
        "wss://h/socket.io/?EIO=4&transport=websocket"
    );
    assert_eq!(
        client_url("ws://h/chat/?token=x"),
        "ws://h/chat/?token=x&EIO=4&transport=websocket"
    );
    let v3 = "ws://h/socket.io/?EIO=3&transport=websocket";
    assert_eq!(client_url(v3), v3);
    assert_eq!(
        ProfileChoice::Detect.url_for("ws://h:1"),
        "ws://h:1",
        "detection never rewrites the URL"
    );
}

#[test]
fn detection_names_its_evidence() {
    let found = detect::from_url("ws://h/socket.io/?EIO=4&transport=websocket").unwrap();
    assert_eq!(found.kind, ProfileKind::SocketIo);
    assert_eq!(found.summary(), "Socket.IO: the URL asks for Engine.IO v4");
    let found = detect::from_first_frame(OPEN).unwrap();
    assert_eq!(
        found.summary(),
        "Socket.IO: open packet seen, pingInterval 25 s, pingTimeout 20 s"
    );
    assert_eq!(
        detect::from_subprotocol("graphql-transport-ws")
            .unwrap()
            .kind,
        ProfileKind::GraphqlWs
    );
    assert_eq!(
        detect::from_subprotocol("graphql-ws").unwrap().kind,
        ProfileKind::SubscriptionsTransportWs
    );
    assert!(detect::from_url("ws://h/ws").is_none());
    assert!(
        detect::from_first_frame("0{}").is_none(),
        "no sid: not an open packet"
    );
    assert!(detect::from_first_frame("hello").is_none());
}

#[test]
fn a_raw_server_stays_raw_and_gets_no_replies() {
    let mut session = ProfileSession::new(ProfileChoice::Detect, Mode::LikeTheClient, "ws://h/ws");
    assert!(session.opened(0.0, "").is_empty());
    for text in ["hello", "2", "0{}", r#"{"type":"ping"}"#] {
        let (reading, actions) = session.received(1.0, text);
        assert!(reading.is_none() && actions.is_empty(), "{text}");
    }
    assert_eq!(session.kind(), ProfileKind::Raw);
    assert!(session.facts(2.0).is_none());
}

#[test]
fn like_the_client_a_socket_io_session_connects_and_answers_every_ping() {
    let mut session =
        ProfileSession::new(ProfileChoice::Detect, Mode::LikeTheClient, "ws://h/chat");
    assert!(session.opened(0.0, "").is_empty());
    let (reading, actions) = session.received(5.0, OPEN);
    assert_eq!(
        session.kind(),
        ProfileKind::SocketIo,
        "detected from the open packet"
    );
    assert!(reading.unwrap().text.starts_with("open sid"));
    assert_eq!(sends(&actions), ["40"]);
    let (_, actions) = session.received(25_005.0, "2");
    assert_eq!(
        sends(&actions),
        ["3"],
        "a v4 client answers a ping with a pong"
    );
    let (_, actions) = session.received(25_006.0, "2probe");
    assert_eq!(sends(&actions), ["3probe"]);
    let facts = session.facts(30_000.0).unwrap();
    assert_eq!(facts.server_heartbeats, 2);
    assert!(facts.unanswered_ping_for.is_none() && facts.init_sent);
}

#[test]
fn staying_silent_a_socket_io_close_is_explained_as_its_ping_timeout() {
    let mut session = socket_io_session(Mode::Silent);
    session.opened(0.0, "");
    let (_, actions) = session.received(1.0, OPEN);
    assert!(actions.is_empty(), "silent: not even the namespace CONNECT");
    let (_, actions) = session.received(25_001.0, "2");
    assert!(actions.is_empty(), "silent: no pong");
    let findings = diagnosed(&session, 45_002.0, 1005, "");
    assert_eq!(findings[0].kind, FindingKind::ProtocolPingTimeout);
    assert!(
        findings[0].title.starts_with(
            "Socket.IO ping timeout: no pong within pingInterval 25 s + pingTimeout 20 s"
        ),
        "{}",
        findings[0].title
    );
    assert!(
        findings[0]
            .evidence
            .iter()
            .any(|e| e.contains("stay silent"))
    );
}

#[test]
fn a_socket_io_client_that_never_connects_a_namespace_meets_the_connect_timeout() {
    let mut session = socket_io_session(Mode::Silent);
    session.opened(0.0, "");
    session.received(1.0, OPEN);
    let findings = diagnosed(&session, 45_000.0, 1005, "");
    assert_eq!(findings[0].kind, FindingKind::ProtocolInitTimeout);
}

#[test]
fn an_io_server_disconnect_is_final_and_a_refused_namespace_is_a_refusal() {
    let mut session = socket_io_session(Mode::LikeTheClient);
    session.opened(0.0, "");
    session.received(1.0, OPEN);
    session.received(2.0, "41");
    let findings = diagnosed(&session, 3.0, 1005, "");
    assert_eq!(findings[0].kind, FindingKind::ProtocolServerDisconnect);
    let facts = session.facts(3.0).unwrap();
    assert!(
        closes::final_reason(&facts, 1005)
            .unwrap()
            .contains("io server disconnect")
    );
    let mut session = socket_io_session(Mode::LikeTheClient);
    session.opened(0.0, "");
    session.received(1.0, OPEN);
    session.received(2.0, r#"44/admin,{"message":"not authorized"}"#);
    let findings = diagnosed(&session, 3.0, 1005, "");
    assert_eq!(findings[0].kind, FindingKind::ProtocolRefusal);
    assert!(
        findings[0]
            .evidence
            .iter()
            .any(|e| e.contains("not authorized"))
    );
}

#[test]
fn a_socket_io_close_after_answered_pings_is_not_called_a_ping_timeout() {
    let mut session = socket_io_session(Mode::LikeTheClient);
    session.opened(0.0, "");
    session.received(1.0, OPEN);
    session.received(25_001.0, "2");
    let findings = diagnosed(&session, 26_000.0, 1005, "");
    assert_eq!(findings[0].kind, FindingKind::ProtocolClose);
    assert!(
        findings
            .iter()
            .all(|f| f.kind != FindingKind::ProtocolPingTimeout)
    );
}

#[test]
fn engine_io_v3_reverses_the_ping_direction() {
    let url = "ws://h/socket.io/?EIO=3&transport=websocket";
    let mut session = ProfileSession::new(ProfileChoice::Detect, Mode::LikeTheClient, url);
    session.opened(0.0, "");
    let (_, actions) = session.received(1.0, OPEN);
    assert_eq!(
        actions,
        [Action::StartTimer(25_000)],
        "the v3 client pings; no 40"
    );
    assert_eq!(
        session.timer(25_001.0),
        [Action::Send("2".into()), Action::StartTimer(25_000)]
    );
    let (_, actions) = session.received(25_002.0, "3");
    assert!(actions.is_empty());
    let findings = diagnosed(&session, 30_000.0, 1005, "");
    assert_eq!(
        findings[0].kind,
        FindingKind::ProtocolClose,
        "the page pinged 5 s before: not a ping timeout"
    );
}

#[test]
fn a_silent_engine_io_v3_client_is_explained_as_the_client_that_never_pinged() {
    let url = "ws://h/socket.io/?EIO=3&transport=websocket";
    let mut session = ProfileSession::new(ProfileChoice::Detect, Mode::Silent, url);
    session.opened(0.0, "");
    let (_, actions) = session.received(1.0, OPEN);
    assert!(actions.is_empty(), "silent: no ping timer");
    assert!(session.timer(25_000.0).is_empty());
    let findings = diagnosed(&session, 45_001.0, 1005, "");
    assert_eq!(findings[0].kind, FindingKind::ProtocolPingTimeout);
    assert!(
        findings[0]
            .title
            .starts_with("Socket.IO ping timeout (Engine.IO v3, where the client pings): no ping from the page within pingInterval 25 s + pingTimeout 20 s"),
        "{}",
        findings[0].title
    );
}

#[test]
fn graphql_ws_opens_with_init_and_answers_pings_like_the_client() {
    let mut session =
        ProfileSession::new(ProfileChoice::Detect, Mode::LikeTheClient, "ws://h/graphql");
    let actions = session.opened(0.0, "graphql-transport-ws");
    assert_eq!(session.kind(), ProfileKind::GraphqlWs);
    assert_eq!(sends(&actions), [graphql::CONNECTION_INIT]);
    let (reading, _) = session.received(3.0, r#"{"type":"connection_ack"}"#);
    assert_eq!(reading.unwrap().text, "connection_ack");
    let (_, actions) = session.received(4.0, r#"{"type":"ping"}"#);
    assert_eq!(sends(&actions), [graphql::PONG]);
    let (reading, _) = session.received(
        5.0,
        r#"{"id":"1","type":"next","payload":{"data":{"greetings":"Hi"}}}"#,
    );
    assert_eq!(
        reading.unwrap().text,
        r#"next 1 {"data":{"greetings":"Hi"}}"#
    );
    assert_eq!(
        graphql::read(
            r#"{"id":"1","type":"subscribe","payload":{"query":"subscription {\n  greetings\n}"}}"#
        )
        .text,
        "subscribe 1 subscription { greetings }"
    );
}

#[test]
fn a_silent_graphql_ws_client_meets_the_init_timeout_4408() {
    let mut session = ProfileSession::new(ProfileChoice::Detect, Mode::Silent, "ws://h/graphql");
    assert!(session.opened(0.0, "graphql-transport-ws").is_empty());
    let findings = diagnosed(&session, 3_001.0, 4408, "Connection initialisation timeout");
    assert_eq!(findings[0].kind, FindingKind::ProtocolInitTimeout);
    assert!(findings[0].title.contains("init timeout (4408)"));
    assert!(
        findings[0]
            .evidence
            .iter()
            .any(|e| e == "the page sent no connection_init")
    );
    let meaning = findings
        .iter()
        .find(|f| f.kind == FindingKind::CodeMeaning)
        .unwrap();
    assert!(meaning.title.contains("graphql-ws"), "{}", meaning.title);
}

#[test]
fn graphql_ws_refusals_say_not_to_retry() {
    let mut session = ProfileSession::new(
        ProfileChoice::Fixed(ProfileKind::GraphqlWs),
        Mode::LikeTheClient,
        "ws://h/graphql",
    );
    session.opened(0.0, "graphql-transport-ws");
    let findings = diagnosed(&session, 10.0, 4403, "Forbidden");
    assert_eq!(findings[0].kind, FindingKind::ProtocolRefusal);
    let facts = session.facts(10.0).unwrap();
    assert!(
        closes::final_reason(&facts, 4403).is_some(),
        "never retried"
    );
    assert!(closes::final_reason(&facts, 4408).is_none(), "retried");
    assert!(
        findings[0]
            .advice
            .iter()
            .any(|a| a.starts_with("Do not retry"))
    );
}

#[test]
fn subscriptions_transport_ws_keep_alives_and_closes_read_as_its_own() {
    let mut session = ProfileSession::new(ProfileChoice::Detect, Mode::LikeTheClient, "ws://h/");
    assert_eq!(
        sends(&session.opened(0.0, "graphql-ws")),
        [graphql::CONNECTION_INIT]
    );
    let (reading, actions) = session.received(1.0, r#"{"type":"ka"}"#);
    assert_eq!(reading.unwrap().text, "keep-alive (ka)");
    assert!(actions.is_empty(), "ka needs no answer");
    assert_eq!(session.facts(2.0).unwrap().server_heartbeats, 1);
    let findings = diagnosed(&session, 10.0, 1011, "");
    assert_eq!(findings[0].kind, FindingKind::ProtocolRefusal);
    assert!(
        findings[0].title.starts_with(
            "subscriptions-transport-ws 1011 onConnect failed: the server's onConnect"
        ),
        "{}",
        findings[0].title
    );
    let meaning = findings
        .iter()
        .find(|f| f.kind == FindingKind::CodeMeaning)
        .unwrap();
    assert!(
        meaning.title.starts_with("1011 onConnect failed"),
        "the catalogue's entry for the system: {}",
        meaning.title
    );
    let wrong = ProfileSession::new(
        ProfileChoice::Fixed(ProfileKind::SubscriptionsTransportWs),
        Mode::LikeTheClient,
        "ws://h/",
    );
    let findings = diagnosed(&wrong, 10.0, 1002, "");
    assert!(
        findings[0]
            .title
            .contains("did not ask for its subprotocol")
    );
}

#[test]
fn a_profile_chosen_by_hand_asks_for_its_subprotocol_and_link_names_round_trip() {
    let chosen = ProfileChoice::Fixed(ProfileKind::GraphqlWs);
    assert_eq!(chosen.protocols_for(&[]), ["graphql-transport-ws"]);
    assert_eq!(
        chosen.protocols_for(&["graphql-transport-ws".into()]),
        ["graphql-transport-ws"]
    );
    for kind in ProfileKind::ALL {
        assert_eq!(ProfileKind::from_name(kind.name()), Some(kind));
        assert_eq!(
            ProfileChoice::from_name(kind.name()),
            Some(ProfileChoice::Fixed(kind))
        );
    }
    assert_eq!(
        ProfileChoice::from_name("auto"),
        Some(ProfileChoice::Detect)
    );
    assert_eq!(
        ProfileKind::from_name("Socket.IO"),
        Some(ProfileKind::SocketIo)
    );
    assert_eq!(ProfileChoice::from_name("stomp"), None);
}
