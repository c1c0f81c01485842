//! The size check: the largest message that survives the path, in each direction, found
//! by doubling from 1 KiB and then bisecting, with wsdoctor-server's companion at the other
//! end and never above its own `max_message_bytes`. Page to server: the page sends a binary
//! message and the companion acknowledges its size (`received`). Server to page: the page
//! asks the companion to `send` one of a size. A message that does not arrive is told
//! apart by how: a close with a code (1009 Message Too Big from something speaking
//! WebSocket), a drop of the connection (1006), or a silent drop (no answer and the
//! connection still open: a proxy that discards what it will not carry). Limits near a
//! known one (AWS API Gateway: 128 KB per message, 32 KB per frame) are named.
//!
//! Pure: the session feeds in socket events and timers.

use serde::{Deserialize, Serialize};

use crate::Millis;
use crate::protocol::{ClientMessage, ServerMessage, not_the_companion};
use crate::target::{TargetError, check_target};

/// The check, as its sentences name it.
const CHECK: &str = "the size check";

/// The first size tried.
pub const FIRST_BYTES: u64 = 1024;
/// The search stops when the largest that arrived and the smallest that did not are this
/// close.
pub const PRECISION_BYTES: u64 = 1024;

/// Known message limits, (bytes, what).
const KNOWN_LIMITS: [(u64, &str); 2] = [
    (128 * 1024, "AWS API Gateway's 128 KB per message"),
    (32 * 1024, "AWS API Gateway's 32 KB per frame"),
];

/// What the user chose.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SizeSettings {
    /// How long an answer may take, plus 10 ms per KiB of the message.
    pub answer_within_ms: u64,
}

impl Default for SizeSettings {
    fn default() -> Self {
        SizeSettings {
            answer_within_ms: 2_000,
        }
    }
}

impl SizeSettings {
    /// How long the answer to a message of `bytes` may take.
    pub fn deadline_ms(&self, bytes: u64) -> u64 {
        self.answer_within_ms + bytes / 1024 * 10
    }
}

/// Which way a message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the page to the server.
    Up,
    /// From the server to the page.
    Down,
}

/// What became of one message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Fate {
    /// It arrived whole.
    Arrived,
    /// The connection closed with this code instead (1009: too big for something that
    /// speaks WebSocket; 1006: cut).
    Closed {
        /// The code the browser reported.
        code: u16,
    },
    /// No answer by the deadline, and the connection still open: dropped silently.
    Dropped,
}

/// One message tried.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tried {
    /// Which way.
    pub direction: Direction,
    /// Its size.
    pub bytes: u64,
    /// What became of it.
    pub fate: Fate,
}

/// What one direction carries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    /// The largest message that arrived (0: none).
    pub largest_arrived: u64,
    /// The smallest that did not (`None`: everything up to the server's own limit
    /// arrived).
    pub smallest_lost: Option<u64>,
    /// How that one was lost.
    pub lost_how: Option<Fate>,
    /// A known limit it matches.
    pub known: Option<String>,
}

/// The outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizeResult {
    /// The companion's own limit (`max_message_bytes`).
    pub server_limit: u64,
    /// Page to server.
    pub up: Limit,
    /// Server to page.
    pub down: Limit,
    /// Every message tried, in order.
    pub tried: Vec<Tried>,
    /// Whether the user stopped it.
    pub cancelled: bool,
    /// Why it could not run.
    pub failure: Option<String>,
}

/// The check's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SizeTimer {
    /// The open and the welcome took too long.
    Connect,
    /// The message under way got no answer.
    Answer,
}

/// The check's commands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Open the socket, offering `wsdoctor.v1`.
    Open {
        /// The companion's address.
        url: String,
    },
    /// Send text.
    SendText(String),
    /// Send a binary message of this many bytes.
    SendBytes(u64),
    /// Close the socket (1000).
    Close,
    /// Start a timer.
    StartTimer {
        /// Which.
        timer: SizeTimer,
        /// After how long.
        after_ms: u64,
    },
    /// Cancel a timer.
    CancelTimer(SizeTimer),
    /// The result is ready.
    Finished,
}

/// What happens.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// Start against the companion at `url`.
    Start {
        /// Its address.
        url: String,
        /// Whether the page is https.
        page_is_https: bool,
    },
    /// The socket opened.
    Opened {
        /// The subprotocol picked.
        protocol: String,
    },
    /// A text message (`None`: too long to copy).
    Text(Option<String>),
    /// A binary message of this size.
    Binary(u64),
    /// The socket closed.
    Closed {
        /// The code.
        code: u16,
    },
    /// A timer fired.
    Fired(SizeTimer),
    /// The user pressed Stop.
    Stop,
}

/// The search in one direction: the largest that arrived, the smallest that did not.
#[derive(Clone, Copy, Debug, Default)]
struct Search {
    arrived: u64,
    lost: Option<u64>,
}

