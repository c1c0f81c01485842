//! Runs core's round-trip check in the page on the shared `ExperimentRunner`, and
//! publishes a view (progress, result) for its card. It hands core the page clock's
//! origin (to compare with the server's clock) and its resolution (5 µs when the page is
//! cross-origin isolated, as wsdoctor-server serves it; 100 µs otherwise).

use leptos::prelude::*;
use wsdoctor_core::Millis;
use wsdoctor_core::checks::round_trips::{
    Command, Input, RoundTripCheck, RoundTripResult, RoundTripSettings, Timer,
};

use super::driver::Reported;
use super::experiment::{Experiment, ExperimentRunner, Step};
use super::page::page_is_https;
use crate::browser::{clock, environment};

/// How often the card refreshes while the check runs.
const REFRESH_MS: u64 = 250;

/// What the round-trip card shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoundTripView {
    /// Whether a check is running.
    pub running: bool,
    /// Echoes sent, of how many.
    pub progress: (u32, u32),
    /// The result so far (final when not running).
    pub result: Option<RoundTripResult>,
    /// Why the settings were refused.
    pub refused: Option<String>,
}

/// The round-trip check's runner, cheap to copy into callbacks.
#[derive(Clone, Copy)]
pub struct RoundTripRunner {
    runner: ExperimentRunner<RoundTripCheck>,
    view: RwSignal<RoundTripView>,
}

impl RoundTripRunner {
    /// Nothing running.
    pub fn new() -> RoundTripRunner {
        let round_trips = RoundTripRunner {
            runner: ExperimentRunner::new(),
            view: RwSignal::new(RoundTripView::default()),
        };
        round_trips
            .runner
            .set_hooks(move |()| round_trips.publish(), |_| {});
        round_trips
    }

    /// What the card shows.
    pub fn view(&self) -> ReadSignal<RoundTripView> {
        self.view.read_only()
    }

    /// Runs the check against `target` with `settings` (refused with a sentence when out
    /// of range; the check itself says what is wrong with a bad target).
    pub fn start(&self, target: &str, settings: RoundTripSettings) {
        if self.runner.is_running() {
            return;
        }
        if let Err(why) = settings.check() {
            self.view.set(RoundTripView {
                refused: Some(why),
                ..RoundTripView::default()
            });
            return;
        }
        self.view.set(RoundTripView::default());
        let resolution_ms = if environment::facts().cross_origin_isolated {
            0.005
        } else {
            0.1
        };
        self.runner.start(
            RoundTripCheck::new(settings),
            Input::Start {
                url: target.trim().to_string(),
                page_is_https: page_is_https(),
                clock_origin_ms: clock::origin(),
                resolution_ms,
            },
            REFRESH_MS,
        );
    }

    /// Stops a running check (what was measured is kept).
    pub fn stop(&self) {
        if self.runner.is_running() {
            self.runner.feed(Input::Stop);
        }
    }

    fn publish(&self) {
        let running = self.runner.is_running();
        if let Some((progress, result)) =
            self.runner.with(|check| (check.progress(), check.result()))
        {
            let _ = self.view.try_set(RoundTripView {
                running,
                progress,
                result: Some(result),
                refused: None,
            });
        }
    }
}

impl Default for RoundTripRunner {
    fn default() -> Self {
        RoundTripRunner::new()
    }
}

impl Experiment for RoundTripCheck {
    type Key = ();
    type Timer = Timer;
    type Input = Input;
    type Command = Command;

    fn handle(&mut self, now: Millis, input: Input) -> Vec<Command> {
        RoundTripCheck::handle(self, now, input)
    }

    fn is_done(&self) -> bool {
        RoundTripCheck::is_done(self)
    }

    fn reported((): (), report: Reported) -> Input {
        match report {
            Reported::Opened { protocol, .. } => Input::Opened { protocol },
            Reported::Message(text) => Input::Message(text),
            Reported::Binary { .. } => Input::Message(None),
            Reported::Closed { code, .. } => Input::Closed { code },
        }
    }

    fn fired(timer: Timer) -> Input {
        Input::Fired(timer)
    }

    fn step(command: Command) -> Step<(), Timer, Command> {
        match command {
            Command::Open { url, protocols } => Step::Open {
                key: (),
                url,
                protocols,
            },
            Command::Send(text) => Step::Send { key: (), text },
            Command::Close => Step::Close {
                key: (),
                code: 1000,
                reason: "round-trip check".into(),
            },
            Command::StartTimer { timer, after_ms } => Step::StartTimer {
                id: timer,
                after_ms,
            },
            Command::CancelTimer(timer) => Step::CancelTimer(timer),
            Command::Finished => Step::Finished,
        }
    }

    fn redraws(input: &Input) -> bool {
        // Neither an answer nor the next echo redraws at once: a redraw right after a send
        // would delay the answer's event and count in its round trip. The refresh tick
        // redraws while it runs.
        !matches!(input, Input::Message(_) | Input::Fired(Timer::NextEcho))
    }
}
