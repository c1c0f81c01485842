//! The support flow as page objects: the end user's view a support link opens, and a
//! report shown read-only. Everything by `data-testid`, the automation surface listed in
//! `docs/report.md`.

use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::PATIENCE;

/// Each line's kind and status, in the order shown: `[("idle", "warn")]`.
pub fn kinds_and_statuses(lines: &[CheckLine]) -> Vec<(&str, &str)> {
    lines
        .iter()
        .map(|l| (l.kind.as_str(), l.status.as_str()))
        .collect()
}

fn by_id(test_id: &str) -> String {
    format!("[data-testid='{test_id}']")
}

/// A check's line in a summary: its kind, its status name and its summary sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckLine {
    /// `idle`, `sleep`, `handshake`, `blocked`, ...
    pub kind: String,
    /// `pass`, `warn`, `fail` or `error`.
    pub status: String,
    /// The sentence.
    pub summary: String,
}

/// Any view of the page, by test id.
pub struct SupportPage<'a> {
    client: &'a Client,
}

impl<'a> SupportPage<'a> {
    /// The page in `client` (already opened).
    pub fn new(client: &'a Client) -> SupportPage<'a> {
        SupportPage { client }
    }

    /// Waits for the element with `test_id` (at most `patience`).
    pub async fn wait_for(&self, test_id: &str, patience: Duration) -> Element {
        self.client
            .wait()
            .at_most(patience)
            .for_element(Locator::Css(&by_id(test_id)))
            .await
            .unwrap_or_else(|e| panic!("[data-testid={test_id}] never appeared: {e}"))
    }

    /// Whether an element with `test_id` is on the page now.
    pub async fn has(&self, test_id: &str) -> bool {
        self.client
            .find(Locator::Css(&by_id(test_id)))
            .await
            .is_ok()
    }

    /// The text of the element with `test_id` (waiting for it to exist).
    pub async fn text(&self, test_id: &str) -> String {
        self.wait_for(test_id, PATIENCE)
            .await
            .text()
            .await
            .unwrap_or_default()
    }

    /// Clicks the element with `test_id`.
    pub async fn click(&self, test_id: &str) {
        self.wait_for(test_id, PATIENCE)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click [data-testid={test_id}]: {e}"));
    }

    /// The attribute `name` of the element with `test_id` (waiting for it to exist;
    /// empty when it has none).
    pub async fn attr(&self, test_id: &str, name: &str) -> String {
        self.wait_for(test_id, PATIENCE)
            .await
            .attr(name)
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// The check the element with `test_id` carries as JSON in `data-result`, exactly as
    /// the report carries it: `kind`, `status`, `summary`, `details`.
    pub async fn check(&self, test_id: &str) -> Value {
        let json = self.attr(test_id, "data-result").await;
        serde_json::from_str(&json)
            .unwrap_or_else(|e| panic!("[data-testid={test_id}]'s data-result {json:?}: {e}"))
    }

    /// Waits until the element with `test_id` has `value` in its attribute `name`.
    pub async fn wait_for_attr(&self, test_id: &str, name: &str, value: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let now = match self.client.find(Locator::Css(&by_id(test_id))).await {
                Ok(element) => element.attr(name).await.ok().flatten().unwrap_or_default(),
                Err(_) => String::new(),
            };
            if now == value {
                return;
            }
            if Instant::now() > deadline {
                panic!("[data-testid={test_id}] never had {name}={value:?}; it has {now:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the element with `test_id` contains `needle`; returns its text.
    pub async fn wait_for_text_containing(&self, test_id: &str, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = match self.client.find(Locator::Css(&by_id(test_id))).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return text;
            }
            if Instant::now() > deadline {
                panic!("[data-testid={test_id}] never said {needle:?}; it says {text:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Each check line under the element with `list_test_id`, in the order shown.
    pub async fn check_lines(&self, list_test_id: &str) -> Vec<CheckLine> {
        let list = self.wait_for(list_test_id, PATIENCE).await;
        let mut lines = Vec::new();
        for item in list
            .find_all(Locator::Css("[data-testid^='check-status-']"))
            .await
            .unwrap_or_default()
        {
            let kind = item
                .attr("data-testid")
                .await
                .ok()
                .flatten()
                .unwrap_or_default()
                .trim_start_matches("check-status-")
                .to_string();
            let status = item
                .attr("data-status")
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            let summary = match item.find(Locator::Css(&by_id("check-summary"))).await {
                Ok(s) => s.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            lines.push(CheckLine {
                kind,
                status,
                summary,
            });
        }
        lines
    }

    /// Presses "Run diagnostics" and waits (at most `patience`) for the summary.
    pub async fn run_diagnostics(&self, patience: Duration) -> Vec<CheckLine> {
        self.click("run-diagnostics").await;
        self.wait_for("run-summary", patience).await;
        self.check_lines("run-summary").await
    }
}
