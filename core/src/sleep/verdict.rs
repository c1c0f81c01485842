//! The sleep experiment's outcome in plain words and numbers: what happened to the
//! timers, to the connection and on the server, and what to change. What could not be
//! observed in this browser is said, not guessed.

use serde::{Deserialize, Serialize};

use super::result::{Fate, SleepResult};
use crate::duration::{lateness, minutes, seconds as s};
use crate::protocol::ClosedBy;

/// A Worker or main-thread gap this long means Chrome's intensive throttling (timers at
/// most once a minute after some minutes hidden).
const INTENSIVE_GAP_MS: u64 = 55_000;

/// The verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SleepVerdict {
    /// One sentence: what became of the connection.
    pub headline: String,
    /// What the measurement shows, one sentence each.
    pub findings: Vec<String>,
    /// What to do.
    pub advice: Vec<String>,
}

/// The verdict for `result`.
pub fn sleep_verdict(result: &SleepResult) -> SleepVerdict {
    let mut findings = Vec::new();
    let mut advice = Vec::new();
    if let Some(failure) = &result.failure {
        return SleepVerdict {
            headline: format!("The experiment could not run: {failure}."),
            findings,
            advice,
        };
    }
    let away = if result.simulated {
        format!("During the simulated sleep ({})", minutes(result.away_ms))
    } else {
        format!("Hidden for {}", minutes(result.away_ms))
    };
    let headline = match &result.fate {
        Fate::Survived => format!(
            "The connection survived: {} away, it answered the probe {} after the page came back.",
            minutes(result.away_ms),
            lateness(result.time_to_truth_ms.unwrap_or(0))
        ),
        Fate::HalfOpen { deadline_ms } => format!(
            "Half-open on return: the browser said the connection was open, but nothing came back; the probe's deadline found it after {}.",
            s(*deadline_ms)
        ),
        Fate::ClosedWhileAway { code, was_clean } => format!(
            "The connection was closed while the page was away ({code}{}); the page knew {} after it came back.",
            if *was_clean {
                ", clean"
            } else {
                ", no clean close"
            },
            match result.time_to_truth_ms {
                Some(0) | None => "at once".to_string(),
                Some(ms) => s(ms),
            }
        ),
        Fate::ClosedBeforeSleep { code, .. } => format!(
            "The connection closed ({code}) before the page was hidden: nothing was learnt about sleep."
        ),
        Fate::Unknown if result.cancelled => {
            "Stopped before the page came back: nothing is concluded.".into()
        }
        Fate::Unknown => "The page did not come back during the experiment.".into(),
    };
    if result.away_ms > 0 && !result.simulated {
        findings.push(timers_finding(result, &away));
    }
    if result.sleepy && result.skipped_while_hidden > 0 {
        findings.push(format!(
            "Behaving like a sleeping device, the page sent nothing while hidden ({} heartbeats held back).",
            result.skipped_while_hidden
        ));
    }
    for (_, mark) in &result.marks {
        if mark == "frozen" {
            findings.push(
                "The browser froze the page (Page Lifecycle): no timer and no event ran until it resumed."
                    .into(),
            );
        } else if mark == "offline" {
            findings.push("The browser went offline while the page was away.".into());
        } else if let Some(by) = mark.strip_prefix("clock jump ") {
            findings.push(format!(
                "The wall clock jumped {} ms ahead of the page's clock: the machine slept.",
                by
            ));
        }
    }
    if let Some(server) = &result.server {
        findings.push(match (server.closed_by, server.code) {
            (None, _) => "The server still had the connection open when asked.".into(),
            (Some(ClosedBy::Server), code) => format!(
                "The server closed the connection{}{}{}.",
                server
                    .silent_before_close_ms
                    .map(|ms| format!(" after {} without a message from the page", s(ms)))
                    .unwrap_or_default(),
                code.map(|c| format!(" with {c}")).unwrap_or_default(),
                server
                    .reason
                    .as_deref()
                    .filter(|r| !r.is_empty())
                    .map(|r| format!(" (\"{r}\")"))
                    .unwrap_or_default()
            ),
            (Some(ClosedBy::Client), _) if result.fate == Fate::Survived => {
                "The server kept the connection through the time away (until the page closed it, done)."
                    .into()
            }
            (Some(ClosedBy::Client), code) => format!(
                "The server got the page's close frame{}.",
                code.map(|c| format!(" ({c})")).unwrap_or_default()
            ),
            (Some(ClosedBy::None), _) => {
                "The server saw the connection end without a close frame: something between (a proxy, NAT or the network) dropped it."
                    .into()
            }
        });
    } else if !result.companion {
        findings.push(
            "How the server saw it is unknown: only wsdoctor-server's companion can say. Run it against the companion behind the same path to see both sides."
                .into(),
        );
    }
    if result.worker_timers.is_empty() && !result.simulated && result.away_ms > 0 {
        findings.push("Worker timers could not be observed in this browser.".into());
    }
    if !result.freeze_observable && !result.simulated && result.away_ms > 0 {
        findings.push(
            "This browser does not report freezing (only Chromium does): had it frozen the page, no timer would have run and nothing would say so."
                .into(),
        );
    }
    match &result.fate {
        Fate::HalfOpen { .. } | Fate::ClosedWhileAway { .. } => {
            advice.push(
                "On visibilitychange to visible, send a probe with a deadline (a few seconds) and reconnect if it misses it: a socket the browser calls open may be dead."
                    .into(),
            );
            advice.push(
                "Keep the heartbeat on the server side (protocol Ping frames): browsers answer them even from a hidden tab, so a server's ping timeout fires only when the device really sleeps or the network goes."
                    .into(),
            );
        }
        _ => {}
    }
    if result.main.longest_gap_ms.unwrap_or(0) > result.heartbeat_ms.saturating_mul(3) / 2 {
        advice.push(format!(
            "A heartbeat timer in a Worker keeps its pace while the page is hidden (every {} here); main-thread timers do not.",
            result.worker.typical_gap_ms.map_or_else(|| s(result.heartbeat_ms), s)
        ));
    }
    SleepVerdict {
        headline,
        findings,
        advice,
    }
}

/// How the timers ran while hidden, main thread against Worker.
fn timers_finding(result: &SleepResult, away: &str) -> String {
    let every = result.heartbeat_ms;
    let main = &result.main;
    let main_words = match (main.fired_while_hidden, main.longest_gap_ms) {
        (0, _) => format!(
            "your {} heartbeat timer never fired on the main thread",
            s(every)
        ),
        (_, Some(gap)) if gap >= INTENSIVE_GAP_MS => format!(
            "your {} heartbeat timer fired at most once a minute on the main thread (Chrome's intensive throttling; the longest gap {})",
            s(every),
            s(gap)
        ),
        (_, _) if main.worst_late_ms.unwrap_or(0) > every / 2 => format!(
            "your {} heartbeat timer fired up to {} late on the main thread",
            s(every),
            lateness(main.worst_late_ms.unwrap_or(0))
        ),
        (n, _) => format!(
            "your {} heartbeat timer kept its pace on the main thread ({n} times, at most {} late)",
            s(every),
            lateness(main.worst_late_ms.unwrap_or(0))
        ),
    };
    let worker = &result.worker;
    let worker_words = if worker.fired_while_hidden == 0 {
        String::new()
    } else {
        format!(
            "; in a Worker the same timer fired {} times, at most {} late",
            worker.fired_while_hidden,
            lateness(worker.worst_late_ms.unwrap_or(0))
        )
    };
    format!("{away}: {main_words}{worker_words}.")
}
