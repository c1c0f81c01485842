//! "WebSockets blocked, or the network down?" end to end, one browser session for the
//! cases: straight to wsdoctor-server (both work); behind a real nginx that passes the
//! upgrade (both work, nginx's headers shown); behind nginx with its `proxy_set_header
//! Upgrade` lines removed (HTTP works, WebSockets are blocked, and the server saw the
//! upgrade arrive without its header); behind nginx whose server has stopped (an answer,
//! but not the server's); and a server stopped after its page loaded (nothing answers).
//! A support link with `checks=blocked` runs it and reports it.

use std::time::Duration;

use serde_json::Value;
use wsdoctor_core::checks::blocked::{HttpSide, Verdict, WebSocketSide};
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::check_details::field;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::nginx::{Nginx, NginxOptions};
use wsdoctor_e2e::server::Server;
use wsdoctor_e2e::support_page::{SupportPage, kinds_and_statuses};

/// Opens the page at `url` (unless `None`: the page already open), presses the check's
/// button and reads its `details` (the card's `data-result`, as the report has them).
async fn check(browser: &Browser, url: Option<&str>) -> Value {
    if let Some(url) = url {
        ConsolePage::open(browser, url).await;
    }
    let page = SupportPage::new(browser.client());
    page.click("blocked-start").await;
    page.wait_for("blocked-result", Duration::from_secs(25))
        .await;
    page.check("blocked-result").await["details"].clone()
}

/// The headers the server saw added to the plain HTTP request (`name: value`).
fn proxy_headers(details: &Value) -> Vec<String> {
    field::<Option<Vec<String>>>(details, "proxy_headers").unwrap_or_default()
}

/// nginx in front of `server` with its `proxy_set_header Upgrade` and `Connection` lines
/// removed: plain HTTP works, every WebSocket upgrade arrives broken.
fn dropping_upgrade(server: &Server) -> Nginx {
    Nginx::start(
        server.addr(),
        &NginxOptions {
            pass_upgrade: false,
            ..NginxOptions::default()
        },
    )
}

#[tokio::test]
async fn the_blocked_check_tells_blocked_websockets_from_a_network_or_server_down() {
    let server = Server::start();
    let passing = Nginx::start(server.addr(), &NginxOptions::default());
    let stripping = dropping_upgrade(&server);
    let browser = Browser::start().await;

    let direct = check(&browser, Some(&server.page_url())).await;
    assert_eq!(
        field::<Verdict>(&direct, "verdict"),
        Verdict::BothWork,
        "{direct:#}"
    );
    assert!(
        matches!(
            field(&direct, "websocket"),
            Some(WebSocketSide::Opened {
                companion: true,
                ..
            })
        ),
        "{direct:#}"
    );
    assert_eq!(proxy_headers(&direct), Vec::<String>::new(), "{direct:#}");

    let proxied = check(&browser, Some(&passing.page_url())).await;
    assert_eq!(
        field::<Verdict>(&proxied, "verdict"),
        Verdict::BothWork,
        "{proxied:#}"
    );
    assert!(
        proxy_headers(&proxied).contains(&"x-forwarded-for: 127.0.0.1".to_string()),
        "{proxied:#}"
    );
    // The card lists them for the user.
    let shown = SupportPage::new(browser.client())
        .text("blocked-proxy-headers")
        .await;
    assert!(shown.contains("x-forwarded-for: 127.0.0.1"), "{shown}");

    let blocked = check(&browser, Some(&stripping.page_url())).await;
    assert_eq!(
        field::<Verdict>(&blocked, "verdict"),
        Verdict::UpgradesBlocked,
        "{blocked:#}"
    );
    assert_eq!(
        field::<Option<WebSocketSide>>(&blocked, "websocket"),
        Some(WebSocketSide::FailedBeforeOpen { code: 1006 }),
        "{blocked:#}"
    );
    assert_eq!(
        blocked["http"]["kind"], "companion",
        "wsdoctor-server answers plain HTTP: {blocked:#}"
    );
    assert!(
        field::<Option<u32>>(&blocked, "upgrades_without_upgrade_header") >= Some(1),
        "the server saw the upgrade arrive without its header: {blocked:#}"
    );

    // A proxy whose server is gone answers HTTP itself (502).
    let doomed = Server::start();
    let orphaned = Nginx::start(doomed.addr(), &NginxOptions::default());
    ConsolePage::open(&browser, &orphaned.page_url()).await;
    doomed.stop();
    let orphan = check(&browser, None).await;
    assert_eq!(
        field::<Verdict>(&orphan, "verdict"),
        Verdict::ServerNotReached,
        "{orphan:#}"
    );
    assert_eq!(
        field::<Option<HttpSide>>(&orphan, "http"),
        Some(HttpSide::OtherAnswer { status: 502 }),
        "{orphan:#}"
    );

    // No proxy: the server stops after its page loaded, and nothing answers.
    let gone = Server::start();
    ConsolePage::open(&browser, &gone.page_url()).await;
    gone.stop();
    let down = check(&browser, None).await;
    assert_eq!(
        field::<Verdict>(&down, "verdict"),
        Verdict::NothingAnswers,
        "{down:#}"
    );
    assert!(
        matches!(
            field(&down, "http"),
            Some(HttpSide::Failed { .. } | HttpSide::TimedOut)
        ),
        "{down:#}"
    );
    browser.close().await;
}

#[tokio::test]
async fn a_support_link_with_checks_blocked_runs_it_and_reports_it() {
    let server = Server::start();
    let stripping = dropping_upgrade(&server);
    let browser = Browser::start().await;
    browser
        .open_page(&stripping.page_url(), &[("checks", "blocked")])
        .await;
    let page = SupportPage::new(browser.client());
    page.wait_for("end-user-view", Duration::from_secs(15))
        .await;
    let lines = page.run_diagnostics(Duration::from_secs(25)).await;
    assert_eq!(
        kinds_and_statuses(&lines),
        [("blocked", "fail")],
        "{lines:?}"
    );
    browser.close().await;
}
