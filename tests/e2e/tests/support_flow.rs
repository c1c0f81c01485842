//! The support flow end to end, in headless Chromium under the server's CSP: a support
//! link opens the end user's view, one press runs the checks behind a real nginx with a
//! 3 s idle timeout, and the summary, the downloaded JSON (validated against
//! `docs/report.schema.json`), the Markdown and the report link all say the same thing;
//! a hostile close reason stays text in the report view; a link's bad values are named
//! and ignored; a run with `companion=off` works against npm `ws`, a server nobody here
//! wrote.

use std::time::Duration;

use wsdoctor_core::COMPANION_SUBPROTOCOL;
use wsdoctor_core::report::{CheckKind, CheckStatus};
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::nginx::{Nginx, NginxOptions};
use wsdoctor_e2e::report_file::{downloaded_json, schema_errors};
use wsdoctor_e2e::server::Server;
use wsdoctor_e2e::support_page::{SupportPage, kinds_and_statuses};
use wsdoctor_e2e::third_party::ThirdPartyServer;

/// nginx's idle timeout in these tests: short, so they stay fast.
const NGINX_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a guided run may take here (watch 8 s, and margins).
const RUN_PATIENCE: Duration = Duration::from_secs(20);

fn near(found: Option<u64>, expected: Duration) -> bool {
    let expected = expected.as_millis() as u64;
    found.is_some_and(|found| found.abs_diff(expected) <= (expected / 10).max(300))
}

#[tokio::test]
async fn a_support_link_runs_the_checks_and_the_summary_json_markdown_and_link_agree() {
    let server = Server::start();
    let nginx = Nginx::start(
        server.addr(),
        &NginxOptions {
            read_timeout: NGINX_TIMEOUT,
            ..NginxOptions::default()
        },
    );
    let browser = Browser::start().await;
    let downloads = browser.allow_downloads().await;
    let origin = nginx.page_url().trim_end_matches('/').to_string();
    browser.allow_clipboard(&origin).await;
    let target = format!("ws://{}/ws?token=sekrit42&room=7", nginx.addr());
    browser
        .open_page(
            &nginx.page_url(),
            &[
                ("target", target.as_str()),
                ("checks", "idle"),
                ("watch", "8"),
                ("every", "1"),
            ],
        )
        .await;
    let page = SupportPage::new(browser.client());

    // The focused view: the target masked, the plan, one button; the console folded.
    page.wait_for("end-user-view", Duration::from_secs(15))
        .await;
    let shown_target = page.text("end-user-target").await;
    assert!(shown_target.contains("token=••••"), "{shown_target}");
    assert!(!shown_target.contains("sekrit42"));
    let plan = page.text("end-user-plan").await;
    assert!(plan.contains(CheckKind::Idle.title()), "{plan}");
    assert!(
        !page.has("connect-button").await,
        "the console starts folded"
    );

    let lines = page.run_diagnostics(RUN_PATIENCE).await;
    assert_eq!(kinds_and_statuses(&lines), [("idle", "warn")], "{lines:?}");
    let headline = lines[0].summary.clone();

    // Download JSON: the schema holds, the numbers are the run's, the secret is gone.
    page.click("report-download").await;
    let (name, report) = downloaded_json(&downloads).await;
    assert!(
        name.starts_with("wsdoctor-report-") && name.ends_with("Z.json"),
        "{name}"
    );
    assert_eq!(schema_errors(&report), Vec::<String>::new(), "{report:#}");
    let text = report.to_string();
    assert!(!text.contains("sekrit42"), "{text}");
    let idle = &report["checks"][0];
    assert_eq!(idle["kind"], "idle");
    assert_eq!(idle["status"], "warn");
    assert_eq!(idle["summary"], headline.as_str());
    assert!(
        near(idle["details"]["idle_timeout_ms"].as_u64(), NGINX_TIMEOUT),
        "{idle:#}"
    );
    assert_eq!(idle["details"]["probes"][0]["name"], "silent");
    assert_eq!(idle["details"]["probes"][0]["close_code"], 1006);
    assert_eq!(report["environment"]["companion_detected"], true);
    assert_eq!(report["environment"]["cross_origin_isolated"], true);

    // Copy Markdown: the same verdict, for a ticket.
    page.click("report-copy-markdown").await;
    page.wait_for_text_containing("report-outcome", "Copied the Markdown report")
        .await;
    let markdown = browser.clipboard_text().await;
    let line = format!(
        "**{}** {} ({})",
        CheckStatus::Warn.word_in_capitals(),
        CheckKind::Idle.title(),
        CheckKind::Idle.name()
    );
    assert!(markdown.contains(&line), "{line}: {markdown}");
    assert!(markdown.contains(&headline), "{markdown}");
    assert!(!markdown.contains("sekrit42"));

    // Copy report link, opened in a fresh page: the same verdict, read-only.
    page.click("report-copy-link").await;
    page.wait_for_text_containing("report-outcome", "Copied the report link")
        .await;
    let link = browser.clipboard_text().await;
    assert!(link.contains("#report="), "{link}");
    assert!(!link.contains("sekrit42"));
    assert!(link.len() < 12_000, "a sensible link: {} bytes", link.len());
    browser.close().await;

    // Support opens the link in a browser of their own: the same verdict, read-only.
    let support = Browser::start().await;
    support.goto(&link).await;
    let view = SupportPage::new(support.client());
    view.wait_for("report-banner", Duration::from_secs(15))
        .await;
    let banner = view.text("report-banner").await;
    assert!(banner.contains("Not live"), "{banner}");
    let lines = view.check_lines("report-checks").await;
    assert_eq!(lines[0].status, "warn");
    assert_eq!(lines[0].summary, headline);
    let probes = view.text("report-idle-probes").await;
    assert!(probes.contains("cut after"), "{probes}");

    // A damaged link is refused with a sentence, not a panic.
    let damaged = format!("{}#report=AAAA!!", nginx.page_url());
    support.goto(&damaged).await;
    let error = view.text("report-error").await;
    assert!(error.contains("damaged"), "{error}");
    support.close().await;
}

