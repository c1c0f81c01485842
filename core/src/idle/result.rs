//! The idle experiment's outcome as data (for the card now, and for reports): each
//! probe's fate, the idle timeout found (or none), which traffic keeps a connection
//! open (worked out in `traffic`), a lifetime cap that cut even busy probes, drops no
//! rule explains, and the heartbeat interval to recommend.

use serde::{Deserialize, Serialize};

use super::IdleSettings;
use super::probe::{Probe, ProbeKind};
use super::traffic::{Fate, TrafficThatCounts, fit};
use crate::Millis;
use crate::profile::ProfileKind;
use crate::protocol::ClosedBy;

/// One probe's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbeResult {
    /// `silent`, `client_heartbeat`, `server_heartbeat`, `server_ping`, `echo_heartbeat`.
    pub name: String,
    /// The same in words, for people ("Ping frames from the server").
    pub label: String,
    /// The same, typed.
    pub kind: ProbeKind,
    /// Its heartbeat interval (`None` for the silent probe).
    pub interval_ms: Option<u64>,
    /// Whether it was still open when the experiment ended (or is, while it runs).
    pub survived: bool,
    /// Whether it is still running (live view).
    pub running: bool,
    /// Whether it ever opened.
    pub opened: bool,
    /// Whether it got to carry its traffic (opened, and configured by the companion).
    pub carried_traffic: bool,
    /// How long after it started its traffic it was cut (`None`: not cut).
    pub closed_after_ms: Option<u64>,
    /// How long after it opened it was cut.
    pub cut_after_open_ms: Option<u64>,
    /// How long it has been (or was) alive.
    pub alive_for_ms: Option<u64>,
    /// How long it had carried no traffic either way when it was cut.
    pub idle_before_close_ms: Option<u64>,
    /// How long before the cut its own kind of traffic last flowed (`None`: it never
    /// did, or it was not cut).
    pub own_traffic_idle_ms: Option<u64>,
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

/// How the server answered the offer of the companion's subprotocol `wsdoctor.v1`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompanionOffer {
    /// Not decided yet (the first connection is still opening).
    #[default]
    Pending,
    /// It picked `wsdoctor.v1` and answered the hello: the companion.
    Answered,
    /// It picked another of the offered subprotocols.
    NotPicked,
    /// The handshake failed while `wsdoctor.v1` was offered (a browser fails a
    /// handshake whose answer picks none of the offered subprotocols) and worked
    /// without it.
    HandshakeFailed,
    /// It picked `wsdoctor.v1` but never answered the hello.
    NoWelcome,
    /// It picked `wsdoctor.v1` but answered the hello with something else (an echo of
    /// it, or its own protocol's greeting).
    WrongAnswer,
    /// It was not offered (the user or the link turned the companion off).
    NotOffered,
}

/// The experiment's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdleResult {
    /// Whether the target was the companion (all five probes) or another server.
    pub companion: bool,
    /// How the server answered the offer of `wsdoctor.v1`.
    pub companion_offer: CompanionOffer,
    /// The longest idle time watched for.
    pub max_idle_ms: u64,
    /// The busy probes' heartbeat interval.
    pub heartbeat_ms: u64,
    /// How long the probes ran.
    pub watched_ms: u64,
    /// Every probe.
    pub probes: Vec<ProbeResult>,
    /// After how long idle connections are cut, counted from the silent probe's last
    /// traffic (`None`: not found up to `max_idle_ms`, or not separable from a lifetime
    /// cap). A lower bound: a proxy may start its timer earlier.
    pub idle_timeout_ms: Option<u64>,
    /// The same counted from the silent probe's open: an upper bound.
    pub idle_timeout_at_most_ms: Option<u64>,
    /// Who cut the silent connection.
    pub cut_by: Option<CutBy>,
    /// A lifetime after which even busy connections were cut.
    pub lifetime_cap_ms: Option<u64>,
    /// Which traffic keeps a connection open: every rule that fits the busy probes'
    /// fates (one when the probes tell them apart; several when not all probes could
    /// run; none when nothing was cut or no busy probe is evidence).
    pub traffic_that_counts: Vec<TrafficThatCounts>,
    /// Busy probes cut despite traffic that keeps connections open here, or cut while
    /// the silent one was not: drops no idle rule explains (an unreliable path).
    pub busy_drops: Vec<String>,
    /// Every busy probe was cut before its first heartbeat: the heartbeat is slower
    /// than the timeout, so the directions could not be tested.
    pub heartbeat_too_slow: bool,
    /// The heartbeat interval to use (at most half the idle timeout).
    pub recommended_heartbeat_ms: Option<u64>,
    /// Whether the page was hidden during the run (timers may have been throttled).
    pub page_was_hidden: bool,
    /// Whether the user cancelled it.
    pub cancelled: bool,
    /// Why it could not run, if it could not.
    pub failure: Option<String>,
    /// The application protocol the probes spoke like its client, and its heartbeat
    /// (`None`: raw WebSocket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<ProtocolHeartbeat>,
}

