//! The size check end to end, in headless Chromium under the server's CSP: against
//! wsdoctor-server (its limit lowered to 256 KiB to keep CI short) everything up to the
//! server's own limit arrives both ways; through a relay that silently drops messages over
//! 64 KiB, the check finds 64 KiB each way, within a KiB, and says they were dropped
//! silently; through one that answers 1009 over 32 KiB, it says 1009 and names the
//! 32 KB frame limit of AWS API Gateway; and a server nobody here wrote (Python
//! `websockets`) is said not to be the companion.

use std::time::Duration;

use serde_json::Value;
use wsdoctor_core::checks::size_limit::{Fate, Limit, PRECISION_BYTES};
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::check_details::field;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::server::Server;
use wsdoctor_e2e::size_relay::{OverLimit, SizeRelay};
use wsdoctor_e2e::support_page::SupportPage;
use wsdoctor_e2e::third_party::{PythonOptions, ThirdPartyServer};

const SERVER_LIMIT: usize = 256 * 1024;
const RELAY_LIMIT: usize = 64 * 1024;
const REFUSING_LIMIT: usize = 32 * 1024;

/// Runs the check against `target` (each answer awaited 0.3 s) and returns its check.
async fn find_limits(page: &ConsolePage<'_>, support: &SupportPage<'_>, target: &str) -> Value {
    page.set_target(target).await;
    page.set_field("size-wait", "0.3").await;
    page.click("size-start").await;
    support
        .wait_for("size-result", Duration::from_secs(60))
        .await;
    support.check("size-result").await
}

#[tokio::test]
async fn the_size_check_finds_the_servers_limit_a_relays_silent_one_and_a_1009() {
    let limit = SERVER_LIMIT.to_string();
    let server = Server::start_with(None, &["--max-message-bytes", &limit]);
    let relay = SizeRelay::start(server.addr(), RELAY_LIMIT, OverLimit::Drop).await;
    let refusing = SizeRelay::start(server.addr(), REFUSING_LIMIT, OverLimit::Close).await;
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    let support = SupportPage::new(browser.client());

    let direct = find_limits(&page, &support, &format!("ws://{}/ws", server.addr())).await;
    assert_eq!(direct["status"], "pass", "{direct:#}");
    let details = &direct["details"];
    assert_eq!(details["server_limit"], SERVER_LIMIT, "{details:#}");
    for way in ["up", "down"] {
        let found: Limit = field(details, way);
        assert_eq!(
            (found.largest_arrived, found.smallest_lost),
            (SERVER_LIMIT as u64, None),
            "{way}: {details:#}"
        );
    }

    let relayed = find_limits(&page, &support, &format!("ws://{}/ws", relay.addr())).await;
    assert_eq!(relayed["status"], "warn", "{relayed:#}");
    for way in ["up", "down"] {
        let found: Limit = field(&relayed["details"], way);
        let relay = RELAY_LIMIT as u64;
        assert!(
            found.largest_arrived <= relay && relay - found.largest_arrived <= PRECISION_BYTES,
            "{way}: {found:?}"
        );
        assert!(
            found.smallest_lost.is_some_and(|lost| lost > relay),
            "{way}: {found:?}"
        );
        assert_eq!(
            found.lost_how,
            Some(Fate::Dropped),
            "{way}: silently: {found:?}"
        );
    }

    let refused = find_limits(&page, &support, &format!("ws://{}/ws", refusing.addr())).await;
    for way in ["up", "down"] {
        let found: Limit = field(&refused["details"], way);
        assert_eq!(
            found.lost_how,
            Some(Fate::Closed { code: 1009 }),
            "{way}: told from a silent drop: {found:?}"
        );
        assert_eq!(
            found.known.as_deref(),
            Some("AWS API Gateway's 32 KB per frame"),
            "{way}: {found:?}"
        );
    }
    browser.close().await;
}

#[tokio::test]
async fn against_a_server_nobody_here_wrote_the_size_check_says_it_needs_the_companion() {
    let server = Server::start();
    let python = ThirdPartyServer::python_websockets(&PythonOptions::default());
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    let support = SupportPage::new(browser.client());
    let check = find_limits(&page, &support, &python.url()).await;
    assert_eq!(check["status"], "error", "{check:#}");
    let failure: String = field(&check["details"], "failure");
    assert!(failure.contains("is this wsdoctor-server?"), "{failure}");
    browser.close().await;
}
