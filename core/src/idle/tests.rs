//! The idle experiment against simulated paths: a small network simulator plays the
//! companion (or a plain echo server) and a path that cuts idle connections by its own
//! rule, in simulated time, so each scenario runs in microseconds.

use std::collections::{HashMap, VecDeque};

use super::*;
use crate::protocol::{CloseView, ConnectionView, RttSummary};

const STEP: f64 = 50.0;

/// The path and the server of one scenario.
#[derive(Clone)]
struct Path {
    companion: bool,
    /// The path cuts a connection idle this long (by its counting rule), without a close frame.
    idle_cut_ms: Option<f64>,
    /// Whether traffic from the client resets the path's idle timer.
    client_counts: bool,
    /// Whether traffic from the server resets it.
    server_counts: bool,
    /// The path cuts every connection this long after it opened.
    lifetime_ms: Option<f64>,
    /// The server closes (1000) a connection it heard nothing from for this long.
    server_idle_close_ms: Option<f64>,
    /// Probes the network drops at a given time.
    drops: Vec<(ProbeId, f64)>,
}

impl Path {
    fn nginx(cut_ms: f64) -> Path {
        Path {
            companion: true,
            idle_cut_ms: Some(cut_ms),
            client_counts: true,
            server_counts: true,
            lifetime_ms: None,
            server_idle_close_ms: None,
            drops: Vec::new(),
        }
    }

    fn open() -> Path {
        Path {
            idle_cut_ms: None,
            ..Path::nginx(0.0)
        }
    }
}

struct Conn {
    opened_at: f64,
    last_c2s: f64,
    last_s2c: f64,
    tick_every: Option<u64>,
    ping_every: Option<u64>,
    next_tick: f64,
    next_ping: f64,
    ack: bool,
    closed: Option<(f64, ClosedBy, Option<u16>)>,
    session: String,
    number: u64,
}

struct Sim {
    exp: IdleExperiment,
    path: Path,
    now: f64,
    timers: HashMap<IdleTimer, f64>,
    conns: HashMap<ProbeId, Conn>,
    queue: VecDeque<Input>,
    finished_at: Option<f64>,
    sent: Vec<(ProbeId, String)>,
}

impl Sim {
    fn new(settings: IdleSettings, path: Path) -> Sim {
        Sim {
            exp: IdleExperiment::new(settings),
            path,
            now: 0.0,
            timers: HashMap::new(),
            conns: HashMap::new(),
            queue: VecDeque::new(),
            finished_at: None,
            sent: Vec::new(),
        }
    }

    fn feed(&mut self, input: Input) {
        self.queue.push_back(input);
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(input) = self.queue.pop_front() {
            let commands = self.exp.handle(self.now, input);
            for command in commands {
                self.carry_out(command);
            }
        }
    }

    fn reply(&mut self, probe: ProbeId, message: ServerMessage) {
        if let Some(conn) = self.conns.get_mut(&probe) {
            conn.last_s2c = self.now;
        }
        self.queue.push_back(Input::Message {
            probe,
            text: Some(serde_json::to_string(&message).unwrap()),
        });
    }