impl Search {
    /// The next size to try, or `None` when found (to the precision, or up to `max`).
    fn next(&self, max: u64) -> Option<u64> {
        match self.lost {
            None if self.arrived >= max => None,
            None if self.arrived == 0 => Some(FIRST_BYTES.min(max)),
            None => Some((self.arrived * 2).min(max)),
            Some(lost) if lost - self.arrived <= PRECISION_BYTES => None,
            Some(lost) => Some(self.arrived + (lost - self.arrived) / 2),
        }
    }
}

/// The check.
#[derive(Clone, Debug)]
pub struct SizeCheck {
    settings: SizeSettings,
    url: String,
    open: bool,
    welcomed: bool,
    direction: Direction,
    searches: [Search; 2],
    /// The size under way, if a message is.
    pending: Option<u64>,
    result: SizeResult,
    finished: bool,
}

impl SizeCheck {
    /// A check with `settings`.
    pub fn new(settings: SizeSettings) -> SizeCheck {
        SizeCheck {
            settings,
            url: String::new(),
            open: false,
            welcomed: false,
            direction: Direction::Up,
            searches: [Search::default(); 2],
            pending: None,
            result: SizeResult::default(),
            finished: false,
        }
    }

    /// Whether it is over.
    pub fn is_done(&self) -> bool {
        self.finished
    }

    /// The result (final once done).
    pub fn result(&self) -> &SizeResult {
        &self.result
    }

    /// Messages tried so far.
    pub fn tried(&self) -> usize {
        self.result.tried.len()
    }

    fn search(&mut self) -> &mut Search {
        &mut self.searches[self.direction as usize]
    }

    /// Handles one input at `now`.
    pub fn handle(&mut self, _now: Millis, input: Input) -> Vec<Command> {
        let mut out = Vec::new();
        if self.finished {
            return out;
        }
        match input {
            Input::Start { url, page_is_https } => match check_target(&url, page_is_https) {
                Err(TargetError::MixedContent) => {
                    self.fail(TargetError::MixedContent.to_string(), &mut out)
                }
                Err(err) => self.fail(err.to_string(), &mut out),
                Ok(_) => {
                    self.url = url.trim().to_string();
                    self.open(&mut out);
                }
            },
            Input::Opened { protocol } => {
                if protocol != crate::COMPANION_SUBPROTOCOL {
                    return {
                        self.fail(not_the_companion(CHECK, Some(&protocol)), &mut out);
                        out
                    };
                }
                self.open = true;
                send(&ClientMessage::Hello { session: None }, &mut out);
            }
            Input::Text(text) => {
                let message = text.and_then(|t| serde_json::from_str::<ServerMessage>(&t).ok());
                match message {
                    Some(ServerMessage::Welcome { limits, .. }) if !self.welcomed => {
                        out.push(Command::CancelTimer(SizeTimer::Connect));
                        self.welcomed = true;
                        self.result.server_limit = limits.max_message_bytes as u64;
                        self.next(&mut out);
                    }
                    Some(ServerMessage::Received { bytes })
                        if self.direction == Direction::Up && self.pending == Some(bytes) =>
                    {
                        self.settle(Fate::Arrived, &mut out);
                    }
                    _ if !self.welcomed && self.open => {
                        self.fail(not_the_companion(CHECK, None), &mut out);
                    }
                    _ => {}
                }
            }
            Input::Binary(bytes) => {
                if self.direction == Direction::Down && self.pending == Some(bytes) {
                    self.settle(Fate::Arrived, &mut out);
                }
            }
            Input::Closed { code } => {
                let was_welcomed = self.welcomed;
                self.open = false;
                self.welcomed = false;
                if self.pending.is_some() {
                    self.settle(Fate::Closed { code }, &mut out);
                } else if was_welcomed {
                    self.fail(
                        format!("the connection closed with {code} between two messages"),
                        &mut out,
                    );
                } else {
                    self.fail(
                        format!("the connection closed with {code} before the companion answered: is this wsdoctor-server?"),
                        &mut out,
                    );
                }
            }
            Input::Fired(SizeTimer::Connect) if !self.welcomed => {
                self.fail("no answer from the companion within 10 s".into(), &mut out);
            }
            Input::Fired(SizeTimer::Answer) if self.pending.is_some() => {
                self.settle(Fate::Dropped, &mut out);
            }
            Input::Stop => {
                self.result.cancelled = true;
                self.finish(&mut out);
            }
            Input::Fired(_) => {}
        }
        out
    }

    fn open(&mut self, out: &mut Vec<Command>) {
        out.push(Command::Open {
            url: self.url.clone(),
        });
        out.push(Command::StartTimer {
            timer: SizeTimer::Connect,
            after_ms: 10_000,
        });
    }

