//! The handshake check: several opens in a row to the target, each timed from the
//! constructor to `open`; what the server negotiated (subprotocol, extensions); and, with
//! wsdoctor-server's companion, what it saw of the upgrade (the client address, `Origin`,
//! headers an intermediary added, the extensions this browser offered). A failure is put
//! in its class: an invalid URL or mixed content (refused before any socket), a failure
//! before open (the browser hides DNS, refusal, TLS and non-101 answers alike), or no
//! answer within the connect timeout.
//!
//! Pure: the session feeds in socket events and timers and carries out the commands.

use serde::{Deserialize, Serialize};

use crate::Millis;
use crate::diagnosis::{CloseContext, diagnose};
use crate::idle::CompanionMode;
use crate::protocol::{ClientMessage, HandshakeView, ServerMessage, offered_subprotocols};
use crate::target::{TargetError, check_target};

/// What the user chose.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HandshakeSettings {
    /// How many opens, one after another.
    pub opens: usize,
    /// How long one open may take.
    pub connect_timeout_ms: u64,
    /// The user's subprotocols.
    pub subprotocols: Vec<String>,
    /// Whether to offer `wsdoctor.v1` (to learn what the server saw).
    pub companion: CompanionMode,
}

impl Default for HandshakeSettings {
    fn default() -> Self {
        HandshakeSettings {
            opens: 5,
            connect_timeout_ms: 10_000,
            subprotocols: Vec::new(),
            companion: CompanionMode::Auto,
        }
    }
}

/// How one open ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum OpenOutcome {
    /// It opened after `latency_ms`.
    Opened {
        /// From the constructor to `open`, ms.
        latency_ms: u64,
    },
    /// It closed before opening (the browser does not say why).
    FailedBeforeOpen {
        /// The code the browser reported (1006).
        code: u16,
    },
    /// No answer within the connect timeout.
    TimedOut,
}

/// Why the check could not open at all, in classes a user can act on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Failure {
    /// The URL is not a WebSocket URL (the sentence says what to fix).
    InvalidUrl {
        /// The target check's sentence.
        why: String,
    },
    /// An https page may not open ws://.
    MixedContent,
    /// Every open failed before opening.
    FailedBeforeOpen,
    /// Every open went unanswered.
    NoAnswer,
}

/// The check's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HandshakeResult {
    /// Each open, in order.
    pub opens: Vec<OpenOutcome>,
    /// The fastest, median and slowest open, ms (over those that opened).
    pub latency_ms: Option<(u64, u64, u64)>,
    /// The subprotocol the server picked (empty: none).
    pub protocol: String,
    /// The extensions the server accepted (empty: none).
    pub extensions: String,
    /// What the companion saw of the upgrade.
    pub server_saw: Option<HandshakeView>,
    /// This browser offered compression but the companion received no offer: something
    /// in between removed `Sec-WebSocket-Extensions`.
    pub compression_stripped: Option<bool>,
    /// Why nothing opened, if nothing did.
    pub failure: Option<Failure>,
}

/// The check's commands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Open attempt `n`.
    Open {
        /// Which attempt.
        n: usize,
        /// The target.
        url: String,
        /// The subprotocols to offer.
        protocols: Vec<String>,
    },
    /// Send text on attempt `n`.
    Send {
        /// Which attempt.
        n: usize,
        /// The text.
        text: String,
    },
    /// Close attempt `n`.
    Close {
        /// Which attempt.
        n: usize,
    },
    /// Start attempt `n`'s connect timeout.
    StartTimeout {
        /// Which attempt.
        n: usize,
        /// After how long.
        after_ms: u64,
    },
    /// Cancel attempt `n`'s timeout.
    CancelTimeout {
        /// Which attempt.
        n: usize,
    },
    /// The result is ready.
    Finished,
}

