//! Why a connection closed: turns a close event and its context into ranked findings,
//! each with a confidence, the evidence it used, and advice.
//!
//! The rules are the situations of the seed article: idle timeouts of proxies and load
//! balancers, failures before open (which browsers hide on purpose), networks going
//! away, sleeping devices, server restarts, size limits, refusals. The catalogue's entry
//! for the code is always the last finding, so there is always an explanation.

use crate::Millis;
use crate::close_code;
use crate::idle::{Snippet, snippets_for_known_timeout};
use crate::profile::ProtocolFacts;
use crate::protocol::ClosedBy;

/// How sure a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Confidence {
    /// What the code means in general.
    Low,
    /// Fits the evidence, other causes remain possible.
    Medium,
    /// The evidence points here.
    High,
}

/// A well-known default timeout of an intermediary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownTimeout {
    /// Seconds.
    pub seconds: u32,
    /// Whose default it is.
    pub who: &'static str,
    /// It counts from the open, busy or not (a maximum lifetime, which heartbeats do not
    /// help against), instead of from the last traffic.
    pub lifetime: bool,
}

/// Default timeouts worth naming. The idle experiment's snippets (`idle::snippets`)
/// hold what to change in each system, keyed by these seconds.
pub const KNOWN_TIMEOUTS: &[KnownTimeout] = &[
    KnownTimeout {
        seconds: 30,
        who: "the Google Cloud load balancer's backend service timeout",
        lifetime: true,
    },
    KnownTimeout {
        seconds: 55,
        who: "the Heroku router",
        lifetime: false,
    },
    KnownTimeout {
        seconds: 60,
        who: "nginx proxy_read_timeout and AWS ALB",
        lifetime: false,
    },
    KnownTimeout {
        seconds: 100,
        who: "Cloudflare",
        lifetime: false,
    },
    KnownTimeout {
        seconds: 300,
        who: "Azure Front Door",
        lifetime: false,
    },
    KnownTimeout {
        seconds: 600,
        who: "AWS API Gateway",
        lifetime: false,
    },
];

/// What the companion server saw of the same connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSide {
    /// Who closed it, as the server saw it.
    pub by: ClosedBy,
    /// The code in the close frame the server saw or sent, if any.
    pub code: Option<u16>,
}

/// A close and what surrounded it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CloseContext {
    /// The close code the browser reported.
    pub code: u16,
    /// The close reason.
    pub reason: String,
    /// Whether the closing handshake completed.
    pub was_clean: bool,
    /// Whether the connection ever opened.
    pub opened: bool,
    /// How long it was open.
    pub open_for: Option<Millis>,
    /// Time from the last traffic either way to the close.
    pub silent_for: Option<Millis>,
    /// Whether the page was hidden at some point while the connection was open.
    pub hidden_while_open: bool,
    /// Whether the browser reported `offline` while the connection was open.
    pub went_offline: bool,
    /// A jump of the wall clock against the monotonic clock (the machine slept).
    pub clock_jump: Option<Millis>,
    /// The largest message the page sent.
    pub largest_sent_bytes: Option<usize>,
    /// The last message the page sent before the close.
    pub last_sent: Option<LastSend>,
    /// Whether the page is https and the target ws:// (mixed content).
    pub mixed_content: bool,
    /// What the companion server saw, when it was the target.
    pub server: Option<ServerSide>,
    /// What an application-protocol profile saw (Socket.IO, graphql-ws), when one was in
    /// force.
    pub protocol: Option<Box<ProtocolFacts>>,
}

/// The last message the page sent before a close.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LastSend {
    /// Its size in bytes.
    pub bytes: usize,
    /// How long before the close it was sent.
    pub before_close: Millis,
}

/// A message at least this large, sent shortly before a drop, is a suspect: size limits
/// in servers and proxies start here (AWS API Gateway: 128 KB; Python `websockets` and
/// wsdoctor-server: 1 MiB).
pub const LARGE_MESSAGE_BYTES: usize = 64 * 1024;
/// "Shortly before": the close came within this long of the large send.
pub const LARGE_SEND_WINDOW_MS: Millis = 5_000.0;

