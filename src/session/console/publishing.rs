//! What the page sees and what a reload keeps: the log and metrics, updated in place, are
//! shown to the page at most every `PUBLISH_MS`, the status after each input, and the state is saved at most every
//! `SAVE_MS` (and restored when the page loads).

use leptos::prelude::*;
use wsdoctor_core::event_log::{ConnId, LogEvent};
use wsdoctor_core::saved::{SAVED_LOG_ENTRIES, SAVED_VERSION, SavedConsole};
use wsdoctor_core::settings::ConsoleSettings;
use wsdoctor_core::supervisor::State;
use wsdoctor_core::target::secrets_to_retype;

use super::{ConnectionStatus, Console, ConsoleTimer, PUBLISH_MS, SAVE_MS, persist};
use crate::browser::clock;

impl Console {
    pub(super) fn restore(&self, saved: SavedConsole) {
        let now = clock::now();
        let settings = if saved.settings.check().is_ok() {
            saved.settings
        } else {
            ConsoleSettings::default()
        };
        self.supervisor.update_value(|s| {
            s.set_policy(settings.policy());
            let _ = s.set_heartbeat(settings.heartbeat());
            s.restore_history(saved.history);
        });
        let retype = secrets_to_retype(&settings.target);
        self.settings.set(settings);
        self.history
            .set(self.supervisor.with_value(|s| s.history().to_vec()));
        let mut marks = saved.page;
        let restored = saved.log.len();
        self.log.update_untracked(|log| log.restore(saved.log, now));
        if restored > 0 {
            marks.record(now, &LogEvent::Restored { entries: restored });
        }
        self.page_marks.set(marks);
        if !retype.is_empty() {
            self.record(
                None,
                LogEvent::Note {
                    message: format!(
                        "The saved target's secret values ({}) were not kept across the reload: type them in before connecting.",
                        retype.join(", ")
                    ),
                },
            );
        }
        self.publish();
    }

    pub(super) fn publish_status(&self) {
        let Some((state, last_code)) = self.supervisor.try_with_value(|s| {
            let last_code = s.history().last().and_then(|a| a.code);
            (s.state().clone(), last_code)
        }) else {
            return;
        };
        let status = match state {
            State::Idle => last_code.map_or(ConnectionStatus::Idle, ConnectionStatus::Closed),
            State::Connecting(_) => ConnectionStatus::Connecting,
            State::Open { .. } => ConnectionStatus::Open,
            State::Closing(_) => ConnectionStatus::Closing,
            State::Waiting { until, retry } => ConnectionStatus::Waiting {
                retry,
                in_ms: (until - clock::now()).max(0.0) as u64,
            },
            State::GaveUp(why) => ConnectionStatus::GaveUp(why),
        };
        if self.status.try_get_untracked().as_ref() != Some(&status) {
            let _ = self.status.try_set(status);
        }
    }

    /// Adds to the log. The page sees the log at most every `PUBLISH_MS`, so a flood
    /// of messages costs one render per interval, not one per message.
    pub(super) fn record(&self, conn: Option<ConnId>, event: LogEvent) {
        let at = clock::now();
        if self
            .log
            .try_update_untracked(|log| log.push(at, conn, event))
            .is_none()
        {
            return; // the console is gone
        }
        if self.driver.timer_pending(ConsoleTimer::Publish) {
            return;
        }
        let console = *self;
        self.driver
            .start_timer(ConsoleTimer::Publish, PUBLISH_MS, move || {
                console.publish_tick()
            });
    }

    pub(super) fn publish_tick(&self) {
        self.publish();
        let now = clock::now();
        let due = self
            .runtime
            .try_with_value(|rt| rt.last_save.is_none_or(|at| now - at >= SAVE_MS))
            .unwrap_or(false);
        if due {
            self.save_now();
        }
    }

    /// Tells the page the log and metrics changed (they are updated in place: nothing
    /// is copied).
    pub(super) fn publish(&self) {
        self.log.notify();
        self.metrics.notify();
    }

    /// Saves settings, history, page marks and the newest log entries for a reload.
    pub(super) fn save_now(&self) {
        let now = clock::now();
        let _ = self.runtime.try_update_value(|rt| rt.last_save = Some(now));
        let (Some(settings), Some(history), Some(page), Some(log)) = (
            self.settings.try_get_untracked(),
            self.supervisor.try_with_value(|s| s.history().to_vec()),
            self.page_marks.try_get_untracked(),
            self.log.try_with_untracked(|log| {
                let skip = log.entries().len().saturating_sub(SAVED_LOG_ENTRIES);
                log.entries().skip(skip).cloned().collect::<Vec<_>>()
            }),
        ) else {
            return;
        };
        let saved = SavedConsole {
            version: SAVED_VERSION,
            saved_wall_ms: clock::wall_now(),
            saved_at: now,
            settings,
            history,
            page,
            log,
        };
        if let Err(message) = persist::save(&saved) {
            self.record(None, LogEvent::Note { message });
        }
    }
}
