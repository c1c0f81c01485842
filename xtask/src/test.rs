//! `cargo xtask test`: everything CI runs, each step timed. Checks go on after a failure
//! so that one run shows every problem; the run fails naming the failed steps.

use std::path::{Path, PathBuf};

use crate::cmd;
use crate::page;
use crate::paths;
use crate::steps::{Error, Steps};
use crate::tools;

/// Chromium flags for headless runs on these machines: without the background-network
/// ones it keeps trying hosts this network refuses.
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

/// Runs every step.
pub fn run() -> Result<(), Error> {
    let mut steps = Steps::new();
    steps.require("wasm32 target", tools::wasm32_target)?;
    steps.require("wasm-bindgen-cli", tools::wasm_bindgen_cli)?;
    steps.require("trunk", tools::trunk)?;
    steps.require("wasm-opt", tools::wasm_opt)?;
    let browser = steps.require("chromium and chromedriver", tools::chromium)?;

    steps.check("cargo fmt --check", || {
        cmd::run(paths::cargo().args(["fmt", "--all", "--", "--check"]))
    });
    steps.check("clippy (host, whole workspace)", || {
        cmd::run(paths::cargo().args([
            "clippy",
            "--locked",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    });
    steps.check("clippy (wasm32: app and core)", || {
        cmd::run(paths::cargo().args([
            "clippy",
            "--locked",
            "-p",
            "wsdoctor",
            "-p",
            "wsdoctor-core",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    });
    steps.check("native tests (whole workspace)", || {
        cmd::run(paths::cargo().args(["test", "--locked", "--workspace"]))
    });
    steps.check(
        "browser tests (wasm-bindgen-test in headless Chromium)",
        || {
            let capabilities = webdriver_capabilities(&browser.chromium)?;
            cmd::run(
                paths::cargo()
                    .args([
                        "test",
                        "--locked",
                        "-p",
                        "wsdoctor",
                        "--target",
                        "wasm32-unknown-unknown",
                    ])
                    .env("CHROMEDRIVER", &browser.chromedriver)
                    .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", capabilities)
                    .env("WASM_BINDGEN_TEST_TIMEOUT", "60"),
            )
        },
    );
    steps.check("build the page (trunk, wasm-release)", || {
        page::build().map(|_| ())
    });
    steps.finish()
}

/// Writes the WebDriver capabilities the wasm-bindgen test runner gives Chromium, and
/// returns the file's path. The runner adds `headless` and `no-sandbox` itself.
fn webdriver_capabilities(chromium: &Path) -> Result<PathBuf, Error> {
    let args: Vec<String> = CHROMIUM_FLAGS
        .iter()
        .map(|flag| format!("\"{}\"", flag.trim_start_matches("--")))
        .collect();
    let json = format!(
        "{{\"goog:chromeOptions\": {{\"binary\": \"{}\", \"args\": [{}]}}}}\n",
        chromium.display(),
        args.join(", ")
    );
    let path = paths::cache().join("webdriver.json");
    std::fs::create_dir_all(paths::cache())
        .and_then(|()| std::fs::write(&path, json))
        .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    Ok(path)
}
