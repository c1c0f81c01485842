//! How the views write durations: one decimal of a second, e.g. "2.5 s".

/// A duration in ms as seconds with one decimal.
pub fn seconds(ms: f64) -> String {
    format!("{:.1} s", ms / 1000.0)
}
