//! `cargo xtask`: the project's only entry points for people and CI.
//!
//! `serve` installs what is missing, builds the page and runs wsdoctor-server on
//! 127.0.0.1; `test` runs everything CI runs. Each step is timed, so slowness shows.
//! xtask has no dependencies of its own: it must compile in seconds on a fresh machine.

mod bench;
mod bench_browser;
mod bench_server;
mod cmd;
mod compress;
mod page;
mod paths;
mod serve;
mod steps;
mod survivors;
mod test;
mod tools;

use std::process::ExitCode;

const USAGE: &str = "\
Usage: cargo xtask <command>

Commands:
  serve [--addr HOST:PORT]   install what is missing, build the page, serve it and the
                             WebSocket endpoint (default 127.0.0.1:8080)
  test                       everything CI runs: fmt, clippy (host and wasm32), native
                             tests, browser tests in headless Chromium, the page build,
                             end-to-end tests (Chromium, wsdoctor-server, nginx)
  bench                      server memory with 10,000 idle connections, echo speed
                             against Node `ws`, the page under a flood next to a raw
                             JavaScript counter, the idle experiment's time to verdict
                             behind nginx; writes docs/PERFORMANCE.md
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let outcome = match command {
        "serve" => serve::run(rest),
        "test" if rest.is_empty() => test::run(),
        "bench" if rest.is_empty() => bench::run(),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("xtask: unknown command or arguments: {}\n", args.join(" "));
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nxtask: {err}");
            ExitCode::FAILURE
        }
    }
}
