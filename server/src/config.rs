//! The server's flags: where to listen, where the built page is, and every limit.
//!
//! Parsing is by hand (a handful of flags), and every mistake gets one clear sentence.
//! Each limit has a safe default for a self-hosted tool; `docs/deploy.md` says which to
//! tighten for a public deployment.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// The flags, as shown by `--help`.
pub const USAGE: &str = "\
Usage: wsdoctor-server [FLAGS]

  --addr HOST:PORT              where to listen (default 127.0.0.1:8080; port 0 picks a free one)
  --dist DIR                    the built page to serve at / (default ./dist)
  --max-message-bytes N         largest message accepted; larger closes with 1009 (default 1048576)
  --max-connections N           open WebSockets in all; beyond, close 1013 (default 20000)
  --max-connections-per-client N  open WebSockets per client address (default 200)
  --max-sessions N              diagnostic sessions kept; the oldest go first (default 10000)
  --session-keep-secs N         how long a session's view outlives its last connection (default 900)
  --handshake-timeout-ms N      time allowed to finish the WebSocket upgrade (default 10000)
  --send-timeout-ms N           a client that takes longer to take one message is not reading:
                                it is dropped (default 10000)
  --max-queued-bytes-per-client N  bytes waiting for one client address to read them, in all
                                its connections; beyond, the sending connection is dropped
                                (default 16777216)
  --trusted-proxy IP            a proxy in front of the server (repeatable): for connections
                                from it, the client is the rightmost X-Forwarded-For address
                                that is not itself trusted (default: none, the peer is the client)
  --allow-origin ORIGIN         accept WebSockets only from this Origin (repeatable; default: any)
  --metrics on|off|HOST:PORT    /metrics beside the page (on, default), nowhere, or on its own address
  --restart-code CODE           close code sent to every client on shutdown (default 1001; 1012 for restart drills)
  -h, --help                    show this help
";

/// Where `/metrics` is served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetricsAt {
    /// Beside the page, on the main address.
    Main,
    /// On its own address (e.g. a private interface).
    Separate(SocketAddr),
    /// Not at all.
    Off,
}

/// What the server runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The address to listen on.
    pub addr: SocketAddr,
    /// The folder holding the built page (index.html and the wasm).
    pub dist: PathBuf,
    /// The largest message the server accepts; a larger one closes the connection (1009).
    pub max_message_bytes: usize,
    /// Open WebSockets in all.
    pub max_connections: usize,
    /// Open WebSockets per client address.
    pub max_connections_per_client: usize,
    /// Diagnostic sessions kept.
    pub max_sessions: usize,
    /// How long a session's view outlives its last connection.
    pub session_keep: Duration,
    /// Time allowed for the WebSocket upgrade to complete.
    pub handshake_timeout: Duration,
    /// How long one message may take to be taken by the client before it is dropped.
    pub send_timeout: Duration,
    /// Bytes waiting for one client address to read them, across its connections.
    pub max_queued_bytes_per_client: usize,
    /// Proxies in front of the server, whose X-Forwarded-For names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// Origins allowed to open WebSockets; empty: any.
    pub allow_origins: Vec<String>,
    /// Where `/metrics` is served.
    pub metrics: MetricsAt,
    /// The close code every client gets when the server stops.
    pub shutdown_code: u16,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            dist: PathBuf::from("dist"),
            max_message_bytes: 1024 * 1024,
            max_connections: 20_000,
            max_connections_per_client: 200,
            max_sessions: 10_000,
            session_keep: Duration::from_secs(15 * 60),
            handshake_timeout: Duration::from_secs(10),
            send_timeout: Duration::from_secs(10),
            max_queued_bytes_per_client: 16 * 1024 * 1024,
            trusted_proxies: Vec::new(),
            allow_origins: Vec::new(),
            metrics: MetricsAt::Main,
            shutdown_code: 1001,
        }
    }
}

/// A flag the server could not understand.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError(String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

fn positive(name: &str, text: &str) -> Result<usize, ConfigError> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ConfigError(format!(
            "{name} {text:?} is not a positive whole number"
        ))),
    }
}

fn address(name: &str, text: &str) -> Result<SocketAddr, ConfigError> {
    text.parse().map_err(|_| {
        ConfigError(format!(
            "{name} {text:?} is not HOST:PORT with an IP address, e.g. 127.0.0.1:8080"
        ))
    })
}