/// The application protocol the probes spoke, and the heartbeat it put on the silent one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProtocolHeartbeat {
    /// The profile (`socketio`, `graphql-ws`, ...).
    pub profile: ProfileKind,
    /// Why this profile: "Socket.IO: open packet seen, pingInterval 25 s, ...".
    pub evidence: String,
    /// The heartbeats the server's protocol sent on the silent probe (Socket.IO pings,
    /// legacy `ka`), each answered as the real client answers.
    pub server_heartbeats: u32,
    /// The protocol's heartbeat interval, when the server announced it (Socket.IO's
    /// pingInterval).
    pub interval_ms: Option<u64>,
}

impl ProtocolHeartbeat {
    /// From the probes' protocol sessions: the silent probe's, else any detected one's.
    fn from_probes(probes: &[Probe], now: Millis) -> Option<ProtocolHeartbeat> {
        let spoken = |p: &&Probe| {
            p.counts()
                && p.protocol
                    .as_ref()
                    .is_some_and(|s| s.kind() != ProfileKind::Raw)
        };
        let probe = probes
            .iter()
            .filter(spoken)
            .find(|p| p.kind == ProbeKind::Silent)
            .or_else(|| probes.iter().find(spoken))?;
        let session = probe.protocol.as_ref()?;
        let facts = session.facts(now)?;
        Some(ProtocolHeartbeat {
            profile: facts.kind,
            evidence: session.detection().map(|d| d.summary()).unwrap_or_default(),
            server_heartbeats: facts.server_heartbeats,
            interval_ms: facts.open.map(|open| open.ping_interval),
        })
    }
}

/// What the result is computed from besides the probes.
pub struct Context<'a> {
    pub now: Millis,
    pub settings: &'a IdleSettings,
    pub companion: bool,
    pub companion_offer: CompanionOffer,
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

/// What a busy probe shows about the path, given the idle timeout `t` (if found).
fn fate(probe: &ProbeResult, t: Option<u64>) -> Fate {
    if !probe.carried_traffic {
        return Fate::NotRunning;
    }
    if probe.closed_after_ms.is_none() {
        return Fate::Survived;
    }
    // How long it had gone without its own kind of traffic (since it started, if that
    // traffic never came).
    let idle = probe.own_traffic_idle_ms.or(probe.closed_after_ms);
    match (idle, t) {
        // About the timeout: cut for being idle; its heartbeat came too late to count.
        (Some(idle), Some(t)) if idle * 10 >= t * 8 => Fate::CutWhileIdle,
        _ => Fate::CutDespiteTraffic,
    }
}

