//! The connection console, end to end: a user connects from headless Chromium to
//! wsdoctor-server (directly, and through a real nginx), sends "hello", sees the echo,
//! disconnects and sees code 1000; and the page notices being hidden by another tab.

use wsdoctor_core::diagnosis::FindingKind;
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::nginx::{Nginx, NginxOptions};
use wsdoctor_e2e::server::Server;

/// The user's story on a page at `page_url`, whose default target is its own `/ws`.
async fn connect_send_hello_and_disconnect(browser: &Browser, page_url: &str, ws_url: &str) {
    let page = ConsolePage::open(browser, page_url).await;
    assert_eq!(
        page.target().await,
        ws_url,
        "the default target is the page's own /ws"
    );

    page.connect().await;
    page.wait_for_status("open").await;
    page.wait_for_log("opened", "opened").await;

    page.send("hello").await;
    page.wait_for_log("sent", "hello").await;
    let echo = page.wait_for_log("received", "hello").await;
    assert!(echo.text.contains("text, 5 B: hello"), "{echo:?}");

    page.disconnect().await;
    let closed = page.wait_for_log("closed", "code 1000").await;
    assert!(closed.text.contains("wasClean true"), "{closed:?}");
    page.wait_for_status("closed").await;
    assert_eq!(page.status().await, "closed (1000)");
}

#[tokio::test]
async fn user_connects_sends_hello_sees_the_echo_and_disconnects_with_1000() {
    let server = Server::start();
    let browser = Browser::start().await;
    let ws_url = format!("ws://{}/ws", server.addr());
    connect_send_hello_and_disconnect(&browser, &server.page_url(), &ws_url).await;
    browser.close().await;
}

#[tokio::test]
async fn the_same_story_works_through_nginx() {
    let server = Server::start();
    let nginx = Nginx::start(server.addr(), &NginxOptions::default());
    let browser = Browser::start().await;
    let ws_url = format!("ws://{}/ws", nginx.addr());
    connect_send_hello_and_disconnect(&browser, &nginx.page_url(), &ws_url).await;
    browser.close().await;
    let access = nginx.access_log();
    assert!(
        access.lines().any(|l| l.contains("GET /ws HTTP/1.1\" 101")),
        "nginx did not carry the WebSocket upgrade:\n{access}"
    );
}

#[tokio::test]
async fn a_link_with_a_target_presets_the_field() {
    let server = Server::start();
    let browser = Browser::start().await;
    // Encoded once more by the link: the page reads back exactly this.
    let preset = "wss://support.example/socket?room=7&user=a%20b";
    browser
        .open_page(&server.page_url(), &[("target", preset)])
        .await;
    let page = ConsolePage::ready(browser.client()).await;
    assert_eq!(page.target().await, preset);
    browser.close().await;
}

#[tokio::test]
async fn a_support_link_presets_subprotocols_and_the_experiments_settings() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser
        .open_page(
            &server.page_url(),
            &[
                ("protocols", "wsdoctor.v1"),
                ("watch", "300"),
                ("every", "20"),
            ],
        )
        .await;
    let page = ConsolePage::ready(browser.client()).await;
    assert_eq!(page.field("protocols-input").await, "wsdoctor.v1");
    assert_eq!(page.field("idle-watch").await, "300");
    assert_eq!(page.field("idle-every").await, "20");
    browser.close().await;
}

#[tokio::test]
async fn an_invalid_target_gets_a_clear_message_and_no_connection() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.set_target("not a url").await;
    page.connect().await;
    let refused = page.wait_for_log("refused", "could not connect").await;
    assert!(refused.text.contains("blank"), "{refused:?}");
    page.set_target("example.com/socket").await;
    page.connect().await;
    page.wait_for_log("refused", "Start the URL with ws:// or wss://")
        .await;
    assert_eq!(page.status().await, "not connected");
    let kinds: Vec<String> = page.log().await.into_iter().map(|l| l.kind).collect();
    assert!(
        !kinds
            .iter()
            .any(|k| k == "opened" || k == "error" || k == "closed"),
        "no socket may be opened for a bad target: {kinds:?}"
    );
    browser.close().await;
}

