//! The page's monotonic clock: `performance.now()`, in milliseconds.
//!
//! It is read several times per message under a flood, so the `Performance` object is
//! looked up once per thread rather than through `window` on every read.

use wsdoctor_core::Millis;

thread_local! {
    static PERFORMANCE: Option<web_sys::Performance> =
        web_sys::window().and_then(|w| w.performance());
}

/// Milliseconds since the page started, on a clock that never jumps (0 without a window).
pub fn now() -> Millis {
    PERFORMANCE
        .try_with(|p| p.as_ref().map_or(0.0, |p| p.now()))
        .unwrap_or(0.0)
}

/// The Unix time, in ms, at which `now()` was 0 (`performance.timeOrigin`): with it a
/// page time compares with a server's clock.
pub fn origin() -> f64 {
    PERFORMANCE
        .try_with(|p| p.as_ref().map_or(0.0, |p| p.time_origin()))
        .unwrap_or(0.0)
}

/// The wall clock: milliseconds since 1970 (`Date.now()`). It jumps when the machine
/// sleeps or its time is set; only used to tell how long ago an earlier visit saved.
pub fn wall_now() -> f64 {
    js_sys::Date::now()
}
