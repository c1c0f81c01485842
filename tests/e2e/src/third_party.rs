//! Servers nobody here wrote, as real processes on free loopback ports: an echo server on
//! npm `ws` and one on Python `websockets` (the seed article's), with their own defaults
//! for subprotocols and pings, and the framework servers of the protocol profiles (npm
//! `socket.io`, `graphql-ws`, `subscriptions-transport-ws`). `cargo xtask test` installs
//! them (`WSDOCTOR_NODE_MODULES`, `WSDOCTOR_PYTHON`, `WSDOCTOR_FRAMEWORK_MODULES`); the
//! scripts are in `tests/e2e/fixtures/`. Each is stopped (its
//! whole process group) when dropped.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::{GroupChild, ScratchDir, env_path, read_log};

/// A running third-party echo server.
pub struct ThirdPartyServer {
    addr: SocketAddr,
    _process: GroupChild,
    _dir: ScratchDir,
}

/// How the Python `websockets` server is set up.
#[derive(Clone, Debug, Default)]
pub struct PythonOptions {
    /// Its own Ping frames every this long (`None`: none).
    pub ping_interval: Option<Duration>,
    /// The subprotocols it supports (none: it negotiates none, like most servers).
    pub subprotocols: Vec<String>,
    /// Refuse (400) a handshake that offers none of `subprotocols`.
    pub require_subprotocol: bool,
}

impl ThirdPartyServer {
    /// npm `ws` with its defaults: it picks the first subprotocol offered and never pings.
    pub fn node_ws() -> ThirdPartyServer {
        let modules = env_path("WSDOCTOR_NODE_MODULES");
        let mut command = Command::new("node");
        command
            .arg(fixture("node_ws_echo.js"))
            .env("NODE_PATH", modules);
        ThirdPartyServer::start("node ws", command)
    }

    /// Python `websockets` set up by `options`.
    pub fn python_websockets(options: &PythonOptions) -> ThirdPartyServer {
        let mut command = Command::new(env_path("WSDOCTOR_PYTHON"));
        command.arg(fixture("python_websockets_echo.py"));
        if let Some(every) = options.ping_interval {
            command.args(["--ping-interval", &every.as_secs_f64().to_string()]);
        }
        for protocol in &options.subprotocols {
            command.args(["--subprotocol", protocol]);
        }
        if options.require_subprotocol {
            command.arg("--require");
        }
        ThirdPartyServer::start("python websockets", command)
    }

    /// A framework server (`framework_servers.js`): `socketio` with pingInterval and
    /// pingTimeout of `ms` each, `graphql-ws` waiting `ms` for connection_init, or
    /// `subscriptions-transport-ws` sending a keep-alive every `ms`.
    pub fn framework(kind: &str, ms: u64) -> ThirdPartyServer {
        let mut command = Command::new("node");
        command
            .arg(fixture("framework_servers.js"))
            .args([kind, &ms.to_string()])
            .env("NODE_PATH", env_path("WSDOCTOR_FRAMEWORK_MODULES"));
        ThirdPartyServer::start(kind, command)
    }

    fn start(name: &str, command: Command) -> ThirdPartyServer {
        let dir = ScratchDir::new(&name.replace(' ', "-"));
        let log = dir.path().join("server.log");
        let mut process = GroupChild::spawn(name, command, &log);
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let text = read_log(&log);
            if let Some(port) = text
                .split("listening on ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|port| port.parse::<u16>().ok())
            {
                return ThirdPartyServer {
                    addr: SocketAddr::from(([127, 0, 0, 1], port)),
                    _process: process,
                    _dir: dir,
                };
            }
            if process.has_exited() || Instant::now() > deadline {
                panic!("{name} did not start:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its WebSocket URL.
    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }
}

fn fixture(name: &str) -> PathBuf {
    crate::package_dir().join("fixtures").join(name)
}
