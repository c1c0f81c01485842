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
