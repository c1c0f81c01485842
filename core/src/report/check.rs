//! Every check's result as data, in one shape: `{kind, status, summary, details}`. The
//! `kind` names are listed here once, and each check's result becomes that shape here
//! (`idle_check`, `sleep_check`, `handshake_check`, `blocked_check`, `round_trip_check`,
//! `size_check`, `lab_check`, `soak_check`).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::checks::blocked::{self, BlockedResult, HttpSide, Verdict};
use crate::checks::close_lab::{self, LabResult};
use crate::checks::handshake::{Failure, HandshakeResult, OpenOutcome};
use crate::checks::round_trips::{self, RoundTripResult};
use crate::checks::size_limit::{self, SizeResult};
use crate::checks::soak::{self, SoakResult};
use crate::idle::{IdleResult, verdict};
use crate::sleep::{Fate, SleepResult, sleep_verdict};

/// A check a support link can ask for and a report can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// The idle-timeout experiment: after how long idle connections are cut, and which
    /// traffic keeps them open.
    Idle,
    /// Client sleep: timers throttled while hidden, half-open connections on wake.
    Sleep,
    /// The handshake and who is in between.
    Handshake,
    /// "WebSockets blocked, or the network down?"
    Blocked,
    /// Round trips: app-level echoes and protocol pings.
    Roundtrip,
    /// The largest message the path carries.
    Size,
    /// The close-code lab.
    Lab,
    /// A reconnect soak with policies side by side.
    Soak,
}

impl CheckKind {
    /// Every kind, in the order a guided run takes them.
    pub const ALL: [CheckKind; 8] = [
        CheckKind::Blocked,
        CheckKind::Handshake,
        CheckKind::Roundtrip,
        CheckKind::Size,
        CheckKind::Idle,
        CheckKind::Sleep,
        CheckKind::Lab,
        CheckKind::Soak,
    ];

    /// The name in links and reports.
    pub fn name(self) -> &'static str {
        match self {
            CheckKind::Idle => "idle",
            CheckKind::Sleep => "sleep",
            CheckKind::Handshake => "handshake",
            CheckKind::Blocked => "blocked",
            CheckKind::Roundtrip => "roundtrip",
            CheckKind::Size => "size",
            CheckKind::Lab => "lab",
            CheckKind::Soak => "soak",
        }
    }

    /// The check in words, for the end user's view.
    pub fn title(self) -> &'static str {
        match self {
            CheckKind::Idle => "Idle timeout of the path",
            CheckKind::Sleep => "Client sleep",
            CheckKind::Handshake => "Handshake and intermediaries",
            CheckKind::Blocked => "WebSockets blocked or network down",
            CheckKind::Roundtrip => "Round trips",
            CheckKind::Size => "Message-size limit",
            CheckKind::Lab => "Close-code lab",
            CheckKind::Soak => "Reconnect soak",
        }
    }

    /// The kind named `name` (as in links: lower case).
    pub fn from_name(name: &str) -> Option<CheckKind> {
        CheckKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for CheckKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Nothing wrong found.
    Pass,
    /// Something to act on, with a known fix (e.g. a heartbeat interval).
    Warn,
    /// Connections are lost in a way a setting alone does not fix.
    Fail,
    /// The check could not run or was stopped: nothing is concluded.
    Error,
}

