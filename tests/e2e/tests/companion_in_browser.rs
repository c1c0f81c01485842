//! What a real browser reports for what the companion server does: every close it can be
//! asked for, the limits, and a server restart. These are the facts the app's close
//! explanations rely on, measured in headless Chromium rather than assumed. And the
//! console asking the companion how it saw a close: both sides of a disconnect.

use std::time::Duration;

use serde_json::Value;
use wsdoctor_core::COMPANION_SUBPROTOCOL;
use wsdoctor_core::diagnosis::FindingKind;
use wsdoctor_core::protocol::SHUTDOWN_REASON;
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::nginx::{Nginx, NginxOptions};
use wsdoctor_e2e::server::Server;
use wsdoctor_e2e::support_page::SupportPage;

/// Opens a `wsdoctor.v1` WebSocket from the page, sends `request`, and returns what the
/// browser's close event said: `{code, reason, wasClean}`.
async fn close_seen_by_the_browser(browser: &Browser, ws_url: &str, request: Value) -> Value {
    let script = r#"
        const [url, subprotocol, request, done] = arguments;
        const ws = new WebSocket(url, subprotocol);
        ws.onopen = () => ws.send(JSON.stringify(request));
        ws.onclose = (e) => done({code: e.code, reason: e.reason, wasClean: e.wasClean});
        setTimeout(() => done({code: -1, reason: 'no close within 10 s', wasClean: false}), 10000);
    "#;
    browser
        .client()
        .execute_async(
            script,
            vec![
                Value::from(ws_url),
                Value::from(COMPANION_SUBPROTOCOL),
                request,
            ],
        )
        .await
        .expect("the script ran")
}

#[tokio::test]
async fn the_browser_reports_each_close_the_companion_makes() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser.goto(&server.page_url()).await;
    ConsolePage::ready(browser.client()).await;
    let ws_url = format!("ws://{}/ws", server.addr());

    let asked = close_seen_by_the_browser(
        &browser,
        &ws_url,
        serde_json::json!({"type": "close", "code": 4001, "reason": "drill"}),
    )
    .await;
    assert_eq!(
        asked,
        serde_json::json!({"code": 4001, "reason": "drill", "wasClean": true})
    );

    let aborted =
        close_seen_by_the_browser(&browser, &ws_url, serde_json::json!({"type": "abort"})).await;
    assert_eq!(aborted["code"], 1006, "{aborted}");
    assert_eq!(aborted["wasClean"], false, "{aborted}");

    let bad_text = close_seen_by_the_browser(
        &browser,
        &ws_url,
        serde_json::json!({"type": "misbehave", "kind": "invalid_utf8"}),
    )
    .await;
    assert_eq!(
        bad_text["code"], 1006,
        "Chromium fails the connection: {bad_text}"
    );
    assert_eq!(bad_text["wasClean"], false, "{bad_text}");
    browser.close().await;
}

#[tokio::test]
async fn a_server_restart_reaches_the_console_as_1001_going_away() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.connect().await;
    page.wait_for_status("open").await;

    server.stop(); // SIGTERM: the server closes every connection before it exits
    let closed = page.wait_for_log("closed", "code 1001").await;
    assert!(closed.text.contains(SHUTDOWN_REASON), "{closed:?}");
    assert!(closed.text.contains("wasClean true"), "{closed:?}");
    browser.close().await;
}

#[tokio::test]
async fn with_wsdoctor_v1_a_drop_by_nginx_is_explained_from_both_sides() {
    let server = Server::start();
    let nginx = Nginx::start(
        server.addr(),
        &NginxOptions {
            read_timeout: Duration::from_secs(2),
            ..NginxOptions::default()
        },
    );
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &nginx.page_url()).await;
    page.set_subprotocols(COMPANION_SUBPROTOCOL).await;
    page.connect().await;
    page.wait_for_log("opened", &format!("subprotocol: {COMPANION_SUBPROTOCOL}"))
        .await;
    page.wait_for_log("received", "\"type\":\"welcome\"").await;
    // nginx cuts the idle connection; the console reconnects and asks the server.
    page.wait_for_log("closed", "code 1006").await;
    let support = SupportPage::new(browser.client());
    support
        .wait_for("close-server-view", Duration::from_secs(20))
        .await;
    assert_eq!(
        support.attr("close-server-view", "data-closed-by").await,
        "none",
        "the server saw no close frame"
    );
    assert_eq!(
        support.attr("finding", "data-kind").await,
        FindingKind::CutInBetween.name(),
        "the diagnosis uses the server's side: {}",
        page.close_panel_text().await
    );
    page.disconnect().await;
    browser.close().await;
}
