//! The console's less travelled paths, each in a real browser against a real server: the
//! close-code reference explains any number typed; Export downloads the log and Clear
//! log empties it; a server that accepts TCP but never answers the upgrade meets the
//! connect timeout; a path that stops forwarding without closing is found half-open by
//! the heartbeat's deadline; a target that refuses every attempt is given up after the
//! maximum; leaving the page and coming back logs pagehide and pageshow; a page frozen
//! and resumed through Chromium's Page Lifecycle (CDP) logs both; and a jump of the wall
//! clock (`Date.now` patched over WebDriver, standing in for a machine that slept) is
//! logged as one.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::json;
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::loopback;
use wsdoctor_e2e::process::free_port;
use wsdoctor_e2e::server::Server;
use wsdoctor_e2e::stalling_relay::StallingRelay;
use wsdoctor_e2e::support_page::SupportPage;

/// The codes of the reference's entries shown for `query`.
async fn catalogue_codes(browser: &Browser, query: &str) -> Vec<String> {
    let client = browser.client();
    let search = client
        .find(Locator::Css("[data-testid='catalogue-search']"))
        .await
        .expect("the reference's search field");
    search.clear().await.expect("clear the search");
    search.send_keys(query).await.expect("type a search");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let codes = client
        .execute(
            "return Array.from(document.querySelectorAll(\"[data-testid='catalogue-entry']\"))\
             .map(e => e.getAttribute('data-code'));",
            vec![],
        )
        .await
        .expect("read the entries");
    serde_json::from_value(codes).expect("a list of codes")
}

#[tokio::test]
async fn the_reference_explains_any_code_typed_and_finds_entries_by_word() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    let support = SupportPage::new(browser.client());
    page.unfold("catalogue").await;
    // Codes no system names get their range's explanation, not an empty list.
    for code in ["4321", "3001", "2000"] {
        assert_eq!(catalogue_codes(&browser, code).await, [code], "{code}");
    }
    // A named code comes first; entries that mention it follow.
    let named = catalogue_codes(&browser, "1006").await;
    assert_eq!(named.first().map(String::as_str), Some("1006"), "{named:?}");
    let entry = support.text("catalogue-entry").await;
    assert!(entry.contains("1006"), "{entry}");
    let by_word = catalogue_codes(&browser, "restart").await;
    assert!(by_word.contains(&"1012".to_string()), "{by_word:?}");
    assert!(browser.page_failures().await.is_empty());
    browser.close().await;
}

#[tokio::test]
async fn export_downloads_the_log_and_clear_log_empties_it() {
    let server = Server::start();
    let browser = Browser::start().await;
    let downloads = browser.allow_downloads().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.connect().await;
    page.wait_for_status("open").await;
    page.send("exported hello").await;
    page.wait_for_log("received", "exported hello").await;
    let before = page.log_len().await;

    page.click("export-log").await;
    let file = downloads.join("wsdoctor-log.jsonl");
    let text = wait_for_file(&file).await;
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), before, "{text}");
    assert!(text.contains("exported hello"), "{text}");

    page.click("clear-log").await;
    let mut cleared = page.log_len().await;
    for _ in 0..40 {
        if cleared <= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        cleared = page.log_len().await;
    }
    assert!(
        cleared <= 1,
        "at most a note that it was cleared: {:#?}",
        page.log().await
    );
    assert!(
        !page
            .log()
            .await
            .iter()
            .any(|l| l.text.contains("exported hello")),
        "the cleared lines are gone"
    );
    browser.close().await;
}

/// The file's text once it exists and is complete.
async fn wait_for_file(path: &std::path::Path) -> String {
    for _ in 0..200 {
        if let Ok(text) = std::fs::read_to_string(path)
            && text.ends_with('\n')
        {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} was not downloaded", path.display());
}

#[tokio::test]
async fn a_server_that_never_answers_the_upgrade_meets_the_connect_timeout() {
    // Accepts TCP, reads nothing, answers nothing, and holds the socket.
    let (silent, _task) = loopback::serve(|stream| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(stream);
    })
    .await;
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.set_auto_reconnect(false).await;
    assert_eq!(
        page.apply_settings(&[("setting-connect-timeout", "1")])
            .await,
        "Applied."
    );
    page.set_target(&format!("ws://{silent}/ws")).await;
    page.connect().await;
    let attempts = wait_for_text_in(
        &browser,
        &page,
        "attempts",
        "no answer within the connect timeout (1 s)",
    )
    .await;
    assert!(attempts.contains("never opened"), "{attempts}");
    assert_ne!(page.status_name().await, "connecting");
    browser.close().await;
}

