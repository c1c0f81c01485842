//! Headless Chromium driven over WebDriver (Debian's chromedriver, fantoccini).

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use fantoccini::wd::{WebDriverCompatibleCommand, WindowHandle};
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

use crate::process::{GroupChild, ScratchDir, free_port, read_log, wait_for_port};

/// Chromium's flags for these machines (headless as root, no background traffic to
/// hosts this network refuses), shared with the wasm-bindgen test runner: the
/// workspace's `webdriver.json`.
fn chromium_flags() -> Vec<String> {
    let file = crate::package_dir().join("../../webdriver.json");
    let path = file.display();
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    json["goog:chromeOptions"]["args"]
        .as_array()
        .unwrap_or_else(|| panic!("{path} has no goog:chromeOptions.args"))
        .iter()
        .filter_map(|arg| arg.as_str().map(str::to_string))
        .collect()
}

/// A browser session: chromedriver, the Chromium it started, and a WebDriver client.
pub struct Browser {
    client: Client,
    // Dropped after the client: the driver's group takes Chromium with it.
    _driver: GroupChild,
    _dir: ScratchDir,
}

impl Browser {
    /// Starts chromedriver on a free loopback port and opens a headless session.
    pub async fn start() -> Browser {
        Browser::start_with(&[]).await
    }

    /// A browser that throttles a hidden page's timers as Chrome does for users:
    /// chromedriver turns that off by default (`--disable-background-timer-throttling`,
    /// `--disable-backgrounding-occluded-windows`); here both are excluded, so a hidden
    /// tab's timers run at most about once a second.
    pub async fn start_throttled() -> Browser {
        Browser::launch(
            &[],
            &[
                "disable-background-timer-throttling",
                "disable-backgrounding-occluded-windows",
            ],
        )
        .await
    }

    /// Like `start`, with extra Chromium flags (benchmarks ask for eager memory figures).
    pub async fn start_with(extra_flags: &[&str]) -> Browser {
        Browser::launch(extra_flags, &[]).await
    }

    async fn launch(extra_flags: &[&str], exclude_switches: &[&str]) -> Browser {
        let chromedriver = crate::process::program("CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = crate::process::program("CHROMIUM", "/usr/bin/chromium");
        let mut last_log = String::new();
        for _attempt in 0..5 {
            let dir = ScratchDir::new("browser");
            let port = free_port();
            let log = dir.path().join("chromedriver.log");
            let mut command = Command::new(&chromedriver);
            command
                .arg(format!("--port={port}"))
                .arg("--allowed-ips=127.0.0.1")
                .arg(format!(
                    "--log-path={}",
                    dir.path().join("driver-verbose.log").display()
                ));
            let mut driver = GroupChild::spawn("chromedriver", command, &log);
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            if !wait_for_port(addr, &mut driver, Duration::from_secs(10)) {
                last_log = read_log(&log);
                continue;
            }
            let mut args = chromium_flags();
            args.push("--window-size=1280,900".into());
            args.extend(extra_flags.iter().map(|flag| flag.to_string()));
            args.push(format!(
                "--user-data-dir={}",
                dir.path().join("profile").display()
            ));
            let capabilities = json!({
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium.display().to_string(),
                    "args": args,
                    "excludeSwitches": exclude_switches,
                },
                // The browser's console, read before the browser closes (CSP violations).
                "goog:loggingPrefs": { "browser": "ALL" },
            });
            let Value::Object(capabilities) = capabilities else {
                unreachable!("a JSON object literal")
            };
            let client = ClientBuilder::rustls()
                .expect("TLS roots for the WebDriver client")
                .capabilities(capabilities)
                .connect(&format!("http://{addr}"))
                .await
                .unwrap_or_else(|e| panic!("no WebDriver session: {e}\n{}", read_log(&log)));
            return Browser {
                client,
                _driver: driver,
                _dir: dir,
            };
        }
        panic!("chromedriver did not start:\n{last_log}");
    }

