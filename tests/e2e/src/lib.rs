//! The end-to-end harness: real processes on loopback, driven from Rust.
//!
//! It starts wsdoctor-server (the binary `cargo xtask test` built, named by
//! `WSDOCTOR_SERVER_BIN`, serving the page in `WSDOCTOR_DIST`), a real nginx in front of
//! it from a generated config (plain or terminating TLS with a certificate made by the
//! openssl CLI: `certificate`), servers nobody here wrote (npm `ws`, Python `websockets`:
//! `third_party`), and headless Chromium through Debian's chromedriver. Each
//! process runs in its own process group and the whole group is killed when its handle
//! is dropped, also when a test fails or panics. Every process carries
//! `WSDOCTOR_E2E_RUN` in its environment, so `cargo xtask test` can check afterwards
//! that none survived.
#![cfg(not(target_arch = "wasm32"))]

pub mod accessibility;
pub mod browser;
pub mod certificate;
pub mod check_details;
pub mod console_page;
pub mod flood;
pub mod hostile;
pub mod loopback;
pub mod mimic;
pub mod nginx;
pub mod one_way_relay;
pub mod process;
pub mod report_file;
pub mod server;
pub mod size_relay;
pub mod stalling_relay;
pub mod support_page;
pub mod third_party;

use std::path::PathBuf;
use std::time::Duration;

/// How long a test waits for something the page should show before it fails.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// This package's folder (`tests/e2e`): where `cargo test` or `cargo run` says it is at
/// run time, else where it was compiled (a target directory shared by several checkouts
/// may run a binary built from another one).
pub fn package_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}
