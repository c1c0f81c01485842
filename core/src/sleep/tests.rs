//! Scenarios of the sleep experiment on a simulated clock: a page hidden with throttled
//! main-thread timers and an unthrottled Worker, frozen, offline, a clock jump, a server
//! that reaps silent clients or drops them without a close frame, and a simulated sleep
//! that leaves a half-open socket.

use std::collections::{HashMap, VecDeque};

use super::*;
use crate::protocol::{CloseView, ClosedBy, RttSummary};

/// How the simulated page runs a main-thread timer due at `due` while hidden since
/// `since`: Chrome aligns to 1 s, and after 5 min hidden to one minute.
fn chrome(due: Millis, since: Millis) -> Millis {
    if due - since >= 300_000.0 {
        (due / 60_000.0).ceil() * 60_000.0
    } else {
        (due / 1_000.0).ceil() * 1_000.0
    }
}

#[derive(Default)]
struct Server {
    companion: bool,
    idle_close_ms: Option<u64>,
    blackhole_until: Millis,
    last_rx: Millis,
    opened: Millis,
    /// Drops the probe without a close frame at this time.
    drop_at: Option<Millis>,
    closed: Option<(Millis, Option<u16>, ClosedBy)>,
}

struct Sim {
    exp: SleepExperiment,
    now: Millis,
    timers: HashMap<SleepTimer, Millis>,
    hidden_since: Option<Millis>,
    frozen: bool,
    worker_every: Option<u64>,
    worker_next: Millis,
    server: Server,
    probe_open: bool,
    inputs: VecDeque<(Millis, Input)>,
    sent: Vec<String>,
}

impl Sim {
    fn new(settings: SleepSettings, companion: bool) -> Sim {
        Sim {
            exp: SleepExperiment::new(settings),
            now: 0.0,
            timers: HashMap::new(),
            hidden_since: None,
            frozen: false,
            worker_every: None,
            worker_next: 0.0,
            server: Server {
                companion,
                ..Server::default()
            },
            probe_open: false,
            inputs: VecDeque::new(),
            sent: Vec::new(),
        }
    }

    fn feed(&mut self, input: Input) {
        self.inputs.push_back((self.now, input));
        while let Some((_, input)) = self.inputs.pop_front() {
            for command in self.exp.handle(self.now, input) {
                self.carry_out(command);
            }
        }
    }

    fn reply_to_page(&mut self, conn: SleepConn, message: &ServerMessage) {
        let text = serde_json::to_string(message).unwrap();
        self.inputs.push_back((
            self.now,
            Input::Message {
                conn,
                text: Some(text),
            },
        ));
    }

