//! What the views expose to automation (tests, scripts, screen scrapers) beside the
//! words: a check as compact JSON for a `data-result` attribute, exactly as the report
//! carries it, and a unit enum's name as serde spells it (`upgrades_blocked`, `client`)
//! for a `data-*` attribute. The words may change; these names and fields do not.

use serde::Serialize;
use wsdoctor_core::report::CheckResult;

/// `check` as compact JSON (empty if it cannot be written, which never happens).
pub fn check_json(check: &CheckResult) -> String {
    serde_json::to_string(check).unwrap_or_default()
}

/// A unit enum's serde name (empty for anything that is not a plain string).
pub fn serde_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
