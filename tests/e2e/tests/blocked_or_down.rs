//! "WebSockets blocked, or the network down?" end to end, one browser session for the
//! cases: straight to wsdoctor-server (both work); behind a real nginx that passes the
//! upgrade (both work, nginx's headers shown); behind nginx with its `proxy_set_header
//! Upgrade` lines removed (HTTP works, WebSockets are blocked, and the server saw the
//! upgrade arrive without its header); behind nginx whose server has stopped (an answer,
//! but not the server's); and a server stopped after its page loaded (nothing answers).
//! A support link with `checks=blocked` runs it and reports it.

use std::time::Duration;

use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::nginx::{Nginx, NginxOptions};
use wsdoctor_e2e::server::Server;
use wsdoctor_e2e::support_page::SupportPage;

/// The check's verdict (its `data-verdict`) and everything the card says.
struct Checked {
    verdict: String,
    text: String,
}

/// Opens the page at `url` (unless `reuse`: the page already open) and presses the
/// check's button.
async fn check(browser: &Browser, url: Option<&str>) -> Checked {
    if let Some(url) = url {
        ConsolePage::open(browser, url).await;
    }
    let page = SupportPage::new(browser.client());
    page.click("blocked-start").await;
    let result = page
        .wait_for("blocked-result", Duration::from_secs(25))
        .await;
    Checked {
        verdict: result
            .attr("data-verdict")
            .await
            .ok()
            .flatten()
            .unwrap_or_default(),
        text: page.text("blocked-card").await,
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
    assert_eq!(direct.verdict, "both_work", "{}", direct.text);
    assert!(
        direct
            .text
            .contains("nothing in the path blocks WebSockets"),
        "{}",
        direct.text
    );

    let proxied = check(&browser, Some(&passing.page_url())).await;
    assert_eq!(proxied.verdict, "both_work", "{}", proxied.text);
    assert!(
        proxied.text.contains("x-forwarded-for: 127.0.0.1"),
        "{}",
        proxied.text
    );

    let blocked = check(&browser, Some(&stripping.page_url())).await;
    assert_eq!(blocked.verdict, "upgrades_blocked", "{}", blocked.text);
    assert!(
        blocked
            .text
            .contains("received the WebSocket request without its Upgrade header"),
        "{}",
        blocked.text
    );
    assert!(
        blocked.text.contains("failed before opening"),
        "{}",
        blocked.text
    );
    assert!(
        blocked.text.contains("wsdoctor-server answered"),
        "{}",
        blocked.text
    );

    // A proxy whose server is gone answers HTTP itself (502).
    let doomed = Server::start();
    let orphaned = Nginx::start(doomed.addr(), &NginxOptions::default());
    ConsolePage::open(&browser, &orphaned.page_url()).await;
    doomed.stop();
    let orphan = check(&browser, None).await;
    assert_eq!(orphan.verdict, "server_not_reached", "{}", orphan.text);
    assert!(orphan.text.contains("status 502"), "{}", orphan.text);

    // No proxy: the server stops after its page loaded, and nothing answers.
    let gone = Server::start();
    ConsolePage::open(&browser, &gone.page_url()).await;
    gone.stop();
    let down = check(&browser, None).await;
    assert_eq!(down.verdict, "nothing_answers", "{}", down.text);
    assert!(
        down.text.contains("it is not WebSockets alone"),
        "{}",
        down.text
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
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0].status, "fail", "{lines:?}");
    assert!(
        lines[0]
            .summary
            .starts_with("Plain HTTP reaches the server but WebSockets do not"),
        "{lines:?}"
    );
    browser.close().await;
}
