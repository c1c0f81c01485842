//! The close-code lab: each way a connection can end, made to happen on purpose by
//! wsdoctor-server's companion, with what the server sent (or saw) next to what this
//! browser reported, so a developer learns what their own client will see. The cases: a
//! close with any code the wire allows (1005, 1006 and 1015 never travel: the lab says
//! why instead of trying), a drop without a close frame, a text frame that is not UTF-8,
//! and a message from the page larger than the server accepts.
//!
//! One control connection holds the companion session; each case opens its own
//! connection in that session, asks for its ending, and once the browser reports the
//! close, the control connection asks the server how it saw that connection end
//! (`session_view`). Pure: the session feeds in socket events and timers.

use serde::{Deserialize, Serialize};

use crate::Millis;
use crate::close_code::{MAX_REASON_BYTES, why_not_on_wire};
use crate::protocol::{ClientMessage, CloseView, MisbehaveKind, ServerMessage, not_the_companion};
use crate::target::{TargetError, check_target};

/// How long one case may take (open, ending, the server's view).
pub const CASE_TIMEOUT_MS: u64 = 10_000;
/// How often the server is asked again while it has not yet recorded a close.
const ASK_AGAIN_MS: u64 = 100;
/// How many times it is asked before the row goes without the server's side.
const ASKS: u32 = 20;

/// One way to end a connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum LabCase {
    /// The server closes with this code and reason.
    Close {
        /// The code.
        code: u16,
        /// The reason.
        reason: String,
    },
    /// The server drops the TCP connection without a close frame.
    Drop,
    /// The server sends a text frame that is not valid UTF-8.
    InvalidUtf8,
    /// The page sends a message one byte larger than the server accepts.
    TooBig,
}

impl LabCase {
    /// The cases "Run the lab" runs: the codes a server sends most, an application's
    /// own, and the three endings without a code of the server's choosing.
    pub fn standard_set() -> Vec<LabCase> {
        let close = |code: u16, reason: &str| LabCase::Close {
            code,
            reason: reason.into(),
        };
        vec![
            close(1000, "done"),
            close(1001, "going away"),
            close(1008, "policy"),
            close(1011, "internal error"),
            close(1012, "restarting"),
            close(1013, "try again later"),
            close(4000, "the application's own"),
            LabCase::Drop,
            LabCase::InvalidUtf8,
            LabCase::TooBig,
        ]
    }

    /// A close with `code` and `reason` as typed, or why it cannot be sent.
    pub fn close(code: &str, reason: &str) -> Result<LabCase, String> {
        let code: u16 = code
            .trim()
            .parse()
            .map_err(|_| format!("\"{}\" is not a close code (0 to 65535)", code.trim()))?;
        if let Some(why) = why_not_on_wire(code) {
            return Err(format!("{why}."));
        }
        if reason.len() > MAX_REASON_BYTES {
            return Err(format!(
                "the reason is {} bytes of UTF-8; a close frame holds at most {MAX_REASON_BYTES}",
                reason.len()
            ));
        }
        Ok(LabCase::Close {
            code,
            reason: reason.to_string(),
        })
    }

    /// What the case does, in a few words.
    pub fn label(&self) -> String {
        match self {
            LabCase::Close { code, reason } if reason.is_empty() => {
                format!("The server closes with {code}")
            }
            LabCase::Close { code, reason } => {
                format!("The server closes with {code} \"{reason}\"")
            }
            LabCase::Drop => "The server drops the connection without a close frame".into(),
            LabCase::InvalidUtf8 => "The server sends text that is not UTF-8".into(),
            LabCase::TooBig => "The page sends a message larger than the server accepts".into(),
        }
    }
}

/// What the browser's close event said.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowserClose {
    /// `code`.
    pub code: u16,
    /// `reason`.
    pub reason: String,
    /// `wasClean`.
    pub was_clean: bool,
}

/// One case's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabRow {
    /// The case.
    pub case: LabCase,
    /// How the server saw the end (who closed, the code and reason of a close frame).
    pub server: Option<CloseView>,
    /// What the browser reported.
    pub browser: Option<BrowserClose>,
    /// What went wrong with the case itself.
    pub failure: Option<String>,
}