    /// The message under way came to `fate`: record it, and go on.
    fn settle(&mut self, fate: Fate, out: &mut Vec<Command>) {
        let Some(bytes) = self.pending.take() else {
            return;
        };
        out.push(Command::CancelTimer(SizeTimer::Answer));
        let direction = self.direction;
        self.result.tried.push(Tried {
            direction,
            bytes,
            fate: fate.clone(),
        });
        let search = self.search();
        if fate == Fate::Arrived {
            search.arrived = search.arrived.max(bytes);
        } else {
            search.lost = Some(search.lost.map_or(bytes, |lost| lost.min(bytes)));
            let limit = self.limit_mut(direction);
            if limit.smallest_lost.is_none_or(|lost| bytes <= lost) {
                limit.smallest_lost = Some(bytes);
                limit.lost_how = Some(fate.clone());
            }
        }
        if matches!(fate, Fate::Closed { .. }) {
            // A new connection carries on where this one stopped.
            return self.open(out);
        }
        self.next(out);
    }

    fn limit_mut(&mut self, direction: Direction) -> &mut Limit {
        match direction {
            Direction::Up => &mut self.result.up,
            Direction::Down => &mut self.result.down,
        }
    }

    /// Sends the next message, in this direction or the next; finishes after both.
    fn next(&mut self, out: &mut Vec<Command>) {
        let max = self.result.server_limit;
        loop {
            if let Some(bytes) = self.search().next(max) {
                self.pending = Some(bytes);
                match self.direction {
                    Direction::Up => out.push(Command::SendBytes(bytes)),
                    Direction::Down => send(&ClientMessage::Send { bytes }, out),
                }
                out.push(Command::StartTimer {
                    timer: SizeTimer::Answer,
                    after_ms: self.settings.deadline_ms(bytes),
                });
                return;
            }
            let found = self.searches[self.direction as usize];
            let limit = self.limit_mut(self.direction);
            limit.largest_arrived = found.arrived;
            limit.known = limit.smallest_lost.and_then(|_| known_limit(found.arrived));
            match self.direction {
                Direction::Up => self.direction = Direction::Down,
                Direction::Down => return self.finish(out),
            }
        }
    }

    fn fail(&mut self, why: String, out: &mut Vec<Command>) {
        self.result.failure = Some(why);
        self.finish(out);
    }

    fn finish(&mut self, out: &mut Vec<Command>) {
        self.finished = true;
        self.pending = None;
        out.push(Command::CancelTimer(SizeTimer::Connect));
        out.push(Command::CancelTimer(SizeTimer::Answer));
        out.push(Command::Close);
        out.push(Command::Finished);
    }
}

fn send(message: &ClientMessage, out: &mut Vec<Command>) {
    if let Ok(text) = serde_json::to_string(message) {
        out.push(Command::SendText(text));
    }
}

/// The known limit a largest-that-arrived of `bytes` matches: at most that limit, and
/// within the search's precision of it.
fn known_limit(bytes: u64) -> Option<String> {
    KNOWN_LIMITS
        .iter()
        .find(|(limit, _)| bytes <= *limit && limit - bytes <= PRECISION_BYTES * 2)
        .map(|(_, what)| (*what).to_string())
}

/// A size in words: bytes under 1 KiB, else KiB with one decimal.
pub fn size(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

/// One direction in words.
pub fn said(limit: &Limit, server_limit: u64) -> String {
    match (&limit.smallest_lost, &limit.lost_how) {
        (None, _) => format!(
            "everything up to the server's own limit ({}) arrived",
            size(server_limit)
        ),
        (Some(lost), how) => {
            let how = match how {
                Some(Fate::Closed { code: 1009 }) => {
                    "closed the connection with 1009 Message Too Big".to_string()
                }
                Some(Fate::Closed { code: 1006 }) => {
                    "cut the connection without a close frame (1006)".to_string()
                }
                Some(Fate::Closed { code }) => format!("closed the connection with {code}"),
                _ => "was dropped silently: no answer, and the connection stayed open".into(),
            };
            let known = limit
                .known
                .as_ref()
                .map(|k| format!(" (it matches {k})"))
                .unwrap_or_default();
            format!(
                "up to {} arrived; {} {how}{known}",
                size(limit.largest_arrived),
                size(*lost)
            )
        }
    }
}

/// The outcome in one sentence.
pub fn headline(result: &SizeResult) -> String {
    if let Some(failure) = &result.failure {
        return format!("The size check could not run: {failure}.");
    }
    if result.cancelled {
        return "Stopped before the limits were found.".into();
    }
    format!(
        "Page to server: {}. Server to page: {}.",
        said(&result.up, result.server_limit),
        said(&result.down, result.server_limit)
    )
}

#[cfg(test)]
mod tests;
