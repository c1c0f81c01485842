//! A real nginx (Debian's) in front of a server, from a generated config, on a free
//! loopback port. It runs in the foreground as one process, with every path inside its
//! own scratch folder, so it needs no system service and leaves nothing behind.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::process::{GroupChild, ScratchDir, free_port, read_log, wait_for_port};

/// How the proxy is set up.
#[derive(Clone, Debug)]
pub struct NginxOptions {
    /// `proxy_read_timeout`: how long an upgraded connection may stay silent.
    pub read_timeout: Duration,
    /// Whether it passes `Upgrade` and `Connection` on (`false`: the misconfigured proxy
    /// that breaks every WebSocket while plain HTTP works).
    pub pass_upgrade: bool,
    /// Terminate TLS with this certificate and key (PEM files): the page and the
    /// WebSocket are then `https://` and `wss://`.
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl Default for NginxOptions {
    fn default() -> Self {
        NginxOptions {
            read_timeout: Duration::from_secs(60),
            pass_upgrade: true,
            tls: None,
        }
    }
}

/// A running nginx proxying everything (page and WebSocket) to an upstream.
pub struct Nginx {
    addr: SocketAddr,
    tls: bool,
    dir: ScratchDir,
    _process: GroupChild,
}

impl Nginx {
    /// Starts nginx in front of `upstream`. A port taken between probe and bind is retried.
    pub fn start(upstream: SocketAddr, options: &NginxOptions) -> Nginx {
        let binary = crate::process::program("WSDOCTOR_NGINX", "/usr/sbin/nginx");
        let mut last_log = String::new();
        for _attempt in 0..5 {
            let dir = ScratchDir::new("nginx");
            let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
            let conf = dir.path().join("nginx.conf");
            std::fs::write(&conf, config(&dir, addr, upstream, options)).expect("write nginx.conf");
            let log = dir.path().join("stdout.log");
            let mut command = Command::new(&binary);
            command
                .arg("-p")
                .arg(dir.path())
                .arg("-e")
                .arg(dir.path().join("error.log"))
                .arg("-c")
                .arg(&conf);
            let mut process = GroupChild::spawn("nginx", command, &log);
            if wait_for_port(addr, &mut process, Duration::from_secs(10)) {
                return Nginx {
                    addr,
                    tls: options.tls.is_some(),
                    dir,
                    _process: process,
                };
            }
            last_log = format!(
                "{}{}",
                read_log(&log),
                read_log(&dir.path().join("error.log"))
            );
        }
        panic!("nginx did not start in 5 attempts:\n{last_log}");
    }

    /// Stops nginx: every connection through it drops without a close frame.
    pub fn stop(self) {
        drop(self);
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The page's address through the proxy.
    pub fn page_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}/", self.addr)
    }

    /// The upstream's WebSocket endpoint `path` through the proxy.
    pub fn ws_url(&self, path: &str) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!("{scheme}://{}{path}", self.addr)
    }

    /// nginx's access log so far.
    pub fn access_log(&self) -> String {
        read_log(&self.dir.path().join("access.log"))
    }
}

fn config(
    dir: &ScratchDir,
    addr: SocketAddr,
    upstream: SocketAddr,
    options: &NginxOptions,
) -> String {
    let d = dir.path().display();
    let timeout = options.read_timeout.as_millis();
    let upgrade = if options.pass_upgrade {
        "proxy_set_header Upgrade $http_upgrade;\n            proxy_set_header Connection $connection_upgrade;"
    } else {
        "# Upgrade and Connection not passed on: WebSockets break here."
    };
    let listen = match &options.tls {
        Some((cert, key)) => format!(
            "listen {addr} ssl;\n        ssl_certificate {};\n        ssl_certificate_key {};",
            cert.display(),
            key.display()
        ),
        None => format!("listen {addr};"),
    };
    format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    server {{
        {listen}
        location / {{
            proxy_pass http://{upstream};
            proxy_http_version 1.1;
            {upgrade}
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout {timeout}ms;
            proxy_send_timeout {timeout}ms;
        }}
    }}
}}
"#
    )
}
