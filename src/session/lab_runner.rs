//! Runs core's close-code lab in the page on the shared `ExperimentRunner` (a control
//! socket and one socket per case), and publishes a view (progress, rows) for its card.

use leptos::prelude::*;
use wsdoctor_core::Millis;
use wsdoctor_core::checks::close_lab::{
    BrowserClose, CloseLab, Command, Input, LabCase, LabResult, LabSocket, LabTimer,
};

use super::driver::Reported;
use super::experiment::{Experiment, ExperimentRunner, Step};
use super::page::page_is_https;

/// How often the card refreshes while the lab runs.
const REFRESH_MS: u64 = 250;

/// What the lab's card shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LabView {
    /// Whether the lab is running.
    pub running: bool,
    /// Cases done, of how many.
    pub progress: (usize, usize),
    /// The rows so far (final when not running).
    pub result: Option<LabResult>,
}

/// The lab's runner, cheap to copy into callbacks.
#[derive(Clone, Copy)]
pub struct LabRunner {
    runner: ExperimentRunner<CloseLab>,
    view: RwSignal<LabView>,
}

impl LabRunner {
    /// Nothing running.
    pub fn new() -> LabRunner {
        let lab = LabRunner {
            runner: ExperimentRunner::new(),
            view: RwSignal::new(LabView::default()),
        };
        lab.runner.set_hooks(move |()| lab.publish(), |_| {});
        lab
    }

    /// What the card shows.
    pub fn view(&self) -> ReadSignal<LabView> {
        self.view.read_only()
    }

    /// Runs `cases` against the companion at `target`.
    pub fn start(&self, target: &str, cases: Vec<LabCase>) {
        if self.runner.is_running() {
            return;
        }
        self.view.set(LabView::default());
        self.runner.start(
            CloseLab::new(),
            Input::Start {
                url: target.trim().to_string(),
                page_is_https: page_is_https(),
                cases,
            },
            REFRESH_MS,
        );
    }

    /// Stops a running lab (the rows done are kept).
    pub fn stop(&self) {
        if self.runner.is_running() {
            self.runner.feed(Input::Stop);
        }
    }

    fn publish(&self) {
        let running = self.runner.is_running();
        if let Some((progress, result)) = self
            .runner
            .with(|lab| (lab.progress(), lab.result().clone()))
        {
            let _ = self.view.try_set(LabView {
                running,
                progress,
                result: Some(result),
            });
        }
    }
}

impl Default for LabRunner {
    fn default() -> Self {
        LabRunner::new()
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
