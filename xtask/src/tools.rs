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
/// npm `ws`: the bench's reference server and an end-to-end server nobody here wrote.
pub const NODE_WS_VERSION: &str = "8";
/// The framework servers the protocol profiles' end-to-end tests meet: each package's
/// folder in `node_modules`, its npm spec, and the version (major, or major.minor) the
/// tests were written against. Socket.IO 2.x (Engine.IO v3) sits beside 4.x under an
/// alias.
const FRAMEWORK_PACKAGES: [(&str, &str, &str); 6] = [
    ("socket.io", "socket.io@4.8", "4.8"),
    ("socket.io-v2", "socket.io-v2@npm:socket.io@2.5", "2.5"),
    ("graphql-ws", "graphql-ws@6", "6"),
    ("graphql", "graphql@16", "16"),
    ("ws", "ws@8", "8"),
    (
        "subscriptions-transport-ws",
        "subscriptions-transport-ws@0.11",
        "0.11",
    ),
];
/// axe-core, the accessibility rules the end-to-end tests run in the page.
const AXE_CORE_VERSION: &str = "4";
/// Python `websockets` (the seed article's server), for the end-to-end tests.
const PYTHON_WEBSOCKETS_VERSION: &str = "15.0.1";

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

/// npm `ws` in the tools folder; returns its `node_modules` folder.
pub fn node_ws() -> Result<PathBuf, Error> {
    let modules = paths::node_ws_modules();
    let manifest = modules.join("ws").join("package.json");
    let installed = std::fs::read_to_string(&manifest).unwrap_or_default();
    if installed.contains(&format!("\"version\": \"{NODE_WS_VERSION}.")) {
        eprintln!("npm ws {NODE_WS_VERSION}: present in {}", modules.display());
        return Ok(modules);
    }
    npm_install("node-ws", &format!("ws@{NODE_WS_VERSION}"))?;
    Ok(modules)
}

/// npm `ws`'s optional native add-ons (`bufferutil`, `utf-8-validate`), which a server
/// tuned for speed installs beside it: the benchmark compares against Node at its best.
pub fn node_ws_addons() -> Result<PathBuf, Error> {
    let modules = node_ws()?;
    let present = ["bufferutil", "utf-8-validate"]
        .iter()
        .all(|addon| modules.join(addon).join("package.json").is_file());
    if present {
        eprintln!("npm bufferutil and utf-8-validate: present");
        return Ok(modules);
    }
    npm_install("node-ws", "bufferutil@4")?;
    npm_install("node-ws", "utf-8-validate@6")?;
    Ok(modules)
}

/// The framework servers (npm `socket.io` 4 and 2, `graphql-ws` with `graphql` and `ws`,
/// and the legacy `subscriptions-transport-ws`) in one tools folder; returns its
/// `node_modules`.
pub fn node_frameworks() -> Result<PathBuf, Error> {
    let modules = paths::tools().join("node-frameworks").join("node_modules");
    let present = FRAMEWORK_PACKAGES.iter().all(|(folder, _, version)| {
        std::fs::read_to_string(modules.join(folder).join("package.json"))
            .unwrap_or_default()
            .contains(&format!("\"version\": \"{version}."))
    });
    if present {
        eprintln!("npm socket.io (4 and 2), graphql-ws, subscriptions-transport-ws: present");
        return Ok(modules);
    }
    let specs: Vec<&str> = FRAMEWORK_PACKAGES
        .iter()
        .map(|(_, spec, _)| *spec)
        .collect();
    npm_install("node-frameworks", &specs.join(" "))?;
    Ok(modules)
}

/// axe-core in the tools folder; returns its `axe.min.js`.
pub fn axe_core() -> Result<PathBuf, Error> {
    let package = paths::tools()
        .join("axe-core")
        .join("node_modules")
        .join("axe-core");
    let script = package.join("axe.min.js");
    let installed = std::fs::read_to_string(package.join("package.json")).unwrap_or_default();
    if script.is_file() && installed.contains(&format!("\"version\": \"{AXE_CORE_VERSION}.")) {
        eprintln!(
            "axe-core {AXE_CORE_VERSION}: present in {}",
            package.display()
        );
        return Ok(script);
    }
    npm_install("axe-core", &format!("axe-core@{AXE_CORE_VERSION}"))?;
    Ok(script)
}

