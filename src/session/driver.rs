//! The one socket driver every experiment uses: it owns the experiment's browser sockets
//! (by the experiment's own key) and its named timers, and keeps the rule that a socket
//! or timer is never dropped inside its own callback.
//!
//! Whatever must go (a closed, replaced or forgotten socket; a fired, replaced or
//! cancelled timer) waits aside, and is dropped when the next socket event or timer of
//! this driver arrives: that callback is not one of them. Callers never bury anything
//! themselves: each callback handed to `open` and `start_timer` runs after the burial.

use std::collections::HashMap;
use std::hash::Hash;

use leptos::prelude::*;

use crate::browser::socket::{OpenError, SendError, Socket, SocketEvent};
use crate::browser::timer::Timers;

/// What an experiment's probe socket reports: the opening, each message (its text; `None`
/// for binary), and the close. (The `error` event carries nothing an experiment uses.)
#[derive(Clone, Debug, PartialEq)]
pub enum Reported {
    /// Opened.
    Opened {
        /// The subprotocol the server picked (empty: none).
        protocol: String,
        /// The extensions it accepted (empty: none).
        extensions: String,
    },
    /// A text message: its text, or `None` when too long to copy whole (protocol messages
    /// never are).
    Message(Option<String>),
    /// A binary message, of this many bytes.
    Binary {
        /// Its size.
        bytes: usize,
    },
    /// Closed.
    Closed {
        /// The close code.
        code: u16,
        /// The close reason.
        reason: String,
        /// Whether the closing handshake completed.
        was_clean: bool,
    },
}

/// One live socket, and which opening it was (a key may be reused by a later opening).
struct Live {
    opening: u64,
    socket: Socket,
}

struct State<S, T> {
    sockets: HashMap<S, Live>,
    timers: Timers<T>,
    aside: Vec<Socket>,
    openings: u64,
}

impl<S: Copy + Eq + Hash, T: Copy + Eq + Hash> State<S, T> {
    fn bury(&mut self) {
        self.aside.clear();
        self.timers.bury();
    }

    fn set_aside(&mut self, key: S) {
        if let Some(live) = self.sockets.remove(&key) {
            self.aside.push(live.socket);
        }
    }
}

/// Sockets keyed by `S` and timers named by `T`, cheap to copy into callbacks.
pub struct Driver<S: 'static, T: 'static> {
    state: StoredValue<State<S, T>, LocalStorage>,
}

impl<S, T> Clone for Driver<S, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S, T> Copy for Driver<S, T> {}

impl<S: Copy + Eq + Hash + 'static, T: Copy + Eq + Hash + 'static> Driver<S, T> {
    /// No sockets, no timers.
    pub fn new() -> Driver<S, T> {
        Driver {
            state: StoredValue::new_local(State {
                sockets: HashMap::new(),
                timers: Timers::new(),
                aside: Vec::new(),
                openings: 0,
            }),
        }
    }

    /// Opens socket `key` to `url` asking for `protocols`, replacing any socket of that
    /// key. Each of its events goes to `on_event`; on `Closed` the socket is already set
    /// aside (it no longer counts as open under `key`).
    pub fn open(
        &self,
        key: S,
        url: &str,
        protocols: &[String],
        on_event: impl Fn(SocketEvent) + 'static,
    ) -> Result<(), OpenError> {
        let driver = *self;
        let opening = self
            .state
            .try_update_value(|state| {
                state.openings += 1;
                state.openings
            })
            .unwrap_or(0);
        let socket = Socket::open(url, protocols, move |event| {
            let _ = driver.state.try_update_value(|state| {
                state.bury();
                if matches!(event, SocketEvent::Closed { .. })
                    && state
                        .sockets
                        .get(&key)
                        .is_some_and(|l| l.opening == opening)
                {
                    state.set_aside(key);
                }
            });
            on_event(event);
        })?;
        self.state.update_value(|state| {
            state.set_aside(key);
            state.sockets.insert(key, Live { opening, socket });
        });
        Ok(())
    }

