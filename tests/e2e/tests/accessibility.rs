//! Accessibility, end to end: axe-core's serious and critical rules find nothing in the
//! connection console, the end user's view (before and after a run) and a report opened
//! from a file, on a desktop window and on a 375 px wide one, and nothing is wider than
//! the window (what scrolls sideways does so in its own region). One browser session.

use std::time::Duration;

use wsdoctor_core::report::{
    CheckKind, CheckResult, CheckStatus, Connection, Environment, LifecycleEvent, Report,
    ReportFinding, SCHEMA_VERSION, ServerView,
};
use wsdoctor_e2e::accessibility::serious_violations;
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::process::ScratchDir;
use wsdoctor_e2e::server::Server;
use wsdoctor_e2e::support_page::SupportPage;

/// A report as support would receive it, with a hostile reason among its strings.
fn sample_report() -> Report {
    Report {
        schema_version: SCHEMA_VERSION,
        app_version: "0.1.0".into(),
        generated_at: "2026-11-26T14:45:00Z".into(),
        target: "wss://app.example/ws?token=••••".into(),
        environment: Environment {
            user_agent: "HeadlessChrome".into(),
            page_origin: "https://diag.example".into(),
            page_scheme: "https".into(),
            online: true,
            companion_detected: true,
            cross_origin_isolated: true,
        },
        checks: vec![CheckResult {
            kind: CheckKind::Idle,
            status: CheckStatus::Warn,
            summary: "Idle connections are cut after about 3 s.".into(),
            details: serde_json::json!({
                "idle_timeout_ms": 3000, "recommended_heartbeat_ms": 1000, "cut_by": "path",
                "watched_ms": 8000,
                "probes": [
                    {"name": "silent", "label": "Silent", "interval_ms": null, "survived": false, "closed_after_ms": 3000, "close_code": 1006},
                    {"name": "echo_heartbeat", "label": "Echoed heartbeats", "interval_ms": 1000, "survived": true, "closed_after_ms": null, "close_code": null}
                ],
                "findings": ["No close frame reached the server."],
                "advice": ["Send a heartbeat every 1 s."]
            }),
        }],
        connections: vec![Connection {
            id: 1,
            url: "wss://app.example/ws?token=••••".into(),
            started_at: "2026-11-26T14:44:00Z".into(),
            opened_at: Some("2026-11-26T14:44:00Z".into()),
            closed_at: Some("2026-11-26T14:44:03Z".into()),
            close_code: Some(1006),
            reason: "<b>not bold</b>".into(),
            was_clean: Some(false),
            lifetime_ms: Some(3000),
            server: Some(ServerView {
                closed_by: "none".into(),
                code: None,
            }),
        }],
        lifecycle: vec![LifecycleEvent {
            at: "2026-11-26T14:44:01Z".into(),
            kind: "hidden".into(),
            label: "page hidden".into(),
        }],
        findings: vec![ReportFinding {
            connection: 1,
            finding: "A proxy cut the idle connection.".into(),
            confidence: "high".into(),
            evidence: vec!["1006 and no close frame at the server".into()],
            advice: vec!["Send a heartbeat.".into()],
        }],
        redacted: vec!["the value of \"token\" in the target".into()],
    }
}

async fn assert_accessible(browser: &Browser, what: &str) {
    let found = serious_violations(browser.client()).await;
    assert!(found.is_empty(), "{what}: {found:#?}");
    let wider = browser
        .client()
        .execute(
            "const w = document.documentElement.clientWidth;
             return [...document.querySelectorAll('body *')]
               .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.table-scroll, .timeline-scroll'))
               .slice(0, 5)
               .map(e => e.tagName + (e.dataset.testid ? '[' + e.dataset.testid + ']' : ''));",
            Vec::new(),
        )
        .await
        .expect("measure the page");
    assert_eq!(
        wider,
        serde_json::json!([]),
        "{what}: wider than the window"
    );
}

#[tokio::test]
async fn the_console_the_end_users_view_and_a_report_pass_axe_on_desktop_and_phone() {
    let server = Server::start();
    let browser = Browser::start().await;
    let scratch = ScratchDir::new("report-file");
    let file = scratch.path().join("wsdoctor-report.json");
    std::fs::write(&file, sample_report().to_json()).expect("write the report file");
    let page = SupportPage::new(browser.client());
    for (width, height) in [(1280, 900), (375, 800)] {
        browser
            .client()
            .set_window_size(width, height)
            .await
            .expect("resize the window");
        ConsolePage::open(&browser, &server.page_url()).await;
        assert_accessible(&browser, &format!("the console at {width} px")).await;

        // A report file chosen in the console: shown read-only, its strings as text.
        let input = browser
            .client()
            .find(fantoccini::Locator::Css("[data-testid='report-file']"))
            .await
            .expect("the report file field");
        input
            .send_keys(&file.display().to_string())
            .await
            .expect("choose the report file");
        page.wait_for("report-banner", Duration::from_secs(10))
            .await;
        assert_eq!(
            page.text("report-connection-reason").await,
            "<b>not bold</b>"
        );
        assert_accessible(&browser, &format!("a report at {width} px")).await;
        page.click("report-close").await;

        browser
            .open_page(
                &server.page_url(),
                &[("checks", "idle"), ("watch", "2"), ("every", "0.5")],
            )
            .await;
        page.wait_for("end-user-view", Duration::from_secs(10))
            .await;
        assert_accessible(&browser, &format!("the end user's view at {width} px")).await;
        page.run_diagnostics(Duration::from_secs(15)).await;
        assert_accessible(
            &browser,
            &format!("the end user's view after a run at {width} px"),
        )
        .await;
    }
    browser.close().await;
}
