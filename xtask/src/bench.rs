//! `cargo xtask bench`: the page's size and load time, the server's speed and memory,
//! and how the costs grow with the work, measured on loopback and written to
//! `docs/PERFORMANCE.md` with the commit and the machine they were measured on.
//!
//! - `bench_server`: memory with 1,000 to about 20,000 idle WebSockets; echo against Node
//!   `ws`, each pinned to a core, interleaved rounds, medians;
//! - `bench_browser`: time to interactive next to a bare Leptos counter page (loopback and
//!   an emulated slow link), the page under floods of three message sizes next to a raw
//!   counter, the idle experiment's time to its verdict behind nginx, and the page's echo
//!   round trip next to a raw page's.
//!
//! Every process here is started by these files, bound to 127.0.0.1, and stopped by them;
//! each load is bounded in count and time. Every figure is printed beside its goal.

use std::path::PathBuf;

use crate::bench_browser;
use crate::bench_server::{self, IDLE_COMPARED, IDLE_STEPS, Which};
use crate::cmd;
use crate::page;
use crate::paths;
use crate::steps::{Error, Steps};
use crate::tools;

/// Runs the benchmarks and writes `docs/PERFORMANCE.md`.
pub fn run() -> Result<(), Error> {
    let mut steps = Steps::new();
    let node_modules = steps.require(
        "npm ws with bufferutil and utf-8-validate (reference server)",
        tools::node_ws_addons,
    )?;
    let programs = steps.require("chromium, chromedriver, nginx", tools::browser_and_proxy)?;
    steps.require("wasm32 target", tools::wasm32_target)?;
    steps.require("wasm-bindgen-cli", tools::wasm_bindgen_cli)?;
    steps.require("trunk", tools::trunk)?;
    steps.require("wasm-opt", tools::wasm_opt)?;
    let built = steps.require("build the page (trunk, wasm-release)", page::build)?;
    let counter = steps.require(
        "build the bare Leptos counter page (reference)",
        page::build_counter,
    )?;
    let server_bin = steps.require("build wsdoctor-server (release)", || {
        page::build_server(true)
    })?;
    let bench_bin = steps.require("build the load generator (release)", build_bench)?;
    let machine = machine();
    let load = steps.require("time to interactive: page and counter", || {
        bench_browser::load(&server_bin, &built.dist, &counter.dist, &programs)
    })?;
    let mut ours_idle = Vec::new();
    for connections in IDLE_STEPS {
        ours_idle.push(steps.require(
            &format!("wsdoctor-server: {connections} idle connections"),
            || {
                bench_server::idle(
                    Which::Ours,
                    connections,
                    &server_bin,
                    &bench_bin,
                    &node_modules,
                )
            },
        )?);
    }
    let node_idle = steps.require(
        &format!("node ws: {IDLE_COMPARED} idle connections"),
        || {
            bench_server::idle(
                Which::Node,
                IDLE_COMPARED,
                &server_bin,
                &bench_bin,
                &node_modules,
            )
        },
    )?;
    let (ours, theirs) = steps.require(
        "echo: wsdoctor-server and node ws, pinned, interleaved",
        || bench_server::echo_rounds(&server_bin, &bench_bin, &node_modules),
    )?;
    let floods = steps.require("the page under floods, next to a raw JS counter", || {
        bench_browser::flood(&server_bin, &built.dist, &programs)
    })?;
    let verdicts = steps.require("idle experiment: time to verdict behind nginx", || {
        bench_browser::idle_verdict(&server_bin, &built.dist, &programs)
    })?;
    let round_trips = steps.require("echo round trips: the page and a raw page", || {
        bench_browser::round_trips(&server_bin, &built.dist, &programs)
    })?;
    let report = header(&machine)
        + &bench_browser::load_report(&load, &built.size, &counter.size)
        + &bench_server::report(&ours_idle, &node_idle, &ours, &theirs)
        + &bench_browser::flood_report(&floods)
        + &bench_browser::idle_verdict_report(&verdicts)
        + &bench_browser::round_trips_report(&round_trips);
    let path = paths::root().join("docs").join("PERFORMANCE.md");
    std::fs::write(&path, &report).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("\n{report}\nwritten to {}", path.display());
    steps.finish()
}

fn build_bench() -> Result<PathBuf, Error> {
    cmd::run(paths::cargo().args(["build", "--locked", "--release", "-p", "wsdoctor-bench"]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| paths::root().join("target"));
    Ok(target.join("release").join("wsdoctor-bench"))
}

/// What the figures were measured on and at, in one paragraph.
fn machine() -> String {
    let output = |program: &str, args: &[&str]| {
        cmd::output(paths::command(program).args(args))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| "unknown".into())
    };
    let commit = output("git", &["rev-parse", "--short", "HEAD"]);
    let dirty = if output("git", &["status", "--porcelain"]).is_empty() {
        ""
    } else {
        " (with uncommitted changes)"
    };
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split(' ').take(3).collect::<Vec<_>>().join(", "))
        .unwrap_or_else(|_| "unknown".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or_else(
            || "unknown".into(),
            |kib| format!("{:.0} GiB", kib as f64 / 1024.0 / 1024.0),
        );
    format!(
        "Measured at commit `{commit}`{dirty} on {cores} cores and {memory} of memory, load \
         average {load} before the run; {}, Node {}, {}.",
        output("rustc", &["--version"]),
        output("node", &["--version"]),
        output("chromium", &["--version"]),
    )
}

fn header(machine: &str) -> String {
    format!(
        "# Performance\n\n\
Written by `cargo xtask bench` (do not edit by hand; run it again). {machine} Everything \
runs on loopback on one machine; where two things are compared they ran in the same run, \
interleaved, and the figures are medians.\n"
    )
}
