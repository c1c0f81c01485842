//! The configuration we hand to people, run on the real programs it configures:
//! docs/deploy.md's server command and systemd environment start wsdoctor-server; its
//! nginx block passes `nginx -t` (Debian's nginx 1.22); its Caddy block runs in front of
//! wsdoctor-server (Debian's Caddy 2.6) and carries a WebSocket and the plain
//! `http-check` with the client's address; and the idle experiment's nginx and Caddy
//! snippets are accepted too. No browser: these are about the programs.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use wsdoctor_e2e::certificate::Certificate;
use wsdoctor_e2e::process::{
    GroupChild, ScratchDir, env_path, free_port, program, read_log, wait_for_port,
};
use wsdoctor_e2e::server::Server;

const DEPLOY_MD: &str = include_str!("../../../docs/deploy.md");

/// The fenced blocks of `markdown` in `language`, in order.
fn fenced(markdown: &str, language: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match current.as_mut() {
            None if line.trim() == format!("```{language}") => current = Some(String::new()),
            None => {}
            Some(_) if line.trim() == "```" => blocks.push(current.take().unwrap_or_default()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    blocks
}

/// The only block of `language` that contains `marker`.
fn block_with(language: &str, marker: &str) -> String {
    let found: Vec<String> = fenced(DEPLOY_MD, language)
        .into_iter()
        .filter(|block| block.contains(marker))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one ```{language} block with {marker:?} in deploy.md"
    );
    found.into_iter().next().unwrap_or_default()
}

fn dist() -> String {
    env_path("WSDOCTOR_DIST").display().to_string()
}

/// Runs a program to completion; its exit status and everything it printed.
fn run(command: &mut Command) -> (bool, String) {
    let output = command.output().expect("run the program");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn the_documented_server_command_and_systemd_environment_start_the_server() {
    // The command line, with its continuations joined.
    let block = block_with("sh", "wsdoctor-server --addr");
    let line = block.replace("\\\n", " ");
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words.first(), Some(&"wsdoctor-server"), "{line}");
    let metrics_port = free_port();
    let mut command = Server::command();
    command.env_clear().env("RUST_LOG", "info");
    let mut args = words[1..].iter();
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{flag} has no value"));
        let value = match *flag {
            "--addr" => "127.0.0.1:0".to_string(),
            "--dist" => dist(),
            "--metrics" => format!("127.0.0.1:{metrics_port}"),
            _ => value.to_string(),
        };
        command.arg(flag).arg(value);
    }
    let server = Server::start_command(command);
    drop(server);

    // The unit's Environment= lines, and nothing else, as the only configuration.
    let unit = block_with("ini", "ExecStart=");
    let mut command = Server::command();
    command.env_clear();
    let mut variables = 0;
    for assignment in unit.lines().filter_map(|l| l.strip_prefix("Environment=")) {
        let (name, value) = assignment.split_once('=').expect("NAME=value");
        let value = match name {
            "WSDOCTOR_ADDR" => "127.0.0.1:0".to_string(),
            "WSDOCTOR_DIST" => dist(),
            "WSDOCTOR_METRICS" => format!("127.0.0.1:{}", free_port()),
            _ => value.to_string(),
        };
        command.env(name, value);
        variables += 1;
    }
    assert!(variables >= 7, "{unit}");
    let _server = Server::start_command(command);
}

#[test]
fn the_documented_nginx_block_passes_nginx_t() {
    let certificate = Certificate::make("deploy-nginx-cert");
    let block = block_with("nginx", "proxy_pass")
        .replace(
            "/etc/letsencrypt/live/diag.example.com/fullchain.pem",
            &certificate.cert().display().to_string(),
        )
        .replace(
            "/etc/letsencrypt/live/diag.example.com/privkey.pem",
            &certificate.key().display().to_string(),
        );
    assert!(!block.contains("letsencrypt"), "{block}");
    nginx_accepts(&block, "");
}

#[test]
fn the_idle_experiments_nginx_and_caddy_snippets_are_accepted() {
    let snippets = wsdoctor_core::idle::every_snippet(60, 25_000);
    let nginx = snippets
        .iter()
        .find(|s| s.language == "nginx")
        .expect("nginx");
    nginx_accepts(
        &format!(
            "server {{\n listen 127.0.0.1:{};\n{}}}\n",
            free_port(),
            nginx.code
        ),
        "upstream backend { server 127.0.0.1:9; }",
    );
    let caddy = snippets
        .iter()
        .find(|s| s.language == "caddyfile")
        .expect("caddy");
    let dir = ScratchDir::new("caddy-validate");
    let file = dir.path().join("Caddyfile");
    std::fs::write(&file, format!("{{\n admin off\n}}\n{}", caddy.code)).expect("write");
    let (ok, output) = run(caddy_command(&dir)
        .args(["validate", "--adapter", "caddyfile", "--config"])
        .arg(&file));
    assert!(ok, "caddy validate:\n{}\n{output}", caddy.code);
}

/// `nginx -t` on `server_block` inside an `http` block (with `extra` before it).
fn nginx_accepts(server_block: &str, extra: &str) {
    let dir = ScratchDir::new("nginx-t");
    let d = dir.path().display();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "pid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\nhttp {{\n\
             access_log {d}/access.log;\nclient_body_temp_path {d}/body;\n\
             proxy_temp_path {d}/proxy;\n{extra}\n{server_block}}}\n"
        ),
    )
    .expect("write nginx.conf");
    let (ok, output) = run(Command::new(program("WSDOCTOR_NGINX", "/usr/sbin/nginx"))
        .arg("-t")
        .arg("-p")
        .arg(dir.path())
        .arg("-e")
        .arg(dir.path().join("error.log"))
        .arg("-c")
        .arg(&conf));
    assert!(ok, "nginx -t:\n{server_block}\n{output}");
}

/// Caddy with its state inside `dir`.
fn caddy_command(dir: &ScratchDir) -> Command {
    let mut command = Command::new(program("WSDOCTOR_CADDY", "/usr/bin/caddy"));
    command
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("XDG_CONFIG_HOME", dir.path().join("config"));
    command
}

#[tokio::test]
async fn the_documented_caddy_block_carries_a_websocket_and_the_http_check() {
    let server = Server::start();
    let block = block_with("caddy", "reverse_proxy");
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let site = block
        .replace("diag.example.com", &format!("http://{addr}"))
        .replace("127.0.0.1:8080", &server.addr().to_string());
    assert_ne!(site, block);
    let dir = ScratchDir::new("caddy-run");
    let file = dir.path().join("Caddyfile");
    std::fs::write(&file, format!("{{\n admin off\n}}\n{site}")).expect("write");
    let log = dir.path().join("caddy.log");
    let mut command = caddy_command(&dir);
    command
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&file);
    let mut caddy = GroupChild::spawn("caddy", command, &log);
    assert!(
        wait_for_port(addr, &mut caddy, Duration::from_secs(10)),
        "caddy did not start:\n{site}\n{}",
        read_log(&log)
    );

    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut ws, response) = tokio_tungstenite::client_async(format!("ws://{addr}/ws"), stream)
        .await
        .unwrap_or_else(|e| panic!("upgrade through Caddy: {e}\n{}", read_log(&log)));
    assert_eq!(response.status(), 101);
    ws.send(Message::text("through caddy")).await.expect("send");
    let echo = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("an echo within 5 s")
        .expect("a message")
        .expect("no error");
    assert_eq!(echo, Message::text("through caddy"));

    let seen = http_get(addr, "/ws?http-check").await;
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    assert!(
        seen.contains("x-forwarded-for"),
        "Caddy names the client: {seen}"
    );
}

/// A plain HTTP/1.1 GET; the whole answer as text.
async fn http_get(addr: SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("an answer within 5 s")
        .expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}
