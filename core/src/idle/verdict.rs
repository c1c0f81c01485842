//! The idle experiment's outcome in plain words: a headline, what the measurement
//! shows, and what to do. It follows the measurement: which probes survived decides
//! which heartbeat is named, never an assumption about the proxy.

use serde::{Deserialize, Serialize};

use super::probe::ProbeKind;
use super::result::{CutBy, IdleResult};
use crate::diagnosis::matching_timeout;

/// The verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// One sentence: what was found.
    pub headline: String,
    /// What the measurement shows, one sentence each.
    pub findings: Vec<String>,
    /// What to do.
    pub advice: Vec<String>,
}

fn s(ms: u64) -> String {
    let secs = ms as f64 / 1000.0;
    if secs >= 10.0 || ms.is_multiple_of(1000) {
        format!("{secs:.0} s")
    } else {
        format!("{secs:.1} s")
    }
}

/// The verdict for `result`.
pub fn verdict(result: &IdleResult) -> Verdict {
    let mut findings = Vec::new();
    let mut advice = Vec::new();
    if let Some(failure) = &result.failure {
        return Verdict {
            headline: format!("The experiment could not run: {failure}."),
            findings,
            advice: vec![
                "Connect with the console first: its log and \"Why it closed\" say what went wrong."
                    .into(),
            ],
        };
    }
    let h = result.heartbeat_ms;
    let headline = if result.cancelled {
        format!(
            "Cancelled after {}: nothing is concluded from a partial run.",
            s(result.watched_ms)
        )
    } else if let Some(cap) = result.lifetime_cap_ms {
        advice.push(
            "Heartbeats do not help against a lifetime limit: reconnect (with backoff and jitter) \
             when it is reached, or raise the limit where it is set."
                .into(),
        );
        format!(
            "Every connection was cut after about {}, busy or not: a maximum connection \
             lifetime, not an idle timeout.",
            s(cap)
        )
    } else if let Some(t) = result.idle_timeout_ms {
        let known = matching_timeout(t as f64)
            .map(|k| format!(" (the default of {})", k.who))
            .unwrap_or_default();
        findings.push(direction_finding(result, t));
        if let Some(rec) = result.recommended_heartbeat_ms {
            advice.push(format!(
                "Send a heartbeat every {} (at most half of the {} timeout), from the side the \
                 measurement shows works; or raise the timeout where it is set. The snippets \
                 below have these numbers filled in.",
                s(rec),
                s(t)
            ));
        }
        format!("Idle connections are cut after about {}{known}.", s(t))
    } else {
        findings.push(format!(
            "All probes stayed open for the {} watched.",
            s(result.watched_ms)
        ));
        findings.push(format!(
            "What this does not prove: a timeout longer than {} may still exist (watch for up \
             to 15 min to find one), and other networks (mobile, another office, a VPN) may \
             cut sooner.",
            s(result.max_idle_ms)
        ));
        if !result.companion {
            findings.push(
                "This server is not wsdoctor's companion: if it sends protocol pings of its own \
                 (the page cannot see them), they keep even the silent probe alive, so silence \
                 could not be tested alone. Run the experiment against wsdoctor-server behind \
                 the same proxy to separate them."
                    .into(),
            );
        }
        format!("No idle timeout found up to {}.", s(result.max_idle_ms))
    };
    if let Some(cut_by) = result.cut_by.filter(|_| result.lifetime_cap_ms.is_none()) {
        findings.push(cut_by_finding(result, cut_by));
    }
    if !result.busy_drops.is_empty() {
        findings.push(format!(
            "Busy probes were cut despite recent traffic ({}): this path drops connections \
             whatever their traffic (an unreliable network, a per-connection limit, or a \
             restart). Heartbeats cannot fix that; reconnection must.",
            result.busy_drops.join(", ")
        ));
    }
    if result.page_was_hidden {
        findings.push(format!(
            "The page was hidden during the run: browsers throttle timers in hidden tabs, so \
             the page's heartbeats (every {}) may have gone out late. Run it again with the \
             tab in front to be sure.",
            s(h)
        ));
    }
    Verdict {
        headline,
        findings,
        advice,
    }
}

