//! The idle-timeout experiment, end to end: headless Chromium, a real nginx from Debian
//! with a short `proxy_read_timeout` in front of wsdoctor-server, and the same
//! experiment straight against wsdoctor-server.

use std::time::Duration;

use wsdoctor_core::idle::{CompanionOffer, CutBy, TrafficThatCounts};
use wsdoctor_core::protocol::ClosedBy;
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::check_details::field;
use wsdoctor_e2e::console_page::{ConsolePage, IdleProbe};
use wsdoctor_e2e::nginx::{Nginx, NginxOptions};
use wsdoctor_e2e::server::Server;

/// nginx's idle timeout in these tests: short, so the test stays fast.
const NGINX_TIMEOUT: Duration = Duration::from_secs(3);

#[tokio::test]
async fn behind_nginx_the_experiment_finds_its_read_timeout_and_the_heartbeats_that_survive() {
    let server = Server::start();
    let nginx = Nginx::start(
        server.addr(),
        &NginxOptions {
            read_timeout: NGINX_TIMEOUT,
            ..NginxOptions::default()
        },
    );
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &nginx.page_url()).await;
    page.start_idle_experiment("20", "1").await;
    let verdict = page.wait_for_idle_verdict(Duration::from_secs(20)).await;

    let expected = NGINX_TIMEOUT.as_millis() as u64;
    let found = verdict.idle_timeout_ms.expect("an idle timeout");
    let tolerance = (expected / 10).max(500);
    assert!(
        found.abs_diff(expected) <= tolerance,
        "found {found} ms, nginx cuts after {expected} ms: {verdict:#?}"
    );
    // The one place these tests read the verdict's words: the headline says the number
    // measured, rounded as a person would read it.
    let said: f64 = verdict
        .headline
        .strip_prefix("Idle connections are cut after about ")
        .and_then(|rest| rest.strip_suffix(" s."))
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("the headline names the timeout: {verdict:#?}"));
    assert!(
        (said * 1000.0 - found as f64).abs() <= 100.0,
        "the headline rounds what was measured: {verdict:#?}"
    );
    let silent = &verdict.probes[0];
    assert_eq!(silent.name, "silent");
    assert_eq!(
        silent.close_code,
        Some(1006),
        "nginx cuts without a close frame"
    );
    assert!(!silent.survived);
    // Measured: nginx re-arms its timer on traffic in either direction of an upgraded
    // connection, so every busy probe survives, whichever side sends.
    assert_eq!(
        verdict.survivors(),
        [
            "client_heartbeat",
            "server_heartbeat",
            "server_ping",
            "echo_heartbeat"
        ],
        "{verdict:#?}"
    );
    let result = verdict.details();
    assert_eq!(
        field::<Vec<TrafficThatCounts>>(result, "traffic_that_counts"),
        [TrafficThatCounts::EitherWay],
        "{result:#}"
    );
    assert_eq!(
        field::<Option<ClosedBy>>(&result["probes"][0], "server_saw"),
        Some(ClosedBy::None),
        "the server's view: no close frame reached it: {result:#}"
    );
    assert_eq!(
        field::<Option<CutBy>>(result, "cut_by"),
        Some(CutBy::Path),
        "{result:#}"
    );
    assert_eq!(verdict.recommended_heartbeat_ms, Some(1000));
    let snippets = &verdict.snippets;
    assert_eq!(
        snippets.first(),
        Some(&("nginx".to_string(), true)),
        "the likeliest proxy first, unfolded: {snippets:?}"
    );
    assert!(
        snippets
            .iter()
            .any(|(title, featured)| title == "Apache httpd" && !featured),
        "the rest folded: {snippets:?}"
    );
    bars_are_drawn_to_scale(&verdict.probes);
    browser.close().await;
}

/// Each probe's bar is as long as the probe lived, on one axis: a probe cut at 3 s is
/// drawn shorter than one that lived 4 s, in proportion (the page's CSP must not turn
/// every bar full width).
fn bars_are_drawn_to_scale(probes: &[IdleProbe]) {
    let longest = probes
        .iter()
        .max_by_key(|p| p.alive_ms)
        .expect("some probes");
    assert!(longest.bar_width > 20.0, "{probes:#?}");
    for probe in probes {
        let drawn = probe.bar_width / longest.bar_width;
        let lived = probe.alive_ms as f64 / longest.alive_ms as f64;
        assert!(
            (drawn - lived).abs() <= 0.06,
            "{} lived {lived:.2} of the longest but is drawn {drawn:.2}: {probes:#?}",
            probe.name
        );
    }
    assert!(
        probes
            .iter()
            .any(|p| p.bar_width < longest.bar_width * 0.95),
        "a cut probe is drawn shorter than a survivor: {probes:#?}"
    );
}

