//! The WebSocket upgrade of `/ws`, done by hand so that the connection is a raw
//! tokio-tungstenite stream: the companion must be able to send invalid UTF-8 and to
//! drop TCP without a close frame, which axum's WebSocket type cannot.
//!
//! It checks the request (RFC 6455 section 4.2.1), the Origin allowlist and the
//! connection limits, chooses the mode by subprotocol (`wsdoctor.v1`: the companion
//! protocol; none: plain echo), answers 101, and hands the stream to its loop. A plain
//! `GET /ws?http-check` is answered by `http_check` instead, and an upgrade that lost
//! its `Upgrade` header on the way is counted there.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tracing::Instrument;
use wsdoctor_core::protocol::{HTTP_CHECK_QUERY, HandshakeView, Header, SUBPROTOCOL};

use crate::client_address::client_address;
use crate::frame_guard::FrameGuard;
use crate::http_check;
use crate::state::AppState;
use crate::{companion, echo};

/// The upgraded connection every loop works on (its frames watched by a `FrameGuard`).
pub type Ws = WebSocketStream<FrameGuard<TokioIo<hyper::upgrade::Upgraded>>>;

/// Per-connection buffer sizes, set explicitly: tungstenite's defaults (128 KiB each way
/// per connection) make idle connections expensive. The read buffer is the chunk each
/// read takes; 1 KiB keeps an idle connection near 4 KiB in all (a large message takes
/// more reads, not more memory).
const READ_BUFFER_BYTES: usize = 1024;
const WRITE_BUFFER_BYTES: usize = 0;

/// Request headers that reveal an intermediary in the path.
const PROXY_HEADERS: &[&str] = &[
    "via",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-forwarded-port",
    "x-real-ip",
    "x-original-forwarded-for",
    "cf-connecting-ip",
    "cf-ray",
    "true-client-ip",
    "x-amzn-trace-id",
    "x-azure-ref",
    "x-cloud-trace-context",
    "x-envoy-external-address",
];

/// Which protocol the connection speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Plain echo of text and binary.
    Echo,
    /// The companion protocol `wsdoctor.v1`.
    Companion,
}

/// Handles `GET /ws`.
pub async fn handle(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
) -> Response {
    let headers = request.headers();
    let client = client_address(peer, headers, &state.config.trusted_proxies);
    let key = match check_request(headers) {
        Ok(key) => key,
        Err(_) if request.uri().query() == Some(HTTP_CHECK_QUERY) => {
            return http_check::answer(&state.broken_upgrades, peer, client, headers);
        }
        Err((status, message)) => {
            if http_check::is_broken_upgrade(headers) {
                state.broken_upgrades.note(client, Instant::now());
            }
            return refuse(status, message);
        }
    };
    if let Some(refusal) = check_origin(&state, headers) {
        return refusal;
    }
    let mode = if offered_protocols(headers).any(|p| p == SUBPROTOCOL) {
        Mode::Companion
    } else {
        Mode::Echo
    };
    let handshake = handshake_view(peer, client, headers);
    let Some(on_upgrade) = request.extensions_mut().remove::<OnUpgrade>() else {
        return refuse(
            StatusCode::UPGRADE_REQUIRED,
            "this connection cannot be upgraded (HTTP/2 or a proxy that does not pass Upgrade)",
        );
    };
    let slot = state.slots.acquire(client);
    let max_message_bytes = state.config.max_message_bytes;
    let handshake_timeout = state.config.handshake_timeout;
    let span = tracing::debug_span!("ws", %peer, %client, ?mode);
    let connection = async move {
        let upgraded = match tokio::time::timeout(handshake_timeout, on_upgrade).await {
            Ok(Ok(upgraded)) => upgraded,
            Ok(Err(err)) => return tracing::debug!("upgrade from {peer} failed: {err}"),
            Err(_) => return tracing::debug!("upgrade from {peer} timed out"),
        };
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER_BYTES)
            .write_buffer_size(WRITE_BUFFER_BYTES)
            .max_write_buffer_size(max_message_bytes.saturating_mul(2).max(64 * 1024))
            .max_message_size(Some(max_message_bytes))
            .max_frame_size(Some(max_message_bytes));
        let io = FrameGuard::new(TokioIo::new(upgraded), max_message_bytes);
        let mut ws = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
        let slot = match slot {
            Ok(slot) => slot,
            Err(refusal) => {
                state.metrics.connection_refused(refusal.label());
                tracing::debug!("refused: {}", refusal.reason());
                let frame = CloseFrame {
                    code: CloseCode::Again,
                    reason: refusal.reason().into(),
                };
                let _ =
                    tokio::time::timeout(state.config.send_timeout, ws.close(Some(frame))).await;
                return;
            }
        };
        state.metrics.connection_opened();
        tracing::debug!("opened");
        let code = match mode {
            Mode::Echo => echo::run(ws, &state, client).await,
            // Boxed: inline, the companion's larger state would make every connection's
            // task as large as its own (3.5 KiB instead of 2.3 KiB for an idle echo).
            Mode::Companion => Box::pin(companion::run(ws, &state, client, handshake)).await,
        };
        tracing::debug!(?code, "closed");
        state.metrics.connection_closed(code);
        drop(slot);
    };
    tokio::spawn(connection.instrument(span));
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let out = response.headers_mut();
    out.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    out.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(accept) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
        out.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    if mode == Mode::Companion {
        out.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(SUBPROTOCOL),
        );
    }
    response
}