    fn carry_out(&mut self, command: Command) {
        match command {
            Command::Open {
                conn, protocols, ..
            } => {
                let companion = self.server.companion
                    && protocols.iter().any(|p| p == crate::COMPANION_SUBPROTOCOL);
                if conn == SleepConn::Probe {
                    self.probe_open = true;
                    self.server.opened = self.now;
                    self.server.last_rx = self.now;
                }
                let protocol = if companion { "wsdoctor.v1" } else { "" }.to_string();
                self.inputs
                    .push_back((self.now, Input::Opened { conn, protocol }));
            }
            Command::Send { conn, text } => {
                self.sent.push(text.clone());
                if conn == SleepConn::Probe {
                    if !self.probe_open || self.now < self.server.blackhole_until {
                        return; // sent into the void
                    }
                    self.server.last_rx = self.now;
                }
                if !self.server.companion {
                    self.inputs.push_back((
                        self.now,
                        Input::Message {
                            conn,
                            text: Some(text),
                        },
                    ));
                    return;
                }
                match crate::protocol::parse_client_message(&text).unwrap() {
                    ClientMessage::Hello { .. } => self.reply_to_page(
                        conn,
                        &ServerMessage::Welcome {
                            session: "s1".into(),
                            conn: if conn == SleepConn::Probe { 7 } else { 8 },
                            server_time_ms: 0,
                            limits: crate::protocol::Limits::for_tests(),
                            handshake: Default::default(),
                        },
                    ),
                    ClientMessage::Configure {
                        client_idle_close_ms,
                        ..
                    } => {
                        self.server.idle_close_ms = client_idle_close_ms.flatten();
                        self.reply_to_page(
                            conn,
                            &ServerMessage::Configured {
                                tick_every_ms: None,
                                ping_every_ms: None,
                                ack_heartbeats: true,
                                report_pings: false,
                                ping_timeout_ms: None,
                                client_idle_close_ms: self.server.idle_close_ms,
                            },
                        );
                    }
                    ClientMessage::Heartbeat { seq } => {
                        self.reply_to_page(conn, &ServerMessage::HeartbeatAck { seq })
                    }
                    ClientMessage::Echo { seq, t, data } => self.reply_to_page(
                        conn,
                        &ServerMessage::Echo {
                            seq,
                            t,
                            data,
                            server_time_ms: 0,
                        },
                    ),
                    ClientMessage::Blackhole { ms } => {
                        self.reply_to_page(conn, &ServerMessage::Blackholed { ms });
                        self.server.blackhole_until = self.now + ms as Millis;
                    }
                    ClientMessage::SessionView { .. } => {
                        let close = self.server.closed.map(|(_, code, by)| CloseView {
                            code,
                            reason: None,
                            by,
                        });
                        let view = ConnectionView {
                            conn: 7,
                            opened_ms: self.server.opened as u64,
                            closed_ms: self.server.closed.map(|(at, _, _)| at as u64),
                            close,
                            last_rx_ms: self.server.last_rx as u64,
                            last_tx_ms: 0,
                            pings_sent: 0,
                            pongs_received: 0,
                            rtt_ms: RttSummary::default(),
                        };
                        self.reply_to_page(
                            conn,
                            &ServerMessage::SessionView {
                                session: "s1".into(),
                                connections: vec![view],
                            },
                        );
                    }
                    _ => {}
                }
            }
            Command::Close { conn, code, .. } => {
                if conn == SleepConn::Probe && self.probe_open {
                    self.probe_open = false;
                    if self.server.closed.is_none() {
                        self.server.closed = Some((self.now, Some(code), ClosedBy::Client));
                    }
                    // The browser reports the page's own close too.
                    self.inputs.push_back((
                        self.now,
                        Input::Closed {
                            conn,
                            code,
                            was_clean: true,
                        },
                    ));
                }
            }
            Command::StartTimer { id, after_ms } => {
                self.timers.insert(id, self.now + after_ms as Millis);
            }
            Command::CancelTimer(id) => {
                self.timers.remove(&id);
            }
            Command::StartWorker { every_ms } => {
                self.worker_every = Some(every_ms);
                self.worker_next = self.now + every_ms as Millis;
            }
            Command::StopWorker => self.worker_every = None,
            Command::Finished => {}
        }
    }

    /// When timer `id` (due at `due`) fires, as the page runs it now.
    fn fires_at(&self, id: SleepTimer, due: Millis) -> Millis {
        match (id, self.hidden_since) {
            (SleepTimer::Heartbeat, Some(since)) => chrome(due, since),
            _ => due,
        }
    }

