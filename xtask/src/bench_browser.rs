//! The parts of `cargo xtask bench` that run in headless Chromium, each a program of the
//! end-to-end harness (every process on loopback, started and stopped by it):
//!
//! - the load (`tests/e2e/src/bin/page-load.rs`): time to interactive of the page and of a
//!   bare Leptos counter page, on loopback and on an emulated slow link;
//! - the flood (`tests/e2e/src/bin/page-flood.rs`): the wsdoctor page and a raw-JavaScript
//!   counter take the same floods of 20 B, 1 KB and 64 KB messages; messages/s and
//!   memory growth;
//! - the idle verdict (`tests/e2e/src/bin/idle-verdict.rs`): time from Start to the
//!   verdict behind nginx with a known `proxy_read_timeout` (5, 10 and 30 s), as a ratio
//!   to it.

use std::path::Path;

use crate::cmd;
use crate::compress::PageSize;
use crate::paths;
use crate::steps::Error;
use crate::tools::TestPrograms;

/// What one page did under one flood (medians over the rounds).
pub struct PageRun {
    /// Messages in the flood.
    pub flood: u64,
    /// Messages the page counted (the fewest of the rounds).
    pub messages: u64,
    /// Messages per second.
    pub per_s: f64,
    /// The browser's own measure of the page's memory growth, in bytes.
    pub growth: i64,
}

/// Both pages' figures under a flood of messages of one size.
pub struct PageFlood {
    /// The message size, in bytes.
    pub bytes: u64,
    /// The raw-JavaScript counter.
    pub raw: PageRun,
    /// The wsdoctor page.
    pub page: PageRun,
}

/// The message sizes the flood program uses.
const FLOOD_SIZES: [u64; 3] = [20, 1024, 65_536];