/// The lab's outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabResult {
    /// Each case run, in order.
    pub rows: Vec<LabRow>,
    /// Whether the user stopped it.
    pub cancelled: bool,
    /// Why it could not run.
    pub failure: Option<String>,
}

/// The lab's sockets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LabSocket {
    /// Holds the session and asks the server what it saw.
    Control,
    /// Case `n`'s connection.
    Case(usize),
}

/// The lab's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LabTimer {
    /// The step under way took too long.
    Deadline,
    /// Ask the server again.
    AskAgain,
}

/// The lab's commands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Open a socket offering `wsdoctor.v1`.
    Open {
        /// Which.
        socket: LabSocket,
        /// The companion's address.
        url: String,
    },
    /// Send text on a socket.
    Send {
        /// Which.
        socket: LabSocket,
        /// The text.
        text: String,
    },
    /// Close a socket (1000).
    Close(LabSocket),
    /// Start a timer.
    StartTimer {
        /// Which.
        timer: LabTimer,
        /// After how long.
        after_ms: u64,
    },
    /// Cancel a timer.
    CancelTimer(LabTimer),
    /// The result is ready.
    Finished,
}

/// What happens.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// Run `cases` against the companion at `url`.
    Start {
        /// The companion's address.
        url: String,
        /// Whether the page is https.
        page_is_https: bool,
        /// The cases.
        cases: Vec<LabCase>,
    },
    /// A socket opened.
    Opened {
        /// Which.
        socket: LabSocket,
        /// The subprotocol picked.
        protocol: String,
    },
    /// A text message (`None`: binary or too long).
    Message {
        /// Which socket.
        socket: LabSocket,
        /// Its text.
        text: Option<String>,
    },
    /// A socket closed.
    Closed {
        /// Which.
        socket: LabSocket,
        /// What the browser reported.
        close: BrowserClose,
    },
    /// A timer fired.
    Fired(LabTimer),
    /// The user pressed Stop.
    Stop,
}

/// Where the case under way stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Control,
    Opening,
    Welcoming,
    Ending,
    Asking(u32),
}

/// The lab.
#[derive(Clone, Debug)]
pub struct CloseLab {
    url: String,
    cases: Vec<LabCase>,
    session: Option<String>,
    step: Step,
    current: usize,
    case_conn: Option<u64>,
    max_message_bytes: usize,
    result: LabResult,
    finished: bool,
}

impl Default for CloseLab {
    fn default() -> Self {
        CloseLab::new()
    }
}

impl CloseLab {
    /// A lab not yet started.
    pub fn new() -> CloseLab {
        CloseLab {
            url: String::new(),
            cases: Vec::new(),
            session: None,
            step: Step::Control,
            current: 0,
            case_conn: None,
            max_message_bytes: 0,
            result: LabResult::default(),
            finished: false,
        }
    }

    /// Whether it is over.
    pub fn is_done(&self) -> bool {
        self.finished
    }

    /// The rows so far (all of them once done).
    pub fn result(&self) -> &LabResult {
        &self.result
    }

    /// Cases done, of how many.
    pub fn progress(&self) -> (usize, usize) {
        (self.current.min(self.cases.len()), self.cases.len())
    }

