//! wss:// through real TLS, one browser session: nginx terminates TLS with a certificate
//! made for this run (openssl CLI), which Chromium trusts by its key's fingerprint; a
//! second nginx uses a key that is not on that list (the untrusted case). From the page
//! served over https: the handshake and "blocked or down" checks work over wss:// to
//! wsdoctor-server and to npm `ws` (a server nobody here wrote); a ws:// target is
//! refused as mixed content; and the untrusted certificate fails before open with TLS
//! named among the causes.

use std::time::Duration;

use serde_json::Value;
use wsdoctor_core::checks::handshake::Failure;
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::certificate::Certificate;
use wsdoctor_e2e::check_details::{every_open_opened, field, opens_that_opened};
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

/// Runs the handshake check on the open page against `target`; returns its `details`
/// (from `data-result`, as the report has them) and what the card says.
async fn handshake(
    page: &ConsolePage<'_>,
    support: &SupportPage<'_>,
    target: &str,
) -> (Value, String) {
    page.set_target(target).await;
    page.click("handshake-start").await;
    support
        .wait_for("handshake-result", Duration::from_secs(20))
        .await;
    (
        support.check("handshake-result").await["details"].clone(),
        support.text("handshake-result").await,
    )
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

    let (own, _) = handshake(&page, &support, &front.ws_url("/ws")).await;
    assert!(every_open_opened(&own), "{own:#}");
    assert!(
        field::<Option<Vec<String>>>(&own, "proxy_headers")
            .unwrap_or_default()
            .contains(&"x-forwarded-proto: https".to_string()),
        "{own:#}"
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
    assert!(every_open_opened(&world), "{world:#}");

    let (mixed, _) = handshake(&page, &support, &format!("ws://{}/ws", server.addr())).await;
    assert_eq!(
        field::<Option<Failure>>(&mixed, "failure"),
        Some(Failure::MixedContent),
        "{mixed:#}"
    );
    assert_eq!(opens_that_opened(&mixed), 0, "{mixed:#}");

    let (refused, said) = handshake(&page, &support, &impostor.ws_url("/ws")).await;
    assert_eq!(
        field::<Option<Failure>>(&refused, "failure"),
        Some(Failure::FailedBeforeOpen),
        "{refused:#}"
    );
    // Words: the browser does not say why, so the card names the causes, TLS among them.
    assert!(said.contains("TLS"), "{said}");
    browser.close().await;
}
