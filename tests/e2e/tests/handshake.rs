//! The handshake check end to end, one browser session for the cases: straight to
//! wsdoctor-server (no intermediary header reaches it, said with its caveat), behind a
//! real nginx (the headers nginx adds are shown), and against npm `ws` and Python
//! `websockets`, servers nobody here wrote (opens timed, nothing said of the server's
//! side; `websockets` negotiates no subprotocol, so the check opens again without
//! `wsdoctor.v1`); and a support link with
//! `checks=handshake` runs it and reports it.

use std::time::Duration;

use serde_json::Value;
use wsdoctor_core::COMPANION_SUBPROTOCOL;
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::check_details::{every_open_opened, field};
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::nginx::{Nginx, NginxOptions};
use wsdoctor_e2e::server::Server;
use wsdoctor_e2e::support_page::{SupportPage, kinds_and_statuses};
use wsdoctor_e2e::third_party::{PythonOptions, ThirdPartyServer};

/// Presses "Check the handshake" on the page at `url` (target: `target`, or the page's
/// own companion) and returns its `details` (from `data-result`, as the report has them)
/// and the proxy headers the card lists.
async fn check(browser: &Browser, url: &str, target: Option<&str>) -> (Value, String) {
    let page = ConsolePage::open(browser, url).await;
    if let Some(target) = target {
        page.set_target(target).await;
    }
    page.click("handshake-start").await;
    let support = SupportPage::new(browser.client());
    support
        .wait_for("handshake-result", Duration::from_secs(15))
        .await;
    let details = support.check("handshake-result").await["details"].clone();
    let headers = support.text("handshake-proxy-headers").await;
    (details, headers)
}

#[tokio::test]
async fn the_handshake_check_times_opens_and_shows_who_is_in_between() {
    let server = Server::start();
    let nginx = Nginx::start(
        server.addr(),
        &NginxOptions {
            read_timeout: Duration::from_secs(3),
            ..NginxOptions::default()
        },
    );
    let node = ThirdPartyServer::node_ws();
    let browser = Browser::start().await;

    let (direct, headers) = check(&browser, &server.page_url(), None).await;
    assert!(every_open_opened(&direct), "{direct:#}");
    assert_eq!(direct["protocol"], COMPANION_SUBPROTOCOL, "{direct:#}");
    assert_eq!(
        field::<Option<Vec<String>>>(&direct, "proxy_headers"),
        Some(Vec::new()),
        "the companion saw no intermediary's header: {direct:#}"
    );
    assert!(headers.trim().is_empty(), "{headers}");

    let (behind, headers) = check(&browser, &nginx.page_url(), None).await;
    assert!(every_open_opened(&behind), "{behind:#}");
    assert!(
        field::<Option<Vec<String>>>(&behind, "proxy_headers")
            .unwrap_or_default()
            .contains(&"x-forwarded-for: 127.0.0.1".to_string()),
        "{behind:#}"
    );
    // The card lists them for the user.
    assert!(headers.contains("x-forwarded-for: 127.0.0.1"), "{headers}");

    let (other, _) = check(&browser, &server.page_url(), Some(&node.url())).await;
    assert!(every_open_opened(&other), "{other:#}");
    assert!(
        other["client_addr"].is_null(),
        "npm ws says nothing of its side: {other:#}"
    );

    // Python websockets negotiates no subprotocol: the first open, offering wsdoctor.v1,
    // fails in the browser, and the check opens again without it.
    let python = ThirdPartyServer::python_websockets(&PythonOptions::default());
    let (plain, _) = check(&browser, &server.page_url(), Some(&python.url())).await;
    assert!(every_open_opened(&plain), "{plain:#}");
    assert_eq!(plain["protocol"], "", "{plain:#}");
    browser.close().await;
}

#[tokio::test]
async fn a_support_link_with_checks_handshake_runs_it_and_reports_it() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser
        .open_page(&server.page_url(), &[("checks", "handshake")])
        .await;
    let page = SupportPage::new(browser.client());
    page.wait_for("end-user-view", Duration::from_secs(15))
        .await;
    let lines = page.run_diagnostics(Duration::from_secs(15)).await;
    assert_eq!(
        kinds_and_statuses(&lines),
        [("handshake", "pass")],
        "{lines:?}"
    );
    browser.close().await;
}
