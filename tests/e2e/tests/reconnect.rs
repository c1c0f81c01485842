//! Auto-reconnect and close explanations, end to end: the console reconnects after a
//! server restart following the backoff, explains each close, and stays down after the
//! user's Disconnect.

use std::time::Duration;

use wsdoctor_core::COMPANION_SUBPROTOCOL;
use wsdoctor_core::diagnosis::FindingKind;
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::server::Server;

/// The server restarts, closing with `code`; the console explains it, waits as the
/// backoff says, finds the server again, and counts the reconnection.
async fn restart_explained_and_reconnected(code: u16, explained_as: FindingKind) {
    let code_flag = code.to_string();
    let server = Server::start_with(None, &["--restart-code", &code_flag]);
    let addr = server.addr();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.connect().await;
    page.wait_for_status("open").await;

    server.stop();
    page.wait_for_log("closed", &format!("code {code}")).await;
    assert_eq!(page.explained_code().await, code_flag);
    let kinds = page.finding_kinds().await;
    assert_eq!(
        kinds.first().map(String::as_str),
        Some(explained_as.name()),
        "{kinds:?}"
    );

    // The server comes back on the same address; the console finds it on a retry.
    let _back = Server::start_with(Some(addr), &[]);
    page.wait_for_status("open").await;
    let mut opened = 0;
    for _ in 0..50 {
        opened = page
            .log()
            .await
            .into_iter()
            .filter(|l| l.kind == "opened")
            .count();
        if opened >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(opened >= 2, "opened again after the restart");
    let codes = page.timeline_codes().await;
    assert_eq!(
        codes.first().map(String::as_str),
        Some(code_flag.as_str()),
        "{codes:?}"
    );
    assert_eq!(codes.last().map(String::as_str), Some("open"), "{codes:?}");
    assert_eq!(page.attempt_rows().await, codes.len());
    // Each segment before the last waited; the first wait is within the first ceiling (1 s).
    let waits = page.attempt_waits().await;
    assert_eq!(waits.len(), codes.len());
    let first: f64 = waits[0]
        .trim_end_matches(" s")
        .parse()
        .expect("a wait in seconds");
    assert!(first <= 1.0, "the first retry waits at most 1 s: {waits:?}");
    assert!(
        waits.last().is_some_and(String::is_empty),
        "no wait after the open one: {waits:?}"
    );

    tokio::time::sleep(Duration::from_millis(300)).await; // the metrics refresh
    let bars = page.disconnect_bars().await;
    assert!(
        bars.contains(&(code_flag.clone(), 1)),
        "one bar for {code}: {bars:?}"
    );
    let reconnects = page.metric("metric-reconnects").await;
    assert!(
        !reconnects.starts_with("0 "),
        "reconnections counted: {reconnects}"
    );
    browser.close().await;
}

#[tokio::test]
async fn after_a_restart_with_1012_the_console_explains_it_and_reconnects() {
    restart_explained_and_reconnected(1012, FindingKind::Restarting).await;
}

#[tokio::test]
async fn after_a_restart_with_1001_the_console_explains_it_and_reconnects() {
    restart_explained_and_reconnected(1001, FindingKind::GoingAway).await;
}

#[tokio::test]
async fn after_the_users_disconnect_the_console_does_not_reconnect() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.connect().await;
    page.wait_for_status("open").await;

    page.disconnect().await;
    page.wait_for_log("closed", "code 1000").await;
    page.wait_for_status("closed").await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let connecting = page
        .log()
        .await
        .into_iter()
        .filter(|l| l.kind == "connecting")
        .count();
    assert_eq!(connecting, 1, "no reconnect after the user's Disconnect");
    assert_eq!(page.explained_code().await, "1000");
    assert_eq!(
        page.finding_kinds().await,
        [FindingKind::CodeMeaning.name()],
        "a normal close is only explained"
    );
    browser.close().await;
}

#[tokio::test]
async fn with_auto_reconnect_off_a_restart_is_explained_but_not_retried() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.set_auto_reconnect(false).await;
    page.connect().await;
    page.wait_for_status("open").await;
    server.stop();
    page.wait_for_log("closed", "code 1001").await;
    page.wait_for_status("closed").await;
    assert_eq!(page.status().await, "closed (1001)");
    browser.close().await;
}

#[tokio::test]
async fn closing_with_a_chosen_code_reaches_the_server_and_comes_back() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.connect().await;
    page.wait_for_status("open").await;
    page.close_with("1006", "").await;
    let help = page.close_code_help().await;
    assert!(help.contains("never sent"), "{help}");
    page.close_with("4321", "drill").await;
    let closed = page.wait_for_log("closed", "code 4321").await;
    assert!(closed.text.contains("\"drill\""), "{closed:?}");
    page.wait_for_status("closed").await;
    browser.close().await;
}

#[tokio::test]
async fn after_an_abort_without_close_frame_the_console_sees_1006_and_reconnects() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.set_subprotocols(COMPANION_SUBPROTOCOL).await;
    page.connect().await;
    page.wait_for_log("opened", &format!("subprotocol: {COMPANION_SUBPROTOCOL}"))
        .await;
    page.send(r#"{"type":"abort"}"#).await;
    let closed = page.wait_for_log("closed", "code 1006").await;
    assert!(closed.text.contains("wasClean false"), "{closed:?}");
    // The server is still there: a retry within the first backoff step opens again.
    let mut codes = Vec::new();
    for _ in 0..60 {
        codes = page.timeline_codes().await;
        if codes.last().map(String::as_str) == Some("open") && codes.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(codes.first().map(String::as_str), Some("1006"), "{codes:?}");
    assert_eq!(codes.last().map(String::as_str), Some("open"), "{codes:?}");
    assert_eq!(page.explained_code().await, "1006");
    browser.close().await;
}
