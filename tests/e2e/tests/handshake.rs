//! The handshake check end to end, one browser session for the cases: straight to
//! wsdoctor-server (no intermediary header reaches it, said with its caveat), behind a
//! real nginx (the headers nginx adds are shown), and against npm `ws` and Python
//! `websockets`, servers nobody here wrote (opens timed, nothing said of the server's
//! side; `websockets` negotiates no subprotocol, so the check opens again without
//! `wsdoctor.v1`); and a support link with
//! `checks=handshake` runs it and reports it.

use std::time::Duration;

use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::nginx::{Nginx, NginxOptions};
use wsdoctor_e2e::server::Server;
use wsdoctor_e2e::support_page::SupportPage;
use wsdoctor_e2e::third_party::{PythonOptions, ThirdPartyServer};

/// Presses "Check the handshake" on the page at `url` (target: `target`, or the page's
/// own companion) and returns the findings and the proxy headers shown.
async fn check(browser: &Browser, url: &str, target: Option<&str>) -> (String, String) {
    let page = ConsolePage::open(browser, url).await;
    if let Some(target) = target {
        page.set_target(target).await;
    }
    page.click("handshake-start").await;
    let support = SupportPage::new(browser.client());
    let result = support
        .wait_for("handshake-result", Duration::from_secs(15))
        .await;
    let findings = result.text().await.unwrap_or_default();
    let headers = support.text("handshake-proxy-headers").await;
    (findings, headers)
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
    assert!(direct.contains("5 of 5 opens succeeded"), "{direct}");
    assert!(direct.contains("Subprotocol: wsdoctor.v1"), "{direct}");
    assert!(direct.contains("That proves nothing"), "{direct}");
    assert!(headers.trim().is_empty(), "{headers}");

    let (behind, headers) = check(&browser, &nginx.page_url(), None).await;
    assert!(behind.contains("5 of 5 opens succeeded"), "{behind}");
    assert!(
        behind.contains("Something between you and the server added these headers"),
        "{behind}"
    );
    assert!(headers.contains("x-forwarded-for: 127.0.0.1"), "{headers}");

    let (other, _) = check(&browser, &server.page_url(), Some(&node.url())).await;
    assert!(other.contains("5 of 5 opens succeeded"), "{other}");
    assert!(
        !other.contains("The server saw"),
        "npm ws says nothing of its side: {other}"
    );

    // Python websockets negotiates no subprotocol: the first open, offering wsdoctor.v1,
    // fails in the browser, and the check opens again without it.
    let python = ThirdPartyServer::python_websockets(&PythonOptions::default());
    let (plain, _) = check(&browser, &server.page_url(), Some(&python.url())).await;
    assert!(plain.contains("5 of 5 opens succeeded"), "{plain}");
    assert!(plain.contains("Subprotocol: none"), "{plain}");
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
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0].status, "pass", "{lines:?}");
    assert!(
        lines[0].summary.starts_with("5 of 5 opens worked"),
        "{lines:?}"
    );
    browser.close().await;
}
