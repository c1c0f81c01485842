//! The report as Markdown, for a support ticket: the summary first (each check's status
//! in words and the most important first), then the findings, the connections and the
//! page's life. Every string that came from a server or a user is put in a code span, so
//! a hostile close reason cannot become a link, an image or HTML in the ticket.

use std::fmt::Write;

use super::Report;
use crate::duration::seconds;

/// `text` as an inline code span on one line (backticks and line breaks neutralised).
fn code(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| match c {
            '`' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("`{flat}`")
}

/// The report as Markdown.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## wsdoctor report\n");
    let _ = writeln!(
        out,
        "Target {} · made {} by wsdoctor {} · schema {}\n",
        code(&report.target),
        code(&report.generated_at),
        code(&report.app_version),
        report.schema_version
    );
    let _ = writeln!(out, "### Summary\n");
    if report.checks.is_empty() {
        let _ = writeln!(out, "No check was run.\n");
    }
    for check in report.checks_by_importance() {
        let _ = writeln!(
            out,
            "- **{}** {} ({}): {}",
            check.status.word_in_capitals(),
            check.kind.title(),
            check.kind.name(),
            code(&check.summary)
        );
        for (key, label) in [("findings", "finding"), ("advice", "advice")] {
            for line in check.lines(key) {
                let _ = writeln!(out, "  - {label}: {}", code(&line));
            }
        }
    }
    if !report.findings.is_empty() {
        let _ = writeln!(out, "\n### Why the last connection closed\n");
        for finding in &report.findings {
            let _ = writeln!(
                out,
                "- {} (confidence: {}, connection #{})",
                code(&finding.finding),
                code(&finding.confidence),
                finding.connection
            );
            for advice in &finding.advice {
                let _ = writeln!(out, "  - advice: {}", code(advice));
            }
        }
    }
    if !report.connections.is_empty() {
        let _ = writeln!(out, "\n### Connections\n");
        let _ = writeln!(
            out,
            "| # | started | open for | code | clean | reason | server saw |\n| --- | --- | --- | --- | --- | --- | --- |"
        );
        for c in &report.connections {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                c.id,
                code(&c.started_at).replace('|', "\\|"),
                c.lifetime_ms.map_or("-".into(), seconds),
                c.close_code.map_or("-".into(), |code| code.to_string()),
                c.was_clean
                    .map_or("-", |clean| if clean { "yes" } else { "no" }),
                if c.reason.is_empty() {
                    "-".to_string()
                } else {
                    code(&c.reason).replace('|', "\\|")
                },
                c.server.as_ref().map_or("-".into(), |s| code(&format!(
                    "{}{}",
                    s.closed_by,
                    s.code.map(|c| format!(" {c}")).unwrap_or_default()
                ))
                .replace('|', "\\|")),
            );
        }
    }
    if !report.lifecycle.is_empty() {
        let _ = writeln!(out, "\n### The page's life\n");
        for event in &report.lifecycle {
            let _ = writeln!(out, "- {} {}", code(&event.at), code(&event.label));
        }
    }
    let env = &report.environment;
    let _ = writeln!(out, "\n### Environment\n");
    let _ = writeln!(
        out,
        "- page {} · online: {} · companion: {} · cross-origin isolated: {}\n- browser {}",
        code(&env.page_origin),
        yes_no(env.online),
        yes_no(env.companion_detected),
        yes_no(env.cross_origin_isolated),
        code(&env.user_agent)
    );
    let redacted: Vec<String> = report.redacted.iter().map(|r| code(r)).collect();
    let _ = writeln!(out, "\nRedacted before sharing: {}.", redacted.join("; "));
    out
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
