//! The close-code lab against a simulated companion: every case's row pairs the server's
//! view with the browser's; codes that never travel are refused with the reason; a
//! server that is not the companion, or a case that never closes, is said so.

use super::*;
use crate::protocol::{ClosedBy, ConnectionView, Limits, RttSummary};

const URL: &str = "ws://127.0.0.1:1/ws";

fn welcome(session: &str, conn: u64) -> Option<String> {
    serde_json::to_string(&ServerMessage::Welcome {
        session: session.into(),
        conn,
        server_time_ms: 0,
        limits: Limits::for_tests(),
        handshake: Default::default(),
    })
    .ok()
}

fn session_view(conn: u64, close: Option<CloseView>) -> Option<String> {
    serde_json::to_string(&ServerMessage::SessionView {
        session: "s".into(),
        connections: vec![ConnectionView {
            conn,
            opened_ms: 0,
            closed_ms: close.as_ref().map(|_| 1),
            close,
            last_rx_ms: 0,
            last_tx_ms: 0,
            pings_sent: 0,
            pongs_received: 0,
            rtt_ms: RttSummary::default(),
        }],
    })
    .ok()
}

fn browser(code: u16, reason: &str, was_clean: bool) -> BrowserClose {
    BrowserClose {
        code,
        reason: reason.into(),
        was_clean,
    }
}

