//! How a profile's servers close, turned into a finding for the close panel: Socket.IO's
//! ping timeout and connect timeout (both close without a status code: the browser
//! reports 1005), "io server disconnect", graphql-ws's own codes (4408 init timeout
//! first), and subscriptions-transport-ws's 1002 and 1011. Facts in, one finding out.

use super::graphql::DEFAULT_INIT_WAIT_MS;
use super::socket_io::DEFAULT_CONNECT_TIMEOUT_MS;
use super::{Mode, ProfileKind, ProtocolFacts};
use crate::close_code::{self, Reconnect};
use crate::diagnosis::{Confidence, Finding, FindingKind, lowercase_first};
use crate::duration::seconds;

/// The profile's explanation of a close with `code` and `reason`, if it has one.
pub fn finding(facts: &ProtocolFacts, code: u16, reason: &str) -> Option<Finding> {
    match facts.kind {
        ProfileKind::SocketIo => socket_io(facts, code),
        ProfileKind::GraphqlWs => graphql_ws(facts, code, reason),
        ProfileKind::SubscriptionsTransportWs => legacy(facts, code, reason),
        ProfileKind::Raw => None,
    }
}

/// Why the close ends the session for good, when the real client would not reconnect:
/// Socket.IO's "io server disconnect", or a graphql-ws code its client never retries.
pub fn final_reason(facts: &ProtocolFacts, code: u16) -> Option<String> {
    match facts.kind {
        ProfileKind::SocketIo if facts.server_disconnect => Some(
            "Socket.IO's \"io server disconnect\": the server ended the session, and the real client does not reconnect".into(),
        ),
        ProfileKind::GraphqlWs => {
            let info = close_code::info_in(facts.kind.system(), code);
            (info.system.is_some() && info.reconnect == Reconnect::No).then(|| {
                format!(
                    "graphql-ws {code} {}: the real client does not retry it",
                    info.name
                )
            })
        }
        _ => None,
    }
}

fn ms(value: f64) -> String {
    seconds(value.max(0.0) as u64)
}

fn base(kind: FindingKind, title: String, facts: &ProtocolFacts) -> Finding {
    let mut evidence = vec![format!("{}: {}", facts.kind.title(), facts.evidence)];
    if let Some(open_for) = facts.open_for {
        evidence.push(format!("the connection was open {}", ms(open_for)));
    }
    Finding {
        kind,
        title,
        confidence: Confidence::High,
        evidence,
        advice: Vec::new(),
        snippets: Vec::new(),
    }
}

fn silent_note(facts: &ProtocolFacts) -> Option<String> {
    (facts.mode == Mode::Silent).then(|| {
        "the page was set to stay silent: it answered no heartbeat and sent no init".into()
    })
}

fn socket_io(facts: &ProtocolFacts, code: u16) -> Option<Finding> {
    if facts.server_disconnect {
        let mut found = base(
            FindingKind::ProtocolServerDisconnect,
            "Socket.IO: the server disconnected this client on purpose (\"io server disconnect\"); the real client does not reconnect after it.".into(),
            facts,
        );
        found.evidence.push(
            "the server sent a disconnect packet (41, or Engine.IO's close 1) before the close"
                .into(),
        );
        found.advice.push(
            "Look in the server's code for socket.disconnect(): the application ended the session. Reconnect only when the application says so.".into(),
        );
        return Some(found);
    }
    if let Some(refused) = &facts.refused {
        let mut found = base(
            FindingKind::ProtocolRefusal,
            "Socket.IO: the server refused the namespace (a middleware said no).".into(),
            facts,
        );
        found.evidence.push(refused.clone());
        found.advice.push("Send what the middleware checks (auth in the CONNECT packet, a cookie, a token), or ask for a namespace the server has.".into());
        return Some(found);
    }
    if !matches!(code, 1005 | 1006) {
        return None;
    }
    let open = facts.open.clone().unwrap_or_default();
    if let Some(waited) = facts.unanswered_ping_for.filter(|_| facts.eio >= 4) {
        let mut found = base(
            FindingKind::ProtocolPingTimeout,
            format!(
                "Socket.IO ping timeout: no pong within pingInterval {} + pingTimeout {}, so the server closed the connection (without a status code: {code}).",
                seconds(open.ping_interval),
                seconds(open.ping_timeout)
            ),
            facts,
        );
        found.evidence.push(format!(
            "{} ping(s) came from the server; the first unanswered one {} before the close",
            facts.server_heartbeats,
            ms(waited)
        ));
        found.evidence.extend(silent_note(facts));
        found.advice.push("A Socket.IO client answers every ping (2) with a pong (3) at once; the real client library does this by itself. If an app's client is dropped this way, something kept it from answering: a blocked main thread, a tab frozen or throttled while hidden, or a proxy that buffers frames.".into());
        found.advice.push(format!(
            "Raise pingTimeout on the server (now {}) if clients are slow to answer, rather than pingInterval.",
            seconds(open.ping_timeout)
        ));
        return Some(found);
    }
    if let Some(silent) = facts
        .client_silent_for
        .filter(|silent| facts.eio < 4 && *silent >= open.ping_interval as f64)
    {
        let mut found = base(
            FindingKind::ProtocolPingTimeout,
            format!(
                "Socket.IO ping timeout (Engine.IO v3, where the client pings): no ping from the page within pingInterval {} + pingTimeout {}, so the server closed the connection (without a status code: {code}).",
                seconds(open.ping_interval),
                seconds(open.ping_timeout)
            ),
            facts,
        );
        found.evidence.push(format!(
            "the page's last ping (or the open) came {} before the close",
            ms(silent)
        ));
        found.evidence.extend(silent_note(facts));
        found.advice.push("A Socket.IO 2.x client sends a ping (2) every pingInterval and the server answers pong (3); the real client library does this by itself. A client dropped this way could not send in time: a blocked main thread, or timers throttled in a hidden tab.".into());
        return Some(found);
    }
    if !facts.init_sent && facts.eio >= 4 {
        let mut found = base(
            FindingKind::ProtocolInitTimeout,
            format!(
                "Socket.IO connect timeout: the page asked for no namespace (40), and the server drops such a client after its connectTimeout ({} by default).",
                seconds(DEFAULT_CONNECT_TIMEOUT_MS)
            ),
            facts,
        );
        found.evidence.extend(silent_note(facts));
        found.advice.push(
            "The real client sends 40 (CONNECT to the main namespace) right after the open packet."
                .into(),
        );
        return Some(found);
    }
    let mut found = base(
        FindingKind::ProtocolClose,
        format!(
            "The Socket.IO server closed the connection without a status code ({code}), and not for a missed pong: every ping was answered."
        ),
        facts,
    );
    found.confidence = Confidence::Medium;
    if let Some(last) = facts.last_heartbeat_before_close {
        found
            .evidence
            .push(format!("the last ping came {} before the close", ms(last)));
    }
    found.advice.push("A Socket.IO server closes this way when it shuts down, when the application calls disconnect, or when a message exceeds maxHttpBufferSize (1 MB by default). Its logs say which.".into());
    Some(found)
}

