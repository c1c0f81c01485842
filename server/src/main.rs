//! The wsdoctor-server binary: read the flags, log with tracing, serve until stopped.

use std::process::ExitCode;

use tracing_subscriber::EnvFilter;
use wsdoctor_server::config::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_args(std::env::args().skip(1)) {
        Ok(Some(config)) => config,
        Ok(None) => {
            print!("{}", wsdoctor_server::config::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!(
                "wsdoctor-server: {err}\n\n{}",
                wsdoctor_server::config::USAGE
            );
            return ExitCode::from(2);
        }
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
