//! The path checks, each a pure state machine with its result in data: `handshake` and
//! `blocked` now; `roundtrip`, `size` and the others as they are built. Each joins the guided
//! run and the report under its `kind` name (`crate::report::CheckKind`).

pub mod blocked;
pub mod close_lab;
pub mod handshake;
pub mod round_trips;
pub mod size_limit;
pub mod soak;
