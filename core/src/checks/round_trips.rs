//! The round-trip check: true round trips, measured two ways side by side. The page sends
//! numbered `echo` messages at a steady pace and times each one's answer (matched by its
//! `seq`, never by order): the application-level round trip, through every proxy and the
//! server's message loop. With wsdoctor-server's companion, the server also sends
//! protocol Pings and reports each Pong's round trip (`ping_rtt`): the transport's own,
//! measured on the server's side, which the browser cannot see. Echoes not answered
//! within their deadline are lost. From the companion's clock in each echo and the
//! echo's midpoint on the page's clock, the offset between the two clocks is estimated
//! (from the fastest echo, within half its round trip).
//!
//! Against a server that is not the companion, the echo is any server that sends a text
//! message back as it came (npm `ws`'s and Python `websockets`' echo examples do); a
//! server that answers nothing yields no round trip, and says so.
//!
//! Pure: the session feeds in socket events, timers and the page's clock, and carries
//! out the commands.

use serde::{Deserialize, Serialize};

use crate::Millis;
use crate::idle::CompanionMode;
use crate::protocol::{ClientMessage, ServerMessage, offered_subprotocols};
use crate::stats::nearest_rank;
use crate::target::{TargetError, check_target};

/// What the user chose.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundTripSettings {
    /// How many echoes to send.
    pub echoes: u32,
    /// One echo this often.
    pub every_ms: u64,
    /// An echo not answered within this long is lost.
    pub answer_within_ms: u64,
    /// How long the open (and the companion's welcome) may take.
    pub connect_timeout_ms: u64,
    /// The user's subprotocols.
    pub subprotocols: Vec<String>,
    /// Whether to offer `wsdoctor.v1` (for the server's Ping round trips and its clock).
    pub companion: CompanionMode,
}

impl Default for RoundTripSettings {
    fn default() -> Self {
        RoundTripSettings {
            echoes: 50,
            every_ms: 100,
            answer_within_ms: 2_000,
            connect_timeout_ms: 10_000,
            subprotocols: Vec::new(),
            companion: CompanionMode::Auto,
        }
    }
}

/// The most echoes one run sends.
pub const MAX_ECHOES: u32 = 1_000;

impl RoundTripSettings {
    /// `Err` names the setting that is out of range.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=MAX_ECHOES).contains(&self.echoes) {
            return Err(format!(
                "echoes: {} is not between 1 and {MAX_ECHOES}",
                self.echoes
            ));
        }
        if !(10..=10_000).contains(&self.every_ms) {
            return Err(format!(
                "one echo every: {} ms is not between 10 ms and 10 s",
                self.every_ms
            ));
        }
        Ok(())
    }

    /// `base` with the fields as typed: how many echoes, and one every so many ms.
    pub fn from_fields(
        base: RoundTripSettings,
        echoes: &str,
        every_ms: &str,
    ) -> Result<RoundTripSettings, String> {
        let echoes = echoes
            .trim()
            .parse()
            .map_err(|_| format!("echoes: \"{}\" is not a whole number", echoes.trim()))?;
        let every_ms = every_ms.trim().parse().map_err(|_| {
            format!(
                "one echo every: \"{}\" is not a whole number of ms",
                every_ms.trim()
            )
        })?;
        let settings = RoundTripSettings {
            echoes,
            every_ms,
            ..base
        };
        settings.check()?;
        Ok(settings)
    }

    /// The longest a run takes, in ms (connect, the echoes, the last answer's deadline).
    pub fn planned_ms(&self) -> u64 {
        self.connect_timeout_ms
            + u64::from(self.echoes.saturating_sub(1)) * self.every_ms
            + self.answer_within_ms
    }
}

/// The check's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// The open (and the companion's welcome) took too long.
    Connect,
    /// Time for the next echo.
    NextEcho,
    /// The last answers' deadline.
    Drain,
}

