//! Reading a check's `details` (as the page's `data-result` and the report carry them)
//! with core's own types, so a test compares with `Fate::Survived` or
//! `Verdict::UpgradesBlocked`, never with how a sentence is worded.

use serde::de::DeserializeOwned;
use serde_json::Value;
use wsdoctor_core::checks::handshake::{HandshakeSettings, OpenOutcome};

/// The field `name` of `details`, read as `T`.
pub fn field<T: DeserializeOwned>(details: &Value, name: &str) -> T {
    serde_json::from_value(details[name].clone())
        .unwrap_or_else(|e| panic!("details.{name} = {}: {e}", details[name]))
}

/// How many of a handshake check's opens opened.
pub fn opens_that_opened(details: &Value) -> usize {
    field::<Vec<OpenOutcome>>(details, "opens")
        .iter()
        .filter(|o| matches!(o, OpenOutcome::Opened { .. }))
        .count()
}

/// Whether every open a handshake check makes by default opened.
pub fn every_open_opened(details: &Value) -> bool {
    let every = HandshakeSettings::default().opens;
    field::<Vec<OpenOutcome>>(details, "opens").len() == every
        && opens_that_opened(details) == every
}
