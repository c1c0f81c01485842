//! The "blocked or down" check: is it WebSockets, or the network? A WebSocket open to the
//! companion beside the page, then a plain HTTP request to the same path. HTTP reaching
//! wsdoctor-server while the WebSocket fails means something in the path blocks or breaks
//! upgrades (a proxy that drops `Upgrade`, a firewall); both failing means the network,
//! DNS or TLS, or the server is down; both working means the path is fine.
//!
//! Plain HTTP can only go to the page's own origin: the page's policy (`connect-src
//! 'self'`) and other servers' CORS and CORP rules forbid the rest. So this check always
//! tests the server that served the page, never the target field.
//!
//! Pure: the session feeds in socket events, the HTTP answer and the timer.

use serde::{Deserialize, Serialize};

use crate::protocol::{HTTP_CHECK_QUERY, HTTP_CHECK_SERVICE, HttpSeen};
use crate::target::default_target;
use crate::{COMPANION_PATH, COMPANION_SUBPROTOCOL, Millis};

/// How long each side may take to answer.
pub const TIMEOUT_MS: u64 = 10_000;

/// How the WebSocket open went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum WebSocketSide {
    /// It opened after `latency_ms`; `companion`: the server spoke `wsdoctor.v1`.
    Opened {
        /// From the constructor to `open`, ms.
        latency_ms: u64,
        /// Whether the server picked `wsdoctor.v1`.
        companion: bool,
    },
    /// It closed before opening (the browser does not say why).
    FailedBeforeOpen {
        /// The code the browser reported (1006).
        code: u16,
    },
    /// No answer within the timeout.
    TimedOut,
}

/// How the plain HTTP request went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum HttpSide {
    /// wsdoctor-server answered, with what it saw.
    Companion {
        /// From the request to the answer, ms.
        latency_ms: u64,
        /// What it saw.
        seen: HttpSeen,
    },
    /// Something else answered: a proxy's error page, or a page not served by
    /// wsdoctor-server.
    OtherAnswer {
        /// The HTTP status.
        status: u16,
    },
    /// The request failed without an answer (the browser says only "failed to fetch").
    Failed {
        /// The browser's words.
        why: String,
    },
    /// No answer within the timeout.
    TimedOut,
}

/// The conclusion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Both work.
    BothWork,
    /// HTTP reaches the server, WebSocket does not: upgrades are blocked or broken.
    UpgradesBlocked,
    /// Something answered HTTP, not wsdoctor-server, and the WebSocket failed: a proxy
    /// whose server is down, or a page not served by wsdoctor-server.
    ServerNotReached,
    /// Neither got an answer: the network, DNS or TLS, or the server is down.
    NothingAnswers,
    /// The WebSocket works but plain HTTP did not reach the server.
    OnlyWebSocketWorks,
    /// The page was not loaded over http or https: there is no server beside it.
    NoServerBesideThePage,
}

/// The check's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockedResult {
    /// The WebSocket address tried.
    pub websocket_url: String,
    /// The HTTP address tried.
    pub http_url: String,
    /// The WebSocket side (`None`: not tried).
    pub websocket: Option<WebSocketSide>,
    /// The HTTP side (`None`: not tried).
    pub http: Option<HttpSide>,
    /// What they mean together.
    pub verdict: Verdict,
}

/// The check's commands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Open the WebSocket.
    Open {
        /// The address.
        url: String,
        /// The subprotocols to offer.
        protocols: Vec<String>,
    },
    /// Close the WebSocket.
    Close,
    /// Send a plain `GET` to `url` (no cache) and report the answer.
    Fetch {
        /// The address.
        url: String,
    },
    /// Start the timeout of the side under way.
    StartTimeout {
        /// After how long.
        after_ms: u64,
    },
    /// Cancel it.
    CancelTimeout,
    /// The result is ready.
    Finished,
}

/// What happens.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// Start, from a page at `page_scheme` (`http:`) and `page_host` (`host:port`).
    Start {
        /// The page's scheme.
        page_scheme: String,
        /// The page's host and port.
        page_host: String,
    },
    /// The WebSocket opened with `protocol`.
    Opened {
        /// The subprotocol picked.
        protocol: String,
    },
    /// A message on the WebSocket (the check only opens it: ignored).
    Message,
    /// The WebSocket closed.
    Closed {
        /// The code.
        code: u16,
    },
    /// The HTTP request was answered.
    Answered {
        /// The status.
        status: u16,
        /// The body (the browser's edge may cut a long one).
        body: String,
    },
    /// The HTTP request failed without an answer.
    FetchFailed {
        /// The browser's words.
        why: String,
    },
    /// The side under way took too long.
    TimedOut,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Doing {
    Nothing,
    WebSocket,
    Http,
    Done,
}

