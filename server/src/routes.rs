//! The HTTP routes: the page, the WebSocket endpoint, the health check and the metrics.

use axum::extract::State;
use axum::http::{HeaderName, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Router, middleware};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::config::MetricsAt;
use crate::page;
use crate::state::AppState;
use crate::upgrade;

/// The whole application: `/ws`, `/healthz`, `/metrics` (unless elsewhere or off), and
/// the page for everything else (its brotli or gzip copy when the browser accepts one,
/// with cache headers), every response with the page's security headers.
pub fn router(state: AppState) -> Router {
    let dist = &state.config.dist;
    let index = ServeFile::new(dist.join("index.html"))
        .precompressed_br()
        .precompressed_gzip();
    let serve_page = ServeDir::new(dist)
        .precompressed_br()
        .precompressed_gzip()
        .not_found_service(index);
    let serve_page = Router::new()
        .fallback_service(serve_page)
        .layer(middleware::from_fn(page::cache_control));
    let mut router = Router::new()
        .route(wsdoctor_core::COMPANION_PATH, get(upgrade::handle))
        .route("/healthz", get(|| async { "ok\n" }));
    if state.config.metrics == MetricsAt::Main {
        router = router.route("/metrics", get(metrics));
    }
    let mut router = router
        .with_state(state.clone())
        .fallback_service(serve_page);
    for (name, value) in page::security_headers(dist) {
        router = router.layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static(name),
            value,
        ));
    }
    router
}

/// The metrics alone, for `--metrics HOST:PORT`.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
