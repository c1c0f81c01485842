//! The round-trip check end to end, one browser session per server kind: against
//! wsdoctor-server the page's echoes and the server's Ping round trips show side by side
//! to 0.01 ms, with the clock offset (the same machine: near zero); against npm `ws` and
//! Python `websockets` (servers nobody here wrote; `websockets` negotiates no
//! subprotocol, so the check opens again without `wsdoctor.v1`) the echoes alone are
//! timed; and a support link with `checks=roundtrip` runs it and reports it.

use std::time::Duration;

use serde_json::Value;
use wsdoctor_core::checks::round_trips::RoundTripStats;
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::check_details::field;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::report_file::{downloaded_json, schema_errors};
use wsdoctor_e2e::server::Server;
use wsdoctor_e2e::support_page::{SupportPage, kinds_and_statuses};
use wsdoctor_e2e::third_party::{PythonOptions, ThirdPartyServer};

/// Sets the card's fields, presses Measure, and returns the check (`data-result`).
async fn measure(page: &ConsolePage<'_>, support: &SupportPage<'_>, echoes: &str) -> Value {
    page.set_field("roundtrip-echoes", echoes).await;
    page.set_field("roundtrip-every", "20").await;
    page.click("roundtrip-start").await;
    support
        .wait_for("roundtrip-result", Duration::from_secs(20))
        .await;
    support.check("roundtrip-result").await
}

/// The figures of one way of measuring, which must be there.
fn stats(details: &Value, name: &str) -> RoundTripStats {
    field::<Option<RoundTripStats>>(details, name)
        .unwrap_or_else(|| panic!("no {name} figures: {details:#}"))
}

#[tokio::test]
async fn against_the_companion_the_pages_echoes_and_the_servers_pings_show_side_by_side() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    let support = SupportPage::new(browser.client());
    let check = measure(&page, &support, "30").await;
    assert_eq!(check["status"], "pass", "{check:#}");
    let details = &check["details"];
    assert_eq!(details["companion"], true, "{details:#}");
    assert_eq!(
        (&details["sent"], &details["answered"], &details["lost"]),
        (&Value::from(30), &Value::from(30), &Value::from(0)),
        "{details:#}"
    );
    let echo = stats(details, "echo");
    assert!(
        echo.p50_ms > 0.0 && echo.p50_ms < 50.0,
        "loopback: {echo:?}"
    );
    assert!(echo.min_ms <= echo.p50_ms && echo.p50_ms <= echo.p95_ms && echo.p95_ms <= echo.max_ms);
    let ping = stats(details, "ping");
    assert!(ping.count >= 1 && ping.p50_ms < 50.0, "{ping:?}");
    // One machine, one clock: the offset is near zero, within its own bound.
    let offset: f64 = field(details, "clock_offset_ms");
    let within: f64 = field(details, "clock_offset_within_ms");
    assert!(
        offset.abs() <= within + 2.0,
        "offset {offset} ms, within {within} ms"
    );
    assert_eq!(
        details["resolution_ms"], 0.005,
        "the page is cross-origin isolated"
    );
    // Both rows, each figure to 0.01 ms.
    let table = support.text("roundtrip-table").await;
    let rows: Vec<&str> = table.lines().filter(|l| l.contains("measures")).collect();
    assert_eq!(rows.len(), 2, "{table}");
    for cell in rows.iter().flat_map(|r| r.split_whitespace()) {
        if let Some((_, decimals)) = cell.split_once('.') {
            assert_eq!(decimals.len(), 2, "{cell} in {table}");
        }
    }
    browser.close().await;
}

#[tokio::test]
async fn against_servers_nobody_here_wrote_the_echoes_alone_are_timed() {
    let server = Server::start();
    let node = ThirdPartyServer::node_ws();
    let python = ThirdPartyServer::python_websockets(&PythonOptions::default());
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    let support = SupportPage::new(browser.client());
    for (who, url) in [("npm ws", node.url()), ("Python websockets", python.url())] {
        page.set_target(&url).await;
        let check = measure(&page, &support, "10").await;
        let details = &check["details"];
        assert_eq!(check["status"], "pass", "{who}: {check:#}");
        assert_eq!(details["companion"], false, "{who}: {details:#}");
        assert_eq!(details["answered"], 10, "{who}: {details:#}");
        assert!(details["ping"].is_null(), "no server figures: {details:#}");
        assert!(
            details["clock_offset_ms"].is_null(),
            "no server clock: {details:#}"
        );
        assert!(stats(details, "echo").p50_ms < 50.0, "{who}: {details:#}");
    }
    browser.close().await;
}

#[tokio::test]
async fn a_support_link_with_checks_roundtrip_runs_it_and_reports_it() {
    let server = Server::start();
    let browser = Browser::start().await;
    let downloads = browser.allow_downloads().await;
    browser
        .open_page(&server.page_url(), &[("checks", "roundtrip")])
        .await;
    let page = SupportPage::new(browser.client());
    page.wait_for("end-user-view", Duration::from_secs(15))
        .await;
    let lines = page.run_diagnostics(Duration::from_secs(30)).await;
    assert_eq!(
        kinds_and_statuses(&lines),
        [("roundtrip", "pass")],
        "{lines:?}"
    );
    // The report holds it, and the schema holds for it.
    page.click("report-download").await;
    let (_, report) = downloaded_json(&downloads).await;
    assert_eq!(schema_errors(&report), Vec::<String>::new(), "{report:#}");
    assert_eq!(report["checks"][0]["kind"], "roundtrip");
    assert_eq!(report["checks"][0]["details"]["companion"], true);
    browser.close().await;
}
