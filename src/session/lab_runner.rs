//! Runs core's close-code lab in the page on the shared `CheckRunner` (a control socket
//! and one socket per case).

use wsdoctor_core::Millis;
use wsdoctor_core::checks::close_lab::{
    BrowserClose, CloseLab, Command, Input, LabCase, LabResult, LabSocket, LabTimer,
};

use super::check_runner::{Check, CheckRunner};
use super::driver::Reported;
use super::experiment::{Experiment, Step};
use super::page::page_is_https;

/// The close-code lab's runner.
pub type LabRunner = CheckRunner<CloseLab>;

impl CheckRunner<CloseLab> {
    /// Runs `cases` against the companion at `target`.
    pub fn start(&self, target: &str, cases: Vec<LabCase>) {
        self.run(
            CloseLab::new(),
            Input::Start {
                url: target.trim().to_string(),
                page_is_https: page_is_https(),
                cases,
            },
        );
    }
}

impl Check for CloseLab {
    type Result = LabResult;

    fn progress(&self, _: Millis) -> (u64, u64) {
        let (done, of) = CloseLab::progress(self);
        (done as u64, of as u64)
    }

    fn result(&self) -> Option<LabResult> {
        self.is_done().then(|| CloseLab::result(self).clone())
    }

    fn stop() -> Input {
        Input::Stop
    }
}

impl Experiment for CloseLab {
    type Key = LabSocket;
    type Timer = LabTimer;
    type Input = Input;
    type Command = Command;

    fn handle(&mut self, now: Millis, input: Input) -> Vec<Command> {
        CloseLab::handle(self, now, input)
    }

    fn is_done(&self) -> bool {
        CloseLab::is_done(self)
    }

    fn reported(socket: LabSocket, report: Reported) -> Input {
        match report {
            Reported::Opened { protocol, .. } => Input::Opened { socket, protocol },
            Reported::Message(text) => Input::Message { socket, text },
            Reported::Binary { .. } => Input::Message { socket, text: None },
            Reported::Closed {
                code,
                reason,
                was_clean,
            } => Input::Closed {
                socket,
                close: BrowserClose {
                    code,
                    reason,
                    was_clean,
                },
            },
        }
    }

    fn fired(timer: LabTimer) -> Input {
        Input::Fired(timer)
    }

    fn step(command: Command) -> Step<LabSocket, LabTimer, Command> {
        match command {
            Command::Open { socket, url } => Step::Open {
                key: socket,
                url,
                protocols: vec![wsdoctor_core::COMPANION_SUBPROTOCOL.to_string()],
            },
            Command::Send { socket, text } => Step::Send { key: socket, text },
            Command::Close(socket) => Step::Close {
                key: socket,
                code: 1000,
                reason: "close-code lab".into(),
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
        !matches!(input, Input::Message { .. })
    }
}
