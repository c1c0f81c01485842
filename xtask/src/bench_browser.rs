//! The parts of `cargo xtask bench` that run in headless Chromium, each a program of the
//! end-to-end harness (every process on loopback, started and stopped by it):
//!
//! - the flood (`tests/e2e/src/bin/page-flood.rs`): the wsdoctor page and a raw-JavaScript
//!   counter take the same 100,000 messages; messages/s and memory growth;
//! - the idle verdict (`tests/e2e/src/bin/idle-verdict.rs`): time from Start to the
//!   verdict behind nginx with a known `proxy_read_timeout`, as a ratio to it.

use std::path::Path;

use crate::cmd;
use crate::paths;
use crate::steps::Error;
use crate::tools::TestPrograms;

/// What one page did under the flood.
pub struct PageRun {
    /// Messages the page counted (the flood is 100,000).
    pub messages: u64,
    /// From the Connect click until the page showed the whole count.
    pub seconds: f64,
    /// Messages per second over that time.
    pub per_s: f64,
    /// The browser's own measure of the page's memory before and after, in bytes.
    pub memory_before: u64,
    /// After the flood.
    pub memory_after: u64,
}

/// Both pages' figures.
pub struct PageFlood {
    /// The raw-JavaScript counter.
    pub raw: PageRun,
    /// The wsdoctor page.
    pub page: PageRun,
}

/// Runs one of the harness's measuring programs (release build) against the built page
/// and server, and returns what it printed.
fn run_program(
    program: &str,
    server_bin: &Path,
    dist: &Path,
    programs: &TestPrograms,
) -> Result<String, Error> {
    cmd::output(
        paths::cargo()
            .args([
                "run",
                "--locked",
                "--release",
                "-q",
                "-p",
                "wsdoctor-e2e",
                "--bin",
                program,
            ])
            .env("WSDOCTOR_SERVER_BIN", server_bin)
            .env("WSDOCTOR_DIST", dist)
            .env("CHROMEDRIVER", &programs.chromedriver)
            .env("CHROMIUM", &programs.chromium)
            .env("WSDOCTOR_NGINX", &programs.nginx),
    )
    .ok_or_else(|| format!("the {program} benchmark failed"))
}

/// Runs the flood against both pages.
pub fn flood(server_bin: &Path, dist: &Path, programs: &TestPrograms) -> Result<PageFlood, Error> {
    let out = run_program("page-flood", server_bin, dist, programs)?;
    let value = |key: &str| cmd::number_after(&out, key);
    let run_of = |name: &str| -> Result<PageRun, Error> {
        Ok(PageRun {
            messages: value(&format!("{name}.messages"))? as u64,
            seconds: value(&format!("{name}.seconds"))?,
            per_s: value(&format!("{name}.messages_per_s"))?,
            memory_before: value(&format!("{name}.memory_before_bytes"))? as u64,
            memory_after: value(&format!("{name}.memory_after_bytes"))? as u64,
        })
    };
    let flood = PageFlood {
        raw: run_of("raw")?,
        page: run_of("page")?,
    };
    for (name, run) in [("raw counter", &flood.raw), ("wsdoctor page", &flood.page)] {
        eprintln!(
            "{name}: {} messages in {:.1} s = {:.0}/s, memory {} -> {} bytes",
            run.messages, run.seconds, run.per_s, run.memory_before, run.memory_after
        );
    }
    Ok(flood)
}

fn kib(bytes: u64) -> String {
    format!("{:.0} KiB", bytes as f64 / 1024.0)
}

/// The flood's section of `docs/PERFORMANCE.md`.
pub fn flood_report(flood: &PageFlood) -> String {
    let row = |name: &str, run: &PageRun| {
        format!(
            "| {name} | {} | {:.1} s | {:.0} | {} | {} | {} |\n",
            run.messages,
            run.seconds,
            run.per_s,
            kib(run.memory_before),
            kib(run.memory_after),
            kib(run.memory_after.saturating_sub(run.memory_before)),
        )
    };
    format!(
        "\n## The page under a flood: 100,000 text messages, headless Chromium\n\n\
Both pages take the same flood from a loopback server that sends as fast as TCP allows, \
so the page's own speed sets the pace. Time runs from the Connect click until the page \
shows the whole count (polled every 20 ms over WebDriver, the same for both). Memory is \
the browser's own figure (`performance.measureUserAgentSpecificMemory`: JavaScript, \
wasm memory and DOM) after a forced garbage collection.\n\n\
| page | messages counted | time | messages/s | memory before | memory after | growth |\n\
| --- | --- | --- | --- | --- | --- | --- |\n\
{}{}\n\
The wsdoctor page processes **{:.2}×** the raw counter's messages per second. It keeps \
the newest 1,000 log entries (summaries, not payloads) and counts the rest, so its \
memory stays bounded however long the flood; while live it draws only the newest 200 \
rows, so a flood costs few DOM updates per redraw (at most one redraw per 100 ms).\n",
        row("raw JavaScript counter (reference)", &flood.raw),
        row("wsdoctor page (wasm-release)", &flood.page),
        flood.page.per_s / flood.raw.per_s.max(1.0),
    )
}

