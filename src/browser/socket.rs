//! A browser WebSocket, with its events turned into plain Rust values at this edge.
//!
//! A `Socket` owns its JavaScript callbacks. Dropping it detaches them first, so a
//! replaced socket can never report into the current connection, and then closes the
//! connection with 1000 if it is still open. It never invents a close event: the log
//! shows only what the browser reported.
//!
//! Copying a message from JavaScript into the page costs time in proportion to its size,
//! and the page needs only the start of a long one (the log shows a preview and the
//! size; protocol messages are short): text up to `WHOLE_TEXT_UNITS` comes whole, longer
//! text and every binary message come as their start and their size.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

/// What a socket reports, as plain Rust.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SocketEvent {
    /// The handshake completed.
    Opened {
        /// The subprotocol the server chose (empty: none).
        protocol: String,
        /// The extensions the server accepted (empty: none).
        extensions: String,
    },
    /// A text message arrived (whole: it is at most `WHOLE_TEXT_UNITS` long).
    Text(String),
    /// A longer text message arrived: only its start is copied into the page.
    LongText {
        /// Its first characters.
        head: String,
        /// Its size in bytes (UTF-8).
        bytes: usize,
    },
    /// A binary message arrived: only its start is copied into the page.
    Binary {
        /// Its first `BINARY_HEAD_BYTES` bytes.
        head: Vec<u8>,
        /// Its size in bytes.
        bytes: usize,
    },
    /// The connection closed.
    Closed {
        /// The close code.
        code: u16,
        /// The close reason.
        reason: String,
        /// Whether the closing handshake completed.
        was_clean: bool,
    },
    /// The `error` event (no detail, by design of browsers).
    Error,
}

/// Why the browser refused to start a connection (the `WebSocket` constructor threw).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {message}")]
pub struct OpenError {
    /// The DOMException's name, e.g. `SyntaxError` or `SecurityError`.
    pub name: String,
    /// The browser's message.
    pub message: String,
}

/// Why a message or a close could not go out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// There is no such connection (it closed, or was let go).
    #[error("the connection is gone")]
    Gone,
    /// The socket is not open: connecting, closing or closed.
    #[error("the connection is {0}")]
    NotOpen(&'static str),
    /// The browser refused it (its own words).
    #[error("{0}")]
    Refused(String),
}

type Handler<T> = Closure<dyn FnMut(T)>;

/// One browser WebSocket and the callbacks it holds.
pub struct Socket {
    socket: WebSocket,
    _on_open: Handler<Event>,
    _on_message: Handler<MessageEvent>,
    _on_close: Handler<CloseEvent>,
    _on_error: Handler<Event>,
}

impl Socket {
    /// Starts connecting to `url`, asking for `protocols` (none if empty); every event
    /// goes to `on_event`.
    pub fn open(
        url: &str,
        protocols: &[String],
        on_event: impl Fn(SocketEvent) + 'static,
    ) -> Result<Socket, OpenError> {
        let socket = if protocols.is_empty() {
            WebSocket::new(url)
        } else {
            let list = js_sys::Array::new();
            for protocol in protocols {
                list.push(&protocol.into());
            }
            WebSocket::new_with_str_sequence(url, &list)
        }
        .map_err(open_error)?;
        socket.set_binary_type(BinaryType::Arraybuffer);

        let on_event = std::rc::Rc::new(on_event);
        let emit = on_event.clone();
        let opened = socket.clone();
        let on_open: Handler<Event> = Closure::new(move |_: Event| {
            emit(SocketEvent::Opened {
                protocol: opened.protocol(),
                extensions: opened.extensions(),
            })
        });
        let emit = on_event.clone();
        let on_message: Handler<MessageEvent> =
            Closure::new(move |event: MessageEvent| emit(message_of(&event)));
        let emit = on_event.clone();
        let on_close: Handler<CloseEvent> = Closure::new(move |event: CloseEvent| {
            emit(SocketEvent::Closed {
                code: event.code(),
                reason: event.reason(),
                was_clean: event.was_clean(),
            })
        });
        let emit = on_event;
        let on_error: Handler<Event> = Closure::new(move |_: Event| emit(SocketEvent::Error));

        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        socket.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Socket {
            socket,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
            _on_error: on_error,
        })
    }

    /// Sends a text message; fails when the socket is not open.
    pub fn send_text(&self, text: &str) -> Result<(), SendError> {
        self.check_open()?;
        self.socket.send_with_str(text).map_err(refused)
    }

    /// Sends a binary message; fails when the socket is not open.
    pub fn send_bytes(&self, bytes: &[u8]) -> Result<(), SendError> {
        self.check_open()?;
        self.socket.send_with_u8_array(bytes).map_err(refused)
    }

    /// Starts the closing handshake with `code` (1000 or 3000-4999) and `reason`.
    pub fn close(&self, code: u16, reason: &str) -> Result<(), SendError> {
        self.socket
            .close_with_code_and_reason(code, reason)
            .map_err(refused)
    }

    fn check_open(&self) -> Result<(), SendError> {
        if self.socket.ready_state() == WebSocket::OPEN {
            Ok(())
        } else {
            Err(SendError::NotOpen(self.state_name()))
        }
    }

    /// The socket's state in words: connecting, open, closing, closed.
    pub fn state_name(&self) -> &'static str {
        match self.socket.ready_state() {
            WebSocket::CONNECTING => "connecting",
            WebSocket::OPEN => "open",
            WebSocket::CLOSING => "closing",
            _ => "closed",
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        self.socket.set_onerror(None);
        let state = self.socket.ready_state();
        if state == WebSocket::CONNECTING || state == WebSocket::OPEN {
            let _ = self.socket.close_with_code_and_reason(1000, "replaced");
        }
    }
}

