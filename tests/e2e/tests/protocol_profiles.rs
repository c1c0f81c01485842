//! Protocol profiles against the framework servers themselves (npm socket.io 4.8,
//! graphql-ws 6, subscriptions-transport-ws 0.11), in headless Chromium under the
//! server's CSP: the profile is detected with its evidence, frames read as events, the
//! connection stays up past the server's own timeouts when the page behaves like the
//! client, and "stay silent" meets those timeouts, explained with the server's numbers.
//! The idle experiment meets Socket.IO through a real nginx. One browser session per
//! profile; the servers' timeouts are 1 s so each test is short.

use std::time::Duration;

use wsdoctor_core::diagnosis::FindingKind;
use wsdoctor_core::profile::ProfileKind;
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::check_details::field;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::nginx::{Nginx, NginxOptions};
use wsdoctor_e2e::server::Server;
use wsdoctor_e2e::support_page::SupportPage;
use wsdoctor_e2e::third_party::ThirdPartyServer;

/// Socket.IO's pingInterval and pingTimeout in these tests: a silent client is closed
/// about 2 s after the open.
const PING_MS: u64 = 1_000;

fn sleep(ms: u64) -> tokio::time::Sleep {
    tokio::time::sleep(std::time::Duration::from_millis(ms))
}

/// Waits for the close with `code`, checks that the close panel's first finding is
/// `kind`, and returns the panel's text.
async fn explained_close(page: &ConsolePage<'_>, code: u16, kind: FindingKind) -> String {
    page.wait_for_log("closed", &format!("code {code}")).await;
    let kinds = page.finding_kinds().await;
    assert_eq!(
        kinds.first().map(String::as_str),
        Some(kind.name()),
        "{kinds:?}"
    );
    page.close_panel_text().await
}