#[tokio::test]
async fn a_path_that_goes_quiet_without_closing_is_found_half_open_by_the_heartbeat() {
    let server = Server::start();
    let relay = StallingRelay::start(server.addr()).await;
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.set_auto_reconnect(false).await;
    assert_eq!(
        page.apply_settings(&[
            ("setting-heartbeat-every", "1"),
            ("setting-heartbeat-deadline", "1.5"),
        ])
        .await,
        "Applied."
    );
    page.set_target(&format!("ws://{}/ws", relay.addr())).await;
    page.connect().await;
    page.wait_for_status("open").await;
    page.wait_for_log("received", "").await; // a heartbeat came back: the path works
    relay.stall();
    let attempts = wait_for_text_in(
        &browser,
        &page,
        "attempts",
        "half-open: no answer to heartbeat",
    )
    .await;
    assert!(attempts.contains("within 1500 ms"), "{attempts}");
    assert_ne!(page.status_name().await, "open");
    browser.close().await;
}

#[tokio::test]
async fn a_target_that_refuses_every_attempt_is_given_up_after_the_maximum() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    assert_eq!(
        page.apply_settings(&[
            ("setting-initial-delay", "0.2"),
            ("setting-max-delay", "0.5"),
            ("setting-max-attempts", "3"),
        ])
        .await,
        "Applied."
    );
    page.set_auto_reconnect(true).await;
    page.set_target(&format!("ws://127.0.0.1:{}/ws", free_port()))
        .await;
    page.connect().await;
    page.wait_for_status("gave-up").await;
    assert!(
        page.status()
            .await
            .contains("gave up after 3 reconnections in a row failed"),
        "{}",
        page.status().await
    );
    assert_eq!(
        page.attempt_rows().await,
        4,
        "the first attempt and exactly the maximum of reconnections"
    );
    browser.close().await;
}

/// Waits until the element `test_id` contains `needle`; returns its text.
async fn wait_for_text_in(
    browser: &Browser,
    page: &ConsolePage<'_>,
    test_id: &str,
    needle: &str,
) -> String {
    let support = SupportPage::new(browser.client());
    let mut text = String::new();
    for _ in 0..300 {
        if support.has(test_id).await {
            text = support.text(test_id).await;
            if text.contains(needle) {
                return text;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{test_id} never said {needle:?}: {text}; log: {:#?}",
        page.log().await
    );
}

#[tokio::test]
async fn leaving_freezing_and_a_clock_jump_are_each_logged() {
    let server = Server::start();
    let other = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.connect().await;
    page.wait_for_status("open").await;

    // A jump of the wall clock against the page's monotonic clock, as after a sleep.
    browser
        .client()
        .execute(
            "const realNow = Date.now; Date.now = () => realNow() + 120000;",
            vec![],
        )
        .await
        .expect("patch Date.now");
    let jump = page.wait_for_log("clock-jump", "").await;
    assert!(jump.text.contains("120"), "{jump:?}");

    // Frozen and resumed through Chromium's Page Lifecycle.
    browser
        .cdp("Page.setWebLifecycleState", json!({ "state": "frozen" }))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    browser
        .cdp("Page.setWebLifecycleState", json!({ "state": "active" }))
        .await;
    page.wait_for_log("page-frozen", "").await;
    page.wait_for_log("page-resumed", "").await;
    // Measured with Chromium 156: freezing closes the page's WebSockets without a close
    // frame, and the console logs that close (1006) once the page runs again.
    page.wait_for_log("closed", "1006").await;

    // Leaving for another page and coming back: pagehide is logged on the way out and
    // kept (saved, or the page is restored from the back/forward cache), and pageshow on
    // the way back.
    browser.goto(&other.page_url()).await;
    browser.client().back().await.expect("go back");
    let back = ConsolePage::ready(browser.client()).await;
    back.wait_for_log("page-hide", "").await;
    back.wait_for_log("page-show", "").await;
    assert!(browser.page_failures().await.is_empty());
    browser.close().await;
}
