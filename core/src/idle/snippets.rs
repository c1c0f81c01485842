//! Copy-paste configuration with the measured numbers filled in: the proxies that cut
//! idle connections (raise their timeout) and the servers that can send heartbeats
//! (send them often enough). The system whose default matches the measured timeout comes
//! first, then the likeliest ones (proxies for a cut in the path, servers for a server
//! that closed the connection itself); the page shows the first ones and folds the rest.

use serde::{Deserialize, Serialize};

use super::result::{CutBy, IdleResult};
use crate::diagnosis::{KnownTimeout, heartbeat_for, matching_timeout};

/// One snippet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snippet {
    /// What it is for, e.g. "nginx".
    pub title: String,
    /// The language or format, for the page's label.
    pub language: String,
    /// The text to copy.
    pub code: String,
    /// Shown first and unfolded: its default matches the measured timeout, or it is
    /// among the likeliest when none does.
    pub featured: bool,
}

/// Whether a snippet configures something in the path or the server itself.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Proxy,
    Server,
}

/// A snippet before ordering: its side and the default idle timeouts (s) it has.
struct Candidate {
    side: Side,
    defaults: &'static [u64],
    snippet: Snippet,
}

fn candidate(
    side: Side,
    defaults: &'static [u64],
    title: &str,
    language: &str,
    code: String,
) -> Candidate {
    Candidate {
        side,
        defaults,
        snippet: Snippet {
            title: title.into(),
            language: language.into(),
            code,
            featured: false,
        },
    }
}

/// The snippets for a result that found an idle timeout (none otherwise), the matched
/// system and the likeliest first.
pub fn snippets(result: &IdleResult) -> Vec<Snippet> {
    let (Some(t_ms), Some(rec_ms)) = (result.idle_timeout_ms, result.recommended_heartbeat_ms)
    else {
        return Vec::new();
    };
    let t = (t_ms as f64 / 1000.0).round() as u64;
    let matched = matching_timeout(t_ms as f64).map(|known| u64::from(known.seconds));
    let likely = if result.cut_by == Some(CutBy::Server) {
        Side::Server
    } else {
        Side::Proxy
    };
    let mut candidates = candidates(t, rec_ms);
    // Stable: matched first, then the likely side, each in the catalogue's order.
    candidates.sort_by_key(|c| {
        let is_matched = matched.is_some_and(|m| c.defaults.contains(&m));
        (!is_matched, c.side != likely)
    });
    let any_matched = candidates
        .first()
        .is_some_and(|c| matched.is_some_and(|m| c.defaults.contains(&m)));
    candidates
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let is_matched = matched.is_some_and(|m| c.defaults.contains(&m));
            Snippet {
                featured: if any_matched { is_matched } else { i < 2 },
                ..c.snippet
            }
        })
        .collect()
}

/// The snippets of the systems whose default is `known` (for a close explained by it),
/// with the cut measured after `measured_ms` and the heartbeat for it filled in.
pub fn snippets_for_known_timeout(known: KnownTimeout, measured_ms: f64) -> Vec<Snippet> {
    let t = (measured_ms / 1000.0).round() as u64;
    let default = u64::from(known.seconds);
    candidates(t, heartbeat_for(measured_ms))
        .into_iter()
        .filter(|c| c.defaults.contains(&default))
        .map(|c| Snippet {
            featured: true,
            ..c.snippet
        })
        .collect()
}

/// Every snippet for a cut after `timeout_s` and a heartbeat of `heartbeat_ms`, none
/// featured (for checking each against the program it configures).
pub fn every_snippet(timeout_s: u64, heartbeat_ms: u64) -> Vec<Snippet> {
    candidates(timeout_s, heartbeat_ms)
        .into_iter()
        .map(|c| c.snippet)
        .collect()
}

