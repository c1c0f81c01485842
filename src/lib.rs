//! wsdoctor, the app: a Leptos single-page app, compiled to wasm32, that diagnoses
//! WebSocket connections from the user's own browser.
//!
//! Three layers, in this order of dependency: `components` (views; they read signals and
//! call the session layer) over `session` (runs core's state machines) over `browser`
//! (the only code that touches web-sys). Components never call web-sys directly.

pub mod browser;
pub mod components;
pub mod session;

/// The app's version, shown on the page and written into reports.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
