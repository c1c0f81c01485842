//! The console's tools, end to end against wsdoctor-server: a heartbeat set in the UI
//! feeds the latency metric, binary messages typed as hex, secrets masked in the log,
//! settings refused with a reason, the hidden page shaded on the timeline, and
//! everything kept across a reload.

use std::time::{Duration, Instant};

use wsdoctor_e2e::PATIENCE;
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::server::Server;

/// Polls `probe` until it returns `Some`, or fails with `what`.
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        if Instant::now() > deadline {
            panic!("gave up waiting: {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_heartbeat_set_in_the_page_comes_back_and_is_measured_as_a_round_trip() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    assert_eq!(page.metric("metric-p50").await, "—", "no samples yet");

    let outcome = page
        .apply_settings(&[
            ("setting-heartbeat-every", "1"),
            ("setting-heartbeat-deadline", "2"),
            ("setting-heartbeat-payload", "hb {seq}"),
        ])
        .await;
    assert_eq!(outcome, "Applied.");
    page.connect().await;
    page.wait_for_status("open").await;
    eventually("one open connection in the metrics", || async {
        (page.metric("metric-active").await == "1").then_some(())
    })
    .await;
    page.wait_for_log("sent", "hb 1").await;
    page.wait_for_log("received", "hb 2").await;
    let p50 = eventually("a latency sample", || async {
        let text = page.metric("metric-p50").await;
        text.ends_with(" ms").then_some(text)
    })
    .await;
    let number = p50.trim_end_matches(" ms");
    let ms: f64 = number.parse().expect("a number of ms");
    assert!(ms < 1000.0, "loopback echo answers fast: {p50}");
    assert_eq!(
        number.split_once('.').map(|(_, d)| d.len()),
        Some(2),
        "to 0.01 ms: {p50}"
    );

    page.disconnect().await;
    page.wait_for_status("closed").await;
    let bars = eventually("a disconnect bar", || async {
        let bars = page.disconnect_bars().await;
        (!bars.is_empty()).then_some(bars)
    })
    .await;
    assert_eq!(bars, [("1000".to_string(), 1)]);
    eventually("no open connection in the metrics", || async {
        (page.metric("metric-active").await == "0").then_some(())
    })
    .await;
    browser.close().await;
}

#[tokio::test]
async fn disconnect_bars_are_drawn_in_proportion_to_their_counts() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    for _ in 0..2 {
        page.connect().await;
        page.wait_for_status("open").await;
        page.disconnect().await;
        page.wait_for_status("closed").await;
    }
    page.connect().await;
    page.wait_for_status("open").await;
    page.close_with("4001", "done").await;
    page.wait_for_status("closed").await;
    let bars = eventually("two disconnect bars", || async {
        let bars = page.disconnect_bars().await;
        (bars.len() == 2).then_some(bars)
    })
    .await;
    assert_eq!(bars, [("1000".to_string(), 2), ("4001".to_string(), 1)]);
    let widths = page.disconnect_bar_widths().await;
    let (twice, once) = (widths[0].1, widths[1].1);
    assert!(twice > 20.0, "{widths:?}");
    assert!(
        (once / twice - 0.5).abs() <= 0.05,
        "1 is drawn half as long as 2, not the same length: {widths:?}"
    );
    browser.close().await;
}

#[tokio::test]
async fn a_history_of_500_connections_draws_a_bounded_page_and_pages_through_the_rest() {
    use wsdoctor_core::event_log::ConnId;
    use wsdoctor_core::saved::{SAVED_VERSION, SavedConsole};
    use wsdoctor_core::supervisor::{Attempt, MAX_HISTORY};
    let server = Server::start();
    let browser = Browser::start().await;
    // What 500 reconnect cycles leave in local storage, stored from another page of the
    // same origin (the console saves its own state when it is left).
    let history: Vec<Attempt> = (0..MAX_HISTORY)
        .map(|i| Attempt {
            conn: ConnId(i as u32 + 1),
            started: i as f64 * 1_000.0,
            opened: Some(i as f64 * 1_000.0 + 20.0),
            ended: Some(i as f64 * 1_000.0 + 700.0),
            code: Some(if i % 2 == 0 { 1006 } else { 1001 }),
            reason: String::new(),
            next_delay_ms: Some(300),
        })
        .collect();
    let saved = SavedConsole {
        version: SAVED_VERSION,
        saved_wall_ms: 0.0,
        saved_at: 600_000.0,
        settings: Default::default(),
        history,
        page: Default::default(),
        log: Vec::new(),
    };
    browser.goto(&format!("{}healthz", server.page_url())).await;
    browser
        .client()
        .execute(
            "localStorage.setItem('wsdoctor.console', arguments[0]);",
            vec![serde_json::Value::String(saved.to_json())],
        )
        .await
        .expect("store the history");
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    assert_eq!(page.attempt_rows().await, 20, "one page of the table");
    assert_eq!(page.timeline_codes().await.len(), 60, "the newest segments");
    let nodes = browser
        .client()
        .execute(
            "return document.querySelector('[data-testid=history]').getElementsByTagName('*').length;",
            vec![],
        )
        .await
        .expect("count nodes");
    let nodes = nodes.as_u64().unwrap_or(u64::MAX);
    assert!(
        nodes < 700,
        "the history draws {nodes} nodes for 500 attempts"
    );
    let caption = page.wait_for_text("attempts-caption").await;
    assert_eq!(caption, "Attempts 481 to 500 of 500");
    browser
        .client()
        .find(fantoccini::Locator::Css("[data-testid='attempts-older']"))
        .await
        .expect("an Older button")
        .click()
        .await
        .expect("press Older");
    eventually("the older page", || async {
        (page.wait_for_text("attempts-caption").await == "Attempts 461 to 480 of 500").then_some(())
    })
    .await;
    assert_eq!(page.attempt_rows().await, 20);
    browser.close().await;
}