/// What a finding says, as a stable name for automation (the page's `data-kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingKind {
    /// 1001: the server went away, or the page was leaving.
    GoingAway,
    /// 1009: a message was larger than the other side accepts.
    MessageTooBig,
    /// 1008: refused for authorisation or policy.
    PolicyRefusal,
    /// 1011: the server's internal error.
    ServerError,
    /// 1012: the server is restarting.
    Restarting,
    /// 1013: overloaded, come back later.
    TryAgainLater,
    /// A code some systems use to refuse a client.
    ApplicationRefusal,
    /// What the code means in general.
    CodeMeaning,
    /// 1006 before the connection opened.
    FailedBeforeOpen,
    /// 1006 shortly after a large message was sent.
    CutAfterLargeMessage,
    /// 1006 after the browser went offline.
    WentOffline,
    /// 1006 after the device slept (a clock jump).
    DeviceSlept,
    /// 1006 with the page hidden while connected.
    HiddenWhileOpen,
    /// 1006 after silence as long as a known idle timeout.
    IdleCut,
    /// 1006 after a known maximum lifetime.
    LifetimeCut,
    /// 1006 and the server saw no close frame either.
    CutInBetween,
    /// A protocol's own heartbeat went unanswered (Socket.IO's ping timeout).
    ProtocolPingTimeout,
    /// A protocol's opening exchange did not happen in time (graphql-ws 4408, Socket.IO's
    /// connect timeout).
    ProtocolInitTimeout,
    /// The server ended the protocol's session on purpose (Socket.IO "io server disconnect").
    ProtocolServerDisconnect,
    /// The protocol's server refused the client (a namespace, a subprotocol, credentials).
    ProtocolRefusal,
    /// Another close a protocol profile explains.
    ProtocolClose,
}

impl FindingKind {
    /// Its name in snake case (`idle_cut`, `failed_before_open`, ...).
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::GoingAway => "going_away",
            FindingKind::MessageTooBig => "message_too_big",
            FindingKind::PolicyRefusal => "policy_refusal",
            FindingKind::ServerError => "server_error",
            FindingKind::Restarting => "restarting",
            FindingKind::TryAgainLater => "try_again_later",
            FindingKind::ApplicationRefusal => "application_refusal",
            FindingKind::CodeMeaning => "code_meaning",
            FindingKind::FailedBeforeOpen => "failed_before_open",
            FindingKind::CutAfterLargeMessage => "cut_after_large_message",
            FindingKind::WentOffline => "went_offline",
            FindingKind::DeviceSlept => "device_slept",
            FindingKind::HiddenWhileOpen => "hidden_while_open",
            FindingKind::IdleCut => "idle_cut",
            FindingKind::LifetimeCut => "lifetime_cut",
            FindingKind::CutInBetween => "cut_in_between",
            FindingKind::ProtocolPingTimeout => "protocol_ping_timeout",
            FindingKind::ProtocolInitTimeout => "protocol_init_timeout",
            FindingKind::ProtocolServerDisconnect => "protocol_server_disconnect",
            FindingKind::ProtocolRefusal => "protocol_refusal",
            FindingKind::ProtocolClose => "protocol_close",
        }
    }
}

/// One explanation of a close.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// What it says, as a name.
    pub kind: FindingKind,
    /// The explanation, in one sentence.
    pub title: String,
    /// How sure it is.
    pub confidence: Confidence,
    /// The facts it rests on.
    pub evidence: Vec<String>,
    /// What to do.
    pub advice: Vec<String>,
    /// Configuration to copy for the system the evidence names (empty for most).
    pub snippets: Vec<Snippet>,
}

fn seconds(ms: Millis) -> f64 {
    ms / 1000.0
}

/// The known idle timeout closest to `silent_for`, if one is near enough (within 10 %
/// or 2 s, and not clearly before it: a timeout cannot fire early).
pub fn matching_timeout(silent_for: Millis) -> Option<KnownTimeout> {
    nearest_known(silent_for, false)
}

/// The known maximum lifetime closest to `open_for`, by the same rule.
pub fn matching_lifetime(open_for: Millis) -> Option<KnownTimeout> {
    nearest_known(open_for, true)
}