/// What happens.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// Start against `url` from a page that is https or not.
    Start {
        /// The target.
        url: String,
        /// Whether the page is https (ws:// is then mixed content).
        page_is_https: bool,
    },
    /// Attempt `n` opened.
    Opened {
        /// Which attempt.
        n: usize,
        /// The subprotocol picked.
        protocol: String,
        /// The extensions accepted.
        extensions: String,
    },
    /// A message on attempt `n`.
    Message {
        /// Which attempt.
        n: usize,
        /// Its text (`None`: binary).
        text: Option<String>,
    },
    /// Attempt `n` closed.
    Closed {
        /// Which attempt.
        n: usize,
        /// The code.
        code: u16,
    },
    /// Attempt `n`'s connect timeout fired.
    TimedOut {
        /// Which attempt.
        n: usize,
    },
}

/// The check.
#[derive(Clone, Debug)]
pub struct HandshakeCheck {
    settings: HandshakeSettings,
    url: String,
    current: usize,
    started_at: Millis,
    awaiting_welcome: bool,
    offering: bool,
    opens: Vec<OpenOutcome>,
    protocol: String,
    extensions: String,
    server_saw: Option<HandshakeView>,
    result: Option<HandshakeResult>,
}

impl HandshakeCheck {
    /// A check with `settings` (at least one open).
    pub fn new(settings: HandshakeSettings) -> HandshakeCheck {
        HandshakeCheck {
            settings,
            url: String::new(),
            current: 0,
            started_at: 0.0,
            awaiting_welcome: false,
            offering: false,
            opens: Vec::new(),
            protocol: String::new(),
            extensions: String::new(),
            server_saw: None,
            result: None,
        }
    }

    /// The result, once done.
    pub fn result(&self) -> Option<&HandshakeResult> {
        self.result.as_ref()
    }

    /// Whether it is over.
    pub fn is_done(&self) -> bool {
        self.result.is_some()
    }

    /// How many opens are done, of how many.
    pub fn progress(&self) -> (usize, usize) {
        (self.opens.len(), self.settings.opens.max(1))
    }

    /// Handles one input at `now`.
    pub fn handle(&mut self, now: Millis, input: Input) -> Vec<Command> {
        let mut out = Vec::new();
        if self.result.is_some() {
            return out;
        }
        match input {
            Input::Start { url, page_is_https } => match check_target(&url, page_is_https) {
                Err(TargetError::MixedContent) => {
                    self.finish(Some(Failure::MixedContent), &mut out)
                }
                Err(err) => self.finish(
                    Some(Failure::InvalidUrl {
                        why: err.to_string(),
                    }),
                    &mut out,
                ),
                Ok(_) => {
                    self.url = url.trim().to_string();
                    self.offering = self.settings.companion != CompanionMode::Off;
                    self.open(now, &mut out);
                }
            },
            Input::Opened {
                n,
                protocol,
                extensions,
            } if n == self.current => {
                out.push(Command::CancelTimeout { n });
                let latency_ms = (now - self.started_at).max(0.0) as u64;
                self.opens.push(OpenOutcome::Opened { latency_ms });
                self.protocol = protocol.clone();
                self.extensions = extensions;
                if self.server_saw.is_none() && protocol == crate::COMPANION_SUBPROTOCOL {
                    self.awaiting_welcome = true;
                    if let Ok(text) = serde_json::to_string(&ClientMessage::Hello { session: None })
                    {
                        out.push(Command::Send { n, text });
                    }
                } else {
                    self.next(now, &mut out);
                }
            }
            Input::Message { n, text } if n == self.current && self.awaiting_welcome => {
                self.awaiting_welcome = false;
                if let Some(ServerMessage::Welcome { handshake, .. }) =
                    text.and_then(|t| serde_json::from_str(&t).ok())
                {
                    self.server_saw = Some(handshake);
                }
                self.next(now, &mut out);
            }
            Input::Closed { n, code } if n == self.current => {
                out.push(Command::CancelTimeout { n });
                if self.opens.len() == n {
                    if self.offering && self.settings.companion == CompanionMode::Auto && n == 0 {
                        // A handshake that failed while wsdoctor.v1 was offered: again without.
                        self.offering = false;
                        return {
                            self.open(now, &mut out);
                            out
                        };
                    }
                    self.opens.push(OpenOutcome::FailedBeforeOpen { code });
                    self.next(now, &mut out);
                } else if self.awaiting_welcome {
                    self.awaiting_welcome = false;
                    self.next(now, &mut out);
                }
            }
            Input::TimedOut { n } if n == self.current && self.opens.len() == n => {
                out.push(Command::Close { n });
                self.opens.push(OpenOutcome::TimedOut);
                self.next(now, &mut out);
            }
            _ => {}
        }
        out
    }