    /// Runs the clock to `until`, firing timers, Worker ticks and the server's own acts.
    fn run_to(&mut self, until: Millis) {
        loop {
            let mut next: Option<(Millis, u8, Option<SleepTimer>)> = None;
            let mut consider = |at: Millis, kind: u8, timer: Option<SleepTimer>| {
                if at <= until && next.is_none_or(|(t, _, _)| at < t) {
                    next = Some((at, kind, timer));
                }
            };
            if !self.frozen {
                for (id, due) in &self.timers {
                    consider(self.fires_at(*id, *due).max(self.now), 0, Some(*id));
                }
                if self.worker_every.is_some() {
                    consider(self.worker_next, 1, None);
                }
            }
            if self.probe_open && self.server.closed.is_none() {
                if let Some(idle) = self.server.idle_close_ms {
                    let at = self.server.last_rx.max(self.server.blackhole_until) + idle as Millis;
                    consider(at, 2, None);
                }
                if let Some(at) = self.server.drop_at {
                    consider(at, 3, None);
                }
            }
            let Some((at, kind, timer)) = next else {
                self.now = until;
                return;
            };
            self.now = at;
            match kind {
                0 => {
                    let id = timer.unwrap();
                    self.timers.remove(&id);
                    self.feed(Input::Timer(id));
                }
                1 => {
                    let every = self.worker_every.unwrap() as Millis;
                    let due = self.worker_next;
                    self.worker_next += every;
                    self.feed(Input::WorkerTick(TimerSample {
                        due,
                        fired: due + 2.0,
                    }));
                }
                _ => {
                    let (code, clean, by) = if kind == 2 {
                        (1000, true, ClosedBy::Server)
                    } else {
                        (1006, false, ClosedBy::None)
                    };
                    self.server.closed = Some((at, (kind == 2).then_some(1000), by));
                    self.probe_open = false;
                    self.feed(Input::Closed {
                        conn: SleepConn::Probe,
                        code,
                        was_clean: clean,
                    });
                }
            }
        }
    }

    fn hide(&mut self) {
        self.hidden_since = Some(self.now);
        self.feed(Input::Page(PageChange::Hidden));
    }

    fn show(&mut self) {
        self.hidden_since = None;
        let socket_open = self.probe_open;
        self.feed(Input::Page(PageChange::Visible { socket_open }));
    }

    fn start(&mut self) {
        self.feed(Input::Start {
            url: "wss://app.test/ws".into(),
        });
    }

    fn result(&self) -> SleepResult {
        self.exp.result().cloned().expect("the experiment is done")
    }
}

#[test]
fn hidden_30_s_with_a_20_s_heartbeat_the_connection_survives_and_says_how_late_timers_were() {
    let mut sim = Sim::new(SleepSettings::default(), true);
    sim.start();
    assert_eq!(sim.exp.phase(), Phase::Watching);
    sim.run_to(5_000.0);
    sim.hide();
    sim.run_to(35_000.0);
    sim.show();
    sim.run_to(45_000.0);
    let result = sim.result();
    assert_eq!(result.fate, Fate::Survived, "{result:#?}");
    assert_eq!(result.away_ms, 30_000);
    assert_eq!(result.time_to_truth_ms, Some(0));
    assert_eq!(result.open_on_return, Some(true));
    assert_eq!(
        result.main.fired_while_hidden, 1,
        "fired at 20 s: {result:#?}"
    );
    assert!(result.worker.fired_while_hidden >= 1);
    let server = result.server.clone().expect("the companion says");
    assert_eq!(
        server.closed_by,
        Some(ClosedBy::Client),
        "the page closed it when done"
    );
    let v = sleep_verdict(&result);
    assert!(
        v.findings
            .iter()
            .any(|f| f.starts_with("The server kept the connection through the time away")),
        "{v:#?}"
    );
    assert!(
        v.headline.starts_with("The connection survived: 30 s away"),
        "{v:#?}"
    );
    assert!(
        v.findings[0].starts_with("Hidden for 30 s: your 20 s heartbeat timer kept its pace"),
        "{v:#?}"
    );
}

