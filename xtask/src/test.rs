//! `cargo xtask test`: everything CI runs, each step timed. Checks go on after a failure
//! so that one run shows every problem; the run fails naming the failed steps.

use crate::cmd;
use crate::page;
use crate::paths;
use crate::steps::{Error, Steps};
use crate::survivors;
use crate::tools;

/// Runs every step.
pub fn run() -> Result<(), Error> {
    let mut steps = Steps::new();
    steps.require("wasm32 target", tools::wasm32_target)?;
    steps.require("wasm-bindgen-cli", tools::wasm_bindgen_cli)?;
    steps.require("trunk", tools::trunk)?;
    steps.require("wasm-opt", tools::wasm_opt)?;
    let programs = steps.require(
        "chromium, chromedriver, nginx, openssl, caddy",
        tools::browser_and_proxy,
    )?;
    let servers = steps.require(
        "servers nobody here wrote (npm ws, Python websockets, socket.io, graphql-ws)",
        tools::third_party_servers,
    )?;
    let axe = steps.require("axe-core (accessibility rules)", tools::axe_core)?;

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
    steps.check("native tests (workspace, without end-to-end)", || {
        cmd::run(paths::cargo().args([
            "test",
            "--locked",
            "--workspace",
            "--exclude",
            "wsdoctor-e2e",
        ]))
    });
    steps.check(
        "browser tests (wasm-bindgen-test in headless Chromium)",
        || {
            // The runner reads Chromium's flags from webdriver.json at the workspace root.
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
                    .env("CHROMEDRIVER", &programs.chromedriver)
                    .env("WASM_BINDGEN_TEST_TIMEOUT", "60"),
            )
        },
    );
    let page = steps.check("build the page (trunk, wasm-release)", page::build);
    if let Some(page) = &page {
        steps.check("the page within its size budget (brotli)", || {
            page.size.within_budget()
        });
    }
    let dist = page.map(|page| page.dist);
    let server = steps.check("build wsdoctor-server (for end-to-end)", || {
        page::build_server(false)
    });
    const E2E: &str = "end-to-end tests (Chromium over WebDriver, wsdoctor-server, nginx)";
    match (dist, server) {
        (Some(dist), Some(server)) => {
            steps.check(E2E, || {
                let outcome = cmd::run(
                    paths::cargo()
                        .args([
                            "test",
                            "--locked",
                            "-p",
                            "wsdoctor-e2e",
                            "--",
                            "--test-threads=1",
                        ])
                        .env("WSDOCTOR_SERVER_BIN", &server)
                        .env("WSDOCTOR_DIST", &dist)
                        .env("CHROMEDRIVER", &programs.chromedriver)
                        .env("CHROMIUM", &programs.chromium)
                        .env("WSDOCTOR_NGINX", &programs.nginx)
                        .env("WSDOCTOR_OPENSSL", &programs.openssl)
                        .env("WSDOCTOR_CADDY", &programs.caddy)
                        .env("WSDOCTOR_NODE_MODULES", &servers.node_modules)
                        .env("WSDOCTOR_PYTHON", &servers.python)
                        .env("WSDOCTOR_FRAMEWORK_MODULES", &servers.frameworks)
                        .env("WSDOCTOR_AXE", &axe),
                );
                let survivors = survivors::check();
                outcome.and(survivors)
            });
        }
        _ => steps.skip(E2E, "the page or the server did not build"),
    }
    steps.finish()
}