    fn carry_out(&mut self, command: Command) {
        let now = self.now;
        match command {
            Command::Open {
                probe, protocols, ..
            } => {
                let companion = self.path.companion
                    && protocols.iter().any(|p| p == crate::COMPANION_SUBPROTOCOL);
                self.conns.insert(
                    probe,
                    Conn {
                        opened_at: now,
                        last_c2s: now,
                        last_s2c: now,
                        tick_every: None,
                        ping_every: None,
                        next_tick: f64::MAX,
                        next_ping: f64::MAX,
                        ack: true,
                        closed: None,
                        session: format!("s{probe}"),
                        number: probe as u64 + 100,
                    },
                );
                self.queue.push_back(Input::Opened {
                    probe,
                    protocol: if companion {
                        crate::COMPANION_SUBPROTOCOL.into()
                    } else {
                        String::new()
                    },
                });
            }
            Command::Send { probe, text } => {
                self.sent.push((probe, text.clone()));
                let Some(conn) = self.conns.get_mut(&probe) else {
                    return;
                };
                if conn.closed.is_some() {
                    return;
                }
                conn.last_c2s = now;
                if !self.path.companion {
                    return self.queue.push_back(Input::Message {
                        probe,
                        text: Some(text),
                    });
                }
                match serde_json::from_str::<ClientMessage>(&text).unwrap() {
                    ClientMessage::Hello { .. } => {
                        let welcome = ServerMessage::Welcome {
                            session: conn.session.clone(),
                            conn: conn.number,
                            server_time_ms: 0,
                            limits: crate::protocol::Limits {
                                max_message_bytes: 1 << 20,
                                min_tick_ms: 100,
                                min_ping_ms: 100,
                                max_delay_ms: 600_000,
                                max_errors_per_minute: 20,
                                session_keep_ms: 900_000,
                            },
                            handshake: Default::default(),
                        };
                        self.reply(probe, welcome);
                    }
                    ClientMessage::Configure {
                        tick_every_ms,
                        ping_every_ms,
                        ack_heartbeats,
                        ..
                    } => {
                        conn.tick_every = tick_every_ms.flatten();
                        conn.ping_every = ping_every_ms.flatten();
                        conn.next_tick = conn.tick_every.map_or(f64::MAX, |t| now + t as f64);
                        conn.next_ping = conn.ping_every.map_or(f64::MAX, |t| now + t as f64);
                        conn.ack = ack_heartbeats.unwrap_or(true);
                        let configured = ServerMessage::Configured {
                            tick_every_ms: conn.tick_every,
                            ping_every_ms: conn.ping_every,
                            ack_heartbeats: conn.ack,
                            report_pings: false,
                        };
                        self.reply(probe, configured);
                    }
                    ClientMessage::Heartbeat { seq } if conn.ack => {
                        self.reply(probe, ServerMessage::HeartbeatAck { seq });
                    }
                    ClientMessage::SessionView { session } => {
                        let session = session.unwrap();
                        let connections = self
                            .conns
                            .values()
                            .filter(|c| c.session == session)
                            .map(|c| ConnectionView {
                                conn: c.number,
                                opened_ms: c.opened_at as u64,
                                closed_ms: c.closed.map(|(at, _, _)| at as u64),
                                close: c.closed.map(|(_, by, code)| CloseView {
                                    code,
                                    reason: None,
                                    by,
                                }),
                                last_rx_ms: c.last_c2s as u64,
                                last_tx_ms: c.last_s2c as u64,
                                pings_sent: 0,
                                pongs_received: 0,
                                rtt_ms: RttSummary::default(),
                            })
                            .collect();
                        self.reply(
                            probe,
                            ServerMessage::SessionView {
                                session,
                                connections,
                            },
                        );
                    }
                    _ => {}
                }
            }
            Command::Close { probe, code, .. } => {
                if let Some(conn) = self.conns.get_mut(&probe) {
                    conn.closed
                        .get_or_insert((now, ClosedBy::Client, Some(code)));
                }
            }
            Command::StartTimer { id, after_ms } => {
                self.timers.insert(id, now + after_ms as f64);
            }
            Command::CancelTimer(id) => {
                self.timers.remove(&id);
            }
            Command::Finished => self.finished_at = Some(now),
        }
    }

    fn cut(&mut self, probe: ProbeId, by: ClosedBy, code: u16) {
        let now = self.now;
        if let Some(conn) = self.conns.get_mut(&probe) {
            conn.closed = Some((now, by, (by == ClosedBy::Server).then_some(code)));
        }
        self.feed(Input::Closed {
            probe,
            code,
            was_clean: code != 1006,
        });
    }

