//! The WebSocket target a user tests: where the default comes from.
//!
//! A page served by wsdoctor-server finds the companion endpoint beside itself, so the
//! default target is the page's own origin with `ws://` or `wss://` to match the page's
//! scheme (an https page may not open ws://: mixed content). This module only turns
//! strings into strings; reading the page's location is the browser layer's job.

use crate::COMPANION_PATH;

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
}
