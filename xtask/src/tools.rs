//! Installs what is missing, and only that: each tool is probed first (its version
//! checked), installed only when absent or wrong, and a prerequisite xtask cannot
//! install gets one sentence saying what to install and how.
//!
//! Nothing here downloads a binary from outside the package registries: trunk and
//! wasm-bindgen-cli come from crates.io, wasm-opt from npm, Chromium and nginx from Debian.

use std::path::PathBuf;

use crate::cmd;
use crate::paths;
use crate::steps::Error;

/// The trunk version verified on these machines (0.22 needs a newer rustc).
const TRUNK_VERSION: &str = "0.21.14";
/// The binaryen release whose wasm-opt produces modules Chromium accepts.
const BINARYEN_VERSION: &str = "132";

/// The wasm32 target of the Rust toolchain.
pub fn wasm32_target() -> Result<(), Error> {
    let Some(installed) =
        cmd::output(paths::command("rustup").args(["target", "list", "--installed"]))
    else {
        return Err("rustup is not available: install Rust with rustup (https://rustup.rs), then run this again".into());
    };
    if installed
        .lines()
        .any(|line| line.trim() == "wasm32-unknown-unknown")
    {
        eprintln!("wasm32-unknown-unknown: present");
        return Ok(());
    }
    cmd::run(paths::command("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// wasm-bindgen-cli, at exactly the version of `wasm-bindgen` in Cargo.lock.
pub fn wasm_bindgen_cli() -> Result<(), Error> {
    let wanted = locked_version("wasm-bindgen")?;
    let found = cmd::output(paths::command("wasm-bindgen").arg("--version"));
    if found.as_deref().map(str::trim) == Some(&format!("wasm-bindgen {wanted}")) {
        eprintln!("wasm-bindgen-cli {wanted}: present");
        return Ok(());
    }
    eprintln!("wasm-bindgen-cli {wanted}: installing (about 3 minutes on 2 cores)");
    // Not --locked: one of its locked dependency versions is gone from the registry.
    // The fallback resolver keeps every dependency compatible with this rustc.
    cmd::run(
        paths::cargo()
            .args(["install", "wasm-bindgen-cli", "--version", &wanted])
            .env("CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS", "fallback"),
    )
}

/// trunk, the page's bundler.
pub fn trunk() -> Result<(), Error> {
    let found = cmd::output(paths::command("trunk").arg("--version"));
    if found.as_deref().map(str::trim) == Some(&format!("trunk {TRUNK_VERSION}")) {
        eprintln!("trunk {TRUNK_VERSION}: present");
        return Ok(());
    }
    eprintln!("trunk {TRUNK_VERSION}: installing (about 15 minutes on 2 cores, once)");
    cmd::run(paths::cargo().args(["install", "--locked", "trunk", "--version", TRUNK_VERSION]))
}

/// wasm-opt from the npm package `binaryen`, in the project's tools folder, which goes
/// first on PATH so that an older system wasm-opt (Debian's 108 breaks the page) is never used.
pub fn wasm_opt() -> Result<(), Error> {
    let wasm_opt = paths::binaryen_bin().join("wasm-opt");
    let found = cmd::output(paths::command(&wasm_opt).arg("--version"));
    if found.is_some_and(|v| v.contains(&format!("version {BINARYEN_VERSION}"))) {
        eprintln!(
            "wasm-opt {BINARYEN_VERSION}: present in {}",
            paths::tools().display()
        );
        return Ok(());
    }
    npm_install("binaryen", &format!("binaryen@{BINARYEN_VERSION}"))?;
    match cmd::output(paths::command(&wasm_opt).arg("--version")) {
        Some(v) if v.contains(&format!("version {BINARYEN_VERSION}")) => Ok(()),
        other => Err(format!(
            "wasm-opt was installed but reports {other:?}, not version {BINARYEN_VERSION}"
        )),
    }
}

/// Installs the npm package `spec` into the tools folder `folder`; says how to get npm
/// when it is missing.
pub fn npm_install(folder: &str, spec: &str) -> Result<(), Error> {
    if paths::which("npm").is_none() {
        return Err(format!(
            "npm is missing, and {spec} comes from the npm registry: install Node.js and npm \
             (on Debian: `sudo apt-get install nodejs npm`), then run this again"
        ));
    }
    let prefix = paths::tools().join(folder);
    std::fs::create_dir_all(&prefix)
        .map_err(|err| format!("cannot create {}: {err}", prefix.display()))?;
    cmd::run(
        paths::command("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(spec),
    )
}

/// Headless Chromium with its driver, and nginx (the real proxy of the end-to-end
/// tests), from Debian; missing ones are installed in one apt-get run.
pub fn browser_and_proxy() -> Result<TestPrograms, Error> {
    let programs = TestPrograms {
        chromium: PathBuf::from("/usr/bin/chromium"),
        chromedriver: PathBuf::from("/usr/bin/chromedriver"),
        nginx: PathBuf::from("/usr/sbin/nginx"),
    };
    let wanted = [
        (&programs.chromium, "chromium"),
        (&programs.chromedriver, "chromium-driver"),
        (&programs.nginx, "nginx"),
    ];
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(path, _)| !path.is_file())
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        eprintln!("chromium, chromedriver and nginx: present");
        return Ok(programs);
    }
    apt_install(&missing)?;
    Ok(programs)
}

/// Where the programs of the browser and end-to-end tests are.
pub struct TestPrograms {
    /// The Chromium binary.
    pub chromium: PathBuf,
    /// The matching ChromeDriver.
    pub chromedriver: PathBuf,
    /// nginx.
    pub nginx: PathBuf,
}

/// Installs Debian packages, as root; otherwise says which command to run.
fn apt_install(packages: &[&str]) -> Result<(), Error> {
    let list = packages.join(" ");
    let is_root = cmd::output(std::process::Command::new("id").arg("-u"))
        .is_some_and(|uid| uid.trim() == "0");
    if !is_root || paths::which("apt-get").is_none() {
        return Err(format!(
            "{list} not installed: install with `sudo apt-get install {list}` (Debian), then run this again"
        ));
    }
    eprintln!("{list}: installing with apt-get");
    cmd::run(paths::command("apt-get").args(["update", "-q"]))?;
    cmd::run(
        paths::command("apt-get")
            .args(["install", "-y", "-q"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// The version Cargo.lock records for `package`.
fn locked_version(package: &str) -> Result<String, Error> {
    let lock_path = paths::root().join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .map_err(|err| format!("cannot read {}: {err}", lock_path.display()))?;
    let name_line = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() != name_line {
            continue;
        }
        if let Some(version) = lines
            .next()
            .and_then(|l| l.trim().strip_prefix("version = \""))
            .and_then(|v| v.strip_suffix('"'))
        {
            return Ok(version.to_string());
        }
    }
    Err(format!(
        "Cargo.lock has no {package}: is it still a dependency?"
    ))
}
