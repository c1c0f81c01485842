//! The server's flags: where to listen, where the built page is, and the limits.
//!
//! Parsing is by hand (a handful of flags), and every mistake gets one clear sentence.

use std::net::SocketAddr;
use std::path::PathBuf;

/// The flags, as shown by `--help`.
pub const USAGE: &str = "\
Usage: wsdoctor-server [--addr HOST:PORT] [--dist DIR] [--max-message-bytes N]

  --addr HOST:PORT         where to listen (default 127.0.0.1:8080; port 0 picks a free one)
  --dist DIR               the built page to serve at / (default ./dist)
  --max-message-bytes N    largest WebSocket message accepted (default 1048576)
  -h, --help               show this help
";

/// What the server runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The address to listen on.
    pub addr: SocketAddr,
    /// The folder holding the built page (index.html and the wasm).
    pub dist: PathBuf,
    /// The largest message the server accepts; a larger one closes the connection.
    pub max_message_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            dist: PathBuf::from("dist"),
            max_message_bytes: 1024 * 1024,
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
                "--addr" => {
                    let text = value()?;
                    config.addr = text.parse().map_err(|_| {
                        ConfigError(format!(
                            "--addr {text:?} is not HOST:PORT with an IP address, e.g. 127.0.0.1:8080"
                        ))
                    })?;
                }
                "--dist" => config.dist = PathBuf::from(value()?),
                "--max-message-bytes" => {
                    let text = value()?;
                    config.max_message_bytes = match text.parse::<usize>() {
                        Ok(n) if n > 0 => n,
                        _ => {
                            return Err(ConfigError(format!(
                                "--max-message-bytes {text:?} is not a positive whole number"
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
        assert_eq!(config.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(config.dist, PathBuf::from("dist"));
        assert_eq!(config.max_message_bytes, 1024 * 1024);
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
    fn zero_message_size_is_refused() {
        assert!(parse(&["--max-message-bytes", "0"]).is_err());
    }

    #[test]
    fn unknown_flags_are_refused_and_help_is_not_an_error() {
        assert!(parse(&["--port", "1"]).is_err());
        assert_eq!(parse(&["--help"]), Ok(None));
    }
}