#[tokio::test]
async fn a_second_tab_hides_the_page_and_the_log_shows_hidden_then_visible() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    let first = browser.current_tab().await;

    browser.open_second_tab().await;
    browser.switch_to(first).await;
    page.wait_for_log("page-visible", "page visible").await;

    let kinds: Vec<String> = page
        .log()
        .await
        .into_iter()
        .map(|l| l.kind)
        .filter(|k| k.starts_with("page-"))
        .collect();
    assert_eq!(kinds, ["page-hidden", "page-visible"]);
    browser.close().await;
}

#[tokio::test]
async fn a_connection_the_user_starts_gets_its_own_explanation() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.set_auto_reconnect(false).await;
    page.connect().await;
    page.wait_for_status("open").await;
    page.disconnect().await;
    page.wait_for_status("closed").await;
    assert_eq!(page.explained_code().await, "1000");

    let closed = wsdoctor_e2e::process::free_port();
    page.set_target(&format!("ws://127.0.0.1:{closed}/ws"))
        .await;
    page.connect().await;
    page.wait_for_log("closed", "code 1006").await;
    assert_eq!(page.explained_code().await, "1006");
    let kinds = page.finding_kinds().await;
    assert_eq!(
        kinds.first().map(String::as_str),
        Some(FindingKind::FailedBeforeOpen.name()),
        "the new connection's failure is explained, not the earlier 1000: {kinds:?}"
    );
    browser.close().await;
}

#[tokio::test]
async fn an_inline_style_the_pages_csp_blocks_is_caught_in_the_browsers_console() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser.goto(&server.page_url()).await;
    ConsolePage::ready(browser.client()).await;
    assert_eq!(browser.page_failures().await, Vec::<String>::new());
    // What an inline `style="..."` attribute does: the server's `style-src 'self'` blocks it.
    browser
        .client()
        .execute("document.body.setAttribute('style', 'color: red');", vec![])
        .await
        .expect("run a script");
    let violations = browser.page_failures().await;
    assert!(
        violations.iter().any(|v| v.contains("style-src")),
        "every test's close() fails on such a line: {violations:?}"
    );
    browser.close().await;
}

#[tokio::test]
async fn the_page_is_cross_origin_isolated_so_timers_are_fine_grained() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser.goto(&server.page_url()).await;
    ConsolePage::ready(browser.client()).await;
    let isolated = browser
        .client()
        .execute("return self.crossOriginIsolated;", vec![])
        .await
        .expect("run a script");
    assert_eq!(isolated, serde_json::Value::Bool(true));
    browser.close().await;
}

#[tokio::test]
async fn the_log_shows_the_network_going_offline_and_back() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    let conditions = |offline: bool| {
        serde_json::json!({
            "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1
        })
    };
    browser.cdp("Network.enable", serde_json::json!({})).await;
    browser
        .cdp("Network.emulateNetworkConditions", conditions(true))
        .await;
    page.wait_for_log("offline", "network offline").await;
    browser
        .cdp("Network.emulateNetworkConditions", conditions(false))
        .await;
    page.wait_for_log("online", "network online").await;
    browser.close().await;
}

#[tokio::test]
async fn the_log_can_be_filtered_and_paused_while_counting_goes_on() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.connect().await;
    page.wait_for_status("open").await;
    page.send("alpha").await;
    page.send("beta").await;
    page.wait_for_log("received", "beta").await;

    page.filter_log("beta").await;
    let mut lines = page.log().await;
    for _ in 0..20 {
        if lines.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        lines = page.log().await;
    }
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.iter().all(|l| l.text.contains("beta")), "{lines:?}");
    page.filter_log("").await;

    page.toggle_log_pause().await;
    page.send("gamma").await;
    let mut counted = 0;
    for _ in 0..30 {
        counted = page.received_count().await;
        if counted == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(counted, 3, "counting goes on while paused");
    assert!(
        !page.log().await.iter().any(|l| l.text.contains("gamma")),
        "the paused view does not move"
    );
    page.toggle_log_pause().await;
    page.wait_for_log("received", "gamma").await;
    browser.close().await;
}
