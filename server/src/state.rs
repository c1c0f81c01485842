//! What every request handler and connection shares.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::watch;

use crate::config::Config;
use crate::http_check::BrokenUpgrades;
use crate::limits::ConnectionSlots;
use crate::metrics::Metrics;
use crate::sending::Queued;
use crate::sessions::Sessions;

/// The server's shared state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The flags in force.
    pub config: Arc<Config>,
    /// Open-connection counts and limits.
    pub slots: Arc<ConnectionSlots>,
    /// Diagnostic sessions.
    pub sessions: Arc<Sessions>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Bytes waiting for each client address to read them.
    pub queued: Arc<Queued>,
    /// WebSocket requests that arrived without `Upgrade`, per client address, lately.
    pub broken_upgrades: Arc<BrokenUpgrades>,
    /// Becomes `Some(code)` when the server stops: every connection closes with `code`.
    pub shutdown: watch::Receiver<Option<u16>>,
    next_conn: Arc<AtomicU64>,
}

impl AppState {
    /// State for `config`; the sender ends every connection when the server stops.
    pub fn new(config: Config) -> (AppState, watch::Sender<Option<u16>>) {
        let (stop, shutdown) = watch::channel(None);
        let state = AppState {
            slots: ConnectionSlots::new(config.max_connections, config.max_connections_per_client),
            sessions: Arc::new(Sessions::new(config.max_sessions, config.session_keep)),
            metrics: Arc::new(Metrics::new()),
            queued: Queued::new(config.max_queued_bytes_per_client),
            config: Arc::new(config),
            broken_upgrades: Arc::new(BrokenUpgrades::default()),
            shutdown,
            next_conn: Arc::new(AtomicU64::new(1)),
        };
        (state, stop)
    }

    /// A new connection number, unique in this server's life.
    pub fn next_conn(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }
}