    /// Handles one input at `now`.
    pub fn handle(&mut self, _now: Millis, input: Input) -> Vec<Command> {
        let mut out = Vec::new();
        if self.finished {
            return out;
        }
        match input {
            Input::Start {
                url,
                page_is_https,
                cases,
            } => {
                self.cases = cases;
                match check_target(&url, page_is_https) {
                    Err(TargetError::MixedContent) => {
                        self.fail(TargetError::MixedContent.to_string(), &mut out);
                    }
                    Err(err) => self.fail(err.to_string(), &mut out),
                    Ok(_) if self.cases.is_empty() => self.finish(&mut out),
                    Ok(_) => {
                        self.url = url.trim().to_string();
                        self.open(LabSocket::Control, &mut out);
                    }
                }
            }
            Input::Opened { socket, protocol } => self.opened(socket, &protocol, &mut out),
            Input::Message { socket, text } => {
                let message = text.and_then(|t| serde_json::from_str::<ServerMessage>(&t).ok());
                self.message(socket, message, &mut out);
            }
            Input::Closed { socket, close } => self.closed(socket, close, &mut out),
            Input::Fired(LabTimer::Deadline) => {
                let why = match self.step {
                    Step::Control => "no answer from the companion within 10 s".to_string(),
                    Step::Opening | Step::Welcoming => {
                        "the case's connection did not open within 10 s".to_string()
                    }
                    Step::Ending => "the connection did not close within 10 s".to_string(),
                    Step::Asking(_) => "the server did not say how it saw the end".to_string(),
                };
                if self.step == Step::Control {
                    self.fail(why, &mut out);
                } else {
                    self.row_failed(why, &mut out);
                }
            }
            Input::Fired(LabTimer::AskAgain) => {
                if let Step::Asking(asked) = self.step {
                    self.ask(asked, &mut out);
                }
            }
            Input::Stop => {
                self.result.cancelled = true;
                self.finish(&mut out);
            }
        }
        out
    }

    /// The row of the case under way (made when first needed).
    fn row(&mut self) -> &mut LabRow {
        let n = self.current;
        if self.result.rows.len() == n {
            self.result.rows.push(LabRow {
                case: self.cases[n].clone(),
                server: None,
                browser: None,
                failure: None,
            });
        }
        self.result.rows.last_mut().expect("pushed")
    }

    fn open(&mut self, socket: LabSocket, out: &mut Vec<Command>) {
        out.push(Command::Open {
            socket,
            url: self.url.clone(),
        });
        out.push(Command::StartTimer {
            timer: LabTimer::Deadline,
            after_ms: CASE_TIMEOUT_MS,
        });
    }

    fn send(&self, socket: LabSocket, message: &ClientMessage, out: &mut Vec<Command>) {
        if let Ok(text) = serde_json::to_string(message) {
            out.push(Command::Send { socket, text });
        }
    }

    fn opened(&mut self, socket: LabSocket, protocol: &str, out: &mut Vec<Command>) {
        if protocol != crate::COMPANION_SUBPROTOCOL {
            let why = not_the_companion("the lab", Some(protocol));
            return if socket == LabSocket::Control {
                self.fail(why, out)
            } else {
                self.row_failed(why, out)
            };
        }
        let session = match socket {
            LabSocket::Control => None,
            LabSocket::Case(_) => {
                self.step = Step::Welcoming;
                self.session.clone()
            }
        };
        self.send(socket, &ClientMessage::Hello { session }, out);
    }

    fn message(
        &mut self,
        socket: LabSocket,
        message: Option<ServerMessage>,
        out: &mut Vec<Command>,
    ) {
        match (socket, message) {
            (
                LabSocket::Control,
                Some(ServerMessage::Welcome {
                    session, limits, ..
                }),
            ) if self.session.is_none() => {
                self.session = Some(session);
                self.max_message_bytes = limits.max_message_bytes;
                self.start_case(out);
            }
            (LabSocket::Control, None) if self.session.is_none() => {
                self.fail(not_the_companion("the lab", None), out);
            }
            (LabSocket::Case(n), Some(ServerMessage::Welcome { conn, .. }))
                if n == self.current && self.step == Step::Welcoming =>
            {
                self.case_conn = Some(conn);
                self.step = Step::Ending;
                self.end_case(n, out);
            }
            (LabSocket::Control, Some(ServerMessage::SessionView { connections, .. })) => {
                let Step::Asking(asked) = self.step else {
                    return;
                };
                let seen = connections
                    .iter()
                    .find(|c| Some(c.conn) == self.case_conn)
                    .and_then(|c| c.close.clone());
                match seen {
                    Some(close) => {
                        self.row().server = Some(close);
                        self.next_case(out);
                    }
                    None if asked < ASKS => {
                        self.step = Step::Asking(asked + 1);
                        out.push(Command::StartTimer {
                            timer: LabTimer::AskAgain,
                            after_ms: ASK_AGAIN_MS,
                        });
                    }
                    None => {
                        self.row_failed(
                            "the server had not recorded the end after 2 s".into(),
                            out,
                        );
                    }
                }
            }
            _ => {}
        }
    }

