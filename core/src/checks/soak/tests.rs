//! The soak against a simulated companion that ends each connection when asked: every
//! policy's figures, the seed article's fixed first delay against wsdoctor's growing and
//! jittered one, determinism for a seed, and a server that is not the companion.

use super::*;
use crate::protocol::Limits;

const URL: &str = "ws://127.0.0.1:1/ws";

/// A simulated companion on loopback: an open takes 5 ms, a welcome 1 ms, and each
/// `close`/`abort` request ends the connection after its `after_ms`. Timers are events
/// like the others: starting one replaces it, cancelling removes it.
fn simulate(settings: SoakSettings, seed: u64) -> SoakResult {
    let mut soak = Soak::new(settings);
    let mut events: Vec<(f64, Input)> = Vec::new();
    let mut out = soak.handle(
        0.0,
        Input::Start {
            url: URL.into(),
            page_is_https: false,
            seed,
        },
    );
    let mut now = 0.0;
    for _ in 0..100_000 {
        for command in out.drain(..) {
            match command {
                Command::Open { lane, .. } => events.push((
                    now + 5.0,
                    Input::Opened {
                        lane,
                        protocol: crate::COMPANION_SUBPROTOCOL.into(),
                    },
                )),
                Command::Send { lane, text } => {
                    let (after, input) = match serde_json::from_str(&text) {
                        Ok(ClientMessage::Hello { .. }) => {
                            let welcome = ServerMessage::Welcome {
                                session: "s".into(),
                                conn: 1,
                                server_time_ms: 0,
                                limits: Limits::for_tests(),
                                handshake: Default::default(),
                            };
                            let text = serde_json::to_string(&welcome).ok();
                            (1, Input::Message { lane, text })
                        }
                        Ok(ClientMessage::Close { code, after_ms, .. }) => {
                            (after_ms.unwrap_or(0), Input::Closed { lane, code })
                        }
                        Ok(ClientMessage::Abort { after_ms }) => {
                            (after_ms.unwrap_or(0), Input::Closed { lane, code: 1006 })
                        }
                        other => panic!("unexpected {other:?}"),
                    };
                    events.push((now + after as f64, input));
                }
                Command::Close(lane) => events.retain(|(_, e)| {
                    !matches!(e, Input::Closed { lane: l, .. } | Input::Message { lane: l, .. } | Input::Opened { lane: l, .. } if *l == lane)
                }),
                Command::StartTimer { timer, after_ms } => {
                    events.retain(|(_, e)| *e != Input::Fired(timer));
                    events.push((now + after_ms as f64, Input::Fired(timer)));
                }
                Command::CancelTimer(timer) => events.retain(|(_, e)| *e != Input::Fired(timer)),
                Command::Finished => return soak.result().clone(),
            }
        }
        // The earliest event next (the first pushed, among equals).
        let next = (0..events.len())
            .min_by(|a, b| events[*a].0.total_cmp(&events[*b].0).then(a.cmp(b)))
            .expect("an event is always pending: the end timer");
        let (at, input) = events.remove(next);
        now = at;
        out = soak.handle(now, input);
    }
    panic!("the soak never ended");
}

fn settings() -> SoakSettings {
    SoakSettings {
        duration_ms: 60_000,
        closes_per_minute: 30,
    }
}

#[test]
fn every_policy_is_ended_and_comes_back_and_its_figures_add_up() {
    let result = simulate(settings(), 7);
    assert_eq!(result.ran_ms, 60_000);
    assert_eq!(result.lanes.len(), 3);
    for lane in &result.lanes {
        // About 30 a minute while up: the policies that come back in 1 s are up more.
        let least = if lane.policy == "wsdoctor's policy" {
            3
        } else {
            10
        };
        assert!(lane.endings >= least, "{lane:?}");
        assert!(
            lane.reconnects + 1 >= lane.endings,
            "every ending but the last comes back: {lane:?}"
        );
        assert!(lane.uptime_pct > 0.0 && lane.uptime_pct < 100.0, "{lane:?}");
        assert!(lane.gave_up.is_none(), "{lane:?}");
        assert!(lane.peak_attempts_per_minute >= f64::from(lane.attempts) * 0.99);
    }
}

