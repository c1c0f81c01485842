//! The server parts of `cargo xtask bench`, on loopback:
//!
//! - memory: wsdoctor-server's resident set with 1,000 to about 20,000 idle WebSockets
//!   (how the cost grows), and Node `ws` at 10,000 beside it;
//! - echo: wsdoctor-server and Node `ws` (with `bufferutil` and `utf-8-validate`), each
//!   pinned to one core with `taskset` and the load generator on the other, in
//!   interleaved rounds; the median of each figure, and the load generator's CPU use
//!   (if it saturates its core, the figures measure it rather than the servers).
//!
//! Both servers run with their defaults (wsdoctor-server's metrics on).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cmd;
use crate::paths;
use crate::steps::Error;
use crate::tools::NODE_WS_VERSION;
use wsdoctor_core::stats::median;

/// Idle connection counts measured, in order. The last is what fits under this
/// machine's open-file limit (20,000 per process, and the server needs a few more).
pub const IDLE_STEPS: [u32; 4] = [1_000, 5_000, 10_000, 19_500];
/// The count Node `ws` is measured at, beside the same count for wsdoctor-server.
pub const IDLE_COMPARED: u32 = 10_000;
/// One load-generator process holds at most this many connections.
const PER_CLIENT: u32 = 10_000;
const ECHO_CONNECTIONS: u32 = 100;
const ECHO_SECONDS: u32 = 5;
const ECHO_BYTES: u32 = 20;
/// Echo rounds; each runs both servers, in turn.
pub const ECHO_ROUNDS: usize = 5;
/// The core each server is pinned to; the load generator gets the other.
const SERVER_CORE: &str = "0";
const CLIENT_CORE: &str = "1";

/// Which server.
#[derive(Clone, Copy)]
pub enum Which {
    /// wsdoctor-server (release).
    Ours,
    /// Node `ws`.
    Node,
}

/// A server process under test, killed on drop.
struct Running {
    name: &'static str,
    child: Child,
    url: String,
}

impl Running {
    fn start(which: Which, server_bin: &Path, node_modules: &Path) -> Result<Running, Error> {
        match which {
            Which::Ours => {
                let mut command = pinned(SERVER_CORE, server_bin);
                command.args([
                    "--addr",
                    "127.0.0.1:0",
                    "--max-connections",
                    "40000",
                    "--max-connections-per-client",
                    "40000",
                ]);
                Running::spawn("wsdoctor-server", command, "listening on http://", |rest| {
                    rest.split('/').next().map(|addr| format!("ws://{addr}/ws"))
                })
            }
            Which::Node => {
                let mut command = pinned(SERVER_CORE, Path::new("node"));
                command
                    .arg(paths::node_ws_echo())
                    .env("NODE_PATH", node_modules);
                Running::spawn("node ws", command, "listening on ", |rest| {
                    let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    (!port.is_empty()).then(|| format!("ws://127.0.0.1:{port}/"))
                })
            }
        }
    }

    fn spawn(
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

    /// The CPU time (user and system) the server has used so far, in seconds.
    fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // The fields after the command name (in parentheses): utime and stime are the
        // 12th and 13th of them, in clock ticks of 1/100 s.
        stat.rfind(')')
            .map(|at| {
                let fields: Vec<&str> = stat[at + 2..].split(' ').collect();
                let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
                (tick(11).unwrap_or(0.0) + tick(12).unwrap_or(0.0)) / 100.0
            })
            .unwrap_or(0.0)
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
    }
}

/// Runs `program` on `core` (when `taskset` is here) with the open-file limit raised to
/// the hard limit.
fn pinned(core: &str, program: &Path) -> Command {
    let mut command = if paths::which("taskset").is_some() {
        let mut taskset = paths::command("taskset");
        taskset.args(["-c", core, "sh"]);
        taskset
    } else {
        paths::command("sh")
    };
    command
        .arg("-c")
        .arg("ulimit -n \"$(ulimit -Hn)\" 2>/dev/null; exec \"$@\"")
        .arg("sh")
        .arg(program);
    command
}

/// Resident memory of a server before and with `connections` idle ones, in KiB.
pub struct Idle {
    /// How many.
    pub connections: u32,
    /// Before any.
    pub before_kib: u64,
    /// With all of them open.
    pub with_kib: u64,
    /// How long opening them all took.
    pub open_secs: f64,
}

impl Idle {
    /// The cost of one connection, in KiB.
    pub fn per_connection_kib(&self) -> f64 {
        self.with_kib.saturating_sub(self.before_kib) as f64 / f64::from(self.connections)
    }
}

