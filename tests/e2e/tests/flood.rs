//! A hostile peer floods the console: the count stays exact, the log stays bounded, and
//! the live view draws only the newest rows.

use std::time::{Duration, Instant};

use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::flood::FloodServer;
use wsdoctor_e2e::server::Server;

const FLOOD: usize = 100_000;
/// The console's log capacity (`LOG_CAPACITY` in the app).
const LOG_CAPACITY: usize = 1000;
/// How many rows the live log draws (`LIVE_ROWS` in the app).
const LIVE_ROWS: usize = 200;

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