#[tokio::test]
async fn a_hostile_close_reason_is_shown_as_text_in_the_report_view() {
    let server = Server::start();
    let browser = Browser::start().await;
    let origin = server.page_url().trim_end_matches('/').to_string();
    browser.allow_clipboard(&origin).await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    let support = SupportPage::new(browser.client());

    // The Share card's support link: the settings preset, the secret value left out.
    let plain = page.target().await;
    page.set_target(&format!("{plain}?token=sekrit42")).await;
    support.click("copy-support-link").await;
    support
        .wait_for_text_containing("report-outcome", "Copied the support link")
        .await;
    let link = browser.clipboard_text().await;
    assert!(link.contains("checks=idle&watch=130&every=25"), "{link}");
    assert!(link.contains("token%3D"), "the name stays: {link}");
    assert!(!link.contains("sekrit42"), "the value goes: {link}");
    // The checks chosen in the card go into the link, in the guided run's order.
    support.click("support-check-handshake").await;
    support.click("support-check-blocked").await;
    support.click("copy-support-link").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut chosen = browser.clipboard_text().await;
    while chosen == link && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        chosen = browser.clipboard_text().await;
    }
    assert!(
        chosen.contains("checks=blocked%2Chandshake%2Cidle")
            || chosen.contains("checks=blocked,handshake,idle"),
        "{chosen}"
    );

    page.set_target(&plain).await;
    page.set_subprotocols(COMPANION_SUBPROTOCOL).await;
    page.set_auto_reconnect(false).await;
    page.connect().await;
    page.wait_for_status("open").await;
    let hostile = "<img src=x onerror=alert(1)>";
    page.send(&format!(
        r#"{{"type":"close","code":4000,"reason":"{hostile}"}}"#
    ))
    .await;
    page.wait_for_log("closed", "4000").await;

    support.click("report-copy-link").await;
    support
        .wait_for_text_containing("report-outcome", "Copied the report link")
        .await;
    let link = browser.clipboard_text().await;
    browser.goto(&link).await;
    let reason = support.text("report-connection-reason").await;
    assert_eq!(reason, hostile, "the reason is text, as sent");
    let images = browser
        .client()
        .find_all(fantoccini::Locator::Css("[data-testid='report-view'] img"))
        .await
        .unwrap_or_default();
    assert!(images.is_empty(), "no element was made from the reason");
    browser.close().await;
}

#[tokio::test]
async fn a_links_bad_values_are_named_and_ignored_and_the_console_opens_instead() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser
        .open_page(
            &server.page_url(),
            &[
                ("target", "http://app.example/ws"),
                ("checks", "idle,nap"),
                ("watch", "1"),
                ("companion", "maybe"),
            ],
        )
        .await;
    let page = ConsolePage::ready(browser.client()).await;
    let support = SupportPage::new(browser.client());
    let problems = support.text("link-problems").await;
    for needle in [
        "target= was ignored",
        "\"nap\" is not a check",
        "watch= was ignored: from 2 s",
        "\"maybe\" is not auto, on or off",
    ] {
        assert!(problems.contains(needle), "{needle:?} in {problems}");
    }
    assert!(
        !support.has("end-user-view").await,
        "checks= was not half-applied"
    );
    assert_ne!(page.target().await, "http://app.example/ws");
    assert_eq!(page.field("idle-watch").await, "130");
    browser.close().await;
}

#[tokio::test]
async fn with_the_companion_off_a_run_works_against_a_server_nobody_here_wrote() {
    let server = Server::start();
    let node = ThirdPartyServer::node_ws();
    let nginx = Nginx::start(
        node.addr(),
        &NginxOptions {
            read_timeout: NGINX_TIMEOUT,
            ..NginxOptions::default()
        },
    );
    let browser = Browser::start().await;
    let downloads = browser.allow_downloads().await;
    let target = format!("ws://{}/", nginx.addr());
    browser
        .open_page(
            &server.page_url(),
            &[
                ("target", target.as_str()),
                ("checks", "idle"),
                ("watch", "8"),
                ("every", "1"),
                ("companion", "off"),
            ],
        )
        .await;
    let page = SupportPage::new(browser.client());
    page.wait_for("end-user-view", Duration::from_secs(15))
        .await;
    let lines = page.run_diagnostics(RUN_PATIENCE).await;
    assert_eq!(kinds_and_statuses(&lines), [("idle", "warn")], "{lines:?}");
    page.click("report-download").await;
    let (_, report) = downloaded_json(&downloads).await;
    let idle = &report["checks"][0]["details"];
    assert!(
        near(idle["idle_timeout_ms"].as_u64(), NGINX_TIMEOUT),
        "{idle:#}"
    );
    assert_eq!(idle["companion"], false, "{idle:#}");
    browser.close().await;
}