fn nearest_known(elapsed: Millis, lifetime: bool) -> Option<KnownTimeout> {
    let distance = |known: &KnownTimeout| (elapsed - f64::from(known.seconds) * 1000.0).abs();
    KNOWN_TIMEOUTS
        .iter()
        .copied()
        .filter(|known| known.lifetime == lifetime)
        .filter(|known| {
            let expected = f64::from(known.seconds) * 1000.0;
            distance(known) <= (expected * 0.1).max(2000.0) && elapsed >= expected - 2000.0
        })
        .min_by(|a, b| distance(a).total_cmp(&distance(b)))
}

/// The advice line that names the systems whose snippets come with a finding.
fn configuration_for(snippets: &[Snippet]) -> String {
    let names: Vec<&str> = snippets.iter().map(|s| s.title.as_str()).collect();
    format!(
        "What to change in {}: the configuration with these numbers filled in.",
        names.join(", ")
    )
}

/// A heartbeat interval for an idle timeout of `timeout_ms`: at most half of it, at most 25 s.
pub fn heartbeat_for(timeout_ms: Millis) -> u64 {
    ((timeout_ms / 2.0) as u64).clamp(1_000, 25_000)
}

/// The findings for `context`, most confident first.
pub fn diagnose(context: &CloseContext) -> Vec<Finding> {
    let mut findings = Vec::new();
    let code = context.code;
    if let Some(protocol) = &context.protocol {
        findings.extend(crate::profile::closes::finding(
            protocol,
            code,
            &context.reason,
        ));
    }
    if code == 1006 {
        abnormal(context, &mut findings);
    }
    match code {
        1001 => findings.push(Finding {
            kind: FindingKind::GoingAway,
            title: "The server went away (restart or deploy), or the page was leaving.".into(),
            confidence: Confidence::Medium,
            evidence: vec![format!("code 1001, reason \"{}\"", context.reason)],
            advice: vec!["Reconnect with backoff and jitter; a restart is normal and should be invisible to users.".into()],
            snippets: Vec::new(),
        }),
        1009 => {
            let mut evidence = vec!["code 1009 Message Too Big".to_string()];
            if let Some(bytes) = context.largest_sent_bytes {
                evidence.push(format!("the largest message sent was {bytes} bytes"));
            }
            findings.push(Finding {
            kind: FindingKind::MessageTooBig,
                title: "A message was larger than the other side accepts.".into(),
                confidence: Confidence::High,
                evidence,
                advice: vec![
                    "Split or compress large messages, or raise the server's limit.".into(),
                    "Do not resend the same message after reconnecting.".into(),
                ],
                snippets: Vec::new(),
            });
        }
        1008 => findings.push(Finding {
            kind: FindingKind::PolicyRefusal,
            title: "The server refused the connection: authorisation or policy.".into(),
            confidence: Confidence::High,
            evidence: vec![format!("code {code}, reason \"{}\"", context.reason)],
            advice: vec![
                "Refresh the credentials (token, cookie) or fix what the reason names, then connect again.".into(),
                "Do not retry automatically: the same request will be refused again.".into(),
            ],
            snippets: Vec::new(),
        }),
        1011 => findings.push(Finding {
            kind: FindingKind::ServerError,
            title: "The server hit an internal error.".into(),
            confidence: Confidence::High,
            evidence: vec![format!("code 1011, reason \"{}\"", context.reason)],
            advice: vec!["Look at the server's logs at the time of the close.".into()],
            snippets: Vec::new(),
        }),
        1012 | 1013 => findings.push(Finding {
            kind: if code == 1012 { FindingKind::Restarting } else { FindingKind::TryAgainLater },
            title: if code == 1012 {
                "The server is restarting.".into()
            } else {
                "The server is overloaded or at a limit and asked to come back later.".into()
            },
            confidence: Confidence::High,
            evidence: vec![format!("code {code}, reason \"{}\"", context.reason)],
            advice: vec!["Back off with jitter before reconnecting, so clients do not return all at once.".into()],
            snippets: Vec::new(),
        }),
        _ => {}
    }
    let system = context.protocol.as_ref().and_then(|p| p.kind.system());
    let info = close_code::info_in(system, code);
    let refusals: Vec<String> = info
        .known
        .iter()
        .filter(|known| known.refusal)
        .map(|known| format!("{} {} \"{}\"", known.system.name(), code, known.name))
        .collect();
    if !refusals.is_empty() {
        findings.push(Finding {
            kind: FindingKind::ApplicationRefusal,
            title: format!(
                "Code {code} is the application's own; some systems use it to refuse a client (authorisation or policy): {}.",
                refusals.join(", ")
            ),
            confidence: Confidence::Medium,
            evidence: vec![format!("code {code}, reason \"{}\"", context.reason)],
            advice: vec![
                "If the server is one of these: refresh the credentials or fix what the reason names, then connect again; retrying alone will be refused again.".into(),
                "Otherwise the application's documentation says what it means.".into(),
            ],
            snippets: Vec::new(),
        });
    }
    let mut advice = vec![info.advice.clone()];
    if !info.causes.is_empty() {
        advice.push(format!("Common causes: {}.", info.causes.join("; ")));
    }
    for known in &info.known {
        advice.push(format!(
            "If this is {}: {} \"{}\", {} {}",
            known.system.name(),
            code,
            known.name,
            lowercase_first(&known.meaning),
            known.advice
        ));
    }
    findings.push(Finding {
        kind: FindingKind::CodeMeaning,
        title: format!("{code} {}: {}", info.name, info.meaning),
        confidence: Confidence::Low,
        evidence: vec![format!(
            "code {code}, reason \"{}\", wasClean {}",
            context.reason, context.was_clean
        )],
        advice,
        snippets: Vec::new(),
    });
    findings.sort_by_key(|f| std::cmp::Reverse(f.confidence));
    findings
}