    /// Runs until the experiment is done (at most two hours of simulated time).
    fn run(&mut self, url: &str) -> &IdleResult {
        self.feed(Input::Start { url: url.into() });
        while self.exp.phase() != Phase::Done && self.now < 7_200_000.0 {
            self.now += STEP;
            let now = self.now;
            // The server's own traffic.
            let mut ticks = Vec::new();
            for (probe, conn) in self.conns.iter_mut().filter(|(_, c)| c.closed.is_none()) {
                if now >= conn.next_tick {
                    conn.next_tick += conn.tick_every.unwrap() as f64;
                    conn.last_s2c = now;
                    ticks.push(*probe);
                }
                if now >= conn.next_ping {
                    conn.next_ping += conn.ping_every.unwrap() as f64;
                    conn.last_s2c = now;
                    conn.last_c2s = now; // the browser's Pong
                }
            }
            for probe in ticks {
                let tick = ServerMessage::Tick {
                    seq: 1,
                    server_time_ms: 0,
                };
                self.reply(probe, tick);
            }
            self.drain();
            // The path's and the server's cuts.
            let path = self.path.clone();
            let mut cuts = Vec::new();
            for (probe, conn) in self.conns.iter().filter(|(_, c)| c.closed.is_none()) {
                let mut last = f64::MIN;
                if path.client_counts {
                    last = last.max(conn.last_c2s);
                }
                if path.server_counts {
                    last = last.max(conn.last_s2c);
                }
                if path.idle_cut_ms.is_some_and(|cut| now - last >= cut)
                    || path.lifetime_ms.is_some_and(|l| now - conn.opened_at >= l)
                    || path.drops.iter().any(|(p, at)| p == probe && now >= *at)
                {
                    cuts.push((*probe, ClosedBy::None, 1006));
                } else if path
                    .server_idle_close_ms
                    .is_some_and(|idle| now - conn.last_c2s >= idle)
                {
                    cuts.push((*probe, ClosedBy::Server, 1000));
                }
            }
            cuts.sort_by_key(|(probe, _, _)| *probe);
            for (probe, by, code) in cuts {
                self.cut(probe, by, code);
            }
            // Timers.
            let mut due: Vec<(IdleTimer, f64)> = self
                .timers
                .iter()
                .filter(|(_, at)| **at <= now)
                .map(|(id, at)| (*id, *at))
                .collect();
            due.sort_by(|a, b| a.1.total_cmp(&b.1));
            for (id, _) in due {
                if self.timers.remove(&id).is_some() {
                    self.feed(Input::Timer(id));
                }
            }
        }
        self.exp.result().expect("the experiment finished")
    }
}

fn settings() -> IdleSettings {
    IdleSettings::default()
}

fn survived(result: &IdleResult) -> Vec<&str> {
    result
        .probes
        .iter()
        .filter(|p| p.survived)
        .map(|p| p.name.as_str())
        .collect()
}

fn near(actual: Option<u64>, expected: u64) -> bool {
    actual.is_some_and(|a| a.abs_diff(expected) <= 100)
}

#[test]
fn a_60_s_cut_in_both_directions_is_found_named_and_fixed_by_any_heartbeat() {
    let mut sim = Sim::new(settings(), Path::nginx(60_000.0));
    let result = sim.run("wss://app.test/ws").clone();
    assert!(result.companion);
    assert!(near(result.idle_timeout_ms, 60_000), "{result:#?}");
    assert_eq!(
        survived(&result),
        [
            "client_heartbeat",
            "server_heartbeat",
            "server_ping",
            "echo_heartbeat"
        ]
    );
    let silent = result.probe(ProbeKind::Silent).unwrap();
    assert_eq!(silent.close_code, Some(1006));
    assert_eq!(silent.server_saw, Some(ClosedBy::None));
    assert_eq!(result.cut_by, Some(result::CutBy::Path));
    assert_eq!(result.recommended_heartbeat_ms, Some(25_000));
    assert!(result.probes.iter().all(|p| !p.running), "all over");
    let finished = sim.finished_at.unwrap();
    assert!(
        finished <= 60_000.0 + 25_000.0 + 2_000.0,
        "the verdict comes by T + h + 2 s, not at max_idle: {finished}"
    );
    let v = verdict(&result);
    assert_eq!(
        v.headline,
        "Idle connections are cut after about 60 s (the default of nginx proxy_read_timeout and AWS ALB)."
    );
    assert!(
        v.findings[0].contains("whichever side sends them"),
        "{v:#?}"
    );
    assert!(
        v.findings[1].contains("No close frame reached the server"),
        "{v:#?}"
    );
    assert!(v.advice[0].contains("every 25 s"), "{v:#?}");
    let snippets = snippets(&result);
    let nginx = &snippets.iter().find(|s| s.title == "nginx").unwrap().code;
    assert!(
        nginx.contains("~60 s") && nginx.contains("proxy_read_timeout 100s;"),
        "{nginx}"
    );
    let python = &snippets
        .iter()
        .find(|s| s.title == "Python websockets")
        .unwrap()
        .code;
    assert!(python.contains("ping_interval=25"), "{python}");
}

#[test]
fn a_100_s_cut_is_caught_within_the_default_watch() {
    let mut sim = Sim::new(settings(), Path::nginx(100_000.0));
    let result = sim.run("wss://app.test/ws").clone();
    assert!(near(result.idle_timeout_ms, 100_000), "{result:#?}");
    assert!(verdict(&result).headline.contains("about 100 s"));
    assert_eq!(result.recommended_heartbeat_ms, Some(25_000));
}