/// The check.
#[derive(Clone, Debug)]
pub struct BlockedCheck {
    doing: Doing,
    started_at: Millis,
    websocket_url: String,
    http_url: String,
    websocket: Option<WebSocketSide>,
    result: Option<BlockedResult>,
}

impl Default for BlockedCheck {
    fn default() -> Self {
        BlockedCheck::new()
    }
}

impl BlockedCheck {
    /// Not started.
    pub fn new() -> BlockedCheck {
        BlockedCheck {
            doing: Doing::Nothing,
            started_at: 0.0,
            websocket_url: String::new(),
            http_url: String::new(),
            websocket: None,
            result: None,
        }
    }

    /// The result, once done.
    pub fn result(&self) -> Option<&BlockedResult> {
        self.result.as_ref()
    }

    /// Whether it is over.
    pub fn is_done(&self) -> bool {
        self.doing == Doing::Done
    }

    /// Which side is under way, in words ("WebSocket", "plain HTTP"), if any.
    pub fn under_way(&self) -> Option<&'static str> {
        match self.doing {
            Doing::WebSocket => Some("WebSocket"),
            Doing::Http => Some("plain HTTP"),
            Doing::Nothing | Doing::Done => None,
        }
    }

    /// Handles one input at `now`.
    pub fn handle(&mut self, now: Millis, input: Input) -> Vec<Command> {
        let mut out = Vec::new();
        match (self.doing, input) {
            (
                Doing::Nothing,
                Input::Start {
                    page_scheme,
                    page_host,
                },
            ) => match addresses(&page_scheme, &page_host) {
                Some((websocket_url, http_url)) => {
                    self.websocket_url = websocket_url.clone();
                    self.http_url = http_url;
                    self.doing = Doing::WebSocket;
                    self.started_at = now;
                    out.push(Command::Open {
                        url: websocket_url,
                        protocols: vec![COMPANION_SUBPROTOCOL.to_string()],
                    });
                    out.push(Command::StartTimeout {
                        after_ms: TIMEOUT_MS,
                    });
                }
                None => self.finish(None, &mut out),
            },
            (Doing::WebSocket, Input::Opened { protocol }) => {
                out.push(Command::CancelTimeout);
                out.push(Command::Close);
                self.websocket = Some(WebSocketSide::Opened {
                    latency_ms: elapsed(self.started_at, now),
                    companion: protocol == COMPANION_SUBPROTOCOL,
                });
                self.fetch(now, &mut out);
            }
            (Doing::WebSocket, Input::Closed { code }) => {
                out.push(Command::CancelTimeout);
                self.websocket = Some(WebSocketSide::FailedBeforeOpen { code });
                self.fetch(now, &mut out);
            }
            (Doing::WebSocket, Input::TimedOut) => {
                out.push(Command::Close);
                self.websocket = Some(WebSocketSide::TimedOut);
                self.fetch(now, &mut out);
            }
            (Doing::Http, Input::Answered { status, body }) => {
                out.push(Command::CancelTimeout);
                let seen = serde_json::from_str::<HttpSeen>(&body)
                    .ok()
                    .filter(|seen| status == 200 && seen.service == HTTP_CHECK_SERVICE);
                let side = match seen {
                    Some(seen) => HttpSide::Companion {
                        latency_ms: elapsed(self.started_at, now),
                        seen,
                    },
                    None => HttpSide::OtherAnswer { status },
                };
                self.finish(Some(side), &mut out);
            }
            (Doing::Http, Input::FetchFailed { why }) => {
                out.push(Command::CancelTimeout);
                self.finish(Some(HttpSide::Failed { why }), &mut out);
            }
            (Doing::Http, Input::TimedOut) => self.finish(Some(HttpSide::TimedOut), &mut out),
            _ => {}
        }
        out
    }

    fn fetch(&mut self, now: Millis, out: &mut Vec<Command>) {
        self.doing = Doing::Http;
        self.started_at = now;
        out.push(Command::Fetch {
            url: self.http_url.clone(),
        });
        out.push(Command::StartTimeout {
            after_ms: TIMEOUT_MS,
        });
    }

    fn finish(&mut self, http: Option<HttpSide>, out: &mut Vec<Command>) {
        self.doing = Doing::Done;
        let verdict = verdict(self.websocket.as_ref(), http.as_ref());
        self.result = Some(BlockedResult {
            websocket_url: self.websocket_url.clone(),
            http_url: self.http_url.clone(),
            websocket: self.websocket.clone(),
            http,
            verdict,
        });
        out.push(Command::Finished);
    }
}

