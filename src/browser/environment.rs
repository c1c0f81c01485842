//! What the page knows of the browser it runs in, for a report: user agent, online,
//! cross-origin isolation, the page's origin and scheme.

/// The browser and page, as plain values (empty or false where unknown).
#[derive(Clone, Debug, Default)]
pub struct BrowserFacts {
    /// `navigator.userAgent`.
    pub user_agent: String,
    /// `navigator.onLine`.
    pub online: bool,
    /// `window.crossOriginIsolated`.
    pub cross_origin_isolated: bool,
    /// `location.origin`.
    pub origin: String,
    /// `location.protocol` without the colon (`https`).
    pub scheme: String,
}

/// Reads the facts now.
pub fn facts() -> BrowserFacts {
    let Some(window) = web_sys::window() else {
        return BrowserFacts::default();
    };
    let navigator = window.navigator();
    let location = window.location();
    let isolated = js_sys::Reflect::get(&window, &"crossOriginIsolated".into())
        .map(|v| v.is_truthy())
        .unwrap_or(false);
    BrowserFacts {
        user_agent: navigator.user_agent().unwrap_or_default(),
        online: navigator.on_line(),
        cross_origin_isolated: isolated,
        origin: location.origin().unwrap_or_default(),
        scheme: location
            .protocol()
            .unwrap_or_default()
            .trim_end_matches(':')
            .to_string(),
    }
}
