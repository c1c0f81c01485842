//! The connection console as a page object: what a user does and sees, by `data-testid`.

use std::time::Instant;

use fantoccini::Client;
use fantoccini::Locator;

use crate::PATIENCE;

/// An element's drawn width in CSS pixels.
async fn width(element: &fantoccini::elements::Element) -> f64 {
    element
        .rectangle()
        .await
        .map(|(_, _, width, _)| width)
        .unwrap_or_else(|e| panic!("cannot measure an element: {e}"))
}

/// One line of the event log as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// The kind (`opened`, `sent`, `received`, `closed`, `page-hidden`, ...).
    pub kind: String,
    /// The line's text.
    pub text: String,
}

/// One probe of the idle experiment as the page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct IdleProbe {
    /// `silent`, `client_heartbeat`, ...
    pub name: String,
    /// Whether it was open at the end.
    pub survived: bool,
    /// The close code the browser saw, if it was cut.
    pub close_code: Option<u16>,
    /// After how long it was cut.
    pub closed_after_ms: Option<u64>,
    /// How long it lived (or has lived), in ms, as the page says.
    pub alive_ms: u64,
    /// Its bar's drawn width, in CSS pixels.
    pub bar_width: f64,
}

/// The idle experiment's verdict as the page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct IdleVerdict {
    /// The headline.
    pub headline: String,
    /// The whole verdict's text.
    pub text: String,
    /// The idle timeout found, in ms.
    pub idle_timeout_ms: Option<u64>,
    /// The heartbeat recommended, in ms.
    pub recommended_heartbeat_ms: Option<u64>,
    /// Every probe.
    pub probes: Vec<IdleProbe>,
    /// The snippets' titles, and whether each is featured (shown unfolded first).
    pub snippets: Vec<(String, bool)>,
    /// The check as the report carries it (`kind`, `status`, `summary`, `details`), from
    /// the verdict's `data-result`.
    pub check: serde_json::Value,
}

impl IdleVerdict {
    /// The check's `details`, as the report carries them.
    pub fn details(&self) -> &serde_json::Value {
        &self.check["details"]
    }

    /// Every probe's name, in the order shown.
    pub fn names(&self) -> Vec<&str> {
        self.probes.iter().map(|p| p.name.as_str()).collect()
    }

    /// The names of the probes open at the end.
    pub fn survivors(&self) -> Vec<&str> {
        self.probes
            .iter()
            .filter(|p| p.survived)
            .map(|p| p.name.as_str())
            .collect()
    }
}

/// The console on the page a `Client` has open.
pub struct ConsolePage<'a> {
    client: &'a Client,
}

fn by_id(test_id: &str) -> String {
    format!("[data-testid='{test_id}']")
}

impl<'a> ConsolePage<'a> {
    /// Waits for the app to have mounted, then returns the page object.
    pub async fn ready(client: &'a Client) -> ConsolePage<'a> {
        client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(&by_id("connect-button")))
            .await
            .expect("the app did not mount (no Connect button)");
        ConsolePage { client }
    }

