//! One-shot timers on the page's event loop, as RAII values: dropping a `Timeout`
//! cancels it, so a cancelled timer can never fire.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// A pending `setTimeout`; cancelled when dropped.
#[must_use = "the timer is cancelled when dropped"]
pub struct Timeout {
    handle: i32,
    _callback: Closure<dyn FnMut()>,
}

impl Timeout {
    /// Calls `callback` once after `after_ms`; `None` when there is no window.
    pub fn start(after_ms: u64, callback: impl FnOnce() + 'static) -> Option<Timeout> {
        let window = web_sys::window()?;
        let mut callback = Some(callback);
        let closure: Closure<dyn FnMut()> = Closure::new(move || {
            if let Some(callback) = callback.take() {
                callback();
            }
        });
        let delay = i32::try_from(after_ms).unwrap_or(i32::MAX);
        let handle = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                closure.as_ref().unchecked_ref(),
                delay,
            )
            .ok()?;
        Some(Timeout {
            handle,
            _callback: closure,
        })
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            window.clear_timeout_with_handle(self.handle);
        }
    }
}

/// Named one-shot timers, at most one per name. A timer is never dropped inside its own
/// callback (that would free the running closure): a replaced, cancelled or fired timer
/// is set aside and dropped at the next `bury`, which callers do on events from
/// elsewhere.
pub struct Timers<K> {
    live: std::collections::HashMap<K, Timeout>,
    aside: Vec<Timeout>,
}

impl<K: Copy + Eq + std::hash::Hash> Timers<K> {
    /// No timers.
    pub fn new() -> Timers<K> {
        Timers {
            live: std::collections::HashMap::new(),
            aside: Vec::new(),
        }
    }

    /// Starts timer `id` (replacing one of that name) to call `callback` after `after_ms`.
    pub fn start(&mut self, id: K, after_ms: u64, callback: impl FnOnce() + 'static) {
        self.cancel(id);
        if let Some(timeout) = Timeout::start(after_ms, callback) {
            self.live.insert(id, timeout);
        }
    }

    /// Cancels timer `id`, if it is pending.
    pub fn cancel(&mut self, id: K) {
        if let Some(old) = self.live.remove(&id) {
            self.aside.push(old);
        }
    }

    /// Whether timer `id` is pending.
    pub fn is_pending(&self, id: K) -> bool {
        self.live.contains_key(&id)
    }

    /// Timer `id` is firing now: it stops counting as pending.
    pub fn fired(&mut self, id: K) {
        self.cancel(id);
    }

    /// Cancels every timer.
    pub fn cancel_all(&mut self) {
        self.aside
            .extend(self.live.drain().map(|(_, timeout)| timeout));
    }

    /// Drops the timers set aside. Call it only from an event that is not one of them.
    pub fn bury(&mut self) {
        self.aside.clear();
    }
}

impl<K: Copy + Eq + std::hash::Hash> Default for Timers<K> {
    fn default() -> Self {
        Timers::new()
    }
}
