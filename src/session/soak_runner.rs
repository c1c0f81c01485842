//! Runs core's reconnect soak in the page on the shared `ExperimentRunner` (one socket
//! per policy), seeded from the browser's random source, and publishes a view (time run,
//! result) for its card.

use leptos::prelude::*;
use wsdoctor_core::Millis;
use wsdoctor_core::checks::soak::{
    Command, Input, Lane, Soak, SoakResult, SoakSettings, SoakTimer,
};

use super::driver::Reported;
use super::experiment::{Experiment, ExperimentRunner, Step};
use super::page::page_is_https;
use crate::browser::{clock, random};

/// How often the card refreshes while the soak runs.
const REFRESH_MS: u64 = 500;

/// What the soak's card shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SoakView {
    /// Whether the soak is running.
    pub running: bool,
    /// Time run, of how long, ms.
    pub progress: (u64, u64),
    /// The result, once done.
    pub result: Option<SoakResult>,
}

/// The soak's runner, cheap to copy into callbacks.
#[derive(Clone, Copy)]
pub struct SoakRunner {
    runner: ExperimentRunner<Soak>,
    view: RwSignal<SoakView>,
}

impl SoakRunner {
    /// Nothing running.
    pub fn new() -> SoakRunner {
        let soak = SoakRunner {
            runner: ExperimentRunner::new(),
            view: RwSignal::new(SoakView::default()),
        };
        soak.runner.set_hooks(move |()| soak.publish(), |_| {});
        soak
    }

    /// What the card shows.
    pub fn view(&self) -> ReadSignal<SoakView> {
        self.view.read_only()
    }

    /// Runs the soak against the companion at `target` with `settings` (checked).
    pub fn start(&self, target: &str, settings: SoakSettings) {
        if self.runner.is_running() {
            return;
        }
        self.view.set(SoakView::default());
        self.runner.start(
            Soak::new(settings),
            Input::Start {
                url: target.trim().to_string(),
                page_is_https: page_is_https(),
                seed: random::seed(),
            },
            REFRESH_MS,
        );
    }

    /// Stops a running soak (the figures so far are kept).
    pub fn stop(&self) {
        if self.runner.is_running() {
            self.runner.feed(Input::Stop);
        }
    }

    fn publish(&self) {
        let running = self.runner.is_running();
        let now = clock::now();
        if let Some((progress, result)) = self.runner.with(|soak| {
            (
                soak.progress(now),
                soak.is_done().then(|| soak.result().clone()),
            )
        }) {
            let _ = self.view.try_set(SoakView {
                running,
                progress,
                result,
            });
        }
    }
}

impl Default for SoakRunner {
    fn default() -> Self {
        SoakRunner::new()
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