#[tokio::test]
async fn bad_settings_are_refused_with_the_field_named_and_nothing_changes() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    let outcome = page
        .apply_settings(&[("setting-initial-delay", "soon")])
        .await;
    assert!(
        outcome.contains("first wait: \"soon\" is not a number of seconds"),
        "{outcome}"
    );
    let outcome = page
        .apply_settings(&[("setting-initial-delay", "40"), ("setting-max-delay", "30")])
        .await;
    assert!(
        outcome.contains("longer than the longest wait"),
        "{outcome}"
    );
    let outcome = page
        .apply_settings(&[("setting-initial-delay", "2"), ("setting-max-delay", "16")])
        .await;
    assert_eq!(outcome, "Applied.");
    let preview = page.wait_for_text("reconnect-preview").await;
    assert!(
        preview.contains(": 2 s ("),
        "the preview follows: {preview}"
    );
    assert!(preview.contains("16 s ("), "{preview}");
    browser.close().await;
}

#[tokio::test]
async fn binary_typed_as_hex_is_sent_and_echoed_and_bad_hex_is_refused() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.connect().await;
    page.wait_for_status("open").await;
    page.set_send_binary(true).await;
    page.send("de ad be ef").await;
    page.wait_for_log("sent", "binary, 4 B: de ad be ef").await;
    page.wait_for_log("received", "binary, 4 B: de ad be ef")
        .await;
    page.send("de ag").await;
    page.wait_for_log("send-failed", "'g' at position 5 is not a hex digit")
        .await;
    browser.close().await;
}

#[tokio::test]
async fn a_token_in_the_target_is_masked_everywhere_and_never_saved() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.set_target(&format!("ws://{}/ws?token=sekrit42&room=7", server.addr()))
        .await;
    page.connect().await;
    page.wait_for_status("open").await;
    let line = page.wait_for_log("connecting", "token=••••&room=7").await;
    assert!(!line.text.contains("sekrit42"), "{line:?}");
    page.set_show_secrets(true).await;
    page.wait_for_log("connecting", "token=sekrit42").await;
    page.set_show_secrets(false).await;
    page.disconnect().await;
    page.wait_for_status("closed").await;

    // A URL the browser refuses comes back inside its error text: masked there too.
    page.set_target("ws://exa%mple.com/ws?token=SECRET9").await;
    page.connect().await;
    let refused = page.wait_for_log("refused", "token=••••").await;
    assert!(!refused.text.contains("SECRET9"), "{refused:?}");

    // A reload keeps no secret: not in local storage, and the target comes back with
    // the secret's name and no value, with a sentence asking for it.
    page.reload().await;
    let stored = browser
        .client()
        .execute("return localStorage.getItem('wsdoctor.console');", vec![])
        .await
        .expect("read local storage");
    let stored = stored.as_str().unwrap_or_default().to_string();
    assert!(stored.contains("exa%mple.com"), "{stored}");
    for secret in ["sekrit42", "SECRET9"] {
        assert!(
            !stored.contains(secret),
            "{secret} in local storage: {stored}"
        );
    }
    assert_eq!(page.target().await, "ws://exa%mple.com/ws?token=");
    let hint = page.wait_for_text("target-retype").await;
    assert!(hint.contains("No value for token"), "{hint}");
    page.wait_for_log("note", "were not kept across the reload")
        .await;
    browser.close().await;
}

#[tokio::test]
async fn a_second_tab_hiding_the_page_is_shaded_on_the_reconnection_timeline() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.connect().await;
    page.wait_for_status("open").await;
    let first = browser.current_tab().await;
    browser.open_second_tab().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    browser.switch_to(first).await;
    page.wait_for_log("page-visible", "page visible").await;
    let spans = eventually("a hidden span on the timeline", || async {
        let spans = page.hidden_spans().await;
        (spans > 0).then_some(spans)
    })
    .await;
    assert_eq!(spans, 1);
    browser.close().await;
}

#[tokio::test]
async fn settings_history_and_log_survive_a_reload() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.apply_settings(&[("setting-max-delay", "12")]).await;
    page.connect().await;
    page.wait_for_status("open").await;
    page.send("before reload").await;
    page.wait_for_log("received", "before reload").await;
    page.disconnect().await;
    page.wait_for_status("closed").await;
    // The page saves at most every 2 s, and at once on leaving.
    page.reload().await;

    page.wait_for_log("restored", "page reloaded").await;
    let lines = page.log().await;
    let marker = lines
        .iter()
        .position(|l| l.kind == "restored")
        .expect("a marker");
    assert!(
        lines[..marker]
            .iter()
            .any(|l| l.kind == "received" && l.text.contains("before reload")),
        "the earlier visit's messages come before the marker: {lines:#?}"
    );
    assert_eq!(page.received_count().await, 0, "counts are this visit's");
    assert_eq!(page.attempt_rows().await, 1, "the history is back");
    assert_eq!(page.timeline_codes().await, ["1000"]);
    assert!(
        page.page_mark_kinds()
            .await
            .contains(&"restored".to_string())
    );
    let preview = page.wait_for_text("reconnect-preview").await;
    assert!(
        preview.contains("12 s ("),
        "the settings are back: {preview}"
    );

    page.connect().await;
    page.wait_for_status("open").await;
    // New connections follow the restored ids: #1 was the earlier visit's.
    page.wait_for_log("opened", "#2 opened").await;
    browser.close().await;
}
