//! Runs core's reconnect soak in the page on the shared `CheckRunner` (one socket per
//! policy), seeded from the browser's random source.

use wsdoctor_core::Millis;
use wsdoctor_core::checks::soak::{
    Command, Input, Lane, Soak, SoakResult, SoakSettings, SoakTimer,
};

use super::check_runner::{Check, CheckRunner};
use super::driver::Reported;
use super::experiment::{Experiment, Step};
use super::page::page_is_https;
use crate::browser::random;

/// The reconnect soak's runner.
pub type SoakRunner = CheckRunner<Soak>;

impl CheckRunner<Soak> {
    /// Runs the soak against the companion at `target` with `settings` (checked).
    pub fn start(&self, target: &str, settings: SoakSettings) {
        self.run(
            Soak::new(settings),
            Input::Start {
                url: target.trim().to_string(),
                page_is_https: page_is_https(),
                seed: random::seed(),
            },
        );
    }
}

impl Check for Soak {
    type Result = SoakResult;

    fn progress(&self, now: Millis) -> (u64, u64) {
        Soak::progress(self, now)
    }

    fn result(&self) -> Option<SoakResult> {
        self.is_done().then(|| Soak::result(self).clone())
    }

    fn stop() -> Input {
        Input::Stop
    }
}

impl Experiment for Soak {
    type Key = Lane;
    type Timer = SoakTimer;
    type Input = Input;
    type Command = Command;

    fn handle(&mut self, now: Millis, input: Input) -> Vec<Command> {
        Soak::handle(self, now, input)
    }

    fn is_done(&self) -> bool {
        Soak::is_done(self)
    }

    fn reported(lane: Lane, report: Reported) -> Input {
        match report {
            Reported::Opened { protocol, .. } => Input::Opened { lane, protocol },
            Reported::Message(text) => Input::Message { lane, text },
            Reported::Binary { .. } => Input::Message { lane, text: None },
            Reported::Closed { code, .. } => Input::Closed { lane, code },
        }
    }

    fn fired(timer: SoakTimer) -> Input {
        Input::Fired(timer)
    }

    fn step(command: Command) -> Step<Lane, SoakTimer, Command> {
        match command {
            Command::Open { lane, url } => Step::Open {
                key: lane,
                url,
                protocols: vec![wsdoctor_core::COMPANION_SUBPROTOCOL.to_string()],
            },
            Command::Send { lane, text } => Step::Send { key: lane, text },
            Command::Close(lane) => Step::Close {
                key: lane,
                code: 1000,
                reason: "reconnect soak".into(),
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
        matches!(
            input,
            Input::Start { .. } | Input::Stop | Input::Fired(SoakTimer::End)
        )
    }
}
