//! The HTTP routes: the page, the WebSocket endpoint, the health check.

use axum::Router;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;
use axum::routing::get;
use tower_http::services::{ServeDir, ServeFile};

use crate::config::Config;
use crate::echo;

/// Per-connection buffer sizes, set explicitly: tungstenite's defaults (128 KiB each way
/// per connection) make idle connections expensive.
const READ_BUFFER_BYTES: usize = 16 * 1024;
const WRITE_BUFFER_BYTES: usize = 16 * 1024;

#[derive(Clone)]
struct Limits {
    max_message_bytes: usize,
}

/// The whole application: `/ws`, `/healthz`, and the page for everything else.
pub fn router(config: &Config) -> Router {
    let page = ServeDir::new(&config.dist)
        .not_found_service(ServeFile::new(config.dist.join("index.html")));
    Router::new()
        .route(wsdoctor_core::COMPANION_PATH, get(upgrade))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(Limits {
            max_message_bytes: config.max_message_bytes,
        })
        .fallback_service(page)
}

async fn upgrade(State(limits): State<Limits>, ws: WebSocketUpgrade) -> Response {
    ws.read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_write_buffer_size(limits.max_message_bytes + WRITE_BUFFER_BYTES)
        .max_message_size(limits.max_message_bytes)
        .max_frame_size(limits.max_message_bytes)
        .on_upgrade(move |socket| echo::run(socket, limits.max_message_bytes))
}
