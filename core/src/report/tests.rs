//! Scenario tests of the report: assembled from a console's history, redacted, written
//! as Markdown, and read back.

use super::*;
use crate::diagnosis::{Confidence, Finding, FindingKind, ServerSide};
use crate::event_log::{ConnId, EventLog, LogEvent};
use crate::page_marks::PageMarks;
use crate::protocol::ClosedBy;
use crate::supervisor::Attempt;
use serde_json::json;

/// 2026-11-26T14:45:00Z, read at monotonic time 100 s.
const WALL: f64 = 1_795_704_300_000.0;
const NOW: f64 = 100_000.0;

fn idle_warning() -> CheckResult {
    CheckResult {
        kind: CheckKind::Idle,
        status: CheckStatus::Warn,
        summary: "Idle connections are cut after about 3 s.".into(),
        details: json!({"idle_timeout_ms": 3000, "findings": ["cut by nginx"], "advice": ["heartbeat every 1 s"]}),
    }
}

fn sample(reason: &str) -> Report {
    let mut log = EventLog::new(100);
    log.push(
        40_000.0,
        Some(ConnId(2)),
        LogEvent::Closed {
            code: 1006,
            reason: reason.into(),
            was_clean: false,
        },
    );
    let mut marks = PageMarks::new();
    marks.record(20_000.0, &LogEvent::PageHidden);
    marks.record(25_000.0, &LogEvent::PageVisible);
    marks.record(30_000.0, &LogEvent::Offline);
    let attempts = [
        Attempt {
            conn: ConnId(1),
            started: 1_000.0,
            opened: Some(1_050.0),
            ended: Some(10_000.0),
            code: Some(1000),
            reason: String::new(),
            next_delay_ms: None,
        },
        Attempt {
            conn: ConnId(2),
            started: 11_000.0,
            opened: Some(11_100.0),
            ended: Some(40_000.0),
            code: Some(1006),
            reason: reason.into(),
            next_delay_ms: Some(1000),
        },
    ];
    build_report(ReportInputs {
        app_version: "0.1.0",
        now: NOW,
        wall_now: WALL,
        target: "wss://user:pw@app.example/ws?token=sekrit&room=7",
        environment: Environment {
            user_agent: "HeadlessChrome".into(),
            page_origin: "https://diag.example".into(),
            page_scheme: "https".into(),
            online: true,
            companion_detected: true,
            cross_origin_isolated: true,
        },
        checks: vec![idle_warning()],
        attempts: &attempts,
        log: &log,
        last_close: Some(ClosedExplained {
            conn: ConnId(2),
            findings: vec![Finding {
                kind: FindingKind::IdleCut,
                title: "A proxy cut the idle connection.".into(),
                confidence: Confidence::High,
                evidence: vec!["no close frame reached the server".into()],
                advice: vec!["send a heartbeat".into()],
                snippets: Vec::new(),
            }],
            server: Some(ServerSide {
                by: ClosedBy::None,
                code: None,
            }),
        }),
        page_marks: &marks,
    })
}

#[test]
fn the_report_masks_the_targets_secrets_and_says_what_it_redacted() {
    let report = sample("");
    let json = report.to_json();
    assert!(!json.contains("sekrit") && !json.contains(":pw@"), "{json}");
    assert!(report.target.contains("token=••••"), "{}", report.target);
    assert!(report.target.contains("room=7"));
    let redacted = report.redacted.join("\n");
    assert!(redacted.contains("the value of \"token\""), "{redacted}");
    assert!(redacted.contains("the password"), "{redacted}");
}

#[test]
fn connections_carry_utc_times_lifetimes_cleanliness_and_the_servers_view() {
    let report = sample("");
    assert_eq!(report.generated_at, "2026-11-26T14:45:00Z");
    let second = &report.connections[1];
    assert_eq!(second.id, 2);
    assert_eq!(second.started_at, "2026-11-26T14:43:31Z");
    assert_eq!(second.closed_at.as_deref(), Some("2026-11-26T14:44:00Z"));
    assert_eq!(second.lifetime_ms, Some(28_900));
    assert_eq!(second.was_clean, Some(false));
    assert_eq!(
        second.server,
        Some(ServerView {
            closed_by: "none".into(),
            code: None
        })
    );
    let first = &report.connections[0];
    assert_eq!(first.was_clean, None, "the log no longer holds its close");
    assert_eq!(
        first.server, None,
        "only the explained close has the server's view"
    );
}

#[test]
fn the_pages_life_is_listed_in_order_and_findings_keep_their_confidence() {
    let report = sample("");
    let kinds: Vec<&str> = report.lifecycle.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["hidden", "visible", "offline"]);
    assert_eq!(report.findings[0].confidence, "high");
    assert_eq!(report.findings[0].connection, 2);
}

#[test]
fn close_reasons_are_masked_like_every_url_in_them() {
    let report = sample("moved to wss://other.example/ws?api_key=abc123");
    assert!(!report.to_json().contains("abc123"));
    assert!(report.connections[1].reason.contains("api_key=••••"));
}

#[test]
fn a_report_reads_back_from_its_json_unchanged() {
    let report = sample("bye");
    assert_eq!(parse_report(&report.to_json()), Ok(report.clone()));
    assert_eq!(parse_report(&report.to_compact_json()), Ok(report));
}

#[test]
fn markdown_leads_with_the_summary_and_keeps_hostile_text_inert() {
    let hostile = "<img src=x onerror=alert(1)> ![x](http://evil) `tick` | pipe\nnext";
    let report = sample(hostile);
    let text = markdown(&report);
    let summary_at = text.find("### Summary").unwrap();
    let connections_at = text.find("### Connections").unwrap();
    assert!(summary_at < connections_at);
    assert!(
        text.contains("- **WARNING** Idle timeout of the path (idle): `Idle connections are cut after about 3 s.`"),
        "{text}"
    );
    assert!(
        text.contains("`<img src=x onerror=alert(1)> ![x](http://evil) 'tick' \\| pipe next`"),
        "{text}"
    );
    assert!(!text.contains("sekrit"));
}

#[test]
fn the_most_important_check_comes_first() {
    let mut report = sample("");
    report.checks.insert(
        0,
        CheckResult {
            kind: CheckKind::Idle,
            status: CheckStatus::Pass,
            summary: "fine".into(),
            details: json!({}),
        },
    );
    report.checks.push(CheckResult {
        kind: CheckKind::Idle,
        status: CheckStatus::Fail,
        summary: "bad".into(),
        details: json!({}),
    });
    let order: Vec<CheckStatus> = report
        .checks_by_importance()
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(
        order,
        [CheckStatus::Fail, CheckStatus::Warn, CheckStatus::Pass]
    );
    assert_eq!(report.file_name(), "wsdoctor-report-20261126T144500Z.json");
}

#[test]
fn the_downloaded_json_is_indented_like_serde_jsons_pretty_output() {
    let report = sample("quote \" and {brace} [bracket], comma: colon\\");
    assert_eq!(
        report.to_json(),
        serde_json::to_string_pretty(&report).unwrap()
    );
}