/// Measures `which` with `connections` idle WebSockets (a fresh server each time).
pub fn idle(
    which: Which,
    connections: u32,
    server_bin: &Path,
    bench: &Path,
    node_modules: &Path,
) -> Result<Idle, Error> {
    let server = Running::start(which, server_bin, node_modules)?;
    let before_kib = server.rss_kib();
    let started = Instant::now();
    let mut clients = Vec::new();
    let mut left = connections;
    let mut n = 0;
    while left > 0 {
        let these = left.min(PER_CLIENT);
        left -= these;
        let out = paths::cache().join(format!("bench-idle-{n}.out"));
        n += 1;
        let file = std::fs::File::create(&out).map_err(|e| e.to_string())?;
        let child = pinned(CLIENT_CORE, bench)
            .args(["idle", &server.url, &these.to_string(), "8"])
            .stdout(file)
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the load generator: {e}"))?;
        clients.push((child, out));
    }
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let opened = clients.iter().all(|(_, out)| {
            std::fs::read_to_string(out)
                .unwrap_or_default()
                .lines()
                .any(|l| l.starts_with("opened"))
        });
        if opened {
            break;
        }
        let ended = clients
            .iter_mut()
            .any(|(child, _)| matches!(child.try_wait(), Ok(Some(_))));
        if Instant::now() > deadline || ended {
            for (child, _) in &mut clients {
                let _ = child.kill();
            }
            return Err(format!(
                "{}: the {connections} idle connections did not all open",
                server.name
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let open_secs = started.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(2));
    let with_kib = server.rss_kib();
    for (child, _) in &mut clients {
        let _ = child.wait();
    }
    eprintln!(
        "{}: {before_kib} KiB idle, {with_kib} KiB with {connections} connections (opened in {open_secs:.1} s)",
        server.name
    );
    Ok(Idle {
        connections,
        before_kib,
        with_kib,
        open_secs,
    })
}

/// One echo run's figures.
#[derive(Clone, Copy)]
pub struct Echo {
    /// Messages per second.
    pub per_s: f64,
    /// Median latency.
    pub p50_us: f64,
    /// 99th percentile latency.
    pub p99_us: f64,
    /// The load generator's CPU use, as a share of its one core.
    pub client_cpu: f64,
    /// The server's CPU use, as a share of its one core.
    pub server_cpu: f64,
}

impl Echo {
    /// Messages echoed per second of the server's CPU: what the server costs per
    /// message, whichever side was the bottleneck.
    pub fn per_cpu_s(&self) -> f64 {
        self.per_s / self.server_cpu.max(0.01)
    }
}

/// The echo rounds: each runs wsdoctor-server, then Node `ws`, on fresh processes.
pub fn echo_rounds(
    server_bin: &Path,
    bench: &Path,
    node_modules: &Path,
) -> Result<(Vec<Echo>, Vec<Echo>), Error> {
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 1..=ECHO_ROUNDS {
        for which in [Which::Ours, Which::Node] {
            let server = Running::start(which, server_bin, node_modules)?;
            let run = echo(bench, &server)?;
            eprintln!(
                "round {round}, {}: {:.0} messages/s, p50 {:.0} µs, p99 {:.0} µs, server {:.0} % and load generator {:.0} % of a core",
                server.name,
                run.per_s,
                run.p50_us,
                run.p99_us,
                run.server_cpu * 100.0,
                run.client_cpu * 100.0
            );
            match which {
                Which::Ours => ours.push(run),
                Which::Node => theirs.push(run),
            }
        }
    }
    Ok((ours, theirs))
}

fn echo(bench: &Path, server: &Running) -> Result<Echo, Error> {
    let cpu_before = server.cpu_seconds();
    let out = cmd::output(pinned(CLIENT_CORE, bench).args([
        "echo",
        &server.url,
        &ECHO_CONNECTIONS.to_string(),
        &ECHO_SECONDS.to_string(),
        &ECHO_BYTES.to_string(),
    ]))
    .ok_or("the echo load failed")?;
    let server_cpu = (server.cpu_seconds() - cpu_before) / f64::from(ECHO_SECONDS);
    let value = |key: &str| cmd::number_after(&out, key);
    Ok(Echo {
        server_cpu,
        per_s: value("messages_per_s")?,
        p50_us: value("p50_us")?,
        p99_us: value("p99_us")?,
        client_cpu: value("cpu_s").unwrap_or(0.0) / f64::from(ECHO_SECONDS),
    })
}

/// The median of one figure over runs.
fn median_of(runs: &[Echo], figure: impl Fn(&Echo) -> f64) -> f64 {
    median(runs.iter().map(figure).collect())
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The memory and echo sections of `docs/PERFORMANCE.md`.
pub fn report(ours_idle: &[Idle], node_idle: &Idle, ours: &[Echo], theirs: &[Echo]) -> String {
    let rows: String = ours_idle
        .iter()
        .map(|idle| {
            format!(
                "| {} | {} | {} | {:.1} KiB | {:.1} s |\n",
                idle.connections,
                mib(idle.before_kib),
                mib(idle.with_kib),
                idle.per_connection_kib(),
                idle.open_secs
            )
        })
        .collect();
    let compared = ours_idle
        .iter()
        .find(|idle| idle.connections == IDLE_COMPARED);
    let ours_per = compared.map_or(0.0, Idle::per_connection_kib);
    let memory_goal = if ours_per <= 5.0 { "met" } else { "NOT met" };
    let per_s = median_of(ours, |e| e.per_s);
    let node_per_s = median_of(theirs, |e| e.per_s);
    let p99 = median_of(ours, |e| e.p99_us);
    let node_p99 = median_of(theirs, |e| e.p99_us);
    let ratio = per_s / node_per_s.max(1.0);
    let echo_goal = if ratio >= 2.0 && p99 <= node_p99 {
        "met"
    } else {
        "NOT met"
    };
    let client_cpu = median_of(ours, |e| e.client_cpu).max(median_of(theirs, |e| e.client_cpu));
    let saturation = if client_cpu >= 0.9 {
        format!(
            "The load generator used {:.0} % of its core (median): it is near saturation, so \
             the figures are a lower bound for the faster server.",
            client_cpu * 100.0
        )
    } else {
        format!(
            "The load generator used at most {:.0} % of its core (median): it was not the \
             bottleneck.",
            client_cpu * 100.0
        )
    };
    let echo_row = |name: &str, runs: &[Echo]| {
        format!(
            "| {name} | {:.0} | {:.0} µs | {:.0} µs | {:.0} % | {:.0} % | {:.0} |\n",
            median_of(runs, |e| e.per_s),
            median_of(runs, |e| e.p50_us),
            median_of(runs, |e| e.p99_us),
            median_of(runs, |e| e.server_cpu) * 100.0,
            median_of(runs, |e| e.client_cpu) * 100.0,
            median_of(runs, Echo::per_cpu_s),
        )
    };
    let efficiency = median_of(ours, Echo::per_cpu_s) / median_of(theirs, Echo::per_cpu_s).max(1.0);
    format!(
        "\n## Memory: idle WebSockets\n\n\
wsdoctor-server (release, defaults: metrics on), a fresh process for each count; the \
load generator holds the connections open (at most {PER_CLIENT} per process). The largest \
count is what fits under this machine's limit of 20,000 open files per process.\n\n\
| idle connections | resident, idle | resident with them | per connection | time to open all |\n\
| --- | --- | --- | --- | --- |\n\
{rows}\n\
Node `ws` {NODE_WS_VERSION} (with `bufferutil` and `utf-8-validate`) with {IDLE_COMPARED}: \
{} idle, {} with them, **{:.1} KiB** per connection.\n\n\
Goal: at most 5 KiB per idle connection at {IDLE_COMPARED}: **{memory_goal}** ({:.1} KiB). \
The server sets tungstenite's buffers explicitly (1 KiB read chunks, no write buffering) \
instead of the 128 KiB defaults, and boxes the companion's loop so an echo connection's \
task is not sized for it.\n\n\
## Echo: {ECHO_CONNECTIONS} connections × {ECHO_BYTES}-byte text messages, closed loop\n\n\
Each server is pinned to core {SERVER_CORE} (`taskset`) and the load generator to core \
{CLIENT_CORE}; {ECHO_ROUNDS} rounds of {ECHO_SECONDS} s, the two servers in turn within \
each round, a fresh process every run. Medians over the rounds.\n\n\
| server | messages/s | p50 latency | p99 latency | server CPU | load generator CPU | messages per server CPU second |\n\
| --- | --- | --- | --- | --- | --- | --- |\n\
{}{}\n\
Ratio wsdoctor-server / Node `ws`: **{ratio:.2}×** the messages per second, \
**{:.2}×** the p99 latency. Goal: at least 2× the messages per second with a p99 no \
worse than Node's: **{echo_goal}**. {saturation} Per second of the server's own CPU, \
wsdoctor-server echoes **{efficiency:.2}×** as many messages as Node `ws`: what each \
costs per message, whichever side was the bottleneck.\n",
        mib(node_idle.before_kib),
        mib(node_idle.with_kib),
        node_idle.per_connection_kib(),
        ours_per,
        echo_row("wsdoctor-server (release, plain echo)", ours),
        echo_row(&format!("Node `ws` {NODE_WS_VERSION} (echo)"), theirs),
        p99 / node_p99.max(1.0),
    )
}
