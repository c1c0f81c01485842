//! Runs core's round-trip check in the page on the shared `CheckRunner`. It hands core the
//! page clock's origin (to compare with the server's clock) and its resolution (5 µs when
//! the page is cross-origin isolated, as wsdoctor-server serves it; 100 µs otherwise).

use wsdoctor_core::Millis;
use wsdoctor_core::checks::round_trips::{
    Command, Input, RoundTripCheck, RoundTripResult, RoundTripSettings, Timer,
};

use super::check_runner::{Check, CheckRunner};
use super::driver::Reported;
use super::experiment::{Experiment, Step};
use super::page::page_is_https;
use crate::browser::{clock, environment};

/// The round-trip check's runner.
pub type RoundTripRunner = CheckRunner<RoundTripCheck>;

impl CheckRunner<RoundTripCheck> {
    /// Runs the check against `target` with `settings` (checked by the caller; the check
    /// itself says what is wrong with a bad target).
    pub fn start(&self, target: &str, settings: RoundTripSettings) {
        let resolution_ms = if environment::facts().cross_origin_isolated {
            0.005
        } else {
            0.1
        };
        self.run(
            RoundTripCheck::new(settings),
            Input::Start {
                url: target.trim().to_string(),
                page_is_https: page_is_https(),
                clock_origin_ms: clock::origin(),
                resolution_ms,
            },
        );
    }
}

impl Check for RoundTripCheck {
    type Result = RoundTripResult;

    fn progress(&self, _: Millis) -> (u64, u64) {
        let (sent, of) = RoundTripCheck::progress(self);
        (u64::from(sent), u64::from(of))
    }

    fn result(&self) -> Option<RoundTripResult> {
        // The figures so far show while it runs.
        Some(RoundTripCheck::result(self))
    }

    fn stop() -> Input {
        Input::Stop
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