/// Every snippet, in the catalogue's order (the most used first on each side).
fn candidates(t: u64, rec_ms: u64) -> Vec<Candidate> {
    let r = (rec_ms / 1000).max(1);
    let r_ms = r * 1000;
    // A proxy timeout comfortably above the heartbeat: several missed beats before a cut.
    let proxy = (r * 4).max(t + 1);
    vec![
        candidate(
            Side::Proxy,
            &[60],
            "nginx",
            "nginx",
            format!(
                "# Measured: idle WebSockets cut after ~{t} s. Keep upgraded connections open \
                 longer than the heartbeat ({r} s):\nlocation /ws {{\n    proxy_pass http://backend;\n    \
                 proxy_http_version 1.1;\n    proxy_set_header Upgrade $http_upgrade;\n    \
                 proxy_set_header Connection \"upgrade\";\n    proxy_read_timeout {proxy}s;\n    \
                 proxy_send_timeout {proxy}s;\n}}\n"
            ),
        ),
        candidate(
            Side::Proxy,
            &[],
            "HAProxy",
            "haproxy",
            format!(
                "# Measured: idle WebSockets cut after ~{t} s. Once upgraded, HAProxy uses the \
                 tunnel timeout:\ndefaults\n    timeout client  30s\n    timeout server  30s\n    \
                 timeout tunnel  {proxy}s\n"
            ),
        ),
        candidate(
            Side::Proxy,
            &[60],
            "AWS Application Load Balancer",
            "shell",
            format!(
                "# Measured: idle WebSockets cut after ~{t} s (the ALB default is 60 s).\naws elbv2 \
                 modify-load-balancer-attributes \\\n  --load-balancer-arn \"$ALB_ARN\" \\\n  \
                 --attributes Key=idle_timeout.timeout_seconds,Value={proxy}\n"
            ),
        ),
        candidate(
            Side::Proxy,
            &[100],
            "Cloudflare",
            "text",
            format!(
                "Measured: idle WebSockets cut after ~{t} s. Cloudflare closes WebSockets idle \
                 for about 100 s and most plans cannot change that: send a heartbeat every {r} s \
                 (any message, either direction, counts as activity).\n"
            ),
        ),
        candidate(
            Side::Proxy,
            &[],
            "Envoy",
            "yaml",
            format!(
                "# Measured: idle WebSockets cut after ~{t} s. In the HttpConnectionManager:\n\
                 common_http_protocol_options:\n  idle_timeout: {proxy}s\n\
                 upgrade_configs:\n  - upgrade_type: websocket\n\
                 # and on the route that carries the WebSocket:\n\
                 route:\n  timeout: 0s          # no request timeout for a long-lived stream\n  \
                 idle_timeout: {proxy}s\n"
            ),
        ),
        candidate(
            Side::Proxy,
            &[60],
            "Apache httpd",
            "apache",
            format!(
                "# Measured: idle WebSockets cut after ~{t} s. httpd 2.4.47+ tunnels an upgraded \
                 connection until it has been idle for the larger of Timeout and ProxyTimeout \
                 (Timeout defaults to 60 s):\nProxyPass \"/ws\" \"http://backend:8080/ws\" \
                 upgrade=websocket\nProxyTimeout {proxy}\n"
            ),
        ),
        candidate(
            Side::Proxy,
            &[],
            "Caddy",
            "caddyfile",
            format!(
                "# Measured: idle WebSockets cut after ~{t} s. Caddy's reverse_proxy sets no idle \
                 limit on upgraded connections by default:\n# look for a shorter limit in front \
                 of it, and send a heartbeat every {r} s.\nexample.com {{\n    reverse_proxy /ws \
                 backend:8080 {{\n        # Caddy 2.7+: stream_timeout is a maximum lifetime, not an \
                 idle timeout: leave it unset.\n        # Caddy 2.7+: stream_close_delay 5m keeps \
                 WebSockets open across config reloads.\n    }}\n}}\n"
            ),
        ),
        candidate(
            Side::Proxy,
            &[],
            "Traefik",
            "yaml",
            format!(
                "# Measured: idle WebSockets cut after ~{t} s. Static configuration: the entry \
                 point's timeouts (readTimeout defaults to 60 s in Traefik v3, idleTimeout to \
                 180 s):\nentryPoints:\n  websecure:\n    address: \":443\"\n    transport:\n      \
                 respondingTimeouts:\n        readTimeout: {proxy}s\n        idleTimeout: {proxy}s\n"
            ),
        ),
        candidate(
            Side::Proxy,
            &[55],
            "Heroku",
            "text",
            format!(
                "Measured: idle WebSockets cut after ~{t} s. Heroku's router closes a WebSocket \
                 after 55 s without a byte in either direction, and that cannot be changed: send a \
                 heartbeat every {r} s (any message, either direction, resets it).\n"
            ),
        ),
        candidate(
            Side::Proxy,
            &[300],
            "Azure Front Door",
            "text",
            format!(
                "Measured: idle WebSockets cut after ~{t} s. Azure Front Door closes a WebSocket \
                 with no data either way for 5 minutes, and none stays open longer than 4 hours; \
                 neither can be changed: send a heartbeat every {r} s and reconnect when cut.\n"
            ),
        ),
        candidate(
            Side::Proxy,
            &[600],
            "AWS API Gateway",
            "text",
            format!(
                "Measured: idle WebSockets cut after ~{t} s. API Gateway WebSocket APIs close a \
                 connection idle for 10 minutes and any connection after 2 hours; neither can be \
                 changed: send a heartbeat every {r} s (a message to one of your routes) and \
                 reconnect when cut.\n"
            ),
        ),
        candidate(
            Side::Proxy,
            &[30],
            "Google Cloud load balancer",
            "shell",
            format!(
                "# Measured: connections cut after ~{t} s. For WebSockets, the external Application \
                 Load Balancer's\n# backend service timeout (30 s by default) is the longest a \
                 connection may stay open,\n# busy or not: heartbeats do not help. Raise it:\n\
                 gcloud compute backend-services update \"$BACKEND_SERVICE\" --global --timeout=3600\n\
                 # On GKE: a BackendConfig with spec.timeoutSec: 3600 on the Service.\n"
            ),
        ),
        candidate(
            Side::Server,
            &[],
            "Python websockets",
            "python",
            format!(
                "# Ping every {r} s (below the ~{t} s idle cut); give up after {r} s without Pong.\n\
                 async with websockets.serve(handler, host, port,\n                            \
                 ping_interval={r}, ping_timeout={r}):\n    await asyncio.Future()\n"
            ),
        ),
        candidate(
            Side::Server,
            &[],
            "Node ws",
            "javascript",
            format!(
                "// Ping every {r} s (below the ~{t} s idle cut); drop clients that missed a Pong.\n\
                 wss.on('connection', (ws) => {{\n  ws.alive = true;\n  ws.on('pong', () => {{ ws.alive = true; }});\n}});\n\
                 const beat = setInterval(() => {{\n  for (const ws of wss.clients) {{\n    \
                 if (!ws.alive) {{ ws.terminate(); continue; }}\n    ws.alive = false;\n    ws.ping();\n  }}\n\
                 }}, {r_ms});\nwss.on('close', () => clearInterval(beat));\n"
            ),
        ),
        candidate(
            Side::Server,
            &[],
            "Socket.IO",
            "javascript",
            format!(
                "// Engine.IO heartbeat every {r} s (below the ~{t} s idle cut).\n\
                 const io = new Server(httpServer, {{\n  pingInterval: {r_ms},\n  pingTimeout: {r_ms},\n}});\n"
            ),
        ),
        candidate(
            Side::Server,
            &[],
            "axum / tokio-tungstenite",
            "rust",
            format!(
                "// Ping every {r} s (below the ~{t} s idle cut), next to the receive loop.\n\
                 let mut beat = tokio::time::interval(std::time::Duration::from_secs({r}));\n\
                 loop {{\n    tokio::select! {{\n        _ = beat.tick() => {{\n            \
                 if socket.send(Message::Ping(Vec::new().into())).await.is_err() {{ break; }}\n        }}\n        \
                 incoming = socket.recv() => match incoming {{\n            \
                 Some(Ok(message)) => handle(message),\n            _ => break,\n        }},\n    }}\n}}\n"
            ),
        ),
    ]
}