/// Python `websockets` in a venv of the tools folder; returns the venv's python. Makes
/// the venv with `python3 -m venv` (installing Debian's `python3-venv` if that is what
/// is missing).
pub fn python_websockets() -> Result<PathBuf, Error> {
    let python = paths::python_websockets();
    let version = || {
        cmd::output(paths::command(&python).args([
            "-c",
            "import sys, websockets; sys.stdout.write(websockets.__version__)",
        ]))
    };
    if version().as_deref() == Some(PYTHON_WEBSOCKETS_VERSION) {
        eprintln!("Python websockets {PYTHON_WEBSOCKETS_VERSION}: present");
        return Ok(python);
    }
    if paths::which("python3").is_none() {
        return Err(
            "python3 is missing: install it (on Debian: `sudo apt-get install python3 \
                    python3-venv`), then run this again"
                .into(),
        );
    }
    let venv = paths::tools().join("py-websockets");
    if !python.is_file() {
        let made = cmd::run(paths::command("python3").args(["-m", "venv"]).arg(&venv));
        if made.is_err() {
            // Debian's python3 ships venv without ensurepip: that is python3-venv.
            let _ = std::fs::remove_dir_all(&venv);
            apt_install(&["python3-venv"])?;
            cmd::run(paths::command("python3").args(["-m", "venv"]).arg(&venv))?;
        }
    }
    cmd::run(paths::command(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("websockets=={PYTHON_WEBSOCKETS_VERSION}"),
    ]))?;
    match version() {
        Some(v) if v == PYTHON_WEBSOCKETS_VERSION => Ok(python),
        other => Err(format!(
            "websockets was installed but reports {other:?}, not {PYTHON_WEBSOCKETS_VERSION}"
        )),
    }
}

/// The servers nobody here wrote that the end-to-end tests meet: npm `ws` and Python
/// `websockets`, each installed only when missing.
pub fn third_party_servers() -> Result<ThirdPartyServers, Error> {
    Ok(ThirdPartyServers {
        node_modules: node_ws()?,
        python: python_websockets()?,
        frameworks: node_frameworks()?,
    })
}

/// Where the third-party servers of the end-to-end tests are.
pub struct ThirdPartyServers {
    /// npm `ws`'s `node_modules` (for `NODE_PATH`).
    pub node_modules: PathBuf,
    /// The venv's python, with `websockets`.
    pub python: PathBuf,
    /// The framework servers' `node_modules` (for `NODE_PATH`).
    pub frameworks: PathBuf,
}

/// Installs the npm packages `spec` (space-separated) into the tools folder `folder`; says how to get npm
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
            .args(spec.split_whitespace()),
    )
}

/// Headless Chromium with its driver, nginx (the real proxy of the end-to-end tests),
/// the openssl CLI (their TLS certificates) and Caddy (the other proxy docs/deploy.md
/// configures), from Debian; missing ones are installed in one apt-get run.
pub fn browser_and_proxy() -> Result<TestPrograms, Error> {
    let programs = TestPrograms {
        chromium: PathBuf::from("/usr/bin/chromium"),
        chromedriver: PathBuf::from("/usr/bin/chromedriver"),
        nginx: PathBuf::from("/usr/sbin/nginx"),
        openssl: PathBuf::from("/usr/bin/openssl"),
        caddy: PathBuf::from("/usr/bin/caddy"),
    };
    let wanted = [
        (&programs.chromium, "chromium"),
        (&programs.chromedriver, "chromium-driver"),
        (&programs.nginx, "nginx"),
        (&programs.openssl, "openssl"),
        (&programs.caddy, "caddy"),
    ];
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(path, _)| !path.is_file())
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        eprintln!("chromium, chromedriver, nginx, openssl and caddy: present");
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
    /// The openssl CLI.
    pub openssl: PathBuf,
    /// Caddy.
    pub caddy: PathBuf,
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
