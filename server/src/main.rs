//! The wsdoctor-server binary: read the flags (and their environment variables), log
//! with tracing, serve until stopped.

use std::process::ExitCode;

use tracing_subscriber::EnvFilter;
use wsdoctor_server::config::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_args(std::env::args_os().skip(1)) {
        Ok(config) => config,
        Err(err) => err.exit(), // help and version print and exit 0; mistakes exit 2
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_ansi(false)
        .init();
    match wsdoctor_server::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err}");
            ExitCode::FAILURE
        }
    }
}
