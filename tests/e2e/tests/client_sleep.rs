//! The client-sleep experiment end to end, in headless Chromium under the server's CSP:
//! a simulated sleep (the companion's blackhole) leaves a half-open socket that the probe's
//! deadline finds; a page really hidden behind a second tab, in a browser that throttles
//! hidden timers as Chrome does for users, shows its main-thread timers slowed while the
//! Worker's kept their pace; and against the seed's Python `websockets` server with
//! `ping_interval`/`ping_timeout`, a hidden tab keeps its connection (the browser answers
//! Pings itself); a page frozen through Chromium's Page Lifecycle is said frozen; and a
//! support link with `checks=idle,sleep` asks the user to switch away and reports the
//! return.

use std::time::Duration;

use serde_json::{Value, json};

use wsdoctor_core::sleep::{Fate, ServerSaw};
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::check_details::field;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::report_file::{downloaded_json, schema_errors};
use wsdoctor_e2e::server::Server;
use wsdoctor_e2e::support_page::{SupportPage, kinds_and_statuses};
use wsdoctor_e2e::third_party::{PythonOptions, ThirdPartyServer};

/// Fills in the sleep card and presses Start.
async fn start_sleep(page: &ConsolePage<'_>, fields: &[(&str, &str)]) {
    for (id, value) in fields {
        page.set_field(id, value).await;
    }
    page.click("sleep-start").await;
}

/// Waits for the verdict; returns its `details` (from `data-result`, as the report has
/// them).
async fn sleep_verdict(support: &SupportPage<'_>, patience: Duration) -> Value {
    support.wait_for("sleep-verdict", patience).await;
    support.check("sleep-verdict").await["details"].clone()
}

/// Waits until the experiment holds its probe and asks the user to hide the page.
async fn wait_until_watching(support: &SupportPage<'_>) {
    support
        .wait_for_attr("sleep-status", "data-phase", "watching")
        .await;
}

/// A number the chart carries as a data attribute.
async fn chart_number(support: &SupportPage<'_>, name: &str) -> u64 {
    support
        .wait_for("sleep-chart", Duration::from_secs(5))
        .await
        .attr(name)
        .await
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("the chart has no {name}"))
}

#[tokio::test]
async fn a_simulated_sleep_leaves_a_half_open_socket_that_the_probes_deadline_finds() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    start_sleep(
        &page,
        &[
            ("sleep-every", "0.5"),
            ("sleep-deadline", "1"),
            ("sleep-simulate", "2"),
        ],
    )
    .await;
    let support = SupportPage::new(browser.client());
    let result = sleep_verdict(&support, Duration::from_secs(15)).await;
    assert_eq!(
        field::<Fate>(&result, "fate"),
        Fate::HalfOpen { deadline_ms: 1_000 },
        "{result:#}"
    );
    assert_eq!(result["simulated"], true, "{result:#}");
    assert_eq!(result["open_on_return"], true, "{result:#}");
    let server: ServerSaw =
        field::<Option<ServerSaw>>(&result, "server").expect("the companion was asked");
    assert_eq!(
        server.closed_by, None,
        "both sides disagree: the server still had it open: {result:#}"
    );
    // The advice: a probe with a deadline on return, shown first.
    let snippets = page.snippets("sleep-snippet").await;
    assert_eq!(
        snippets.first(),
        Some(&("Reconnect on return".to_string(), true)),
        "{snippets:?}"
    );
    browser.close().await;
}

#[tokio::test]
async fn hidden_behind_a_second_tab_main_thread_timers_slow_down_and_the_workers_do_not() {
    let server = Server::start();
    let browser = Browser::start_throttled().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    let first = browser.current_tab().await;
    start_sleep(&page, &[("sleep-every", "0.1"), ("sleep-deadline", "2")]).await;
    wait_until_watching(&SupportPage::new(browser.client())).await;
    browser.open_second_tab().await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    browser.switch_to(first).await;
    let support = SupportPage::new(browser.client());
    let result = sleep_verdict(&support, Duration::from_secs(15)).await;
    assert_eq!(field::<Fate>(&result, "fate"), Fate::Survived, "{result:#}");
    assert!(
        field::<u64>(&result, "away_ms") >= 3_000,
        "hidden 4 s: {result:#}"
    );
    let main_gap = chart_number(&support, "data-main-typical-gap-ms").await;
    let worker_gap = chart_number(&support, "data-worker-typical-gap-ms").await;
    assert!(
        main_gap >= 5 * worker_gap.max(1),
        "hidden, the main thread's timers ran every {main_gap} ms, the Worker's every {worker_gap} ms"
    );
    browser.close().await;
}

