//! The session layer: runs the app's connections and experiments through `browser/`,
//! feeds browser events back in, and publishes what happened as Leptos signals.
//!
//! Components call this layer; it is the only caller of `browser/`.

mod console;
mod driver;
mod idle_runner;
mod page;
mod persist;
mod status;

pub use console::{Console, ConsoleView};
pub use driver::Driver;
pub use idle_runner::{IdleRunner, IdleView};
pub use page::{initial_protocols, initial_target, link_preset, watch_page_lifecycle};
pub use status::{CloseExplanation, ConnectionStatus};
