//! Child processes in their own process group, killed as a group on drop; free loopback
//! ports; scratch folders that are removed on drop.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The environment variable that marks every process the harness starts (and, by
/// inheritance, their children).
pub const RUN_MARK: &str = "WSDOCTOR_E2E_RUN";

/// A scratch folder `wsdoctor-e2e-<pid>-<n>-<name>` in the temp dir, removed on drop.
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// Creates a new, empty scratch folder.
    pub fn new(name: &str) -> ScratchDir {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("wsdoctor-e2e-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a scratch folder");
        ScratchDir { path }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A running process and its whole process group.
pub struct GroupChild {
    name: String,
    child: Child,
}

impl GroupChild {
    /// Starts `command` in a new process group, output appended to `log`.
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> GroupChild {
        let out = std::fs::File::create(log).expect("create a log file");
        let err = out.try_clone().expect("clone the log file");
        command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            // The mark `cargo xtask test` looks for afterwards: no marked process may survive.
            .env(RUN_MARK, std::process::id().to_string())
            .process_group(0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({:?}): {e}", command.get_program()));
        GroupChild {
            name: name.to_string(),
            child,
        }
    }

    /// Whether the process has exited already.
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// The process id (also the process group id).
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for GroupChild {
    fn drop(&mut self) {
        let group = self.child.id() as libc::pid_t;
        // SAFETY: killpg only sends a signal to the group this handle created.
        unsafe {
            libc::killpg(group, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if self.has_exited() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Whatever is left of the group (a browser's helpers too) goes now.
        // SAFETY: as above.
        unsafe {
            libc::killpg(group, libc::SIGKILL);
        }
        if self.child.wait().is_err() {
            eprintln!("e2e: could not reap {}", self.name);
        }
    }
}

/// A loopback port that was free a moment ago (the OS picked it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a free loopback port")
}

/// Waits until something accepts TCP connections on `addr`, or `child` exits, or the
/// time is up. Returns whether it is accepting.
pub fn wait_for_port(addr: SocketAddr, child: &mut GroupChild, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        if child.has_exited() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    false
}

/// A program the tests run: the path in the environment variable `variable` (`cargo
/// xtask test` sets it), else where Debian installs it.
pub fn program(variable: &str, debian_path: &str) -> PathBuf {
    std::env::var_os(variable).map_or_else(|| PathBuf::from(debian_path), PathBuf::from)
}

/// A path only `cargo xtask test` knows (the built server and page, the tools folder),
/// from its environment variable.
pub fn env_path(name: &str) -> PathBuf {
    match std::env::var_os(name) {
        Some(path) => PathBuf::from(path),
        None => panic!("{name} is not set: run the end-to-end tests with `cargo xtask test`"),
    }
}

/// The text of a log file, for failure messages.
pub fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