/// The check's commands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Open the socket.
    Open {
        /// The target.
        url: String,
        /// The subprotocols to offer.
        protocols: Vec<String>,
    },
    /// Send this text.
    Send(String),
    /// Close the socket (with 1000).
    Close,
    /// Start (or restart) a timer.
    StartTimer {
        /// Which.
        timer: Timer,
        /// After how long.
        after_ms: u64,
    },
    /// Cancel a timer.
    CancelTimer(Timer),
    /// The result is ready.
    Finished,
}

/// What happens.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// Start against `url`.
    Start {
        /// The target.
        url: String,
        /// Whether the page is https (ws:// is then mixed content).
        page_is_https: bool,
        /// The Unix time, in ms, of the page clock's zero (`performance.timeOrigin`), to
        /// compare the page's clock with the server's.
        clock_origin_ms: f64,
        /// The finest step of the page's clock, in ms (5 µs when cross-origin isolated).
        resolution_ms: f64,
    },
    /// The socket opened with this subprotocol.
    Opened {
        /// The subprotocol picked (empty: none).
        protocol: String,
    },
    /// A message (`None`: binary, or too long to copy).
    Message(Option<String>),
    /// The socket closed.
    Closed {
        /// The code.
        code: u16,
    },
    /// A timer fired.
    Fired(Timer),
    /// The user pressed Stop.
    Stop,
}

/// Summary figures of a set of round trips, in ms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundTripStats {
    /// How many.
    pub count: u32,
    /// The fastest.
    pub min_ms: f64,
    /// The median (nearest rank).
    pub p50_ms: f64,
    /// The 95th percentile (nearest rank).
    pub p95_ms: f64,
    /// The slowest.
    pub max_ms: f64,
    /// The mean difference between consecutive round trips, in the order sent.
    pub jitter_ms: f64,
}

impl RoundTripStats {
    /// The figures of `samples` (in the order measured); `None` when there are none.
    pub fn of(samples: &[f64]) -> Option<RoundTripStats> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let steps: Vec<f64> = samples.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
        let jitter_ms = if steps.is_empty() {
            0.0
        } else {
            steps.iter().sum::<f64>() / steps.len() as f64
        };
        Some(RoundTripStats {
            count: samples.len() as u32,
            min_ms: sorted[0],
            p50_ms: nearest_rank(&sorted, 0.5),
            p95_ms: nearest_rank(&sorted, 0.95),
            max_ms: sorted[sorted.len() - 1],
            jitter_ms,
        })
    }
}

/// The outcome.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RoundTripResult {
    /// The target.
    pub url: String,
    /// Whether the target was the companion (Ping round trips and its clock).
    pub companion: bool,
    /// The subprotocol the server picked (empty: none).
    pub protocol: String,
    /// Echoes sent.
    pub sent: u32,
    /// Echoes answered within their deadline.
    pub answered: u32,
    /// Echoes not answered within their deadline.
    pub lost: u32,
    /// Each answered echo's round trip as the page measured it, in the order sent, ms.
    pub echo_ms: Vec<f64>,
    /// Their figures.
    pub echo: Option<RoundTripStats>,
    /// The protocol Ping round trips the server measured, ms.
    pub ping_ms: Vec<f64>,
    /// Their figures.
    pub ping: Option<RoundTripStats>,
    /// The server's clock minus the page's, in ms (the companion only).
    pub clock_offset_ms: Option<f64>,
    /// How far off that estimate may be, ms (half the fastest round trip, plus the
    /// server clock's 1 ms step).
    pub clock_offset_within_ms: Option<f64>,
    /// The page clock's finest step, ms.
    pub resolution_ms: f64,
    /// Messages that were neither an answer nor the companion's (a server's own pushes).
    pub other_messages: u32,
    /// Whether the user stopped it.
    pub cancelled: bool,
    /// Why it could not run, or why it ended early.
    pub failure: Option<String>,
}

/// An echo's answer from a server that sends it back as it came (no server clock) or
/// from the companion (with it).
#[derive(Deserialize)]
struct EchoBack {
    #[serde(rename = "type")]
    kind: String,
    seq: u64,
    #[serde(default)]
    server_time_ms: Option<u64>,
}

