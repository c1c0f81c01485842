//! Where the connection stands and why it last closed, in the words the page shows.

use wsdoctor_core::diagnosis::{Finding, ServerSide};
use wsdoctor_core::event_log::ConnId;

/// Where the connection stands, in the words the page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionStatus {
    /// Nothing connected yet.
    Idle,
    /// The handshake is under way.
    Connecting,
    /// Open: messages can be sent.
    Open,
    /// The user's close is under way.
    Closing,
    /// Closed, with the code the browser reported.
    Closed(u16),
    /// Waiting to reconnect: retry number and delay.
    Waiting {
        /// Which retry.
        retry: u32,
        /// In how many ms (from when the wait started).
        in_ms: u64,
    },
    /// Stopped reconnecting, and why.
    GaveUp(String),
}

impl ConnectionStatus {
    /// A short label, shown as text so that colour is never the only signal.
    pub fn label(&self) -> String {
        match self {
            ConnectionStatus::Idle => "not connected".into(),
            ConnectionStatus::Connecting => "connecting…".into(),
            ConnectionStatus::Open => "open".into(),
            ConnectionStatus::Closing => "closing…".into(),
            ConnectionStatus::Closed(code) => format!("closed ({code})"),
            ConnectionStatus::Waiting { retry, in_ms } => {
                format!(
                    "reconnecting: retry {retry} in {:.1} s",
                    *in_ms as f64 / 1000.0
                )
            }
            ConnectionStatus::GaveUp(why) => format!("not reconnecting: {why}"),
        }
    }

    /// A stable name for styles and tests.
    pub fn as_str(&self) -> &'static str {
        match self {
            ConnectionStatus::Idle => "idle",
            ConnectionStatus::Connecting => "connecting",
            ConnectionStatus::Open => "open",
            ConnectionStatus::Closing => "closing",
            ConnectionStatus::Closed(_) => "closed",
            ConnectionStatus::Waiting { .. } => "waiting",
            ConnectionStatus::GaveUp(_) => "gave-up",
        }
    }

    /// Whether there is something to disconnect (a socket, or a pending reconnect).
    pub fn is_live(&self) -> bool {
        matches!(
            self,
            ConnectionStatus::Connecting
                | ConnectionStatus::Open
                | ConnectionStatus::Closing
                | ConnectionStatus::Waiting { .. }
        )
    }
}

/// The last close, explained. A failure before open does not replace the explanation
/// of a connection that had opened (a drop followed by failing retries).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseExplanation {
    /// The socket.
    pub conn: ConnId,
    /// The close code.
    pub code: u16,
    /// The close reason.
    pub reason: String,
    /// Whether the closing handshake completed.
    pub was_clean: bool,
    /// How long it had been open, in ms, if it opened.
    pub open_for_ms: Option<u64>,
    /// The findings, most confident first.
    pub findings: Vec<Finding>,
    /// How the companion saw the same close, once it said (target: wsdoctor-server,
    /// subprotocol `wsdoctor.v1`, and a later connection to ask on).
    pub server: Option<ServerSide>,
}