#[tokio::test]
async fn straight_to_the_server_no_idle_timeout_is_found_up_to_the_time_watched() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.start_idle_experiment("4", "1").await;
    let verdict = page.wait_for_idle_verdict(Duration::from_secs(15)).await;
    assert_eq!(verdict.idle_timeout_ms, None);
    assert_eq!(verdict.details()["max_idle_ms"], 4_000, "{verdict:#?}");
    assert_eq!(verdict.details()["companion"], true, "{verdict:#?}");
    assert_eq!(
        verdict.probes.len(),
        5,
        "the companion runs all five probes"
    );
    assert!(verdict.probes.iter().all(|p| p.survived), "{verdict:#?}");
    assert!(verdict.snippets.is_empty());
    browser.close().await;
}

#[tokio::test]
async fn an_unreachable_target_ends_the_experiment_at_once_with_a_reason() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    let closed = wsdoctor_e2e::process::free_port();
    page.set_target(&format!("ws://127.0.0.1:{closed}/ws"))
        .await;
    page.start_idle_experiment("20", "1").await;
    let verdict = page.wait_for_idle_verdict(Duration::from_secs(15)).await;
    assert_eq!(verdict.check["status"], "error", "{verdict:#?}");
    let failure: String = field::<Option<String>>(verdict.details(), "failure")
        .unwrap_or_else(|| panic!("it could not run: {verdict:#?}"));
    assert!(failure.contains("1006"), "{failure}");
    let status = page.idle_status().await;
    assert!(
        status.contains(&failure),
        "the status says what failed, not \"Done after 0 s\": {status}"
    );
    assert!(
        browser
            .client()
            .find(fantoccini::Locator::Css(".idle-progress"))
            .await
            .is_err(),
        "no empty progress bar under a failure"
    );
    browser.close().await;
}

#[tokio::test]
async fn cancel_stops_the_run_and_concludes_nothing() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.start_idle_experiment("60", "1").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    page.cancel_idle_experiment().await;
    let verdict = page.wait_for_idle_verdict(Duration::from_secs(5)).await;
    assert_eq!(verdict.details()["cancelled"], true, "{verdict:#?}");
    assert_eq!(verdict.idle_timeout_ms, None);
    browser.close().await;
}

#[tokio::test]
async fn a_run_that_went_on_while_the_page_was_hidden_says_heartbeats_may_have_been_late() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    let first = browser.current_tab().await;
    page.start_idle_experiment("3", "1").await;
    browser.open_second_tab().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    browser.switch_to(first).await;
    let verdict = page.wait_for_idle_verdict(Duration::from_secs(15)).await;
    assert_eq!(verdict.idle_timeout_ms, None, "{verdict:#?}");
    assert!(
        verdict.details()["cancelled"] == false
            && field::<u64>(verdict.details(), "watched_ms") >= 3_000,
        "it kept going: {verdict:#?}"
    );
    assert!(
        verdict.details()["page_was_hidden"] == true,
        "it says heartbeats may have been late: {verdict:#?}"
    );
    assert_eq!(
        page.idle_hidden_spans().await,
        1,
        "the probes' timeline shades the hidden span"
    );
    browser.close().await;
}

#[tokio::test]
async fn a_server_that_claims_wsdoctor_v1_but_only_echoes_is_probed_as_the_server_it_is() {
    let server = Server::start();
    let mimic = wsdoctor_e2e::mimic::MimicServer::start().await;
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.set_target(&mimic.url()).await;
    page.start_idle_experiment("3", "1").await;
    let verdict = page.wait_for_idle_verdict(Duration::from_secs(10)).await;
    assert_eq!(verdict.idle_timeout_ms, None, "{verdict:#?}");
    assert_eq!(
        verdict.names(),
        ["silent", "echo_heartbeat"],
        "{verdict:#?}"
    );
    assert!(verdict.probes.iter().all(|p| p.survived), "{verdict:#?}");
    assert_eq!(
        field::<CompanionOffer>(verdict.details(), "companion_offer"),
        CompanionOffer::WrongAnswer,
        "{verdict:#?}"
    );
    browser.close().await;
}
