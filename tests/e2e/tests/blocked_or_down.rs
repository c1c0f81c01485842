//! "WebSockets blocked, or the network down?" end to end, one browser session for the
//! cases: straight to wsdoctor-server (both work); behind a real nginx that passes the
//! upgrade (both work, nginx's headers shown); behind nginx with its `proxy_set_header
//! Upgrade` lines removed (HTTP works, WebSockets are blocked, and the server saw the
//! upgrade arrive without its header); behind nginx whose server has stopped (an answer,
//! but not the server's); and a server stopped after its page loaded (nothing answers).
//! A support link with `checks=blocked` runs it and reports it.

use std::time::Duration;

use wsdoctor_core::checks::blocked::{BlockedResult, HttpSide, Verdict, WebSocketSide};
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::nginx::{Nginx, NginxOptions};
use wsdoctor_e2e::server::Server;
use wsdoctor_e2e::support_page::SupportPage;

/// Opens the page at `url` (unless `None`: the page already open), presses the check's
/// button and reads its result (the card's `data-result`).
async fn check(browser: &Browser, url: Option<&str>) -> BlockedResult {
    if let Some(url) = url {
        ConsolePage::open(browser, url).await;
    }
    let page = SupportPage::new(browser.client());
    page.click("blocked-start").await;
    page.wait_for("blocked-result", Duration::from_secs(25))
        .await;
    page.result("blocked-result").await
}

/// The headers the server saw added to the plain HTTP request.
fn proxy_headers(result: &BlockedResult) -> Vec<String> {
    match &result.http {
        Some(HttpSide::Companion { seen, .. }) => seen
            .request
            .proxy_headers
            .iter()
            .map(|h| format!("{}: {}", h.name, h.value))
            .collect(),
        _ => Vec::new(),
    }
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
    assert_eq!(direct.verdict, Verdict::BothWork, "{direct:?}");
    assert!(
        matches!(
            direct.websocket,
            Some(WebSocketSide::Opened {
                companion: true,
                ..
            })
        ),
        "{direct:?}"
    );
    assert_eq!(proxy_headers(&direct), Vec::<String>::new(), "{direct:?}");

    let proxied = check(&browser, Some(&passing.page_url())).await;
    assert_eq!(proxied.verdict, Verdict::BothWork, "{proxied:?}");
    assert!(
        proxy_headers(&proxied).contains(&"x-forwarded-for: 127.0.0.1".to_string()),
        "{proxied:?}"
    );
    // The card lists them for the user.
    let shown = SupportPage::new(browser.client())
        .text("blocked-proxy-headers")
        .await;
    assert!(shown.contains("x-forwarded-for: 127.0.0.1"), "{shown}");

    let blocked = check(&browser, Some(&stripping.page_url())).await;
    assert_eq!(blocked.verdict, Verdict::UpgradesBlocked, "{blocked:?}");
    assert!(
        matches!(
            blocked.websocket,
            Some(WebSocketSide::FailedBeforeOpen { code: 1006 })
        ),
        "{blocked:?}"
    );
    match &blocked.http {
        Some(HttpSide::Companion { seen, .. }) => assert!(
            seen.upgrades_without_upgrade_header >= 1,
            "the server saw the upgrade arrive without its header: {blocked:?}"
        ),
        other => panic!("wsdoctor-server should answer plain HTTP: {other:?}"),
    }

    // A proxy whose server is gone answers HTTP itself (502).
    let doomed = Server::start();
    let orphaned = Nginx::start(doomed.addr(), &NginxOptions::default());
    ConsolePage::open(&browser, &orphaned.page_url()).await;
    doomed.stop();
    let orphan = check(&browser, None).await;
    assert_eq!(orphan.verdict, Verdict::ServerNotReached, "{orphan:?}");
    assert_eq!(
        orphan.http,
        Some(HttpSide::OtherAnswer { status: 502 }),
        "{orphan:?}"
    );

    // No proxy: the server stops after its page loaded, and nothing answers.
    let gone = Server::start();
    ConsolePage::open(&browser, &gone.page_url()).await;
    gone.stop();
    let down = check(&browser, None).await;
    assert_eq!(down.verdict, Verdict::NothingAnswers, "{down:?}");
    assert!(
        matches!(
            down.http,
            Some(HttpSide::Failed { .. } | HttpSide::TimedOut)
        ),
        "{down:?}"
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
    let checked: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l.kind.as_str(), l.status.as_str()))
        .collect();
    assert_eq!(checked, [("blocked", "fail")], "{lines:?}");
    browser.close().await;
}
