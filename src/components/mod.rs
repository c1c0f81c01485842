//! The views. They read signals and call the session layer; they never touch web-sys.

mod app;
mod header;

pub use app::App;
pub use header::Header;