/// Where the check stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Ready,
    Opening,
    Welcoming,
    Echoing,
    Done,
}

/// The check.
#[derive(Clone, Debug)]
pub struct RoundTripCheck {
    settings: RoundTripSettings,
    stage: Stage,
    offering: bool,
    retried: bool,
    clock_origin_ms: f64,
    /// (seq, sent at) of echoes waiting for their answer.
    waiting: Vec<(u64, Millis)>,
    /// (seq, round trip) of answered echoes.
    answers: Vec<(u64, f64)>,
    /// (round trip, server clock minus the echo's midpoint on the page's wall clock).
    offsets: Vec<(f64, f64)>,
    result: RoundTripResult,
    finished: bool,
}

impl RoundTripCheck {
    /// A check with `settings` (already checked).
    pub fn new(settings: RoundTripSettings) -> RoundTripCheck {
        RoundTripCheck {
            settings,
            stage: Stage::Ready,
            offering: false,
            retried: false,
            clock_origin_ms: 0.0,
            waiting: Vec::new(),
            answers: Vec::new(),
            offsets: Vec::new(),
            result: RoundTripResult::default(),
            finished: false,
        }
    }

    /// Whether it is over.
    pub fn is_done(&self) -> bool {
        self.finished
    }

    /// The result so far (final once done).
    pub fn result(&self) -> RoundTripResult {
        let mut result = self.result.clone();
        let mut answers = self.answers.clone();
        answers.sort_by_key(|(seq, _)| *seq);
        result.echo_ms = answers.iter().map(|(_, rtt)| *rtt).collect();
        result.answered = answers.len() as u32;
        result.echo = RoundTripStats::of(&result.echo_ms);
        result.ping = RoundTripStats::of(&result.ping_ms);
        if let Some((rtt, offset)) = self.offsets.iter().min_by(|a, b| a.0.total_cmp(&b.0)) {
            result.clock_offset_ms = Some(*offset);
            result.clock_offset_within_ms = Some(rtt / 2.0 + 1.0);
        }
        result
    }

    /// Echoes sent, of how many.
    pub fn progress(&self) -> (u32, u32) {
        (self.result.sent, self.settings.echoes)
    }

    /// Handles one input at `now` (the page's clock, ms).
    pub fn handle(&mut self, now: Millis, input: Input) -> Vec<Command> {
        let mut out = Vec::new();
        if self.finished {
            return out;
        }
        match input {
            Input::Start {
                url,
                page_is_https,
                clock_origin_ms,
                resolution_ms,
            } => {
                self.result.url = url.trim().to_string();
                self.result.resolution_ms = resolution_ms;
                self.clock_origin_ms = clock_origin_ms;
                match check_target(&url, page_is_https) {
                    Err(TargetError::MixedContent) => self.finish(
                        Some(TargetError::MixedContent.to_string()),
                        false,
                        &mut out,
                    ),
                    Err(err) => self.finish(Some(err.to_string()), false, &mut out),
                    Ok(_) => {
                        self.offering = self.settings.companion != CompanionMode::Off;
                        self.open(&mut out);
                    }
                }
            }
            Input::Opened { protocol } if self.stage == Stage::Opening => {
                self.result.protocol = protocol.clone();
                if protocol == crate::COMPANION_SUBPROTOCOL {
                    self.stage = Stage::Welcoming;
                    send(&ClientMessage::Hello { session: None }, &mut out);
                } else {
                    out.push(Command::CancelTimer(Timer::Connect));
                    self.start_echoes(now, &mut out);
                }
            }
            Input::Message(text) => self.message(now, text, &mut out),
            Input::Closed { code } => match self.stage {
                Stage::Opening
                    if self.offering
                        && self.settings.companion == CompanionMode::Auto
                        && !self.retried =>
                {
                    // A handshake that failed while wsdoctor.v1 was offered: again without.
                    self.retried = true;
                    self.offering = false;
                    self.open(&mut out);
                }
                Stage::Opening => self.finish(
                    Some(format!(
                        "the connection closed with {code} before opening (the browser does not say why)"
                    )),
                    false,
                    &mut out,
                ),
                _ => {
                    let why = format!(
                        "the connection closed with {code} after {} of {} echoes",
                        self.result.sent, self.settings.echoes
                    );
                    self.finish(Some(why), false, &mut out);
                }
            },
            Input::Fired(Timer::Connect) => {
                if self.stage == Stage::Welcoming {
                    // It picked wsdoctor.v1 but never welcomed: echo without the companion.
                    self.start_echoes(now, &mut out);
                } else if self.stage == Stage::Opening {
                    let why = format!(
                        "no answer to the open within {} s",
                        self.settings.connect_timeout_ms / 1000
                    );
                    self.finish(Some(why), false, &mut out);
                }
            }
            Input::Fired(Timer::NextEcho) if self.stage == Stage::Echoing => {
                self.expire(now);
                self.send_echo(now, &mut out);
            }
            Input::Fired(Timer::Drain) if self.stage == Stage::Echoing => {
                self.expire(f64::INFINITY);
                self.finish(None, false, &mut out);
            }
            Input::Stop => {
                self.expire(f64::INFINITY);
                self.finish(None, true, &mut out);
            }
            _ => {}
        }
        out
    }

