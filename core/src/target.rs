//! The WebSocket target a user tests: where the default comes from.
//!
//! A page served by wsdoctor-server finds the companion endpoint beside itself, so the
//! default target is the page's own origin with `ws://` or `wss://` to match the page's
//! scheme (an https page may not open ws://: mixed content). A typed target is checked
//! here before any socket is made, so every mistake gets a sentence that says how to fix
//! it (browsers resolve "not a url" against the page and connect somewhere else). This
//! module only turns strings into strings; reading the page's location is the browser
//! layer's job.

use std::fmt;

use crate::COMPANION_PATH;

/// What is wrong with a typed target, each with a message that says how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetError {
    /// Nothing was typed.
    Empty,
    /// The URL has a space or another blank inside.
    Whitespace,
    /// No `scheme://` at the start.
    NoScheme,
    /// `http://` or `https://`: a page address, not a WebSocket one.
    HttpScheme {
        /// The scheme to use instead (`ws` or `wss`).
        instead: &'static str,
    },
    /// Another scheme than ws or wss.
    WrongScheme {
        /// The scheme that was typed.
        scheme: String,
    },
    /// Nothing between `://` and the path.
    NoHost,
    /// The host has characters no host name has.
    BadHost {
        /// The host as typed.
        host: String,
    },
    /// The port is not a number from 1 to 65535.
    BadPort {
        /// The port as typed.
        port: String,
    },
    /// A `#fragment`, which WebSocket URLs may not have.
    Fragment,
    /// A `ws://` target from an https page: the browser refuses it (mixed content).
    MixedContent,
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::Empty => {
                write!(f, "Enter a WebSocket URL, e.g. wss://example.com/socket.")
            }
            TargetError::Whitespace => write!(
                f,
                "The URL contains a space or another blank; WebSocket URLs cannot (write a space in a path or query as %20)."
            ),
            TargetError::NoScheme => write!(
                f,
                "Start the URL with ws:// or wss://, e.g. wss://example.com/socket."
            ),
            TargetError::HttpScheme { instead } => write!(
                f,
                "That is a web page address; a WebSocket URL starts with {instead}:// instead."
            ),
            TargetError::WrongScheme { scheme } => write!(
                f,
                "\"{scheme}://\" is not a WebSocket scheme: use ws:// or wss://."
            ),
            TargetError::NoHost => {
                write!(f, "The URL has no host: write one after ws:// or wss://.")
            }
            TargetError::BadHost { host } => write!(
                f,
                "\"{host}\" is not a host name or IP address (letters, digits, dots and hyphens, or [IPv6])."
            ),
            TargetError::BadPort { port } => {
                write!(f, "The port \"{port}\" is not a number from 1 to 65535.")
            }
            TargetError::Fragment => write!(
                f,
                "WebSocket URLs cannot have a #fragment: remove the # and what follows."
            ),
            TargetError::MixedContent => write!(
                f,
                "This page was loaded over https, so the browser refuses an unencrypted ws:// connection (mixed content): use wss://, or open wsdoctor over http."
            ),
        }
    }
}

impl std::error::Error for TargetError {}

/// Checks a typed target and returns it trimmed, or says what is wrong. `page_is_https`:
/// whether the page itself was loaded over https (then ws:// is mixed content).
pub fn check_target(input: &str, page_is_https: bool) -> Result<String, TargetError> {
    let url = input.trim();
    if url.is_empty() {
        return Err(TargetError::Empty);
    }
    if url.chars().any(char::is_whitespace) {
        return Err(TargetError::Whitespace);
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(TargetError::NoScheme);
    };
    let scheme = scheme.to_ascii_lowercase();
    match scheme.as_str() {
        "ws" | "wss" => {}
        "http" => return Err(TargetError::HttpScheme { instead: "ws" }),
        "https" => return Err(TargetError::HttpScheme { instead: "wss" }),
        _ => return Err(TargetError::WrongScheme { scheme }),
    }
    if rest.contains('#') {
        return Err(TargetError::Fragment);
    }
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = split_host_port(host_port);
    if host.is_empty() {
        return Err(TargetError::NoHost);
    }
    if !is_host(host) {
        return Err(TargetError::BadHost {
            host: host.to_string(),
        });
    }
    if let Some(port) = port.filter(|p| !is_port(p)) {
        return Err(TargetError::BadPort {
            port: port.to_string(),
        });
    }
    if page_is_https && scheme == "ws" {
        return Err(TargetError::MixedContent);
    }
    Ok(url.to_string())
}

/// Parses a comma-separated list of subprotocols (empty: none). Each must be an HTTP
/// token (RFC 7230), as the `Sec-WebSocket-Protocol` header requires, and appear once.
pub fn parse_subprotocols(text: &str) -> Result<Vec<String>, String> {
    let mut protocols: Vec<String> = Vec::new();
    for name in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let is_token = name
            .chars()
            .all(|c| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?={}".contains(c));
        if !is_token {
            return Err(format!(
                "\"{name}\" is not a valid subprotocol name: use letters, digits and .-_~!#$%&'*+^`| only"
            ));
        }
        if protocols.iter().any(|p| p == name) {
            return Err(format!("the subprotocol \"{name}\" is listed twice"));
        }
        protocols.push(name.to_string());
    }
    Ok(protocols)
}