#[test]
fn hidden_6_min_a_sleeping_device_is_reaped_by_the_server_and_intensive_throttling_is_named() {
    let settings = SleepSettings {
        sleepy: true,
        ..SleepSettings::default()
    };
    let mut sim = Sim::new(settings, true);
    sim.start();
    sim.run_to(1_000.0);
    sim.hide();
    sim.run_to(1_000.0 + 372_000.0);
    sim.show();
    sim.run_to(400_000.0);
    let result = sim.result();
    assert_eq!(
        result.fate,
        Fate::ClosedWhileAway {
            code: 1000,
            was_clean: true
        },
        "{result:#?}"
    );
    assert_eq!(result.sent_while_hidden, 0);
    assert_eq!(
        result.skipped_while_hidden, 3,
        "20, 40 and 60 s, then it was closed"
    );
    assert!(
        result.main.longest_gap_ms.unwrap() >= 55_000,
        "{:?}",
        result.main
    );
    assert!(
        result.worker.typical_gap_ms.unwrap() <= 20_000,
        "the Worker kept its pace: {:?}",
        result.worker
    );
    let server = result.server.clone().expect("the companion says");
    assert_eq!(server.closed_by, Some(ClosedBy::Server));
    assert_eq!(server.code, Some(1000));
    assert_eq!(server.silent_before_close_ms, Some(70_000));
    let v = sleep_verdict(&result);
    assert!(
        v.headline
            .contains("closed while the page was away (1000, clean)"),
        "{v:#?}"
    );
    let text = v.findings.join("\n");
    for words in [
        "Hidden for 6 min",
        "intensive throttling",
        "in a Worker",
        "held back",
        "The server closed the connection after 70 s without a message from the page with 1000",
    ] {
        assert!(text.contains(words), "{words:?} in {text}");
    }
    assert!(v.advice.iter().any(|a| a.contains("Worker")), "{v:#?}");
}

#[test]
fn a_simulated_sleep_leaves_a_half_open_socket_found_by_the_probes_deadline() {
    let settings = SleepSettings {
        simulate_ms: Some(6_000),
        ..SleepSettings::default()
    };
    let mut sim = Sim::new(settings, true);
    sim.start();
    assert!(
        sim.sent.iter().any(|t| t.contains("\"blackhole\"")),
        "{:?}",
        sim.sent
    );
    sim.run_to(30_000.0);
    let result = sim.result();
    assert!(result.simulated);
    assert_eq!(
        result.fate,
        Fate::HalfOpen { deadline_ms: 4_000 },
        "{result:#?}"
    );
    assert_eq!(result.open_on_return, Some(true));
    assert_eq!(result.time_to_truth_ms, Some(4_000));
    let v = sleep_verdict(&result);
    assert!(v.headline.starts_with("Half-open on return"), "{v:#?}");
    assert!(v.advice[0].contains("probe with a deadline"), "{v:#?}");
}

#[test]
fn a_drop_without_a_close_frame_while_hidden_is_told_from_a_servers_close() {
    let mut sim = Sim::new(SleepSettings::default(), true);
    sim.start();
    sim.server.drop_at = Some(15_000.0);
    sim.run_to(1_000.0);
    sim.hide();
    sim.run_to(40_000.0);
    sim.show();
    sim.run_to(50_000.0);
    let result = sim.result();
    assert_eq!(
        result.fate,
        Fate::ClosedWhileAway {
            code: 1006,
            was_clean: false
        }
    );
    assert_eq!(result.open_on_return, Some(false));
    let v = sleep_verdict(&result);
    assert!(
        v.findings
            .iter()
            .any(|f| f.contains("without a close frame")),
        "{v:#?}"
    );
}

#[test]
fn frozen_offline_and_a_clock_jump_are_said_and_a_frozen_page_runs_no_timer() {
    let mut sim = Sim::new(SleepSettings::default(), true);
    sim.start();
    sim.run_to(1_000.0);
    sim.hide();
    sim.feed(Input::Page(PageChange::Offline));
    sim.frozen = true;
    sim.feed(Input::Page(PageChange::Frozen));
    sim.run_to(100_000.0);
    assert!(
        sim.exp.snapshot(sim.now).main_timers.is_empty(),
        "no timer ran while frozen"
    );
    sim.frozen = false;
    sim.feed(Input::Page(PageChange::Resumed));
    sim.feed(Input::Page(PageChange::ClockJump(90_000)));
    sim.feed(Input::Page(PageChange::Online));
    sim.show();
    sim.run_to(110_000.0);
    let result = sim.result();
    let kinds: Vec<&str> = result.marks.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["offline", "frozen", "resumed", "clock jump 90000", "online"]
    );
    let text = sleep_verdict(&result).findings.join("\n");
    for words in ["froze the page", "went offline", "jumped 90000 ms"] {
        assert!(text.contains(words), "{words:?} in {text}");
    }
}

