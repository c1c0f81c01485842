//! The idle experiment against simulated paths: a small network simulator plays the
//! companion (or a plain echo server) and a path that cuts idle connections by its own
//! rule, in simulated time, so each scenario runs in microseconds.

use std::collections::{HashMap, VecDeque};

use super::*;
use crate::idle::result::CutBy;
use crate::protocol::{CloseView, ConnectionView, RttSummary};

const STEP: f64 = 50.0;

/// The server at the end of the path.
#[derive(Clone)]
enum Server {
    /// wsdoctor-server: picks `wsdoctor.v1` when offered and speaks it; otherwise a
    /// plain echo that picks no subprotocol.
    Companion,
    /// Another server that echoes every message. It picks the first offered
    /// subprotocol it supports (`"*"`: any, as npm `ws` does by default) and, if
    /// `required`, refuses a handshake that offers none of them.
    Echo {
        supports: Vec<&'static str>,
        required: bool,
    },
    /// A Socket.IO v4 server (npm socket.io on npm `ws`, which picks the first offered
    /// subprotocol): the open packet at once, a ping every `interval`, and a close without
    /// a code when a pong has not come `timeout` after a ping. It echoes nothing.
    SocketIo { interval: f64, timeout: f64 },
}

/// The path and the server of one scenario.
#[derive(Clone)]
struct Path {
    server: Server,
    /// The path cuts a connection idle this long (by its counting rule), without a close frame.
    idle_cut_ms: Option<f64>,
    /// Whether traffic from the client resets the path's idle timer.
    client_counts: bool,
    /// Whether traffic from the server resets it.
    server_counts: bool,
    /// Each direction has its own idle timer: a connection silent either way is cut.
    both_needed: bool,
    /// The server sends protocol Ping frames of its own this often on every connection
    /// (Python `websockets`' `ping_interval`); the browser answers each with a Pong.
    server_pings_ms: Option<f64>,
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
            server: Server::Companion,
            idle_cut_ms: Some(cut_ms),
            client_counts: true,
            server_counts: true,
            both_needed: false,
            server_pings_ms: None,
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

    /// A plain echo server that negotiates no subprotocol (most servers), behind nginx.
    fn plain(cut_ms: Option<f64>) -> Path {
        Path {
            server: Server::Echo {
                supports: Vec::new(),
                required: false,
            },
            idle_cut_ms: cut_ms,
            ..Path::nginx(0.0)
        }
    }

