//! Watches the page go hidden and visible (`visibilitychange`).
//!
//! The watcher owns its listener and removes it when dropped.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Document, Event, VisibilityState};

/// Whether the page is hidden right now.
pub fn is_hidden() -> bool {
    document().is_some_and(|d| d.visibility_state() == VisibilityState::Hidden)
}

/// A live `visibilitychange` listener; dropping it stops the watching.
#[must_use = "the watching stops when the watcher is dropped"]
pub struct VisibilityWatcher {
    document: Document,
    listener: Closure<dyn FnMut(Event)>,
}

impl VisibilityWatcher {
    /// Calls `on_change(hidden)` at every change; `None` if there is no document.
    pub fn start(on_change: impl Fn(bool) + 'static) -> Option<VisibilityWatcher> {
        let document = document()?;
        let watched = document.clone();
        let listener: Closure<dyn FnMut(Event)> = Closure::new(move |_: Event| {
            on_change(watched.visibility_state() == VisibilityState::Hidden)
        });
        document
            .add_event_listener_with_callback("visibilitychange", listener.as_ref().unchecked_ref())
            .ok()?;
        Some(VisibilityWatcher { document, listener })
    }
}

impl Drop for VisibilityWatcher {
    fn drop(&mut self) {
        let _ = self.document.remove_event_listener_with_callback(
            "visibilitychange",
            self.listener.as_ref().unchecked_ref(),
        );
    }
}

fn document() -> Option<Document> {
    web_sys::window()?.document()
}
