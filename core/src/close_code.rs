//! The close-code catalogue: every `u16`, what it means, who can send it, its likely
//! causes in order, what to do, and whether a client should reconnect.
//!
//! Sources: RFC 6455 section 7.4 and the IANA "WebSocket Close Code Number Registry"
//! (1000-1015; 1004 reserved; 1005, 1006 and 1015 are reported locally and never sent),
//! 1016-2999 reserved for future standards, 3000-3999 registered with IANA for libraries
//! and frameworks, 4000-4999 private to applications. A private code means what the
//! application that sent it says: `info` explains it as such, and lists what well-known
//! systems (graphql-ws, Discord's gateway) mean by it as "if this is ...". The meanings
//! are keyed by (system, code): when the system is known (a protocol profile), `info_in`
//! gives its own entry. The WHATWG WebSocket API: `close()` accepts only 1000 and
//! 3000-4999.

/// The longest close reason, in UTF-8 bytes, that fits a control frame (125 - 2).
pub const MAX_REASON_BYTES: usize = 123;

/// Whether `code` may be sent in a close frame.
pub fn travels_on_wire(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Why no endpoint may send `code` in a close frame, in one sentence; `None` if it may.
pub fn why_not_on_wire(code: u16) -> Option<String> {
    if travels_on_wire(code) {
        return None;
    }
    Some(match code {
        1005 => "1005 means the close frame carried no code: a WebSocket implementation reports it locally and never sends it".into(),
        1006 => "1006 means the connection ended without a close frame: it is reported locally and can never be sent".into(),
        1015 => "1015 means the TLS handshake failed: it is reported locally and never sent".into(),
        1004 => "1004 is reserved by RFC 6455 and must not be sent".into(),
        1016..=2999 => format!("{code} is reserved for future WebSocket standards and must not be sent"),
        0..=999 => format!("{code} is below 1000: no close code is"),
        _ => format!("{code} is above 4999: no close code is"),
    })
}

/// Whether a page's `WebSocket.close(code)` accepts `code` (others throw).
pub fn page_may_close_with(code: u16) -> bool {
    code == 1000 || (3000..=4999).contains(&code)
}

/// Why a page may not close with `code`, in one sentence; `None` if it may.
pub fn why_page_may_not_close_with(code: u16) -> Option<String> {
    if page_may_close_with(code) {
        return None;
    }
    let why = match code {
        1005 | 1006 | 1015 => {
            format!("{code} is only ever reported by a WebSocket implementation and never sent")
        }
        1001..=1014 => format!(
            "{code} is reserved for servers and the protocol itself; a page may send only 1000 or 3000-4999"
        ),
        _ => format!("{code} is not a code a page may send: use 1000 or 3000-4999"),
    };
    Some(why)
}

/// The part of the code space a code belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeRange {
    /// 0-999: not used; never valid.
    Unused,
    /// 1000-1015: defined by RFC 6455 and the IANA registry.
    Standard,
    /// 1016-2999: reserved for future standards.
    Reserved,
    /// 3000-3999: registered with IANA by libraries and frameworks.
    Registered,
    /// 4000-4999: private to applications.
    Private,
    /// 5000-65535: outside every range; never valid.
    Invalid,
}

impl CodeRange {
    /// The range of `code`.
    pub fn of(code: u16) -> CodeRange {
        match code {
            0..=999 => CodeRange::Unused,
            1000..=1015 => CodeRange::Standard,
            1016..=2999 => CodeRange::Reserved,
            3000..=3999 => CodeRange::Registered,
            4000..=4999 => CodeRange::Private,
            _ => CodeRange::Invalid,
        }
    }
}

/// Who can put a code in a close frame, or report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sender {
    /// Either endpoint.
    Either,
    /// In practice the server (or a gateway in front of it).
    Server,
    /// Only the client.
    Client,
    /// Nobody sends it: the browser (or library) reports it locally.
    BrowserOnly,
    /// Nobody: the code is reserved or invalid.
    Nobody,
    /// Whoever the application says: a private or registered code.
    Application,
}

/// Whether a client should reconnect after this code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reconnect {
    /// Yes, with the usual backoff.
    Yes,
    /// Yes, but the server asked for time: back off longer, with jitter.
    Later,
    /// No: it is final (done, refused, misconfigured) until something changes.
    No,
    /// It depends on the application that chose the code.
    Depends,
}

