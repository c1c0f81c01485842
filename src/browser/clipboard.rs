//! Copying text for the user: the asynchronous clipboard when the browser offers it and
//! allows it; otherwise the caller shows the text selected in a field to copy by hand.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Copies `text`; `Err` says why it could not (no clipboard here, or permission refused).
pub async fn copy(text: &str) -> Result<(), String> {
    let navigator = web_sys::window().ok_or("no window")?.navigator();
    let clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into())
        .ok()
        .filter(|c| !c.is_undefined() && !c.is_null())
        .ok_or("this page cannot use the clipboard (it needs https or localhost)")?;
    let clipboard: web_sys::Clipboard = clipboard.unchecked_into();
    JsFuture::from(clipboard.write_text(text))
        .await
        .map(|_| ())
        .map_err(|_| "the browser refused the clipboard".to_string())
}
