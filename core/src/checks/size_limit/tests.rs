//! The size check against simulated paths: nothing below the companion's own limit, a
//! relay that drops large messages silently, something that answers 1009 above 128 KiB,
//! one that cuts the connection above 32 KiB, and a server that is not the companion.

use super::*;
use crate::protocol::Limits;

const URL: &str = "ws://127.0.0.1:1/ws";

/// What the simulated path does with a message over its limit in one direction.
#[derive(Clone, Copy)]
enum Over {
    Drop,
    Close(u16),
}

/// A path carrying messages up to `up` bytes to the server and `down` to the page, doing
/// `over` with larger ones, to a companion accepting up to 1 MiB.
fn run(up: (u64, Over), down: (u64, Over)) -> SizeResult {
    let mut check = SizeCheck::new(SizeSettings::default());
    let mut out = check.handle(
        0.0,
        Input::Start {
            url: URL.into(),
            page_is_https: false,
        },
    );
    for _ in 0..1_000 {
        let mut next = Vec::new();
        for command in out.drain(..) {
            let input = match command {
                Command::Open { .. } => Some(Input::Opened {
                    protocol: crate::COMPANION_SUBPROTOCOL.into(),
                }),
                Command::SendText(text) => match serde_json::from_str(&text).unwrap() {
                    ClientMessage::Hello { .. } => Some(Input::Text(
                        serde_json::to_string(&ServerMessage::Welcome {
                            session: "s".into(),
                            conn: 1,
                            server_time_ms: 0,
                            limits: Limits::for_tests(),
                            handshake: Default::default(),
                        })
                        .ok(),
                    )),
                    ClientMessage::Send { bytes } if bytes <= down.0 => Some(Input::Binary(bytes)),
                    ClientMessage::Send { .. } => match down.1 {
                        Over::Drop => Some(Input::Fired(SizeTimer::Answer)),
                        Over::Close(code) => Some(Input::Closed { code }),
                    },
                    other => panic!("unexpected {other:?}"),
                },
                Command::SendBytes(bytes) if bytes <= up.0 => Some(Input::Text(
                    serde_json::to_string(&ServerMessage::Received { bytes }).ok(),
                )),
                Command::SendBytes(_) => match up.1 {
                    Over::Drop => Some(Input::Fired(SizeTimer::Answer)),
                    Over::Close(code) => Some(Input::Closed { code }),
                },
                Command::Finished => return check.result().clone(),
                _ => None,
            };
            if let Some(input) = input {
                next.extend(check.handle(0.0, input));
            }
        }
        out = next;
    }
    panic!("the search never ended");
}

const MIB: u64 = 1 << 20;

#[test]
fn with_nothing_below_the_companions_limit_everything_up_to_it_arrives() {
    let result = run((MIB, Over::Drop), (MIB, Over::Drop));
    assert_eq!(result.server_limit, MIB);
    for limit in [&result.up, &result.down] {
        assert_eq!((limit.largest_arrived, limit.smallest_lost), (MIB, None));
    }
    assert_eq!(
        result.tried.len(),
        2 * 11,
        "1 KiB doubling to 1 MiB, both ways"
    );
    assert!(
        headline(&result).contains("everything up to the server's own limit (1024.0 KiB) arrived"),
        "{}",
        headline(&result)
    );
}

#[test]
fn a_relay_that_drops_large_messages_silently_is_found_within_a_kib_each_way() {
    let relay = 64 * 1024;
    let result = run((relay, Over::Drop), (relay, Over::Drop));
    for limit in [&result.up, &result.down] {
        assert!(
            limit.largest_arrived <= relay && relay - limit.largest_arrived <= PRECISION_BYTES,
            "{limit:?}"
        );
        let lost = limit.smallest_lost.unwrap();
        assert!(
            lost > relay && lost - limit.largest_arrived <= PRECISION_BYTES,
            "{limit:?}"
        );
        assert_eq!(limit.lost_how, Some(Fate::Dropped));
        assert_eq!(limit.known, None);
    }
    assert!(
        headline(&result).contains("dropped silently"),
        "{}",
        headline(&result)
    );
}

#[test]
fn a_1009_above_128_kib_is_told_from_a_drop_and_named() {
    let result = run((128 * 1024, Over::Close(1009)), (MIB, Over::Drop));
    assert_eq!(result.up.lost_how, Some(Fate::Closed { code: 1009 }));
    assert_eq!(
        result.up.known.as_deref(),
        Some("AWS API Gateway's 128 KB per message")
    );
    assert_eq!(
        result.down.smallest_lost, None,
        "the other way is not limited"
    );
    let said = headline(&result);
    assert!(
        said.contains("closed the connection with 1009 Message Too Big"),
        "{said}"
    );
    // Each close cost a connection: the search reopened and carried on.
    let closes = result
        .tried
        .iter()
        .filter(|t| matches!(t.fate, Fate::Closed { .. }))
        .count();
    assert!(closes >= 2, "{result:?}");
}

#[test]
fn a_cut_above_32_kib_is_said_as_a_cut_and_named() {
    let result = run((MIB, Over::Drop), (32 * 1024, Over::Close(1006)));
    assert_eq!(result.down.lost_how, Some(Fate::Closed { code: 1006 }));
    assert_eq!(
        result.down.known.as_deref(),
        Some("AWS API Gateway's 32 KB per frame")
    );
    assert!(headline(&result).contains("cut the connection without a close frame"));
}

#[test]
fn a_server_that_is_not_the_companion_or_a_bad_target_ends_it_with_why() {
    let mut check = SizeCheck::new(SizeSettings::default());
    check.handle(
        0.0,
        Input::Start {
            url: URL.into(),
            page_is_https: false,
        },
    );
    let out = check.handle(
        1.0,
        Input::Opened {
            protocol: String::new(),
        },
    );
    assert!(out.contains(&Command::Finished));
    assert!(
        check
            .result()
            .failure
            .as_deref()
            .unwrap()
            .contains("picked no subprotocol")
    );

    let mut check = SizeCheck::new(SizeSettings::default());
    check.handle(
        0.0,
        Input::Start {
            url: URL.into(),
            page_is_https: false,
        },
    );
    check.handle(
        1.0,
        Input::Opened {
            protocol: crate::COMPANION_SUBPROTOCOL.into(),
        },
    );
    check.handle(2.0, Input::Text(Some(r#"{"type":"hello"}"#.into())));
    assert!(
        check
            .result()
            .failure
            .as_deref()
            .unwrap()
            .contains("did not answer its hello")
    );

    let mut check = SizeCheck::new(SizeSettings::default());
    let out = check.handle(
        0.0,
        Input::Start {
            url: "nope".into(),
            page_is_https: false,
        },
    );
    assert!(!out.iter().any(|c| matches!(c, Command::Open { .. })));
    assert!(check.is_done());
}

#[test]
fn deadlines_grow_with_the_size() {
    let settings = SizeSettings::default();
    assert_eq!(settings.deadline_ms(0), 2_000);
    assert_eq!(settings.deadline_ms(MIB), 2_000 + 10_240);
}