/// Text messages up to this many UTF-16 units are copied whole (every protocol message
/// the page reads is far shorter).
pub const WHOLE_TEXT_UNITS: u32 = 32 * 1024;
/// How much of a longer text message is copied, in UTF-16 units (a preview's worth).
const TEXT_HEAD_UNITS: u32 = 256;
/// How many bytes of a binary message are copied.
pub const BINARY_HEAD_BYTES: u32 = 64;

fn message_of(event: &MessageEvent) -> SocketEvent {
    let data = event.data();
    if let Some(text) = data.dyn_ref::<js_sys::JsString>() {
        if text.length() <= WHOLE_TEXT_UNITS {
            return SocketEvent::Text(String::from(text));
        }
        let head = String::from(text.slice(0, TEXT_HEAD_UNITS));
        return SocketEvent::LongText {
            head,
            bytes: utf8_len(&data).unwrap_or(text.length() as usize),
        };
    }
    if let Ok(buffer) = data.dyn_into::<js_sys::ArrayBuffer>() {
        let bytes = buffer.byte_length();
        let head = js_sys::Uint8Array::new_with_byte_offset_and_length(
            &buffer,
            0,
            bytes.min(BINARY_HEAD_BYTES),
        )
        .to_vec();
        return SocketEvent::Binary {
            head,
            bytes: bytes as usize,
        };
    }
    // binaryType is arraybuffer, so this does not happen; report it rather than hide it.
    SocketEvent::Text(String::from("[a message of a kind the page cannot read]"))
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The browser's `TextEncoder`, declared here to encode a JavaScript string without
    /// copying it into the page first (web-sys's takes a Rust `&str`).
    #[wasm_bindgen(js_name = TextEncoder)]
    type Utf8Encoder;

    #[wasm_bindgen(constructor, js_class = "TextEncoder")]
    fn new() -> Utf8Encoder;

    #[wasm_bindgen(method, js_name = encode)]
    fn encode_value(this: &Utf8Encoder, text: &wasm_bindgen::JsValue) -> js_sys::Uint8Array;
}

thread_local! {
    static ENCODER: Utf8Encoder = Utf8Encoder::new();
}

/// A string's size in UTF-8 bytes, measured by the browser's own encoder, outside the
/// page's memory.
fn utf8_len(text: &wasm_bindgen::JsValue) -> Option<usize> {
    ENCODER
        .try_with(|encoder| encoder.encode_value(text).byte_length() as usize)
        .ok()
}

fn open_error(err: wasm_bindgen::JsValue) -> OpenError {
    match err.dyn_ref::<web_sys::DomException>() {
        Some(exception) => OpenError {
            name: exception.name(),
            message: exception.message(),
        },
        None => OpenError {
            name: "Error".into(),
            message: describe_js_error(err),
        },
    }
}

fn describe_js_error(err: wasm_bindgen::JsValue) -> String {
    if let Some(exception) = err.dyn_ref::<web_sys::DomException>() {
        return format!("{}: {}", exception.name(), exception.message());
    }
    err.as_string()
        .unwrap_or_else(|| "the browser refused without saying why".into())
}

fn refused(err: wasm_bindgen::JsValue) -> SendError {
    SendError::Refused(describe_js_error(err))
}
