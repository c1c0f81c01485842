//! Building the page (the app compiled to wasm, bundled by Trunk) and the server binary.

use std::path::PathBuf;

use crate::cmd;
use crate::compress::{self, PageSize};
use crate::paths;
use crate::steps::Error;

/// The built page: its folder and its sizes.
pub struct BuiltPage {
    /// `dist/`.
    pub dist: PathBuf,
    /// Each file's size, raw and compressed.
    pub size: PageSize,
}

/// Builds the page into `dist/` with Trunk, offline, in the `wasm-release` size profile
/// (index.html selects it), writes its precompressed copies and prints its size.
pub fn build() -> Result<BuiltPage, Error> {
    // Trunk passes --offline to cargo: every crate must be in the local registry first.
    cmd::run(paths::cargo().args(["fetch", "--locked"]))?;
    trunk_build(&paths::root(), paths::root().join("dist"))
}

/// Builds the bare Leptos counter page (`bench/counter-page`) the same way as the page,
/// into the cache, with its compressed copies: the load-time benchmark's reference.
pub fn build_counter() -> Result<BuiltPage, Error> {
    trunk_build(
        &paths::root().join("bench").join("counter-page"),
        paths::cache().join("counter-dist"),
    )
}

/// `trunk build --release` of the page whose `index.html` and `Trunk.toml` are in
/// `folder`, into `dist`; then its compressed copies and its size.
fn trunk_build(folder: &std::path::Path, dist: PathBuf) -> Result<BuiltPage, Error> {
    cmd::run(
        paths::command("trunk")
            .args(["build", "--release", "--dist"])
            .arg(&dist)
            .current_dir(folder)
            // Its update check calls a web API this network does not reach.
            .env("TRUNK_SKIP_VERSION_CHECK", "true")
            .env("NO_COLOR", "true"),
    )?;
    let size = compress::precompress(&dist)?;
    size.print();
    Ok(BuiltPage { dist, size })
}

/// Builds wsdoctor-server (`release` for people, `dev` for tests) and returns the
/// executable's path, as cargo reports it.
pub fn build_server(release: bool) -> Result<PathBuf, Error> {
    let mut build = paths::cargo();
    build.args([
        "build",
        "--locked",
        "--package",
        "wsdoctor-server",
        "--bin",
        "wsdoctor-server",
        "--message-format=json-render-diagnostics",
    ]);
    if release {
        build.arg("--release");
    }
    eprintln!("$ {}", cmd::describe(&build));
    let out = build
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|err| format!("cannot start cargo: {err}"))?;
    if !out.status.success() {
        return Err(format!("building wsdoctor-server failed ({})", out.status));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|line| line.contains("\"compiler-artifact\""))
        .find_map(executable_in)
        .ok_or_else(|| "cargo built wsdoctor-server but reported no executable".to_string())
}

/// The `"executable"` path in one line of cargo's JSON messages, if it has one.
fn executable_in(line: &str) -> Option<PathBuf> {
    let start = line.find("\"executable\":\"")? + "\"executable\":\"".len();
    let rest = &line[start..];
    let end = rest.find('"')?;
    Some(PathBuf::from(rest[..end].replace("\\\\", "\\")))
}
