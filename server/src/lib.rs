//! wsdoctor-server: serves the built page at `/`, the WebSocket endpoint at `/ws`
//! (a plain echo of text and binary messages) and `/healthz`.
//!
//! It must stay up whatever a client sends: every limit is explicit and a panic in one
//! connection's task unwinds that task only.

pub mod config;
mod echo;
mod routes;

use tokio::net::TcpListener;

pub use routes::router;

/// Binds `config.addr` and serves until Ctrl-C or SIGTERM.
pub async fn run(config: config::Config) -> std::io::Result<()> {
    let listener = TcpListener::bind(config.addr).await.map_err(|err| {
        std::io::Error::new(
            err.kind(),
            format!("cannot listen on {}: {err}", config.addr),
        )
    })?;
    let addr = listener.local_addr()?;
    if !config.dist.join("index.html").is_file() {
        tracing::warn!(
            "no index.html in {}: the page is not built (run `cargo xtask serve`), only /ws and /healthz will answer",
            config.dist.display()
        );
    }
    tracing::info!("listening on http://{addr}/ (WebSocket endpoint ws://{addr}/ws)");
    axum::serve(listener, router(&config))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("stopping");
}