    /// Opens the page at `url` in `browser` and waits for the app to mount.
    pub async fn open(browser: &'a crate::browser::Browser, url: &str) -> ConsolePage<'a> {
        browser.goto(url).await;
        ConsolePage::ready(browser.client()).await
    }

    /// The target field's current value.
    pub async fn target(&self) -> String {
        self.field("target-input").await
    }

    /// The current value of the input field with `test_id`.
    pub async fn field(&self, test_id: &str) -> String {
        self.element(test_id)
            .await
            .prop("value")
            .await
            .unwrap_or_else(|e| panic!("cannot read [data-testid={test_id}]: {e}"))
            .unwrap_or_default()
    }

    /// Replaces the target.
    pub async fn set_target(&self, url: &str) {
        let input = self.element("target-input").await;
        input.clear().await.expect("clear the target");
        input.send_keys(url).await.expect("type the target");
    }

    /// Fills in the subprotocols field.
    pub async fn set_subprotocols(&self, protocols: &str) {
        let input = self.element("protocols-input").await;
        input.clear().await.expect("clear the subprotocols");
        input
            .send_keys(protocols)
            .await
            .expect("type the subprotocols");
    }

    /// Types a filter for the log.
    pub async fn filter_log(&self, query: &str) {
        let input = self.element("log-filter").await;
        input.clear().await.expect("clear the filter");
        // WebDriver's clear fires no `input` event: type a space and erase it (Backspace),
        // so the page sees the new value even when it is empty.
        input
            .send_keys(&format!("{query} \u{E003}"))
            .await
            .expect("type the filter");
    }

    /// Presses Pause (or Resume) on the log.
    pub async fn toggle_log_pause(&self) {
        self.click("pause-log").await;
    }

    /// Presses Connect.
    pub async fn connect(&self) {
        self.click("connect-button").await;
    }

    /// Types `text` into the message box and presses Send.
    pub async fn send(&self, text: &str) {
        let input = self.element("message-input").await;
        input.clear().await.expect("clear the message");
        input.send_keys(text).await.expect("type the message");
        self.click("send-button").await;
    }

    /// Presses Disconnect.
    pub async fn disconnect(&self) {
        self.click("disconnect-button").await;
    }

    /// Turns the auto-reconnect switch on or off.
    pub async fn set_auto_reconnect(&self, on: bool) {
        self.set_checkbox("auto-reconnect", on).await;
    }

    /// The close code (or `open`) of each segment of the reconnection timeline, in order.
    pub async fn timeline_codes(&self) -> Vec<String> {
        let mut codes = Vec::new();
        for segment in self
            .client
            .find_all(Locator::Css(&by_id("timeline-segment")))
            .await
            .expect("read the timeline")
        {
            codes.push(
                segment
                    .attr("data-code")
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
            );
        }
        codes
    }

    /// How many rows the table of attempts has.
    pub async fn attempt_rows(&self) -> usize {
        self.count("attempt-row").await
    }

    /// The "Wait before next" cell of each attempt row, in order (empty: none).
    pub async fn attempt_waits(&self) -> Vec<String> {
        let mut waits = Vec::new();
        for row in self
            .client
            .find_all(Locator::Css(&by_id("attempt-row")))
            .await
            .expect("read the attempts")
        {
            let cell = row
                .find(Locator::Css("td:last-child"))
                .await
                .expect("a wait cell");
            waits.push(cell.text().await.unwrap_or_default().trim().to_string());
        }
        waits
    }

    /// The received-messages counter, as shown.
    pub async fn received_count(&self) -> u64 {
        self.text("received-count")
            .await
            .trim()
            .parse()
            .unwrap_or(0)
    }

    /// How many entries the log keeps (drawn or not), as the page says.
    pub async fn kept_log_entries(&self) -> usize {
        self.element("log-kept")
            .await
            .attr("data-kept")
            .await
            .ok()
            .flatten()
            .and_then(|kept| kept.parse().ok())
            .unwrap_or(0)
    }

    /// How many lines the log draws.
    pub async fn log_len(&self) -> usize {
        self.count("log-entry").await
    }

    /// The text of the "Why it closed" panel.
    pub async fn close_panel_text(&self) -> String {
        self.text("close-panel").await
    }

    /// The code the "Why it closed" panel explains (empty before any close).
    pub async fn explained_code(&self) -> String {
        match self.client.find(Locator::Css(&by_id("close-code"))).await {
            Ok(code) => code.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// The kinds of the panel's findings (`failed_before_open`, `idle_cut`, ...), most
    /// confident first: core's `FindingKind` names.
    pub async fn finding_kinds(&self) -> Vec<String> {
        let mut kinds = Vec::new();
        for finding in self
            .client
            .find_all(Locator::Css(&by_id("finding")))
            .await
            .unwrap_or_default()
        {
            kinds.push(
                finding
                    .attr("data-kind")
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
            );
        }
        kinds
    }

    /// Fills in the close code and reason and presses Close (if the page allows it).
    pub async fn close_with(&self, code: &str, reason: &str) {
        let code_input = self.element("close-code-input").await;
        code_input.clear().await.expect("clear the code");
        code_input.send_keys(code).await.expect("type the code");
        let reason_input = self.element("close-reason-input").await;
        reason_input.clear().await.expect("clear the reason");
        reason_input
            .send_keys(reason)
            .await
            .expect("type the reason");
        let button = self.element("close-button").await;
        if button.is_enabled().await.unwrap_or(false) {
            button.click().await.expect("press Close");
        }
    }

    /// The help line under the close code, which says why a code is refused.
    pub async fn close_code_help(&self) -> String {
        self.element("close-code-help")
            .await
            .text()
            .await
            .unwrap_or_default()
    }

    /// The status in words, as shown.
    pub async fn status(&self) -> String {
        self.text("connection-status").await
    }

    /// The status's stable name now (`open`, `closed`, ...).
    pub async fn status_name(&self) -> String {
        self.element("connection-status")
            .await
            .attr("data-status")
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Waits until the status's stable name (`open`, `closed`, ...) is `wanted`.
    pub async fn wait_for_status(&self, wanted: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let now = self
                .element("connection-status")
                .await
                .attr("data-status")
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            if now == wanted {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "status stayed {now:?}, never {wanted:?}; log: {:#?}",
                    self.log().await
                );
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Every line of the event log, oldest first (read in one script: a long log costs
    /// one round trip, not two per line).
    pub async fn log(&self) -> Vec<LogLine> {
        let lines = self
            .client
            .execute(
                "return Array.from(document.querySelectorAll(\"[data-testid='log-entry']\"))\
                 .map(e => [e.getAttribute('data-kind') || '', e.innerText]);",
                vec![],
            )
            .await
            .expect("read the log");
        lines
            .as_array()
            .map(|lines| {
                lines
                    .iter()
                    .map(|line| LogLine {
                        kind: line[0].as_str().unwrap_or_default().to_string(),
                        text: line[1].as_str().unwrap_or_default().trim().to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits for a log line of `kind` whose text contains `needle`, and returns it.
    pub async fn wait_for_log(&self, kind: &str, needle: &str) -> LogLine {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let lines = self.log().await;
            if let Some(line) = lines
                .iter()
                .find(|l| l.kind == kind && l.text.contains(needle))
            {
                return line.clone();
            }
            if Instant::now() > deadline {
                panic!("no {kind:?} line containing {needle:?} in the log: {lines:#?}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Opens the settings panel, fills in `fields` (test id, value) and presses Apply;
    /// returns what the page answered ("Applied." or why not).
    pub async fn apply_settings(&self, fields: &[(&str, &str)]) -> String {
        self.unfold("settings").await;
        for (test_id, value) in fields {
            let input = self.element(test_id).await;
            input.clear().await.expect("clear a setting");
            input
                .send_keys(&format!("{value} \u{E003}"))
                .await
                .expect("type a setting");
        }
        self.click("apply-settings").await;
        self.wait_for_text("settings-outcome").await
    }

    /// Unfolds the `<details>` element `test_id` (settings, the reference), if folded.
    pub async fn unfold(&self, test_id: &str) {
        let details = self.element(test_id).await;
        if details.attr("open").await.ok().flatten().is_none() {
            self.client
                .find(Locator::Css(&format!("[data-testid='{test_id}'] summary")))
                .await
                .unwrap_or_else(|_| panic!("the summary of {test_id}"))
                .click()
                .await
                .unwrap_or_else(|_| panic!("unfold {test_id}"));
        }
    }

    /// Turns "send as binary (hex)" on or off.
    pub async fn set_send_binary(&self, on: bool) {
        self.set_checkbox("send-binary", on).await;
    }

    /// Turns "show secrets" on or off.
    pub async fn set_show_secrets(&self, on: bool) {
        self.set_checkbox("show-secrets", on).await;
    }

    /// How many hidden spans the reconnection timeline shades.
    pub async fn hidden_spans(&self) -> usize {
        self.count("hidden-span").await
    }

    /// The kinds of the page marks on the reconnection timeline, in order.
    pub async fn page_mark_kinds(&self) -> Vec<String> {
        let mut kinds = Vec::new();
        for mark in self
            .client
            .find_all(Locator::Css(&by_id("page-mark")))
            .await
            .expect("read the marks")
        {
            kinds.push(
                mark.attr("data-kind")
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
            );
        }
        kinds
    }

    /// A live metric's text: `metric-active`, `metric-p50`, `metric-p95`, `metric-reconnects`.
    pub async fn metric(&self, test_id: &str) -> String {
        self.text(test_id).await
    }

    /// The disconnect bars: (close code, count), in the order shown.
    pub async fn disconnect_bars(&self) -> Vec<(String, u64)> {
        self.disconnect_bar_rows()
            .await
            .into_iter()
            .map(|(code, count, _)| (code, count))
            .collect()
    }

    /// The drawn width (CSS pixels) of each disconnect bar's fill, by close code.
    pub async fn disconnect_bar_widths(&self) -> Vec<(String, f64)> {
        self.disconnect_bar_rows()
            .await
            .into_iter()
            .map(|(code, _, width)| (code, width))
            .collect()
    }

    /// Each disconnect bar: its close code, its count and its fill's drawn width.
    async fn disconnect_bar_rows(&self) -> Vec<(String, u64, f64)> {
        let mut bars = Vec::new();
        for bar in self
            .client
            .find_all(Locator::Css(&by_id("disconnect-bar")))
            .await
            .expect("read the bars")
        {
            let code = bar
                .attr("data-code")
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            let part = |test_id: &'static str| {
                let bar = bar.clone();
                async move {
                    bar.find(Locator::Css(&by_id(test_id)))
                        .await
                        .unwrap_or_else(|e| panic!("a bar has no {test_id}: {e}"))
                }
            };
            let count = part("disconnect-count")
                .await
                .text()
                .await
                .unwrap_or_default()
                .trim()
                .parse()
                .unwrap_or(0);
            let fill = width(&part("disconnect-bar-fill").await).await;
            bars.push((code, count, fill));
        }
        bars
    }

    /// Reloads the page and waits for the app to mount again.
    pub async fn reload(&self) {
        self.client.refresh().await.expect("reload the page");
        ConsolePage::ready(self.client).await;
    }

    /// Waits until the element with `test_id` exists and has text; returns it.
    pub async fn wait_for_text(&self, test_id: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(element) = self.client.find(Locator::Css(&by_id(test_id))).await {
                let text = element.text().await.unwrap_or_default();
                if !text.trim().is_empty() {
                    return text;
                }
            }
            if Instant::now() > deadline {
                panic!("[data-testid={test_id}] never showed any text");
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    async fn set_checkbox(&self, test_id: &str, on: bool) {
        let checkbox = self.element(test_id).await;
        let checked = checkbox.prop("checked").await.ok().flatten().as_deref() == Some("true");
        if checked != on {
            checkbox.click().await.expect("toggle a checkbox");
        }
    }

    /// Fills in the idle experiment's settings (seconds) and presses Start.
    pub async fn start_idle_experiment(&self, watch_s: &str, every_s: &str) {
        self.set_idle_settings(watch_s, every_s).await;
        self.press_idle_start().await;
    }

    /// Replaces the text of the field with `test_id` (then Tab, as a user leaves it).
    pub async fn set_field(&self, test_id: &str, value: &str) {
        let input = self.element(test_id).await;
        input.clear().await.expect("clear a field");
        input
            .send_keys(&format!("{value}\u{E004}"))
            .await
            .expect("type into a field");
    }

    /// Fills in the idle experiment's settings (seconds).
    pub async fn set_idle_settings(&self, watch_s: &str, every_s: &str) {
        for (test_id, value) in [("idle-watch", watch_s), ("idle-every", every_s)] {
            let input = self.element(test_id).await;
            input.clear().await.expect("clear an experiment setting");
            input
                .send_keys(&format!("{value} \u{E003}"))
                .await
                .expect("type an experiment setting");
        }
    }

    /// Presses Start on the idle experiment.
    pub async fn press_idle_start(&self) {
        self.click("idle-start").await;
    }

    /// How many hidden spans the idle experiment's timeline shades.
    pub async fn idle_hidden_spans(&self) -> usize {
        self.count("idle-hidden-span").await
    }

    /// Presses Cancel on the idle experiment.
    pub async fn cancel_idle_experiment(&self) {
        self.click("idle-cancel").await;
    }

    /// Waits (up to `patience`) for the idle experiment's verdict and reads it.
    pub async fn wait_for_idle_verdict(&self, patience: std::time::Duration) -> IdleVerdict {
        self.wait_for_idle_done(patience).await;
        self.read_idle_verdict().await
    }

    /// Waits (up to `patience`, looking every 50 ms) until the verdict is on the page.
    pub async fn wait_for_idle_done(&self, patience: std::time::Duration) {
        self.client
            .wait()
            .at_most(patience)
            .every(std::time::Duration::from_millis(50))
            .for_element(Locator::Css(&by_id("idle-verdict")))
            .await
            .unwrap_or_else(|e| panic!("no verdict within {patience:?}: {e}"));
    }

    /// Reads the idle experiment's verdict (it must be on the page).
    pub async fn read_idle_verdict(&self) -> IdleVerdict {
        let verdict = self.element("idle-verdict").await;
        let number = |value: Option<String>| value.and_then(|v| v.parse::<u64>().ok());
        let mut probes = Vec::new();
        for probe in self
            .client
            .find_all(Locator::Css(&by_id("idle-probe")))
            .await
            .expect("read the probes")
        {
            let attr = |name: &'static str| {
                let probe = probe.clone();
                async move { probe.attr(name).await.ok().flatten() }
            };
            let bar = probe
                .find(Locator::Css(&by_id("idle-probe-bar")))
                .await
                .expect("a probe's bar");
            probes.push(IdleProbe {
                name: attr("data-name").await.unwrap_or_default(),
                survived: attr("data-survived").await.as_deref() == Some("true"),
                close_code: attr("data-close-code").await.and_then(|v| v.parse().ok()),
                closed_after_ms: number(attr("data-closed-after-ms").await),
                alive_ms: number(attr("data-alive-ms").await).unwrap_or(0),
                bar_width: width(&bar).await,
            });
        }
        IdleVerdict {
            headline: self.text("idle-headline").await,
            text: verdict.text().await.unwrap_or_default(),
            idle_timeout_ms: number(verdict.attr("data-idle-timeout-ms").await.ok().flatten()),
            recommended_heartbeat_ms: number(
                verdict
                    .attr("data-recommended-heartbeat-ms")
                    .await
                    .ok()
                    .flatten(),
            ),
            probes,
            snippets: self.snippets("idle-snippet").await,
            check: serde_json::from_str(
                &verdict
                    .attr("data-result")
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
            )
            .expect("the verdict's data-result is JSON"),
        }
    }

    /// The status line of the idle experiment.
    pub async fn idle_status(&self) -> String {
        self.text("idle-status").await
    }

    /// The titles of the snippets with `test_id` (`idle-snippet`, `sleep-snippet`,
    /// `finding-snippet`), and whether each is featured (shown unfolded first).
    pub async fn snippets(&self, test_id: &str) -> Vec<(String, bool)> {
        let mut snippets = Vec::new();
        for snippet in self
            .client
            .find_all(Locator::Css(&by_id(test_id)))
            .await
            .expect("read the snippets")
        {
            let attr = |name: &'static str| {
                let snippet = snippet.clone();
                async move { snippet.attr(name).await.ok().flatten().unwrap_or_default() }
            };
            snippets.push((
                attr("data-title").await,
                attr("data-featured").await == "true",
            ));
        }
        snippets
    }

    /// The text of the element with `test_id`.
    async fn text(&self, test_id: &str) -> String {
        self.element(test_id)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("cannot read [data-testid={test_id}]: {e}"))
    }

    /// How many elements have `test_id`.
    async fn count(&self, test_id: &str) -> usize {
        self.client
            .find_all(Locator::Css(&by_id(test_id)))
            .await
            .map_or(0, |found| found.len())
    }

    async fn element(&self, test_id: &str) -> fantoccini::elements::Element {
        self.client
            .find(Locator::Css(&by_id(test_id)))
            .await
            .unwrap_or_else(|e| panic!("no [data-testid={test_id}] on the page: {e}"))
    }

    /// Picks the option `value` of the select with `test_id`.
    pub async fn choose(&self, test_id: &str, value: &str) {
        self.element(test_id)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("cannot choose {value} in [data-testid={test_id}]: {e}"));
    }

    /// Clicks the element with `test_id`.
    pub async fn click(&self, test_id: &str) {
        self.element(test_id)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {test_id}: {e}"));
    }
}