/// Everything the catalogue knows about one code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseCodeInfo {
    /// The code.
    pub code: u16,
    /// Its name.
    pub name: String,
    /// Its range.
    pub range: CodeRange,
    /// What it means, in a sentence.
    pub meaning: String,
    /// Who can send it.
    pub sender: Sender,
    /// Likely causes, most likely first.
    pub causes: Vec<String>,
    /// What to do.
    pub advice: String,
    /// Whether a client should reconnect.
    pub reconnect: Reconnect,
    /// The system whose meaning this entry gives (`None`: the standard's, or the range's).
    pub system: Option<System>,
    /// For a code whose meaning its sender defines: what well-known systems mean by it.
    pub known: Vec<KnownMeaning>,
}

/// A system whose own close codes the catalogue knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum System {
    /// graphql-ws, the `graphql-transport-ws` subprotocol.
    GraphqlWs,
    /// Discord's gateway.
    DiscordGateway,
    /// The legacy subscriptions-transport-ws (the `graphql-ws` subprotocol), which gives
    /// standard codes its own meanings.
    SubscriptionsTransportWs,
}

impl System {
    /// Every system, in the reference's order.
    pub const ALL: [System; 3] = [
        System::GraphqlWs,
        System::DiscordGateway,
        System::SubscriptionsTransportWs,
    ];

    /// Its name, as people know it.
    pub fn name(self) -> &'static str {
        match self {
            System::GraphqlWs => "graphql-ws",
            System::DiscordGateway => "Discord gateway",
            System::SubscriptionsTransportWs => "subscriptions-transport-ws",
        }
    }

    fn rows(self) -> &'static [Row] {
        match self {
            System::GraphqlWs => GRAPHQL_WS,
            System::DiscordGateway => DISCORD,
            System::SubscriptionsTransportWs => SUBSCRIPTIONS_TRANSPORT_WS,
        }
    }

    /// Its codes that refuse a client for authorisation or policy.
    fn refusals(self) -> &'static [u16] {
        match self {
            System::GraphqlWs => &[4401, 4403],
            System::DiscordGateway => &[4004, 4014],
            System::SubscriptionsTransportWs => &[],
        }
    }
}

/// What one system means by one of its codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownMeaning {
    /// The system.
    pub system: System,
    /// The code.
    pub code: u16,
    /// Its name in that system.
    pub name: String,
    /// What it means there.
    pub meaning: String,
    /// What to do there.
    pub advice: String,
    /// Whether that system's client should reconnect.
    pub reconnect: Reconnect,
    /// Whether it refuses the client for authorisation or policy.
    pub refusal: bool,
}

/// One row of the built-in table: code, name, sender, reconnect, meaning, causes, advice.
type Row = (
    u16,
    &'static str,
    Sender,
    Reconnect,
    &'static str,
    &'static [&'static str],
    &'static str,
);

