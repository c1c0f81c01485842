//! Named one-shot timers on the page's event loop, built on `gloo-timers`' `Timeout`
//! (RAII: dropping one cancels it, so a cancelled timer can never fire).

use std::collections::HashMap;
use std::hash::Hash;

use gloo_timers::callback::Timeout;

/// The longest wait `setTimeout` honours (a signed 32-bit count of ms); longer waits are
/// clamped to it rather than wrapping around and firing at once.
const LONGEST_WAIT_MS: u64 = i32::MAX as u64;

/// Named one-shot timers, at most one per name. A timer is never dropped inside its own
/// callback (that would free the running closure): a replaced, cancelled or fired timer
/// is set aside and dropped at the next `bury`, which callers do on events from
/// elsewhere.
pub struct Timers<K> {
    live: HashMap<K, Timeout>,
    aside: Vec<Timeout>,
}

impl<K: Copy + Eq + Hash> Timers<K> {
    /// No timers.
    pub fn new() -> Timers<K> {
        Timers {
            live: HashMap::new(),
            aside: Vec::new(),
        }
    }

    /// Starts timer `id` (replacing one of that name) to call `callback` after `after_ms`.
    pub fn start(&mut self, id: K, after_ms: u64, callback: impl FnOnce() + 'static) {
        self.cancel(id);
        let wait = after_ms.min(LONGEST_WAIT_MS) as u32;
        self.live.insert(id, Timeout::new(wait, callback));
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

impl<K: Copy + Eq + Hash> Default for Timers<K> {
    fn default() -> Self {
        Timers::new()
    }
}
