//! Browser tests of the socket edge (`src/browser/socket.rs`) in headless Chromium: what
//! the browser reports arrives as plain Rust values, and a refused target is reported,
//! never hidden. On the host this file compiles to nothing.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen_test::*;
use wsdoctor::browser::socket::{Socket, SocketEvent};

wasm_bindgen_test_configure!(run_in_browser);

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

/// Opens a socket to `url` and collects its events until a close arrives (or 10 s pass).
async fn events_until_closed(url: &str) -> Vec<SocketEvent> {
    let events = Rc::new(RefCell::new(Vec::new()));
    let sink = events.clone();
    let socket = Socket::open(url, &[], move |event| sink.borrow_mut().push(event))
        .expect("the constructor accepts this URL");
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
    drop(socket);
    events.take()
}

#[wasm_bindgen_test]
async fn a_refused_port_reports_an_error_then_close_1006_not_clean() {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    let events = events_until_closed("ws://127.0.0.1:1/ws").await;
    assert_eq!(events.first(), Some(&SocketEvent::Error), "{events:?}");
    assert_eq!(
        events.last(),
        Some(&SocketEvent::Closed {
            code: 1006,
            reason: String::new(),
            was_clean: false
        }),
        "{events:?}"
    );
}

#[wasm_bindgen_test]
fn a_malformed_url_is_refused_by_the_constructor_with_its_name() {
    let err = match Socket::open("ws://exa mple.com:99999/", &[], |_| {}) {
        Ok(_) => panic!("the browser accepted a URL with a space and a bad port"),
        Err(err) => err,
    };
    assert_eq!(err.name, "SyntaxError", "{err}");
}

#[wasm_bindgen_test]
async fn a_dropped_socket_reports_nothing_more() {
    let events = Rc::new(RefCell::new(Vec::new()));
    let sink = events.clone();
    let socket = Socket::open("ws://127.0.0.1:1/ws", &[], move |event| {
        sink.borrow_mut().push(event)
    })
    .expect("constructor");
    // Replaced before the browser could report anything: its handlers are detached.
    drop(socket);
    sleep(500).await;
    assert!(events.borrow().is_empty(), "{:?}", events.borrow());
}