const STANDARD: &[Row] = &[
    (
        1000,
        "Normal Closure",
        Sender::Either,
        Reconnect::No,
        "The connection did what it was for and was closed on purpose.",
        &[
            "the application closed it (logout, page change, user pressed Disconnect)",
            "the server ended a finished session",
        ],
        "Nothing is wrong. Reconnect only if the application still needs the connection.",
    ),
    (
        1001,
        "Going Away",
        Sender::Either,
        Reconnect::Yes,
        "An endpoint is going away: a server shutting down or restarting, or a browser leaving the page.",
        &[
            "the server is restarting or being deployed",
            "the browser navigated away or closed the tab",
            "a load balancer drained the server",
        ],
        "Reconnect with backoff and jitter so a restart is not met by every client at once.",
    ),
    (
        1002,
        "Protocol Error",
        Sender::Either,
        Reconnect::Later,
        "An endpoint received frames that break the WebSocket protocol.",
        &[
            "a proxy or middlebox altered frames",
            "a client or server library bug (e.g. unmasked client frames)",
            "a mismatched extension such as permessage-deflate",
        ],
        "Compare library versions on both sides and try without the proxy in the path. Retrying alone rarely helps.",
    ),
    (
        1003,
        "Unsupported Data",
        Sender::Either,
        Reconnect::No,
        "An endpoint received a kind of data it cannot accept (e.g. binary where only text is expected).",
        &["binary sent to a text-only endpoint, or the reverse"],
        "Send the data type the other side expects.",
    ),
    (
        1004,
        "Reserved",
        Sender::Nobody,
        Reconnect::Depends,
        "Reserved by RFC 6455; its meaning may be defined in the future.",
        &["a non-conforming implementation sent it"],
        "Treat it as an unknown close and look at the other side's logs.",
    ),
    (
        1005,
        "No Status Received",
        Sender::BrowserOnly,
        Reconnect::Yes,
        "The close frame carried no status code. Reported locally, never sent.",
        &[
            "the other side called close() without a code",
            "a library that closes without a status",
        ],
        "Close with an explicit code (1000 for a normal close) so the other side knows why.",
    ),
    (
        1006,
        "Abnormal Closure",
        Sender::BrowserOnly,
        Reconnect::Yes,
        "The connection ended without a close frame. Reported locally, never sent.",
        &[
            "a proxy or load balancer cut an idle connection (nginx and AWS ALB default 60 s, Cloudflare 100 s)",
            "the network dropped (Wi-Fi change, VPN, sleep, mobile background)",
            "the server process crashed or was killed",
            "before open: DNS failure, refused port, TLS failure or a non-101 answer (the browser hides which)",
            "the browser received invalid UTF-8 in a text message and failed the connection",
        ],
        "Send heartbeats more often than the shortest idle timeout in the path (every 25 s is safe for 60 s), or raise the proxy's timeout; run the idle-timeout experiment to measure it.",
    ),
    (
        1007,
        "Invalid Frame Payload Data",
        Sender::Either,
        Reconnect::Later,
        "A message's data was inconsistent with its type, usually invalid UTF-8 in a text message.",
        &[
            "text messages with invalid UTF-8",
            "a proxy that re-encoded text",
        ],
        "Send valid UTF-8 in text messages, or send binary.",
    ),
    (
        1008,
        "Policy Violation",
        Sender::Server,
        Reconnect::No,
        "A message violated the endpoint's policy: the generic code for a refusal.",
        &[
            "authentication failed or a token expired",
            "the Origin is not allowed",
            "a rate limit or abuse rule",
        ],
        "Read the close reason, refresh credentials or fix the request, then reconnect deliberately.",
    ),
    (
        1009,
        "Message Too Big",
        Sender::Either,
        Reconnect::Yes,
        "A message was larger than the endpoint accepts.",
        &[
            "a message over the server's size limit (often 64 KiB to 1 MiB)",
            "a proxy with a smaller limit",
        ],
        "Split or compress large messages, or raise the limit; do not resend the same message after reconnecting.",
    ),
    (
        1010,
        "Mandatory Extension",
        Sender::Client,
        Reconnect::No,
        "The client needed an extension the server did not negotiate.",
        &["the server does not support an extension the client requires"],
        "Make the extension optional on the client or enable it on the server.",
    ),
    (
        1011,
        "Internal Error",
        Sender::Server,
        Reconnect::Later,
        "The server hit an unexpected condition.",
        &[
            "an unhandled exception in the server's handler",
            "a dependency of the server failed",
        ],
        "Look at the server's logs around the close time; reconnect with backoff.",
    ),
    (
        1012,
        "Service Restart",
        Sender::Server,
        Reconnect::Later,
        "The server is restarting.",
        &["a rolling restart or deployment"],
        "Reconnect after a short randomised delay so clients do not all return at once.",
    ),
    (
        1013,
        "Try Again Later",
        Sender::Server,
        Reconnect::Later,
        "The server is overloaded or at a limit and asks the client to come back later.",
        &[
            "the server is at its connection limit",
            "too many connections from one address",
            "temporary overload",
        ],
        "Back off (longer than usual, with jitter) before reconnecting.",
    ),
    (
        1014,
        "Bad Gateway",
        Sender::Server,
        Reconnect::Later,
        "A gateway or proxy got an invalid response from the server behind it.",
        &["the upstream server failed behind a gateway"],
        "Check the upstream server and the gateway's logs; reconnect with backoff.",
    ),
    (
        1015,
        "TLS Handshake",
        Sender::BrowserOnly,
        Reconnect::No,
        "The TLS handshake failed. Reported locally, never sent (browsers usually report 1006).",
        &[
            "an invalid, expired or untrusted certificate",
            "a TLS-intercepting proxy",
        ],
        "Open the https:// address of the same host in the browser to see the certificate error.",
    ),
];

