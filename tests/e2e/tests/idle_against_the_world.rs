//! The idle-timeout experiment against servers nobody here wrote (npm `ws` and the seed
//! article's Python `websockets` server, each negotiating what it negotiates: no
//! subprotocol, or the first one offered), behind a real nginx, from a support link; and
//! on a path that counts only the page's traffic (a one-way relay in front of
//! wsdoctor-server). The table cases share one browser session.

use std::time::Duration;

use wsdoctor_core::idle::{CompanionOffer, TrafficThatCounts};
use wsdoctor_core::protocol::ClosedBy;
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::check_details::field;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::nginx::{Nginx, NginxOptions};
use wsdoctor_e2e::one_way_relay::OneWayRelay;
use wsdoctor_e2e::server::Server;
use wsdoctor_e2e::third_party::{PythonOptions, ThirdPartyServer};

/// nginx's idle timeout in these tests: short, so they stay fast.
const NGINX_TIMEOUT: Duration = Duration::from_secs(3);

fn near(found: Option<u64>, expected: Duration) -> bool {
    let expected = expected.as_millis() as u64;
    found.is_some_and(|found| found.abs_diff(expected) <= (expected / 10).max(300))
}

#[tokio::test]
async fn the_experiment_runs_against_servers_nobody_here_wrote() {
    let server = Server::start();
    let browser = Browser::start().await;
    let nginx_options = NginxOptions {
        read_timeout: NGINX_TIMEOUT,
        ..NginxOptions::default()
    };

    // npm `ws` picks wsdoctor.v1 when offered and echoes the hello: the page sees at its
    // first answer that it is not the companion, and runs the probes any server allows.
    let node = ThirdPartyServer::node_ws();
    let nginx = Nginx::start(node.addr(), &nginx_options);
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.set_target(&format!("ws://{}/", nginx.addr())).await;
    page.start_idle_experiment("10", "1").await;
    let verdict = page.wait_for_idle_verdict(Duration::from_secs(15)).await;
    assert!(
        near(verdict.idle_timeout_ms, NGINX_TIMEOUT),
        "npm ws behind nginx: {verdict:#?}"
    );
    assert_eq!(verdict.names(), ["silent", "echo_heartbeat"]);
    assert_eq!(verdict.probes[0].close_code, Some(1006));
    assert!(verdict.probes[1].survived, "{verdict:#?}");
    let result = verdict.details();
    assert_eq!(
        field::<CompanionOffer>(result, "companion_offer"),
        CompanionOffer::WrongAnswer,
        "it picked wsdoctor.v1 and echoed the hello: {result:#}"
    );
    assert!(
        field::<Vec<TrafficThatCounts>>(result, "traffic_that_counts").len() > 1,
        "with one busy probe, which direction counts could not be separated: {result:#}"
    );
    drop(nginx);

    // The seed's Python server negotiates no subprotocol (the browser fails a handshake
    // that offered one and got none back) and pings every second: even the silent probe
    // stays open behind nginx's 3 s.
    let python = ThirdPartyServer::python_websockets(&PythonOptions {
        ping_interval: Some(Duration::from_secs(1)),
        ..PythonOptions::default()
    });
    let nginx = Nginx::start(python.addr(), &nginx_options);
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.set_target(&format!("ws://{}/", nginx.addr())).await;
    page.start_idle_experiment("5", "1").await;
    let verdict = page.wait_for_idle_verdict(Duration::from_secs(15)).await;
    assert_eq!(verdict.idle_timeout_ms, None, "{verdict:#?}");
    assert_eq!(verdict.details()["max_idle_ms"], 5_000, "{verdict:#?}");
    assert_eq!(verdict.names(), ["silent", "echo_heartbeat"]);
    assert!(verdict.probes.iter().all(|p| p.survived), "{verdict:#?}");
    assert_eq!(
        field::<CompanionOffer>(verdict.details(), "companion_offer"),
        CompanionOffer::HandshakeFailed,
        "offering wsdoctor.v1 failed the handshake; without it, it opened: {verdict:#?}"
    );
    drop(nginx);
    drop(python);

    // A support link to a server that requires its subprotocol: the link's protocols
    // reach the experiment, and Start alone runs it (the console is never touched).
    let picky = ThirdPartyServer::python_websockets(&PythonOptions {
        subprotocols: vec!["chat.v1".into()],
        require_subprotocol: true,
        ..PythonOptions::default()
    });
    browser
        .open_page(
            &server.page_url(),
            &[
                ("target", picky.url().as_str()),
                ("protocols", "chat.v1"),
                ("watch", "3"),
                ("every", "1"),
            ],
        )
        .await;
    let page = ConsolePage::ready(browser.client()).await;
    page.press_idle_start().await;
    let verdict = page.wait_for_idle_verdict(Duration::from_secs(10)).await;
    assert_eq!(verdict.idle_timeout_ms, None, "{verdict:#?}");
    assert_eq!(verdict.details()["max_idle_ms"], 3_000, "{verdict:#?}");
    assert_eq!(verdict.names(), ["silent", "echo_heartbeat"]);
    assert!(verdict.probes.iter().all(|p| p.survived), "{verdict:#?}");
    browser.close().await;
}

#[tokio::test]
async fn on_a_path_that_counts_only_the_pages_traffic_the_verdict_says_so() {
    const RELAY_IDLE: Duration = Duration::from_secs(2);
    let server = Server::start();
    let relay = OneWayRelay::start(server.addr(), RELAY_IDLE).await;
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    page.set_target(&format!("ws://{}/ws", relay.addr())).await;
    page.start_idle_experiment("10", "1").await;
    let verdict = page.wait_for_idle_verdict(Duration::from_secs(15)).await;
    assert!(near(verdict.idle_timeout_ms, RELAY_IDLE), "{verdict:#?}");
    assert_eq!(
        verdict.survivors(),
        ["client_heartbeat", "server_ping", "echo_heartbeat"],
        "the server's messages alone do not count; its Pings do, through the browser's Pongs: {verdict:#?}"
    );
    let result = verdict.details();
    assert_eq!(
        field::<Vec<TrafficThatCounts>>(result, "traffic_that_counts"),
        [TrafficThatCounts::FromPage],
        "only traffic from the page keeps it open (never \"whatever their traffic\" while busy probes survived): {result:#}"
    );
    assert_eq!(verdict.recommended_heartbeat_ms, Some(1000));
    assert_eq!(
        field::<Option<ClosedBy>>(&result["probes"][0], "server_saw"),
        Some(ClosedBy::None),
        "no close frame reached the server: {result:#}"
    );
    browser.close().await;
}
