//! After the end-to-end tests: no browser, driver, server or nginx they started may
//! still run. The harness starts every process with `WSDOCTOR_E2E_RUN` in its
//! environment, which their own children (Chromium's helpers) inherit, so a survivor is
//! found by that mark, reported, and killed. Processes a developer started by hand are
//! never touched.

use crate::steps::Error;

/// The environment variable every process of the end-to-end harness carries.
const MARK: &str = "WSDOCTOR_E2E_RUN";

/// Fails, naming them, if processes of the end-to-end run are still alive (and kills them).
pub fn check() -> Result<(), Error> {
    let me = std::process::id();
    let needle = format!("{MARK}=");
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
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let marked = environ
            .split(|b| *b == 0)
            .any(|var| var.starts_with(needle.as_bytes()));
        if !marked {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline"))
            .map(|raw| String::from_utf8_lossy(&raw).replace('\0', " "))
            .unwrap_or_default();
        found.push(format!("{pid}: {}", cmdline.trim()));
        let _ = crate::paths::command("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
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
