//! The WebSocket target a user tests: where the default comes from.
//!
//! A page served by wsdoctor-server finds the companion endpoint beside itself, so the
//! default target is the page's own origin with `ws://` or `wss://` to match the page's
//! scheme (an https page may not open ws://: mixed content). A typed target is checked
//! here before any socket is made, so every mistake gets a sentence that says how to fix
//! it (browsers resolve "not a url" against the page and connect somewhere else). This
//! module only turns strings into strings; reading the page's location is the browser
//! layer's job.

use crate::COMPANION_PATH;

/// What is wrong with a typed target, each with a message that says how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Nothing was typed.
    #[error("Enter a WebSocket URL, e.g. wss://example.com/socket.")]
    Empty,
    /// Longer than `MAX_TARGET_BYTES` (a browser tab can crash on far longer URLs).
    #[error(
        "The URL is {} KiB long; wsdoctor takes URLs up to {} KiB (a browser tab can crash on far longer ones).",
        .bytes.div_ceil(1024),
        MAX_TARGET_BYTES / 1024
    )]
    TooLong {
        /// How long it is, in bytes.
        bytes: usize,
    },
    /// A character that cannot be seen (pasted along with the URL) or a control character.
    #[error(
        "The URL contains {name} at character {at}, which cannot be seen (it often comes along when a URL is copied): delete it, or type the URL again."
    )]
    Invisible {
        /// What it is, e.g. "a zero-width space (U+200B)".
        name: String,
        /// Where, counting characters from 1.
        at: usize,
    },
    /// The URL has a space or another blank inside.
    #[error(
        "The URL contains a space or another blank; WebSocket URLs cannot (write a space in a path or query as %20)."
    )]
    Whitespace,
    /// No `scheme://` at the start.
    #[error("Start the URL with ws:// or wss://, e.g. wss://example.com/socket.")]
    NoScheme,
    /// `http://` or `https://`: a page address, not a WebSocket one.
    #[error("That is a web page address; a WebSocket URL starts with {instead}:// instead.")]
    HttpScheme {
        /// The scheme to use instead (`ws` or `wss`).
        instead: &'static str,
    },
    /// Another scheme than ws or wss.
    #[error("\"{scheme}://\" is not a WebSocket scheme: use ws:// or wss://.")]
    WrongScheme {
        /// The scheme that was typed.
        scheme: String,
    },
    /// Nothing between `://` and the path.
    #[error("The URL has no host: write one after ws:// or wss://.")]
    NoHost,
    /// The host has characters no host name has.
    #[error(
        "\"{host}\" is not a host name or IP address (letters, digits, dots and hyphens, or [IPv6])."
    )]
    BadHost {
        /// The host as typed.
        host: String,
    },
    /// The port is not a number from 1 to 65535.
    #[error("The port \"{port}\" is not a number from 1 to 65535.")]
    BadPort {
        /// The port as typed.
        port: String,
    },
    /// A `#fragment`, which WebSocket URLs may not have.
    #[error("WebSocket URLs cannot have a #fragment: remove the # and what follows.")]
    Fragment,
    /// A `ws://` target from an https page: the browser refuses it (mixed content).
    #[error(
        "This page was loaded over https, so the browser refuses an unencrypted ws:// connection (mixed content): use wss://, or open wsdoctor over http."
    )]
    MixedContent,
}

/// The longest target accepted, in bytes.
pub const MAX_TARGET_BYTES: usize = 64 * 1024;

/// The name of a character that cannot be seen in a URL field, if `c` is one.
fn invisible_name(c: char) -> Option<String> {
    let name = match c {
        '\u{200B}' => "a zero-width space",
        '\u{200C}' => "a zero-width non-joiner",
        '\u{200D}' => "a zero-width joiner",
        '\u{2060}' => "a word joiner",
        '\u{FEFF}' => "a byte-order mark",
        '\u{00A0}' => "a no-break space",
        '\u{202F}' => "a narrow no-break space",
        '\u{00AD}' => "a soft hyphen",
        '\u{200E}' => "a left-to-right mark",
        '\u{200F}' => "a right-to-left mark",
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => "a text-direction control",
        '\t' => "a tab",
        '\n' | '\r' => "a line break",
        c if c.is_control() => "a control character",
        _ => return None,
    };
    Some(format!("{name} (U+{:04X})", u32::from(c)))
}

