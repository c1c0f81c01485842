//! wss:// through real TLS, one browser session: nginx terminates TLS with a certificate
//! made for this run (openssl CLI), which Chromium trusts by its key's fingerprint; a
//! second nginx uses a key that is not on that list (the untrusted case). From the page
//! served over https: the handshake and "blocked or down" checks work over wss:// to
//! wsdoctor-server and to npm `ws` (a server nobody here wrote); a ws:// target is
//! refused as mixed content; and the untrusted certificate fails before open with TLS
//! named among the causes.

use std::time::Duration;

use wsdoctor_core::checks::handshake::{Failure, HandshakeResult, HandshakeSettings, OpenOutcome};
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::certificate::Certificate;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::nginx::{Nginx, NginxOptions};
use wsdoctor_e2e::server::Server;
use wsdoctor_e2e::support_page::SupportPage;
use wsdoctor_e2e::third_party::ThirdPartyServer;

fn tls(certificate: &Certificate) -> NginxOptions {
    NginxOptions {
        tls: Some((certificate.cert(), certificate.key())),
        ..NginxOptions::default()
    }
}

/// Runs the handshake check on the open page against `target`; returns its result
/// (`data-result`) and what the card says.
async fn handshake(
    page: &ConsolePage<'_>,
    support: &SupportPage<'_>,
    target: &str,
) -> (HandshakeResult, String) {
    page.set_target(target).await;
    page.click("handshake-start").await;
    support
        .wait_for("handshake-result", Duration::from_secs(20))
        .await;
    (
        support.result("handshake-result").await,
        support.text("handshake-result").await,
    )
}

/// How many of the check's opens opened.
fn opened(result: &HandshakeResult) -> usize {
    result
        .opens
        .iter()
        .filter(|o| matches!(o, OpenOutcome::Opened { .. }))
        .count()
}

#[tokio::test]
async fn wss_works_through_trusted_tls_and_an_untrusted_certificate_or_ws_explain_themselves() {
    let trusted = Certificate::make("trusted-cert");
    let untrusted = Certificate::make("untrusted-cert");
    let server = Server::start();
    let node = ThirdPartyServer::node_ws();
    let front = Nginx::start(server.addr(), &tls(&trusted));
    let node_front = Nginx::start(node.addr(), &tls(&trusted));
    let impostor = Nginx::start(server.addr(), &tls(&untrusted));
    let browser = Browser::start_with(&[&trusted.chromium_trust_flag()]).await;

    let page = ConsolePage::open(&browser, &front.page_url()).await;
    let support = SupportPage::new(browser.client());
    assert_eq!(
        page.target().await,
        front.ws_url("/ws"),
        "the page is https"
    );

    let every = HandshakeSettings::default().opens;
    let (own, _) = handshake(&page, &support, &front.ws_url("/ws")).await;
    assert_eq!(opened(&own), every, "{own:#?}");
    let saw = own.server_saw.as_ref().expect("the companion's side");
    assert!(
        saw.proxy_headers
            .iter()
            .any(|h| h.name == "x-forwarded-proto" && h.value == "https"),
        "{own:#?}"
    );

    support.click("blocked-start").await;
    let blocked = support
        .wait_for("blocked-result", Duration::from_secs(25))
        .await;
    assert_eq!(
        blocked.attr("data-verdict").await.ok().flatten().as_deref(),
        Some("both_work"),
        "{}",
        support.text("blocked-card").await
    );

    let (world, _) = handshake(&page, &support, &node_front.ws_url("/")).await;
    assert_eq!(opened(&world), every, "{world:#?}");

    let (mixed, _) = handshake(&page, &support, &format!("ws://{}/ws", server.addr())).await;
    assert_eq!(mixed.failure, Some(Failure::MixedContent), "{mixed:#?}");
    assert!(mixed.opens.is_empty(), "nothing was tried: {mixed:#?}");

    let (refused, said) = handshake(&page, &support, &impostor.ws_url("/ws")).await;
    assert_eq!(
        refused.failure,
        Some(Failure::FailedBeforeOpen),
        "{refused:#?}"
    );
    // Words: the browser does not say why, so the card names the causes, TLS among them.
    assert!(said.contains("TLS"), "{said}");
    browser.close().await;
}
