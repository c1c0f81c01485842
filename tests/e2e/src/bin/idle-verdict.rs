//! The idle-verdict benchmark, run by `cargo xtask bench`: how long the idle experiment
//! takes to reach its verdict behind a real nginx whose `proxy_read_timeout` is known,
//! as a ratio to that timeout (goal: at most the timeout T plus 1.5 s, with T found right).
//! The clock starts at the Start click (the settings are typed before) and stops when
//! WebDriver finds the verdict on the page (looking every 50 ms); reading it comes after.
//!
//! Prints `key=value` lines; xtask writes the table.

use std::time::{Duration, Instant};

use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::nginx::{Nginx, NginxOptions};
use wsdoctor_e2e::server::Server;

const TIMEOUTS_S: [u64; 3] = [5, 10, 30];
const HEARTBEAT_S: u64 = 2;
const WATCH_S: u64 = 60;

#[tokio::main]
async fn main() {
    let server = Server::start();
    let browser = Browser::start().await;
    for timeout in TIMEOUTS_S {
        let nginx = Nginx::start(
            server.addr(),
            &NginxOptions {
                read_timeout: Duration::from_secs(timeout),
                ..NginxOptions::default()
            },
        );
        let page = ConsolePage::open(&browser, &nginx.page_url()).await;
        page.set_idle_settings(&WATCH_S.to_string(), &HEARTBEAT_S.to_string())
            .await;
        let started = Instant::now();
        page.press_idle_start().await;
        page.wait_for_idle_done(Duration::from_secs(WATCH_S + 30))
            .await;
        let seconds = started.elapsed().as_secs_f64();
        let verdict = page.read_idle_verdict().await;
        println!("t{timeout}.timeout_ms={}", timeout * 1000);
        println!("t{timeout}.heartbeat_ms={}", HEARTBEAT_S * 1000);
        match verdict.idle_timeout_ms {
            Some(found) => println!("t{timeout}.found_ms={found}"),
            None => println!("t{timeout}.found_ms=none"),
        }
        println!("t{timeout}.verdict_s={seconds:.3}");
        nginx.stop();
    }
    browser.close().await;
}
