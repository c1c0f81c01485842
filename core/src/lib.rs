//! wsdoctor-core: the pure logic every other part of wsdoctor shares.
//!
//! It holds the vocabulary of the project (targets, close codes, experiments, the
//! companion protocol, reports) as plain Rust. It must never depend on a platform crate
//! (web-sys, leptos, tokio, axum), read a clock or draw OS randomness: time and random
//! seeds are passed in, so that everything here runs natively in unit tests.

#![deny(missing_docs)]

pub mod checks;
pub mod close_code;
pub mod companion_link;
pub mod diagnosis;
pub mod duration;
pub mod event_log;
pub mod evidence;
pub mod hex;
pub mod history_view;
pub mod idle;
pub mod link;
pub mod live_metrics;
pub mod page_marks;
pub mod profile;
pub mod protocol;
pub mod random;
pub mod reconnect_policy;
pub mod report;
pub mod saved;
pub mod settings;
pub mod sleep;
pub mod stats;
pub mod supervisor;
pub mod target;
pub mod text;

/// A point in time or a duration, in milliseconds on a monotonic clock the caller
/// reads (in the page: `performance.now()`). Core never reads a clock itself.
pub type Millis = f64;

/// The subprotocol a client asks for to speak wsdoctor's diagnostic protocol to the
/// companion server. Without it, the companion's `/ws` is a plain echo.
pub const COMPANION_SUBPROTOCOL: &str = "wsdoctor.v1";

/// The path of the companion server's WebSocket endpoint, beside the page.
pub const COMPANION_PATH: &str = "/ws";
