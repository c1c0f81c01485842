//! The server's flags: where to listen, where the built page is, and every limit.
//!
//! Read with clap: every flag also has an environment variable (`--addr` and
//! `WSDOCTOR_ADDR`, ...), a flag given on the command line wins, and each default is
//! written once, as a constant below. A bad value gets one clear sentence. Each limit has
//! a safe default for a self-hosted tool; `docs/deploy.md` says which to tighten for a
//! public deployment.

use std::ffi::OsString;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// Where the server listens unless told otherwise.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// The built page's folder unless told otherwise.
pub const DEFAULT_DIST: &str = "dist";
/// The largest message accepted by default (1 MiB).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// Open WebSockets in all, by default.
pub const DEFAULT_MAX_CONNECTIONS: usize = 20_000;
/// Open WebSockets per client address, by default.
pub const DEFAULT_MAX_CONNECTIONS_PER_CLIENT: usize = 200;
/// Diagnostic sessions kept, by default.
pub const DEFAULT_MAX_SESSIONS: usize = 10_000;
/// How long a session outlives its last connection, by default (s).
pub const DEFAULT_SESSION_KEEP_SECS: u64 = 15 * 60;
/// Time allowed for the upgrade, by default (ms).
pub const DEFAULT_HANDSHAKE_TIMEOUT_MS: u64 = 10_000;
/// Time a client may take to take one message, by default (ms).
pub const DEFAULT_SEND_TIMEOUT_MS: u64 = 10_000;
/// Bytes waiting for one client address, by default (16 MiB).
pub const DEFAULT_MAX_QUEUED_BYTES_PER_CLIENT: usize = 16 * 1024 * 1024;
/// The close code sent on shutdown, by default.
pub const DEFAULT_RESTART_CODE: u16 = 1001;

