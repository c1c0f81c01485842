//! wsdoctor-server: serves the built page at `/`, the WebSocket endpoint at `/ws` (plain
//! echo, or the companion protocol `wsdoctor.v1` when the client asks for it; a plain
//! `GET /ws?http-check` answers the page's "blocked or down" check), `/healthz` and
//! `/metrics`.
//!
//! It must stay up whatever a client sends: every limit is explicit, memory per
//! connection and per session is bounded, and a panic in one connection's task unwinds
//! that task only. Stopping closes every connection with the shutdown code (1001, or
//! 1012 for restart drills) before the process exits.

mod accept;
mod client_address;
mod clock;
mod closing;
mod companion;
pub mod config;
mod echo;
mod frame_guard;
mod http_check;
mod limits;
mod metrics;
mod page;
mod routes;
mod sending;
mod sessions;
mod state;
#[cfg(test)]
mod test_client;
mod upgrade;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use config::{Config, MetricsAt};
use state::AppState;

/// How long stopping waits for connections to finish their closing handshakes.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// A server that is running; stop it with [`RunningServer::stop`].
pub struct RunningServer {
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    state: AppState,
    stop: watch::Sender<Option<u16>>,
    tasks: Vec<JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    /// Where the page and `/ws` are served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where `/metrics` is served on its own, if it is.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// Closes every connection with the shutdown code, waits for them (briefly), stops.
    pub async fn stop(self) {
        let code = self.state.config.shutdown_code;
        tracing::info!("stopping: closing every connection with {code}");
        let _ = self.stop.send(Some(code));
        self.state.slots.wait_all_closed(STOP_GRACE).await;
        for task in self.tasks {
            task.abort();
            let _ = task.await;
        }
    }
}

async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|err| std::io::Error::new(err.kind(), format!("cannot listen on {addr}: {err}")))
}

/// Binds the configured addresses and starts serving in the background.
pub async fn start(config: Config) -> std::io::Result<RunningServer> {
    let listener = bind(config.addr).await?;
    let addr = listener.local_addr()?;
    let metrics_listener = match config.metrics {
        MetricsAt::Separate(metrics_addr) => Some(bind(metrics_addr).await?),
        MetricsAt::Main | MetricsAt::Off => None,
    };
    let metrics_addr = match &metrics_listener {
        Some(listener) => Some(listener.local_addr()?),
        None => None,
    };
    if !config.dist.join("index.html").is_file() {
        tracing::warn!(
            "no index.html in {}: the page is not built (run `cargo xtask serve`), only /ws, /healthz and /metrics will answer",
            config.dist.display()
        );
    }
    let header_timeout = config.handshake_timeout;
    let (state, stop) = AppState::new(config);
    let app = routes::router(state.clone());
    let mut tasks = vec![tokio::spawn(async move {
        accept::serve(listener, app, header_timeout).await;
        Ok(())
    })];
    if let Some(listener) = metrics_listener {
        let app = routes::metrics_router(state.clone()).into_make_service();
        tasks.push(tokio::spawn(
            async move { axum::serve(listener, app).await },
        ));
    }
    tracing::info!("listening on http://{addr}/ (WebSocket endpoint ws://{addr}/ws)");
    if let Some(metrics_addr) = metrics_addr {
        tracing::info!("metrics on http://{metrics_addr}/metrics");
    }
    Ok(RunningServer {
        addr,
        metrics_addr,
        state,
        stop,
        tasks,
    })
}

/// Runs until Ctrl-C or SIGTERM, then stops gracefully.
pub async fn run(config: Config) -> std::io::Result<()> {
    let server = start(config).await?;
    shutdown_signal().await;
    server.stop().await;
    Ok(())
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
}