    fn open(&mut self, out: &mut Vec<Command>) {
        self.stage = Stage::Opening;
        out.push(Command::Open {
            url: self.result.url.clone(),
            protocols: offered_subprotocols(self.offering, &self.settings.subprotocols),
        });
        out.push(Command::StartTimer {
            timer: Timer::Connect,
            after_ms: self.settings.connect_timeout_ms,
        });
    }

    fn message(&mut self, now: Millis, text: Option<String>, out: &mut Vec<Command>) {
        let Some(text) = text else {
            self.result.other_messages += 1;
            return;
        };
        if self.stage == Stage::Welcoming {
            out.push(Command::CancelTimer(Timer::Connect));
            if let Ok(ServerMessage::Welcome { limits, .. }) = serde_json::from_str(&text) {
                self.result.companion = true;
                let every = self.settings.every_ms.max(limits.min_ping_ms);
                send(
                    &ClientMessage::Configure {
                        tick_every_ms: None,
                        ping_every_ms: Some(Some(every)),
                        ack_heartbeats: None,
                        report_pings: Some(true),
                        ping_timeout_ms: None,
                        client_idle_close_ms: None,
                    },
                    out,
                );
            }
            // Anything else (an echo of the hello): a server that only took the name.
            self.start_echoes(now, out);
            return;
        }
        if self.stage != Stage::Echoing {
            return;
        }
        if self.result.companion {
            match serde_json::from_str(&text) {
                Ok(ServerMessage::PingRtt { rtt_ms, .. }) => {
                    return self.result.ping_ms.push(rtt_ms);
                }
                Ok(ServerMessage::Echo { .. }) | Err(_) => {}
                // The companion's own replies (`configured`): part of the check.
                Ok(_) => return,
            }
        }
        match serde_json::from_str::<EchoBack>(&text) {
            Ok(echo) if echo.kind == "echo" => {
                if let Some(i) = self.waiting.iter().position(|(seq, _)| *seq == echo.seq) {
                    let (seq, sent_at) = self.waiting.swap_remove(i);
                    let rtt = (now - sent_at).max(0.0);
                    if rtt >= self.settings.answer_within_ms as f64 {
                        // Past its deadline: lost, whenever the timer would have said so.
                        self.result.lost += 1;
                        self.finish_if_all_back(out);
                        return;
                    }
                    self.answers.push((seq, rtt));
                    if let Some(server_ms) = echo.server_time_ms {
                        let midpoint = self.clock_origin_ms + (sent_at + now) / 2.0;
                        self.offsets.push((rtt, server_ms as f64 - midpoint));
                    }
                    self.finish_if_all_back(out);
                }
                // A late or unknown echo is not ours to time.
            }
            _ => self.result.other_messages += 1,
        }
    }

