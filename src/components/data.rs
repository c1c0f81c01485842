//! What the views expose to automation (tests, scripts, screen scrapers) beside the
//! words: a result as compact JSON for a `data-result` attribute, and a unit enum's
//! name as serde spells it (`upgrades_blocked`, `client`) for a `data-*` attribute.
//! The words may change; these are the same fields the report carries.

use serde::Serialize;

/// `value` as compact JSON (empty if it cannot be written, which serde's derived
/// impls never do).
pub fn as_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A unit enum's serde name (empty for anything that is not a plain string).
pub fn serde_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
