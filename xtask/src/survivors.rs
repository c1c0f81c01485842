//! After the end-to-end tests: no browser, driver, server or nginx they started may
//! still run. The harness names every scratch folder `wsdoctor-e2e-*` and passes it on
//! each process's command line, so a survivor is found by that mark (or by the server
//! binary's path), reported, and killed.

use std::path::Path;

use crate::steps::Error;

/// The mark in the command line of every process the end-to-end harness starts.
const MARK: &str = "wsdoctor-e2e-";

/// Fails, naming them, if processes of the end-to-end run are still alive (and kills them).
pub fn check(server_bin: &Path) -> Result<(), Error> {
    let server = server_bin.to_string_lossy();
    let me = std::process::id();
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Ok(()); // not Linux: nothing to look at
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&raw).replace('\0', " ");
        if cmdline.contains(MARK) || cmdline.starts_with(server.as_ref()) {
            found.push(format!("{pid}: {}", cmdline.trim()));
            let _ = crate::paths::command("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
    if found.is_empty() {
        eprintln!("no process of the end-to-end tests survived");
        Ok(())
    } else {
        Err(format!(
            "{} process(es) of the end-to-end tests survived (now killed):\n  {}",
            found.len(),
            found.join("\n  ")
        ))
    }
}
