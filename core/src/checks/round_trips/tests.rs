//! The round-trip check against simulated servers: the companion (echoes with its clock,
//! Ping round trips), a plain echo server, one that loses echoes, one that answers
//! nothing, one that refuses the companion's subprotocol, and one that closes mid-run.

use super::*;
use crate::protocol::Limits;

const ORIGIN: f64 = 1_700_000_000_000.0;

fn settings(echoes: u32) -> RoundTripSettings {
    RoundTripSettings {
        echoes,
        every_ms: 100,
        answer_within_ms: 1_000,
        ..RoundTripSettings::default()
    }
}

fn start(check: &mut RoundTripCheck, url: &str) -> Vec<Command> {
    check.handle(
        0.0,
        Input::Start {
            url: url.into(),
            page_is_https: false,
            clock_origin_ms: ORIGIN,
            resolution_ms: 0.005,
        },
    )
}

fn welcome() -> String {
    serde_json::to_string(&ServerMessage::Welcome {
        session: "s".into(),
        conn: 1,
        server_time_ms: 0,
        limits: Limits::for_tests(),
        handshake: Default::default(),
    })
    .unwrap()
}

/// The echoes a batch of commands sends: (seq, the text as sent).
fn echoes_in(commands: &[Command]) -> Vec<(u64, String)> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Send(text) => match serde_json::from_str::<ClientMessage>(text) {
                Ok(ClientMessage::Echo { seq, .. }) => Some((seq, text.clone())),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// The companion's answer to echo `seq`, its clock reading `server_ms`.
fn companion_echo(seq: u64, server_ms: u64) -> String {
    serde_json::to_string(&ServerMessage::Echo {
        seq,
        t: 0.0,
        data: None,
        server_time_ms: server_ms,
    })
    .unwrap()
}

/// Runs the echo loop: each echo sent at `now` is answered by `answer(seq, sent_at)`
/// (`Some((after_ms, text))`) or lost (`None`); the next one goes out 100 ms later.
fn run_echoes(
    check: &mut RoundTripCheck,
    mut pending: Vec<Command>,
    mut now: f64,
    answer: impl Fn(u64, f64) -> Option<(f64, String)>,
) -> f64 {
    let mut answers: Vec<(f64, String)> = Vec::new();
    while !check.is_done() {
        for (seq, _) in echoes_in(&pending) {
            if let Some((after, text)) = answer(seq, now) {
                answers.push((now + after, text));
            }
        }
        let next_tick = now + 100.0;
        answers.sort_by(|a, b| a.0.total_cmp(&b.0));
        pending = Vec::new();
        while let Some((at, _)) = answers.first()
            && *at <= next_tick
        {
            let (at, text) = answers.remove(0);
            pending.extend(check.handle(at, Input::Message(Some(text))));
        }
        if check.is_done() {
            break;
        }
        now = next_tick;
        let drain_due = check.progress().0 == check.progress().1;
        if drain_due && answers.is_empty() {
            now += 1_000.0;
            pending.extend(check.handle(now, Input::Fired(Timer::Drain)));
        } else if !drain_due {
            pending.extend(check.handle(now, Input::Fired(Timer::NextEcho)));
        }
    }
    now
}

#[test]
fn against_the_companion_both_round_trips_and_the_clock_offset_are_measured() {
    let mut check = RoundTripCheck::new(settings(20));
    let out = start(&mut check, "ws://127.0.0.1:1/ws");
    assert!(
        matches!(&out[0], Command::Open { protocols, .. } if protocols == &[crate::COMPANION_SUBPROTOCOL])
    );
    let out = check.handle(
        5.0,
        Input::Opened {
            protocol: crate::COMPANION_SUBPROTOCOL.into(),
        },
    );
    assert!(matches!(&out[0], Command::Send(t) if t.contains("hello")));
    let mut out = check.handle(6.0, Input::Message(Some(welcome())));
    assert!(
        out.iter()
            .any(|c| matches!(c, Command::Send(t) if t.contains("\"report_pings\":true"))),
        "{out:?}"
    );
    // The server's clock runs 250 ms ahead of the page's; each echo takes 0.4 ms, the
    // server answering in the middle.
    out.extend(
        check.handle(
            6.1,
            Input::Message(Some(
                serde_json::to_string(&ServerMessage::PingRtt {
                    seq: 1,
                    rtt_ms: 0.12,
                })
                .unwrap(),
            )),
        ),
    );
    let configured = r#"{"type":"configured","tick_every_ms":null,"ping_every_ms":100,"ack_heartbeats":false,"report_pings":true}"#;
    out.extend(check.handle(6.2, Input::Message(Some(configured.into()))));
    run_echoes(&mut check, out, 6.0, |seq, sent| {
        let server = (ORIGIN + sent + 0.2 + 250.0).round() as u64;
        Some((0.4, companion_echo(seq, server)))
    });
    let result = check.result();
    assert!(result.companion);
    assert_eq!((result.sent, result.answered, result.lost), (20, 20, 0));
    let echo = result.echo.clone().unwrap();
    assert!((echo.p50_ms - 0.4).abs() < 1e-9, "{echo:?}");
    assert!(echo.jitter_ms < 1e-9, "{echo:?}");
    assert_eq!(result.ping_ms, [0.12]);
    let offset = result.clock_offset_ms.unwrap();
    assert!((offset - 250.0).abs() <= 1.0, "{offset}");
    assert!(result.clock_offset_within_ms.unwrap() <= 1.3);
    assert_eq!(result.resolution_ms, 0.005);
    assert_eq!(
        result.other_messages, 0,
        "the companion's own replies are not pushes"
    );
    assert!(
        headline(&result).starts_with("Round trip 0.40 ms (p50)"),
        "{}",
        headline(&result)
    );
    assert!(headline(&result).contains("Ping/Pong: 0.12 ms"));
}

#[test]
fn against_a_plain_echo_server_the_echoes_alone_are_timed_by_seq() {
    let mut check = RoundTripCheck::new(RoundTripSettings {
        companion: CompanionMode::Off,
        ..settings(10)
    });
    let out = start(&mut check, "ws://127.0.0.1:1/");
    assert!(matches!(&out[0], Command::Open { protocols, .. } if protocols.is_empty()));
    let out = check.handle(
        3.0,
        Input::Opened {
            protocol: String::new(),
        },
    );
    assert_eq!(echoes_in(&out).len(), 1, "the first echo at once");
    // Answers come back out of order: the seq, not the order, pairs them.
    run_echoes(&mut check, out, 3.0, |seq, _| {
        let text = serde_json::to_string(&ClientMessage::Echo {
            seq,
            t: 0.0,
            data: None,
        })
        .unwrap();
        Some((if seq % 2 == 0 { 1.0 } else { 3.0 }, text))
    });
    let result = check.result();
    assert!(!result.companion);
    assert_eq!(result.answered, 10);
    assert_eq!(
        result.echo_ms,
        [3.0, 1.0, 3.0, 1.0, 3.0, 1.0, 3.0, 1.0, 3.0, 1.0]
    );
    let echo = result.echo.unwrap();
    assert_eq!((echo.min_ms, echo.max_ms, echo.jitter_ms), (1.0, 3.0, 2.0));
    assert_eq!(result.clock_offset_ms, None, "no server clock");
    assert!(result.ping.is_none());
}

#[test]
fn echoes_not_answered_in_time_are_lost_and_a_late_answer_is_not_timed() {
    let mut check = RoundTripCheck::new(RoundTripSettings {
        companion: CompanionMode::Off,
        ..settings(10)
    });
    start(&mut check, "ws://127.0.0.1:1/");
    let out = check.handle(
        0.0,
        Input::Opened {
            protocol: String::new(),
        },
    );
    run_echoes(&mut check, out, 0.0, |seq, _| {
        let text = format!(r#"{{"type":"echo","seq":{seq},"t":0}}"#);
        match seq {
            3 | 7 => None,              // dropped
            5 => Some((1_500.0, text)), // after its deadline
            _ => Some((2.0, text)),
        }
    });
    let result = check.result();
    assert_eq!(
        (result.sent, result.answered, result.lost),
        (10, 7, 3),
        "{result:?}"
    );
    assert!(
        headline(&result).contains("3 of 10 lost (30.0 %)"),
        "{}",
        headline(&result)
    );
}

#[test]
fn a_server_that_answers_nothing_yields_no_round_trip_and_says_why() {
    let mut check = RoundTripCheck::new(RoundTripSettings {
        companion: CompanionMode::Off,
        ..settings(5)
    });
    start(&mut check, "ws://127.0.0.1:1/");
    let out = check.handle(
        0.0,
        Input::Opened {
            protocol: String::new(),
        },
    );
    run_echoes(&mut check, out, 0.0, |_, _| None);
    let result = check.result();
    assert_eq!((result.sent, result.answered, result.lost), (5, 0, 5));
    assert!(result.echo.is_none());
    assert!(
        headline(&result).starts_with("None of 5 echoes came back"),
        "{}",
        headline(&result)
    );
}

#[test]
fn pushes_and_unknown_echoes_are_counted_apart_and_never_timed() {
    let mut check = RoundTripCheck::new(RoundTripSettings {
        companion: CompanionMode::Off,
        ..settings(2)
    });
    start(&mut check, "ws://127.0.0.1:1/");
    check.handle(
        0.0,
        Input::Opened {
            protocol: String::new(),
        },
    );
    check.handle(
        1.0,
        Input::Message(Some(r#"{"type":"tick","seq":1}"#.into())),
    );
    check.handle(
        1.5,
        Input::Message(Some(r#"{"type":"echo","seq":99,"t":0}"#.into())),
    );
    check.handle(2.0, Input::Message(Some("news".into())));
    check.handle(2.5, Input::Message(None));
    let result = check.result();
    assert_eq!(
        result.other_messages, 3,
        "tick, news, binary (the unknown echo is ignored)"
    );
    assert_eq!(result.answered, 0);
}

#[test]
fn a_refused_offer_of_the_companion_is_retried_without_it() {
    let mut check = RoundTripCheck::new(settings(3));
    start(&mut check, "ws://127.0.0.1:1/");
    let out = check.handle(2.0, Input::Closed { code: 1006 });
    assert!(
        matches!(&out[0], Command::Open { protocols, .. } if protocols.is_empty()),
        "{out:?}"
    );
    let out = check.handle(
        3.0,
        Input::Opened {
            protocol: String::new(),
        },
    );
    assert_eq!(echoes_in(&out).len(), 1);
    // Failing again before opening ends the check.
    let mut check = RoundTripCheck::new(settings(3));
    start(&mut check, "ws://127.0.0.1:1/");
    check.handle(2.0, Input::Closed { code: 1006 });
    let out = check.handle(4.0, Input::Closed { code: 1006 });
    assert!(out.contains(&Command::Finished));
    let result = check.result();
    assert!(result.failure.unwrap().contains("1006 before opening"));
}

#[test]
fn a_server_that_takes_the_companions_name_but_echoes_the_hello_is_echoed_plainly() {
    let mut check = RoundTripCheck::new(settings(3));
    start(&mut check, "ws://127.0.0.1:1/");
    check.handle(
        1.0,
        Input::Opened {
            protocol: crate::COMPANION_SUBPROTOCOL.into(),
        },
    );
    let out = check.handle(1.5, Input::Message(Some(r#"{"type":"hello"}"#.into())));
    assert_eq!(echoes_in(&out).len(), 1);
    assert!(!check.result().companion);
}

#[test]
fn a_close_mid_run_keeps_what_was_measured_and_says_when_it_closed() {
    let mut check = RoundTripCheck::new(RoundTripSettings {
        companion: CompanionMode::Off,
        ..settings(10)
    });
    start(&mut check, "ws://127.0.0.1:1/");
    check.handle(
        0.0,
        Input::Opened {
            protocol: String::new(),
        },
    );
    check.handle(
        1.0,
        Input::Message(Some(r#"{"type":"echo","seq":1}"#.into())),
    );
    check.handle(100.0, Input::Fired(Timer::NextEcho));
    let out = check.handle(150.0, Input::Closed { code: 1001 });
    assert!(out.contains(&Command::Finished));
    let result = check.result();
    assert_eq!((result.sent, result.answered, result.lost), (2, 1, 1));
    assert_eq!(
        result.failure.as_deref(),
        Some("the connection closed with 1001 after 2 of 10 echoes")
    );
    assert!(headline(&result).starts_with("Round trip 1.00 ms"));
}

#[test]
fn a_bad_target_is_refused_before_any_socket_and_stop_cancels() {
    let mut check = RoundTripCheck::new(settings(3));
    let out = start(&mut check, "http://example.com/");
    assert!(!out.iter().any(|c| matches!(c, Command::Open { .. })));
    assert!(check.is_done());
    assert!(headline(&check.result()).starts_with("The check could not measure a round trip"));

    let mut check = RoundTripCheck::new(settings(3));
    start(&mut check, "ws://127.0.0.1:1/");
    check.handle(
        0.0,
        Input::Opened {
            protocol: String::new(),
        },
    );
    let out = check.handle(10.0, Input::Stop);
    assert!(out.contains(&Command::Close) && out.contains(&Command::Finished));
    let result = check.result();
    assert!(result.cancelled);
    assert_eq!(result.lost, 1);
}

#[test]
fn settings_out_of_range_are_named() {
    assert!(settings(0).check().unwrap_err().starts_with("echoes"));
    assert!(settings(MAX_ECHOES + 1).check().is_err());
    let fast = RoundTripSettings {
        every_ms: 1,
        ..settings(5)
    };
    assert!(fast.check().unwrap_err().starts_with("one echo every"));
    assert!(settings(5).check().is_ok());
    let typed = RoundTripSettings::from_fields(RoundTripSettings::default(), " 20 ", "50").unwrap();
    assert_eq!((typed.echoes, typed.every_ms), (20, 50));
    let refused = RoundTripSettings::from_fields(RoundTripSettings::default(), "many", "50");
    assert_eq!(
        refused.unwrap_err(),
        "echoes: \"many\" is not a whole number"
    );
    assert!(RoundTripSettings::from_fields(RoundTripSettings::default(), "5", "5").is_err());
}

#[test]
fn stats_use_nearest_rank_and_consecutive_differences() {
    let stats = RoundTripStats::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
    assert_eq!(
        (
            stats.count,
            stats.min_ms,
            stats.p50_ms,
            stats.p95_ms,
            stats.max_ms
        ),
        (4, 1.0, 2.0, 4.0, 4.0)
    );
    assert!((stats.jitter_ms - 2.0).abs() < 1e-9, "(3 + 2 + 1) / 3");
    assert!(RoundTripStats::of(&[]).is_none());
}
