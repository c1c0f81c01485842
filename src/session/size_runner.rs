//! Runs core's size check in the page on the shared `ExperimentRunner`, and publishes a
//! view (messages tried, result) for its card.

use leptos::prelude::*;
use wsdoctor_core::Millis;
use wsdoctor_core::checks::size_limit::{
    Command, Input, SizeCheck, SizeResult, SizeSettings, SizeTimer,
};

use super::driver::Reported;
use super::experiment::{Experiment, ExperimentRunner, Step};
use super::page::page_is_https;

/// How often the card refreshes while the check runs.
const REFRESH_MS: u64 = 250;

/// What the size card shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SizeView {
    /// Whether the check is running.
    pub running: bool,
    /// Messages tried so far.
    pub tried: usize,
    /// The result, once done.
    pub result: Option<SizeResult>,
}

/// The size check's runner, cheap to copy into callbacks.
#[derive(Clone, Copy)]
pub struct SizeRunner {
    runner: ExperimentRunner<SizeCheck>,
    view: RwSignal<SizeView>,
}

impl SizeRunner {
    /// Nothing running.
    pub fn new() -> SizeRunner {
        let size = SizeRunner {
            runner: ExperimentRunner::new(),
            view: RwSignal::new(SizeView::default()),
        };
        size.runner.set_hooks(move |()| size.publish(), |_| {});
        size
    }

    /// What the card shows.
    pub fn view(&self) -> ReadSignal<SizeView> {
        self.view.read_only()
    }

    /// Runs the check against the companion at `target`.
    pub fn start(&self, target: &str, settings: SizeSettings) {
        if self.runner.is_running() {
            return;
        }
        self.view.set(SizeView::default());
        self.runner.start(
            SizeCheck::new(settings),
            Input::Start {
                url: target.trim().to_string(),
                page_is_https: page_is_https(),
            },
            REFRESH_MS,
        );
    }

    /// Stops a running check.
    pub fn stop(&self) {
        if self.runner.is_running() {
            self.runner.feed(Input::Stop);
        }
    }

    fn publish(&self) {
        let running = self.runner.is_running();
        if let Some((tried, result)) = self.runner.with(|check| {
            (
                check.tried(),
                check.is_done().then(|| check.result().clone()),
            )
        }) {
            let _ = self.view.try_set(SizeView {
                running,
                tried,
                result,
            });
        }
    }
}

impl Default for SizeRunner {
    fn default() -> Self {
        SizeRunner::new()
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