    /// The subprotocol the server picks from `offered`; `Err` if the handshake fails in
    /// the browser (it offered some and the answer picks none, or the server requires
    /// one it was not offered).
    fn pick(&self, offered: &[String]) -> Result<Option<String>, ()> {
        let picked = match &self.server {
            Server::Companion => offered
                .iter()
                .find(|p| p.as_str() == crate::COMPANION_SUBPROTOCOL)
                .cloned(),
            Server::Echo { supports, .. } => offered
                .iter()
                .find(|p| supports.iter().any(|s| *s == "*" || s == p))
                .cloned(),
            Server::SocketIo { .. } => offered.first().cloned(),
        };
        let required = matches!(self.server, Server::Echo { required: true, .. });
        if picked.is_none() && (!offered.is_empty() || required) {
            return Err(());
        }
        Ok(picked)
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
    /// The subprotocol the server picked.
    protocol: Option<String>,
    /// Socket.IO: the next ping, and the ping still waiting for its pong.
    sio_next_ping: f64,
    sio_waiting_since: Option<f64>,
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
    /// Every Open the experiment asked for: (probe, offered subprotocols).
    opened: Vec<(ProbeId, Vec<String>)>,
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
            opened: Vec::new(),
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
                self.opened.push((probe, protocols.clone()));
                let Ok(picked) = self.path.pick(&protocols) else {
                    return self.queue.push_back(Input::Closed {
                        probe,
                        code: 1006,
                        was_clean: false,
                    });
                };
                self.conns.insert(
                    probe,
                    Conn {
                        opened_at: now,
                        last_c2s: now,
                        last_s2c: now,
                        tick_every: None,
                        ping_every: None,
                        next_tick: f64::MAX,
                        next_ping: self.path.server_pings_ms.map_or(f64::MAX, |p| now + p),
                        ack: true,
                        closed: None,
                        session: format!("s{probe}"),
                        number: probe as u64 + 100,
                        protocol: picked.clone(),
                        sio_next_ping: f64::MAX,
                        sio_waiting_since: None,
                    },
                );
                self.queue.push_back(Input::Opened {
                    probe,
                    protocol: picked.unwrap_or_default(),
                });
                if let Server::SocketIo { interval, timeout } = self.path.server {
                    let open = format!(
                        r#"0{{"sid":"e{probe}","upgrades":[],"pingInterval":{interval},"pingTimeout":{timeout},"maxPayload":1000000}}"#
                    );
                    if let Some(conn) = self.conns.get_mut(&probe) {
                        conn.sio_next_ping = now + interval;
                    }
                    self.queue.push_back(Input::Message {
                        probe,
                        text: Some(open),
                    });
                }
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
                if let Server::SocketIo { .. } = self.path.server {
                    if text == "3" {
                        conn.sio_waiting_since = None;
                    } else if text.starts_with("40") {
                        conn.last_s2c = now;
                        let connected = format!(r#"40{{"sid":"n{probe}"}}"#);
                        self.queue.push_back(Input::Message {
                            probe,
                            text: Some(connected),
                        });
                    }
                    return;
                }
                let speaks_companion = matches!(self.path.server, Server::Companion)
                    && conn.protocol.as_deref() == Some(crate::COMPANION_SUBPROTOCOL);
                if !speaks_companion {
                    conn.last_s2c = now;
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
                            limits: crate::protocol::Limits::for_tests(),
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
                            ping_timeout_ms: None,
                            client_idle_close_ms: None,
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
            let path_pings = self.path.server_pings_ms;
            // The server's own traffic.
            let mut ticks = Vec::new();
            let mut sio_pings = Vec::new();
            let mut sio_timeouts = Vec::new();
            for (probe, conn) in self.conns.iter_mut().filter(|(_, c)| c.closed.is_none()) {
                if let Server::SocketIo { interval, timeout } = self.path.server {
                    if conn.sio_waiting_since.is_some_and(|at| now - at >= timeout) {
                        sio_timeouts.push(*probe);
                    } else if now >= conn.sio_next_ping {
                        conn.sio_next_ping += interval;
                        conn.sio_waiting_since.get_or_insert(now);
                        conn.last_s2c = now;
                        sio_pings.push(*probe);
                    }
                }
                if now >= conn.next_tick {
                    conn.next_tick += conn.tick_every.unwrap() as f64;
                    conn.last_s2c = now;
                    ticks.push(*probe);
                }
                if now >= conn.next_ping {
                    conn.next_ping += conn
                        .ping_every
                        .map_or_else(|| path_pings.unwrap_or(f64::MAX), |p| p as f64);
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
            for probe in sio_pings {
                self.queue.push_back(Input::Message {
                    probe,
                    text: Some("2".into()),
                });
            }
            sio_timeouts.sort();
            for probe in sio_timeouts {
                self.cut(probe, ClosedBy::Server, 1005);
            }
            self.drain();
            // The path's and the server's cuts.
            let path = self.path.clone();
            let mut cuts = Vec::new();
            for (probe, conn) in self.conns.iter().filter(|(_, c)| c.closed.is_none()) {
                let mut last = f64::MIN;
                if path.both_needed {
                    last = conn.last_c2s.min(conn.last_s2c);
                } else {
                    if path.client_counts {
                        last = last.max(conn.last_c2s);
                    }
                    if path.server_counts {
                        last = last.max(conn.last_s2c);
                    }
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

/// No finding may blame "whatever their traffic" while a busy probe survived.
fn never_blames_every_traffic_with_a_survivor(result: &IdleResult) {
    let v = verdict(result);
    let text = format!("{v:?}");
    if result
        .probes
        .iter()
        .any(|p| p.kind != ProbeKind::Silent && p.survived)
    {
        assert!(
            !result
                .traffic_that_counts
                .contains(&TrafficThatCounts::Nothing),
            "{result:#?}"
        );
        assert!(
            !text.contains("whatever their traffic") && !text.contains("No traffic kept"),
            "{v:#?}"
        );
    }
}

#[test]
fn a_60_s_cut_in_both_directions_is_found_named_and_fixed_by_any_heartbeat() {
    let mut sim = Sim::new(settings(), Path::nginx(60_000.0));
    let result = sim.run("wss://app.test/ws").clone();
    assert!(result.companion);
    assert_eq!(result.companion_offer, CompanionOffer::Answered);
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
    assert_eq!(result.traffic_that_counts, [TrafficThatCounts::EitherWay]);
    let silent = result.probe(ProbeKind::Silent).unwrap();
    assert_eq!(silent.close_code, Some(1006));
    assert_eq!(silent.server_saw, Some(ClosedBy::None));
    assert_eq!(result.cut_by, Some(CutBy::Path));
    assert_eq!(result.recommended_heartbeat_ms, Some(25_000));
    assert!(result.busy_drops.is_empty());
    assert!(result.probes.iter().all(|p| !p.running), "all over");
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
    assert!(
        v.advice[0].contains("every 25 s from either side"),
        "{v:#?}"
    );
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
fn the_verdict_comes_within_a_second_and_a_half_of_the_cut() {
    for cut in [3_000.0, 5_000.0, 60_000.0] {
        let s = IdleSettings {
            heartbeat_ms: 2_000,
            ..settings()
        };
        let mut sim = Sim::new(s, Path::nginx(cut));
        let result = sim.run("wss://app.test/ws").clone();
        assert!(near(result.idle_timeout_ms, cut as u64), "{result:#?}");
        assert_eq!(survived(&result).len(), 4, "{result:#?}");
        let finished = sim.finished_at.unwrap();
        assert!(
            finished <= cut + 1_500.0,
            "the verdict by T + 1.5 s, not T + h: {finished} for T = {cut}"
        );
    }
}

#[test]
fn a_100_s_cut_is_caught_within_the_default_watch() {
    let mut sim = Sim::new(settings(), Path::nginx(100_000.0));
    let result = sim.run("wss://app.test/ws").clone();
    assert!(near(result.idle_timeout_ms, 100_000), "{result:#?}");
    assert!(verdict(&result).headline.contains("about 100 s"));
    assert_eq!(result.recommended_heartbeat_ms, Some(25_000));
    let first = &snippets(&result)[0];
    assert_eq!(first.title, "Cloudflare", "the matched system first");
    assert!(first.featured);
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
    assert_eq!(result.traffic_that_counts, [TrafficThatCounts::FromServer]);
    assert!(result.busy_drops.is_empty(), "{result:#?}");
    let v = verdict(&result);
    assert!(
        v.findings[0].starts_with("Only traffic from the server keeps it open"),
        "{v:#?}"
    );
    assert!(v.advice[0].contains("every 15 s from the server"), "{v:#?}");
    assert_eq!(
        result.recommended_heartbeat_ms,
        Some(15_000),
        "half of 30 s"
    );
    never_blames_every_traffic_with_a_survivor(&result);
}

#[test]
fn when_only_page_traffic_resets_the_path_server_pings_survive_through_their_pongs() {
    let path = Path {
        server_counts: false,
        ..Path::nginx(30_000.0)
    };
    let mut sim = Sim::new(settings(), path);
    let result = sim.run("wss://app.test/ws").clone();
    assert_eq!(
        survived(&result),
        ["client_heartbeat", "server_ping", "echo_heartbeat"]
    );
    assert_eq!(result.traffic_that_counts, [TrafficThatCounts::FromPage]);
    assert!(result.busy_drops.is_empty(), "{result:#?}");
    assert!(near(result.idle_timeout_ms, 30_000));
    let v = verdict(&result);
    assert!(
        v.findings[0].starts_with("Only traffic from the page keeps it open"),
        "{v:#?}"
    );
    assert!(v.findings[0].contains("Pong"), "{v:#?}");
    assert!(v.advice[0].contains("every 15 s from the page"), "{v:#?}");
    never_blames_every_traffic_with_a_survivor(&result);
}

#[test]
fn when_each_direction_has_its_own_timer_only_two_way_traffic_survives() {
    let path = Path {
        both_needed: true,
        ..Path::nginx(20_000.0)
    };
    let s = IdleSettings {
        heartbeat_ms: 5_000,
        ..settings()
    };
    let mut sim = Sim::new(s, path);
    let result = sim.run("wss://app.test/ws").clone();
    assert_eq!(survived(&result), ["server_ping", "echo_heartbeat"]);
    assert_eq!(result.traffic_that_counts, [TrafficThatCounts::BothWays]);
    let v = verdict(&result);
    assert!(
        v.findings[0].starts_with("Only traffic both ways keeps it open"),
        "{v:#?}"
    );
    assert!(v.advice[0].contains("travels both ways"), "{v:#?}");
    never_blames_every_traffic_with_a_survivor(&result);
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
    assert_eq!(result.traffic_that_counts, [TrafficThatCounts::Nothing]);
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
    assert_eq!(result.cut_by, Some(CutBy::Server));
    assert!(near(result.idle_timeout_ms, 30_000));
    assert!(
        !survived(&result).contains(&"server_heartbeat"),
        "the server hears nothing from that probe either"
    );
    assert_eq!(result.traffic_that_counts, [TrafficThatCounts::FromPage]);
    let v = verdict(&result);
    assert!(
        v.findings
            .iter()
            .any(|f| f.contains("server closed the idle connection itself (code 1000)")),
        "{v:#?}"
    );
    let snippets = snippets(&result);
    assert_eq!(
        snippets[0].title, "Python websockets",
        "the server's own heartbeat first when the server closed it"
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
    assert_eq!(result.probes[4].name, "echo_heartbeat");
    assert!(near(result.idle_timeout_ms, 60_000));
    assert_eq!(result.traffic_that_counts, [TrafficThatCounts::EitherWay]);
    assert_eq!(result.busy_drops, ["echo_heartbeat"]);
    let v = verdict(&result);
    assert!(
        v.findings[0].contains("whichever side sends them"),
        "{v:#?}"
    );
    assert!(
        v.findings.iter().any(|f| f.contains(
            "Also cut, despite traffic that keeps other connections open here: echoed heartbeats"
        )),
        "{v:#?}"
    );
    never_blames_every_traffic_with_a_survivor(&result);
}

#[test]
fn a_one_way_path_with_a_flaky_drop_still_names_the_page_as_the_side_that_counts() {
    // The path counts only page traffic, and the network also drops the Ping probe.
    let path = Path {
        server_counts: false,
        drops: vec![(3, 10_000.0)],
        ..Path::nginx(30_000.0)
    };
    let mut sim = Sim::new(settings(), path);
    let result = sim.run("wss://app.test/ws").clone();
    assert_eq!(survived(&result), ["client_heartbeat", "echo_heartbeat"]);
    assert_eq!(result.traffic_that_counts, [TrafficThatCounts::FromPage]);
    assert_eq!(result.busy_drops, ["server_ping"]);
    assert!(
        verdict(&result).advice[0].contains("from the page"),
        "{:#?}",
        verdict(&result)
    );
    never_blames_every_traffic_with_a_survivor(&result);
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
fn a_plain_server_that_negotiates_no_subprotocol_gets_a_retry_without_the_offer() {
    let mut sim = Sim::new(settings(), Path::plain(Some(60_000.0)));
    let result = sim.run("wss://other.test/socket").clone();
    assert_eq!(
        sim.opened[..2],
        [
            (0, vec![crate::COMPANION_SUBPROTOCOL.to_string()]),
            (1, Vec::new())
        ],
        "first with wsdoctor.v1, then without"
    );
    assert!(!result.companion);
    assert_eq!(result.companion_offer, CompanionOffer::HandshakeFailed);
    let names: Vec<&str> = result.probes.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["silent", "echo_heartbeat"],
        "the failed attempt is not a probe"
    );
    assert!(near(result.idle_timeout_ms, 60_000), "{result:#?}");
    assert!(
        sim.sent.iter().any(|(_, text)| text == "ping 1"),
        "the user's payload"
    );
    let v = verdict(&result);
    assert!(!v.headline.contains("could not"), "{v:#?}");
    assert!(v.findings[0].contains("could not be separated"), "{v:#?}");
    assert!(v.findings[1].contains("The browser saw 1006"), "{v:#?}");
    assert!(
        v.findings
            .iter()
            .any(|f| f.contains("does not speak wsdoctor.v1")),
        "{v:#?}"
    );
    assert!(v.advice[0].contains("travels both ways"), "{v:#?}");
}

#[test]
fn a_server_that_picks_any_subprotocol_and_echoes_is_left_at_its_first_answer() {
    // npm `ws` picks the first subprotocol offered; an echo handler sends the hello back.
    let path = Path {
        server: Server::Echo {
            supports: vec!["*"],
            required: false,
        },
        ..Path::nginx(3_000.0)
    };
    let s = IdleSettings {
        max_idle_ms: 20_000,
        heartbeat_ms: 1_000,
        ..settings()
    };
    let mut sim = Sim::new(s, path);
    let result = sim.run("ws://127.0.0.1:9/").clone();
    assert_eq!(result.companion_offer, CompanionOffer::WrongAnswer);
    assert!(!result.companion);
    assert!(near(result.idle_timeout_ms, 3_000), "{result:#?}");
    assert_eq!(survived(&result), ["echo_heartbeat"]);
    assert!(sim.finished_at.unwrap() <= 4_500.0, "no wait for a welcome");
}

#[test]
fn a_server_that_picks_wsdoctor_v1_but_never_welcomes_is_retried_without_it() {
    let mut exp = IdleExperiment::new(settings());
    exp.handle(
        0.0,
        Input::Start {
            url: "wss://quiet.test/".into(),
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
    let out = exp.handle(5_020.0, Input::Timer(IdleTimer::WelcomeTimeout));
    assert!(out.contains(&Command::Close {
        probe: 0,
        code: FINISH_CODE,
        reason: NOT_COMPANION_REASON.into()
    }));
    assert!(out.contains(&Command::Open {
        probe: 1,
        url: "wss://quiet.test/".into(),
        protocols: Vec::new()
    }));
    // The replaced connection's late close changes nothing.
    exp.handle(
        5_030.0,
        Input::Closed {
            probe: 0,
            code: 1000,
            was_clean: true,
        },
    );
    assert_eq!(exp.phase(), Phase::Detecting);
    exp.handle(
        5_040.0,
        Input::Opened {
            probe: 1,
            protocol: String::new(),
        },
    );
    assert_eq!(exp.phase(), Phase::Running);
    let out = exp.handle(5_050.0, Input::Cancel);
    assert!(out.contains(&Command::Finished));
    let result = exp.result().unwrap();
    assert_eq!(result.companion_offer, CompanionOffer::NoWelcome);
    assert!(result.probes.iter().all(|p| p.name != "silent" || p.opened));
}

#[test]
fn a_support_links_subprotocol_is_offered_and_a_server_that_requires_it_runs() {
    let path = Path {
        server: Server::Echo {
            supports: vec!["chat.v1"],
            required: true,
        },
        ..Path::plain(Some(30_000.0))
    };
    let s = IdleSettings {
        subprotocols: vec!["chat.v1".into()],
        ..settings()
    };
    let mut sim = Sim::new(s, path);
    let result = sim.run("wss://chat.test/").clone();
    assert_eq!(
        sim.opened[0].1,
        [crate::COMPANION_SUBPROTOCOL.to_string(), "chat.v1".into()]
    );
    assert_eq!(result.companion_offer, CompanionOffer::NotPicked);
    assert!(near(result.idle_timeout_ms, 30_000), "{result:#?}");
    assert_eq!(
        sim.opened[1].1,
        ["chat.v1"],
        "the echoed probe offers it too"
    );
}

#[test]
fn a_server_that_pings_on_its_own_keeps_even_the_silent_probe_open() {
    // The seed's Python server: `ping_interval=20`, behind nginx's 60 s.
    let path = Path {
        server_pings_ms: Some(20_000.0),
        ..Path::plain(Some(60_000.0))
    };
    let mut sim = Sim::new(settings(), path);
    let result = sim.run("wss://seed.test/").clone();
    assert_eq!(result.idle_timeout_ms, None);
    assert_eq!(survived(&result), ["silent", "echo_heartbeat"]);
    let v = verdict(&result);
    assert_eq!(v.headline, "No idle timeout found up to 130 s.");
    assert!(
        v.findings
            .iter()
            .any(|f| f.contains("protocol Ping frames of its own")),
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
fn a_target_that_cannot_be_reached_fails_after_one_retry_with_a_reason() {
    let mut exp = IdleExperiment::new(settings());
    exp.handle(
        0.0,
        Input::Start {
            url: "wss://down.test/".into(),
        },
    );
    let closed = |probe| Input::Closed {
        probe,
        code: 1006,
        was_clean: false,
    };
    let out = exp.handle(30.0, closed(0));
    assert!(!out.contains(&Command::Finished), "one retry first");
    let out = exp.handle(60.0, closed(1));
    assert!(out.contains(&Command::Finished));
    let v = verdict(exp.result().unwrap());
    assert!(
        v.headline
            .contains("before opening, with and without the subprotocol wsdoctor.v1"),
        "{v:#?}"
    );
    assert!(v.headline.contains("could not be reached"), "{v:#?}");

    let mut exp = IdleExperiment::new(IdleSettings {
        subprotocols: vec!["chat.v1".into()],
        ..settings()
    });
    exp.handle(
        0.0,
        Input::Start {
            url: "wss://picky.test/".into(),
        },
    );
    exp.handle(30.0, closed(0));
    exp.handle(60.0, closed(1));
    let v = verdict(exp.result().unwrap());
    assert!(
        v.headline.contains("offered the subprotocols chat.v1"),
        "{v:#?}"
    );

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
    assert!(result.heartbeat_too_slow);
    assert!(result.busy_drops.is_empty(), "{result:#?}");
    assert_eq!(result.recommended_heartbeat_ms, Some(15_000));
    assert!(
        verdict(&result).findings[0].contains("too slow"),
        "{:#?}",
        verdict(&result)
    );
}

#[test]
fn the_headline_names_the_whole_second_the_cut_lies_at() {
    let mut sim = Sim::new(settings(), Path::nginx(60_000.0));
    let mut result = sim.run("wss://app.test/ws").clone();
    // As nginx measures it: 7.0 s after the open, 6.93 s after the setup traffic.
    result.idle_timeout_ms = Some(6_930);
    result.idle_timeout_at_most_ms = Some(7_000);
    assert!(
        verdict(&result)
            .headline
            .starts_with("Idle connections are cut after about 7 s."),
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
fn the_idle_check_warns_on_a_timeout_passes_without_one_and_fails_on_a_lifetime_cap() {
    use crate::report::{CheckKind, CheckStatus, idle_check};
    let mut sim = Sim::new(settings(), Path::nginx(60_000.0));
    let check = idle_check(sim.run("wss://app.test/ws"));
    assert_eq!(
        (check.kind, check.status),
        (CheckKind::Idle, CheckStatus::Warn)
    );
    assert!(
        check
            .summary
            .starts_with("Idle connections are cut after about")
    );
    assert!(
        near(check.details["idle_timeout_ms"].as_u64(), 60_000),
        "{check:#?}"
    );
    assert_eq!(check.details["recommended_heartbeat_ms"], 25_000);
    assert_eq!(check.details["cut_by"], "path");
    let probes = check.details["probes"].as_array().unwrap();
    assert_eq!(probes.len(), 5);
    assert_eq!(probes[0]["name"], "silent");
    assert_eq!(probes[0]["survived"], false);
    assert_eq!(probes[0]["close_code"], 1006);
    assert!(probes[0]["closed_after_ms"].is_u64());

    let mut open = Sim::new(settings(), Path::open());
    let check = idle_check(open.run("wss://app.test/ws"));
    assert_eq!(check.status, CheckStatus::Pass);
    assert!(check.details["idle_timeout_ms"].is_null());

    let capped = Path {
        lifetime_ms: Some(45_000.0),
        ..Path::open()
    };
    let check = idle_check(Sim::new(settings(), capped).run("wss://app.test/ws"));
    assert_eq!(check.status, CheckStatus::Fail);
}

#[test]
fn a_cancelled_run_is_an_idle_check_that_could_not_run() {
    use crate::report::{CheckStatus, idle_check};
    let mut sim = Sim::new(settings(), Path::open());
    sim.feed(Input::Start {
        url: "wss://app.test/ws".into(),
    });
    sim.feed(Input::Cancel);
    assert_eq!(
        idle_check(sim.exp.result().unwrap()).status,
        CheckStatus::Error
    );
}

#[test]
fn with_the_companion_off_the_offer_is_never_made() {
    let settings = IdleSettings {
        companion: CompanionMode::Off,
        ..settings()
    };
    let mut sim = Sim::new(settings, Path::nginx(60_000.0));
    let result = sim.run("wss://app.test/ws").clone();
    assert!(
        sim.opened
            .iter()
            .all(|(_, protocols)| !protocols.iter().any(|p| p == crate::COMPANION_SUBPROTOCOL)),
        "{:?}",
        sim.opened
    );
    assert!(!result.companion);
    assert_eq!(result.companion_offer, CompanionOffer::NotOffered);
    assert!(near(result.idle_timeout_ms, 60_000), "{result:#?}");
    assert!(
        verdict(&result)
            .findings
            .iter()
            .any(|f| f.contains("not offered (companion off)")),
        "{:#?}",
        verdict(&result)
    );
}

#[test]
fn with_the_companion_required_another_server_ends_the_run_with_a_reason() {
    let settings = IdleSettings {
        companion: CompanionMode::On,
        ..settings()
    };
    let mut sim = Sim::new(settings, Path::plain(Some(60_000.0)));
    let result = sim.run("wss://other.test/socket").clone();
    let failure = result.failure.clone().expect("the run ends");
    assert!(failure.contains("companion=on"), "{failure}");
    assert_eq!(sim.opened.len(), 1, "no retry without the offer");
}

/// A Socket.IO server with its defaults (pingInterval 25 s, pingTimeout 20 s), behind a
/// path that cuts idle connections after `cut_ms` (or never).
fn socket_io(cut_ms: Option<f64>) -> Path {
    Path {
        server: Server::SocketIo {
            interval: 25_000.0,
            timeout: 20_000.0,
        },
        idle_cut_ms: cut_ms,
        ..Path::nginx(0.0)
    }
}

const SOCKET_IO_URL: &str = "wss://app.test/socket.io/?EIO=4&transport=websocket";

#[test]
fn probes_that_answer_socket_io_pings_are_not_fooled_by_its_ping_timeout() {
    let mut sim = Sim::new(settings(), socket_io(None));
    let result = sim.run(SOCKET_IO_URL).clone();
    assert_eq!(result.idle_timeout_ms, None, "{result:#?}");
    assert_eq!(
        result.companion_offer,
        CompanionOffer::NotOffered,
        "a Socket.IO URL is not the companion's"
    );
    let protocol = result.protocol.clone().expect("the protocol is named");
    assert_eq!(protocol.profile, ProfileKind::SocketIo);
    assert_eq!(protocol.interval_ms, Some(25_000));
    assert!(protocol.server_heartbeats >= 4, "{protocol:?}");
    let v = verdict(&result);
    assert_eq!(
        v.headline,
        "No idle timeout found up to 130 s: Socket.IO's own heartbeat kept every connection open."
    );
    assert!(
        sim.sent.iter().any(|(_, text)| text == "40"),
        "the namespace CONNECT"
    );
    assert!(sim.sent.iter().any(|(_, text)| text == "3"), "pongs");
    assert!(
        !sim.sent.iter().any(|(_, text)| text == "2"),
        "a v4 client never pings"
    );
    assert!(
        sim.sent
            .iter()
            .any(|(_, text)| text.starts_with(r#"42["wsdoctor-heartbeat","#)),
        "the heartbeat probe's heartbeat is a Socket.IO event, never a bare text"
    );
}

#[test]
fn without_the_profile_the_servers_ping_timeout_would_pass_for_an_idle_timeout() {
    let raw = IdleSettings {
        profile: ProfileChoice::Fixed(ProfileKind::Raw),
        ..settings()
    };
    let mut sim = Sim::new(raw, socket_io(None));
    let result = sim.run(SOCKET_IO_URL).clone();
    // Every probe is closed 45 s in (pingInterval + pingTimeout), 20 s after the
    // server's unanswered ping: read as raw traffic, that is "an idle timeout of 20 s".
    assert!(near(result.idle_timeout_ms, 20_000), "{result:#?}");
    assert!(
        result
            .probes
            .iter()
            .all(|p| near(p.closed_after_ms, 45_000))
    );
    assert_eq!(result.protocol, None);
}

#[test]
fn a_path_timeout_shorter_than_socket_io_pings_is_found_and_set_against_ping_interval() {
    let mut sim = Sim::new(settings(), socket_io(Some(10_000.0)));
    let result = sim.run(SOCKET_IO_URL).clone();
    assert!(near(result.idle_timeout_ms, 10_000), "{result:#?}");
    let v = verdict(&result);
    assert!(
        v.advice.iter().any(|a| a.contains(
            "Socket.IO's own heartbeat (pingInterval 25 s) is slower than this path's idle timeout (10 s)"
        )),
        "{v:#?}"
    );
    assert!(
        v.findings
            .iter()
            .any(|f| f.contains("no traffic beyond what the protocol requires")),
        "{v:#?}"
    );
}

#[test]
fn a_socket_io_server_found_by_its_open_packet_is_spoken_to_after_the_companion_offer() {
    let mut sim = Sim::new(settings(), socket_io(None));
    let result = sim.run("wss://app.test/realtime").clone();
    assert_eq!(
        result.companion_offer,
        CompanionOffer::WrongAnswer,
        "{result:#?}"
    );
    assert_eq!(result.idle_timeout_ms, None, "{result:#?}");
    let protocol = result.protocol.expect("detected from the open packet");
    assert!(
        protocol
            .evidence
            .starts_with("Socket.IO: open packet seen, pingInterval 25 s"),
        "{protocol:?}"
    );
}