fn graphql_ws(facts: &ProtocolFacts, code: u16, reason: &str) -> Option<Finding> {
    let kind = match code {
        4408 => FindingKind::ProtocolInitTimeout,
        4401 | 4403 => FindingKind::ProtocolRefusal,
        _ => FindingKind::ProtocolClose,
    };
    let mut found = catalogued(facts, kind, code, reason)?;
    if facts.init_sent {
        found.evidence.push(if facts.acknowledged {
            "the server had acknowledged the connection (connection_ack)".into()
        } else {
            "the page sent connection_init and no connection_ack came".into()
        });
    }
    if code == 4408 {
        found.title = format!(
            "graphql-ws init timeout (4408): no connection_init reached the server within its wait ({} by default in graphql-ws's server).",
            seconds(DEFAULT_INIT_WAIT_MS)
        );
        found.evidence.push(if facts.init_sent {
            "the page sent connection_init, late or lost on the way".into()
        } else {
            "the page sent no connection_init".into()
        });
        found.evidence.extend(silent_note(facts));
    }
    Some(found)
}

fn legacy(facts: &ProtocolFacts, code: u16, reason: &str) -> Option<Finding> {
    let mut found = match catalogued(facts, FindingKind::ProtocolRefusal, code, reason) {
        Some(found) => found,
        None => {
            facts.refused.as_ref()?;
            let mut found = base(
                FindingKind::ProtocolRefusal,
                "subscriptions-transport-ws refused the connection (connection_error).".into(),
                facts,
            );
            found
                .evidence
                .push(format!("code {code}, reason \"{reason}\""));
            found
                .advice
                .push("Fix what the error names, then connect again.".into());
            found
        }
    };
    found.evidence.extend(facts.refused.clone());
    found.advice.push(
        "subscriptions-transport-ws is unmaintained; graphql-ws (graphql-transport-ws) replaces it."
            .into(),
    );
    Some(found)
}

/// A finding from the catalogue's entry for `code` in the profile's system, with whether
/// the real client retries it (`None`: the system has no entry for the code).
fn catalogued(
    facts: &ProtocolFacts,
    kind: FindingKind,
    code: u16,
    reason: &str,
) -> Option<Finding> {
    let system = facts.kind.system()?;
    let info = close_code::info_in(Some(system), code);
    info.system?;
    let meaning = info
        .meaning
        .strip_prefix(&format!("{}: ", system.name()))
        .unwrap_or(&info.meaning);
    let mut found = base(
        kind,
        format!(
            "{} {code} {}: {}",
            system.name(),
            info.name,
            lowercase_first(meaning)
        ),
        facts,
    );
    found
        .evidence
        .push(format!("code {code}, reason \"{reason}\""));
    found.advice.push(info.advice.clone());
    found.advice.push(match info.reconnect {
        Reconnect::No => "Do not retry: the same connection will be refused again.".into(),
        Reconnect::Later => "Retry later, with backoff.".into(),
        _ => "Retrying is fine once the cause is fixed.".into(),
    });
    Some(found)
}
