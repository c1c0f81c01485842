//! The page against a hostile server (`wsdoctor_e2e::hostile`): every way of breaking
//! the protocol before and after the upgrade ends in a close the log shows with its code
//! and "Why it closed" explains, the page never panics (the browser's console is checked
//! when the browser closes), and it goes on working. One browser session for the table.

use std::time::{Duration, Instant};

use wsdoctor_core::diagnosis::FindingKind;
use wsdoctor_e2e::PATIENCE;
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::console_page::{ConsolePage, LogLine};
use wsdoctor_e2e::hostile::{Behaviour, HostileServer};
use wsdoctor_e2e::server::Server;

fn closed_lines(log: &[LogLine]) -> Vec<&LogLine> {
    log.iter().filter(|l| l.kind == "closed").collect()
}

/// Waits until the log has more than `before` "closed" lines; returns the newest.
async fn next_close(page: &ConsolePage<'_>, before: usize) -> LogLine {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let log = page.log().await;
        let closed = closed_lines(&log);
        if closed.len() > before {
            return closed[closed.len() - 1].clone();
        }
        if Instant::now() > deadline {
            panic!("no new close in the log: {log:#?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn every_hostile_behaviour_ends_in_an_explained_close_and_the_page_goes_on() {
    let server = Server::start();
    let hostile = HostileServer::start().await;
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.set_auto_reconnect(false).await;
    let mut seen = Vec::new();
    for behaviour in Behaviour::ALL {
        let before = closed_lines(&page.log().await).len();
        page.set_target(&hostile.url(behaviour)).await;
        page.connect().await;
        if behaviour == Behaviour::PingFlood {
            // 10,000 pings are answered by the browser; the message after them arrives,
            // and the connection is still open.
            page.wait_for_log("received", "after the pings").await;
            assert_eq!(page.status_name().await, "open");
            page.disconnect().await;
        }
        let closed = next_close(&page, before).await;
        let kinds = page.finding_kinds().await;
        let summary = format!("{behaviour:?}: {} | {kinds:?}", closed.text);
        if behaviour.fails_before_open() {
            assert!(closed.text.contains("code 1006"), "{summary}");
            assert_eq!(
                kinds.first().map(String::as_str),
                Some(FindingKind::FailedBeforeOpen.name()),
                "{summary}"
            );
        } else if behaviour == Behaviour::PingFlood {
            assert!(closed.text.contains("code 1000"), "{summary}");
        } else {
            assert!(
                ["code 1006", "code 1002", "code 1007"]
                    .iter()
                    .any(|code| closed.text.contains(code)),
                "{summary}"
            );
            assert!(
                !kinds.contains(&FindingKind::FailedBeforeOpen.name().to_string()),
                "explained as a close after opening: {summary}"
            );
        }
        assert!(!kinds.is_empty(), "every close is explained: {summary}");
        seen.push(summary);
    }
    eprintln!("{}", seen.join("\n"));
    // After all of it the page still works against a good server.
    page.set_target(&format!("ws://{}/ws", server.addr())).await;
    page.connect().await;
    page.wait_for_status("open").await;
    page.send("still fine").await;
    page.wait_for_log("received", "still fine").await;
    browser.close().await;
}
