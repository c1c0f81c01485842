//! The browser edge: the only module that touches web-sys, js-sys and wasm-bindgen.
//!
//! JavaScript values are turned into plain Rust types here, so nothing above this layer
//! ever sees a `JsValue`. Each handle (socket, listener) owns its callbacks and detaches
//! them when dropped.

pub mod clipboard;
pub mod clock;
pub mod compression;
pub mod download;
pub mod environment;
pub mod files;
pub mod http;
pub mod lifecycle;
pub mod location;
pub mod random;
pub mod selection;
pub mod socket;
pub mod storage;
pub mod timer;
pub mod worker;
