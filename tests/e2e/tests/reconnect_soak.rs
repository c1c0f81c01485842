//! The reconnect soak end to end, in headless Chromium under the server's CSP: 15 s
//! against wsdoctor-server ending each of three connections about every 2 s, each
//! reconnecting by its own policy, and the table shows the seed article's policy against
//! wsdoctor's and a fixed delay; servers nobody here wrote (npm `ws`, Python
//! `websockets`) are said not to be the companion. (A support link's `checks=soak` runs
//! the same check for its default 120 s: too long for CI; the guided run's plumbing is
//! the same as the other checks', tested with them.)

use std::time::Duration;

use serde_json::Value;
use wsdoctor_core::checks::soak::LaneResult;
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::check_details::field;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::server::Server;
use wsdoctor_e2e::support_page::SupportPage;
use wsdoctor_e2e::third_party::{PythonOptions, ThirdPartyServer};

/// Fills in the soak's fields, starts it and returns its check (`data-result`).
async fn soak(page: &ConsolePage<'_>, support: &SupportPage<'_>, seconds: &str) -> Value {
    page.set_field("soak-seconds", seconds).await;
    page.set_field("soak-rate", "30").await;
    page.click("soak-start").await;
    support
        .wait_for("soak-result", Duration::from_secs(40))
        .await;
    support.check("soak-result").await
}

#[tokio::test]
async fn the_soak_shows_the_seed_articles_policy_against_wsdoctors_and_a_fixed_delay() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    let support = SupportPage::new(browser.client());
    let check = soak(&page, &support, "15").await;
    let lanes: Vec<LaneResult> = field(&check["details"], "lanes");
    let policies: Vec<&str> = lanes.iter().map(|l| l.policy.as_str()).collect();
    assert_eq!(
        policies,
        [
            "wsdoctor's policy",
            "the seed article's policy",
            "a fixed 1 s delay"
        ],
        "{check:#}"
    );
    for lane in &lanes {
        assert!(lane.endings >= 1, "the companion ended it: {lane:?}");
        assert!(lane.uptime_pct > 0.0 && lane.uptime_pct < 100.0, "{lane:?}");
    }
    // The seed article's and the fixed delay come back after their 1 s (plus the open
    // on loopback), every time.
    for lane in &lanes[1..] {
        assert!(lane.endings >= 3, "{lane:?}");
        assert!(lane.reconnects + 1 >= lane.endings, "{lane:?}");
        let p50 = lane.recover_p50_ms.expect("recoveries");
        assert!((1_000.0..1_500.0).contains(&p50), "{lane:?}");
    }
    // The table says the same to a person: one row per policy.
    assert_eq!(
        support.text("soak-table").await.matches(" %").count(),
        3,
        "{}",
        support.text("soak-table").await
    );
    browser.close().await;
}

#[tokio::test]
async fn against_servers_nobody_here_wrote_the_soak_says_it_needs_the_companion() {
    let server = Server::start();
    let node = ThirdPartyServer::node_ws();
    let python = ThirdPartyServer::python_websockets(&PythonOptions::default());
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    let support = SupportPage::new(browser.client());
    for (url, words) in [
        (node.url(), "did not answer its hello"),
        (python.url(), "is this wsdoctor-server?"),
    ] {
        page.set_target(&url).await;
        let check = soak(&page, &support, "5").await;
        assert_eq!(check["status"], "error", "{check:#}");
        let failure: String = field(&check["details"], "failure");
        assert!(failure.contains(words), "{url}: {failure}");
    }
    browser.close().await;
}