/// Checks the upgrade request and returns its `Sec-WebSocket-Key`, or the status and
/// the sentence to refuse it with.
fn check_request(headers: &HeaderMap) -> Result<String, (StatusCode, &'static str)> {
    let has_token = |name: header::HeaderName, token: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    if !has_token(header::UPGRADE, "websocket") || !has_token(header::CONNECTION, "upgrade") {
        return Err((
            StatusCode::UPGRADE_REQUIRED,
            "this is a WebSocket endpoint: connect with a WebSocket client (ws:// or wss://)",
        ));
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|v| v.as_bytes() != b"13")
    {
        return Err((
            StatusCode::UPGRADE_REQUIRED,
            "only WebSocket version 13 is supported",
        ));
    }
    match headers
        .get(header::SEC_WEBSOCKET_KEY)
        .and_then(|v| v.to_str().ok())
    {
        Some(key) if !key.trim().is_empty() => Ok(key.trim().to_string()),
        _ => Err((
            StatusCode::BAD_REQUEST,
            "the upgrade request has no Sec-WebSocket-Key",
        )),
    }
}

/// Refuses a WebSocket from an Origin outside `--allow-origin`, when one is set.
fn check_origin(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let allowed = &state.config.allow_origins;
    if allowed.is_empty() {
        return None;
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match origin {
        Some(origin) if allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) => None,
        _ => Some(refuse(
            StatusCode::FORBIDDEN,
            "this server accepts WebSockets only from the origins it was told to allow",
        )),
    }
}

fn offered_protocols(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
}

/// What the server saw of the upgrade request, for `welcome`.
/// `client_addr` is the client as resolved through trusted proxies; when it differs
/// from the TCP peer, both are given.
pub(crate) fn handshake_view(
    peer: SocketAddr,
    client: IpAddr,
    headers: &HeaderMap,
) -> HandshakeView {
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let extensions_offered = headers
        .get_all(header::SEC_WEBSOCKET_EXTENSIONS)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
        .collect();
    let proxy_headers = PROXY_HEADERS
        .iter()
        .flat_map(|name| {
            headers.get_all(*name).iter().map(move |value| Header {
                name: name.to_string(),
                value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
            })
        })
        .collect();
    HandshakeView {
        client_addr: if client == peer.ip() {
            peer.to_string()
        } else {
            format!("{client} (via {peer})")
        },
        origin: text(header::ORIGIN),
        user_agent: text(header::USER_AGENT),
        extensions_offered,
        extensions_accepted: Vec::new(),
        proxy_headers,
    }
}

/// A refusal with one sentence; a 426 also names the WebSocket version we speak.
fn refuse(status: StatusCode, message: &'static str) -> Response {
    let mut response = (status, format!("{message}\n")).into_response();
    if status == StatusCode::UPGRADE_REQUIRED {
        response.headers_mut().insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
    }
    response
}
