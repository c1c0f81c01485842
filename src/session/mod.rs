//! The session layer: runs the app's connections and experiments through `browser/`,
//! feeds browser events back in, and publishes what happened as Leptos signals.
//!
//! Components call this layer; it is the only caller of `browser/`.

mod console;
mod page;

pub use console::{CloseExplanation, ConnectionStatus, Console};
pub use page::{initial_target, watch_page_lifecycle};
