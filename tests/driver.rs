//! Browser tests of the session's one socket driver (`src/session/driver.rs`) in
//! headless Chromium: timers fire once and never after a cancel, a timer may start its
//! own successor from its own callback (it is set aside, not dropped while running), and
//! a closed socket no longer counts as live.
//! Only a refused local port is dialled. On the host this file compiles to nothing.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::Owner;
use wasm_bindgen_test::*;
use wsdoctor::browser::socket::{SendError, SocketEvent};
use wsdoctor::session::Driver;

wasm_bindgen_test_configure!(run_in_browser);

/// A local port nothing listens on: the browser reports 1006 quickly.
const REFUSED: &str = "ws://127.0.0.1:9/";

/// Waits `ms` milliseconds on the browser's event loop.
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let window = web_sys::window().expect("a window");
        window
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .expect("setTimeout");
    });
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .expect("timer");
}

#[wasm_bindgen_test]
async fn a_timer_fires_once_and_a_cancelled_one_never() {
    let owner = Owner::new();
    let fired = Rc::new(RefCell::new(Vec::new()));
    let driver = owner.with(Driver::<u8, &'static str>::new);
    for name in ["kept", "cancelled"] {
        let fired = fired.clone();
        driver.start_timer(name, 20, move || fired.borrow_mut().push(name));
    }
    assert!(driver.timer_pending("kept"));
    driver.cancel_timer("cancelled");
    assert!(!driver.timer_pending("cancelled"));
    sleep(100).await;
    assert_eq!(*fired.borrow(), ["kept"]);
    assert!(
        !driver.timer_pending("kept"),
        "a fired timer is no longer pending"
    );
}

#[wasm_bindgen_test]
async fn a_timer_restarting_itself_from_its_own_callback_keeps_ticking() {
    let owner = Owner::new();
    let ticks = Rc::new(RefCell::new(0u32));
    let driver = owner.with(Driver::<u8, u8>::new);
    fn tick(driver: Driver<u8, u8>, ticks: Rc<RefCell<u32>>) {
        driver.start_timer(1, 5, move || {
            *ticks.borrow_mut() += 1;
            if *ticks.borrow() < 5 {
                tick(driver, ticks.clone());
            }
        });
    }
    tick(driver, ticks.clone());
    sleep(300).await;
    assert_eq!(*ticks.borrow(), 5);
}

#[wasm_bindgen_test]
async fn a_wait_longer_than_set_timeout_allows_is_not_run_at_once() {
    let owner = Owner::new();
    let fired = Rc::new(RefCell::new(false));
    let driver = owner.with(Driver::<u8, u8>::new);
    let flag = fired.clone();
    driver.start_timer(1, u64::MAX, move || *flag.borrow_mut() = true);
    sleep(50).await;
    assert!(
        !*fired.borrow(),
        "clamped to the longest wait, not wrapped to zero"
    );
    driver.stop_all();
    assert!(!driver.timer_pending(1));
}

#[wasm_bindgen_test]
async fn a_closed_socket_is_no_longer_live_and_sending_on_it_says_it_is_gone() {
    let owner = Owner::new();
    let events = Rc::new(RefCell::new(Vec::new()));
    let driver = owner.with(Driver::<u8, u8>::new);
    let sink = events.clone();
    driver
        .open(7, REFUSED, &[], move |event| sink.borrow_mut().push(event))
        .expect("the constructor accepts this URL");
    assert!(driver.has(7));
    assert_eq!(
        driver.send_text(7, "too early"),
        Err(SendError::NotOpen("connecting"))
    );
    for _ in 0..200 {
        if events
            .borrow()
            .iter()
            .any(|e| matches!(e, SocketEvent::Closed { .. }))
        {
            break;
        }
        sleep(50).await;
    }
    assert!(
        events
            .borrow()
            .iter()
            .any(|e| matches!(e, SocketEvent::Closed { code: 1006, .. })),
        "{:?}",
        events.borrow()
    );
    assert!(!driver.has(7), "set aside when it closed");
    assert_eq!(driver.send_text(7, "late"), Err(SendError::Gone));
}
