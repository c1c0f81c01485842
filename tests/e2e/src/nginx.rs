//! A real nginx (Debian's) in front of a server, from a generated config, on a free
//! loopback port. It runs in the foreground as one process, with every path inside its
//! own scratch folder, so it needs no system service and leaves nothing behind.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use crate::process::{GroupChild, ScratchDir, free_port, read_log, wait_for_port};

/// How the proxy is set up.
#[derive(Clone, Debug)]
pub struct NginxOptions {
    /// `proxy_read_timeout`: how long an upgraded connection may stay silent.
    pub read_timeout: Duration,
}

impl Default for NginxOptions {
    fn default() -> Self {
        NginxOptions {
            read_timeout: Duration::from_secs(60),
        }
    }
}

/// A running nginx proxying everything (page and WebSocket) to an upstream.
pub struct Nginx {
    addr: SocketAddr,
    dir: ScratchDir,
    _process: GroupChild,
}

impl Nginx {
    /// Starts nginx in front of `upstream`. A port taken between probe and bind is retried.
    pub fn start(upstream: SocketAddr, options: &NginxOptions) -> Nginx {
        let binary = std::env::var("WSDOCTOR_NGINX").unwrap_or_else(|_| "/usr/sbin/nginx".into());
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
        format!("http://{}/", self.addr)
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
        listen {addr};
        location / {{
            proxy_pass http://{upstream};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
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