    fn open(&mut self, now: Millis, out: &mut Vec<Command>) {
        self.started_at = now;
        out.push(Command::Open {
            n: self.current,
            url: self.url.clone(),
            protocols: offered_subprotocols(self.offering, &self.settings.subprotocols),
        });
        out.push(Command::StartTimeout {
            n: self.current,
            after_ms: self.settings.connect_timeout_ms,
        });
    }

    /// The current attempt is done: close it, and open the next or finish.
    fn next(&mut self, now: Millis, out: &mut Vec<Command>) {
        out.push(Command::Close { n: self.current });
        if self.opens.len() < self.settings.opens.max(1) {
            self.current = self.opens.len();
            // Later opens offer only what the first found to work.
            self.offering = self.offering && self.server_saw.is_some();
            self.open(now, out);
        } else {
            let failure = if self
                .opens
                .iter()
                .any(|o| matches!(o, OpenOutcome::Opened { .. }))
            {
                None
            } else if self.opens.iter().all(|o| *o == OpenOutcome::TimedOut) {
                Some(Failure::NoAnswer)
            } else {
                Some(Failure::FailedBeforeOpen)
            };
            self.finish(failure, out);
        }
    }

    fn finish(&mut self, failure: Option<Failure>, out: &mut Vec<Command>) {
        let mut latencies: Vec<u64> = self
            .opens
            .iter()
            .filter_map(|o| match o {
                OpenOutcome::Opened { latency_ms } => Some(*latency_ms),
                _ => None,
            })
            .collect();
        latencies.sort_unstable();
        let latency_ms = match (latencies.first(), latencies.last()) {
            (Some(min), Some(max)) => Some((*min, latencies[latencies.len() / 2], *max)),
            _ => None,
        };
        let compression_stripped = self
            .server_saw
            .as_ref()
            .map(|saw| saw.extensions_offered.is_empty());
        self.result = Some(HandshakeResult {
            opens: self.opens.clone(),
            latency_ms,
            protocol: self.protocol.clone(),
            extensions: self.extensions.clone(),
            server_saw: self.server_saw.clone(),
            compression_stripped,
            failure,
        });
        out.push(Command::Finished);
    }
}

