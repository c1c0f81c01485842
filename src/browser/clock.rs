//! The page's monotonic clock: `performance.now()`, in milliseconds.

use wsdoctor_core::Millis;

/// Milliseconds since the page started, on a clock that never jumps (0 without a window).
pub fn now() -> Millis {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}