#[tokio::test]
async fn socket_io_is_detected_read_as_events_kept_alive_and_a_silent_client_meets_its_ping_timeout()
 {
    let page_server = Server::start();
    let socket_io = ThirdPartyServer::framework("socketio", PING_MS);
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &page_server.page_url()).await;
    let data = SupportPage::new(browser.client());
    page.set_auto_reconnect(false).await;

    // Detected from the URL and the open packet, and kept up like the real client.
    page.set_target(&format!(
        "ws://{}/socket.io/?EIO=4&transport=websocket",
        socket_io.addr()
    ))
    .await;
    page.connect().await;
    page.wait_for_status("open").await;
    data.wait_for_attr("profile-status", "data-profile", "socketio")
        .await;
    page.wait_for_log(
        "note",
        "open packet seen, pingInterval 1 s, pingTimeout 1 s",
    )
    .await;
    page.wait_for_log("received", r#"connect / {"sid":"#).await;
    page.send(r#"42["chat","hi"]"#).await;
    let echo = page
        .wait_for_log("received", r#"event "chat" ["hi"]"#)
        .await;
    assert!(
        echo.text.contains(r#"42["chat","hi"]"#),
        "the raw frame stays beside: {echo:?}"
    );
    // Past pingInterval + pingTimeout twice over: still open, every ping answered.
    sleep(3 * PING_MS + 500).await;
    assert_eq!(page.status_name().await, "open");
    page.wait_for_log("sent", "pong (text, 1 B: 3)").await;

    // Stay silent: the server's own ping timeout fires, and is named with its numbers.
    page.click("profile-silent").await;
    let panel = explained_close(&page, 1005, FindingKind::ProtocolPingTimeout).await;
    assert!(
        panel.contains("Socket.IO ping timeout: no pong within pingInterval 1 s + pingTimeout 1 s"),
        "{panel}"
    );

    // Chosen by a support link and a bare URL: the page completes it as the client does.
    page.click("profile-silent").await;
    let link = format!("{}?profile=socketio", page_server.page_url());
    let page = ConsolePage::open(&browser, &link).await;
    assert_eq!(page.field("profile-select").await, "socketio");
    page.set_target(&format!("ws://{}", socket_io.addr())).await;
    page.connect().await;
    page.wait_for_log(
        "connecting",
        &format!(
            "ws://{}/socket.io/?EIO=4&transport=websocket",
            socket_io.addr()
        ),
    )
    .await;
    page.wait_for_status("open").await;
    page.wait_for_log("note", "Socket.IO: chosen by hand, open packet seen")
        .await;
    page.send("40/admin,").await;
    let refused = page
        .wait_for_log(
            "received",
            r#"connect refused /admin {"message":"not authorized"}"#,
        )
        .await;
    assert!(refused.text.contains("44/admin"), "{refused:?}");

    // The server ends the session ("io server disconnect"): explained, and final even
    // with auto-reconnect on, as the real client does not reconnect after it.
    page.set_auto_reconnect(true).await;
    page.send(r#"42["bye"]"#).await;
    page.wait_for_log("received", "disconnect /").await;
    explained_close(&page, 1005, FindingKind::ProtocolServerDisconnect).await;
    page.wait_for_status("gave-up").await;
    assert!(page.status().await.contains("io server disconnect"));
    browser.close().await;
}

#[tokio::test]
async fn socket_io_2_is_kept_up_by_the_pages_own_pings_and_a_silent_page_meets_its_timeout() {
    let page_server = Server::start();
    let socket_io = ThirdPartyServer::framework("socketio-v2", PING_MS);
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &page_server.page_url()).await;
    page.set_auto_reconnect(false).await;
    page.set_target(&format!(
        "ws://{}/socket.io/?EIO=3&transport=websocket",
        socket_io.addr()
    ))
    .await;
    page.connect().await;
    page.wait_for_status("open").await;
    // Engine.IO v3 reverses the direction: the page pings, the server answers.
    page.wait_for_log("sent", "ping (text, 1 B: 2)").await;
    page.wait_for_log("received", "pong (text, 1 B: 3)").await;
    sleep(3 * PING_MS).await;
    assert_eq!(page.status_name().await, "open");

    page.click("profile-silent").await;
    let panel = explained_close(&page, 1005, FindingKind::ProtocolPingTimeout).await;
    assert!(
        panel.contains("Engine.IO v3, where the client pings"),
        "{panel}"
    );
    page.click("profile-silent").await;
    browser.close().await;
}

#[tokio::test]
async fn graphql_ws_is_detected_by_its_subprotocol_answers_like_the_client_and_a_silent_client_meets_4408()
 {
    let page_server = Server::start();
    let graphql = ThirdPartyServer::framework("graphql-ws", 1_000);
    let legacy = ThirdPartyServer::framework("subscriptions-transport-ws", 300);
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &page_server.page_url()).await;
    let data = SupportPage::new(browser.client());
    page.set_auto_reconnect(false).await;

    page.set_target(&format!("ws://{}/graphql", graphql.addr()))
        .await;
    page.set_subprotocols("graphql-transport-ws").await;
    page.connect().await;
    page.wait_for_status("open").await;
    data.wait_for_attr("profile-status", "data-profile", "graphql-ws")
        .await;
    page.wait_for_log("sent", "connection_init").await;
    page.wait_for_log("received", "connection_ack").await;
    page.send(r#"{"id":"1","type":"subscribe","payload":{"query":"subscription { greetings }"}}"#)
        .await;
    page.wait_for_log("received", r#"next 1 {"data":{"greetings":"Hi"}}"#)
        .await;
    page.wait_for_log("received", "complete 1").await;
    page.send(r#"{"type":"ping"}"#).await;
    page.wait_for_log("received", "pong").await;
    // Past the server's init wait: the init was sent, so it stays open.
    sleep(1_500).await;
    assert_eq!(page.status_name().await, "open");
    page.disconnect().await;
    page.wait_for_status("closed").await;

    // Silent: no connection_init, so the server's init timeout closes with 4408.
    page.click("profile-silent").await;
    page.connect().await;
    let panel = explained_close(&page, 4408, FindingKind::ProtocolInitTimeout).await;
    assert!(
        panel.contains("the page sent no connection_init"),
        "{panel}"
    );
    assert!(panel.contains("graphql-ws init timeout (4408)"), "{panel}");
    page.click("profile-silent").await;

    // The legacy protocol: its keep-alives read as such, and need no answer.
    page.set_target(&format!("ws://{}/", legacy.addr())).await;
    page.set_subprotocols("graphql-ws").await;
    page.connect().await;
    data.wait_for_attr(
        "profile-status",
        "data-profile",
        "subscriptions-transport-ws",
    )
    .await;
    page.wait_for_log("received", "connection_ack").await;
    page.wait_for_log("received", "keep-alive (ka)").await;
    page.disconnect().await;
    page.wait_for_status("closed").await;
    browser.close().await;
}

#[tokio::test]
async fn the_idle_experiment_through_nginx_speaks_socket_io_and_is_not_fooled_by_its_ping_timeout()
{
    let socket_io = ThirdPartyServer::framework("socketio", PING_MS);
    let nginx = Nginx::start(
        socket_io.addr(),
        &NginxOptions {
            read_timeout: Duration::from_secs(3),
            ..NginxOptions::default()
        },
    );
    let page_server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &page_server.page_url()).await;
    page.set_target(&format!(
        "ws://{}/socket.io/?EIO=4&transport=websocket",
        nginx.addr()
    ))
    .await;

    // Every probe answers the server's pings as the real client does: nothing is cut
    // within 4 s, though nginx cuts idle connections after 3 s and the server closes a
    // client that misses a pong after 2 s.
    page.start_idle_experiment("4", "1").await;
    let verdict = page.wait_for_idle_verdict(Duration::from_secs(10)).await;
    assert_eq!(
        verdict.headline,
        "No idle timeout found up to 4 s: Socket.IO's own heartbeat kept every connection open.",
        "{verdict:#?}"
    );
    assert_eq!(verdict.survivors(), ["silent", "echo_heartbeat"]);
    let protocol = &verdict.details()["protocol"];
    assert_eq!(
        field::<ProfileKind>(protocol, "profile"),
        ProfileKind::SocketIo
    );
    assert_eq!(field::<u64>(protocol, "interval_ms"), PING_MS);
    assert!(
        field::<u32>(protocol, "server_heartbeats") >= 2,
        "{protocol}"
    );

    // Raw, the same probes miss the pongs and the server's ping timeout (2 s) cuts them
    // all, which the verdict can only blame on the path (here, as a lifetime limit):
    // what the profile is for.
    page.choose("profile-select", "raw").await;
    page.start_idle_experiment("4", "1").await;
    let fooled = page.wait_for_idle_verdict(Duration::from_secs(10)).await;
    assert!(fooled.survivors().is_empty(), "{fooled:#?}");
    assert!(!fooled.headline.contains("Socket.IO"), "{fooled:#?}");
    assert!(fooled.details()["protocol"].is_null());

    // A support link with profile=socketio: the end user's one button runs the same
    // check speaking Socket.IO.
    let target = format!("ws://{}", nginx.addr());
    browser
        .open_page(
            &page_server.page_url(),
            &[
                ("target", target.as_str()),
                ("checks", "idle"),
                ("watch", "3"),
                ("every", "1"),
                ("profile", "socketio"),
            ],
        )
        .await;
    let support = SupportPage::new(browser.client());
    let lines = support.run_diagnostics(Duration::from_secs(10)).await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(
        lines[0].summary,
        "No idle timeout found up to 3 s: Socket.IO's own heartbeat kept every connection open.",
        "{lines:?}"
    );
    browser.close().await;
}