/// graphql-ws (the `graphql-transport-ws` subprotocol) private codes.
const GRAPHQL_WS: &[Row] = &[
    (
        4400,
        "Bad Request",
        Sender::Application,
        Reconnect::No,
        "graphql-ws: the server received an invalid message.",
        &["a malformed protocol message"],
        "Fix the client's messages.",
    ),
    (
        4401,
        "Unauthorized",
        Sender::Application,
        Reconnect::No,
        "graphql-ws: a subscription came before the connection was acknowledged.",
        &["subscribing before connection_ack"],
        "Wait for connection_ack before subscribing.",
    ),
    (
        4403,
        "Forbidden",
        Sender::Application,
        Reconnect::No,
        "graphql-ws: the server refused the connection (e.g. bad credentials in connection_init).",
        &["rejected connection_init payload"],
        "Fix the credentials sent in connection_init.",
    ),
    (
        4406,
        "Subprotocol not acceptable",
        Sender::Application,
        Reconnect::No,
        "graphql-ws: the client did not ask for the graphql-transport-ws subprotocol.",
        &["a client of the older subscriptions-transport-ws protocol"],
        "Use a client that speaks graphql-transport-ws.",
    ),
    (
        4408,
        "Connection initialisation timeout",
        Sender::Application,
        Reconnect::Yes,
        "graphql-ws: the client did not send connection_init in time.",
        &["a slow or stalled client start"],
        "Send connection_init right after open.",
    ),
    (
        4409,
        "Subscriber already exists",
        Sender::Application,
        Reconnect::Yes,
        "graphql-ws: a subscription id was reused while still active.",
        &["a client bug reusing ids"],
        "Use a unique id per subscription.",
    ),
    (
        4429,
        "Too many initialisation requests",
        Sender::Application,
        Reconnect::Later,
        "graphql-ws: the client sent connection_init more than once.",
        &["a client bug"],
        "Send connection_init once per connection.",
    ),
    (
        4500,
        "Internal server error",
        Sender::Application,
        Reconnect::Later,
        "graphql-ws: the server failed.",
        &["an error in the GraphQL server"],
        "Look at the server's logs; reconnect with backoff.",
    ),
    (
        4504,
        "Connection acknowledgement timeout",
        Sender::Application,
        Reconnect::Yes,
        "graphql-ws: the server did not acknowledge the connection in time (set by the client).",
        &["a slow or overloaded server"],
        "Reconnect with backoff; check the server's load.",
    ),
];

/// subscriptions-transport-ws: the standard codes it closes with, in its own meaning.
const SUBSCRIPTIONS_TRANSPORT_WS: &[Row] = &[
    (
        1002,
        "Subprotocol not supported",
        Sender::Application,
        Reconnect::No,
        "subscriptions-transport-ws: the client did not ask for its subprotocol, graphql-ws.",
        &["a client that asks for no subprotocol, or for graphql-transport-ws"],
        "Ask for the subprotocol graphql-ws, or move client and server to graphql-ws (graphql-transport-ws).",
    ),
    (
        1011,
        "onConnect failed",
        Sender::Application,
        Reconnect::No,
        "subscriptions-transport-ws: the server's onConnect threw or refused the connection_init payload.",
        &[
            "bad or missing credentials in connection_init",
            "an error in the server's onConnect",
        ],
        "Fix what onConnect checks (the connection_init payload, a token); the server's logs say which.",
    ),
];