/// Which heartbeats kept the connection open, as measured.
fn direction_finding(result: &IdleResult, t: u64) -> String {
    let h = s(result.heartbeat_ms);
    let survived = |kind: ProbeKind| result.probe(kind).is_some_and(|p| p.survived);
    let ran = |kind: ProbeKind| result.probe(kind).is_some_and(|p| p.opened);
    if !result.companion {
        return if survived(ProbeKind::EchoHeartbeat) {
            format!(
                "A heartbeat with an answer every {h} keeps the connection open. Which direction \
                 alone would do could not be separated against this server: that needs \
                 wsdoctor-server behind the same path."
            )
        } else {
            format!(
                "A heartbeat with an answer every {h} did not keep the connection open either \
                 ({h} may be too slow for a {} timeout).",
                s(t)
            )
        };
    }
    let client = survived(ProbeKind::ClientHeartbeat);
    let server = survived(ProbeKind::ServerHeartbeat);
    let ping = survived(ProbeKind::ServerPing);
    let echo = survived(ProbeKind::EchoHeartbeat);
    let all_ran = [
        ProbeKind::ClientHeartbeat,
        ProbeKind::ServerHeartbeat,
        ProbeKind::ServerPing,
        ProbeKind::EchoHeartbeat,
    ]
    .into_iter()
    .all(ran);
    match (client, server, ping, echo) {
        (true, true, true, true) => format!(
            "Heartbeats every {h} keep the connection open, whichever side sends them (page \
             messages, server messages, server Ping frames, and echoed heartbeats all survived)."
        ),
        (false, true, _, _) | (false, _, true, _) => format!(
            "Only traffic from the server keeps it open: heartbeats the page sends every {h} \
             without an answer were cut like silence. Send heartbeats from the server{}, or have \
             the server answer the page's.",
            if ping { " (Ping frames work)" } else { "" }
        ),
        (true, false, false, _) => format!(
            "Only traffic from the page keeps it open: the server's messages and Ping frames \
             every {h} were cut like silence. Send heartbeats from the page."
        ),
        (false, false, false, true) => {
            format!("Only a heartbeat with an answer every {h} (traffic both ways) keeps it open.")
        }
        (false, false, false, false) if all_ran => format!(
            "None of the heartbeats every {h} kept it open: {h} is too slow for a {} timeout.",
            s(t)
        ),
        _ => {
            let names: Vec<&str> = result
                .probes
                .iter()
                .filter(|p| p.kind != ProbeKind::Silent && p.survived)
                .map(|p| p.name.as_str())
                .collect();
            format!(
                "These probes (heartbeat every {h}) stayed open: {}.",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )
        }
    }
}

fn cut_by_finding(result: &IdleResult, cut_by: CutBy) -> String {
    let silent = result.probe(ProbeKind::Silent);
    let code = silent
        .and_then(|p| p.close_code)
        .map_or_else(|| "?".to_string(), |c| c.to_string());
    match cut_by {
        CutBy::Path if result.companion => format!(
            "No close frame reached the server: something between the browser and the server \
             (a proxy, load balancer or firewall) cut the idle connection; the browser saw \
             {code}."
        ),
        CutBy::Path => format!(
            "The browser saw {code} with no close frame: a proxy, load balancer or firewall in \
             the path (or the network) cut the idle connection."
        ),
        CutBy::Server => format!(
            "The server closed the idle connection itself (code {}): it is the server's own \
             idle timeout, not a proxy's.",
            silent
                .and_then(|p| p.server_close_code.or(p.close_code))
                .map_or_else(|| "?".to_string(), |c| c.to_string())
        ),
        CutBy::CloseFrame => format!(
            "A close frame with {code} ended the idle connection: the server, or a proxy that \
             speaks WebSocket, closed it (without the companion the page cannot tell which)."
        ),
    }
}