impl Config {
    /// Parses the flags (without the program name). `Ok(None)` means help was asked for.
    pub fn from_args(
        args: impl IntoIterator<Item = String>,
    ) -> Result<Option<Config>, ConfigError> {
        let mut config = Config::default();
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let (name, inline) = match flag.split_once('=') {
                Some((name, value)) => (name.to_string(), Some(value.to_string())),
                None => (flag.clone(), None),
            };
            if name == "-h" || name == "--help" {
                return Ok(None);
            }
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| ConfigError(format!("{name} needs a value")))
            };
            match name.as_str() {
                "--addr" => config.addr = address(&name, &value()?)?,
                "--dist" => config.dist = PathBuf::from(value()?),
                "--max-message-bytes" => config.max_message_bytes = positive(&name, &value()?)?,
                "--max-connections" => config.max_connections = positive(&name, &value()?)?,
                "--max-connections-per-client" => {
                    config.max_connections_per_client = positive(&name, &value()?)?
                }
                "--max-sessions" => config.max_sessions = positive(&name, &value()?)?,
                "--session-keep-secs" => {
                    config.session_keep = Duration::from_secs(positive(&name, &value()?)? as u64)
                }
                "--handshake-timeout-ms" => {
                    config.handshake_timeout =
                        Duration::from_millis(positive(&name, &value()?)? as u64)
                }
                "--send-timeout-ms" => {
                    config.send_timeout = Duration::from_millis(positive(&name, &value()?)? as u64)
                }
                "--max-queued-bytes-per-client" => {
                    config.max_queued_bytes_per_client = positive(&name, &value()?)?
                }
                "--trusted-proxy" => {
                    let text = value()?;
                    let ip = text.parse().map_err(|_| {
                        ConfigError(format!(
                            "--trusted-proxy {text:?} is not an IP address, e.g. 127.0.0.1"
                        ))
                    })?;
                    config.trusted_proxies.push(ip);
                }
                "--allow-origin" => config.allow_origins.push(value()?),
                "--metrics" => {
                    config.metrics = match value()?.as_str() {
                        "on" => MetricsAt::Main,
                        "off" => MetricsAt::Off,
                        other => MetricsAt::Separate(address(&name, other)?),
                    }
                }
                "--restart-code" => {
                    let text = value()?;
                    config.shutdown_code = match text.parse::<u16>() {
                        Ok(code) if wsdoctor_core::close_code::travels_on_wire(code) => code,
                        _ => {
                            return Err(ConfigError(format!(
                                "--restart-code {text:?} is not a close code that may be sent (1000-1003, 1007-1014, 3000-4999); use 1001 or 1012"
                            )));
                        }
                    };
                }
                _ => return Err(ConfigError(format!("unknown flag {flag:?}"))),
            }
        }
        Ok(Some(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Config>, ConfigError> {
        Config::from_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn no_flags_listen_on_loopback_8080_and_serve_dist() {
        let config = parse(&[]).unwrap().unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(config.dist, PathBuf::from("dist"));
        assert_eq!(config.max_message_bytes, 1024 * 1024);
        assert_eq!(config.shutdown_code, 1001);
    }

    #[test]
    fn flags_take_values_after_a_space_or_an_equals_sign() {
        let config = parse(&["--addr", "127.0.0.1:0", "--dist=/srv/page"])
            .unwrap()
            .unwrap();
        assert_eq!(config.addr.port(), 0);
        assert_eq!(config.dist, PathBuf::from("/srv/page"));
    }

    #[test]
    fn every_limit_has_a_flag() {
        let config = parse(&[
            "--max-connections=5",
            "--max-connections-per-client=2",
            "--max-sessions=3",
            "--session-keep-secs=60",
            "--handshake-timeout-ms=500",
            "--allow-origin=https://a.example",
            "--allow-origin=https://b.example",
            "--metrics=127.0.0.1:9100",
            "--restart-code=1012",
            "--send-timeout-ms=2500",
            "--max-queued-bytes-per-client=4096",
            "--trusted-proxy=127.0.0.1",
            "--trusted-proxy=::1",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(config.send_timeout, Duration::from_millis(2500));
        assert_eq!(config.max_queued_bytes_per_client, 4096);
        assert_eq!(config.trusted_proxies.len(), 2);
        assert!(parse(&["--trusted-proxy", "nginx"]).is_err());
        assert_eq!(config.max_connections, 5);
        assert_eq!(config.max_connections_per_client, 2);
        assert_eq!(config.max_sessions, 3);
        assert_eq!(config.session_keep, Duration::from_secs(60));
        assert_eq!(config.handshake_timeout, Duration::from_millis(500));
        assert_eq!(config.allow_origins.len(), 2);
        assert_eq!(
            config.metrics,
            MetricsAt::Separate("127.0.0.1:9100".parse().unwrap())
        );
        assert_eq!(config.shutdown_code, 1012);
        assert_eq!(
            parse(&["--metrics", "off"]).unwrap().unwrap().metrics,
            MetricsAt::Off
        );
    }

    #[test]
    fn a_host_name_instead_of_an_ip_is_refused_with_an_example() {
        let err = parse(&["--addr", "localhost:8080"]).unwrap_err();
        assert!(err.to_string().contains("e.g. 127.0.0.1:8080"), "{err}");
    }

    #[test]
    fn a_missing_value_is_named() {
        let err = parse(&["--dist"]).unwrap_err();
        assert_eq!(err.to_string(), "--dist needs a value");
    }

    #[test]
    fn zero_limits_and_unsendable_restart_codes_are_refused() {
        assert!(parse(&["--max-message-bytes", "0"]).is_err());
        assert!(parse(&["--max-connections", "-1"]).is_err());
        let err = parse(&["--restart-code", "1006"]).unwrap_err();
        assert!(err.to_string().contains("1012"), "{err}");
    }

    #[test]
    fn unknown_flags_are_refused_and_help_is_not_an_error() {
        assert!(parse(&["--port", "1"]).is_err());
        assert_eq!(parse(&["--help"]), Ok(None));
    }
}
