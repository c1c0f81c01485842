//! Browser tests (wasm-bindgen-test, headless Chromium): the app mounts and shows who it
//! is. Each test mounts its own app in its own container and unmounts it at the end. On the host this file compiles to nothing.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh container in the body with the app mounted in it; each test sees only its
/// own app, and the app is unmounted (and the container removed) when the test ends.
struct MountedApp {
    container: web_sys::HtmlElement,
    _app: Box<dyn std::any::Any>,
}

impl MountedApp {
    fn new() -> MountedApp {
        let document = web_sys::window().unwrap().document().unwrap();
        let container: web_sys::HtmlElement =
            document.create_element("div").unwrap().unchecked_into();
        document.body().unwrap().append_child(&container).unwrap();
        let app = leptos::mount::mount_to(container.clone(), wsdoctor::components::App);
        MountedApp {
            container,
            _app: Box::new(app),
        }
    }

    fn text_of(&self, test_id: &str) -> Option<String> {
        self.container
            .query_selector(&format!("[data-testid='{test_id}']"))
            .ok()??
            .text_content()
    }
}

impl Drop for MountedApp {
    fn drop(&mut self) {
        self.container.remove();
    }
}

#[wasm_bindgen_test]
fn mounted_app_shows_title_tagline_and_version() {
    let app = MountedApp::new();
    assert_eq!(app.text_of("title").as_deref(), Some("wsdoctor"));
    assert!(
        app.text_of("tagline")
            .is_some_and(|t| t.contains("WebSocket"))
    );
    assert_eq!(
        app.text_of("version").as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
}

#[wasm_bindgen_test]
fn the_reconnect_preview_lists_eight_growing_waits() {
    let app = MountedApp::new();
    let preview = app
        .text_of("reconnect-preview")
        .expect("the preview is shown");
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

#[wasm_bindgen_test]
fn each_test_sees_only_its_own_app() {
    let app = MountedApp::new();
    let document = web_sys::window().unwrap().document().unwrap();
    let titles = document
        .query_selector_all("[data-testid='title']")
        .unwrap()
        .length();
    assert_eq!(titles, 1, "the earlier tests' apps were unmounted");
    assert!(app.text_of("title").is_some());
}
