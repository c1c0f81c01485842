//! The idle experiment's outcome in plain words: a headline, what the measurement
//! shows, and what to do. It follows the measurement: which traffic kept probes open
//! (worked out in `traffic`) decides which side's heartbeat is named, never an
//! assumption about the proxy.

use serde::{Deserialize, Serialize};

use super::probe::ProbeKind;
use super::result::{CompanionOffer, CutBy, IdleResult, ProtocolHeartbeat};
use super::traffic::TrafficThatCounts;
use crate::diagnosis::matching_timeout;
use crate::duration::{seconds as s, seconds_between};

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

/// The idle timeout as the headline says it: between the silent probe's last traffic
/// and its open, rounded to a whole second when one lies in that span.
fn timeout_words(result: &IdleResult) -> Option<String> {
    let low = result.idle_timeout_ms?;
    Some(seconds_between(
        low,
        result.idle_timeout_at_most_ms.unwrap_or(low),
    ))
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
                "Press Connect in the console with the same target: its log and \"Why it \
                 closed\" show what the browser saw."
                    .into(),
            ],
        };
    }
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
    } else if let (Some(t), Some(words)) = (result.idle_timeout_ms, timeout_words(result)) {
        let known = matching_timeout(t as f64)
            .map(|k| format!(" (the default of {})", k.who))
            .unwrap_or_default();
        findings.push(traffic_finding(result, &words));
        advice.extend(heartbeat_advice(result, &words));
        format!("Idle connections are cut after about {words}{known}.")
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
        if let Some(protocol) = &result.protocol {
            findings.push(protocol_kept_open(protocol));
        } else if !result.companion {
            findings.push(
                "This server is not wsdoctor's companion: if it sends protocol Ping frames of its \
                 own (a page cannot see them; the browser answers them by itself), they keep even \
                 the silent connection open, so silence could not be tested alone. Run the \
                 experiment against wsdoctor-server behind the same proxy to separate them."
                    .into(),
            );
        }
        match result.protocol.as_ref().filter(|p| p.server_heartbeats > 0) {
            Some(protocol) => format!(
                "No idle timeout found up to {}: {}'s own heartbeat kept every connection open.",
                s(result.max_idle_ms),
                protocol.profile.title()
            ),
            None => format!("No idle timeout found up to {}.", s(result.max_idle_ms)),
        }
    };
    if let (Some(protocol), Some(t)) = (&result.protocol, result.idle_timeout_ms) {
        findings.push(format!(
            "The probes spoke {} as its client does ({}): the silent one carried no traffic \
             beyond what the protocol requires, and was still cut.",
            protocol.profile.title(),
            protocol.evidence
        ));
        if let Some(interval) = protocol.interval_ms.filter(|i| *i >= t) {
            advice.push(format!(
                "{}'s own heartbeat (pingInterval {}) is slower than this path's idle timeout \
                 ({}): set pingInterval below it (for example {}), or raise the timeout above \
                 pingInterval + pingTimeout.",
                protocol.profile.title(),
                s(interval),
                s(t),
                s((t / 2).max(1000))
            ));
        }
    }
    if let Some(cut_by) = result.cut_by.filter(|_| result.lifetime_cap_ms.is_none()) {
        findings.push(cut_by_finding(result, cut_by));
    }
    if !result.busy_drops.is_empty() {
        findings.push(drops_finding(result));
    }
    if let Some(offer) = offer_finding(result.companion_offer) {
        findings.push(offer);
    }
    if result.page_was_hidden {
        findings.push(format!(
            "The page was hidden during the run: browsers throttle timers in hidden tabs, so \
             the page's heartbeats (every {}) may have gone out late. Run it again with the \
             tab in front to be sure.",
            s(result.heartbeat_ms)
        ));
    }
    Verdict {
        headline,
        findings,
        advice,
    }
}

/// What kept the probes open when a protocol's heartbeat did.
fn protocol_kept_open(protocol: &ProtocolHeartbeat) -> String {
    let title = protocol.profile.title();
    if protocol.server_heartbeats == 0 {
        return format!(
            "The probes spoke {title} as its client does ({}), and no heartbeat of the protocol \
             came: if its server keeps connections alive with WebSocket Ping frames (graphql-ws's \
             does, every 12 s by default), the browser answers them unseen, and they keep even \
             the silent connection open.",
            protocol.evidence
        );
    }
    let every = protocol
        .interval_ms
        .map(|i| format!(", every {}", s(i)))
        .unwrap_or_default();
    format!(
        "The probes spoke {title} as its client does ({}): the server's heartbeat ({} on the \
         silent connection{every}) and the page's answers kept even that one busy. A path \
         timeout longer than the protocol's heartbeat never fires for {title} clients, so \
         none could be measured; without the protocol's answers the server itself would have \
         closed the probes.",
        protocol.evidence, protocol.server_heartbeats
    )
}