/// Time to the idle verdict behind nginx with one known timeout.
pub struct IdleVerdictRun {
    /// nginx's `proxy_read_timeout`.
    pub timeout_ms: u64,
    /// The experiment's heartbeat interval.
    pub heartbeat_ms: u64,
    /// The idle timeout the experiment found (`None`: it found none).
    pub found_ms: Option<u64>,
    /// From Start to the verdict on the page.
    pub verdict_s: f64,
}

/// Runs the idle experiment behind nginx with each known timeout.
pub fn idle_verdict(
    server_bin: &Path,
    dist: &Path,
    programs: &TestPrograms,
) -> Result<Vec<IdleVerdictRun>, Error> {
    let out = run_program("idle-verdict", server_bin, dist, programs)?;
    let mut runs = Vec::new();
    for timeout_s in [5, 10] {
        let key = |name: &str| format!("t{timeout_s}.{name}");
        let run = IdleVerdictRun {
            timeout_ms: cmd::number_after(&out, &key("timeout_ms"))? as u64,
            heartbeat_ms: cmd::number_after(&out, &key("heartbeat_ms"))? as u64,
            found_ms: cmd::number_after(&out, &key("found_ms"))
                .ok()
                .map(|found| found as u64),
            verdict_s: cmd::number_after(&out, &key("verdict_s"))?,
        };
        eprintln!(
            "nginx {} ms: found {:?} ms, verdict after {:.1} s",
            run.timeout_ms, run.found_ms, run.verdict_s
        );
        runs.push(run);
    }
    Ok(runs)
}

/// Whether the timeout found is right: within 5 % or 500 ms of the one set.
fn found_right(run: &IdleVerdictRun) -> bool {
    run.found_ms
        .is_some_and(|found| found.abs_diff(run.timeout_ms) <= (run.timeout_ms / 20).max(500))
}

/// The idle verdict's section of `docs/PERFORMANCE.md`.
pub fn idle_verdict_report(runs: &[IdleVerdictRun]) -> String {
    let rows: String = runs
        .iter()
        .map(|run| {
            let goal_s = run.timeout_ms as f64 / 1000.0 + 1.5;
            let outcome = match (found_right(run), run.verdict_s <= goal_s) {
                (true, true) => "met",
                (true, false) => "NOT met (late)",
                (false, _) => "NOT met (wrong or no timeout)",
            };
            format!(
                "| {:.0} s | {:.1} s | {} | {:.1} s | {:.2}× | {:.1} s | {outcome} |\n",
                run.timeout_ms as f64 / 1000.0,
                run.heartbeat_ms as f64 / 1000.0,
                run.found_ms.map_or_else(
                    || "none".to_string(),
                    |found| format!("{:.3} s", found as f64 / 1000.0)
                ),
                run.verdict_s,
                run.verdict_s * 1000.0 / run.timeout_ms as f64,
                goal_s,
            )
        })
        .collect();
    format!(
        "\n## Idle experiment: time to the verdict behind nginx\n\n\
The experiment runs in headless Chromium through a real nginx whose `proxy_read_timeout` \
is known, in front of wsdoctor-server. Time runs from the Start click (the settings are \
typed before) until WebDriver finds the verdict on the page (it looks every 50 ms). \
Goal: the verdict at most T + 1.5 s after Start, and the timeout found within 5 % or \
500 ms of T; a run that finds a wrong timeout, or none, does not meet it however fast.\n\n\
| nginx timeout T | heartbeat h | timeout found | time to verdict | ratio to T | goal | |\n\
| --- | --- | --- | --- | --- | --- | --- |\n\
{rows}"
    )
}
