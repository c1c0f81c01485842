//! The page's own location, read as plain strings: scheme, host and query parameters.

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

/// The value of query parameter `name` in the page's URL (`?target=...`), if present.
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}