impl IdleResult {
    pub(super) fn from_probes(probes: &[Probe], cx: Context<'_>) -> IdleResult {
        let every = cx.settings.heartbeat_ms;
        let results: Vec<ProbeResult> = probes
            .iter()
            .filter(|p| p.counts())
            .map(|p| p.result(cx.now, every))
            .collect();
        let silent = results
            .iter()
            .find(|p| p.kind == ProbeKind::Silent && p.closed_after_ms.is_some());
        let idle_t = silent.and_then(|s| s.idle_before_close_ms);
        let busy: Vec<(&ProbeResult, Fate)> = results
            .iter()
            .filter(|p| p.kind != ProbeKind::Silent)
            .map(|p| (p, fate(p, idle_t)))
            .collect();
        let evidence: Vec<(&ProbeResult, Fate)> = busy
            .iter()
            .copied()
            .filter(|(_, fate)| matches!(fate, Fate::Survived | Fate::CutDespiteTraffic))
            .collect();
        let cut_despite_traffic = || {
            busy.iter()
                .filter(|(_, fate)| *fate == Fate::CutDespiteTraffic)
                .map(|(p, _)| p.name.clone())
        };
        let mut traffic_that_counts = Vec::new();
        let mut busy_drops = Vec::new();
        let mut lifetime_cap_ms = None;
        match silent {
            // Nothing idle was cut: any busy probe cut is a drop no idle rule explains.
            None => busy_drops = cut_despite_traffic().collect(),
            Some(silent) => {
                let fit = fit(&busy
                    .iter()
                    .map(|(p, fate)| (p.kind, *fate))
                    .collect::<Vec<_>>());
                let at_one_age = evidence.iter().all(|(p, fate)| {
                    *fate == Fate::CutDespiteTraffic
                        && p.cut_after_open_ms
                            .zip(silent.cut_after_open_ms)
                            .is_some_and(|(busy, silent)| about_the_same(busy, silent))
                });
                if fit.rules == [TrafficThatCounts::Nothing] && at_one_age {
                    lifetime_cap_ms = evidence
                        .iter()
                        .filter_map(|(p, _)| p.cut_after_open_ms)
                        .min();
                } else if fit.rules == [TrafficThatCounts::Nothing] {
                    busy_drops = cut_despite_traffic().collect();
                } else {
                    busy_drops = fit
                        .unexplained
                        .iter()
                        .map(|kind| kind.name().to_string())
                        .collect();
                }
                traffic_that_counts = fit.rules;
            }
        }
        let idle_timeout_ms = if lifetime_cap_ms.is_some() {
            None
        } else {
            idle_t
        };
        let heartbeat_too_slow = idle_timeout_ms.is_some()
            && evidence.is_empty()
            && busy.iter().any(|(_, fate)| *fate == Fate::CutWhileIdle);
        let cut_by = silent.map(|s| match (s.server_saw, s.was_clean) {
            (Some(ClosedBy::Server), _) => CutBy::Server,
            (Some(_), _) => CutBy::Path,
            (None, Some(true)) if s.close_code != Some(1006) => CutBy::CloseFrame,
            (None, _) => CutBy::Path,
        });
        let proven_heartbeat = evidence
            .iter()
            .any(|(_, fate)| *fate == Fate::Survived)
            .then_some(every);
        let recommended_heartbeat_ms = idle_timeout_ms.map(|t| {
            let half = half_in_seconds(t);
            proven_heartbeat.map_or(half, |h| h.min(half))
        });
        IdleResult {
            companion: cx.companion,
            companion_offer: cx.companion_offer,
            max_idle_ms: cx.settings.max_idle_ms,
            heartbeat_ms: every,
            watched_ms: cx.started_at.map_or(0, |s| (cx.now - s).max(0.0) as u64),
            idle_timeout_ms,
            idle_timeout_at_most_ms: idle_timeout_ms.and(silent.and_then(|s| s.cut_after_open_ms)),
            cut_by,
            lifetime_cap_ms,
            traffic_that_counts,
            busy_drops,
            heartbeat_too_slow,
            recommended_heartbeat_ms,
            page_was_hidden: cx.page_was_hidden,
            cancelled: cx.cancelled,
            failure: cx.failure,
            protocol: ProtocolHeartbeat::from_probes(probes, cx.now),
            probes: results,
        }
    }

    /// The probe named by `kind`, if it ran.
    pub fn probe(&self, kind: ProbeKind) -> Option<&ProbeResult> {
        self.probes.iter().find(|p| p.kind == kind)
    }
}