/// The command line, as clap reads it (see `Config` for the values in force).
#[derive(Parser, Debug)]
#[command(
    name = "wsdoctor-server",
    version,
    about = "Serves the wsdoctor page, its diagnostic WebSocket endpoint (/ws) and /metrics.",
    after_help = "Every flag can also be set by its environment variable (shown in brackets); \
                  a flag on the command line wins. Repeatable flags take a comma list there."
)]
struct Flags {
    /// Where to listen, HOST:PORT (port 0 picks a free one)
    #[arg(long, env = "WSDOCTOR_ADDR", value_name = "HOST:PORT", default_value = DEFAULT_ADDR, value_parser = address)]
    addr: SocketAddr,
    /// The built page to serve at /
    #[arg(long, env = "WSDOCTOR_DIST", value_name = "DIR", default_value = DEFAULT_DIST)]
    dist: PathBuf,
    /// Largest message accepted; a larger one closes the connection with 1009
    #[arg(long, env = "WSDOCTOR_MAX_MESSAGE_BYTES", value_name = "N", default_value_t = DEFAULT_MAX_MESSAGE_BYTES, value_parser = positive)]
    max_message_bytes: usize,
    /// Open WebSockets in all; beyond, new ones are closed with 1013
    #[arg(long, env = "WSDOCTOR_MAX_CONNECTIONS", value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS, value_parser = positive)]
    max_connections: usize,
    /// Open WebSockets per client address
    #[arg(long, env = "WSDOCTOR_MAX_CONNECTIONS_PER_CLIENT", value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS_PER_CLIENT, value_parser = positive)]
    max_connections_per_client: usize,
    /// Diagnostic sessions kept; the oldest go first
    #[arg(long, env = "WSDOCTOR_MAX_SESSIONS", value_name = "N", default_value_t = DEFAULT_MAX_SESSIONS, value_parser = positive)]
    max_sessions: usize,
    /// How long a session's view outlives its last connection, in seconds
    #[arg(long, env = "WSDOCTOR_SESSION_KEEP_SECS", value_name = "N", default_value_t = DEFAULT_SESSION_KEEP_SECS, value_parser = positive_u64)]
    session_keep_secs: u64,
    /// Time allowed to finish the WebSocket upgrade, in ms
    #[arg(long, env = "WSDOCTOR_HANDSHAKE_TIMEOUT_MS", value_name = "N", default_value_t = DEFAULT_HANDSHAKE_TIMEOUT_MS, value_parser = positive_u64)]
    handshake_timeout_ms: u64,
    /// A client that takes longer than this (ms) to take one message is not reading: it is dropped
    #[arg(long, env = "WSDOCTOR_SEND_TIMEOUT_MS", value_name = "N", default_value_t = DEFAULT_SEND_TIMEOUT_MS, value_parser = positive_u64)]
    send_timeout_ms: u64,
    /// Bytes waiting for one client address to read them, in all its connections; beyond, the sending connection is dropped
    #[arg(long, env = "WSDOCTOR_MAX_QUEUED_BYTES_PER_CLIENT", value_name = "N", default_value_t = DEFAULT_MAX_QUEUED_BYTES_PER_CLIENT, value_parser = positive)]
    max_queued_bytes_per_client: usize,
    /// A proxy in front of the server (repeatable): for connections from it, the client is the rightmost X-Forwarded-For address that is not itself trusted [default: none, the peer is the client]
    #[arg(long = "trusted-proxy", env = "WSDOCTOR_TRUSTED_PROXY", value_name = "IP", value_delimiter = ',', value_parser = ip_address)]
    trusted_proxies: Vec<IpAddr>,
    /// Accept WebSockets only from this Origin (repeatable) [default: any]
    #[arg(
        long = "allow-origin",
        env = "WSDOCTOR_ALLOW_ORIGIN",
        value_name = "ORIGIN",
        value_delimiter = ','
    )]
    allow_origins: Vec<String>,
    /// /metrics beside the page (on), nowhere (off), or on its own address (HOST:PORT)
    #[arg(long, env = "WSDOCTOR_METRICS", value_name = "on|off|HOST:PORT", default_value = "on", value_parser = metrics_at)]
    metrics: MetricsAt,
    /// Close code sent to every client on shutdown (1012 for restart drills)
    #[arg(long = "restart-code", env = "WSDOCTOR_RESTART_CODE", value_name = "CODE", default_value_t = DEFAULT_RESTART_CODE, value_parser = restart_code)]
    restart_code: u16,
}

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
            addr: address(DEFAULT_ADDR)
                .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8080))),
            dist: PathBuf::from(DEFAULT_DIST),
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_client: DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
            max_sessions: DEFAULT_MAX_SESSIONS,
            session_keep: Duration::from_secs(DEFAULT_SESSION_KEEP_SECS),
            handshake_timeout: Duration::from_millis(DEFAULT_HANDSHAKE_TIMEOUT_MS),
            send_timeout: Duration::from_millis(DEFAULT_SEND_TIMEOUT_MS),
            max_queued_bytes_per_client: DEFAULT_MAX_QUEUED_BYTES_PER_CLIENT,
            trusted_proxies: Vec::new(),
            allow_origins: Vec::new(),
            metrics: MetricsAt::Main,
            shutdown_code: DEFAULT_RESTART_CODE,
        }
    }
}

impl From<Flags> for Config {
    fn from(flags: Flags) -> Config {
        Config {
            addr: flags.addr,
            dist: flags.dist,
            max_message_bytes: flags.max_message_bytes,
            max_connections: flags.max_connections,
            max_connections_per_client: flags.max_connections_per_client,
            max_sessions: flags.max_sessions,
            session_keep: Duration::from_secs(flags.session_keep_secs),
            handshake_timeout: Duration::from_millis(flags.handshake_timeout_ms),
            send_timeout: Duration::from_millis(flags.send_timeout_ms),
            max_queued_bytes_per_client: flags.max_queued_bytes_per_client,
            trusted_proxies: flags.trusted_proxies,
            allow_origins: flags.allow_origins,
            metrics: flags.metrics,
            shutdown_code: flags.restart_code,
        }
    }
}

fn positive(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("not a positive whole number".into()),
    }
}

fn positive_u64(text: &str) -> Result<u64, String> {
    positive(text).map(|n| n as u64)
}

fn address(text: &str) -> Result<SocketAddr, String> {
    text.parse()
        .map_err(|_| "not HOST:PORT with an IP address, e.g. 127.0.0.1:8080".into())
}

fn ip_address(text: &str) -> Result<IpAddr, String> {
    text.parse()
        .map_err(|_| "not an IP address, e.g. 127.0.0.1".into())
}

