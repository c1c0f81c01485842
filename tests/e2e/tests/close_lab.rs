//! The close-code lab end to end, in headless Chromium under the server's CSP, against
//! wsdoctor-server: every ending of the standard set shows what the server sent next to
//! what the browser reported; a code that never travels is refused with why; one code
//! tried alone; servers nobody here wrote (npm `ws`, Python `websockets`) are said not to
//! be the companion; and a support link with `checks=lab` runs it and reports it.

use std::time::Duration;

use serde_json::Value;
use wsdoctor_core::checks::close_lab::{BrowserClose, LabCase, LabRow};
use wsdoctor_core::protocol::ClosedBy;
use wsdoctor_e2e::browser::Browser;
use wsdoctor_e2e::check_details::field;
use wsdoctor_e2e::console_page::ConsolePage;
use wsdoctor_e2e::server::Server;
use wsdoctor_e2e::support_page::{SupportPage, kinds_and_statuses};
use wsdoctor_e2e::third_party::{PythonOptions, ThirdPartyServer};

/// Waits for the lab's result and returns its check (`data-result`).
async fn lab_result(support: &SupportPage<'_>) -> Value {
    support
        .wait_for("lab-result", Duration::from_secs(60))
        .await;
    support.check("lab-result").await
}

#[tokio::test]
async fn the_lab_shows_each_ending_as_the_server_sent_it_and_as_the_browser_reported_it() {
    let server = Server::start();
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    let support = SupportPage::new(browser.client());
    page.click("lab-run").await;
    let check = lab_result(&support).await;
    assert_eq!(check["status"], "pass", "{check:#}");
    let rows: Vec<LabRow> = field(&check["details"], "rows");
    assert_eq!(rows.len(), LabCase::standard_set().len(), "{rows:#?}");
    for row in &rows {
        let server = row.server.clone().unwrap_or_else(|| panic!("{row:#?}"));
        let seen = row.browser.clone().unwrap_or_else(|| panic!("{row:#?}"));
        match &row.case {
            LabCase::Close { code, reason } => {
                assert_eq!(
                    seen,
                    BrowserClose {
                        code: *code,
                        reason: reason.clone(),
                        was_clean: true
                    },
                    "a close frame arrives as sent: {row:#?}"
                );
                assert_eq!((server.by, server.code), (ClosedBy::Server, Some(*code)));
            }
            LabCase::Drop => {
                assert_eq!((seen.code, seen.was_clean), (1006, false), "{row:#?}");
                assert_eq!((server.by, server.code), (ClosedBy::Server, None));
            }
            // Measured with Chromium 156: text that is not UTF-8 fails the connection,
            // and the page sees 1006 (never 1007).
            LabCase::InvalidUtf8 => {
                assert_eq!((seen.code, seen.was_clean), (1006, false), "{row:#?}")
            }
            LabCase::TooBig => {
                assert_eq!(seen.code, 1009, "{row:#?}");
                assert_eq!(server.code, Some(1009), "{row:#?}");
            }
        }
    }
    // The table says it to a person too: one row per ending.
    assert_eq!(
        support.text("lab-table").await.matches("wasClean").count(),
        rows.len()
    );

    // A code that never travels is refused with why, and nothing opens.
    page.set_field("lab-code", "1005").await;
    page.click("lab-try").await;
    let why = support.text("lab-refused").await;
    assert!(why.contains("never sends it"), "{why}");

    // One code alone, with its reason.
    page.set_field("lab-code", "4321").await;
    page.set_field("lab-reason", "why not").await;
    page.click("lab-try").await;
    let check = eventually_one_row(&support).await;
    let rows: Vec<LabRow> = field(&check["details"], "rows");
    assert_eq!(
        rows[0].browser,
        Some(BrowserClose {
            code: 4321,
            reason: "why not".into(),
            was_clean: true
        })
    );
    browser.close().await;
}

/// Waits until the lab's result is the single-code run's.
async fn eventually_one_row(support: &SupportPage<'_>) -> Value {
    for _ in 0..100 {
        if support.has("lab-result").await {
            let check = support.check("lab-result").await;
            if check["details"]["rows"].as_array().map(Vec::len) == Some(1) {
                return check;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the single code never ran");
}

#[tokio::test]
async fn against_servers_nobody_here_wrote_the_lab_says_it_needs_the_companion() {
    let server = Server::start();
    let node = ThirdPartyServer::node_ws();
    let python = ThirdPartyServer::python_websockets(&PythonOptions::default());
    let browser = Browser::start().await;
    let page = ConsolePage::open(&browser, &server.page_url()).await;
    let support = SupportPage::new(browser.client());
    for (url, words) in [
        // npm ws takes the name wsdoctor.v1 and echoes the hello.
        (node.url(), "did not answer its hello"),
        // Python websockets picks no subprotocol: the browser fails the handshake.
        (python.url(), "is this wsdoctor-server?"),
    ] {
        page.set_target(&url).await;
        page.click("lab-run").await;
        let check = lab_result(&support).await;
        assert_eq!(check["status"], "error", "{check:#}");
        let failure: String = field(&check["details"], "failure");
        assert!(failure.contains(words), "{url}: {failure}");
        support.wait_for_attr("lab-run", "disabled", "").await;
    }
    browser.close().await;
}

#[tokio::test]
async fn a_support_link_with_checks_lab_runs_it_and_reports_it() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser
        .open_page(&server.page_url(), &[("checks", "lab")])
        .await;
    let page = SupportPage::new(browser.client());
    page.wait_for("end-user-view", Duration::from_secs(15))
        .await;
    let lines = page.run_diagnostics(Duration::from_secs(60)).await;
    assert_eq!(kinds_and_statuses(&lines), [("lab", "pass")], "{lines:?}");
    browser.close().await;
}