fn elapsed(since: Millis, now: Millis) -> u64 {
    (now - since).max(0.0) as u64
}

/// The companion's WebSocket address and its HTTP check address, from the page's scheme
/// and host (`None`: the page is not served over http or https).
pub fn addresses(page_scheme: &str, page_host: &str) -> Option<(String, String)> {
    let websocket = default_target(page_scheme, page_host)?;
    let scheme = page_scheme.trim_end_matches(':').to_ascii_lowercase();
    let http = format!(
        "{scheme}://{}{COMPANION_PATH}?{HTTP_CHECK_QUERY}",
        page_host.trim()
    );
    Some((websocket, http))
}

/// What the two sides mean together.
pub fn verdict(websocket: Option<&WebSocketSide>, http: Option<&HttpSide>) -> Verdict {
    let (Some(websocket), Some(http)) = (websocket, http) else {
        return Verdict::NoServerBesideThePage;
    };
    let websocket_works = matches!(websocket, WebSocketSide::Opened { .. });
    match (websocket_works, http) {
        (true, HttpSide::Companion { .. }) => Verdict::BothWork,
        (true, _) => Verdict::OnlyWebSocketWorks,
        (false, HttpSide::Companion { .. }) => Verdict::UpgradesBlocked,
        (false, HttpSide::OtherAnswer { .. }) => Verdict::ServerNotReached,
        (false, HttpSide::Failed { .. } | HttpSide::TimedOut) => Verdict::NothingAnswers,
    }
}

