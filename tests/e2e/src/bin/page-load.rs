//! The page-load benchmark, run by `cargo xtask bench`: time to interactive, from the
//! navigation to the first usable control, for the wsdoctor page (its Connect button) and
//! for a bare Leptos counter page (its button, `WSDOCTOR_COUNTER_DIST`), each served by
//! wsdoctor-server with its compressed copies, in the same browser and run.
//!
//! Every load is a first visit (the browser cache is off). The two pages alternate,
//! `ROUNDS` loads each, first on loopback, then on an emulated slow link (1.6 Mbit/s each
//! way, 150 ms round trips: DevTools' network emulation). The moment the control appears
//! is taken inside the page by a MutationObserver installed before any of its scripts
//! (`Page.addScriptToEvaluateOnNewDocument`), as `performance.now()`, whose zero is the
//! navigation's start: no polling delay is counted.
//!
//! Prints `key=value` lines (`loopback.page.median_ms=...`); xtask writes the table.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::server::Server;

const ROUNDS: usize = 7;
/// The controls that make each page usable.
const READY: &str = "[data-testid='connect-button'], [data-testid='counter']";
/// 1.6 Mbit/s in bytes per second.
const SLOW_BYTES_PER_S: f64 = 1_600_000.0 / 8.0;
const SLOW_RTT_MS: f64 = 150.0;

#[tokio::main]
async fn main() {
    let counter_dist = PathBuf::from(
        std::env::var("WSDOCTOR_COUNTER_DIST")
            .expect("WSDOCTOR_COUNTER_DIST names the counter page"),
    );
    let page = Server::start();
    let counter = Server::serving(&counter_dist);
    let browser = Browser::start().await;
    browser.cdp("Network.enable", json!({})).await;
    browser
        .cdp("Network.setCacheDisabled", json!({ "cacheDisabled": true }))
        .await;
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": observer_script() }),
        )
        .await;
    for (link, slow) in [("loopback", false), ("slow", true)] {
        emulate(&browser, slow).await;
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            ours.push(time_to_interactive(&browser, &page.page_url()).await);
            theirs.push(time_to_interactive(&browser, &counter.page_url()).await);
        }
        print(link, "page", ours);
        print(link, "counter", theirs);
    }
    emulate(&browser, false).await;
    browser.close().await;
}

/// Records, once, when a usable control first appears.
fn observer_script() -> String {
    format!(
        "(() => {{
  const ready = () => {{
    if (window.__wsdoctorReadyAt === undefined && document.querySelector({READY:?})) {{
      window.__wsdoctorReadyAt = performance.now();
    }}
  }};
  new MutationObserver(ready).observe(document, {{ childList: true, subtree: true }});
}})();"
    )
}

/// Turns the slow link on or off.
async fn emulate(browser: &Browser, slow: bool) {
    let conditions = if slow {
        json!({
            "offline": false,
            "latency": SLOW_RTT_MS,
            "downloadThroughput": SLOW_BYTES_PER_S,
            "uploadThroughput": SLOW_BYTES_PER_S,
        })
    } else {
        json!({
            "offline": false,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": -1,
        })
    };
    browser
        .cdp("Network.emulateNetworkConditions", conditions)
        .await;
}

/// Loads `url` afresh and returns the ms from navigation to its first usable control.
async fn time_to_interactive(browser: &Browser, url: &str) -> f64 {
    browser.goto("about:blank").await;
    browser.goto(url).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let at = browser
            .client()
            .execute("return window.__wsdoctorReadyAt ?? null;", Vec::new())
            .await
            .ok()
            .and_then(|v| v.as_f64());
        if let Some(at) = at {
            return at;
        }
        assert!(Instant::now() < deadline, "{url} never became usable");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn print(link: &str, name: &str, mut samples: Vec<f64>) {
    samples.sort_by(f64::total_cmp);
    let median = wsdoctor_core::stats::median(samples.clone());
    let listed: Vec<String> = samples.iter().map(|s| format!("{s:.0}")).collect();
    println!("{link}.{name}.samples_ms={}", listed.join(","));
    println!("{link}.{name}.median_ms={median:.0}");
}
