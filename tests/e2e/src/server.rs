//! wsdoctor-server as a real process on a free loopback port.

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::{GroupChild, ScratchDir, env_path, read_log};

/// A running wsdoctor-server.
pub struct Server {
    addr: SocketAddr,
    _process: GroupChild,
    _dir: ScratchDir,
}

impl Server {
    /// Starts the server built by `cargo xtask test`, serving the built page.
    pub fn start() -> Server {
        Server::start_with(None, &[])
    }

    /// Starts the server on `addr` (`None`: a free port) with extra flags, e.g.
    /// `--restart-code 1012`. Starting on the address of a stopped server is a restart.
    pub fn start_with(addr: Option<SocketAddr>, flags: &[&str]) -> Server {
        Server::launch(&env_path("WSDOCTOR_DIST"), addr, flags)
    }

    /// Starts a server on a free port serving the page in `dist` instead of the app's
    /// (the benchmark's reference page).
    pub fn serving(dist: &std::path::Path) -> Server {
        Server::launch(dist, None, &[])
    }

    fn launch(dist: &std::path::Path, addr: Option<SocketAddr>, flags: &[&str]) -> Server {
        let addr = addr.map_or_else(|| "127.0.0.1:0".to_string(), |a| a.to_string());
        let mut command = Server::command();
        command
            .args(["--addr", &addr, "--dist"])
            .arg(dist)
            .args(flags)
            .env("RUST_LOG", "info");
        Server::start_command(command)
    }

    /// A command that runs the server binary built by `cargo xtask test`, with no
    /// arguments yet.
    pub fn command() -> Command {
        Command::new(env_path("WSDOCTOR_SERVER_BIN"))
    }

    /// Starts `command` (from [`Server::command`], with its arguments and environment)
    /// and waits until the server says where it listens.
    pub fn start_command(command: Command) -> Server {
        let dir = ScratchDir::new("server");
        let log = dir.path().join("server.log");
        let mut process = GroupChild::spawn("wsdoctor-server", command, &log);
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(addr) = listening_addr(&read_log(&log)) {
                return Server {
                    addr,
                    _process: process,
                    _dir: dir,
                };
            }
            if process.has_exited() || Instant::now() > deadline {
                panic!("wsdoctor-server did not start:\n{}", read_log(&log));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server (its whole process group), as a crash or a restart would.
    pub fn stop(self) {
        drop(self);
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The page's address, e.g. `http://127.0.0.1:41234/`.
    pub fn page_url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

/// The address in the server's "listening on http://ADDR/" log line.
fn listening_addr(log: &str) -> Option<SocketAddr> {
    let start = log.find("listening on http://")? + "listening on http://".len();
    let rest = &log[start..];
    rest[..rest.find('/')?].parse().ok()
}
