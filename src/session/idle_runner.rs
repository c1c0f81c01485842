//! Runs core's idle-timeout experiment in the page on the shared `ExperimentRunner` (its
//! sockets and timers on the session's one driver), and publishes a view (probes,
//! countdown, verdict) for the experiment card.

use leptos::prelude::*;
use wsdoctor_core::Millis;
use wsdoctor_core::idle::{
    Command, IdleExperiment, IdleResult, IdleSettings, IdleTimer, Input, Phase, ProbeId,
    ProbeResult, Snippet, Verdict, snippets, verdict,
};
use wsdoctor_core::target::check_target;

use super::driver::Reported;
use super::experiment::{Experiment, ExperimentRunner, Step};
use super::page::page_is_https;
use crate::browser::clock;

/// How often the card's countdown and probe bars refresh while running.
const REFRESH_MS: u64 = 250;

/// What the experiment card shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IdleView {
    /// Where it stands (`None`: never started).
    pub phase: Option<Phase>,
    /// Each probe as it stands.
    pub probes: Vec<ProbeResult>,
    /// When the probes started, on the page's clock.
    pub started_at: Option<Millis>,
    /// ms since the probes started.
    pub elapsed_ms: u64,
    /// ms until the latest possible end, as things stand.
    pub left_ms: u64,
    /// The whole span, for the progress bar.
    pub total_ms: u64,
    /// The result, once done.
    pub result: Option<IdleResult>,
    /// The verdict, once done.
    pub verdict: Option<Verdict>,
    /// The snippets, once done.
    pub snippets: Vec<Snippet>,
    /// Why it did not start (bad target or settings).
    pub refused: Option<String>,
}

/// The idle experiment's runner, cheap to copy into callbacks.
#[derive(Clone, Copy)]
pub struct IdleRunner {
    runner: ExperimentRunner<IdleExperiment>,
    view: RwSignal<IdleView>,
}

impl IdleRunner {
    /// A runner with nothing running.
    pub fn new() -> IdleRunner {
        let idle = IdleRunner {
            runner: ExperimentRunner::new(),
            view: RwSignal::new(IdleView::default()),
        };
        idle.runner.set_hooks(move |()| idle.publish(), |_| {});
        idle
    }

    /// What the card shows.
    pub fn view(&self) -> ReadSignal<IdleView> {
        self.view.read_only()
    }

    /// Whether an experiment is running.
    pub fn is_running(&self) -> bool {
        self.runner.is_running()
    }

    /// Starts against `target` with `settings`, replacing a finished run; refuses (in
    /// the view) a bad target or bad settings, or a second run while one is going.
    pub fn start(&self, target: &str, settings: IdleSettings) {
        if self.is_running() {
            return;
        }
        let url = target.trim().to_string();
        let checked = check_target(&url, page_is_https())
            .map_err(|err| err.to_string())
            .and_then(|_| settings.check());
        if let Err(why) = checked {
            return self.refuse(why);
        }
        self.view.set(IdleView::default());
        self.runner.start(
            IdleExperiment::new(settings),
            Input::Start { url },
            REFRESH_MS,
        );
    }

    /// Shows why a run could not start (e.g. a setting the card could not read).
    pub fn refuse(&self, why: String) {
        if !self.is_running() {
            self.view.set(IdleView {
                refused: Some(why),
                ..IdleView::default()
            });
        }
    }

    /// Stops the run; nothing is concluded.
    pub fn cancel(&self) {
        self.runner.feed(Input::Cancel);
    }

    /// The page became hidden: the verdict will say timers may have been throttled.
    pub fn page_hidden(&self) {
        if self.is_running() {
            self.runner.feed(Input::PageHidden);
        }
    }

    fn publish(&self) {
        let now = clock::now();
        if let Some(view) = self.runner.with(|e| view_of(e, now)) {
            let _ = self.view.try_set(view);
        }
    }
}

impl Default for IdleRunner {
    fn default() -> Self {
        IdleRunner::new()
    }
}

fn view_of(experiment: &IdleExperiment, now: Millis) -> IdleView {
    let result = experiment.result().cloned();
    let started = experiment.started_at();
    let elapsed_ms = started.map_or(0, |s| (now - s).max(0.0) as u64);
    let (left_ms, total_ms) = match (experiment.ends_by(), started) {
        (Some(end), Some(start)) => ((end - now).max(0.0) as u64, (end - start).max(1.0) as u64),
        _ => (0, experiment.settings().max_idle_ms),
    };
    IdleView {
        phase: Some(experiment.phase()),
        probes: result
            .as_ref()
            .map_or_else(|| experiment.probes(now), |r| r.probes.clone()),
        started_at: started,
        elapsed_ms: result.as_ref().map_or(elapsed_ms, |r| r.watched_ms),
        left_ms: if result.is_some() { 0 } else { left_ms },
        total_ms,
        verdict: result.as_ref().map(verdict),
        snippets: result.as_ref().map(snippets).unwrap_or_default(),
        result,
        refused: None,
    }
}

impl Experiment for IdleExperiment {
    type Key = ProbeId;
    type Timer = IdleTimer;
    type Input = Input;
    type Command = Command;

    fn handle(&mut self, now: Millis, input: Input) -> Vec<Command> {
        IdleExperiment::handle(self, now, input)
    }

    fn is_done(&self) -> bool {
        self.phase() == Phase::Done
    }

    fn reported(probe: ProbeId, report: Reported) -> Input {
        match report {
            Reported::Opened { protocol, .. } => Input::Opened { probe, protocol },
            Reported::Message(text) => Input::Message { probe, text },
            Reported::Binary { .. } => Input::Message { probe, text: None },
            Reported::Closed {
                code, was_clean, ..
            } => Input::Closed {
                probe,
                code,
                was_clean,
            },
        }
    }

    fn fired(id: IdleTimer) -> Input {
        Input::Timer(id)
    }

    fn step(command: Command) -> Step<ProbeId, IdleTimer, Command> {
        match command {
            Command::Open {
                probe,
                url,
                protocols,
            } => Step::Open {
                key: probe,
                url,
                protocols,
            },
            Command::Send { probe, text } => Step::Send { key: probe, text },
            Command::Close {
                probe,
                code,
                reason,
            } => Step::Close {
                key: probe,
                code,
                reason,
            },
            Command::StartTimer { id, after_ms } => Step::StartTimer { id, after_ms },
            Command::CancelTimer(id) => Step::CancelTimer(id),
            Command::Finished => Step::Finished,
        }
    }

    fn redraws(input: &Input) -> bool {
        !matches!(input, Input::Message { .. })
    }
}
