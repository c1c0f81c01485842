//! Browser test (wasm-bindgen-test, headless Chromium): the console's export is JSON
//! lines with secrets masked unless the user shows them. Only refused targets are used,
//! so no connection leaves the page. On the host this file compiles to nothing.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::Owner;
use wasm_bindgen_test::*;
use wsdoctor::session::Console;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn the_export_is_json_lines_with_the_token_masked_unless_shown() {
    let owner = Owner::new();
    owner.with(|| {
        let console = Console::new();
        console.clear_log();
        // No host: refused before any socket exists, but the attempt is logged.
        console.connect("ws://?token=sekrit42", "");
        let export = console.log_as_json_lines();
        let lines: Vec<serde_json::Value> = export
            .lines()
            .map(|line| serde_json::from_str(line).expect("each line is JSON"))
            .collect();
        let kinds: Vec<&str> = lines.iter().filter_map(|l| l["kind"].as_str()).collect();
        assert_eq!(kinds, ["connecting", "refused"], "{export}");
        assert_eq!(lines[0]["url"], "ws://?token=••••");
        assert!(!export.contains("sekrit42"), "{export}");

        console.set_show_secrets(true);
        assert!(console.log_as_json_lines().contains("token=sekrit42"));
        console.set_show_secrets(false);
    });
}