/// Runs one of the harness's measuring programs (release build) against the built page
/// and server, and returns what it printed.
fn run_program(
    program: &str,
    server_bin: &Path,
    dist: &Path,
    programs: &TestPrograms,
    env: &[(&str, &Path)],
) -> Result<String, Error> {
    let mut command = paths::cargo();
    command.envs(env.iter().map(|(k, v)| (*k, *v)));
    cmd::output(
        command
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

/// Runs the floods against both pages.
pub fn flood(
    server_bin: &Path,
    dist: &Path,
    programs: &TestPrograms,
) -> Result<Vec<PageFlood>, Error> {
    let out = run_program("page-flood", server_bin, dist, programs, &[])?;
    let value = |key: &str| cmd::number_after(&out, key);
    let run_of = |name: &str| -> Result<PageRun, Error> {
        Ok(PageRun {
            flood: value(&format!("{name}.flood"))? as u64,
            messages: value(&format!("{name}.messages"))? as u64,
            per_s: value(&format!("{name}.messages_per_s"))?,
            growth: value(&format!("{name}.memory_growth_bytes"))? as i64,
        })
    };
    FLOOD_SIZES
        .iter()
        .map(|bytes| {
            let flood = PageFlood {
                bytes: *bytes,
                raw: run_of(&format!("s{bytes}.raw"))?,
                page: run_of(&format!("s{bytes}.page"))?,
            };
            eprintln!(
                "{bytes} B: raw counter {:.0}/s, page {:.0}/s ({:.2}×), page memory growth {} bytes",
                flood.raw.per_s,
                flood.page.per_s,
                flood.page.per_s / flood.raw.per_s.max(1.0),
                flood.page.growth
            );
            Ok(flood)
        })
        .collect()
}

fn kib(bytes: i64) -> String {
    format!("{:.0} KiB", bytes as f64 / 1024.0)
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{} MiB", b / (1024 * 1024)),
        b if b >= 1024 => format!("{} KiB", b / 1024),
        b => format!("{b} B"),
    }
}

/// The flood's section of `docs/PERFORMANCE.md`.
pub fn flood_report(floods: &[PageFlood]) -> String {
    let rows: String = floods
        .iter()
        .map(|f| {
            let ratio = f.page.per_s / f.raw.per_s.max(1.0);
            let goal = if ratio >= 0.95 && f.page.messages >= f.page.flood {
                "met"
            } else {
                "NOT met"
            };
            format!(
                "| {} | {} ({}) | {:.0} | {:.0} | **{ratio:.2}×** | {} | {} | {goal} |\n",
                size(f.bytes),
                f.page.flood,
                size(f.bytes * f.page.flood),
                f.raw.per_s,
                f.page.per_s,
                kib(f.raw.growth),
                kib(f.page.growth),
            )
        })
        .collect();
    format!(
        "\n## The page under a flood, headless Chromium\n\n\
Both pages take the same flood from a loopback server that sends as fast as TCP allows, \
so the page's own speed sets the pace; each flood is bounded in bytes (about 64 MB; 20 B \
messages at 1,000,000). The raw-JavaScript counter (a socket that reads each message's \
length, as any app reads its data, and a number) and the wsdoctor page take it in turn, three times each; medians. Time runs from the \
Connect click until the page shows the whole count (polled every 20 ms over WebDriver, \
the same for both). Memory growth is the browser's own figure \
(`performance.measureUserAgentSpecificMemory`: JavaScript, wasm memory and DOM) after a \
forced garbage collection, after the flood minus before. Goal: at least 0.95× the raw \
rate at every size, memory flat.\n\n\
| message size | flood | raw counter, messages/s | wsdoctor page, messages/s | ratio | raw growth | page growth | goal |\n\
| --- | --- | --- | --- | --- | --- | --- | --- |\n\
{rows}\n\
The page keeps the newest 1,000 log entries (summaries, not payloads) and counts the \
rest, so its memory stays bounded however long the flood; while live it draws only the \
newest 200 rows (at most one redraw per 100 ms).\n"
    )
}

/// Time to interactive: medians, in ms.
pub struct Load {
    /// The wsdoctor page on loopback.
    pub page_loopback: f64,
    /// The counter page on loopback.
    pub counter_loopback: f64,
    /// The wsdoctor page on the slow link.
    pub page_slow: f64,
    /// The counter page on the slow link.
    pub counter_slow: f64,
    /// Every sample, as printed, for the report.
    pub samples: String,
}

/// Times both pages' loads.
pub fn load(
    server_bin: &Path,
    dist: &Path,
    counter_dist: &Path,
    programs: &TestPrograms,
) -> Result<Load, Error> {
    let out = run_program(
        "page-load",
        server_bin,
        dist,
        programs,
        &[("WSDOCTOR_COUNTER_DIST", counter_dist)],
    )?;
    let value = |key: &str| cmd::number_after(&out, key);
    let load = Load {
        page_loopback: value("loopback.page.median_ms")?,
        counter_loopback: value("loopback.counter.median_ms")?,
        page_slow: value("slow.page.median_ms")?,
        counter_slow: value("slow.counter.median_ms")?,
        samples: out
            .lines()
            .filter(|l| l.contains("samples_ms="))
            .map(|l| format!("- `{l}`\n"))
            .collect(),
    };
    eprintln!(
        "time to interactive: page {:.0} ms, counter {:.0} ms on loopback; page {:.0} ms, counter {:.0} ms on the slow link",
        load.page_loopback, load.counter_loopback, load.page_slow, load.counter_slow
    );
    Ok(load)
}

/// The load section of `docs/PERFORMANCE.md`, with the page's size.
pub fn load_report(load: &Load, page: &PageSize, counter: &PageSize) -> String {
    let ratio = load.page_loopback / load.counter_loopback.max(1.0);
    let loopback_goal = if ratio <= 1.3 { "met" } else { "NOT met" };
    let slow_goal = if load.page_slow <= 2000.0 {
        "met"
    } else {
        "NOT met"
    };
    let files: String = page
        .files
        .iter()
        .map(|f| format!("| `{}` | {} | {} | {} |\n", f.name, f.raw, f.gzip, f.brotli))
        .collect();
    format!(
        "\n## The page: size and time to interactive\n\n\
What a first visit moves (wsdoctor-server sends the brotli copy to a browser that accepts \
it; Trunk's hashed files are then cached for good):\n\n\
| file | raw, bytes | gzip | brotli |\n\
| --- | --- | --- | --- |\n\
{files}| **whole page** | {} | {} | **{}** ({:.1} KB; budget {:.1} KB) |\n\n\
The bare Leptos counter page (`bench/counter-page`, built the same way) is {} bytes brotli. \
Goal for the page: at most 120 KB brotli at today's features: **{}**.\n\n\
Time to interactive runs from the navigation to the first usable control (the page's \
Connect button; the counter's button), taken inside the page by a MutationObserver \
installed before its scripts. Every load is a first visit (cache off); the two pages \
alternate, seven loads each; medians. The slow link is DevTools' emulation: 1.6 Mbit/s \
each way, 150 ms round trips.\n\n\
| link | wsdoctor page | Leptos counter | ratio | goal | |\n\
| --- | --- | --- | --- | --- | --- |\n\
| loopback | {:.0} ms | {:.0} ms | {ratio:.2}× | ≤ 1.3× the counter | {loopback_goal} |\n\
| 1.6 Mbit/s, 150 ms | {:.0} ms | {:.0} ms | {:.2}× | ≤ 2000 ms | {slow_goal} |\n\n\
Every sample:\n\n{}",
        page.raw(),
        page.gzip(),
        page.brotli(),
        page.brotli() as f64 / 1000.0,
        crate::compress::PAGE_BROTLI_BUDGET as f64 / 1000.0,
        counter.brotli(),
        if page.brotli() <= 120_000 {
            "met"
        } else {
            "NOT met"
        },
        load.page_loopback,
        load.counter_loopback,
        load.page_slow,
        load.counter_slow,
        load.page_slow / load.counter_slow.max(1.0),
        load.samples,
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
    let out = run_program("idle-verdict", server_bin, dist, programs, &[])?;
    let mut runs = Vec::new();
    for timeout_s in [5, 10, 30] {
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

/// The round-trip benchmark's medians.
pub struct RoundTrips {
    /// Echoes per round.
    pub echoes: u64,
    /// Rounds per page.
    pub rounds: u64,
    /// The raw-JavaScript page's echo round trip, median of the rounds' medians, ms.
    pub raw_ms: f64,
    /// The wsdoctor page's, the same way.
    pub page_ms: f64,
    /// The server's Ping/Pong round trip, as the page's runs reported it.
    pub ping_ms: f64,
}

/// The page's echo round trip next to a raw-JavaScript page's, against the same server.
pub fn round_trips(
    server_bin: &Path,
    dist: &Path,
    programs: &TestPrograms,
) -> Result<RoundTrips, Error> {
    let out = run_program("page-roundtrip", server_bin, dist, programs, &[])?;
    let value = |key: &str| cmd::number_after(&out, key);
    let run = RoundTrips {
        echoes: value("echoes")? as u64,
        rounds: value("rounds")? as u64,
        raw_ms: value("raw.p50_ms")?,
        page_ms: value("page.p50_ms")?,
        ping_ms: value("page.ping_p50_ms")?,
    };
    eprintln!(
        "echo round trip: raw page {:.3} ms, wsdoctor page {:.3} ms (+{:.3} ms); server Ping/Pong {:.3} ms",
        run.raw_ms,
        run.page_ms,
        run.page_ms - run.raw_ms,
        run.ping_ms
    );
    Ok(run)
}

/// The round trip's section of `docs/PERFORMANCE.md`.
pub fn round_trips_report(run: &RoundTrips) -> String {
    let over = run.page_ms - run.raw_ms;
    let outcome = if over <= 0.2 { "met" } else { "NOT met" };
    format!(
        "\n## Round trips: the page's echo next to a raw page's\n\n\
Both pages are cross-origin isolated (5 µs timers) and send the companion's numbered \
`echo` messages to the same wsdoctor-server, one every 20 ms, {} per round, {} rounds \
each, alternating; each answer is timed with `performance.now()` from just before the send \
to the message event. The wsdoctor page runs its round-trip card (`roundtrip`); the raw \
page is a socket and a script. Figures: the median of the rounds' medians. Goal: the \
page within 0.2 ms of the raw page.\n\n\
| raw page | wsdoctor page | difference | server's Ping/Pong (for scale) | goal |\n\
| --- | --- | --- | --- | --- |\n\
| {:.3} ms | {:.3} ms | {:+.3} ms | {:.3} ms | {outcome} |\n",
        run.echoes, run.rounds, run.raw_ms, run.page_ms, over, run.ping_ms
    )
}
