//! Assembling a report from what the page knows: the checks' results, the console's
//! connection history and log, the last close's explanation, and the page's marks.
//! Times on the page's monotonic clock become UTC through one pair of readings taken
//! together (monotonic now, wall now). Secrets are redacted here.

use super::time::utc_timestamp;
use super::{
    CheckResult, Connection, Environment, LifecycleEvent, Report, ReportFinding, SCHEMA_VERSION,
    ServerView,
};
use crate::Millis;
use crate::diagnosis::{Confidence, Finding, ServerSide};
use crate::event_log::{ConnId, EventLog, LogEvent};
use crate::page_marks::PageMarks;
use crate::protocol::ClosedBy;
use crate::supervisor::Attempt;
use crate::target::{is_secret_name, mask_secrets, mask_secrets_in_text};

/// The last close, as explained on the page.
#[derive(Clone, Debug)]
pub struct ClosedExplained {
    /// The connection.
    pub conn: ConnId,
    /// Its findings, most confident first.
    pub findings: Vec<Finding>,
    /// How the companion saw it, when it said.
    pub server: Option<ServerSide>,
}

/// What a report is made from.
pub struct ReportInputs<'a> {
    /// This wsdoctor's version.
    pub app_version: &'a str,
    /// The page's monotonic clock now (ms).
    pub now: Millis,
    /// The wall clock at the same moment (ms since 1970, UTC).
    pub wall_now: f64,
    /// The target tested (as typed; masked here).
    pub target: &'a str,
    /// The browser and page.
    pub environment: Environment,
    /// Each check's result.
    pub checks: Vec<CheckResult>,
    /// The console's connection attempts, oldest first.
    pub attempts: &'a [Attempt],
    /// The console's log (for what the history does not keep: whether closes were clean).
    pub log: &'a EventLog,
    /// The last close's explanation, if any.
    pub last_close: Option<ClosedExplained>,
    /// The page's hidden spans and marks.
    pub page_marks: &'a PageMarks,
}

/// Builds the report, with secrets redacted.
pub fn build_report(inputs: ReportInputs<'_>) -> Report {
    let at = |t: Millis| utc_timestamp(inputs.wall_now - (inputs.now - t));
    let target = mask_secrets(inputs.target);
    let connections = inputs
        .attempts
        .iter()
        .map(|attempt| {
            let server = inputs
                .last_close
                .as_ref()
                .filter(|c| c.conn == attempt.conn)
                .and_then(|c| c.server.as_ref())
                .map(|s| ServerView {
                    closed_by: closed_by_name(s.by).into(),
                    code: s.code,
                });
            Connection {
                id: attempt.conn.0,
                url: target.clone(),
                started_at: at(attempt.started),
                opened_at: attempt.opened.map(at),
                closed_at: attempt.ended.map(at),
                close_code: attempt.code,
                reason: mask_secrets_in_text(&attempt.reason),
                was_clean: was_clean(inputs.log, attempt.conn),
                lifetime_ms: attempt
                    .opened
                    .zip(attempt.ended)
                    .map(|(opened, ended)| (ended - opened).max(0.0) as u64),
                server,
            }
        })
        .collect();
    // Hidden spans and marks are each oldest first: merged, they stay in order.
    let mut spans: Vec<(Millis, LifecycleEvent)> = Vec::new();
    for span in inputs.page_marks.hidden() {
        spans.push((span.from, event(at(span.from), "hidden", "page hidden")));
        if let Some(to) = span.to {
            spans.push((to, event(at(to), "visible", "page visible")));
        }
    }
    let mut marks = inputs
        .page_marks
        .marks()
        .map(|mark| (mark.at, event(at(mark.at), &mark.kind, &mark.label)))
        .peekable();
    let mut lifecycle = Vec::new();
    for (t, span_event) in spans {
        while let Some((_, mark)) = marks.next_if(|(m, _)| *m < t) {
            lifecycle.push(mark);
        }
        lifecycle.push(span_event);
    }
    lifecycle.extend(marks.map(|(_, mark)| mark));
    let findings = inputs
        .last_close
        .as_ref()
        .map(|close| {
            close
                .findings
                .iter()
                .map(|f| ReportFinding {
                    connection: close.conn.0,
                    finding: mask_secrets_in_text(&f.title),
                    confidence: confidence_name(f.confidence).into(),
                    evidence: f.evidence.iter().map(|e| mask_secrets_in_text(e)).collect(),
                    advice: f
                        .advice
                        .iter()
                        .cloned()
                        .chain(
                            f.snippets
                                .iter()
                                .map(|s| format!("{}: {}", s.title, s.code)),
                        )
                        .map(|a| mask_secrets_in_text(&a))
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    Report {
        schema_version: SCHEMA_VERSION,
        app_version: inputs.app_version.to_string(),
        generated_at: utc_timestamp(inputs.wall_now),
        redacted: redacted(inputs.target),
        target,
        environment: inputs.environment,
        checks: inputs.checks,
        connections,
        lifecycle,
        findings,
    }
}

fn event(at: String, kind: &str, label: &str) -> LifecycleEvent {
    LifecycleEvent {
        at,
        kind: kind.to_string(),
        label: label.to_string(),
    }
}

/// Whether `conn`'s close was clean, as the log recorded it (if it still holds it).
fn was_clean(log: &EventLog, conn: ConnId) -> Option<bool> {
    log.entries()
        .rev()
        .filter(|e| e.conn == Some(conn))
        .find_map(|e| match e.event {
            LogEvent::Closed { was_clean, .. } => Some(was_clean),
            _ => None,
        })
}

fn closed_by_name(by: ClosedBy) -> &'static str {
    match by {
        ClosedBy::Client => "client",
        ClosedBy::Server => "server",
        ClosedBy::None => "none",
    }
}

fn confidence_name(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}

/// What redaction removed from `target`, in words (the values themselves never appear).
fn redacted(target: &str) -> Vec<String> {
    let mut said = Vec::new();
    let before_fragment = target.split('#').next().unwrap_or_default();
    if let Some((_, query)) = before_fragment.split_once('?') {
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if !value.is_empty() && is_secret_name(name) {
                said.push(format!("the value of \"{name}\" in the target"));
            }
        }
    }
    let authority = before_fragment.split_once("://").map_or("", |(_, rest)| {
        rest.split(['/', '?']).next().unwrap_or_default()
    });
    if authority
        .rsplit_once('@')
        .is_some_and(|(user, _)| user.contains(':'))
    {
        said.push("the password in the target".into());
    }
    said.push(
        "any URL's secrets inside close reasons and findings; the companion's session ids are \
         never included"
            .into(),
    );
    said
}
