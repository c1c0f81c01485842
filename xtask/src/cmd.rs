//! Running other programs: print the command line, run it, turn a failure into a sentence.

use std::ffi::OsStr;
use std::process::{Command, Stdio};

use crate::steps::Error;

/// Runs `command` with inherited output; fails if it cannot start or exits non-zero.
pub fn run(command: &mut Command) -> Result<(), Error> {
    eprintln!("$ {}", describe(command));
    let status = command
        .status()
        .map_err(|err| format!("cannot start `{}`: {err}", program(command)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` exited with {status}", describe(command)))
    }
}

/// Runs `command` quietly and returns its standard output, or `None` if it cannot start
/// or fails. For probes like `trunk --version`.
pub fn output(command: &mut Command) -> Option<String> {
    let out = command
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The program's name, as given.
fn program(command: &Command) -> String {
    command.get_program().to_string_lossy().into_owned()
}

/// The command line, for logs.
pub fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(OsStr::to_string_lossy)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The number after `key=` on a line of a measuring program's output.
pub fn number_after(output: &str, key: &str) -> Result<f64, Error> {
    output
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("no {key} in: {output}"))
}