impl Failure {
    /// The failure in sentences: what happened, then what to do. A failure before open and
    /// mixed content take the diagnosis's rule for a connection that never opened (the
    /// causes the browser hides and how to tell them apart; for mixed content, wss:// first).
    pub fn explained(&self) -> Vec<String> {
        let never_opened = |mixed_content| {
            diagnose(&CloseContext {
                code: 1006,
                mixed_content,
                ..CloseContext::default()
            })
            .into_iter()
            .next()
            .map(|finding| finding.advice)
            .unwrap_or_default()
        };
        match self {
            Failure::InvalidUrl { why } => vec![why.clone()],
            Failure::MixedContent => never_opened(true).into_iter().take(1).collect(),
            Failure::FailedBeforeOpen => {
                let mut lines =
                    vec!["Every open failed before the handshake completed.".to_string()];
                lines.extend(never_opened(false));
                lines
            }
            Failure::NoAnswer => vec![
                "No open was answered within the connect timeout: something silently drops the connection (a firewall, or a proxy that holds the upgrade).".into(),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Header;

    fn welcome(proxy_headers: Vec<Header>, offered: Vec<String>) -> String {
        let limits = crate::protocol::Limits::for_tests();
        serde_json::to_string(&ServerMessage::Welcome {
            session: "s".into(),
            conn: 1,
            server_time_ms: 0,
            limits,
            handshake: HandshakeView {
                client_addr: "127.0.0.1:5000".into(),
                origin: Some("http://127.0.0.1:8080".into()),
                user_agent: None,
                extensions_offered: offered,
                extensions_accepted: Vec::new(),
                proxy_headers,
            },
        })
        .unwrap()
    }

    /// Runs a check against a server that opens after `latencies[n]` ms (`None`: fails
    /// before open), answering the hello with `hello_answer` when it is the companion.
    fn run(
        settings: HandshakeSettings,
        latencies: &[Option<u64>],
        companion: Option<String>,
    ) -> (HandshakeResult, Vec<Command>) {
        let mut check = HandshakeCheck::new(settings);
        let mut now = 0.0;
        let mut log = Vec::new();
        let mut pending = check.handle(
            now,
            Input::Start {
                url: "wss://app.test/ws".into(),
                page_is_https: true,
            },
        );
        let mut attempt = 0;
        while let Some(command) = pending.first().cloned() {
            pending.remove(0);
            log.push(command.clone());
            let more = match command {
                Command::Open { n, protocols, .. } => {
                    let latency = latencies.get(attempt).copied().flatten();
                    attempt += 1;
                    match latency {
                        Some(ms) => {
                            now += ms as Millis;
                            let picked = companion.is_some()
                                && protocols.iter().any(|p| p == crate::COMPANION_SUBPROTOCOL);
                            check.handle(
                                now,
                                Input::Opened {
                                    n,
                                    protocol: if picked {
                                        "wsdoctor.v1".into()
                                    } else {
                                        String::new()
                                    },
                                    extensions: String::new(),
                                },
                            )
                        }
                        None => check.handle(now, Input::Closed { n, code: 1006 }),
                    }
                }
                Command::Send { n, .. } => check.handle(
                    now,
                    Input::Message {
                        n,
                        text: companion.clone(),
                    },
                ),
                _ => Vec::new(),
            };
            pending.extend(more);
        }
        (check.result().cloned().expect("done"), log)
    }

    #[test]
    fn five_opens_are_timed_and_the_companion_says_what_an_intermediary_added() {
        let headers = vec![Header {
            name: "via".into(),
            value: "1.1 corp-proxy".into(),
        }];
        let (result, _) = run(
            HandshakeSettings::default(),
            &[Some(40), Some(10), Some(30), Some(20), Some(50)],
            Some(welcome(
                headers,
                vec!["permessage-deflate; client_max_window_bits".into()],
            )),
        );
        assert_eq!(result.opens.len(), 5);
        assert_eq!(result.latency_ms, Some((10, 30, 50)));
        assert_eq!(result.failure, None);
        let saw = result.server_saw.expect("the companion said");
        assert_eq!(saw.proxy_headers[0].name, "via");
        assert_eq!(result.compression_stripped, Some(false));
    }

    #[test]
    fn an_empty_extension_offer_at_the_companion_means_compression_was_stripped() {
        let (result, _) = run(
            HandshakeSettings {
                opens: 1,
                ..HandshakeSettings::default()
            },
            &[Some(5)],
            Some(welcome(Vec::new(), Vec::new())),
        );
        assert_eq!(result.compression_stripped, Some(true));
    }

    #[test]
    fn a_server_that_fails_the_offer_is_tried_without_it_and_the_rest_follow() {
        let (result, log) = run(
            HandshakeSettings {
                opens: 2,
                ..HandshakeSettings::default()
            },
            &[None, Some(7), Some(9)],
            None,
        );
        assert_eq!(
            result.opens,
            [
                OpenOutcome::Opened { latency_ms: 7 },
                OpenOutcome::Opened { latency_ms: 9 }
            ]
        );
        assert_eq!(result.server_saw, None);
        let offers: Vec<bool> = log
            .iter()
            .filter_map(|c| match c {
                Command::Open { protocols, .. } => {
                    Some(protocols.iter().any(|p| p == crate::COMPANION_SUBPROTOCOL))
                }
                _ => None,
            })
            .collect();
        assert_eq!(offers, [true, false, false]);
    }

    #[test]
    fn failures_are_classed_before_any_socket_and_after() {
        let mut check = HandshakeCheck::new(HandshakeSettings::default());
        check.handle(
            0.0,
            Input::Start {
                url: "ws://app.test/ws".into(),
                page_is_https: true,
            },
        );
        assert_eq!(check.result().unwrap().failure, Some(Failure::MixedContent));
        assert_eq!(
            Failure::MixedContent.explained(),
            [crate::target::TargetError::MixedContent.to_string()],
            "the diagnosis's mixed-content rule, in the target check's words"
        );
        let hidden = Failure::FailedBeforeOpen.explained().join(" ");
        assert!(
            hidden.contains("TLS failed") && hidden.contains("curl"),
            "{hidden}"
        );
        let mut check = HandshakeCheck::new(HandshakeSettings::default());
        check.handle(
            0.0,
            Input::Start {
                url: "http://app.test/ws".into(),
                page_is_https: false,
            },
        );
        assert!(matches!(
            check.result().unwrap().failure,
            Some(Failure::InvalidUrl { .. })
        ));
        let (result, _) = run(
            HandshakeSettings {
                opens: 2,
                companion: CompanionMode::Off,
                ..HandshakeSettings::default()
            },
            &[None, None],
            None,
        );
        assert_eq!(result.failure, Some(Failure::FailedBeforeOpen));
        assert_eq!(result.latency_ms, None);
    }

    #[test]
    fn unanswered_opens_time_out_one_by_one_and_say_no_answer() {
        let mut check = HandshakeCheck::new(HandshakeSettings {
            opens: 2,
            companion: CompanionMode::Off,
            ..HandshakeSettings::default()
        });
        check.handle(
            0.0,
            Input::Start {
                url: "wss://app.test/ws".into(),
                page_is_https: true,
            },
        );
        let out = check.handle(10_000.0, Input::TimedOut { n: 0 });
        assert!(out.contains(&Command::Close { n: 0 }));
        assert!(out.iter().any(|c| matches!(c, Command::Open { n: 1, .. })));
        check.handle(20_000.0, Input::TimedOut { n: 1 });
        assert_eq!(check.result().unwrap().failure, Some(Failure::NoAnswer));
        assert_eq!(check.progress(), (2, 2));
    }

    #[test]
    fn in_a_report_all_opens_pass_stripped_compression_warns_and_nothing_open_fails() {
        use crate::report::{CheckKind, CheckStatus, handshake_check};
        let (ok, _) = run(
            HandshakeSettings::default(),
            &[Some(3); 5],
            Some(welcome(Vec::new(), vec!["permessage-deflate".into()])),
        );
        let check = handshake_check(&ok);
        assert_eq!(
            (check.kind, check.status),
            (CheckKind::Handshake, CheckStatus::Pass)
        );
        assert_eq!(
            check.summary,
            "5 of 5 opens worked, in 3 to 3 ms (median 3 ms)."
        );
        let (stripped, _) = run(
            HandshakeSettings::default(),
            &[Some(3); 5],
            Some(welcome(Vec::new(), Vec::new())),
        );
        assert_eq!(handshake_check(&stripped).status, CheckStatus::Warn);
        let (down, _) = run(
            HandshakeSettings {
                opens: 1,
                companion: CompanionMode::Off,
                ..HandshakeSettings::default()
            },
            &[None],
            None,
        );
        assert_eq!(handshake_check(&down).status, CheckStatus::Fail);
    }
}