    /// Asks the case's connection to end its way.
    fn end_case(&mut self, n: usize, out: &mut Vec<Command>) {
        let socket = LabSocket::Case(n);
        match self.cases[n].clone() {
            LabCase::Close { code, reason } => self.send(
                socket,
                &ClientMessage::Close {
                    code,
                    reason: (!reason.is_empty()).then_some(reason),
                    after_ms: None,
                },
                out,
            ),
            LabCase::Drop => self.send(socket, &ClientMessage::Abort { after_ms: None }, out),
            LabCase::InvalidUtf8 => self.send(
                socket,
                &ClientMessage::Misbehave {
                    kind: MisbehaveKind::InvalidUtf8,
                },
                out,
            ),
            LabCase::TooBig => out.push(Command::Send {
                socket,
                text: "x".repeat(self.max_message_bytes + 1),
            }),
        }
    }

    fn closed(&mut self, socket: LabSocket, close: BrowserClose, out: &mut Vec<Command>) {
        match socket {
            LabSocket::Control => {
                let why = format!(
                    "the control connection closed with {} ({})",
                    close.code,
                    if self.session.is_none() {
                        "before the companion answered: is this wsdoctor-server?"
                    } else {
                        "the lab cannot ask the server any more"
                    }
                );
                self.fail(why, out);
            }
            LabSocket::Case(n) if n == self.current => {
                let opened = matches!(self.step, Step::Ending | Step::Welcoming);
                self.row().browser = Some(close);
                if !opened || self.case_conn.is_none() {
                    self.row().failure =
                        Some("the case's connection closed before the server welcomed it".into());
                    return self.next_case(out);
                }
                self.ask(0, out);
            }
            LabSocket::Case(_) => {}
        }
    }

    /// Asks the server how it saw the case's connection (the `asked`-th time).
    fn ask(&mut self, asked: u32, out: &mut Vec<Command>) {
        self.step = Step::Asking(asked);
        self.send(
            LabSocket::Control,
            &ClientMessage::SessionView { session: None },
            out,
        );
    }

    fn start_case(&mut self, out: &mut Vec<Command>) {
        out.push(Command::CancelTimer(LabTimer::Deadline));
        let n = self.current;
        if n >= self.cases.len() {
            return self.finish(out);
        }
        self.step = Step::Opening;
        self.case_conn = None;
        self.open(LabSocket::Case(n), out);
    }

    /// The case under way is done (its row complete): on to the next.
    fn next_case(&mut self, out: &mut Vec<Command>) {
        self.row();
        out.push(Command::Close(LabSocket::Case(self.current)));
        out.push(Command::CancelTimer(LabTimer::AskAgain));
        self.current += 1;
        self.start_case(out);
    }

    fn row_failed(&mut self, why: String, out: &mut Vec<Command>) {
        self.row().failure = Some(why);
        self.next_case(out);
    }

    fn fail(&mut self, why: String, out: &mut Vec<Command>) {
        self.result.failure = Some(why);
        self.finish(out);
    }

    fn finish(&mut self, out: &mut Vec<Command>) {
        self.finished = true;
        out.push(Command::CancelTimer(LabTimer::Deadline));
        out.push(Command::CancelTimer(LabTimer::AskAgain));
        for n in 0..self.cases.len() {
            out.push(Command::Close(LabSocket::Case(n)));
        }
        out.push(Command::Close(LabSocket::Control));
        out.push(Command::Finished);
    }
}

/// The lab's outcome in one sentence.
pub fn headline(result: &LabResult) -> String {
    if let Some(failure) = &result.failure {
        return format!("The lab could not run: {failure}.");
    }
    let both = result
        .rows
        .iter()
        .filter(|r| r.failure.is_none() && r.browser.is_some() && r.server.is_some())
        .count();
    let stopped = if result.cancelled { " (stopped)" } else { "" };
    format!(
        "{both} of {} endings seen from both sides{stopped}: what the server sent, and what this browser reported.",
        result.rows.len()
    )
}

#[cfg(test)]
mod tests;
