//! The page-flood part of `cargo xtask bench`: the wsdoctor page and a raw-JavaScript
//! counter take the same flood of 100,000 messages in the same headless Chromium; their
//! messages/s and memory growth go into `docs/PERFORMANCE.md`.
//!
//! The measuring program is `tests/e2e/src/bin/page-flood.rs` (it uses the end-to-end
//! harness: every process on loopback, started and stopped by it).

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

/// Builds and runs the measuring program against the built page and server.
pub fn run(server_bin: &Path, dist: &Path, programs: &TestPrograms) -> Result<PageFlood, Error> {
    let out = cmd::output(
        paths::cargo()
            .args([
                "run",
                "--locked",
                "--release",
                "-q",
                "-p",
                "wsdoctor-e2e",
                "--bin",
                "page-flood",
            ])
            .env("WSDOCTOR_SERVER_BIN", server_bin)
            .env("WSDOCTOR_DIST", dist)
            .env("CHROMEDRIVER", &programs.chromedriver)
            .env("CHROMIUM", &programs.chromium),
    )
    .ok_or("the page-flood benchmark failed")?;
    let value = |key: &str| -> Result<f64, Error> {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| format!("no {key} in: {out}"))
    };
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

/// The section of `docs/PERFORMANCE.md`.
pub fn report(flood: &PageFlood) -> String {
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
memory stays bounded however long the flood.\n",
        row("raw JavaScript counter (reference)", &flood.raw),
        row("wsdoctor page (wasm-release)", &flood.page),
        flood.page.per_s / flood.raw.per_s.max(1.0),
    )
}
