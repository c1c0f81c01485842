//! The page's own location, read as plain strings: scheme, host, address, query
//! parameters and fragment.

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

/// The page's address without query and fragment (`https://diag.example.com/`).
pub fn page_address() -> String {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return String::new();
    };
    format!(
        "{}{}",
        location.origin().unwrap_or_default(),
        location.pathname().unwrap_or_default()
    )
}

/// The page's fragment without the `#` (empty when none).
pub fn fragment() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .map(|hash| hash.trim_start_matches('#').to_string())
        .unwrap_or_default()
}

/// Calls back with the new fragment each time it changes (a report link pasted into a
/// tab already on this page changes only the fragment: no reload). Dropping it stops.
#[must_use = "the watching stops when the watcher is dropped"]
pub struct FragmentWatcher {
    window: web_sys::Window,
    callback: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::Event)>,
}

impl FragmentWatcher {
    /// Starts watching; `None` without a window.
    pub fn start(on_change: impl Fn(String) + 'static) -> Option<FragmentWatcher> {
        use wasm_bindgen::JsCast;
        let window = web_sys::window()?;
        let callback: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::Event)> =
            wasm_bindgen::closure::Closure::new(move |_: web_sys::Event| on_change(fragment()));
        window
            .add_event_listener_with_callback("hashchange", callback.as_ref().unchecked_ref())
            .ok()?;
        Some(FragmentWatcher { window, callback })
    }
}

impl Drop for FragmentWatcher {
    fn drop(&mut self) {
        use wasm_bindgen::JsCast;
        let _ = self.window.remove_event_listener_with_callback(
            "hashchange",
            self.callback.as_ref().unchecked_ref(),
        );
    }
}
