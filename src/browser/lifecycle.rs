//! Watches the page's life from the start, because it explains many closes:
//! `visibilitychange`, `pagehide`/`pageshow` (persisted: the back/forward cache),
//! `freeze`/`resume` (Chromium only: registered only where supported), `online`/`offline`,
//! and clock jumps (the wall clock against `performance.now()`, checked every second: a
//! machine that slept). The watcher owns its listeners and removes them when dropped.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Document, Event, EventTarget, PageTransitionEvent, VisibilityState, Window};

/// How much the wall clock must run ahead of the page's clock to count as a jump.
const JUMP_THRESHOLD_MS: f64 = 2_000.0;
/// How often the clocks are compared.
const CLOCK_CHECK_MS: i32 = 1_000;

/// Something that happened to the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageEvent {
    /// Hidden (another tab, minimised, screen locked).
    Hidden,
    /// Visible again.
    Visible,
    /// Being left; `persisted`: kept in the back/forward cache.
    PageHide(bool),
    /// Shown; `persisted`: back from the back/forward cache.
    PageShow(bool),
    /// Frozen by the browser.
    Frozen,
    /// Resumed after a freeze.
    Resumed,
    /// The network went away.
    Offline,
    /// The network came back.
    Online,
    /// The wall clock jumped ahead by this many ms.
    ClockJump(u64),
}

/// Whether the page is hidden right now.
pub fn is_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.visibility_state() == VisibilityState::Hidden)
}

/// Whether the browser supports `freeze`/`resume` events (Chromium does, others do not).
pub fn supports_freeze() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| js_sys::Reflect::has(&d, &"onfreeze".into()).unwrap_or(false))
}

struct Listener {
    target: EventTarget,
    kind: &'static str,
    callback: Closure<dyn FnMut(Event)>,
}

/// Live listeners and the clock check; dropping it stops everything.
#[must_use = "the watching stops when the watcher is dropped"]
pub struct LifecycleWatcher {
    listeners: Vec<Listener>,
    window: Window,
    interval: Option<i32>,
    _clock_check: Closure<dyn FnMut()>,
}

impl LifecycleWatcher {
    /// Calls `on_event` for every page event; `None` without a window and document.
    pub fn start(on_event: impl Fn(PageEvent) + 'static) -> Option<LifecycleWatcher> {
        let window = web_sys::window()?;
        let document: Document = window.document()?;
        let on_event = std::rc::Rc::new(on_event);
        let mut listeners = Vec::new();
        let mut listen =
            |target: &EventTarget, kind: &'static str, map: fn(&Event) -> PageEvent| {
                let emit = on_event.clone();
                let callback: Closure<dyn FnMut(Event)> =
                    Closure::new(move |event: Event| emit(map(&event)));
                if target
                    .add_event_listener_with_callback(kind, callback.as_ref().unchecked_ref())
                    .is_ok()
                {
                    listeners.push(Listener {
                        target: target.clone(),
                        kind,
                        callback,
                    });
                }
            };
        let doc: &EventTarget = document.as_ref();
        let win: &EventTarget = window.as_ref();
        listen(doc, "visibilitychange", |event| {
            let hidden = event
                .target()
                .and_then(|t| t.dyn_into::<Document>().ok())
                .is_some_and(|d| d.visibility_state() == VisibilityState::Hidden);
            if hidden {
                PageEvent::Hidden
            } else {
                PageEvent::Visible
            }
        });
        listen(win, "pagehide", |event| {
            PageEvent::PageHide(persisted(event))
        });
        listen(win, "pageshow", |event| {
            PageEvent::PageShow(persisted(event))
        });
        listen(win, "offline", |_| PageEvent::Offline);
        listen(win, "online", |_| PageEvent::Online);
        if supports_freeze() {
            listen(doc, "freeze", |_| PageEvent::Frozen);
            listen(doc, "resume", |_| PageEvent::Resumed);
        }

        let emit = on_event;
        let performance = window.performance();
        let mut last = (
            js_sys::Date::now(),
            performance.as_ref().map_or(0.0, |p| p.now()),
        );
        let clock_check: Closure<dyn FnMut()> = Closure::new(move || {
            let now = (
                js_sys::Date::now(),
                performance.as_ref().map_or(0.0, |p| p.now()),
            );
            let jump = (now.0 - last.0) - (now.1 - last.1);
            last = now;
            if jump > JUMP_THRESHOLD_MS {
                emit(PageEvent::ClockJump(jump as u64));
            }
        });
        let interval = window
            .set_interval_with_callback_and_timeout_and_arguments_0(
                clock_check.as_ref().unchecked_ref(),
                CLOCK_CHECK_MS,
            )
            .ok();
        Some(LifecycleWatcher {
            listeners,
            window,
            interval,
            _clock_check: clock_check,
        })
    }
}

fn persisted(event: &Event) -> bool {
    event
        .dyn_ref::<PageTransitionEvent>()
        .is_some_and(PageTransitionEvent::persisted)
}

impl Drop for LifecycleWatcher {
    fn drop(&mut self) {
        for listener in &self.listeners {
            let _ = listener.target.remove_event_listener_with_callback(
                listener.kind,
                listener.callback.as_ref().unchecked_ref(),
            );
        }
        if let Some(interval) = self.interval {
            self.window.clear_interval_with_handle(interval);
        }
    }
}
