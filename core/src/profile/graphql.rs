//! GraphQL over WebSocket, both protocols in use, read as their clients read them.
//!
//! graphql-ws (subprotocol `graphql-transport-ws`): JSON messages with a `type`. The
//! client opens with `connection_init` and waits for `connection_ack`; a server that gets
//! no init within its wait (3 s by default) closes 4408. `ping` and `pong` go both ways,
//! and a `ping` must be answered with a `pong`. Operations: `subscribe`, `next`, `error`,
//! `complete`, each with an `id`. Its close codes (4400 to 4504) are in the catalogue.
//!
//! The legacy subscriptions-transport-ws (subprotocol `graphql-ws`, confusingly): the
//! server answers `connection_init` with `connection_ack` or `connection_error`, then
//! sends keep-alives `ka`; operations are `start`, `data`, `error`, `complete`, `stop`.
//! A wrong subprotocol is closed with 1002, an error in the server's onConnect with 1011.

use serde_json::Value;

use super::{Reading, preview};

/// graphql-ws's subprotocol.
pub const MODERN_SUBPROTOCOL: &str = "graphql-transport-ws";
/// subscriptions-transport-ws's subprotocol.
pub const LEGACY_SUBPROTOCOL: &str = "graphql-ws";
/// The message both protocols open with.
pub const CONNECTION_INIT: &str = r#"{"type":"connection_init"}"#;
/// graphql-ws's answer to a `ping`.
pub const PONG: &str = r#"{"type":"pong"}"#;
/// graphql-ws's server waits this long for `connection_init` by default.
pub const DEFAULT_INIT_WAIT_MS: u64 = 3_000;

/// The `type` of a message, if it is a JSON object with one.
pub fn message_type(text: &str) -> Option<String> {
    match serde_json::from_str::<Value>(text).ok()? {
        Value::Object(map) => map.get("type")?.as_str().map(str::to_string),
        _ => None,
    }
}

/// A text frame read as the GraphQL client reads it (either protocol).
pub fn read(text: &str) -> Reading {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(_) => {
            return Reading::malformed(format!(
                "not JSON (truncated?), which GraphQL over WebSocket always is: {}",
                preview(text)
            ));
        }
    };
    let Value::Object(map) = value else {
        return Reading::malformed(format!("JSON but not an object: {}", preview(text)));
    };
    let Some(kind) = map.get("type").and_then(Value::as_str) else {
        return Reading::malformed(format!("a message without a type: {}", preview(text)));
    };
    let mut line = match kind {
        "ka" => "keep-alive (ka)".to_string(),
        other => preview(other),
    };
    if let Some(id) = map.get("id") {
        let id = match id {
            Value::String(id) => preview(id),
            other => preview(&other.to_string()),
        };
        line.push(' ');
        line.push_str(&id);
    }
    if let Some(payload) = map.get("payload") {
        let shown = match payload.get("query").and_then(Value::as_str) {
            Some(query) => query.split_whitespace().collect::<Vec<_>>().join(" "),
            None => payload.to_string(),
        };
        line.push(' ');
        line.push_str(&preview(&shown));
    }
    Reading::ok(line)
}
