//! What views read of the console: its published signals, and memos for the states
//! buttons depend on, so a view takes only what it shows (the actions stay on `Console`)
//! and a button is not redrawn while a retry's countdown changes the status.

use leptos::prelude::*;
use wsdoctor_core::Millis;
use wsdoctor_core::event_log::EventLog;
use wsdoctor_core::live_metrics::LiveMetrics;
use wsdoctor_core::page_marks::PageMarks;
use wsdoctor_core::profile::detect::Detection;
use wsdoctor_core::settings::ConsoleSettings;
use wsdoctor_core::supervisor::Attempt;

use super::Console;
use crate::browser::clock;
use crate::session::status::{CloseExplanation, ConnectionStatus};

/// The console as views read it; cheap to copy.
#[derive(Clone, Copy)]
pub struct ConsoleView {
    /// The event log (redrawn at most every `PUBLISH_MS`).
    pub log: ReadSignal<EventLog>,
    /// Where the connection stands.
    pub status: ReadSignal<ConnectionStatus>,
    /// The last close, explained.
    pub last_close: ReadSignal<Option<CloseExplanation>>,
    /// Every connection attempt so far (bounded), for the reconnection history.
    pub history: ReadSignal<Vec<Attempt>>,
    /// The settings in force.
    pub settings: ReadSignal<ConsoleSettings>,
    /// The live metrics (redrawn at most every `PUBLISH_MS`).
    pub metrics: ReadSignal<LiveMetrics>,
    /// The page's hidden spans and marks, for the timelines.
    pub page_marks: ReadSignal<PageMarks>,
    /// The protocol profile in force on the newest connection, with its evidence.
    pub profile: ReadSignal<Option<Detection>>,
    /// A connection is open: messages and closes can be sent.
    pub is_open: Memo<bool>,
    /// A connection is connecting, open, closing or waiting to retry: it can be stopped.
    pub is_live: Memo<bool>,
}

impl ConsoleView {
    /// The page's clock now, for views that show "in the last minute".
    pub fn now(&self) -> Millis {
        clock::now()
    }

    /// The next `count` waits of the reconnect policy in force: (ceiling, one jittered
    /// example) in ms, so the user sees what auto-reconnect will do before it happens.
    pub fn reconnect_preview(&self, count: usize, seed: u64) -> Vec<(u64, u64)> {
        let policy = self.settings.with(ConsoleSettings::policy);
        policy
            .preview(seed, count)
            .into_iter()
            .enumerate()
            .map(|(attempt, example)| (policy.ceiling_ms(attempt as u32), example))
            .collect()
    }
}

impl Console {
    /// What views read. Its memos belong to the caller's owner: call it once, where the
    /// console is made, and hand the view down (the app provides it as context).
    pub fn view(&self) -> ConsoleView {
        let status = self.status.read_only();
        ConsoleView {
            log: self.log.read_only(),
            status,
            last_close: self.last_close.read_only(),
            history: self.history.read_only(),
            settings: self.settings.read_only(),
            metrics: self.metrics.read_only(),
            page_marks: self.page_marks.read_only(),
            profile: self.profile.read_only(),
            is_open: Memo::new(move |_| status.with(|s| *s == ConnectionStatus::Open)),
            is_live: Memo::new(move |_| status.with(ConnectionStatus::is_live)),
        }
    }
}