#[test]
fn when_only_server_traffic_resets_the_path_the_verdict_says_so() {
    let path = Path {
        client_counts: false,
        ..Path::nginx(30_000.0)
    };
    let mut sim = Sim::new(settings(), path);
    let result = sim.run("wss://app.test/ws").clone();
    assert_eq!(
        survived(&result),
        ["server_heartbeat", "server_ping", "echo_heartbeat"]
    );
    let v = verdict(&result);
    assert!(
        v.findings[0].starts_with("Only traffic from the server keeps it open"),
        "{v:#?}"
    );
    assert_eq!(
        result.recommended_heartbeat_ms,
        Some(15_000),
        "half of 30 s"
    );
}

#[test]
fn a_maximum_lifetime_that_cuts_busy_probes_too_is_not_called_an_idle_timeout() {
    let path = Path {
        lifetime_ms: Some(45_000.0),
        ..Path::open()
    };
    let mut sim = Sim::new(settings(), path);
    let result = sim.run("wss://app.test/ws").clone();
    assert!(near(result.lifetime_cap_ms, 45_000), "{result:#?}");
    assert_eq!(result.idle_timeout_ms, None);
    assert!(survived(&result).is_empty());
    let v = verdict(&result);
    assert!(v.headline.contains("maximum connection lifetime"), "{v:#?}");
    assert!(snippets(&result).is_empty());
}

#[test]
fn a_server_that_closes_idle_connections_itself_is_told_apart_from_a_proxy() {
    let path = Path {
        server_idle_close_ms: Some(30_000.0),
        ..Path::open()
    };
    let mut sim = Sim::new(settings(), path);
    let result = sim.run("wss://app.test/ws").clone();
    let silent = result.probe(ProbeKind::Silent).unwrap();
    assert_eq!(silent.close_code, Some(1000));
    assert_eq!(result.cut_by, Some(result::CutBy::Server));
    assert!(near(result.idle_timeout_ms, 30_000));
    assert!(
        !survived(&result).contains(&"server_heartbeat"),
        "the server hears nothing from that probe either"
    );
    let v = verdict(&result);
    assert!(
        v.findings
            .iter()
            .any(|f| f.contains("server closed the idle connection itself (code 1000)")),
        "{v:#?}"
    );
}

#[test]
fn a_flaky_network_that_drops_a_busy_probe_is_reported_beside_the_timeout() {
    let path = Path {
        drops: vec![(4, 20_000.0)],
        ..Path::nginx(60_000.0)
    };
    let mut sim = Sim::new(settings(), path);
    let result = sim.run("wss://app.test/ws").clone();
    assert!(near(result.idle_timeout_ms, 60_000));
    assert_eq!(result.busy_drops, ["echo_heartbeat"]);
    let v = verdict(&result);
    assert!(
        v.findings
            .iter()
            .any(|f| f.contains("cut despite recent traffic (echo_heartbeat)")),
        "{v:#?}"
    );
}

#[test]
fn with_no_cut_the_verdict_says_so_and_what_it_does_not_prove() {
    let mut sim = Sim::new(settings(), Path::open());
    let result = sim.run("wss://app.test/ws").clone();
    assert_eq!(result.idle_timeout_ms, None);
    assert_eq!(survived(&result).len(), 5);
    assert!((130_000.0..131_000.0).contains(&sim.finished_at.unwrap()));
    let v = verdict(&result);
    assert_eq!(v.headline, "No idle timeout found up to 130 s.");
    assert!(v.findings[1].contains("does not prove"), "{v:#?}");
    assert!(snippets(&result).is_empty());
}

#[test]
fn against_another_server_only_silent_and_echo_run_and_the_limit_is_said() {
    let path = Path {
        companion: false,
        ..Path::nginx(60_000.0)
    };
    let mut sim = Sim::new(settings(), path);
    let result = sim.run("wss://other.test/socket").clone();
    assert!(!result.companion);
    let names: Vec<&str> = result.probes.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["silent", "echo_heartbeat"]);
    assert!(near(result.idle_timeout_ms, 60_000));
    assert!(
        sim.sent.iter().any(|(_, text)| text == "ping 1"),
        "the user's payload"
    );
    let v = verdict(&result);
    assert!(v.findings[0].contains("could not be separated"), "{v:#?}");
    assert!(v.findings[1].contains("The browser saw 1006"), "{v:#?}");

    let mut quiet = Sim::new(
        settings(),
        Path {
            companion: false,
            ..Path::open()
        },
    );
    let v = verdict(quiet.run("wss://other.test/socket"));
    assert!(
        v.findings
            .iter()
            .any(|f| f.contains("protocol pings of its own")),
        "{v:#?}"
    );
}

