//! The reconnect soak: three connections to wsdoctor-server's companion at once, each
//! reconnecting by its own policy (wsdoctor's, the seed article's `createWebSocket`: 1 s
//! doubling to 30 s, and a fixed 1 s delay), for a chosen time, while the companion ends
//! them at random at a chosen rate (1001, 1012, 1013, or a drop without a close frame).
//! Each ending is scheduled by this check from its seeded generator: after each open it
//! asks the companion to `close` (or `abort`) after a drawn delay. Per policy it reports
//! the uptime, the reconnections, the time to recover (close to the next open: p50, p95)
//! and the attempts in the busiest minute.
//!
//! Pure: the session feeds in socket events, timers and a seed; the same seed and events
//! give the same schedule.

use serde::{Deserialize, Serialize};

use crate::Millis;
use crate::protocol::{ClientMessage, ServerMessage, not_the_companion};
use crate::random::SeededRandom;
use crate::reconnect_policy::{Jitter, ReconnectPolicy};
use crate::stats::nearest_rank;
use crate::target::{TargetError, check_target};

/// The endings the companion is asked for; `None` is a drop without a close frame.
const ENDINGS: [Option<u16>; 4] = [Some(1001), Some(1012), Some(1013), None];

/// What the user chose.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SoakSettings {
    /// How long the soak runs.
    pub duration_ms: u64,
    /// How often the companion ends each connection, on average, per minute.
    pub closes_per_minute: u32,
}

impl Default for SoakSettings {
    fn default() -> Self {
        SoakSettings {
            duration_ms: 120_000,
            closes_per_minute: 6,
        }
    }
}

impl SoakSettings {
    /// `base` with the fields as typed: the time in seconds, the closes per minute.
    pub fn from_fields(seconds: &str, per_minute: &str) -> Result<SoakSettings, String> {
        let seconds: u64 = seconds.trim().parse().map_err(|_| {
            format!(
                "run for: \"{}\" is not a whole number of seconds",
                seconds.trim()
            )
        })?;
        let closes_per_minute: u32 = per_minute.trim().parse().map_err(|_| {
            format!(
                "closes per minute: \"{}\" is not a whole number",
                per_minute.trim()
            )
        })?;
        let settings = SoakSettings {
            duration_ms: seconds * 1000,
            closes_per_minute,
        };
        settings.check()?;
        Ok(settings)
    }

    /// `Err` names the setting that is out of range.
    pub fn check(&self) -> Result<(), String> {
        if !(5_000..=3_600_000).contains(&self.duration_ms) {
            return Err("run for: between 5 s and 3600 s".into());
        }
        if !(1..=120).contains(&self.closes_per_minute) {
            return Err("closes per minute: between 1 and 120".into());
        }
        Ok(())
    }
}

/// The policies side by side, in the order shown.
pub fn policies() -> [(&'static str, ReconnectPolicy); 3] {
    [
        ("wsdoctor's policy", ReconnectPolicy::recommended()),
        ("the seed article's policy", ReconnectPolicy::seed_article()),
        (
            "a fixed 1 s delay",
            ReconnectPolicy {
                initial_delay_ms: 1_000,
                multiplier: 1.0,
                max_delay_ms: 1_000,
                jitter: Jitter::None,
                stable_after_ms: 0,
                max_attempts: None,
                connect_timeout_ms: 10_000,
                retry_after_final_codes: true,
            },
        ),
    ]
}

/// The soak's sockets: one per policy.
pub type Lane = usize;

/// The soak's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SoakTimer {
    /// Lane `n`'s next attempt.
    Reconnect(Lane),
    /// Lane `n`'s open took too long.
    ConnectTimeout(Lane),
    /// The soak is over.
    End,
}

/// The soak's commands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Open lane `n` (offering `wsdoctor.v1`).
    Open {
        /// Which.
        lane: Lane,
        /// The companion's address.
        url: String,
    },
    /// Send text on lane `n`.
    Send {
        /// Which.
        lane: Lane,
        /// The text.
        text: String,
    },
    /// Close lane `n` (1000).
    Close(Lane),
    /// Start a timer.
    StartTimer {
        /// Which.
        timer: SoakTimer,
        /// After how long.
        after_ms: u64,
    },
    /// Cancel a timer.
    CancelTimer(SoakTimer),
    /// The result is ready.
    Finished,
}

