//! The sleep experiment's outcome as data: the hidden (or simulated) time, how the
//! timers behaved on the main thread and in the Worker, what became of the connection,
//! how long the page took to know, and how the server saw it.

use serde::{Deserialize, Serialize};

use super::SleepExperiment;
use super::timers::{Throttling, TimerSample, throttling};
use crate::Millis;
use crate::protocol::ClosedBy;

/// What became of the probe connection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Fate {
    /// Still open on return, and it answered the probe.
    Survived,
    /// It closed while the page was away (the event may have come only on return).
    ClosedWhileAway {
        /// The code the browser reported.
        code: u16,
        /// Whether a closing handshake completed.
        was_clean: bool,
    },
    /// It closed before the page was ever away.
    ClosedBeforeSleep {
        /// The code the browser reported.
        code: u16,
        /// Whether a closing handshake completed.
        was_clean: bool,
    },
    /// Open as far as the browser knew, but the probe got no answer by its deadline.
    HalfOpen {
        /// The probe's deadline, ms.
        deadline_ms: u64,
    },
    /// The experiment ended before the page came back (stopped, or failed).
    Unknown,
}

/// How the companion saw the probe connection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerSaw {
    /// Who ended it (`none`: no close frame), or `None` when the server still had it open.
    pub closed_by: Option<ClosedBy>,
    /// The close code the server sent or received.
    pub code: Option<u16>,
    /// The close reason.
    pub reason: Option<String>,
    /// How long after its last message from the page the server ended it, ms.
    pub silent_before_close_ms: Option<u64>,
    /// How long it lived on the server, ms.
    pub lived_ms: Option<u64>,
}

/// The outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SleepResult {
    /// Whether the target was the companion.
    pub companion: bool,
    /// Whether the sleep was simulated (the companion went silent) rather than hidden.
    pub simulated: bool,
    /// Whether the page sent nothing while hidden (a sleeping device).
    pub sleepy: bool,
    /// Whether this browser reports freezing.
    pub freeze_observable: bool,
    /// The heartbeat interval, ms.
    pub heartbeat_ms: u64,
    /// The spans the page was hidden, ms from the start of watching: (from, to).
    pub hidden: Vec<(u64, u64)>,
    /// The simulated sleep, ms from the start of watching.
    pub simulated_span: Option<(u64, u64)>,
    /// The time away in all (hidden, or simulated), ms.
    pub away_ms: u64,
    /// The main thread's timers (due and fired, ms from the start of watching).
    pub main_timers: Vec<TimerSample>,
    /// The Worker's timers, the same way.
    pub worker_timers: Vec<TimerSample>,
    /// The main thread's timers while hidden, summarised.
    pub main: Throttling,
    /// The Worker's timers while hidden, summarised.
    pub worker: Throttling,
    /// Heartbeats the page sent while hidden.
    pub sent_while_hidden: u32,
    /// Heartbeats it held back while hidden (behaving like a sleeping device).
    pub skipped_while_hidden: u32,
    /// Other moments of the page's life: (ms from the start of watching, what).
    pub marks: Vec<(u64, String)>,
    /// What became of the connection.
    pub fate: Fate,
    /// Whether the browser said the socket was open on return.
    pub open_on_return: Option<bool>,
    /// How long after the return the page knew the truth, ms.
    pub time_to_truth_ms: Option<u64>,
    /// How the companion saw it.
    pub server: Option<ServerSaw>,
    /// Whether the user stopped it.
    pub cancelled: bool,
    /// Why it could not run.
    pub failure: Option<String>,
}

impl SleepResult {
    pub(super) fn from_experiment(exp: &SleepExperiment, now: Millis) -> SleepResult {
        let origin = exp.watch_from.or(exp.started_at).unwrap_or(now);
        let rel = |t: Millis| (t - origin).max(0.0) as u64;
        let hidden_spans: Vec<(Millis, Option<Millis>)> = exp.hidden.clone();
        let hidden: Vec<(u64, u64)> = hidden_spans
            .iter()
            .map(|(from, to)| (rel(*from), rel(to.unwrap_or(now))))
            .collect();
        let simulated_span = exp
            .simulated
            .map(|(from, to)| (rel(from), rel(to.unwrap_or(now))));
        let away_ms = hidden.iter().map(|(a, b)| b - a).sum::<u64>()
            + simulated_span.map_or(0, |(a, b)| b - a);
        // Throttling is about hidden time; a simulated sleep keeps the page visible.
        let main = throttling(&exp.main, &hidden_spans, now);
        let worker = throttling(&exp.worker, &hidden_spans, now);
        let shift = |s: &TimerSample| TimerSample {
            due: s.due - origin,
            fired: s.fired - origin,
        };
        let was_away = !exp.hidden.is_empty() || exp.simulated.is_some();
        let fate = match (exp.half_open, exp.closed) {
            (true, _) => Fate::HalfOpen {
                deadline_ms: exp.settings.probe_deadline_ms,
            },
            (false, Some(close)) if was_away && exp.returned_at.is_some() => {
                Fate::ClosedWhileAway {
                    code: close.code,
                    was_clean: close.was_clean,
                }
            }
            (false, Some(close)) if !was_away => Fate::ClosedBeforeSleep {
                code: close.code,
                was_clean: close.was_clean,
            },
            (false, None) if exp.truth_at.is_some() => Fate::Survived,
            _ => Fate::Unknown,
        };
        let time_to_truth_ms = exp
            .returned_at
            .zip(exp.truth_at)
            .map(|(back, truth)| (truth - back).max(0.0) as u64);
        let server = exp.server.as_ref().map(|view| ServerSaw {
            closed_by: view.close.as_ref().map(|c| c.by),
            code: view.close.as_ref().and_then(|c| c.code),
            reason: view.close.as_ref().and_then(|c| c.reason.clone()),
            silent_before_close_ms: view
                .closed_ms
                .map(|closed| closed.saturating_sub(view.last_rx_ms)),
            lived_ms: view
                .closed_ms
                .map(|closed| closed.saturating_sub(view.opened_ms)),
        });
        SleepResult {
            companion: exp.companion,
            simulated: exp.simulated.is_some(),
            sleepy: exp.settings.sleepy,
            freeze_observable: exp.settings.freeze_observable,
            heartbeat_ms: exp.settings.heartbeat_ms,
            hidden,
            simulated_span,
            away_ms,
            main_timers: exp.main.iter().map(shift).collect(),
            worker_timers: exp.worker.iter().map(shift).collect(),
            main,
            worker,
            sent_while_hidden: exp.sent_while_hidden,
            skipped_while_hidden: exp.skipped_while_hidden,
            marks: exp
                .marks
                .iter()
                .map(|(at, what)| (rel(*at), what.clone()))
                .collect(),
            fate,
            open_on_return: exp.open_on_return,
            time_to_truth_ms,
            server,
            cancelled: exp.cancelled,
            failure: exp.failure.clone(),
        }
    }
}