/// Discord gateway private codes.
const DISCORD: &[Row] = &[
    (
        4000,
        "Unknown error",
        Sender::Application,
        Reconnect::Yes,
        "Discord gateway: something went wrong.",
        &["a gateway error"],
        "Reconnect.",
    ),
    (
        4001,
        "Unknown opcode",
        Sender::Application,
        Reconnect::Yes,
        "Discord gateway: an invalid opcode was sent.",
        &["a client bug"],
        "Fix the payload; reconnect.",
    ),
    (
        4002,
        "Decode error",
        Sender::Application,
        Reconnect::Yes,
        "Discord gateway: an invalid payload was sent.",
        &["a client bug"],
        "Fix the payload; reconnect.",
    ),
    (
        4003,
        "Not authenticated",
        Sender::Application,
        Reconnect::Yes,
        "Discord gateway: a payload came before identify.",
        &["sending before identify"],
        "Identify first; reconnect.",
    ),
    (
        4004,
        "Authentication failed",
        Sender::Application,
        Reconnect::No,
        "Discord gateway: the token is invalid.",
        &["a wrong or revoked token"],
        "Fix the token; do not reconnect with it.",
    ),
    (
        4005,
        "Already authenticated",
        Sender::Application,
        Reconnect::Yes,
        "Discord gateway: identify was sent twice.",
        &["a client bug"],
        "Identify once; reconnect.",
    ),
    (
        4007,
        "Invalid seq",
        Sender::Application,
        Reconnect::Yes,
        "Discord gateway: the resume sequence was invalid.",
        &["a stale resume"],
        "Reconnect and start a new session.",
    ),
    (
        4008,
        "Rate limited",
        Sender::Application,
        Reconnect::Later,
        "Discord gateway: payloads were sent too fast.",
        &["sending too quickly"],
        "Slow down; reconnect.",
    ),
    (
        4009,
        "Session timed out",
        Sender::Application,
        Reconnect::Yes,
        "Discord gateway: the session timed out.",
        &["missed heartbeats"],
        "Reconnect and start a new session.",
    ),
    (
        4010,
        "Invalid shard",
        Sender::Application,
        Reconnect::No,
        "Discord gateway: an invalid shard was sent.",
        &["a misconfigured shard"],
        "Fix the shard configuration.",
    ),
    (
        4011,
        "Sharding required",
        Sender::Application,
        Reconnect::No,
        "Discord gateway: the session would handle too many guilds.",
        &["no sharding"],
        "Shard the connection.",
    ),
    (
        4012,
        "Invalid API version",
        Sender::Application,
        Reconnect::No,
        "Discord gateway: the API version is invalid.",
        &["an outdated version"],
        "Use a supported gateway version.",
    ),
    (
        4013,
        "Invalid intent(s)",
        Sender::Application,
        Reconnect::No,
        "Discord gateway: the intents value is invalid.",
        &["a bad intents bitmask"],
        "Fix the intents.",
    ),
    (
        4014,
        "Disallowed intent(s)",
        Sender::Application,
        Reconnect::No,
        "Discord gateway: an intent is not enabled or approved.",
        &["privileged intents not enabled"],
        "Enable the intent for the application, or drop it.",
    ),
];

fn from_row(row: &Row, system: Option<System>) -> CloseCodeInfo {
    let (code, name, sender, reconnect, meaning, causes, advice) = *row;
    CloseCodeInfo {
        code,
        name: name.to_string(),
        range: CodeRange::of(code),
        meaning: meaning.to_string(),
        sender,
        causes: causes.iter().map(|c| c.to_string()).collect(),
        advice: advice.to_string(),
        reconnect,
        system,
        known: Vec::new(),
    }
}

fn meaning_of(system: System, row: &Row) -> KnownMeaning {
    let (code, name, _, reconnect, meaning, _, advice) = *row;
    KnownMeaning {
        system,
        code,
        name: name.to_string(),
        meaning: meaning.to_string(),
        advice: advice.to_string(),
        reconnect,
        refusal: system.refusals().contains(&code),
    }
}

/// What every known system means by `code` (empty for most codes).
pub fn known_meanings(code: u16) -> Vec<KnownMeaning> {
    System::ALL
        .into_iter()
        .flat_map(|system| {
            system
                .rows()
                .iter()
                .filter(move |row| row.0 == code)
                .map(move |row| meaning_of(system, row))
        })
        .collect()
}