#[tokio::test]
async fn against_pythons_keepalive_a_hidden_tab_keeps_its_connection() {
    let server = Server::start();
    let python = ThirdPartyServer::python_websockets(&PythonOptions {
        // The fixture sets ping_timeout to the same interval.
        ping_interval: Some(Duration::from_millis(500)),
        ..PythonOptions::default()
    });
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    let first = browser.current_tab().await;
    page.set_target(&python.url()).await;
    start_sleep(&page, &[("sleep-every", "1"), ("sleep-deadline", "2")]).await;
    wait_until_watching(&SupportPage::new(browser.client())).await;
    browser.open_second_tab().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    browser.switch_to(first).await;
    let support = SupportPage::new(browser.client());
    let result = sleep_verdict(&support, Duration::from_secs(15)).await;
    assert_eq!(field::<Fate>(&result, "fate"), Fate::Survived, "{result:#}");
    assert!(
        result["companion"] == false && result["server"].is_null(),
        "not the companion: how the server saw it is unknown: {result:#}"
    );
    browser.close().await;
}

#[tokio::test]
async fn a_support_link_with_checks_sleep_asks_the_user_to_switch_away_and_reports_the_return() {
    let server = Server::start();
    let browser = Browser::start().await;
    let downloads = browser.allow_downloads().await;
    browser
        .open_page(
            &server.page_url(),
            &[("checks", "idle,sleep"), ("watch", "2"), ("every", "0.5")],
        )
        .await;
    let page = SupportPage::new(browser.client());
    page.wait_for("end-user-view", Duration::from_secs(15))
        .await;
    let first = browser.current_tab().await;
    page.click("run-diagnostics").await;
    page.wait_for_attr("run-step", "data-step", "sleep").await;
    page.wait_for_attr("run-step", "data-phase", "watching")
        .await;
    browser.open_second_tab().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    browser.switch_to(first).await;
    page.wait_for("run-summary", Duration::from_secs(15)).await;
    let lines = page.check_lines("run-summary").await;
    let mut checked = kinds_and_statuses(&lines);
    checked.sort_unstable();
    assert_eq!(checked, [("idle", "pass"), ("sleep", "pass")], "{lines:?}");
    // The report carries both checks, and the schema holds for the sleep one too.
    page.click("report-download").await;
    let (_, report) = downloaded_json(&downloads).await;
    assert_eq!(schema_errors(&report), Vec::<String>::new(), "{report:#}");
    let kinds: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["idle", "sleep"]);
    assert_eq!(report["checks"][1]["details"]["fate"]["kind"], "survived");
    browser.close().await;
}

#[tokio::test]
async fn a_page_frozen_through_the_page_lifecycle_is_said_frozen_in_the_verdict() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    let first = browser.current_tab().await;
    start_sleep(&page, &[("sleep-every", "0.5"), ("sleep-deadline", "2")]).await;
    let support = SupportPage::new(browser.client());
    wait_until_watching(&support).await;
    // Chromium's Page Lifecycle: hidden, then frozen (no timer, no event), then active.
    browser
        .cdp("Page.setWebLifecycleState", json!({ "state": "frozen" }))
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    browser
        .cdp("Page.setWebLifecycleState", json!({ "state": "active" }))
        .await;
    // Back in front through a second tab, as a user would come back.
    browser.open_second_tab().await;
    browser.switch_to(first).await;
    let result = sleep_verdict(&support, Duration::from_secs(15)).await;
    let marks: Vec<(u64, String)> = field(&result, "marks");
    assert!(marks.iter().any(|(_, m)| m == "frozen"), "{result:#}");
    // Measured with Chromium 156: freezing closes the page's WebSockets (1006), so the
    // socket is found closed on return; a browser that kept it would show it survived.
    assert!(
        matches!(
            field(&result, "fate"),
            Fate::ClosedWhileAway { .. } | Fate::Survived
        ),
        "{result:#}"
    );
    browser.close().await;
}
