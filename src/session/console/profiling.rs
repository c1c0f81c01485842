//! Speaking the application protocol: each connection runs core's `ProfileSession`, which
//! reads its frames for the log, says what the real client would send back (the opening
//! exchange, heartbeat answers), and keeps what it saw for explaining the close. The
//! profile in force, with its evidence, is published for the connect form.

use leptos::prelude::*;
use wsdoctor_core::Millis;
use wsdoctor_core::event_log::{ConnId, LogEvent};
use wsdoctor_core::profile::{Action, Mode, ProfileChoice, ProfileSession, ProtocolFacts};

use super::{Console, ConsoleTimer, Payload};
use crate::browser::clock;

impl Console {
    /// Chooses the protocol to speak from the next connection on: detected, or one by hand.
    pub fn set_profile(&self, choice: ProfileChoice) {
        self.settings.update(|s| s.profile = choice);
        self.save_now();
    }

    /// Behave like the real client, or stay silent; in force at once on an open connection.
    pub fn set_profile_mode(&self, mode: Mode) {
        self.settings.update(|s| s.profile_mode = mode);
        let _ = self.runtime.try_update_value(|rt| {
            for session in rt.profiles.values_mut() {
                session.set_mode(mode);
            }
        });
        self.save_now();
    }

    pub(super) fn start_profile(&self, conn: ConnId, url: &str) {
        let (choice, mode) = self
            .settings
            .with_untracked(|s| (s.profile, s.profile_mode));
        let session = ProfileSession::new(choice, mode, url);
        let _ = self.runtime.try_update_value(|rt| {
            rt.profiles.insert(conn, session);
        });
        self.publish_profile(conn);
    }

    pub(super) fn profile_opened(&self, conn: ConnId, now: Millis, protocol: &str) {
        let actions = self.update_profile(conn, |session| session.opened(now, protocol));
        self.run_profile_actions(conn, actions.unwrap_or_default());
    }

    /// A text from the server: its reading for the log, and the replies to send after it
    /// is logged.
    pub(super) fn profile_received(
        &self,
        conn: ConnId,
        now: Millis,
        text: &str,
    ) -> (Option<String>, Vec<Action>) {
        let (reading, actions) = self
            .update_profile(conn, |session| session.received(now, text))
            .unwrap_or_default();
        (reading.map(|r| r.for_log()), actions)
    }

    /// Runs `f` on the profile of `conn` (`None`: it has none), and shows a change of
    /// the profile in force or of its evidence.
    fn update_profile<R>(
        &self,
        conn: ConnId,
        f: impl FnOnce(&mut ProfileSession) -> R,
    ) -> Option<R> {
        let before = self.profile_summary(conn);
        let out = self
            .runtime
            .try_update_value(|rt| rt.profiles.get_mut(&conn).map(f))
            .flatten();
        if self.profile_summary(conn) != before {
            self.publish_profile(conn);
        }
        out
    }

    /// The page sent `text` on `conn`: how it reads under the profile.
    pub(super) fn profile_sent(&self, conn: ConnId, text: &str) -> Option<String> {
        self.runtime
            .try_update_value(|rt| {
                let session = rt.profiles.get_mut(&conn)?;
                session.sent(clock::now(), text);
                session.read(text).map(|r| r.for_log())
            })
            .flatten()
    }

    pub(super) fn run_profile_actions(&self, conn: ConnId, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Send(text) => self.send_on(conn, Payload::Text(&text)),
                Action::StartTimer(after_ms) => {
                    let console = *self;
                    self.driver
                        .start_timer(ConsoleTimer::Profile(conn), after_ms, move || {
                            console.profile_timer(conn)
                        });
                }
            }
        }
    }

    fn profile_timer(&self, conn: ConnId) {
        if self.driver.has(conn) {
            let now = clock::now();
            let actions = self.update_profile(conn, |session| session.timer(now));
            self.run_profile_actions(conn, actions.unwrap_or_default());
        }
    }

    /// What the profile saw on `conn`, which closed at `now`; the session ends.
    pub(super) fn take_profile_facts(&self, conn: ConnId, now: Millis) -> Option<ProtocolFacts> {
        self.driver.cancel_timer(ConsoleTimer::Profile(conn));
        self.runtime
            .try_update_value(|rt| rt.profiles.remove(&conn).and_then(|s| s.facts(now)))
            .flatten()
    }

    fn profile_summary(&self, conn: ConnId) -> Option<String> {
        self.runtime
            .try_with_value(|rt| {
                rt.profiles
                    .get(&conn)
                    .and_then(|s| s.detection().map(|d| d.summary()))
            })
            .flatten()
    }

    /// Shows the profile of `conn` (the newest connection) in the connect form, and
    /// notes a detection in the log.
    fn publish_profile(&self, conn: ConnId) {
        let detection = self
            .runtime
            .try_with_value(|rt| rt.profiles.get(&conn).and_then(|s| s.detection().cloned()))
            .flatten();
        if let Some(found) = &detection {
            self.record(
                Some(conn),
                LogEvent::Note {
                    message: format!("protocol {}", found.summary()),
                },
            );
        }
        let _ = self.profile.try_set(detection);
    }
}