fn generic(code: u16) -> CloseCodeInfo {
    let range = CodeRange::of(code);
    let (name, meaning, sender, reconnect, advice) = match range {
        CodeRange::Unused => (
            "Invalid (below 1000)",
            "Codes below 1000 are not used; no conforming endpoint sends one.",
            Sender::Nobody,
            Reconnect::Depends,
            "The other side does not follow RFC 6455; look at its library.",
        ),
        CodeRange::Reserved => (
            "Reserved",
            "1016-2999 are reserved for future WebSocket standards.",
            Sender::Nobody,
            Reconnect::Depends,
            "No conforming endpoint sends this today; look at the other side's library.",
        ),
        CodeRange::Registered => (
            "Registered for a library or framework",
            "3000-3999 are registered with IANA by libraries and frameworks; the library that chose it defines it.",
            Sender::Application,
            Reconnect::Depends,
            "Look the code up in the IANA registry or the documentation of the server's framework.",
        ),
        CodeRange::Private => (
            "Private (application-defined)",
            "4000-4999 are private: the application that sent it defines its meaning.",
            Sender::Application,
            Reconnect::Depends,
            "Read the close reason and the application's documentation.",
        ),
        CodeRange::Invalid | CodeRange::Standard => (
            "Invalid (above 4999)",
            "Codes above 4999 are outside every range; no conforming endpoint sends one.",
            Sender::Nobody,
            Reconnect::Depends,
            "The other side does not follow RFC 6455; look at its library.",
        ),
    };
    CloseCodeInfo {
        code,
        name: name.to_string(),
        range,
        meaning: meaning.to_string(),
        sender,
        causes: Vec::new(),
        advice: advice.to_string(),
        reconnect,
        system: None,
        known: known_meanings(code),
    }
}

/// Everything known about `code` from any server: the standard's entry, or its range's
/// (a private code means what the application that sent it says), with what well-known
/// systems mean by it in `known`.
pub fn info(code: u16) -> CloseCodeInfo {
    match STANDARD.iter().find(|row| row.0 == code) {
        Some(row) => from_row(row, None),
        None => generic(code),
    }
}

/// Everything known about `code` from a server known to be `system` (a protocol
/// profile knows): that system's own entry when it has one, else `info(code)`.
pub fn info_in(system: Option<System>, code: u16) -> CloseCodeInfo {
    system
        .and_then(|system| {
            system
                .rows()
                .iter()
                .find(|row| row.0 == code)
                .map(|row| from_row(row, Some(system)))
        })
        .unwrap_or_else(|| info(code))
}

/// Every named entry, keyed by (system, code): the standard codes first, then each
/// system's own, for the searchable reference.
pub fn catalogue() -> Vec<CloseCodeInfo> {
    STANDARD
        .iter()
        .map(|row| from_row(row, None))
        .chain(System::ALL.into_iter().flat_map(|system| {
            system
                .rows()
                .iter()
                .map(move |row| from_row(row, Some(system)))
        }))
        .collect()
}

