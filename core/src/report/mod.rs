//! The report an end user sends to support: what was tested, how each check came out,
//! every connection and how it closed, the page's own life (hidden, offline, frozen), and
//! the findings that explain the drops. A versioned JSON (`SCHEMA_VERSION`, documented in
//! `docs/report.md` and defined by `docs/report.schema.json`), the same as Markdown for a
//! ticket, and compact enough to travel in a link's fragment.
//!
//! Secrets are redacted when the report is built, before anything leaves the page: the
//! target's credential-like query values and password, and any URL's secrets inside
//! close reasons. The report lists what was redacted, so the user sees it.

mod build;
mod check;
mod encoding;
mod markdown;
mod time;

use serde::{Deserialize, Serialize};

pub use build::{ClosedExplained, ReportInputs, build_report};
pub use check::{
    CheckKind, CheckResult, CheckStatus, blocked_check, by_importance, handshake_check, idle_check,
    lab_check, round_trip_check, size_check, sleep_check, soak_check,
};
pub use encoding::{
    MAX_LINK_FRAGMENT_BYTES, MAX_REPORT_BYTES, ReportError, base64url_decode, base64url_encode,
    parse_report,
};
pub use markdown::markdown;
pub use time::utc_timestamp;

/// The report format's version: a reader refuses other versions with a clear message.
pub const SCHEMA_VERSION: u32 = 1;

/// The report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The format's version (`SCHEMA_VERSION`).
    pub schema_version: u32,
    /// The version of wsdoctor that made it.
    pub app_version: String,
    /// When it was made, UTC (`2026-11-26T14:05:00Z`).
    pub generated_at: String,
    /// The target tested, with secrets masked.
    pub target: String,
    /// The browser and page it ran in.
    pub environment: Environment,
    /// Each check's result.
    pub checks: Vec<CheckResult>,
    /// The console's connections, oldest first.
    pub connections: Vec<Connection>,
    /// The page's life while it ran, oldest first.
    pub lifecycle: Vec<LifecycleEvent>,
    /// Why the last connection closed, most confident first.
    pub findings: Vec<ReportFinding>,
    /// What was redacted before the report left the page, in words.
    pub redacted: Vec<String>,
}

/// Where the run happened.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// The browser's user agent string.
    pub user_agent: String,
    /// The page's origin (`https://diag.example.com`).
    pub page_origin: String,
    /// The page's scheme (`https` or `http`).
    pub page_scheme: String,
    /// Whether the browser said it was online when the report was made.
    pub online: bool,
    /// Whether the target answered as wsdoctor-server's companion.
    pub companion_detected: bool,
    /// Whether the page was cross-origin isolated (fine-grained timers).
    pub cross_origin_isolated: bool,
}

/// One connection of the console.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// Its number in the page (`#3`).
    pub id: u32,
    /// The target, with secrets masked.
    pub url: String,
    /// When it started (UTC).
    pub started_at: String,
    /// When it opened (UTC), if it did.
    pub opened_at: Option<String>,
    /// When it closed (UTC), if it has.
    pub closed_at: Option<String>,
    /// The close code the browser reported.
    pub close_code: Option<u16>,
    /// The close reason (secrets masked).
    pub reason: String,
    /// Whether the closing handshake completed (`None`: not known any more).
    pub was_clean: Option<bool>,
    /// How long it was open, in ms.
    pub lifetime_ms: Option<u64>,
    /// How the server saw its close, when the companion said.
    pub server: Option<ServerView>,
}

/// How the companion saw a close.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerView {
    /// Who closed it as the server saw it: `client`, `server` or `none` (no close frame).
    pub closed_by: String,
    /// The code in the close frame the server saw or sent.
    pub code: Option<u16>,
}

/// A moment of the page's life.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifecycleEvent {
    /// When (UTC).
    pub at: String,
    /// What: `hidden`, `visible`, `offline`, `online`, `page-frozen`, `clock-jump`, ...
    pub kind: String,
    /// The same in words.
    pub label: String,
}

/// A finding that explains a close.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportFinding {
    /// The connection it explains.
    pub connection: u32,
    /// The explanation, in one sentence.
    pub finding: String,
    /// `high`, `medium` or `low`.
    pub confidence: String,
    /// The facts it rests on.
    pub evidence: Vec<String>,
    /// What to do.
    pub advice: Vec<String>,
}

impl Report {
    /// The checks, the one that matters most first (fail, warn, could not run, pass).
    pub fn checks_by_importance(&self) -> Vec<&CheckResult> {
        by_importance(&self.checks)
    }

    /// The report as indented JSON (what "Download JSON" saves).
    pub fn to_json(&self) -> String {
        indent_json(&self.to_compact_json())
    }

    /// The report as compact JSON (what a report link carries, compressed).
    pub fn to_compact_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The file name for a download: `wsdoctor-report-20261126T140500Z.json`.
    pub fn file_name(&self) -> String {
        let stamp: String = self
            .generated_at
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        format!("wsdoctor-report-{stamp}.json")
    }
}

/// Compact JSON (as serde_json writes it) laid out two spaces an indent, one member a
/// line. Done on the text, so the page carries one JSON writer, not a second one for
/// pretty output.
fn indent_json(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = compact.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                if matches!(chars.peek(), Some('}' | ']')) {
                    if let Some(close) = chars.next() {
                        out.push(close);
                    }
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
