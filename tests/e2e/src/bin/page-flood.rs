//! The page-flood benchmark, run by `cargo xtask bench`: how fast the wsdoctor page
//! takes in a flood of messages, and how much its memory grows, next to a raw-JavaScript
//! page that only counts messages, in the same browser and run.
//!
//! Both pages connect to the same loopback flood server (numbered text messages of 20 B,
//! 1 KB and 64 KB, each flood bounded in bytes, sent as fast as TCP allows, so the page's
//! own speed sets the pace), in turn, `ROUNDS` times each; the medians are printed.
//! Time is measured from the Connect click until the page shows the whole count, polled
//! the same way for both pages. Memory is V8's heap plus array-buffer backing stores
//! (where the wasm memory lives), after a forced garbage collection, before and after.
//! Prints `key=value` lines (`s1024.raw.messages_per_s=...`); xtask writes the table.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::json;
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::flood::FloodServer;
use wsdoctor_e2e::server::Server;

/// Message sizes, and how many of each: about 64 MB per flood, and at most 1,000,000
/// messages (20 B × 3.2 million would take minutes per page).
const FLOODS: [(usize, usize); 3] = [(20, 1_000_000), (1024, 65_536), (65_536, 1_024)];
const ROUNDS: usize = 3;
const POLL: Duration = Duration::from_millis(20);
const GIVE_UP: Duration = Duration::from_secs(180);

/// The raw-JavaScript reference: a socket and a counter, nothing else.
const RAW_PAGE: &str = r#"<!doctype html><meta charset="utf-8"><title>raw counter</title>
<input id="target"><button id="connect">Connect</button><span id="count">0</span>
<script>
let count = 0, bytes = 0;
const shown = document.getElementById('count');
document.getElementById('connect').onclick = () => {
  const ws = new WebSocket(document.getElementById('target').value);
  ws.onmessage = (event) => { count += 1; bytes += event.data.length; };
  setInterval(() => { shown.textContent = String(count); }, 10);
};
</script>"#;

/// One page's figures under one flood.
struct Run {
    messages: u64,
    per_s: f64,
    growth: i64,
}

#[tokio::main]
async fn main() {
    let server = Server::start();
    let browser = Browser::start_with(&["--enable-blink-features=ForceEagerMeasureMemory"]).await;
    let raw_url = wsdoctor_e2e::loopback::serve_isolated_page(RAW_PAGE).await;
    for (bytes, count) in FLOODS {
        let flood = FloodServer::start_sized(count, bytes).await;
        let (mut raw, mut page) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            browser.goto(&raw_url).await;
            raw.push(
                measure(&browser, count, "#count", || async {
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
                .await,
            );
            let console = ConsolePage::open(&browser, &server.page_url()).await;
            page.push(
                measure(
                    &browser,
                    count,
                    "[data-testid='received-count']",
                    || async {
                        console.set_target(&flood.url()).await;
                        console.connect().await;
                    },
                )
                .await,
            );
        }
        print(&format!("s{bytes}.raw"), count, &raw);
        print(&format!("s{bytes}.page"), count, &page);
    }
    browser.close().await;
}

fn print(name: &str, count: usize, runs: &[Run]) {
    let median = wsdoctor_core::stats::median;
    println!("{name}.flood={count}");
    println!(
        "{name}.messages={}",
        runs.iter().map(|r| r.messages).min().unwrap_or(0)
    );
    println!(
        "{name}.messages_per_s={:.0}",
        median(runs.iter().map(|r| r.per_s).collect())
    );
    println!(
        "{name}.memory_growth_bytes={:.0}",
        median(runs.iter().map(|r| r.growth as f64).collect())
    );
}

async fn measure<F, Fut>(browser: &Browser, count: usize, counter: &str, connect: F) -> Run
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
        seen = text.trim().replace(',', "").parse().unwrap_or(0);
        if seen >= count as u64 {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let after = memory(browser).await;
    Run {
        messages: seen,
        per_s: seen as f64 / seconds,
        growth: after - before,
    }
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
