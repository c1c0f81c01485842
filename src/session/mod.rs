//! The session layer: runs the app's connections and experiments through `browser/`,
//! feeds browser events back in, and publishes what happened as Leptos signals.
//!
//! Components call this layer; it is the only caller of `browser/`.

mod blocked_runner;
mod check_runner;
mod console;
mod driver;
mod experiment;
mod handshake_runner;
mod idle_runner;
mod lab_runner;
mod page;
mod persist;
mod round_trip_runner;
mod size_runner;
mod sleep_runner;
mod soak_runner;
mod status;
mod support;

pub use blocked_runner::{BlockedCardView, BlockedRunner};
pub use check_runner::CheckView;
pub use console::{Console, ConsoleView};
pub use driver::Driver;
pub use handshake_runner::{HandshakeCardView, HandshakeRunner};
pub use idle_runner::{IdleRunner, IdleView};
pub use lab_runner::LabRunner;
pub use page::{initial_protocols, initial_target, watch_page_lifecycle};
pub use round_trip_runner::RoundTripRunner;
pub use size_runner::SizeRunner;
pub use sleep_runner::{SleepRunner, SleepView};
pub use soak_runner::SoakRunner;
pub use status::{CloseExplanation, ConnectionStatus};
pub use support::{
    CopyByHand, OpenedReport, Outcome, RunState, Runners, ShownReport, Support, chosen_file,
    dropped_file, select_field_text,
};