/// What happens.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// Start against the companion at `url`, drawing from `seed`.
    Start {
        /// The companion's address.
        url: String,
        /// Whether the page is https.
        page_is_https: bool,
        /// The generator's seed.
        seed: u64,
    },
    /// Lane `n` opened.
    Opened {
        /// Which.
        lane: Lane,
        /// The subprotocol picked.
        protocol: String,
    },
    /// A message on lane `n`.
    Message {
        /// Which.
        lane: Lane,
        /// Its text.
        text: Option<String>,
    },
    /// Lane `n` closed.
    Closed {
        /// Which.
        lane: Lane,
        /// The code.
        code: u16,
    },
    /// A timer fired.
    Fired(SoakTimer),
    /// The user pressed Stop.
    Stop,
}

/// One policy's figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LaneResult {
    /// The policy, in words.
    pub policy: String,
    /// The share of the soak the connection was open, %.
    pub uptime_pct: f64,
    /// How many times it opened again after an ending.
    pub reconnects: u32,
    /// How many opens it tried after the first.
    pub attempts: u32,
    /// How many endings the companion caused.
    pub endings: u32,
    /// From each ending to the next open, p50, ms.
    pub recover_p50_ms: Option<f64>,
    /// The same, p95.
    pub recover_p95_ms: Option<f64>,
    /// The most attempts in any minute of the soak (scaled to a minute when it ran for
    /// less).
    pub peak_attempts_per_minute: f64,
    /// Why it stopped reconnecting, if it did.
    pub gave_up: Option<String>,
}

/// The outcome.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SoakResult {
    /// How long it ran, ms.
    pub ran_ms: u64,
    /// The settings.
    pub closes_per_minute: u32,
    /// One per policy.
    pub lanes: Vec<LaneResult>,
    /// Whether the user stopped it.
    pub cancelled: bool,
    /// Why it could not run.
    pub failure: Option<String>,
}

/// One lane's state.
#[derive(Clone, Debug, Default)]
struct LaneState {
    open_since: Option<Millis>,
    opening: bool,
    welcomed: bool,
    attempt: u32,
    down_since: Option<Millis>,
    open_total: f64,
    attempts_at: Vec<Millis>,
    recoveries: Vec<f64>,
    reconnects: u32,
    endings: u32,
    gave_up: Option<String>,
}

/// The soak.
#[derive(Clone, Debug)]
pub struct Soak {
    settings: SoakSettings,
    url: String,
    random: SeededRandom,
    started: Option<Millis>,
    lanes: Vec<LaneState>,
    ever_welcomed: bool,
    result: SoakResult,
    finished: bool,
}

impl Soak {
    /// A soak with `settings` (already checked).
    pub fn new(settings: SoakSettings) -> Soak {
        Soak {
            settings,
            url: String::new(),
            random: SeededRandom::new(0),
            started: None,
            lanes: vec![LaneState::default(); policies().len()],
            ever_welcomed: false,
            result: SoakResult::default(),
            finished: false,
        }
    }

    /// Whether it is over.
    pub fn is_done(&self) -> bool {
        self.finished
    }

    /// The result (final once done).
    pub fn result(&self) -> &SoakResult {
        &self.result
    }

    /// How long it has run, and how long it runs, ms.
    pub fn progress(&self, now: Millis) -> (u64, u64) {
        let ran = self.started.map_or(0, |at| (now - at).max(0.0) as u64);
        (
            ran.min(self.settings.duration_ms),
            self.settings.duration_ms,
        )
    }

