//! Copy-paste configuration with the measured numbers filled in: the proxies that cut
//! idle connections (raise their timeout) and the servers that can send heartbeats
//! (send them often enough).

use serde::{Deserialize, Serialize};

use super::result::IdleResult;

/// One snippet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snippet {
    /// What it is for, e.g. "nginx".
    pub title: String,
    /// The language or format, for the page's label.
    pub language: String,
    /// The text to copy.
    pub code: String,
}

fn snippet(title: &str, language: &str, code: String) -> Snippet {
    Snippet {
        title: title.into(),
        language: language.into(),
        code,
    }
}

/// The snippets for a result that found an idle timeout (none otherwise).
pub fn snippets(result: &IdleResult) -> Vec<Snippet> {
    let (Some(t_ms), Some(rec_ms)) = (result.idle_timeout_ms, result.recommended_heartbeat_ms)
    else {
        return Vec::new();
    };
    let t = (t_ms as f64 / 1000.0).round() as u64;
    let r = (rec_ms / 1000).max(1);
    let r_ms = r * 1000;
    // A proxy timeout comfortably above the heartbeat: several missed beats before a cut.
    let proxy = (r * 4).max(t + 1);
    vec![
        snippet(
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
        snippet(
            "HAProxy",
            "haproxy",
            format!(
                "# Measured: idle WebSockets cut after ~{t} s. Once upgraded, HAProxy uses the \
                 tunnel timeout:\ndefaults\n    timeout client  30s\n    timeout server  30s\n    \
                 timeout tunnel  {proxy}s\n"
            ),
        ),
        snippet(
            "AWS Application Load Balancer",
            "shell",
            format!(
                "# Measured: idle WebSockets cut after ~{t} s (the ALB default is 60 s).\naws elbv2 \
                 modify-load-balancer-attributes \\\n  --load-balancer-arn \"$ALB_ARN\" \\\n  \
                 --attributes Key=idle_timeout.timeout_seconds,Value={proxy}\n"
            ),
        ),
        snippet(
            "Cloudflare",
            "text",
            format!(
                "Measured: idle WebSockets cut after ~{t} s. Cloudflare closes WebSockets idle \
                 for about 100 s and most plans cannot change that: send a heartbeat every {r} s \
                 (any message, either direction, counts as activity).\n"
            ),
        ),
        snippet(
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
        snippet(
            "Python websockets",
            "python",
            format!(
                "# Ping every {r} s (below the ~{t} s idle cut); give up after {r} s without Pong.\n\
                 async with websockets.serve(handler, host, port,\n                            \
                 ping_interval={r}, ping_timeout={r}):\n    await asyncio.Future()\n"
            ),
        ),
        snippet(
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
        snippet(
            "Socket.IO",
            "javascript",
            format!(
                "// Engine.IO heartbeat every {r} s (below the ~{t} s idle cut).\n\
                 const io = new Server(httpServer, {{\n  pingInterval: {r_ms},\n  pingTimeout: {r_ms},\n}});\n"
            ),
        ),
        snippet(
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
