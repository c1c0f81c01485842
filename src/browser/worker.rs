//! The timer Worker: a dedicated Worker (`/timer-worker.js`, a static file the page
//! serves, allowed by `script-src 'self'`) that runs a heartbeat timer chain off the main
//! thread and reports each tick's due and fired times on the page's clock, so the page can
//! show how a hidden page's throttled timers compare with a Worker's.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{MessageEvent, Worker};

/// Where the page serves the Worker's script.
const SCRIPT: &str = "/timer-worker.js";

/// A running timer Worker; terminated when dropped.
pub struct TimerWorker {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl TimerWorker {
    /// Starts a timer chain every `every_ms`; `on_tick(due, fired)` for each tick (page
    /// clock, ms). `Err` says why there is no Worker (then nothing is reported).
    pub fn start(
        every_ms: u64,
        on_tick: impl Fn(f64, f64) + 'static,
    ) -> Result<TimerWorker, String> {
        let worker =
            Worker::new(SCRIPT).map_err(|_| "this browser could not start a Worker".to_string())?;
        let on_message: Closure<dyn FnMut(MessageEvent)> =
            Closure::new(move |event: MessageEvent| {
                let data = event.data();
                let number = |name: &str| {
                    js_sys::Reflect::get(&data, &name.into())
                        .ok()
                        .and_then(|v| v.as_f64())
                };
                if let (Some(due), Some(fired)) = (number("due"), number("fired")) {
                    on_tick(due, fired);
                }
            });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let origin = web_sys::window()
            .and_then(|w| w.performance())
            .map_or(0.0, |p| p.time_origin());
        let start = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&start, &"type".into(), &"start".into());
        let _ = js_sys::Reflect::set(&start, &"every".into(), &(every_ms as f64).into());
        let _ = js_sys::Reflect::set(&start, &"pageOrigin".into(), &origin.into());
        worker
            .post_message(&start)
            .map_err(|_| "the Worker did not take its start message".to_string())?;
        Ok(TimerWorker {
            worker,
            _on_message: on_message,
        })
    }
}

impl Drop for TimerWorker {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.terminate();
    }
}