/// `text` with its first letter in lower case (to follow a colon).
pub(crate) fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

fn abnormal(context: &CloseContext, findings: &mut Vec<Finding>) {
    if !context.opened {
        let mut advice = vec![
            "A browser reports every failure before the open as the same bare 1006, on purpose. The causes: the name did not resolve (DNS); nothing listens on the port (refused); TLS failed (certificate, SNI, protocol); the server answered without upgrading (HTTP 404, 401, 403, 500, 502, or a 301/302 redirect, which WebSockets never follow); it answered 101 without a valid Sec-WebSocket-Accept; it picked a subprotocol that was not offered, or none of those offered.".into(),
            "To tell them apart: the browser's DevTools, Network tab, filter WS, shows the request's status and response headers, and the Console shows the browser's own reason (e.g. \"Unexpected response code: 500\").".into(),
            "Or by hand: curl -i -N -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' https://HOST/PATH (the same host and path, https for wss): a working server answers 101 Switching Protocols with Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=.".into(),
            "Check the path and that the server is running and reachable from this network (a proxy may block WebSockets).".into(),
        ];
        if context.mixed_content {
            advice.insert(0, crate::target::TargetError::MixedContent.to_string());
        }
        findings.push(Finding {
            kind: FindingKind::FailedBeforeOpen,
            title: "The connection failed before it opened: the browser does not say why.".into(),
            confidence: Confidence::High,
            evidence: vec!["code 1006 and the connection never opened".into()],
            advice,
            snippets: Vec::new(),
        });
        return;
    }
    if let Some(sent) = context
        .last_sent
        .filter(|s| s.bytes >= LARGE_MESSAGE_BYTES && s.before_close <= LARGE_SEND_WINDOW_MS)
    {
        findings.push(Finding {
            kind: FindingKind::CutAfterLargeMessage,
            title: format!(
                "The connection dropped {:.1} s after the page sent a {} KiB message: a size limit in the server or a proxy likely cut it.",
                seconds(sent.before_close),
                sent.bytes / 1024
            ),
            confidence: Confidence::High,
            evidence: vec![
                format!("the last message sent was {} bytes", sent.bytes),
                format!("code 1006 {:.1} s later (no close frame reached the page)", seconds(sent.before_close)),
            ],
            advice: vec![
                "Find the largest message the path takes and stay under it: split large messages, or raise the limit (Python websockets max_size, 1 MiB by default; Node ws maxPayload; AWS API Gateway: 128 KB per frame, fixed).".into(),
                "A server that answers 1009 Message Too Big but stops reading shows as 1006 when the rest of the message resets the connection.".into(),
            ],
            snippets: Vec::new(),
        });
        return;
    }
    if context.went_offline {
        findings.push(Finding {
            kind: FindingKind::WentOffline,
            title: "The network went away while the connection was open.".into(),
            confidence: Confidence::High,
            evidence: vec!["the browser reported offline".into(), "code 1006 (no close frame)".into()],
            advice: vec!["Reconnect when the browser reports online again; nothing on the server is at fault.".into()],
            snippets: Vec::new(),
        });
    }
    if let Some(jump) = context.clock_jump {
        findings.push(Finding {
            kind: FindingKind::DeviceSlept,
            title: format!("The device slept for about {:.0} s; the connection did not survive it.", seconds(jump)),
            confidence: Confidence::High,
            evidence: vec![format!("the wall clock jumped {:.0} s ahead of the page's clock", seconds(jump))],
            advice: vec!["Reconnect on wake (pageshow, visibilitychange, online) instead of waiting for a timeout.".into()],
            snippets: Vec::new(),
        });
    }
    if context.hidden_while_open && context.clock_jump.is_none() {
        findings.push(Finding {
            kind: FindingKind::HiddenWhileOpen,
            title: "The page was hidden while connected: mobile browsers drop background sockets, and hidden tabs delay heartbeats.".into(),
            confidence: Confidence::Medium,
            evidence: vec!["the page was hidden while the connection was open".into()],
            advice: vec!["Send heartbeats from the server (browsers answer pings even when hidden) and reconnect on visibilitychange.".into()],
            snippets: Vec::new(),
        });
    }
    let server_saw_no_close = context
        .server
        .as_ref()
        .is_some_and(|s| s.by == ClosedBy::None);
    if let Some(silent) = context.silent_for
        && let Some(known) = matching_timeout(silent)
    {
        let heartbeat = heartbeat_for(f64::from(known.seconds) * 1000.0);
        let mut evidence = vec![
            format!("code 1006 after {:.1} s without traffic", seconds(silent)),
            format!("{} s is the default of {}", known.seconds, known.who),
        ];
        if server_saw_no_close {
            evidence
                .push("the server saw no close frame either: something in between cut it".into());
        }
        let snippets = snippets_for_known_timeout(known, silent);
        findings.push(Finding {
            kind: FindingKind::IdleCut,
            title: format!(
                "An intermediary cut the idle connection after about {} s (the default of {}).",
                known.seconds, known.who
            ),
            confidence: if server_saw_no_close || !context.hidden_while_open {
                Confidence::High
            } else {
                Confidence::Medium
            },
            evidence,
            advice: vec![
                format!("Send a heartbeat every {} s (server pings are best: browsers answer them by themselves).", heartbeat / 1000),
                configuration_for(&snippets),
            ],
            snippets,
        });
        return;
    }
    if let Some(open) = context.open_for
        && let Some(known) = matching_lifetime(open)
    {
        let snippets = snippets_for_known_timeout(known, open);
        findings.push(Finding {
            kind: FindingKind::LifetimeCut,
            title: format!(
                "An intermediary ended the connection after about {} s open, busy or not: a maximum lifetime (the default of {}).",
                known.seconds, known.who
            ),
            confidence: Confidence::Medium,
            evidence: vec![
                format!("code 1006 after {:.1} s open", seconds(open)),
                format!("{} s is the default of {}", known.seconds, known.who),
            ],
            advice: vec![
                "Heartbeats do not help against a lifetime limit: raise it, or reconnect (with backoff and jitter) when it is reached.".into(),
                configuration_for(&snippets),
            ],
            snippets,
        });
        return;
    }
    if server_saw_no_close {
        findings.push(Finding {
            kind: FindingKind::CutInBetween,
            title: "Something between the browser and the server cut the connection: neither side sent a close frame.".into(),
            confidence: Confidence::Medium,
            evidence: vec!["code 1006 in the browser".into(), "the server saw no close frame".into()],
            advice: vec!["Run the idle-timeout experiment to see whether a proxy cuts idle connections.".into()],
            snippets: Vec::new(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top(context: CloseContext) -> Finding {
        diagnose(&context)
            .into_iter()
            .next()
            .expect("at least one finding")
    }

    #[test]
    fn table_of_situations_and_their_top_finding() {
        let cases: Vec<(&str, CloseContext, FindingKind, &str, Confidence)> = vec![
            (
                "failed before open",
                CloseContext {
                    code: 1006,
                    ..Default::default()
                },
                FindingKind::FailedBeforeOpen,
                "failed before it opened",
                Confidence::High,
            ),
            (
                "nginx idle cut",
                CloseContext {
                    code: 1006,
                    opened: true,
                    silent_for: Some(60_100.0),
                    open_for: Some(60_200.0),
                    server: Some(ServerSide {
                        by: ClosedBy::None,
                        code: None,
                    }),
                    ..Default::default()
                },
                FindingKind::IdleCut,
                "after about 60 s (the default of nginx proxy_read_timeout and AWS ALB)",
                Confidence::High,
            ),
            (
                "cloudflare idle cut",
                CloseContext {
                    code: 1006,
                    opened: true,
                    silent_for: Some(100_400.0),
                    ..Default::default()
                },
                FindingKind::IdleCut,
                "about 100 s (the default of Cloudflare)",
                Confidence::High,
            ),
            (
                "heroku idle cut",
                CloseContext {
                    code: 1006,
                    opened: true,
                    silent_for: Some(55_050.0),
                    ..Default::default()
                },
                FindingKind::IdleCut,
                "about 55 s",
                Confidence::High,
            ),
            (
                "api gateway idle cut",
                CloseContext {
                    code: 1006,
                    opened: true,
                    silent_for: Some(600_500.0),
                    ..Default::default()
                },
                FindingKind::IdleCut,
                "AWS API Gateway",
                Confidence::High,
            ),
            (
                "offline",
                CloseContext {
                    code: 1006,
                    opened: true,
                    went_offline: true,
                    silent_for: Some(3_000.0),
                    ..Default::default()
                },
                FindingKind::WentOffline,
                "network went away",
                Confidence::High,
            ),
            (
                "slept",
                CloseContext {
                    code: 1006,
                    opened: true,
                    clock_jump: Some(420_000.0),
                    ..Default::default()
                },
                FindingKind::DeviceSlept,
                "slept for about 420 s",
                Confidence::High,
            ),
            (
                "server restart",
                CloseContext {
                    code: 1001,
                    opened: true,
                    reason: "the server is stopping".into(),
                    ..Default::default()
                },
                FindingKind::GoingAway,
                "went away",
                Confidence::Medium,
            ),
            (
                "too big",
                CloseContext {
                    code: 1009,
                    opened: true,
                    largest_sent_bytes: Some(2_000_000),
                    ..Default::default()
                },
                FindingKind::MessageTooBig,
                "larger than the other side accepts",
                Confidence::High,
            ),
            (
                "policy",
                CloseContext {
                    code: 1008,
                    opened: true,
                    reason: "token expired".into(),
                    ..Default::default()
                },
                FindingKind::PolicyRefusal,
                "authorisation or policy",
                Confidence::High,
            ),
            (
                "graphql forbidden, or any application's 4403",
                CloseContext {
                    code: 4403,
                    opened: true,
                    ..Default::default()
                },
                FindingKind::ApplicationRefusal,
                "application's own; some systems use it to refuse a client",
                Confidence::Medium,
            ),
            (
                "internal error",
                CloseContext {
                    code: 1011,
                    opened: true,
                    ..Default::default()
                },
                FindingKind::ServerError,
                "internal error",
                Confidence::High,
            ),
            (
                "restart 1012",
                CloseContext {
                    code: 1012,
                    opened: true,
                    ..Default::default()
                },
                FindingKind::Restarting,
                "restarting",
                Confidence::High,
            ),
            (
                "overloaded 1013",
                CloseContext {
                    code: 1013,
                    opened: true,
                    ..Default::default()
                },
                FindingKind::TryAgainLater,
                "overloaded",
                Confidence::High,
            ),
            (
                "cut, no known timeout, server saw no close",
                CloseContext {
                    code: 1006,
                    opened: true,
                    silent_for: Some(12_000.0),
                    server: Some(ServerSide {
                        by: ClosedBy::None,
                        code: None,
                    }),
                    ..Default::default()
                },
                FindingKind::CutInBetween,
                "neither side sent a close frame",
                Confidence::Medium,
            ),
            (
                "a private code",
                CloseContext {
                    code: 4321,
                    opened: true,
                    ..Default::default()
                },
                FindingKind::CodeMeaning,
                "4321 Private",
                Confidence::Low,
            ),
        ];
        for (name, context, kind, wanted, confidence) in cases {
            let finding = top(context);
            assert_eq!(finding.kind, kind, "{name}: {}", finding.title);
            assert!(finding.title.contains(wanted), "{name}: {}", finding.title);
            assert_eq!(finding.confidence, confidence, "{name}");
            assert!(
                !finding.evidence.is_empty() && !finding.advice.is_empty(),
                "{name}"
            );
        }
    }

    #[test]
    fn failure_before_open_on_an_https_page_to_ws_says_use_wss_first() {
        let finding = top(CloseContext {
            code: 1006,
            mixed_content: true,
            ..Default::default()
        });
        assert!(
            finding.advice[0].contains("use wss://"),
            "{:?}",
            finding.advice
        );
    }

    #[test]
    fn a_failure_before_open_lists_its_causes_and_how_to_tell_them_apart() {
        let findings = diagnose(&CloseContext {
            code: 1006,
            ..Default::default()
        });
        let advice = findings[0].advice.join(" ");
        for cause in [
            "DNS",
            "refused",
            "TLS",
            "500",
            "302",
            "Sec-WebSocket-Accept",
            "subprotocol",
            "DevTools",
            "curl -i",
        ] {
            assert!(advice.contains(cause), "{cause}: {advice}");
        }
    }

    #[test]
    fn a_drop_right_after_a_large_send_cites_it_instead_of_heartbeats() {
        let findings = diagnose(&CloseContext {
            code: 1006,
            opened: true,
            open_for: Some(62_000.0),
            silent_for: Some(300.0),
            largest_sent_bytes: Some(4 << 20),
            last_sent: Some(LastSend {
                bytes: 4 << 20,
                before_close: 300.0,
            }),
            ..Default::default()
        });
        assert!(
            findings[0]
                .title
                .contains("after the page sent a 4096 KiB message"),
            "{findings:#?}"
        );
        // Only the catalogue's general entry (always last) may speak of heartbeats.
        let specific = format!("{:?}", &findings[..findings.len() - 1]);
        assert!(!specific.to_lowercase().contains("heartbeat"), "{specific}");

        // A small message, or one long before the drop, is not blamed.
        for last in [
            LastSend {
                bytes: 100,
                before_close: 300.0,
            },
            LastSend {
                bytes: 4 << 20,
                before_close: 60_000.0,
            },
        ] {
            let findings = diagnose(&CloseContext {
                code: 1006,
                opened: true,
                last_sent: Some(last),
                ..Default::default()
            });
            assert!(
                !findings[0].title.contains("after the page sent"),
                "{findings:#?}"
            );
        }
    }

    #[test]
    fn a_private_code_is_never_explained_as_one_systems_without_an_if() {
        for code in [4000, 4001, 4002, 4003, 4004, 4005] {
            let findings = diagnose(&CloseContext {
                code,
                opened: true,
                was_clean: true,
                ..Default::default()
            });
            for finding in &findings {
                assert!(
                    !finding.title.starts_with("Discord"),
                    "{code}: {findings:#?}"
                );
            }
            let general = findings.last().unwrap();
            assert!(
                general.title.contains("Private (application-defined)"),
                "{general:#?}"
            );
            assert!(
                general
                    .advice
                    .iter()
                    .any(|a| a.starts_with("If this is Discord gateway:")),
                "{general:#?}"
            );
        }
        let auth = diagnose(&CloseContext {
            code: 4004,
            opened: true,
            ..Default::default()
        });
        assert!(
            auth[0]
                .title
                .contains("Discord gateway 4004 \"Authentication failed\""),
            "{auth:#?}"
        );
    }

    #[test]
    fn idle_cut_advice_names_a_heartbeat_at_most_half_the_timeout() {
        let finding = top(CloseContext {
            code: 1006,
            opened: true,
            silent_for: Some(55_200.0),
            ..Default::default()
        });
        assert!(finding.title.contains("55 s"), "{}", finding.title);
        assert!(
            finding.advice[0].contains("every 25 s"),
            "{:?}",
            finding.advice
        );
        assert_eq!(heartbeat_for(60_000.0), 25_000);
        assert_eq!(heartbeat_for(30_000.0), 15_000);
        assert_eq!(heartbeat_for(3_000.0), 1_500);
    }

    #[test]
    fn a_cut_at_a_known_default_advises_the_system_it_matched_and_no_other() {
        let cases: [(Millis, &[&str]); 5] = [
            (55_100.0, &["Heroku"]),
            (
                60_300.0,
                &["nginx", "AWS Application Load Balancer", "Apache httpd"],
            ),
            (100_400.0, &["Cloudflare"]),
            (300_900.0, &["Azure Front Door"]),
            (600_500.0, &["AWS API Gateway"]),
        ];
        for (silent, systems) in cases {
            let finding = top(CloseContext {
                code: 1006,
                opened: true,
                silent_for: Some(silent),
                open_for: Some(silent + 500.0),
                ..Default::default()
            });
            let titles: Vec<&str> = finding.snippets.iter().map(|s| s.title.as_str()).collect();
            assert_eq!(titles, systems, "{silent}: {finding:#?}");
            let advice = finding.advice.join(" ");
            for system in systems {
                assert!(advice.contains(system), "{silent}: {advice}");
            }
            if !systems.contains(&"nginx") {
                assert!(
                    !advice.contains("nginx") && !advice.contains("ALB"),
                    "{advice}"
                );
            }
            let seconds = format!("~{} s", (silent / 1000.0).round());
            assert!(
                finding.snippets.iter().all(|s| s.code.contains(&seconds)),
                "{seconds}: {finding:#?}"
            );
        }
    }

    #[test]
    fn a_cut_at_the_google_cloud_lifetime_busy_or_not_advises_raising_it_not_heartbeats() {
        let finding = top(CloseContext {
            code: 1006,
            opened: true,
            open_for: Some(30_300.0),
            silent_for: Some(400.0),
            ..Default::default()
        });
        assert!(finding.title.contains("maximum lifetime"), "{finding:#?}");
        assert!(
            finding.advice[0].contains("Heartbeats do not help"),
            "{finding:#?}"
        );
        assert_eq!(finding.snippets.len(), 1, "{finding:#?}");
        assert!(finding.snippets[0].code.contains("--timeout=3600"));
        // 30 s of silence alone is not an idle timeout anyone is known for.
        assert_eq!(matching_timeout(30_200.0), None);
    }

    #[test]
    fn silence_far_from_any_default_is_not_blamed_on_one() {
        assert_eq!(matching_timeout(45_000.0), None);
        assert_eq!(matching_timeout(58_500.0).map(|k| k.seconds), Some(60));
        assert_eq!(matching_timeout(10_000.0), None);
    }

    #[test]
    fn the_catalogue_entry_is_always_there_and_last() {
        let findings = diagnose(&CloseContext {
            code: 1006,
            ..Default::default()
        });
        assert!(
            findings
                .last()
                .unwrap()
                .title
                .starts_with("1006 Abnormal Closure")
        );
        let findings = diagnose(&CloseContext {
            code: 1000,
            was_clean: true,
            opened: true,
            ..Default::default()
        });
        assert_eq!(findings.len(), 1);
        assert!(findings[0].title.starts_with("1000 Normal Closure"));
    }
}