/// Splits `host[:port]`, where host may be a bracketed IPv6 address.
fn split_host_port(host_port: &str) -> (&str, Option<&str>) {
    if host_port.starts_with('[') {
        return match host_port.find(']') {
            Some(end) => {
                let port = host_port[end + 1..].strip_prefix(':');
                (&host_port[..=end], port)
            }
            None => (host_port, None),
        };
    }
    match host_port.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (host_port, None),
    }
}

/// Whether `port` is a plain number from 1 to 65535.
fn is_port(port: &str) -> bool {
    port.bytes().all(|b| b.is_ascii_digit()) && matches!(port.parse::<u32>(), Ok(1..=65535))
}

/// Whether `host` looks like a host name, an IPv4 address or a bracketed IPv6 address.
fn is_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[') {
        return inner.strip_suffix(']').is_some_and(|ip| {
            !ip.is_empty()
                && ip
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        });
    }
    host.chars()
        .all(|c| c.is_alphanumeric() || c == '-' || c == '.' || c == '_' || c == '%')
}

/// The default target for a page at `page_scheme` (`"http:"`, `"https:"`, with or
/// without the colon, any case) and `page_host` (`host[:port]`, as `location.host`).
///
/// Returns `None` when the page has no host or is not served over http(s), e.g. a
/// `file:` page: there is no companion beside it, and the user must type a target.
pub fn default_target(page_scheme: &str, page_host: &str) -> Option<String> {
    let scheme = page_scheme.trim_end_matches(':').to_ascii_lowercase();
    let ws_scheme = match scheme.as_str() {
        "http" => "ws",
        "https" => "wss",
        _ => return None,
    };
    let host = page_host.trim();
    if host.is_empty() {
        return None;
    }
    Some(format!("{ws_scheme}://{host}{COMPANION_PATH}"))
}

/// What a masked secret shows instead of its value.
pub const MASK: &str = "••••";

/// Query parameter names (or parts of names) that carry secrets.
const SECRET_NAMES: &[&str] = &[
    "token",
    "key",
    "secret",
    "pass",
    "pwd",
    "auth",
    "sig",
    "session",
    "jwt",
    "credential",
    "code",
    "ticket",
    "bearer",
];

/// Whether a query parameter called `name` likely carries a secret.
pub fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_NAMES.iter().any(|secret| name.contains(secret))
}

/// The URL with the values of secret-looking query parameters (tokens, keys, passwords,
/// signatures, ...) and any user:password part replaced by `MASK`, for the screen,
/// exports and reports. Other text is returned unchanged.
pub fn mask_secrets(url: &str) -> String {
    let (before_fragment, fragment) = match url.find('#') {
        Some(at) => url.split_at(at),
        None => (url, ""),
    };
    let (base, query) = match before_fragment.find('?') {
        Some(at) => (&before_fragment[..at], Some(&before_fragment[at + 1..])),
        None => (before_fragment, None),
    };
    let mut out = mask_userinfo(base);
    if let Some(query) = query {
        out.push('?');
        let masked: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, value)) if is_secret_name(name) && !value.is_empty() => {
                    format!("{name}={MASK}")
                }
                _ => pair.to_string(),
            })
            .collect();
        out.push_str(&masked.join("&"));
    }
    out.push_str(fragment);
    out
}

