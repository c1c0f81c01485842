//! The page's monotonic clock: `performance.now()`, in milliseconds.

use wsdoctor_core::Millis;

/// Milliseconds since the page started, on a clock that never jumps (0 without a window).
pub fn now() -> Millis {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// The wall clock: milliseconds since 1970 (`Date.now()`). It jumps when the machine
/// sleeps or its time is set; only used to tell how long ago an earlier visit saved.
pub fn wall_now() -> f64 {
    js_sys::Date::now()
}
