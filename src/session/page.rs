//! The page around the console: the target it starts with, and its visibility.

use leptos::prelude::*;
use wsdoctor_core::sleep::PageChange;
use wsdoctor_core::target::default_target;

use super::{Console, IdleRunner, SleepRunner};
use crate::browser::lifecycle::{self, PageEvent};
use crate::browser::location;

/// The target the form starts with: the link's checked `?target=` (`preset`; a support
/// link sets it), else the one the user last connected to (`saved`), else the companion
/// endpoint beside the page, else empty.
pub fn initial_target(preset: Option<String>, saved: &str) -> String {
    if let Some(target) = preset {
        return target;
    }
    if !saved.trim().is_empty() {
        return saved.to_string();
    }
    let (scheme, host) = location::page_scheme_and_host();
    default_target(&scheme, &host).unwrap_or_default()
}

/// The subprotocols field starts with: the link's checked `?protocols=` (`preset`), else
/// the ones the user last connected with (`saved`).
pub fn initial_protocols(preset: Option<String>, saved: &str) -> String {
    preset.unwrap_or_else(|| saved.to_string())
}

/// Whether the page was loaded over https (then ws:// targets are mixed content).
pub fn page_is_https() -> bool {
    location::page_scheme_and_host()
        .0
        .eq_ignore_ascii_case("https:")
}

/// Logs every event of the page's life into `console` (and uses them to explain closes),
/// tells a running idle experiment when the page is hidden, and feeds the sleep
/// experiment every change, for as long as the current reactive owner lives.
pub fn watch_page_lifecycle(console: Console, idle: IdleRunner, sleep: SleepRunner) {
    if lifecycle::is_hidden() {
        console.record_page_event(PageEvent::Hidden);
    }
    let watcher = lifecycle::LifecycleWatcher::start(move |event| {
        if matches!(event, PageEvent::Hidden | PageEvent::Frozen) {
            idle.page_hidden();
        }
        match event {
            PageEvent::Hidden => sleep.page_changed(PageChange::Hidden),
            PageEvent::Visible => sleep.page_visible(),
            PageEvent::Frozen => sleep.page_changed(PageChange::Frozen),
            PageEvent::Resumed => sleep.page_changed(PageChange::Resumed),
            PageEvent::Offline => sleep.page_changed(PageChange::Offline),
            PageEvent::Online => sleep.page_changed(PageChange::Online),
            PageEvent::ClockJump(by) => sleep.page_changed(PageChange::ClockJump(by)),
            PageEvent::PageHide(_) | PageEvent::PageShow(_) => {}
        }
        console.record_page_event(event);
    });
    // Kept with the owner; dropped (and the listeners removed) when the owner is disposed.
    StoredValue::new_local(watcher);
}