    /// Handles one input at `now`.
    pub fn handle(&mut self, now: Millis, input: Input) -> Vec<Command> {
        let mut out = Vec::new();
        if self.finished {
            return out;
        }
        match input {
            Input::Start {
                url,
                page_is_https,
                seed,
            } => {
                self.random = SeededRandom::new(seed);
                self.result.closes_per_minute = self.settings.closes_per_minute;
                match check_target(&url, page_is_https) {
                    Err(TargetError::MixedContent) => {
                        self.fail(TargetError::MixedContent.to_string(), now, &mut out)
                    }
                    Err(err) => self.fail(err.to_string(), now, &mut out),
                    Ok(_) => {
                        self.url = url.trim().to_string();
                        self.started = Some(now);
                        out.push(Command::StartTimer {
                            timer: SoakTimer::End,
                            after_ms: self.settings.duration_ms,
                        });
                        for lane in 0..self.lanes.len() {
                            self.open(lane, now, false, &mut out);
                        }
                    }
                }
            }
            Input::Opened { lane, protocol } if self.lanes[lane].opening => {
                if protocol != crate::COMPANION_SUBPROTOCOL {
                    let why = not_the_companion("the soak", Some(&protocol));
                    return {
                        self.fail(why, now, &mut out);
                        out
                    };
                }
                out.push(Command::CancelTimer(SoakTimer::ConnectTimeout(lane)));
                let (_, policy) = &policies()[lane];
                let state = &mut self.lanes[lane];
                state.opening = false;
                state.open_since = Some(now);
                if let Some(down) = state.down_since.take() {
                    state.recoveries.push(now - down);
                    state.reconnects += 1;
                }
                if policy.stable_after_ms == 0 {
                    state.attempt = 0;
                }
                send(lane, &ClientMessage::Hello { session: None }, &mut out);
            }
            Input::Message { lane, text } => {
                let welcome = text
                    .and_then(|t| serde_json::from_str::<ServerMessage>(&t).ok())
                    .is_some_and(|m| matches!(m, ServerMessage::Welcome { .. }));
                let state = &self.lanes[lane];
                if state.welcomed || state.open_since.is_none() {
                    // Later messages (the companion's replies) mean nothing here.
                } else if welcome {
                    self.lanes[lane].welcomed = true;
                    self.ever_welcomed = true;
                    self.schedule_ending(lane, &mut out);
                } else {
                    self.fail(not_the_companion("the soak", None), now, &mut out);
                }
            }
            Input::Closed { lane, code } => self.closed(lane, Some(code), now, &mut out),
            Input::Fired(SoakTimer::ConnectTimeout(lane)) if self.lanes[lane].opening => {
                out.push(Command::Close(lane));
                self.closed(lane, None, now, &mut out);
            }
            Input::Fired(SoakTimer::Reconnect(lane)) => self.open(lane, now, true, &mut out),
            Input::Fired(SoakTimer::End) => self.finish(now, false, &mut out),
            Input::Stop => self.finish(now, true, &mut out),
            _ => {}
        }
        out
    }

    fn open(&mut self, lane: Lane, now: Millis, retry: bool, out: &mut Vec<Command>) {
        let (_, policy) = &policies()[lane];
        let state = &mut self.lanes[lane];
        state.opening = true;
        state.welcomed = false;
        if retry {
            state.attempts_at.push(now);
        }
        out.push(Command::Open {
            lane,
            url: self.url.clone(),
        });
        if policy.connect_timeout_ms != u64::MAX {
            out.push(Command::StartTimer {
                timer: SoakTimer::ConnectTimeout(lane),
                after_ms: policy.connect_timeout_ms,
            });
        }
    }

    /// Asks the companion to end lane `n` after a delay drawn around the chosen rate.
    fn schedule_ending(&mut self, lane: Lane, out: &mut Vec<Command>) {
        let mean = 60_000 / u64::from(self.settings.closes_per_minute.max(1));
        let after_ms = Some(mean / 2 + self.random.up_to(mean));
        let ending = ENDINGS[self.random.up_to(ENDINGS.len() as u64 - 1) as usize];
        let message = match ending {
            Some(code) => ClientMessage::Close {
                code,
                reason: Some("soak".into()),
                after_ms,
            },
            None => ClientMessage::Abort { after_ms },
        };
        send(lane, &message, out);
    }

