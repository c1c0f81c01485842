//! Runs core's handshake check in the page on the shared `ExperimentRunner`, and
//! publishes a view (progress, result) for its card.

use leptos::prelude::*;
use wsdoctor_core::Millis;
use wsdoctor_core::checks::handshake::{
    Command, HandshakeCheck, HandshakeResult, HandshakeSettings, Input,
};

use super::driver::Reported;
use super::experiment::{Experiment, ExperimentRunner, Step};
use super::page::page_is_https;

/// How often the card refreshes while the check runs.
const REFRESH_MS: u64 = 250;

/// What the handshake card shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HandshakeCardView {
    /// Whether a check is running.
    pub running: bool,
    /// Opens done, of how many.
    pub progress: (usize, usize),
    /// The result, once done.
    pub result: Option<HandshakeResult>,
}

/// The handshake check's runner, cheap to copy into callbacks.
#[derive(Clone, Copy)]
pub struct HandshakeRunner {
    runner: ExperimentRunner<HandshakeCheck>,
    view: RwSignal<HandshakeCardView>,
}

impl HandshakeRunner {
    /// Nothing running.
    pub fn new() -> HandshakeRunner {
        let handshake = HandshakeRunner {
            runner: ExperimentRunner::new(),
            view: RwSignal::new(HandshakeCardView::default()),
        };
        handshake
            .runner
            .set_hooks(move |()| handshake.publish(), |_| {});
        handshake
    }

    /// What the card shows.
    pub fn view(&self) -> ReadSignal<HandshakeCardView> {
        self.view.read_only()
    }

    /// Runs the check against `target` (the check itself says what is wrong with a bad
    /// one).
    pub fn start(&self, target: &str, settings: HandshakeSettings) {
        if self.runner.is_running() {
            return;
        }
        self.view.set(HandshakeCardView::default());
        self.runner.start(
            HandshakeCheck::new(settings),
            Input::Start {
                url: target.trim().to_string(),
                page_is_https: page_is_https(),
            },
            REFRESH_MS,
        );
    }

    fn publish(&self) {
        let running = self.runner.is_running();
        if let Some((progress, result)) = self
            .runner
            .with(|check| (check.progress(), check.result().cloned()))
        {
            let _ = self.view.try_set(HandshakeCardView {
                running,
                progress,
                result,
            });
        }
    }
}

impl Default for HandshakeRunner {
    fn default() -> Self {
        HandshakeRunner::new()
    }
}

impl Experiment for HandshakeCheck {
    type Key = usize;
    type Timer = usize;
    type Input = Input;
    type Command = Command;

    fn handle(&mut self, now: Millis, input: Input) -> Vec<Command> {
        HandshakeCheck::handle(self, now, input)
    }

    fn is_done(&self) -> bool {
        HandshakeCheck::is_done(self)
    }

    fn reported(n: usize, report: Reported) -> Input {
        match report {
            Reported::Opened {
                protocol,
                extensions,
            } => Input::Opened {
                n,
                protocol,
                extensions,
            },
            Reported::Message(text) => Input::Message { n, text },
            Reported::Binary { .. } => Input::Message { n, text: None },
            Reported::Closed { code, .. } => Input::Closed { n, code },
        }
    }

    fn fired(n: usize) -> Input {
        Input::TimedOut { n }
    }

    fn step(command: Command) -> Step<usize, usize, Command> {
        match command {
            Command::Open { n, url, protocols } => Step::Open {
                key: n,
                url,
                protocols,
            },
            Command::Send { n, text } => Step::Send { key: n, text },
            Command::Close { n } => Step::Close {
                key: n,
                code: 1000,
                reason: "handshake check".into(),
            },
            Command::StartTimeout { n, after_ms } => Step::StartTimer { id: n, after_ms },
            Command::CancelTimeout { n } => Step::CancelTimer(n),
            Command::Finished => Step::Finished,
        }
    }

    fn redraws(_: &Input) -> bool {
        true
    }
}