/// Checks a typed target and returns it trimmed, or says what is wrong. `page_is_https`:
/// whether the page itself was loaded over https (then ws:// is mixed content).
pub fn check_target(input: &str, page_is_https: bool) -> Result<String, TargetError> {
    if input.len() > MAX_TARGET_BYTES {
        return Err(TargetError::TooLong { bytes: input.len() });
    }
    let url = input.trim();
    if url.is_empty() {
        return Err(TargetError::Empty);
    }
    if let Some((at, name)) = url
        .chars()
        .enumerate()
        .find_map(|(i, c)| invisible_name(c).map(|name| (i + 1, name)))
    {
        return Err(TargetError::Invisible { name, at });
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

/// Whether a query parameter called `name` likely carries a secret. The name is read
/// percent-decoded (`to%6Ben` is `token`), in any case.
pub fn is_secret_name(name: &str) -> bool {
    let name = percent_decode(name).to_lowercase();
    SECRET_NAMES.iter().any(|secret| name.contains(secret))
}

/// `%XX` sequences decoded (invalid ones kept as typed; invalid UTF-8 replaced).
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(hi), Some(lo)) if hex(hi).is_some() && hex(lo).is_some() => {
                out.push((hex(hi).unwrap_or(0) * 16 + hex(lo).unwrap_or(0)) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The URL with the values of secret-looking query parameters (tokens, keys, passwords,
/// signatures, ...) and any user:password part replaced by `MASK`, for the screen,
/// exports and reports. Other text is returned unchanged.
pub fn mask_secrets(url: &str) -> String {
    replace_secrets(url, MASK)
}

/// The URL with the values of secret-looking query parameters and any password removed
/// (`?token=&room=7`, `user@host`): what is saved across a reload. Unlike a masked URL it
/// says plainly what is missing, and the user types it again.
pub fn without_secret_values(url: &str) -> String {
    replace_secrets(url, "")
}

/// The names of secret-looking query parameters that have no value in `url`: what the
/// user must type again after a reload.
pub fn secrets_to_retype(url: &str) -> Vec<String> {
    let Some((_, query)) = url.split('#').next().unwrap_or_default().split_once('?') else {
        return Vec::new();
    };
    query
        .split('&')
        .filter_map(|pair| pair.strip_suffix('='))
        .filter(|name| is_secret_name(name))
        .map(str::to_string)
        .collect()
}

fn replace_secrets(url: &str, with: &str) -> String {
    let (before_fragment, fragment) = match url.find('#') {
        Some(at) => url.split_at(at),
        None => (url, ""),
    };
    let (base, query) = match before_fragment.find('?') {
        Some(at) => (&before_fragment[..at], Some(&before_fragment[at + 1..])),
        None => (before_fragment, None),
    };
    let mut out = replace_password(base, with);
    if let Some(query) = query {
        out.push('?');
        let masked: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, value)) if is_secret_name(name) && !value.is_empty() => {
                    format!("{name}={with}")
                }
                _ => pair.to_string(),
            })
            .collect();
        out.push_str(&masked.join("&"));
    }
    out.push_str(fragment);
    out
}

/// Every URL inside free text (a browser's error message, a close reason) with its
/// secrets masked: text leaves the connection layer only through here.
pub fn mask_secrets_in_text(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    while let Some(found) = ["ws://", "wss://", "http://", "https://"]
        .iter()
        .filter_map(|scheme| lower[rest..].find(scheme).map(|at| rest + at))
        .min()
    {
        let end = text[found..]
            .find(|c: char| c.is_whitespace() || "'\"<>`".contains(c))
            .map_or(text.len(), |at| found + at);
        out.push_str(&text[rest..found]);
        out.push_str(&mask_secrets(&text[found..end]));
        rest = end;
    }
    out.push_str(&text[rest..]);
    out
}