impl CheckStatus {
    /// The name in reports and automation (`pass`, `warn`, `fail`, `error`).
    pub fn name(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Warn => "warn",
            CheckStatus::Fail => "fail",
            CheckStatus::Error => "error",
        }
    }

    /// The status in words, shown beside its symbol (colour is never the only signal).
    pub fn word(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Warn => "warning",
            CheckStatus::Fail => "fail",
            CheckStatus::Error => "could not run",
        }
    }

    /// The word in capitals, for a summary line (`WARNING`).
    pub fn word_in_capitals(self) -> &'static str {
        match self {
            CheckStatus::Pass => "PASS",
            CheckStatus::Warn => "WARNING",
            CheckStatus::Fail => "FAIL",
            CheckStatus::Error => "COULD NOT RUN",
        }
    }

    /// A symbol for the status.
    pub fn symbol(self) -> &'static str {
        match self {
            CheckStatus::Pass => "✓",
            CheckStatus::Warn => "!",
            CheckStatus::Fail => "✗",
            CheckStatus::Error => "?",
        }
    }

    /// How much it matters to the user, most first (fail, warn, error, pass).
    pub fn weight(self) -> u8 {
        match self {
            CheckStatus::Fail => 3,
            CheckStatus::Warn => 2,
            CheckStatus::Error => 1,
            CheckStatus::Pass => 0,
        }
    }
}

/// `results` the most important first (fail, warn, could not run, pass), in their order
/// otherwise. (Four passes rather than a sort: the page carries no sort code for it.)
pub fn by_importance(results: &[CheckResult]) -> Vec<&CheckResult> {
    let mut out = Vec::with_capacity(results.len());
    for weight in (0..=3).rev() {
        out.extend(results.iter().filter(|r| r.status.weight() == weight));
    }
    out
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Which check.
    pub kind: CheckKind,
    /// How it came out.
    pub status: CheckStatus,
    /// One sentence, in plain language.
    pub summary: String,
    /// The check's own data (documented per kind in `docs/report.md`).
    pub details: Value,
}