fn sent_on(out: &[Command], socket: LabSocket) -> Vec<String> {
    out.iter()
        .filter_map(|c| match c {
            Command::Send { socket: s, text } if *s == socket => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// Starts the lab with `cases` and brings the control connection up.
fn started(cases: Vec<LabCase>) -> (CloseLab, Vec<Command>) {
    let mut lab = CloseLab::new();
    let out = lab.handle(
        0.0,
        Input::Start {
            url: URL.into(),
            page_is_https: false,
            cases,
        },
    );
    assert!(out.contains(&Command::Open {
        socket: LabSocket::Control,
        url: URL.into()
    }));
    let out = lab.handle(
        1.0,
        Input::Opened {
            socket: LabSocket::Control,
            protocol: crate::COMPANION_SUBPROTOCOL.into(),
        },
    );
    assert!(sent_on(&out, LabSocket::Control)[0].contains("hello"));
    let out = lab.handle(
        2.0,
        Input::Message {
            socket: LabSocket::Control,
            text: welcome("s", 1),
        },
    );
    (lab, out)
}

/// Runs case `n` (server connection `conn`): it opens, is welcomed, ends as the browser
/// reports `seen`, and the server reports `server` (after one "not yet").
fn run_case(
    lab: &mut CloseLab,
    n: usize,
    conn: u64,
    seen: BrowserClose,
    server: CloseView,
) -> Vec<Command> {
    let case = LabSocket::Case(n);
    let out = lab.handle(
        3.0,
        Input::Opened {
            socket: case,
            protocol: crate::COMPANION_SUBPROTOCOL.into(),
        },
    );
    assert!(
        sent_on(&out, case)[0].contains("\"session\":\"s\""),
        "the case joins the session"
    );
    let asked_to_end = lab.handle(
        4.0,
        Input::Message {
            socket: case,
            text: welcome("s", conn),
        },
    );
    let out = lab.handle(
        5.0,
        Input::Closed {
            socket: case,
            close: seen,
        },
    );
    assert!(sent_on(&out, LabSocket::Control)[0].contains("session_view"));
    // Not recorded yet: asked again.
    let out = lab.handle(
        6.0,
        Input::Message {
            socket: LabSocket::Control,
            text: session_view(conn, None),
        },
    );
    assert!(out.contains(&Command::StartTimer {
        timer: LabTimer::AskAgain,
        after_ms: ASK_AGAIN_MS
    }));
    lab.handle(7.0, Input::Fired(LabTimer::AskAgain));
    lab.handle(
        8.0,
        Input::Message {
            socket: LabSocket::Control,
            text: session_view(conn, Some(server)),
        },
    );
    asked_to_end
}

#[test]
fn each_case_pairs_what_the_server_sent_with_what_the_browser_reported() {
    let cases = vec![
        LabCase::Close {
            code: 4000,
            reason: "mine".into(),
        },
        LabCase::Drop,
        LabCase::InvalidUtf8,
        LabCase::TooBig,
    ];
    let (mut lab, out) = started(cases);
    assert!(out.contains(&Command::Open {
        socket: LabSocket::Case(0),
        url: URL.into()
    }));

    let asked = run_case(
        &mut lab,
        0,
        2,
        browser(4000, "mine", true),
        CloseView {
            code: Some(4000),
            reason: Some("mine".into()),
            by: ClosedBy::Server,
        },
    );
    assert!(
        sent_on(&asked, LabSocket::Case(0))[0]
            .contains(r#""type":"close","code":4000,"reason":"mine""#)
    );
    let asked = run_case(
        &mut lab,
        1,
        3,
        browser(1006, "", false),
        CloseView {
            code: None,
            reason: None,
            by: ClosedBy::Server,
        },
    );
    assert!(sent_on(&asked, LabSocket::Case(1))[0].contains(r#""type":"abort""#));
    let asked = run_case(
        &mut lab,
        2,
        4,
        browser(1006, "", false),
        CloseView {
            code: None,
            reason: None,
            by: ClosedBy::None,
        },
    );
    assert!(sent_on(&asked, LabSocket::Case(2))[0].contains("invalid_utf8"));
    let asked = run_case(
        &mut lab,
        3,
        5,
        browser(1009, "message too big", true),
        CloseView {
            code: Some(1009),
            reason: Some("message too big".into()),
            by: ClosedBy::Server,
        },
    );
    let big = &sent_on(&asked, LabSocket::Case(3))[0];
    assert_eq!(
        big.len(),
        Limits::for_tests().max_message_bytes + 1,
        "one byte over the limit"
    );

    assert!(lab.is_done());
    let result = lab.result();
    assert_eq!(result.rows.len(), 4);
    assert!(
        result.rows.iter().all(|r| r.failure.is_none()),
        "{result:#?}"
    );
    assert_eq!(result.rows[0].browser, Some(browser(4000, "mine", true)));
    assert_eq!(
        result.rows[1].server.as_ref().map(|s| s.by),
        Some(ClosedBy::Server)
    );
    assert_eq!(
        result.rows[3].server.as_ref().and_then(|s| s.code),
        Some(1009)
    );
    assert_eq!(lab.progress(), (4, 4));
}

#[test]
fn codes_that_never_travel_are_refused_with_the_reason() {
    for (code, words) in [
        ("1005", "reports it locally"),
        ("1006", "without a close frame"),
        ("1015", "TLS"),
        ("1004", "reserved"),
        ("2000", "future"),
        ("999", "below 1000"),
        ("5000", "above 4999"),
    ] {
        let why = LabCase::close(code, "").unwrap_err();
        assert!(why.contains(words), "{code}: {why}");
    }
    assert!(
        LabCase::close("soon", "")
            .unwrap_err()
            .contains("not a close code")
    );
    assert!(
        LabCase::close("4000", &"é".repeat(62))
            .unwrap_err()
            .contains("123")
    );
    assert_eq!(
        LabCase::close(" 1008 ", "policy"),
        Ok(LabCase::Close {
            code: 1008,
            reason: "policy".into()
        })
    );
}

#[test]
fn a_server_that_is_not_the_companion_ends_the_lab_with_why() {
    let mut lab = CloseLab::new();
    lab.handle(
        0.0,
        Input::Start {
            url: URL.into(),
            page_is_https: false,
            cases: LabCase::standard_set(),
        },
    );
    let out = lab.handle(
        1.0,
        Input::Opened {
            socket: LabSocket::Control,
            protocol: String::new(),
        },
    );
    assert!(out.contains(&Command::Finished));
    assert!(
        lab.result()
            .failure
            .as_deref()
            .unwrap()
            .contains("picked no subprotocol")
    );

    let mut lab = CloseLab::new();
    lab.handle(
        0.0,
        Input::Start {
            url: URL.into(),
            page_is_https: false,
            cases: LabCase::standard_set(),
        },
    );
    lab.handle(
        1.0,
        Input::Closed {
            socket: LabSocket::Control,
            close: browser(1006, "", false),
        },
    );
    assert!(
        lab.result()
            .failure
            .as_deref()
            .unwrap()
            .contains("is this wsdoctor-server")
    );
}

#[test]
fn a_case_that_never_closes_is_said_so_and_the_lab_goes_on() {
    let (mut lab, _) = started(vec![LabCase::InvalidUtf8, LabCase::Drop]);
    lab.handle(
        3.0,
        Input::Opened {
            socket: LabSocket::Case(0),
            protocol: crate::COMPANION_SUBPROTOCOL.into(),
        },
    );
    lab.handle(
        4.0,
        Input::Message {
            socket: LabSocket::Case(0),
            text: welcome("s", 2),
        },
    );
    let out = lab.handle(10_004.0, Input::Fired(LabTimer::Deadline));
    assert!(out.contains(&Command::Close(LabSocket::Case(0))));
    assert!(out.contains(&Command::Open {
        socket: LabSocket::Case(1),
        url: URL.into()
    }));
    assert_eq!(
        lab.result().rows[0].failure.as_deref(),
        Some("the connection did not close within 10 s")
    );
    assert_eq!(lab.progress(), (1, 2));
}

#[test]
fn stop_and_a_bad_target_end_the_lab() {
    let (mut lab, _) = started(LabCase::standard_set());
    let out = lab.handle(3.0, Input::Stop);
    assert!(out.contains(&Command::Finished) && out.contains(&Command::Close(LabSocket::Control)));
    assert!(lab.result().cancelled);

    let mut lab = CloseLab::new();
    let out = lab.handle(
        0.0,
        Input::Start {
            url: "http://x/".into(),
            page_is_https: false,
            cases: LabCase::standard_set(),
        },
    );
    assert!(!out.iter().any(|c| matches!(c, Command::Open { .. })));
    assert!(lab.result().failure.is_some());
}
