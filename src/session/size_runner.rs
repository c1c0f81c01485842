//! Runs core's size check in the page on the shared `CheckRunner`.

use wsdoctor_core::Millis;
use wsdoctor_core::checks::size_limit::{
    Command, Input, SizeCheck, SizeResult, SizeSettings, SizeTimer,
};

use super::check_runner::{Check, CheckRunner};
use super::driver::Reported;
use super::experiment::{Experiment, Step};
use super::page::page_is_https;

/// The size check's runner.
pub type SizeRunner = CheckRunner<SizeCheck>;

impl CheckRunner<SizeCheck> {
    /// Runs the check against the companion at `target`.
    pub fn start(&self, target: &str, settings: SizeSettings) {
        self.run(
            SizeCheck::new(settings),
            Input::Start {
                url: target.trim().to_string(),
                page_is_https: page_is_https(),
            },
        );
    }
}

impl Check for SizeCheck {
    type Result = SizeResult;

    /// Messages tried (how many there will be is known only at the end).
    fn progress(&self, _: Millis) -> (u64, u64) {
        (self.tried() as u64, 0)
    }

    fn result(&self) -> Option<SizeResult> {
        self.is_done().then(|| SizeCheck::result(self).clone())
    }

    fn stop() -> Input {
        Input::Stop
    }
}

impl Experiment for SizeCheck {
    type Key = ();
    type Timer = SizeTimer;
    type Input = Input;
    type Command = Command;

    fn handle(&mut self, now: Millis, input: Input) -> Vec<Command> {
        SizeCheck::handle(self, now, input)
    }

    fn is_done(&self) -> bool {
        SizeCheck::is_done(self)
    }

    fn reported((): (), report: Reported) -> Input {
        match report {
            Reported::Opened { protocol, .. } => Input::Opened { protocol },
            Reported::Message(text) => Input::Text(text),
            Reported::Binary { bytes } => Input::Binary(bytes as u64),
            Reported::Closed { code, .. } => Input::Closed { code },
        }
    }

    fn fired(timer: SizeTimer) -> Input {
        Input::Fired(timer)
    }

    fn step(command: Command) -> Step<(), SizeTimer, Command> {
        match command {
            Command::Open { url } => Step::Open {
                key: (),
                url,
                protocols: vec![wsdoctor_core::COMPANION_SUBPROTOCOL.to_string()],
            },
            Command::SendText(text) => Step::Send { key: (), text },
            Command::SendBytes(bytes) => Step::SendBytes {
                key: (),
                bytes: bytes as usize,
            },
            Command::Close => Step::Close {
                key: (),
                code: 1000,
                reason: "size check".into(),
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
            Input::Start { .. } | Input::Stop | Input::Closed { .. }
        )
    }
}
