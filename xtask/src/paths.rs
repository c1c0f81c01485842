//! Where things are: the workspace, the cache that outlives a clone (tool installs), and
//! the PATH every child process gets (project tools first).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

/// The workspace root (the folder holding the top-level Cargo.toml). `cargo run` says
/// where xtask's manifest is at run time; the path compiled in is only the fallback,
/// because with a target directory shared by several checkouts (CI keeps one outside
/// the clone) the binary cargo runs may have been built from another checkout.
pub fn root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .expect("xtask lives one folder below the workspace root")
        .to_path_buf()
}

/// wsdoctor's cache, kept across clones: `$WSDOCTOR_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/wsdoctor`, else `~/.cache/wsdoctor`.
pub fn cache() -> PathBuf {
    if let Some(dir) = std::env::var_os("WSDOCTOR_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("wsdoctor");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".cache").join("wsdoctor"),
        None => root().join(".tools"),
    }
}

/// The project's tools folder (wasm-opt from npm lives here), inside the cache.
pub fn tools() -> PathBuf {
    cache().join("tools")
}

/// The folder of wasm-opt from npm `binaryen`, which goes first on PATH.
pub fn binaryen_bin() -> PathBuf {
    tools().join("binaryen").join("node_modules").join(".bin")
}

/// Where `cargo install` puts binaries: `$CARGO_HOME/bin` or `~/.cargo/bin`.
pub fn cargo_bin() -> PathBuf {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return PathBuf::from(home).join("bin");
    }
    let home = std::env::var_os("HOME").unwrap_or_default();
    PathBuf::from(home).join(".cargo").join("bin")
}

/// The PATH for child processes: the project's tools, then cargo's bin, then the rest.
pub fn search_path() -> OsString {
    let mut dirs = vec![binaryen_bin(), cargo_bin()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// A command that runs in the workspace root with the project's PATH.
pub fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(program);
    command.current_dir(root()).env("PATH", search_path());
    command
}

/// A `cargo` command, with the same cargo that runs xtask.
pub fn cargo() -> Command {
    command(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Finds `program` on the project's PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&search_path())
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The npm `ws` echo server script (the bench's reference, an end-to-end fixture).
pub fn node_ws_echo() -> PathBuf {
    root()
        .join("tests")
        .join("e2e")
        .join("fixtures")
        .join("node_ws_echo.js")
}

/// Where npm `ws` is installed (its `node_modules`, for `NODE_PATH`).
pub fn node_ws_modules() -> PathBuf {
    tools().join("node-ws").join("node_modules")
}

/// The Python of the venv that holds `websockets`.
pub fn python_websockets() -> PathBuf {
    tools().join("py-websockets").join("bin").join("python")
}