    /// Every echo is sent and none is waiting any more: done, without the drain's wait.
    fn finish_if_all_back(&mut self, out: &mut Vec<Command>) {
        if self.result.sent == self.settings.echoes && self.waiting.is_empty() {
            self.finish(None, false, out);
        }
    }

    fn start_echoes(&mut self, now: Millis, out: &mut Vec<Command>) {
        self.stage = Stage::Echoing;
        self.send_echo(now, out);
    }

    fn send_echo(&mut self, now: Millis, out: &mut Vec<Command>) {
        if self.result.sent >= self.settings.echoes {
            return;
        }
        self.result.sent += 1;
        let seq = u64::from(self.result.sent);
        self.waiting.push((seq, now));
        send(
            &ClientMessage::Echo {
                seq,
                t: now,
                data: None,
            },
            out,
        );
        out.push(if self.result.sent < self.settings.echoes {
            Command::StartTimer {
                timer: Timer::NextEcho,
                after_ms: self.settings.every_ms,
            }
        } else {
            Command::StartTimer {
                timer: Timer::Drain,
                after_ms: self.settings.answer_within_ms,
            }
        });
    }

    /// Echoes sent before `now - answer_within_ms` are lost.
    fn expire(&mut self, now: Millis) {
        let deadline = self.settings.answer_within_ms as f64;
        let before = self.waiting.len();
        self.waiting.retain(|(_, at)| now - at < deadline);
        self.result.lost += (before - self.waiting.len()) as u32;
    }

    fn finish(&mut self, failure: Option<String>, cancelled: bool, out: &mut Vec<Command>) {
        self.expire(f64::INFINITY);
        self.stage = Stage::Done;
        self.finished = true;
        self.result.failure = failure;
        self.result.cancelled = cancelled;
        for timer in [Timer::Connect, Timer::NextEcho, Timer::Drain] {
            out.push(Command::CancelTimer(timer));
        }
        out.push(Command::Close);
        out.push(Command::Finished);
    }
}

fn send(message: &ClientMessage, out: &mut Vec<Command>) {
    if let Ok(text) = serde_json::to_string(message) {
        out.push(Command::Send(text));
    }
}

/// The result in one sentence: the page's round trip, the server's, the loss.
pub fn headline(result: &RoundTripResult) -> String {
    if let Some(failure) = &result.failure
        && result.answered == 0
    {
        return format!("The check could not measure a round trip: {failure}.");
    }
    let Some(echo) = &result.echo else {
        return if result.cancelled {
            "Stopped before any echo came back.".into()
        } else {
            format!(
                "None of {} echoes came back: the server does not send messages back as they came, so no round trip can be measured with messages{}.",
                result.sent,
                if result.companion {
                    ""
                } else {
                    " (wsdoctor-server's companion or an echo server can)"
                }
            )
        };
    };
    let mut sentence = format!(
        "Round trip {} (p50), {} (p95), {} at most, over {} echoes",
        ms(echo.p50_ms),
        ms(echo.p95_ms),
        ms(echo.max_ms),
        result.answered
    );
    if result.lost > 0 {
        sentence.push_str(&format!(
            "; {} of {} lost ({:.1} %)",
            result.lost,
            result.sent,
            f64::from(result.lost) / f64::from(result.sent.max(1)) * 100.0
        ));
    } else {
        sentence.push_str(", none lost");
    }
    if let Some(ping) = &result.ping {
        sentence.push_str(&format!(
            ". The server's Ping/Pong: {} (p50)",
            ms(ping.p50_ms)
        ));
    }
    sentence.push('.');
    sentence
}

/// A round trip in ms, to the 0.01 ms the page's clock allows.
pub fn ms(value: f64) -> String {
    format!("{value:.2} ms")
}

#[cfg(test)]
mod tests;
