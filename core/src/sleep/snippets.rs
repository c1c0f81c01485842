//! Advice to paste after a sleep experiment, with the measured numbers filled in: a
//! visibility-aware reconnect (probe on return, reconnect when the probe misses its
//! deadline), a heartbeat timer in a Worker, and the server-side keepalive that finds a
//! sleeping client (Python `websockets`, Node `ws`).

use super::result::{Fate, SleepResult};
use crate::idle::Snippet;

/// The snippets for `result`; `deadline_ms` is the probe deadline used.
pub fn sleep_snippets(result: &SleepResult, deadline_ms: u64) -> Vec<Snippet> {
    if result.failure.is_some() {
        return Vec::new();
    }
    let every = result.heartbeat_ms;
    let every_s = (every as f64 / 1000.0).max(0.1);
    let lost = matches!(
        result.fate,
        Fate::HalfOpen { .. } | Fate::ClosedWhileAway { .. }
    );
    let snippet = |title: &str, language: &str, code: String, featured: bool| Snippet {
        title: title.into(),
        language: language.into(),
        code,
        featured,
    };
    vec![
        snippet(
            "Reconnect on return",
            "browser JavaScript",
            format!(
                "// When the page comes back, check the socket: a send that gets no answer\n\
                 // within {deadline_ms} ms means it is dead (half-open), whatever readyState says.\n\
                 document.addEventListener(\"visibilitychange\", () => {{\n  \
                   if (document.visibilityState !== \"visible\") return;\n  \
                   if (socket.readyState !== WebSocket.OPEN) return reconnect();\n  \
                   const deadline = setTimeout(() => {{ socket.close(4000, \"no answer on return\"); reconnect(); }}, {deadline_ms});\n  \
                   socket.addEventListener(\"message\", () => clearTimeout(deadline), {{ once: true }});\n  \
                   socket.send(JSON.stringify({{ type: \"ping\" }})); // your app's ping, which the server answers\n\
                 }});"
            ),
            lost,
        ),
        snippet(
            "Heartbeat timer in a Worker",
            "browser JavaScript",
            format!(
                "// heartbeat-worker.js: Worker timers keep their pace while the page is hidden.\n\
                 setInterval(() => postMessage(\"beat\"), {every});\n\n\
                 // In the page:\n\
                 const beats = new Worker(\"/heartbeat-worker.js\");\n\
                 beats.onmessage = () => {{ if (socket.readyState === WebSocket.OPEN) socket.send(\"ping\"); }};"
            ),
            lost,
        ),
        snippet(
            "Python websockets (server keepalive)",
            "Python",
            format!(
                "# The server pings every {every_s} s and closes (1011) when a Pong is {every_s} s late:\n\
                 # browsers answer Pings even from a hidden tab, so only a sleeping device or a dead\n\
                 # network is cut.\n\
                 async with serve(handler, host, port, ping_interval={every_s}, ping_timeout={every_s}):\n    \
                   await asyncio.get_running_loop().create_future()"
            ),
            false,
        ),
        snippet(
            "Node ws (server keepalive)",
            "JavaScript (Node)",
            format!(
                "// Ping every client every {every} ms; terminate one that did not answer the last Ping.\n\
                 wss.on(\"connection\", (ws) => {{ ws.isAlive = true; ws.on(\"pong\", () => {{ ws.isAlive = true; }}); }});\n\
                 setInterval(() => {{\n  \
                   for (const ws of wss.clients) {{\n    \
                     if (!ws.isAlive) {{ ws.terminate(); continue; }}\n    \
                     ws.isAlive = false;\n    \
                     ws.ping();\n  \
                   }}\n\
                 }}, {every});"
            ),
            false,
        ),
    ]
}
