//! The round-trip benchmark, run by `cargo xtask bench`: the wsdoctor page's echo round
//! trip next to a raw-JavaScript page's, against the same wsdoctor-server in the same
//! browser and run.
//!
//! Both send the companion's numbered `echo` messages, one every `EVERY_MS`, `ECHOES` per
//! round, and time each answer with `performance.now()` (both pages are cross-origin
//! isolated: 5 µs steps). The wsdoctor page runs its round-trip card; the raw page is a
//! socket and a script, nothing else. Rounds alternate, `ROUNDS` each; each round's median
//! is taken, and the median of those printed, with the server's Ping/Pong median from the
//! page's runs. Prints `key=value` lines (`raw.p50_ms=...`); xtask writes the table.

use std::time::Duration;

use serde_json::Value;
use wsdoctor_core::COMPANION_SUBPROTOCOL;
use wsdoctor_core::stats::median;
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::server::Server;
use wsdoctor_e2e::support_page::SupportPage;

const ECHOES: u32 = 100;
const EVERY_MS: u32 = 20;
const ROUNDS: usize = 5;

/// The raw-JavaScript reference: a blank page; the script below runs in it.
const RAW_PAGE: &str = r#"<!doctype html><meta charset="utf-8"><title>raw round trips</title>"#;

/// Opens the companion, sends the echoes at the same pace, and returns each round trip.
const RAW_SCRIPT: &str = r#"
const [url, subprotocol, echoes, every, done] = arguments;
const ws = new WebSocket(url, subprotocol);
const sent = new Map(), rtts = [];
ws.onmessage = (event) => {
  const now = performance.now();
  const m = JSON.parse(event.data);
  if (m.type === 'welcome') {
    let seq = 0;
    const timer = setInterval(() => {
      seq += 1;
      sent.set(seq, performance.now());
      ws.send(JSON.stringify({ type: 'echo', seq, t: sent.get(seq) }));
      if (seq === echoes) clearInterval(timer);
    }, every);
  } else if (m.type === 'echo' && sent.has(m.seq)) {
    rtts.push(now - sent.get(m.seq));
    sent.delete(m.seq);
    if (rtts.length === echoes) { ws.close(); done(rtts); }
  }
};
ws.onopen = () => ws.send(JSON.stringify({ type: 'hello' }));
setTimeout(() => done(rtts), 30000);
"#;

#[tokio::main]
async fn main() {
    let server = Server::start();
    let browser = Browser::start().await;
    let raw_url = wsdoctor_e2e::loopback::serve_isolated_page(RAW_PAGE).await;
    let ws_url = format!("ws://{}/ws", server.addr());
    let (mut raw, mut page, mut ping) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        browser.goto(&raw_url).await;
        let rtts = browser
            .client()
            .execute_async(
                RAW_SCRIPT,
                vec![
                    Value::from(ws_url.as_str()),
                    Value::from(COMPANION_SUBPROTOCOL),
                    Value::from(ECHOES),
                    Value::from(EVERY_MS),
                ],
            )
            .await
            .expect("the raw page's script ran");
        let rtts: Vec<f64> = serde_json::from_value(rtts).expect("round trips");
        assert_eq!(rtts.len(), ECHOES as usize, "every raw echo came back");
        raw.push(median(rtts));

        let console = ConsolePage::open(&browser, &server.page_url()).await;
        console.set_target(&ws_url).await;
        console
            .set_field("roundtrip-echoes", &ECHOES.to_string())
            .await;
        console
            .set_field("roundtrip-every", &EVERY_MS.to_string())
            .await;
        console.click("roundtrip-start").await;
        let support = SupportPage::new(browser.client());
        support
            .wait_for("roundtrip-result", Duration::from_secs(30))
            .await;
        let check = support.check("roundtrip-result").await;
        let details = &check["details"];
        assert_eq!(details["answered"], ECHOES, "every page echo came back");
        let rtts: Vec<f64> =
            serde_json::from_value(details["echo_ms"].clone()).expect("the page's round trips");
        page.push(median(rtts));
        let pings: Vec<f64> =
            serde_json::from_value(details["ping_ms"].clone()).unwrap_or_default();
        if !pings.is_empty() {
            ping.push(median(pings));
        }
    }
    println!("echoes={ECHOES}");
    println!("rounds={ROUNDS}");
    println!("raw.p50_ms={:.3}", median(raw));
    println!("page.p50_ms={:.3}", median(page));
    println!("page.ping_p50_ms={:.3}", median(ping));
    browser.close().await;
}