#[test]
fn cancel_closes_every_probe_and_concludes_nothing() {
    let mut sim = Sim::new(settings(), Path::open());
    sim.feed(Input::Start {
        url: "wss://app.test/ws".into(),
    });
    sim.now = 5_000.0;
    sim.feed(Input::PageHidden);
    sim.feed(Input::Cancel);
    let result = sim.exp.result().unwrap().clone();
    assert!(result.cancelled);
    assert!(
        sim.conns.values().all(|c| c.closed.is_some()),
        "every probe closed"
    );
    let v = verdict(&result);
    assert!(v.headline.starts_with("Cancelled after 5 s"), "{v:#?}");
    assert!(
        v.findings.iter().any(|f| f.contains("throttle timers")),
        "{v:#?}"
    );
}

#[test]
fn a_target_that_cannot_be_reached_fails_at_once_with_a_reason() {
    let mut exp = IdleExperiment::new(settings());
    exp.handle(
        0.0,
        Input::Start {
            url: "wss://down.test/".into(),
        },
    );
    let out = exp.handle(
        30.0,
        Input::Closed {
            probe: 0,
            code: 1006,
            was_clean: false,
        },
    );
    assert!(out.contains(&Command::Finished));
    let v = verdict(exp.result().unwrap());
    assert!(v.headline.contains("could not be reached"), "{v:#?}");

    let mut exp = IdleExperiment::new(settings());
    exp.handle(
        0.0,
        Input::Start {
            url: "wss://slow.test/".into(),
        },
    );
    exp.handle(10_000.0, Input::Timer(IdleTimer::OpenTimeout));
    assert!(
        verdict(exp.result().unwrap())
            .headline
            .contains("did not open within 10 s")
    );
}

#[test]
fn a_heartbeat_too_slow_for_the_timeout_is_named_as_too_slow() {
    let s = IdleSettings {
        heartbeat_ms: 45_000,
        ..settings()
    };
    let mut sim = Sim::new(s, Path::nginx(30_000.0));
    let result = sim.run("wss://app.test/ws").clone();
    assert!(near(result.idle_timeout_ms, 30_000), "{result:#?}");
    assert_eq!(result.lifetime_cap_ms, None, "idle cuts, not a lifetime");
    assert_eq!(result.recommended_heartbeat_ms, Some(15_000));
    assert!(
        verdict(&result).findings[0].contains("too slow"),
        "{:#?}",
        verdict(&result)
    );
}

#[test]
fn settings_are_checked_with_the_field_named() {
    assert_eq!(settings().check(), Ok(()));
    let long = IdleSettings {
        max_idle_ms: 16 * 60_000,
        ..settings()
    };
    assert!(long.check().unwrap_err().contains("15 min"));
    let slow = IdleSettings {
        heartbeat_ms: 200_000,
        ..settings()
    };
    assert!(
        slow.check()
            .unwrap_err()
            .contains("shorter than the time watched")
    );
}

#[test]
fn a_server_that_picks_wsdoctor_v1_but_never_welcomes_ends_with_a_reason() {
    let mut exp = IdleExperiment::new(settings());
    exp.handle(
        0.0,
        Input::Start {
            url: "wss://echo.test/".into(),
        },
    );
    let out = exp.handle(
        20.0,
        Input::Opened {
            probe: 0,
            protocol: crate::COMPANION_SUBPROTOCOL.into(),
        },
    );
    assert!(out.contains(&Command::StartTimer {
        id: IdleTimer::WelcomeTimeout,
        after_ms: WELCOME_TIMEOUT_MS
    }));
    // The server echoes the hello back instead of answering it.
    let hello = r#"{"type":"hello"}"#.to_string();
    exp.handle(
        30.0,
        Input::Message {
            probe: 0,
            text: Some(hello),
        },
    );
    let out = exp.handle(5_020.0, Input::Timer(IdleTimer::WelcomeTimeout));
    assert!(out.contains(&Command::Finished));
    let v = verdict(exp.result().unwrap());
    assert!(v.headline.contains("did not answer its hello"), "{v:#?}");
}
