//! `cargo xtask serve`: install what is missing, build the page and the server, then run
//! the server on 127.0.0.1 until Ctrl-C.

use crate::cmd;
use crate::page;
use crate::paths;
use crate::steps::{Error, Steps};
use crate::tools;

const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// Runs `serve`, with its optional `--addr HOST:PORT`.
pub fn run(args: &[String]) -> Result<(), Error> {
    let addr = match args {
        [] => DEFAULT_ADDR.to_string(),
        [flag, addr] if flag == "--addr" => addr.clone(),
        [flag] if flag.starts_with("--addr=") => flag["--addr=".len()..].to_string(),
        _ => {
            return Err(format!(
                "serve takes only --addr HOST:PORT, not {:?}",
                args.join(" ")
            ));
        }
    };
    let mut steps = Steps::new();
    steps.require("wasm32 target", tools::wasm32_target)?;
    steps.require("wasm-bindgen-cli", tools::wasm_bindgen_cli)?;
    steps.require("trunk", tools::trunk)?;
    steps.require("wasm-opt", tools::wasm_opt)?;
    let dist = steps.require("build the page", page::build)?.dist;
    let server = steps.require("build wsdoctor-server", || page::build_server(true))?;
    steps.finish()?;
    eprintln!("\nwsdoctor is ready: open http://{addr}/ in your browser (Ctrl-C stops it).\n");
    cmd::run(
        paths::command(server)
            .args(["--addr", &addr, "--dist"])
            .arg(dist),
    )
}
