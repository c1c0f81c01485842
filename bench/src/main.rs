//! The load generator of `cargo xtask bench`. It only ever connects to loopback, and every
//! run is bounded in count and time.
//!
//! `wsdoctor-bench idle URL N HOLD_SECS`: opens N idle connections, holds them, prints
//! `opened N` once they are all open (the caller measures the server then), and closes.
//! `wsdoctor-bench echo URL CONNECTIONS SECS BYTES`: each connection sends a message of
//! BYTES, waits for its echo, and repeats for SECS; prints messages/s, latency
//! percentiles and the CPU time this process used (`cpu_s`, to tell whether the load
//! generator was the bottleneck) as `key=value` lines.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

// One thread: the load generator is pinned to one core, where a work-stealing runtime
// only spends cycles the servers under test should be measured against.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["idle", url, n, hold] => idle(url, parse(n), parse(hold)).await,
        ["echo", url, conns, secs, bytes] => {
            echo(url, parse(conns), parse(secs), parse(bytes)).await
        }
        _ => Err(
            "usage: wsdoctor-bench idle URL N HOLD_SECS | echo URL CONNECTIONS SECS BYTES".into(),
        ),
    };
    if let Err(err) = result {
        eprintln!("wsdoctor-bench: {err}");
        std::process::exit(1);
    }
}

fn parse(text: &str) -> u64 {
    text.parse().unwrap_or_else(|_| {
        eprintln!("wsdoctor-bench: {text:?} is not a number");
        std::process::exit(2)
    })
}

fn loopback_only(url: &str) -> Result<(), String> {
    if url.starts_with("ws://127.")
        || url.starts_with("ws://[::1]")
        || url.starts_with("ws://localhost")
    {
        Ok(())
    } else {
        Err(format!(
            "refusing {url}: benchmarks send traffic to loopback only"
        ))
    }
}

async fn idle(url: &str, n: u64, hold_secs: u64) -> Result<(), String> {
    loopback_only(url)?;
    let mut sockets = Vec::with_capacity(n as usize);
    let started = Instant::now();
    for i in 0..n {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .map_err(|e| format!("connection {i} failed: {e}"))?;
        sockets.push(ws);
    }
    println!("opened {n} in {:.1} s", started.elapsed().as_secs_f64());
    tokio::time::sleep(Duration::from_secs(hold_secs)).await;
    for mut ws in sockets {
        let _ = ws.close(None).await;
    }
    Ok(())
}

async fn echo(url: &str, conns: u64, secs: u64, bytes: u64) -> Result<(), String> {
    loopback_only(url)?;
    let payload = "x".repeat(bytes as usize);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (mut ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .map_err(|e| format!("connect failed: {e}"))?;
        let payload = payload.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies_us = Vec::new();
            while Instant::now() < deadline {
                let sent = Instant::now();
                if ws.send(Message::text(payload.clone())).await.is_err() {
                    break;
                }
                match ws.next().await {
                    Some(Ok(Message::Text(_))) => {
                        latencies_us.push(sent.elapsed().as_micros() as u64)
                    }
                    _ => break,
                }
            }
            let _ = ws.close(None).await;
            latencies_us
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.map_err(|e| e.to_string())?);
    }
    if all.is_empty() {
        return Err("no echo came back".into());
    }
    all.sort_unstable();
    let pct = |p: f64| all[((p * all.len() as f64).ceil() as usize).clamp(1, all.len()) - 1];
    println!("messages={}", all.len());
    println!("messages_per_s={:.0}", all.len() as f64 / secs as f64);
    println!("p50_us={}", pct(0.50));
    println!("p99_us={}", pct(0.99));
    println!("max_us={}", all[all.len() - 1]);
    if let Some(cpu) = own_cpu_seconds() {
        println!("cpu_s={cpu:.3}");
    }
    Ok(())
}

/// The CPU time (user and system) this process has used, from `/proc/self/stat`.
fn own_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}