    /// Lets the page download files into a fresh folder of this session, and returns it.
    pub async fn allow_downloads(&self) -> std::path::PathBuf {
        let folder = self._dir.path().join("downloads");
        std::fs::create_dir_all(&folder).expect("create the downloads folder");
        self.cdp(
            "Browser.setDownloadBehavior",
            json!({ "behavior": "allow", "downloadPath": folder.display().to_string() }),
        )
        .await;
        folder
    }

    /// Lets pages of `origin` write and read the clipboard without asking.
    pub async fn allow_clipboard(&self, origin: &str) {
        self.cdp(
            "Browser.grantPermissions",
            json!({
                "origin": origin,
                "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"],
            }),
        )
        .await;
    }

    /// The clipboard's text, as the page can read it.
    pub async fn clipboard_text(&self) -> String {
        self.run_async(
            "const done = arguments[0]; navigator.clipboard.readText().then(done, e => done('READ FAILED: ' + e));",
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// The WebDriver client, for page objects.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("open the page");
    }

    /// Opens the page at `base` with query parameters (a support link), encoded properly.
    pub async fn open_page(&self, base: &str, params: &[(&str, &str)]) {
        let link = url::Url::parse_with_params(base, params).expect("a valid page address");
        self.goto(link.as_str()).await;
    }

    /// The tab in front now.
    pub async fn current_tab(&self) -> WindowHandle {
        self.client.window().await.expect("current window")
    }

    /// Opens a new tab and switches to it, which hides the tab that was in front.
    pub async fn open_second_tab(&self) -> WindowHandle {
        let tab = self.client.new_window(true).await.expect("new tab").handle;
        self.client
            .switch_to_window(tab.clone())
            .await
            .expect("switch to the new tab");
        tab
    }

    /// Brings `tab` to the front (the others become hidden).
    pub async fn switch_to(&self, tab: WindowHandle) {
        self.client.switch_to_window(tab).await.expect("switch tab");
    }

    /// Runs an async script (its last argument is the callback) and returns its value.
    pub async fn run_async(&self, script: &str) -> Value {
        self.client
            .execute_async(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    /// Sends a Chrome DevTools Protocol command through chromedriver and returns its result.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.client
            .issue_cmd(SessionPost {
                path: "goog/cdp/execute",
                body: json!({ "cmd": cmd, "params": params }),
            })
            .await
            .unwrap_or_else(|e| panic!("CDP {cmd} failed: {e}"))
    }

    /// The browser console's entries since the last read (level and message), from
    /// chromedriver's log of the session.
    pub async fn console_log(&self) -> Vec<(String, String)> {
        let entries = self
            .client
            .issue_cmd(SessionPost {
                path: "se/log",
                body: json!({ "type": "browser" }),
            })
            .await
            .unwrap_or_else(|e| panic!("cannot read the browser's console: {e}"));
        entries
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|entry| {
                        let field =
                            |name: &str| entry[name].as_str().unwrap_or_default().to_string();
                        (field("level"), field("message"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What in the browser's console since the last read means the page failed: a
    /// Content-Security-Policy violation (an inline style or script the page's policy
    /// blocked), or a Rust panic in wasm ("panicked at", then "RuntimeError: unreachable").
    pub async fn page_failures(&self) -> Vec<String> {
        self.console_log()
            .await
            .into_iter()
            .filter(|(_, message)| {
                message.contains("Content Security Policy")
                    || message.contains("panicked at")
                    || message.contains("RuntimeError: unreachable")
            })
            .map(|(level, message)| format!("{level}: {message}"))
            .collect()
    }

    /// Ends the session politely (Chromium quits); the drop kills whatever is left.
    /// First it reads the browser's console, and fails the test on any `page_failures`.
    pub async fn close(self) {
        let violations = self.page_failures().await;
        let Browser {
            client,
            _driver,
            _dir,
        } = self;
        let _ = client.close().await;
        assert!(
            violations.is_empty(),
            "the page broke its Content-Security-Policy or panicked:\n{}",
            violations.join("\n")
        );
    }
}

/// A chromedriver extension: `POST /session/{id}/<path>` with a JSON body (the CDP
/// bridge `goog/cdp/execute`, the console log `se/log`).
#[derive(Debug)]
struct SessionPost {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/{}", self.path))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}
