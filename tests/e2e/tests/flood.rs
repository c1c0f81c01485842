//! A hostile peer floods the console: the count stays exact, the log stays bounded, and
//! the live view draws only the newest rows. Messages far larger than any preview are
//! logged with their exact size without being copied into the page whole.

use std::time::{Duration, Instant};

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

use wsdoctor_core::event_log::{CONSOLE_LOG_CAPACITY as LOG_CAPACITY, LIVE_ROWS};
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::flood::FloodServer;
use wsdoctor_e2e::server::Server;

const FLOOD: usize = 100_000;

#[tokio::test]
async fn under_a_flood_of_100000_messages_the_count_is_exact_and_the_log_bounded() {
    let server = Server::start();
    let flood = FloodServer::start(FLOOD).await;
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.set_target(&flood.url()).await;
    page.connect().await;

    let deadline = Instant::now() + Duration::from_secs(120);
    let mut received = 0;
    while Instant::now() < deadline {
        received = page.received_count().await;
        if received >= FLOOD as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(received, FLOOD as u64, "every message counted, none twice");
    let last = page.wait_for_log("received", "flood 99999").await;
    assert!(last.text.contains("text, 11 B"), "{last:?}");
    assert_eq!(
        page.kept_log_entries().await,
        LOG_CAPACITY,
        "the log holds its bound, no more"
    );
    assert_eq!(
        page.log_len().await,
        LIVE_ROWS,
        "live, the newest rows are drawn"
    );
    page.toggle_log_pause().await;
    assert_eq!(
        page.log_len().await,
        LOG_CAPACITY,
        "paused, every kept entry can be scrolled through"
    );
    browser.close().await;
}

#[tokio::test]
async fn a_long_text_and_a_large_binary_message_are_logged_with_their_exact_size() {
    let (addr, _task) = wsdoctor_e2e::loopback::serve(|stream| async move {
        let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
            return;
        };
        // 100,000 two-byte characters: 200,000 bytes, beyond what the page copies whole.
        let _ = ws.send(Message::text("é".repeat(100_000))).await;
        let bytes: Vec<u8> = (0..4 * 1024 * 1024).map(|i| (i % 256) as u8).collect();
        let _ = ws.send(Message::binary(bytes)).await;
        let _ = ws.send(Message::text("after the large ones")).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.set_target(&format!("ws://{addr}/")).await;
    page.connect().await;
    page.wait_for_log("received", "after the large ones").await;
    let log = page.log().await;
    let text = log
        .iter()
        .find(|l| l.text.contains("text, 200000 B"))
        .unwrap_or_else(|| panic!("{log:#?}"));
    assert!(text.text.contains(&"é".repeat(100)), "{text:?}");
    let binary = log
        .iter()
        .find(|l| l.text.contains("binary, 4194304 B"))
        .unwrap_or_else(|| panic!("{log:#?}"));
    assert!(binary.text.contains("00 01 02 03"), "{binary:?}");
    assert_eq!(page.received_count().await, 3);
    browser.close().await;
}