/// `scheme://user:password@host/...` becomes `scheme://user:{with}@host/...` (with an
/// empty `with`: `scheme://user@host/...`).
fn replace_password(base: &str, with: &str) -> String {
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
            let password = if with.is_empty() {
                String::new()
            } else {
                format!(":{with}")
            };
            format!(
                "{}{user}{password}@{host}{}",
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
    fn a_huge_target_is_refused_before_anything_else() {
        let huge = format!("wss://example.com/ws?q={}", "a".repeat(2 * 1024 * 1024));
        let err = check_target(&huge, false).unwrap_err();
        assert_eq!(err, TargetError::TooLong { bytes: huge.len() });
        assert!(err.to_string().contains("up to 64 KiB"), "{err}");
        let just_fits = format!("wss://e.com/?q={}", "a".repeat(MAX_TARGET_BYTES - 15));
        assert!(check_target(&just_fits, false).is_ok());
    }

    #[test]
    fn invisible_characters_around_or_inside_are_named() {
        let cases = [
            (
                "\u{200B}ws://example.com/ws",
                "a zero-width space (U+200B)",
                1,
            ),
            (
                "ws://exam\u{00A0}ple.com/ws",
                "a no-break space (U+00A0)",
                10,
            ),
            (
                "ws://example.com/ws\u{FEFF}",
                "a byte-order mark (U+FEFF)",
                20,
            ),
            (
                "ws://example.com/\u{202E}sw",
                "a text-direction control (U+202E)",
                18,
            ),
            ("ws://example.com/\u{7}", "a control character (U+0007)", 18),
            ("ws://example.com/a\nb", "a line break (U+000A)", 19),
        ];
        for (typed, name, at) in cases {
            let err = check_target(typed, false).unwrap_err();
            assert_eq!(
                err,
                TargetError::Invisible {
                    name: name.into(),
                    at
                },
                "{typed:?}"
            );
            assert!(err.to_string().contains("cannot be seen"), "{err}");
        }
        // Ordinary blanks around a pasted URL are trimmed, as before.
        assert!(check_target(" \u{00A0}ws://example.com/ws\n", false).is_ok());
    }

    #[test]
    fn percent_encoded_secret_names_are_masked_too() {
        assert_eq!(
            mask_secrets("wss://a.test/ws?to%6Ben=SECRET&api%5Fkey=K2&room=7"),
            format!("wss://a.test/ws?to%6Ben={MASK}&api%5Fkey={MASK}&room=7")
        );
    }

    #[test]
    fn urls_inside_a_browsers_error_text_are_masked() {
        let error = "Failed to construct 'WebSocket': The URL 'ws://exa%mple.com/ws?token=SECRET' is invalid.";
        let masked = mask_secrets_in_text(error);
        assert!(!masked.contains("SECRET"), "{masked}");
        assert_eq!(
            masked,
            format!(
                "Failed to construct 'WebSocket': The URL 'ws://exa%mple.com/ws?token={MASK}' is invalid."
            )
        );
        assert_eq!(mask_secrets_in_text("no url here"), "no url here");
        let two = mask_secrets_in_text("WSS://a/?key=1 and https://u:pw@b/");
        assert_eq!(two, format!("WSS://a/?key={MASK} and https://u:{MASK}@b/"));
    }

    #[test]
    fn a_saved_target_keeps_no_secret_value_and_says_what_to_retype() {
        let saved = without_secret_values("wss://bob:hunter2@a.test/ws?token=abc&room=7&sig=x");
        assert_eq!(saved, "wss://bob@a.test/ws?token=&room=7&sig=");
        assert_eq!(secrets_to_retype(&saved), ["token", "sig"]);
        assert!(secrets_to_retype("wss://a.test/ws?room=").is_empty());
        assert_eq!(
            without_secret_values("wss://a.test/ws?room=7"),
            "wss://a.test/ws?room=7"
        );
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