#[test]
fn against_another_server_the_page_side_is_measured_and_the_server_side_is_said_unknown() {
    let settings = SleepSettings {
        companion: CompanionMode::Auto,
        ..SleepSettings::default()
    };
    let mut sim = Sim::new(settings, false);
    sim.start();
    sim.run_to(1_000.0);
    sim.hide();
    sim.run_to(11_000.0);
    sim.show();
    sim.run_to(20_000.0);
    let result = sim.result();
    assert!(!result.companion);
    assert_eq!(result.fate, Fate::Survived);
    assert!(result.server.is_none());
    let v = sleep_verdict(&result);
    assert!(
        v.findings
            .iter()
            .any(|f| f.contains("How the server saw it is unknown")),
        "{v:#?}"
    );
    assert!(sim.sent.iter().any(|t| t == "ping probe"), "{:?}", sim.sent);
}

#[test]
fn a_simulated_sleep_needs_the_companion_and_bad_settings_are_named() {
    let settings = SleepSettings {
        simulate_ms: Some(5_000),
        ..SleepSettings::default()
    };
    let mut sim = Sim::new(settings, false);
    sim.start();
    let failure = sim.result().failure.unwrap();
    assert!(
        failure.contains("needs wsdoctor-server's companion"),
        "{failure}"
    );
    let bad = SleepSettings {
        heartbeat_ms: 50,
        ..SleepSettings::default()
    };
    assert_eq!(bad.check().unwrap_err(), "heartbeat: from 0.1 s to 10 min");
}

#[test]
fn closed_before_any_sleep_is_reported_as_such() {
    let settings = SleepSettings {
        client_idle_close_ms: Some(5_000),
        heartbeat_ms: 60_000,
        ..SleepSettings::default()
    };
    let mut sim = Sim::new(settings, true);
    sim.start();
    sim.run_to(20_000.0);
    let result = sim.result();
    assert_eq!(
        result.fate,
        Fate::ClosedBeforeSleep {
            code: 1000,
            was_clean: true
        }
    );
    assert!(
        sleep_verdict(&result)
            .headline
            .contains("before the page was hidden")
    );
}

#[test]
fn after_a_half_open_return_the_reconnect_and_worker_snippets_come_first_with_the_numbers() {
    let settings = SleepSettings {
        simulate_ms: Some(6_000),
        heartbeat_ms: 15_000,
        ..SleepSettings::default()
    };
    let mut sim = Sim::new(settings, true);
    sim.start();
    sim.run_to(30_000.0);
    let snippets = sleep_snippets(&sim.result(), 4_000);
    let featured: Vec<&str> = snippets
        .iter()
        .filter(|s| s.featured)
        .map(|s| s.title.as_str())
        .collect();
    assert_eq!(
        featured,
        ["Reconnect on return", "Heartbeat timer in a Worker"]
    );
    assert!(
        snippets[0].code.contains("}, 4000);"),
        "{}",
        snippets[0].code
    );
    assert!(
        snippets[1].code.contains("postMessage(\"beat\"), 15000)"),
        "{}",
        snippets[1].code
    );
    assert!(
        snippets[2]
            .code
            .contains("ping_interval=15, ping_timeout=15"),
        "{}",
        snippets[2].code
    );
}

#[test]
fn a_browser_that_cannot_report_freezing_is_said_so_rather_than_guessed() {
    let settings = SleepSettings {
        freeze_observable: false,
        ..SleepSettings::default()
    };
    let mut sim = Sim::new(settings, true);
    sim.start();
    sim.run_to(1_000.0);
    sim.hide();
    sim.run_to(5_000.0);
    sim.show();
    sim.run_to(10_000.0);
    let v = sleep_verdict(&sim.result());
    assert!(
        v.findings
            .iter()
            .any(|f| f.contains("does not report freezing")),
        "{v:#?}"
    );
}