    /// Like `open`, for an experiment's probes: what it reports, as `Reported`. A socket
    /// the browser refused to open reports a 1006 close at once, as a failed handshake.
    pub fn open_probe(
        &self,
        key: S,
        url: &str,
        protocols: &[String],
        on_report: impl Fn(Reported) + 'static,
    ) {
        let on_report = std::rc::Rc::new(on_report);
        let report = on_report.clone();
        let opened = self.open(key, url, protocols, move |event| {
            let reported = match event {
                SocketEvent::Opened {
                    protocol,
                    extensions,
                } => Reported::Opened {
                    protocol,
                    extensions,
                },
                SocketEvent::Text(text) => Reported::Message(Some(text)),
                SocketEvent::LongText { .. } => Reported::Message(None),
                SocketEvent::Binary { bytes, .. } => Reported::Binary { bytes },
                SocketEvent::Error => return,
                SocketEvent::Closed {
                    code,
                    reason,
                    was_clean,
                } => Reported::Closed {
                    code,
                    reason,
                    was_clean,
                },
            };
            report(reported);
        });
        if let Err(err) = opened {
            leptos::logging::warn!("a probe could not open: {err}");
            on_report(Reported::Closed {
                code: 1006,
                reason: String::new(),
                was_clean: false,
            });
        }
    }

    /// Calls `tick` every `every_ms` (timer `id`) for as long as it returns `true`.
    pub fn repeat(&self, id: T, every_ms: u64, tick: impl Fn() -> bool + Copy + 'static) {
        let driver = *self;
        self.start_timer(id, every_ms, move || {
            if tick() {
                driver.repeat(id, every_ms, tick);
            }
        });
    }

    /// Whether socket `key` is live (opened, and not closed or forgotten).
    pub fn has(&self, key: S) -> bool {
        self.state
            .try_with_value(|state| state.sockets.contains_key(&key))
            .unwrap_or(false)
    }

    /// Whether socket `key` is live and the browser says it is open (readyState OPEN).
    pub fn is_open(&self, key: S) -> bool {
        self.state
            .try_with_value(|state| {
                state
                    .sockets
                    .get(&key)
                    .is_some_and(|l| l.socket.state_name() == "open")
            })
            .unwrap_or(false)
    }

    /// Sends text on socket `key`.
    pub fn send_text(&self, key: S, text: &str) -> Result<(), SendError> {
        self.with_socket(key, |socket| socket.send_text(text))
    }

    /// Sends bytes on socket `key`.
    pub fn send_bytes(&self, key: S, bytes: &[u8]) -> Result<(), SendError> {
        self.with_socket(key, |socket| socket.send_bytes(bytes))
    }

    /// Starts the closing handshake on socket `key`.
    pub fn close(&self, key: S, code: u16, reason: &str) -> Result<(), SendError> {
        self.with_socket(key, |socket| socket.close(code, reason))
    }

    /// Lets socket `key` go: its callbacks are detached when it is dropped (soon, not now).
    pub fn forget(&self, key: S) {
        let _ = self.state.try_update_value(|state| state.set_aside(key));
    }

    /// Starts timer `id` (replacing one of that name); `on_fire` runs when it fires.
    pub fn start_timer(&self, id: T, after_ms: u64, on_fire: impl FnOnce() + 'static) {
        let driver = *self;
        let _ = self.state.try_update_value(|state| {
            state.timers.start(id, after_ms, move || {
                let _ = driver.state.try_update_value(|state| {
                    state.bury();
                    state.timers.fired(id);
                });
                on_fire();
            })
        });
    }

    /// Cancels timer `id`, if it is pending.
    pub fn cancel_timer(&self, id: T) {
        let _ = self.state.try_update_value(|state| state.timers.cancel(id));
    }

    /// Whether timer `id` is pending.
    pub fn timer_pending(&self, id: T) -> bool {
        self.state
            .try_with_value(|state| state.timers.is_pending(id))
            .unwrap_or(false)
    }

    /// Lets every socket go and cancels every timer.
    pub fn stop_all(&self) {
        let _ = self.state.try_update_value(|state| {
            let sockets = state.sockets.drain().map(|(_, live)| live.socket);
            state.aside.extend(sockets.collect::<Vec<_>>());
            state.timers.cancel_all();
        });
    }

    fn with_socket(
        &self,
        key: S,
        act: impl FnOnce(&Socket) -> Result<(), SendError>,
    ) -> Result<(), SendError> {
        self.state
            .try_with_value(|state| state.sockets.get(&key).map(|l| act(&l.socket)))
            .flatten()
            .unwrap_or(Err(SendError::Gone))
    }
}

impl<S: Copy + Eq + Hash + 'static, T: Copy + Eq + Hash + 'static> Default for Driver<S, T> {
    fn default() -> Self {
        Driver::new()
    }
}