#[test]
fn the_seed_articles_policy_always_waits_1_s_and_wsdoctors_backs_off_with_jitter() {
    let result = simulate(settings(), 7);
    let [ours, seed, fixed] = [&result.lanes[0], &result.lanes[1], &result.lanes[2]];
    assert_eq!(seed.policy, "the seed article's policy");
    // It resets on every open: each recovery is its 1 s plus the 5 ms open.
    assert_eq!(
        (seed.recover_p50_ms, seed.recover_p95_ms),
        (Some(1_005.0), Some(1_005.0))
    );
    assert_eq!(
        (fixed.recover_p50_ms, fixed.recover_p95_ms),
        (Some(1_005.0), Some(1_005.0))
    );
    // Never open 10 s, wsdoctor's never resets: its waits grow, jittered.
    let (p50, p95) = (ours.recover_p50_ms.unwrap(), ours.recover_p95_ms.unwrap());
    assert!(p95 > 1_005.0 && p50 != p95, "{ours:?}");
    assert!(
        ours.uptime_pct < seed.uptime_pct,
        "{ours:?} against {seed:?}"
    );
    assert!(
        headline(&result)
            .starts_with("Over 60 s with about 30 endings a minute: wsdoctor's policy: ")
    );
}

#[test]
fn the_same_seed_gives_the_same_soak_and_another_seed_another() {
    assert_eq!(simulate(settings(), 11), simulate(settings(), 11));
    assert_ne!(simulate(settings(), 11), simulate(settings(), 12));
}

#[test]
fn a_server_that_is_not_the_companion_ends_the_soak_with_why() {
    let mut soak = Soak::new(settings());
    soak.handle(
        0.0,
        Input::Start {
            url: URL.into(),
            page_is_https: false,
            seed: 1,
        },
    );
    let out = soak.handle(
        5.0,
        Input::Opened {
            lane: 0,
            protocol: String::new(),
        },
    );
    assert!(out.contains(&Command::Finished));
    assert!(
        soak.result()
            .failure
            .as_deref()
            .unwrap()
            .contains("needs wsdoctor-server's companion")
    );
    let mut soak = Soak::new(settings());
    let out = soak.handle(
        0.0,
        Input::Start {
            url: "ftp://x".into(),
            page_is_https: false,
            seed: 1,
        },
    );
    assert!(!out.iter().any(|c| matches!(c, Command::Open { .. })));
    assert!(soak.is_done());
}

#[test]
fn settings_are_read_from_fields_and_out_of_range_is_named() {
    assert_eq!(
        SoakSettings::from_fields("20", "12"),
        Ok(SoakSettings {
            duration_ms: 20_000,
            closes_per_minute: 12
        })
    );
    assert!(
        SoakSettings::from_fields("2", "12")
            .unwrap_err()
            .starts_with("run for")
    );
    assert!(
        SoakSettings::from_fields("20", "0")
            .unwrap_err()
            .starts_with("closes per minute")
    );
    assert!(
        SoakSettings::from_fields("x", "1")
            .unwrap_err()
            .contains("\"x\"")
    );
}

#[test]
fn the_peak_counts_the_busiest_minute_and_scales_a_shorter_run() {
    let at: Vec<f64> = vec![0.0, 1_000.0, 2_000.0, 61_000.0];
    assert_eq!(peak_per_minute(&at, 120_000.0), 3.0);
    assert_eq!(
        peak_per_minute(&[0.0, 5_000.0], 20_000.0),
        6.0,
        "2 in 20 s is 6 a minute"
    );
    assert_eq!(peak_per_minute(&[], 20_000.0), 0.0);
}
