//! The idle experiment's outcome as data (kept for the report): each probe's fate, the
//! idle timeout found (or none), a lifetime cap that cut even busy probes, and the
//! heartbeat interval to recommend.

use serde::{Deserialize, Serialize};

use super::IdleSettings;
use super::probe::{Probe, ProbeKind};
use crate::Millis;
use crate::protocol::ClosedBy;

/// One probe's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbeResult {
    /// `silent`, `client_heartbeat`, `server_heartbeat`, `server_ping`, `echo_heartbeat`.
    pub name: String,
    /// The same, typed.
    pub kind: ProbeKind,
    /// Its heartbeat interval (`None` for the silent probe).
    pub interval_ms: Option<u64>,
    /// Whether it was still open when the experiment ended.
    pub survived: bool,
    /// Whether it is still running (live view).
    pub running: bool,
    /// Whether it ever opened.
    pub opened: bool,
    /// How long after it started it was cut (`None`: not cut).
    pub closed_after_ms: Option<u64>,
    /// How long it has been (or was) alive.
    pub alive_for_ms: Option<u64>,
    /// How long it had carried no traffic either way when it was cut.
    pub idle_before_close_ms: Option<u64>,
    /// The close code the browser saw.
    pub close_code: Option<u16>,
    /// Whether the closing handshake completed.
    pub was_clean: Option<bool>,
    /// How the companion saw the end (`none`: no close frame reached it).
    pub server_saw: Option<ClosedBy>,
    /// The close code the companion saw, if a close frame reached it.
    pub server_close_code: Option<u16>,
}

/// Who ended the silent connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CutBy {
    /// Something between browser and server: the server got no close frame, or the
    /// browser saw the TCP connection end without one (1006).
    Path,
    /// The server closed it itself (the companion said so).
    Server,
    /// A close frame came, but without the companion it is unknown whether the server or
    /// a proxy speaking WebSocket sent it.
    CloseFrame,
}

/// The experiment's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdleResult {
    /// Whether the target was the companion (all five probes) or another server.
    pub companion: bool,
    /// The longest idle time watched for.
    pub max_idle_ms: u64,
    /// The busy probes' heartbeat interval.
    pub heartbeat_ms: u64,
    /// How long the probes ran.
    pub watched_ms: u64,
    /// Every probe.
    pub probes: Vec<ProbeResult>,
    /// After how long idle connections are cut (`None`: not found up to `max_idle_ms`,
    /// or not separable from a lifetime cap).
    pub idle_timeout_ms: Option<u64>,
    /// Who cut the silent connection.
    pub cut_by: Option<CutBy>,
    /// A lifetime after which even busy connections were cut.
    pub lifetime_cap_ms: Option<u64>,
    /// Busy probes cut despite recent traffic, not at a common lifetime: an unreliable path.
    pub busy_drops: Vec<String>,
    /// The heartbeat interval to use (at most half the idle timeout).
    pub recommended_heartbeat_ms: Option<u64>,
    /// Whether the page was hidden during the run (timers may have been throttled).
    pub page_was_hidden: bool,
    /// Whether the user cancelled it.
    pub cancelled: bool,
    /// Why it could not run, if it could not.
    pub failure: Option<String>,
}

/// What the result is computed from besides the probes.
pub struct Context<'a> {
    pub now: Millis,
    pub settings: &'a IdleSettings,
    pub companion: bool,
    pub started_at: Option<Millis>,
    pub page_was_hidden: bool,
    pub cancelled: bool,
    pub failure: Option<String>,
}

/// Two durations are "about the same": within 10 % or 1 s.
fn about_the_same(a: u64, b: u64) -> bool {
    let (a, b) = (a as f64, b as f64);
    (a - b).abs() <= (0.1 * a.max(b)).max(1000.0)
}

/// Half of `ms`, rounded down to whole seconds (at least 1 s).
fn half_in_seconds(ms: u64) -> u64 {
    ((ms / 2) / 1000).max(1) * 1000
}

impl IdleResult {
    pub(super) fn from_probes(probes: &[Probe], cx: Context<'_>) -> IdleResult {
        let every = cx.settings.heartbeat_ms;
        let results: Vec<ProbeResult> = probes.iter().map(|p| p.result(cx.now, every)).collect();
        let silent = results.iter().find(|p| p.kind == ProbeKind::Silent);
        let silent_cut = silent.and_then(|s| s.closed_after_ms.map(|after| (s, after)));
        let busy: Vec<&ProbeResult> = results
            .iter()
            .filter(|p| p.kind != ProbeKind::Silent && p.opened)
            .collect();
        let idle_t = silent_cut.and_then(|(s, _)| s.idle_before_close_ms);
        // A busy probe cut while it had recent traffic was not cut for being idle.
        let cut_despite_traffic: Vec<&ProbeResult> = busy
            .iter()
            .copied()
            .filter(|p| match (p.closed_after_ms, p.idle_before_close_ms) {
                (Some(_), Some(idle)) => {
                    // The page cannot see Ping frames: the server sent one at least every
                    // interval, so that probe was idle for at most that long.
                    let idle = if p.kind == ProbeKind::ServerPing {
                        idle.min(every)
                    } else {
                        idle
                    };
                    idle_t.is_none_or(|t| idle + 1000 < t * 8 / 10)
                }
                _ => false,
            })
            .collect();
        let lifetime_cap_ms = match silent_cut {
            Some((_, silent_life))
                if !busy.is_empty()
                    && cut_despite_traffic.len() == busy.len()
                    && busy.iter().all(|p| {
                        p.closed_after_ms
                            .is_some_and(|life| about_the_same(life, silent_life))
                    }) =>
            {
                busy.iter().filter_map(|p| p.closed_after_ms).min()
            }
            _ => None,
        };
        let busy_drops = if lifetime_cap_ms.is_some() {
            Vec::new()
        } else {
            cut_despite_traffic.iter().map(|p| p.name.clone()).collect()
        };
        let idle_timeout_ms = if lifetime_cap_ms.is_some() {
            None
        } else {
            idle_t
        };
        let cut_by = silent_cut.map(|(s, _)| match (s.server_saw, s.was_clean) {
            (Some(ClosedBy::Server), _) => CutBy::Server,
            (Some(_), _) => CutBy::Path,
            (None, Some(true)) if s.close_code != Some(1006) => CutBy::CloseFrame,
            (None, _) => CutBy::Path,
        });
        let proven_heartbeat = busy.iter().any(|p| p.survived).then_some(every);
        let recommended_heartbeat_ms = idle_timeout_ms.map(|t| {
            let half = half_in_seconds(t);
            proven_heartbeat.map_or(half, |h| h.min(half))
        });
        IdleResult {
            companion: cx.companion,
            max_idle_ms: cx.settings.max_idle_ms,
            heartbeat_ms: every,
            watched_ms: cx.started_at.map_or(0, |s| (cx.now - s).max(0.0) as u64),
            probes: results,
            idle_timeout_ms,
            cut_by,
            lifetime_cap_ms,
            busy_drops,
            recommended_heartbeat_ms,
            page_was_hidden: cx.page_was_hidden,
            cancelled: cx.cancelled,
            failure: cx.failure,
        }
    }

    /// The probe named by `kind`, if it ran.
    pub fn probe(&self, kind: ProbeKind) -> Option<&ProbeResult> {
        self.probes.iter().find(|p| p.kind == kind)
    }
}