/// The labels of the probes named in `names`, joined.
fn labels(result: &IdleResult, names: &[String]) -> String {
    names
        .iter()
        .map(|name| {
            result
                .probes
                .iter()
                .find(|p| &p.name == name)
                .map_or(name.as_str(), |p| p.label.as_str())
                .to_lowercase()
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which traffic kept the connection open, as measured.
fn traffic_finding(result: &IdleResult, t: &str) -> String {
    let h = s(result.heartbeat_ms);
    if result.heartbeat_too_slow {
        return format!(
            "None of the busy connections got a heartbeat through before the cut: {h} is too \
             slow for a {t} timeout, so which side's traffic counts was not tested."
        );
    }
    match result.traffic_that_counts.as_slice() {
        [TrafficThatCounts::EitherWay] => format!(
            "Heartbeats every {h} keep the connection open, whichever side sends them (page \
             messages, server messages, server Ping frames and echoed heartbeats all survived)."
        ),
        [TrafficThatCounts::FromPage] => format!(
            "Only traffic from the page keeps it open: messages from the server every {h} were \
             cut like silence, while heartbeats from the page survived, and so did Ping frames \
             from the server, because the browser answers each with a Pong, which is traffic \
             from the page."
        ),
        [TrafficThatCounts::FromServer] => format!(
            "Only traffic from the server keeps it open: heartbeats the page sends every {h} \
             without an answer were cut like silence, while messages and Ping frames from the \
             server survived."
        ),
        [TrafficThatCounts::BothWays] => format!(
            "Only traffic both ways keeps it open: heartbeats from the page alone and messages \
             from the server alone (every {h}) were each cut like silence, while Ping frames \
             (answered by the browser) and echoed heartbeats survived."
        ),
        [TrafficThatCounts::Nothing] => format!(
            "No traffic kept connections open: every busy connection was cut despite its \
             heartbeats every {h}, at different ages: this path drops connections whatever they \
             carry."
        ),
        [] => "No busy connection carried its heartbeats long enough to show which traffic \
               keeps a connection open."
            .into(),
        _ if !result.companion => {
            if result
                .probe(ProbeKind::EchoHeartbeat)
                .is_some_and(|p| p.survived)
            {
                format!(
                    "A heartbeat with an answer every {h} keeps the connection open. Which \
                     direction alone would do could not be separated against this server: that \
                     needs wsdoctor-server behind the same path."
                )
            } else {
                format!("The echoed heartbeat every {h} did not run long enough to tell.")
            }
        }
        _ => {
            let kept: Vec<String> = result
                .probes
                .iter()
                .filter(|p| p.kind != ProbeKind::Silent && p.survived)
                .map(|p| p.name.clone())
                .collect();
            let missing: Vec<String> = result
                .probes
                .iter()
                .filter(|p| !p.carried_traffic)
                .map(|p| p.name.clone())
                .collect();
            format!(
                "These connections (heartbeat every {h}) stayed open: {}; {} did not run, so \
                 which side's traffic alone counts is not settled.",
                labels(result, &kept),
                labels(result, &missing)
            )
        }
    }
}

/// What to do about the timeout, naming the side the measurement shows works.
fn heartbeat_advice(result: &IdleResult, t: &str) -> Option<String> {
    let rec = s(result.recommended_heartbeat_ms?);
    let side = match result.traffic_that_counts.as_slice() {
        [TrafficThatCounts::Nothing] => {
            return Some(
                "Heartbeats do not stop cuts that hit busy connections too: reconnect with \
                 backoff and jitter, and look for what drops them (a flaky network, a \
                 per-connection limit, restarts)."
                    .into(),
            );
        }
        [TrafficThatCounts::EitherWay] => {
            "from either side (Ping frames from the server are simplest: browsers answer them \
             by themselves)"
        }
        [TrafficThatCounts::FromPage] => {
            "from the page (Ping frames from the server also work: the browser's automatic Pong \
             is traffic from the page; messages from the server alone do not)"
        }
        [TrafficThatCounts::FromServer] => {
            "from the server (messages or Ping frames), or have the server answer the page's \
             heartbeats"
        }
        _ => {
            "that travels both ways: Ping frames from the server (the browser answers each) or \
             a heartbeat the server answers, which works whichever direction the path counts"
        }
    };
    Some(format!(
        "Send a heartbeat every {rec} {side}: at most half of the {t} timeout. Or raise the \
         timeout where it is set."
    ))
}

fn drops_finding(result: &IdleResult) -> String {
    let names = labels(result, &result.busy_drops);
    if result.idle_timeout_ms.is_none() {
        return format!(
            "Cut while the silent connection stayed open ({names}): a drop no idle timeout \
             explains (an unreliable network, a per-connection limit, or a restart); reconnect \
             with backoff and jitter."
        );
    }
    match result.traffic_that_counts.as_slice() {
        [TrafficThatCounts::Nothing] => format!("Cut despite recent traffic: {names}."),
        _ => format!(
            "Also cut, despite traffic that keeps other connections open here: {names}: this \
             path drops some connections whatever they carry (an unreliable network, a \
             per-connection limit, or a restart); reconnect with backoff and jitter."
        ),
    }
}

fn offer_finding(offer: CompanionOffer) -> Option<String> {
    let how = match offer {
        CompanionOffer::HandshakeFailed => {
            "the handshake failed while it was offered, as a browser fails a handshake whose \
             answer picks none of the offered subprotocols"
        }
        CompanionOffer::NoWelcome => "it accepted the subprotocol but never answered its hello",
        CompanionOffer::WrongAnswer => {
            "it accepted the subprotocol but answered its hello with something else"
        }
        CompanionOffer::NotOffered => {
            return Some(
                "The companion's subprotocol was not offered (companion off), so only the probes \
                 any server allows ran: the silent one and the echoed heartbeat."
                    .into(),
            );
        }
        CompanionOffer::Pending | CompanionOffer::Answered | CompanionOffer::NotPicked => {
            return None;
        }
    };
    Some(format!(
        "This server does not speak wsdoctor.v1 ({how}), so the experiment reconnected without \
         it and ran the probes any server allows: the silent one and the echoed heartbeat."
    ))
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