/// The conclusion in one sentence, for the card, the summary and the report.
pub fn headline(result: &BlockedResult) -> String {
    let stripped = match &result.http {
        Some(HttpSide::Companion { seen, .. }) => seen.upgrades_without_upgrade_header,
        _ => 0,
    };
    match result.verdict {
        Verdict::BothWork => "WebSockets and plain HTTP both reach the server: nothing in the path blocks WebSockets.".into(),
        Verdict::UpgradesBlocked if stripped > 0 => "Plain HTTP reaches the server but WebSockets do not: the server received the WebSocket request without its Upgrade header, so something in the path (a proxy, a firewall) drops it.".into(),
        Verdict::UpgradesBlocked => "Plain HTTP reaches the server but WebSockets do not: something in the path blocks or breaks WebSocket upgrades (a proxy that drops Upgrade, a firewall).".into(),
        Verdict::ServerNotReached => {
            let status = match &result.http {
                Some(HttpSide::OtherAnswer { status }) => *status,
                _ => 0,
            };
            format!("Something answered plain HTTP (status {status}) but not wsdoctor-server, and WebSockets failed: the server behind a proxy is down or unreachable, or this page is not served by wsdoctor-server.")
        }
        Verdict::NothingAnswers => "Neither WebSockets nor plain HTTP get an answer: the network, DNS or TLS fails, or the server is down; it is not WebSockets alone.".into(),
        Verdict::OnlyWebSocketWorks => "WebSockets work, but plain HTTP did not reach wsdoctor-server: something routes the two differently.".into(),
        Verdict::NoServerBesideThePage => "This page was not loaded over http or https, so there is no server beside it to check against.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::HandshakeView;

    fn seen(stripped: u32) -> String {
        serde_json::to_string(&HttpSeen {
            service: HTTP_CHECK_SERVICE.into(),
            request: HandshakeView {
                client_addr: "127.0.0.1:5000".into(),
                ..HandshakeView::default()
            },
            upgrades_without_upgrade_header: stripped,
        })
        .unwrap()
    }

    fn started() -> (BlockedCheck, Vec<Command>) {
        let mut check = BlockedCheck::new();
        let out = check.handle(
            0.0,
            Input::Start {
                page_scheme: "https:".into(),
                page_host: "support.example:8443".into(),
            },
        );
        (check, out)
    }

    #[test]
    fn the_websocket_goes_first_to_the_companion_beside_the_page_then_plain_http() {
        let (mut check, out) = started();
        assert_eq!(
            out[0],
            Command::Open {
                url: "wss://support.example:8443/ws".into(),
                protocols: vec!["wsdoctor.v1".into()]
            }
        );
        assert_eq!(check.under_way(), Some("WebSocket"));
        let out = check.handle(
            40.0,
            Input::Opened {
                protocol: "wsdoctor.v1".into(),
            },
        );
        assert!(out.contains(&Command::Close));
        assert!(out.contains(&Command::Fetch {
            url: "https://support.example:8443/ws?http-check".into()
        }));
        assert_eq!(check.under_way(), Some("plain HTTP"));
        let out = check.handle(
            55.0,
            Input::Answered {
                status: 200,
                body: seen(0),
            },
        );
        assert_eq!(out.last(), Some(&Command::Finished));
        let result = check.result().unwrap();
        assert_eq!(result.verdict, Verdict::BothWork);
        assert_eq!(
            result.websocket,
            Some(WebSocketSide::Opened {
                latency_ms: 40,
                companion: true
            })
        );
        assert!(matches!(
            result.http,
            Some(HttpSide::Companion { latency_ms: 15, .. })
        ));
    }

    #[test]
    fn http_reaching_the_server_while_the_websocket_fails_means_upgrades_are_blocked() {
        let (mut check, _) = started();
        check.handle(5.0, Input::Closed { code: 1006 });
        check.handle(
            9.0,
            Input::Answered {
                status: 200,
                body: seen(1),
            },
        );
        let result = check.result().unwrap();
        assert_eq!(result.verdict, Verdict::UpgradesBlocked);
        let Some(HttpSide::Companion { seen, .. }) = &result.http else {
            panic!("{result:?}")
        };
        assert_eq!(seen.upgrades_without_upgrade_header, 1);
    }

    #[test]
    fn a_proxy_error_page_is_not_the_server_and_no_answer_at_all_is_the_network() {
        let (mut check, _) = started();
        check.handle(5.0, Input::Closed { code: 1006 });
        check.handle(
            9.0,
            Input::Answered {
                status: 502,
                body: "<html>Bad Gateway</html>".into(),
            },
        );
        assert_eq!(check.result().unwrap().verdict, Verdict::ServerNotReached);

        let (mut check, _) = started();
        check.handle(10_000.0, Input::TimedOut);
        check.handle(
            10_001.0,
            Input::FetchFailed {
                why: "Failed to fetch".into(),
            },
        );
        let result = check.result().unwrap();
        assert_eq!(result.verdict, Verdict::NothingAnswers);
        assert_eq!(result.websocket, Some(WebSocketSide::TimedOut));

        let (mut check, _) = started();
        check.handle(5.0, Input::Closed { code: 1006 });
        check.handle(10_005.0, Input::TimedOut);
        assert_eq!(check.result().unwrap().verdict, Verdict::NothingAnswers);
    }

    #[test]
    fn json_that_is_not_the_companions_answer_counts_as_another_answer() {
        let (mut check, _) = started();
        check.handle(
            5.0,
            Input::Opened {
                protocol: String::new(),
            },
        );
        check.handle(
            9.0,
            Input::Answered {
                status: 200,
                body: seen(0).replace("wsdoctor-server", "someone-else"),
            },
        );
        let result = check.result().unwrap();
        assert_eq!(result.http, Some(HttpSide::OtherAnswer { status: 200 }));
        assert_eq!(result.verdict, Verdict::OnlyWebSocketWorks);
    }

    #[test]
    fn a_page_not_served_over_http_has_no_server_beside_it() {
        let mut check = BlockedCheck::new();
        let out = check.handle(
            0.0,
            Input::Start {
                page_scheme: "file:".into(),
                page_host: String::new(),
            },
        );
        assert_eq!(out, [Command::Finished]);
        assert_eq!(
            check.result().unwrap().verdict,
            Verdict::NoServerBesideThePage
        );
    }

    #[test]
    fn late_answers_after_the_end_change_nothing() {
        let (mut check, _) = started();
        check.handle(5.0, Input::Closed { code: 1006 });
        check.handle(10_005.0, Input::TimedOut);
        let before = check.result().cloned();
        let out = check.handle(
            10_006.0,
            Input::Answered {
                status: 200,
                body: seen(0),
            },
        );
        assert!(out.is_empty());
        assert_eq!(check.result().cloned(), before);
    }
}
