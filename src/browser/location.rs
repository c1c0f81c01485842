//! The page's own location, read once, as plain strings.

/// The scheme (`"http:"`) and host (`"127.0.0.1:8080"`) of the page, or empty strings
/// when there is no window (e.g. in a worker).
pub fn page_scheme_and_host() -> (String, String) {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return (String::new(), String::new());
    };
    (
        location.protocol().unwrap_or_default(),
        location.host().unwrap_or_default(),
    )
}