    /// Lane `n` closed (`None`: its open timed out).
    fn closed(&mut self, lane: Lane, code: Option<u16>, now: Millis, out: &mut Vec<Command>) {
        if !self.ever_welcomed {
            let why = match code {
                Some(code) => format!(
                    "the first connection closed with {code} before the companion answered: is this wsdoctor-server?"
                ),
                None => "the first connection did not open within its connect timeout".into(),
            };
            return self.fail(why, now, out);
        }
        let (_, policy) = &policies()[lane];
        let state = &mut self.lanes[lane];
        out.push(Command::CancelTimer(SoakTimer::ConnectTimeout(lane)));
        state.opening = false;
        if let Some(since) = state.open_since.take() {
            state.open_total += now - since;
            state.endings += 1;
            state.down_since = Some(now);
            if policy.is_stable(now - since) {
                state.attempt = 0;
            }
        }
        if let Err(why) = policy.retry_after(code) {
            state.gave_up = Some(why);
            return;
        }
        if policy.max_attempts.is_some_and(|max| state.attempt >= max) {
            state.gave_up = Some(format!("{} reconnections in a row failed", state.attempt));
            return;
        }
        let delay = policy.delay_ms(state.attempt, &mut self.random);
        state.attempt += 1;
        out.push(Command::StartTimer {
            timer: SoakTimer::Reconnect(lane),
            after_ms: delay,
        });
    }

    fn fail(&mut self, why: String, now: Millis, out: &mut Vec<Command>) {
        self.result.failure = Some(why);
        self.finish(now, false, out);
    }

    fn finish(&mut self, now: Millis, cancelled: bool, out: &mut Vec<Command>) {
        self.finished = true;
        self.result.cancelled = cancelled;
        let ran = self.started.map_or(0.0, |at| (now - at).max(1.0));
        self.result.ran_ms = ran as u64;
        out.push(Command::CancelTimer(SoakTimer::End));
        let names = policies();
        self.result.lanes = Vec::new();
        for (lane, state) in self.lanes.iter_mut().enumerate() {
            if let Some(since) = state.open_since.take() {
                state.open_total += now - since;
            }
            out.push(Command::CancelTimer(SoakTimer::Reconnect(lane)));
            out.push(Command::CancelTimer(SoakTimer::ConnectTimeout(lane)));
            out.push(Command::Close(lane));
            let mut recoveries = state.recoveries.clone();
            recoveries.sort_by(f64::total_cmp);
            let percentile =
                |p: f64| (!recoveries.is_empty()).then(|| nearest_rank(&recoveries, p));
            self.result.lanes.push(LaneResult {
                policy: names[lane].0.to_string(),
                uptime_pct: if ran > 0.0 {
                    (state.open_total / ran * 100.0).clamp(0.0, 100.0)
                } else {
                    0.0
                },
                reconnects: state.reconnects,
                attempts: state.attempts_at.len() as u32,
                endings: state.endings,
                recover_p50_ms: percentile(0.5),
                recover_p95_ms: percentile(0.95),
                peak_attempts_per_minute: peak_per_minute(&state.attempts_at, ran),
                gave_up: state.gave_up.clone(),
            });
        }
        out.push(Command::Finished);
    }
}

fn send(lane: Lane, message: &ClientMessage, out: &mut Vec<Command>) {
    if let Ok(text) = serde_json::to_string(message) {
        out.push(Command::Send { lane, text });
    }
}

/// The most attempts in any window of a minute (or of the whole run, when shorter,
/// scaled to a minute).
fn peak_per_minute(attempts_at: &[Millis], ran_ms: f64) -> f64 {
    let window = ran_ms.clamp(1.0, 60_000.0);
    let most = attempts_at
        .iter()
        .map(|start| {
            attempts_at
                .iter()
                .filter(|at| **at >= *start && **at < start + window)
                .count()
        })
        .max()
        .unwrap_or(0);
    most as f64 * 60_000.0 / window
}

/// The soak in one sentence: each policy's uptime and time to recover.
pub fn headline(result: &SoakResult) -> String {
    if let Some(failure) = &result.failure {
        return format!("The soak could not run: {failure}.");
    }
    let parts: Vec<String> = result
        .lanes
        .iter()
        .map(|lane| {
            format!(
                "{}: {:.1} % up{}",
                lane.policy,
                lane.uptime_pct,
                lane.recover_p50_ms
                    .map(|ms| format!(", back in {:.1} s (p50)", ms / 1000.0))
                    .unwrap_or_default()
            )
        })
        .collect();
    let mut sentence = format!(
        "Over {:.0} s with about {} endings a minute: {}.",
        result.ran_ms as f64 / 1000.0,
        result.closes_per_minute,
        parts.join("; ")
    );
    if let Some(first) = sentence.get(0..1) {
        sentence.replace_range(0..1, &first.to_uppercase());
    }
    sentence
}

#[cfg(test)]
mod tests;