impl CheckResult {
    /// The sentences its details list under `key` (`findings`, `advice`); none when the
    /// details have no such list.
    pub fn lines(&self, key: &str) -> Vec<String> {
        self.details
            .get(key)
            .and_then(Value::as_array)
            .map(|lines| {
                lines
                    .iter()
                    .filter_map(|line| line.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The idle experiment's result in the common shape. Pass: no idle timeout up to the
/// time watched and no unexplained drop; warn: idle connections are cut (a heartbeat
/// fixes it); fail: connections are cut despite traffic (a lifetime cap, drops no idle
/// rule explains, or a heartbeat too slow for the timeout); error: it could not run or
/// was cancelled.
pub fn idle_check(result: &IdleResult) -> CheckResult {
    let verdict = verdict(result);
    let status = if result.failure.is_some() || result.cancelled {
        CheckStatus::Error
    } else if result.lifetime_cap_ms.is_some()
        || !result.busy_drops.is_empty()
        || result.heartbeat_too_slow
    {
        CheckStatus::Fail
    } else if result.idle_timeout_ms.is_some() {
        CheckStatus::Warn
    } else {
        CheckStatus::Pass
    };
    let probes: Vec<Value> = result
        .probes
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "label": p.label,
                "interval_ms": p.interval_ms,
                "survived": p.survived,
                "closed_after_ms": p.closed_after_ms,
                "close_code": p.close_code,
                "server_saw": p.server_saw,
            })
        })
        .collect();
    let details = json!({
        "idle_timeout_ms": result.idle_timeout_ms,
        "idle_timeout_at_most_ms": result.idle_timeout_at_most_ms,
        "probes": probes,
        "recommended_heartbeat_ms": result.recommended_heartbeat_ms,
        "cut_by": result.cut_by,
        "lifetime_cap_ms": result.lifetime_cap_ms,
        "traffic_that_counts": result.traffic_that_counts,
        "busy_drops": result.busy_drops,
        "watched_ms": result.watched_ms,
        "max_idle_ms": result.max_idle_ms,
        "heartbeat_ms": result.heartbeat_ms,
        "companion": result.companion,
        "companion_offer": result.companion_offer,
        "protocol": result.protocol,
        "page_was_hidden": result.page_was_hidden,
        "cancelled": result.cancelled,
        "failure": result.failure,
        "findings": verdict.findings,
        "advice": verdict.advice,
    });
    CheckResult {
        kind: CheckKind::Idle,
        status,
        summary: verdict.headline,
        details,
    }
}

/// The sleep experiment's result in the common shape. Pass: the connection survived the
/// time away; warn: it was closed while away (the app must reconnect on return); fail:
/// half-open on return (the app would sit on a dead socket); error: it could not run, was
/// stopped, or the page never came back.
pub fn sleep_check(result: &SleepResult) -> CheckResult {
    let verdict = sleep_verdict(result);
    let status = match (&result.failure, result.cancelled, &result.fate) {
        (Some(_), _, _) | (_, true, _) | (_, _, Fate::Unknown) => CheckStatus::Error,
        (_, _, Fate::Survived) => CheckStatus::Pass,
        (_, _, Fate::HalfOpen { .. }) => CheckStatus::Fail,
        (_, _, Fate::ClosedWhileAway { .. } | Fate::ClosedBeforeSleep { .. }) => CheckStatus::Warn,
    };
    let details = json!({
        "fate": result.fate,
        "away_ms": result.away_ms,
        "simulated": result.simulated,
        "sleepy": result.sleepy,
        "heartbeat_ms": result.heartbeat_ms,
        "open_on_return": result.open_on_return,
        "time_to_truth_ms": result.time_to_truth_ms,
        "main_timers": result.main,
        "worker_timers": result.worker,
        "sent_while_hidden": result.sent_while_hidden,
        "skipped_while_hidden": result.skipped_while_hidden,
        "server": result.server,
        "companion": result.companion,
        "marks": result.marks,
        "cancelled": result.cancelled,
        "failure": result.failure,
        "findings": verdict.findings,
        "advice": verdict.advice,
    });
    CheckResult {
        kind: CheckKind::Sleep,
        status,
        summary: verdict.headline,
        details,
    }
}

/// The handshake check's result in the common shape. Pass: every open worked; warn: some
/// failed, or something in between stripped compression; fail: nothing opened (mixed
/// content, failed before open, no answer); error: the URL is not a WebSocket URL.
pub fn handshake_check(result: &HandshakeResult) -> CheckResult {
    let opened = result
        .opens
        .iter()
        .filter(|o| matches!(o, OpenOutcome::Opened { .. }))
        .count();
    let (status, summary) = match &result.failure {
        Some(Failure::InvalidUrl { why }) => (CheckStatus::Error, why.clone()),
        Some(failure @ Failure::MixedContent) => (
            CheckStatus::Fail,
            failure.explained().join(" "),
        ),
        Some(Failure::FailedBeforeOpen) => (
            CheckStatus::Fail,
            "Every open failed before the handshake completed (DNS, a refusal, TLS or a non-101 answer: the browser does not say which)."
                .to_string(),
        ),
        Some(Failure::NoAnswer) => (
            CheckStatus::Fail,
            "No open was answered within the connect timeout.".to_string(),
        ),
        None => {
            let (min, median, max) = result.latency_ms.unwrap_or((0, 0, 0));
            let status = if opened < result.opens.len() || result.compression_stripped == Some(true) {
                CheckStatus::Warn
            } else {
                CheckStatus::Pass
            };
            (
                status,
                format!(
                    "{opened} of {} opens worked, in {min} to {max} ms (median {median} ms).",
                    result.opens.len()
                ),
            )
        }
    };
    let saw = result.server_saw.as_ref();
    let details = json!({
        "opens": result.opens,
        "latency_ms": result.latency_ms.map(|(min, median, max)| json!({"min": min, "median": median, "max": max})),
        "protocol": result.protocol,
        "extensions": result.extensions,
        "client_addr": saw.map(|s| s.client_addr.clone()),
        "proxy_headers": saw.map(|s| s.proxy_headers.iter().map(|h| format!("{}: {}", h.name, h.value)).collect::<Vec<_>>()),
        "compression_stripped": result.compression_stripped,
        "failure": result.failure,
    });
    CheckResult {
        kind: CheckKind::Handshake,
        status,
        summary,
        details,
    }
}

/// The "blocked or down" check's result in the common shape. Pass: both work; warn: only
/// the WebSocket works; fail: WebSockets blocked, or nothing reaches the server; error: no
/// server beside the page.
pub fn blocked_check(result: &BlockedResult) -> CheckResult {
    let status = match result.verdict {
        Verdict::BothWork => CheckStatus::Pass,
        Verdict::OnlyWebSocketWorks => CheckStatus::Warn,
        Verdict::UpgradesBlocked | Verdict::ServerNotReached | Verdict::NothingAnswers => {
            CheckStatus::Fail
        }
        Verdict::NoServerBesideThePage => CheckStatus::Error,
    };
    let seen = match &result.http {
        Some(HttpSide::Companion { seen, .. }) => Some(seen),
        _ => None,
    };
    let details = json!({
        "verdict": result.verdict,
        "websocket_url": result.websocket_url,
        "http_url": result.http_url,
        "websocket": result.websocket,
        "http": result.http.as_ref().map(|side| match side {
            HttpSide::Companion { latency_ms, .. } => json!({"kind": "companion", "latency_ms": latency_ms}),
            other => json!(other),
        }),
        "client_addr": seen.map(|s| s.request.client_addr.clone()),
        "proxy_headers": seen.map(|s| s.request.proxy_headers.iter().map(|h| format!("{}: {}", h.name, h.value)).collect::<Vec<_>>()),
        "upgrades_without_upgrade_header": seen.map(|s| s.upgrades_without_upgrade_header),
    });
    CheckResult {
        kind: CheckKind::Blocked,
        status,
        summary: blocked::headline(result),
        details,
    }
}

/// The round-trip check's result in the common shape. Pass: echoes came back and none was
/// lost; warn: some were lost; fail: the companion answered none (the path loses
/// messages); error: it could not run, was stopped, or the server sends nothing back (no
/// round trip can be measured with messages).
pub fn round_trip_check(result: &RoundTripResult) -> CheckResult {
    let status = if result.cancelled || (result.answered == 0 && result.failure.is_some()) {
        CheckStatus::Error
    } else if result.answered == 0 {
        if result.companion {
            CheckStatus::Fail
        } else {
            CheckStatus::Error
        }
    } else if result.lost > 0 || result.failure.is_some() {
        CheckStatus::Warn
    } else {
        CheckStatus::Pass
    };
    let details = json!({
        "companion": result.companion,
        "protocol": result.protocol,
        "sent": result.sent,
        "answered": result.answered,
        "lost": result.lost,
        "echo": result.echo,
        "ping": result.ping,
        "echo_ms": result.echo_ms,
        "ping_ms": result.ping_ms,
        "clock_offset_ms": result.clock_offset_ms,
        "clock_offset_within_ms": result.clock_offset_within_ms,
        "resolution_ms": result.resolution_ms,
        "other_messages": result.other_messages,
        "cancelled": result.cancelled,
        "failure": result.failure,
    });
    CheckResult {
        kind: CheckKind::Roundtrip,
        status,
        summary: round_trips::headline(result),
        details,
    }
}

/// The close-code lab's result in the common shape. Pass: every ending was seen from both
/// sides; warn: some case did not complete; error: it could not run, or was stopped.
pub fn lab_check(result: &LabResult) -> CheckResult {
    let status = if result.failure.is_some() || result.cancelled {
        CheckStatus::Error
    } else if result.rows.iter().any(|r| r.failure.is_some()) {
        CheckStatus::Warn
    } else {
        CheckStatus::Pass
    };
    CheckResult {
        kind: CheckKind::Lab,
        status,
        summary: close_lab::headline(result),
        details: json!({
            "rows": result.rows,
            "cancelled": result.cancelled,
            "failure": result.failure,
        }),
    }
}

/// The reconnect soak's result in the common shape. Pass: every policy came back after
/// every ending; warn: a policy gave up (that policy's own rule, said in its row); error:
/// it could not run or was stopped.
pub fn soak_check(result: &SoakResult) -> CheckResult {
    let status = if result.failure.is_some() || result.cancelled {
        CheckStatus::Error
    } else if result.lanes.iter().any(|l| l.gave_up.is_some()) {
        CheckStatus::Warn
    } else {
        CheckStatus::Pass
    };
    CheckResult {
        kind: CheckKind::Soak,
        status,
        summary: soak::headline(result),
        details: json!({
            "ran_ms": result.ran_ms,
            "closes_per_minute": result.closes_per_minute,
            "lanes": result.lanes,
            "cancelled": result.cancelled,
            "failure": result.failure,
        }),
    }
}

/// The size check's result in the common shape. Pass: everything up to the server's own
/// limit arrived both ways; warn: something in the path carries less (a known limit, or
/// one to raise or to split messages under); error: it could not run or was stopped.
pub fn size_check(result: &SizeResult) -> CheckResult {
    let status = if result.failure.is_some() || result.cancelled {
        CheckStatus::Error
    } else if result.up.smallest_lost.is_some() || result.down.smallest_lost.is_some() {
        CheckStatus::Warn
    } else {
        CheckStatus::Pass
    };
    CheckResult {
        kind: CheckKind::Size,
        status,
        summary: size_limit::headline(result),
        details: json!({
            "server_limit": result.server_limit,
            "up": result.up,
            "down": result.down,
            "tried": result.tried,
            "cancelled": result.cancelled,
            "failure": result.failure,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_trip_passes_warns_fails_or_could_not_run_by_what_came_back() {
        let base = RoundTripResult {
            sent: 10,
            answered: 10,
            ..RoundTripResult::default()
        };
        let status = |result: RoundTripResult| round_trip_check(&result).status;
        assert_eq!(status(base.clone()), CheckStatus::Pass);
        let lossy = RoundTripResult {
            answered: 8,
            lost: 2,
            ..base.clone()
        };
        assert_eq!(status(lossy), CheckStatus::Warn);
        let silent = RoundTripResult {
            answered: 0,
            lost: 10,
            ..base.clone()
        };
        assert_eq!(
            status(silent.clone()),
            CheckStatus::Error,
            "a server that echoes nothing"
        );
        let companion_lost_all = RoundTripResult {
            companion: true,
            ..silent
        };
        assert_eq!(
            status(companion_lost_all),
            CheckStatus::Fail,
            "the path loses messages"
        );
        let refused = RoundTripResult {
            sent: 0,
            answered: 0,
            failure: Some("bad".into()),
            ..RoundTripResult::default()
        };
        assert_eq!(status(refused), CheckStatus::Error);
        let stopped = RoundTripResult {
            cancelled: true,
            ..base
        };
        assert_eq!(status(stopped), CheckStatus::Error);
    }

    #[test]
    fn every_kind_is_named_once_and_read_back_from_its_name() {
        let mut names: Vec<&str> = CheckKind::ALL.iter().map(|k| k.name()).collect();
        for kind in CheckKind::ALL {
            assert_eq!(CheckKind::from_name(kind.name()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.name()));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CheckKind::ALL.len());
        assert_eq!(CheckKind::from_name("Idle"), None, "names are lower case");
        assert_eq!(CheckKind::from_name("nap"), None);
    }

    #[test]
    fn failures_outweigh_warnings_which_outweigh_errors_and_passes() {
        let mut statuses = [
            CheckStatus::Pass,
            CheckStatus::Error,
            CheckStatus::Fail,
            CheckStatus::Warn,
        ];
        statuses.sort_by_key(|s| std::cmp::Reverse(s.weight()));
        assert_eq!(
            statuses,
            [
                CheckStatus::Fail,
                CheckStatus::Warn,
                CheckStatus::Error,
                CheckStatus::Pass
            ]
        );
    }
}
