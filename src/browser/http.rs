//! A plain HTTP `GET` for the "blocked or down" check: no cache, and the answer reduced
//! to its status and (the start of) its body. The page's policy lets it reach only its
//! own origin.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The most of a body kept: the companion's answer is far smaller; anything longer is
/// someone else's page.
const MAX_BODY_CHARS: usize = 64 * 1024;

/// An answer: any status, with its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body (cut at 64 KiB of characters).
    pub body: String,
}

/// `GET url`, bypassing the cache. `Err` is the browser's words for a request that got no
/// answer at all (it says only that: DNS, refusal and TLS look alike).
pub async fn get(url: &str) -> Result<Answer, String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_cache(web_sys::RequestCache::NoStore);
    let response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|err| words(&err))?;
    let response: web_sys::Response = response.unchecked_into();
    let status = response.status();
    let body = match response.text() {
        Ok(text) => JsFuture::from(text)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    Ok(Answer {
        status,
        body: body.chars().take(MAX_BODY_CHARS).collect(),
    })
}

/// A rejection's message ("Failed to fetch"), or a fallback.
fn words(err: &wasm_bindgen::JsValue) -> String {
    err.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "the request failed without an answer".into())
}
