//! The page-flood benchmark, run by `cargo xtask bench`: how fast the wsdoctor page
//! takes in a flood of messages, and how much its memory grows, next to a raw-JavaScript
//! page that only counts messages, in the same browser and run.
//!
//! Both pages connect to the same loopback flood server (100,000 numbered text messages
//! per connection, sent as fast as TCP allows, so the page's own speed sets the pace).
//! Time is measured from the Connect click until the page shows the whole count, polled
//! the same way for both pages. Memory is V8's heap plus array-buffer backing stores
//! (where the wasm memory lives), after a forced garbage collection, before and after.
//! Prints `key=value` lines (`raw.messages_per_s=...`, `page.memory_growth_bytes=...`);
//! xtask writes the table.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::json;
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::flood::FloodServer;
use wsdoctor_e2e::server::Server;

const MESSAGES: usize = 100_000;
const POLL: Duration = Duration::from_millis(20);
const GIVE_UP: Duration = Duration::from_secs(180);

/// The raw-JavaScript reference: a socket and a counter, nothing else.
const RAW_PAGE: &str = r#"<!doctype html><meta charset="utf-8"><title>raw counter</title>
<input id="target"><button id="connect">Connect</button><span id="count">0</span>
<script>
let count = 0;
const shown = document.getElementById('count');
document.getElementById('connect').onclick = () => {
  const ws = new WebSocket(document.getElementById('target').value);
  ws.onmessage = () => { count += 1; };
  setInterval(() => { shown.textContent = String(count); }, 10);
};
</script>"#;

#[tokio::main]
async fn main() {
    let server = Server::start();
    let flood = FloodServer::start(MESSAGES).await;
    let browser = Browser::start_with(&["--enable-blink-features=ForceEagerMeasureMemory"]).await;

    let raw_url = serve_raw_page().await;
    browser.goto(&raw_url).await;
    measure(&browser, "raw", "#count", || async {
        let client = browser.client();
        let target = client.find(Locator::Css("#target")).await.expect("target");
        target.send_keys(&flood.url()).await.expect("type target");
        client
            .find(Locator::Css("#connect"))
            .await
            .expect("connect")
            .click()
            .await
            .expect("click");
    })
    .await;

    let page = ConsolePage::open(&browser, &server.page_url()).await;
    measure(
        &browser,
        "page",
        "[data-testid='received-count']",
        || async {
            page.set_target(&flood.url()).await;
            page.connect().await;
        },
    )
    .await;
    browser.close().await;
}

async fn measure<F, Fut>(browser: &Browser, name: &str, counter: &str, connect: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let before = memory(browser).await;
    let started = Instant::now();
    connect().await;
    let client = browser.client();
    let mut seen = 0u64;
    while started.elapsed() < GIVE_UP {
        let text = client
            .find(Locator::Css(counter))
            .await
            .expect("the counter")
            .text()
            .await
            .unwrap_or_default();
        seen = text.trim().parse().unwrap_or(0);
        if seen >= MESSAGES as u64 {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let after = memory(browser).await;
    println!("{name}.messages={seen}");
    println!("{name}.seconds={seconds:.3}");
    println!("{name}.messages_per_s={:.0}", seen as f64 / seconds);
    println!("{name}.memory_before_bytes={before}");
    println!("{name}.memory_after_bytes={after}");
}

/// The page's memory as the browser itself measures it (JavaScript, wasm memory and
/// DOM: `performance.measureUserAgentSpecificMemory`, which needs a cross-origin
/// isolated page), after a forced garbage collection.
async fn memory(browser: &Browser) -> i64 {
    browser.cdp("HeapProfiler.enable", json!({})).await;
    browser.cdp("HeapProfiler.collectGarbage", json!({})).await;
    let bytes = browser
        .run_async(
            "const done = arguments[arguments.length - 1];
             if (!self.crossOriginIsolated) { done(-1); return; }
             performance.measureUserAgentSpecificMemory()
               .then(r => done(r.bytes), e => done(-2));",
        )
        .await;
    bytes
        .as_i64()
        .filter(|b| *b >= 0)
        .unwrap_or_else(|| panic!("no memory figure from the browser: {bytes}"))
}

/// Serves the raw page over HTTP on a loopback port (any request gets it); returns its URL.
/// The task ends with the process.
async fn serve_raw_page() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (addr, _task) = wsdoctor_e2e::loopback::serve(|mut stream| async move {
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request).await;
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncross-origin-opener-policy: same-origin\r\ncross-origin-embedder-policy: require-corp\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{RAW_PAGE}",
            RAW_PAGE.len()
        );
        let _ = stream.write_all(response.as_bytes()).await;
    })
    .await;
    format!("http://{addr}/")
}