fn metrics_at(text: &str) -> Result<MetricsAt, String> {
    match text {
        "on" => Ok(MetricsAt::Main),
        "off" => Ok(MetricsAt::Off),
        other => address(other).map(MetricsAt::Separate).map_err(|_| {
            "not on, off, or HOST:PORT with an IP address, e.g. 127.0.0.1:9100".into()
        }),
    }
}

fn restart_code(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(code) if wsdoctor_core::close_code::travels_on_wire(code) => Ok(code),
        _ => Err(
            "not a close code that may be sent (1000-1003, 1007-1014, 3000-4999); use 1001 or 1012"
                .into(),
        ),
    }
}

impl Config {
    /// Reads the flags (`args` without the program name) and, for flags not given, their
    /// environment variables. `--help`, `--version` and mistakes come back as clap's
    /// error, whose `exit()` prints them and ends the program with the right status.
    pub fn from_args<I, T>(args: I) -> Result<Config, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let program = std::iter::once(OsString::from("wsdoctor-server"));
        let args = program.chain(args.into_iter().map(Into::into));
        Flags::try_parse_from(args).map(Config::from)
    }
}

#[cfg(test)]
mod tests {
    use clap::error::ErrorKind;

    use super::*;

    fn parse(args: &[&str]) -> Result<Config, clap::Error> {
        Config::from_args(args)
    }

    #[test]
    fn no_flags_listen_on_loopback_8080_and_serve_dist() {
        let config = parse(&[]).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(config.dist, PathBuf::from("dist"));
        assert_eq!(config.max_message_bytes, 1024 * 1024);
        assert_eq!(config.shutdown_code, 1001);
    }

    #[test]
    fn flags_take_values_after_a_space_or_an_equals_sign() {
        let config = parse(&["--addr", "127.0.0.1:0", "--dist=/srv/page"]).unwrap();
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
            parse(&["--metrics", "off"]).unwrap().metrics,
            MetricsAt::Off
        );
    }

    #[test]
    fn every_flag_has_an_environment_variable_named_after_it() {
        let command = <Flags as clap::CommandFactory>::command();
        for arg in command.get_arguments() {
            let Some(long) = arg.get_long() else {
                continue; // -h/--help and -V/--version
            };
            if long == "help" || long == "version" {
                continue;
            }
            let wanted = format!("WSDOCTOR_{}", long.to_uppercase().replace('-', "_"));
            assert_eq!(
                arg.get_env().and_then(|e| e.to_str()),
                Some(wanted.as_str()),
                "--{long}"
            );
        }
    }

    #[test]
    fn a_host_name_instead_of_an_ip_is_refused_with_an_example() {
        let err = parse(&["--addr", "localhost:8080"]).unwrap_err();
        assert!(err.to_string().contains("e.g. 127.0.0.1:8080"), "{err}");
        assert!(err.to_string().contains("--addr"), "{err}");
    }

    #[test]
    fn a_missing_value_is_named() {
        let err = parse(&["--dist"]).unwrap_err();
        assert!(err.to_string().contains("--dist"), "{err}");
        assert!(err.to_string().contains("value is required"), "{err}");
    }

    #[test]
    fn zero_limits_and_unsendable_restart_codes_are_refused() {
        assert!(parse(&["--max-message-bytes", "0"]).is_err());
        assert!(parse(&["--max-connections", "-1"]).is_err());
        let err = parse(&["--restart-code", "1006"]).unwrap_err();
        assert!(err.to_string().contains("1012"), "{err}");
    }

    #[test]
    fn unknown_flags_are_refused_and_help_and_version_are_not_errors() {
        assert_eq!(
            parse(&["--port", "1"]).unwrap_err().kind(),
            ErrorKind::UnknownArgument
        );
        let help = parse(&["--help"]).unwrap_err();
        assert_eq!(help.kind(), ErrorKind::DisplayHelp);
        let text = help.to_string();
        for flag in [
            "--addr",
            "--max-message-bytes",
            "--trusted-proxy",
            "WSDOCTOR_ADDR",
        ] {
            assert!(text.contains(flag), "help names {flag}: {text}");
        }
        assert_eq!(
            parse(&["--version"]).unwrap_err().kind(),
            ErrorKind::DisplayVersion
        );
    }
}