/// `scheme://user:password@host/...` becomes `scheme://user:••••@host/...`.
fn mask_userinfo(base: &str) -> String {
    let Some(scheme_end) = base.find("://") else {
        return base.to_string();
    };
    let authority_start = scheme_end + 3;
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |at| authority_start + at);
    let authority = &base[authority_start..authority_end];
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!(
                "{}{user}:{MASK}@{host}{}",
                &base[..authority_start],
                &base[authority_end..]
            )
        }
        None => base.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_page_targets_ws_on_its_own_origin() {
        assert_eq!(
            default_target("http:", "127.0.0.1:8080").as_deref(),
            Some("ws://127.0.0.1:8080/ws")
        );
    }

    #[test]
    fn https_page_targets_wss_to_avoid_mixed_content() {
        assert_eq!(
            default_target("https:", "diag.example.com").as_deref(),
            Some("wss://diag.example.com/ws")
        );
    }

    #[test]
    fn scheme_is_accepted_without_colon_and_in_any_case() {
        assert_eq!(
            default_target("HTTPS", "[::1]:9000").as_deref(),
            Some("wss://[::1]:9000/ws")
        );
    }

    #[test]
    fn file_page_has_no_default_target() {
        assert_eq!(default_target("file:", ""), None);
        assert_eq!(default_target("file:", "somehost"), None);
    }

    #[test]
    fn page_without_host_has_no_default_target() {
        assert_eq!(default_target("http:", "  "), None);
    }

    #[test]
    fn good_targets_pass_trimmed() {
        for (input, https) in [
            ("ws://127.0.0.1:8080/ws", false),
            ("  wss://example.com/socket?room=7  ", true),
            ("WSS://Example.COM", true),
            ("ws://[::1]:9000/ws", false),
            ("wss://user@host.example:443/x", true),
            ("ws://my_host.local", false),
        ] {
            assert_eq!(
                check_target(input, https),
                Ok(input.trim().to_string()),
                "{input}"
            );
        }
    }

    #[test]
    fn each_bad_target_is_refused_with_its_reason() {
        let cases: &[(&str, bool, TargetError)] = &[
            ("", false, TargetError::Empty),
            ("   ", false, TargetError::Empty),
            ("not a url", false, TargetError::Whitespace),
            ("ws://exa mple.com", false, TargetError::Whitespace),
            ("example.com/socket", false, TargetError::NoScheme),
            (
                "http://example.com",
                false,
                TargetError::HttpScheme { instead: "ws" },
            ),
            (
                "https://example.com",
                false,
                TargetError::HttpScheme { instead: "wss" },
            ),
            (
                "ftp://example.com",
                false,
                TargetError::WrongScheme {
                    scheme: "ftp".into(),
                },
            ),
            ("ws://", false, TargetError::NoHost),
            ("ws:///path", false, TargetError::NoHost),
            ("ws://:8080/ws", false, TargetError::NoHost),
            (
                "ws://exa<mple.com",
                false,
                TargetError::BadHost {
                    host: "exa<mple.com".into(),
                },
            ),
            (
                "ws://[::1/ws",
                false,
                TargetError::BadHost {
                    host: "[::1".into(),
                },
            ),
            (
                "ws://host:0",
                false,
                TargetError::BadPort { port: "0".into() },
            ),
            (
                "ws://host:65536",
                false,
                TargetError::BadPort {
                    port: "65536".into(),
                },
            ),
            (
                "ws://host:80a",
                false,
                TargetError::BadPort { port: "80a".into() },
            ),
            (
                "ws://host:",
                false,
                TargetError::BadPort { port: "".into() },
            ),
            (
                "ws://host:+80",
                false,
                TargetError::BadPort { port: "+80".into() },
            ),
            ("ws://host/ws#top", false, TargetError::Fragment),
            ("ws://host/ws", true, TargetError::MixedContent),
        ];
        for (input, https, wanted) in cases {
            assert_eq!(
                check_target(input, *https).as_ref(),
                Err(wanted),
                "{input:?}"
            );
        }
    }

    #[test]
    fn subprotocols_are_tokens_listed_once() {
        assert_eq!(parse_subprotocols(""), Ok(vec![]));
        assert_eq!(
            parse_subprotocols(" wsdoctor.v1 , graphql-transport-ws "),
            Ok(vec![
                "wsdoctor.v1".to_string(),
                "graphql-transport-ws".to_string()
            ])
        );
        assert!(
            parse_subprotocols("chat room")
                .unwrap_err()
                .contains("not a valid")
        );
        assert!(parse_subprotocols("a/b").is_err());
        assert!(parse_subprotocols("é").is_err());
        assert!(parse_subprotocols("x, x").unwrap_err().contains("twice"));
    }

    #[test]
    fn refusals_say_how_to_fix_the_url() {
        let message = check_target("not-a-url", false).unwrap_err().to_string();
        assert!(message.contains("ws:// or wss://"), "{message}");
        let message = check_target("ws://host/ws", true).unwrap_err().to_string();
        assert!(
            message.contains("mixed content") && message.contains("wss://"),
            "{message}"
        );
    }

    #[test]
    fn secrets_in_the_query_string_are_masked_and_the_rest_kept() {
        let cases = [
            (
                "wss://api.example.com/ws?token=abc123&room=7",
                "wss://api.example.com/ws?token=••••&room=7",
            ),
            (
                "wss://x.test/ws?room=7&api_key=K&access_token=T#frag",
                "wss://x.test/ws?room=7&api_key=••••&access_token=••••#frag",
            ),
            (
                "wss://x.test/?X-Amz-Signature=deadbeef&Password=p",
                "wss://x.test/?X-Amz-Signature=••••&Password=••••",
            ),
            (
                "wss://alice:hunter2@x.test/ws",
                "wss://alice:••••@x.test/ws",
            ),
            ("ws://x.test/ws?token=", "ws://x.test/ws?token="),
            ("ws://127.0.0.1:8080/ws", "ws://127.0.0.1:8080/ws"),
            ("not a url", "not a url"),
        ];
        for (url, masked) in cases {
            assert_eq!(mask_secrets(url), masked, "{url}");
        }
    }
}
