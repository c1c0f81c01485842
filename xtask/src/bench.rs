//! `cargo xtask bench`: the server's speed and memory, measured on loopback and written
//! to `docs/PERFORMANCE.md`.
//!
//! - memory: wsdoctor-server's resident set with 10,000 idle WebSockets (goal ≤ 100 MB);
//! - echo: messages/s and p50/p99 latency with 100 connections × 20-byte messages, closed
//!   loop, against wsdoctor-server and against a Node `ws` echo server in the same run,
//!   reported as a ratio;
//! - in headless Chromium (`bench_browser`): the page under a flood of 100,000 messages
//!   next to a raw-JavaScript counter, and the idle experiment's time to its verdict
//!   behind nginx with a known timeout.
//!
//! Every process here is started by this file, bound to 127.0.0.1, and stopped by it;
//! each load is bounded in count and time.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::bench_browser;
use crate::cmd;
use crate::page;
use crate::paths;
use crate::steps::{Error, Steps};
use crate::tools::{self, NODE_WS_VERSION};

const IDLE_CONNECTIONS: u32 = 10_000;
const ECHO_CONNECTIONS: u32 = 100;
const ECHO_SECONDS: u32 = 10;
const ECHO_BYTES: u32 = 20;

/// Runs the benchmarks and writes `docs/PERFORMANCE.md`.
pub fn run() -> Result<(), Error> {
    let mut steps = Steps::new();
    let node_ws = steps.require("npm ws (reference server)", tools::node_ws)?;
    let programs = steps.require("chromium, chromedriver", tools::browser_and_proxy)?;
    steps.require("wasm32 target", tools::wasm32_target)?;
    steps.require("wasm-bindgen-cli", tools::wasm_bindgen_cli)?;
    steps.require("trunk", tools::trunk)?;
    steps.require("wasm-opt", tools::wasm_opt)?;
    let page = steps.require("build the page (trunk, wasm-release)", page::build)?;
    let dist = page.dist;
    let server_bin = steps.require("build wsdoctor-server (release)", || {
        page::build_server(true)
    })?;
    let bench_bin = steps.require("build the load generator (release)", build_bench)?;
    let idle = steps.require("wsdoctor-server: 10,000 idle connections", || {
        let server = Running::server(&server_bin)?;
        idle_rss(&bench_bin, &server)
    })?;
    let node_idle = steps.require("node ws: 10,000 idle connections", || {
        let server = Running::node(&node_ws)?;
        idle_rss(&bench_bin, &server)
    })?;
    let ours = steps.require("wsdoctor-server: echo, 100 connections", || {
        let server = Running::server(&server_bin)?;
        echo(&bench_bin, &server)
    })?;
    let theirs = steps.require("node ws: echo, 100 connections", || {
        let server = Running::node(&node_ws)?;
        echo(&bench_bin, &server)
    })?;
    let flood = steps.require("the page under a flood, next to a raw JS counter", || {
        bench_browser::flood(&server_bin, &dist, &programs)
    })?;
    let verdicts = steps.require("idle experiment: time to verdict behind nginx", || {
        bench_browser::idle_verdict(&server_bin, &dist, &programs)
    })?;
    let report = report(&idle, &node_idle, &ours, &theirs)
        + &bench_browser::flood_report(&flood)
        + &bench_browser::idle_verdict_report(&verdicts);
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

/// A server process under test, killed on drop.
struct Running {
    name: &'static str,
    child: Child,
    url: String,
}

impl Running {
    fn server(bin: &Path) -> Result<Running, Error> {
        let mut command = with_open_files(bin);
        command.args([
            "--addr",
            "127.0.0.1:0",
            "--max-connections",
            "20000",
            "--max-connections-per-client",
            "20000",
            "--metrics",
            "off",
        ]);
        Running::start("wsdoctor-server", command, "listening on http://", |rest| {
            rest.split('/').next().map(|addr| format!("ws://{addr}/ws"))
        })
    }

    fn node(modules: &Path) -> Result<Running, Error> {
        let mut command = with_open_files(Path::new("node"));
        command.arg(paths::node_ws_echo()).env("NODE_PATH", modules);
        Running::start("node ws", command, "listening on ", |rest| {
            let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
            (!port.is_empty()).then(|| format!("ws://127.0.0.1:{port}/"))
        })
    }

    fn start(
        name: &'static str,
        mut command: Command,
        marker: &str,
        url_of: impl Fn(&str) -> Option<String>,
    ) -> Result<Running, Error> {
        let log = paths::cache().join(format!("bench-{}.log", name.replace(' ', "-")));
        let file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let err = file.try_clone().map_err(|e| e.to_string())?;
        let child = command
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        let mut running = Running {
            name,
            child,
            url: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(url) = text
                .find(marker)
                .and_then(|at| url_of(&text[at + marker.len()..]))
            {
                running.url = url;
                return Ok(running);
            }
            if matches!(running.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "{name} did not start: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        ))
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        eprintln!("stopped {}", self.name);
    }
}

/// Runs `program` with the open-file limit raised to the hard limit (10,000 sockets).
fn with_open_files(program: &Path) -> Command {
    let mut command = paths::command("sh");
    command
        .arg("-c")
        .arg("ulimit -n \"$(ulimit -Hn)\" 2>/dev/null; exec \"$@\"")
        .arg("sh")
        .arg(program);
    command
}

/// Resident memory before and with the idle connections, in KiB.
struct Idle {
    before_kib: u64,
    with_kib: u64,
    open_secs: String,
}

fn idle_rss(bench: &Path, server: &Running) -> Result<Idle, Error> {
    let before_kib = server.rss_kib();
    let out = paths::cache().join("bench-idle.out");
    let file = std::fs::File::create(&out).map_err(|e| e.to_string())?;
    let mut client = with_open_files(bench);
    let mut client = client
        .args(["idle", &server.url, &IDLE_CONNECTIONS.to_string(), "8"])
        .stdout(file)
        .spawn()
        .map_err(|e| format!("cannot start the load generator: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(120);
    let opened = loop {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.starts_with("opened")) {
            break line.to_string();
        }
        if Instant::now() > deadline || matches!(client.try_wait(), Ok(Some(_))) {
            let _ = client.kill();
            return Err(format!("the idle connections did not all open: {text}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_secs(2));
    let with_kib = server.rss_kib();
    let _ = client.wait();
    let open_secs = opened.rsplit(" in ").next().unwrap_or("?").to_string();
    eprintln!(
        "{}: {before_kib} KiB idle, {with_kib} KiB with {IDLE_CONNECTIONS} connections ({opened})",
        server.name
    );
    Ok(Idle {
        before_kib,
        with_kib,
        open_secs,
    })
}

/// Echo figures as the load generator printed them.
struct Echo {
    per_s: f64,
    p50_us: u64,
    p99_us: u64,
}

fn echo(bench: &Path, server: &Running) -> Result<Echo, Error> {
    let out = cmd::output(with_open_files(bench).args([
        "echo",
        &server.url,
        &ECHO_CONNECTIONS.to_string(),
        &ECHO_SECONDS.to_string(),
        &ECHO_BYTES.to_string(),
    ]))
    .ok_or("the echo load failed")?;
    let value = |key: &str| cmd::number_after(&out, key);
    let echo = Echo {
        per_s: value("messages_per_s")?,
        p50_us: value("p50_us")? as u64,
        p99_us: value("p99_us")? as u64,
    };
    eprintln!(
        "{}: {:.0} messages/s, p50 {} µs, p99 {} µs",
        server.name, echo.per_s, echo.p50_us, echo.p99_us
    );
    Ok(echo)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn report(idle: &Idle, node_idle: &Idle, ours: &Echo, theirs: &Echo) -> String {
    let version = |program: &str| {
        cmd::output(paths::command(program).arg("--version"))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| "unknown".into())
    };
    let (rustc, node) = (version("rustc"), version("node"));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let per_conn = (idle.with_kib.saturating_sub(idle.before_kib)) as f64 * 1024.0
        / f64::from(IDLE_CONNECTIONS);
    let goal = if idle.with_kib <= 100 * 1024 {
        "met"
    } else {
        "NOT met"
    };
    format!(
        "# Performance\n\n\
Written by `cargo xtask bench` (do not edit by hand; run it again). Everything runs on \
loopback on one machine: {cores} cores, {rustc}, Node {node}. The load generator \
(`bench/`, tokio-tungstenite) and the servers share the machine, so absolute numbers \
are modest; the ratio between servers measured in the same run is what to compare.\n\n\
## Memory: {IDLE_CONNECTIONS} idle WebSockets\n\n\
| server | resident, idle | resident with {IDLE_CONNECTIONS} connections | per connection | time to open all |\n\
| --- | --- | --- | --- | --- |\n\
| wsdoctor-server (release) | {} | {} | {:.1} KiB | {} |\n\
| Node `ws` {NODE_WS_VERSION} | {} | {} | {:.1} KiB | {} |\n\n\
Goal: at most 100 MB with {IDLE_CONNECTIONS} idle connections: **{goal}**. The server \
sets tungstenite's buffers explicitly (4 KiB read, no write buffering) instead of the \
128 KiB defaults.\n\n\
## Echo: {ECHO_CONNECTIONS} connections × {ECHO_BYTES}-byte text messages, {ECHO_SECONDS} s, closed loop\n\n\
| server | messages/s | p50 latency | p99 latency |\n\
| --- | --- | --- | --- |\n\
| wsdoctor-server (release, plain echo) | {:.0} | {} µs | {} µs |\n\
| Node `ws` {NODE_WS_VERSION} (echo) | {:.0} | {} µs | {} µs |\n\n\
Ratio wsdoctor-server / Node `ws`: **{:.2}×** the messages per second, **{:.2}×** the p99 latency.\n",
        mib(idle.before_kib),
        mib(idle.with_kib),
        per_conn / 1024.0,
        idle.open_secs,
        mib(node_idle.before_kib),
        mib(node_idle.with_kib),
        (node_idle.with_kib.saturating_sub(node_idle.before_kib)) as f64
            / f64::from(IDLE_CONNECTIONS),
        node_idle.open_secs,
        ours.per_s,
        ours.p50_us,
        ours.p99_us,
        theirs.per_s,
        theirs.p50_us,
        theirs.p99_us,
        ours.per_s / theirs.per_s.max(1.0),
        ours.p99_us as f64 / theirs.p99_us.max(1) as f64,
    )
}