/// The entries whose code, name, meaning, causes or system contain `query` (any case).
/// A number always finds its code: a code without a named entry is explained by its
/// range first.
pub fn search(query: &str) -> Vec<CloseCodeInfo> {
    let query = query.trim().to_lowercase();
    let mut found: Vec<CloseCodeInfo> = catalogue()
        .into_iter()
        .filter(|entry| {
            query.is_empty()
                || entry.code.to_string().contains(&query)
                || entry.name.to_lowercase().contains(&query)
                || entry.meaning.to_lowercase().contains(&query)
                || entry
                    .system
                    .is_some_and(|s| s.name().to_lowercase().contains(&query))
                || entry
                    .causes
                    .iter()
                    .any(|c| c.to_lowercase().contains(&query))
        })
        .collect();
    if let Ok(code) = query.parse::<u16>()
        && !found.iter().any(|e| e.code == code && e.system.is_none())
    {
        found.insert(0, info(code));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_at_every_boundary_travel_or_not() {
        let allowed = [1000, 1001, 1003, 1007, 1011, 1014, 3000, 3999, 4000, 4999];
        let refused = [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, u16::MAX];
        for code in allowed {
            assert!(travels_on_wire(code), "{code} should travel");
        }
        for code in refused {
            assert!(!travels_on_wire(code), "{code} must not travel");
        }
    }

    #[test]
    fn ranges_at_every_boundary() {
        let cases = [
            (0, CodeRange::Unused),
            (999, CodeRange::Unused),
            (1000, CodeRange::Standard),
            (1015, CodeRange::Standard),
            (1016, CodeRange::Reserved),
            (2999, CodeRange::Reserved),
            (3000, CodeRange::Registered),
            (3999, CodeRange::Registered),
            (4000, CodeRange::Private),
            (4999, CodeRange::Private),
            (5000, CodeRange::Invalid),
            (u16::MAX, CodeRange::Invalid),
        ];
        for (code, range) in cases {
            assert_eq!(CodeRange::of(code), range, "{code}");
            assert_eq!(info(code).range, range, "{code}");
        }
    }

    #[test]
    fn every_u16_has_a_name_a_meaning_and_advice() {
        for code in 0..=u16::MAX {
            let entry = info(code);
            assert_eq!(entry.code, code);
            assert!(
                !entry.name.is_empty() && !entry.meaning.is_empty() && !entry.advice.is_empty(),
                "{code}"
            );
        }
    }

    #[test]
    fn the_browser_only_codes_are_never_sent() {
        for code in [1005, 1006, 1015] {
            assert_eq!(info(code).sender, Sender::BrowserOnly, "{code}");
            assert!(!travels_on_wire(code));
        }
        assert_eq!(info(1004).sender, Sender::Nobody);
    }

    #[test]
    fn reconnect_advice_follows_the_meaning() {
        assert_eq!(info(1000).reconnect, Reconnect::No);
        assert_eq!(info(1001).reconnect, Reconnect::Yes);
        assert_eq!(info(1006).reconnect, Reconnect::Yes);
        assert_eq!(info(1008).reconnect, Reconnect::No);
        assert_eq!(info(1012).reconnect, Reconnect::Later);
        assert_eq!(info(1013).reconnect, Reconnect::Later);
        assert_eq!(
            info(4004).reconnect,
            Reconnect::Depends,
            "from an unknown server, a private code is the application's"
        );
        assert_eq!(
            info_in(Some(System::DiscordGateway), 4004).reconnect,
            Reconnect::No
        );
        assert_eq!(info(4321).reconnect, Reconnect::Depends);
    }

    #[test]
    fn private_codes_are_the_applications_own_with_known_meanings_as_ifs() {
        for code in [4000, 4001, 4004, 4005, 4401, 4403] {
            let entry = info(code);
            assert_eq!(entry.name, "Private (application-defined)", "{code}");
            assert_eq!(entry.system, None, "{code}");
        }
        let known = info(4004).known;
        assert_eq!(known.len(), 1);
        assert_eq!(known[0].system, System::DiscordGateway);
        assert_eq!(known[0].name, "Authentication failed");
        assert!(known[0].refusal);
        assert!(
            info(4403)
                .known
                .iter()
                .any(|k| k.system == System::GraphqlWs && k.refusal)
        );
        assert!(info(4321).known.is_empty());
        assert_eq!(info_in(Some(System::GraphqlWs), 4401).name, "Unauthorized");
        assert_eq!(
            info_in(Some(System::GraphqlWs), 4004).name,
            "Private (application-defined)",
            "graphql-ws has no 4004"
        );
        assert_eq!(info(3000).name, "Registered for a library or framework");
    }

    #[test]
    fn the_page_may_close_only_with_1000_or_3000_to_4999() {
        assert!(page_may_close_with(1000));
        assert!(page_may_close_with(3000));
        assert!(page_may_close_with(4999));
        for code in [999, 1001, 1005, 1006, 2999, 5000] {
            assert!(!page_may_close_with(code), "{code}");
            assert!(why_page_may_not_close_with(code).is_some());
        }
        assert!(
            why_page_may_not_close_with(1006)
                .unwrap()
                .contains("never sent")
        );
    }

    #[test]
    fn search_finds_by_code_name_cause_and_system() {
        assert_eq!(search("1006")[0].code, 1006);
        assert!(search("going away").iter().any(|e| e.code == 1001));
        assert!(search("idle").iter().any(|e| e.code == 1006));
        assert!(search("discord").len() >= 14);
        assert_eq!(search("").len(), catalogue().len());
    }

    #[test]
    fn a_number_always_finds_its_code_named_or_not() {
        for (query, name) in [
            ("4321", "Private (application-defined)"),
            ("3001", "Registered for a library or framework"),
            ("2000", "Reserved"),
            ("4004", "Private (application-defined)"),
        ] {
            let found = search(query);
            assert_eq!(found[0].code.to_string(), query);
            assert_eq!(found[0].name, name, "{query}");
        }
        let discord = search("4004");
        assert!(
            discord
                .iter()
                .any(|e| e.system == Some(System::DiscordGateway) && e.code == 4004),
            "the system's own entry is listed too"
        );
    }
}
