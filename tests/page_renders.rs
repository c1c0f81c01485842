//! Browser tests (wasm-bindgen-test, headless Chromium): the app mounts and shows who it
//! is. On the host this file compiles to nothing.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn text_of(test_id: &str) -> Option<String> {
    let document = web_sys::window()?.document()?;
    let element = document
        .query_selector(&format!("[data-testid='{test_id}']"))
        .ok()??;
    element.text_content()
}

#[wasm_bindgen_test]
fn mounted_app_shows_title_tagline_and_version() {
    leptos::mount::mount_to_body(wsdoctor::components::App);
    assert_eq!(text_of("title").as_deref(), Some("wsdoctor"));
    assert!(text_of("tagline").is_some_and(|t| t.contains("WebSocket")));
    assert_eq!(
        text_of("version").as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
}

#[wasm_bindgen_test]
fn the_reconnect_preview_lists_eight_growing_waits() {
    leptos::mount::mount_to_body(wsdoctor::components::App);
    let preview = text_of("reconnect-preview").expect("the preview is shown");
    let waits: Vec<&str> = preview
        .split(": ")
        .nth(1)
        .unwrap_or("")
        .split(", ")
        .collect();
    assert_eq!(waits.len(), 8, "{preview}");
    assert!(waits[0].starts_with("1 s"), "{preview}");
    assert!(waits[7].starts_with("30 s"), "{preview}");
}
