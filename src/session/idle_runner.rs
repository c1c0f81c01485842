//! Runs core's idle-timeout experiment in the page: opens its probe sockets and keeps its
//! timers through the session's one `Driver`, feeds every socket event and timer back
//! in, and publishes a view (probes, countdown, verdict) for the experiment card.

use leptos::prelude::*;
use wsdoctor_core::Millis;
use wsdoctor_core::idle::{
    Command, IdleExperiment, IdleResult, IdleSettings, IdleTimer, Input, Phase, ProbeId,
    ProbeResult, Snippet, Verdict, snippets, verdict,
};
use wsdoctor_core::target::check_target;

use super::driver::{Driver, Reported};
use super::page::page_is_https;
use crate::browser::clock;
use crate::browser::socket::SendError;

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

/// The runner's timers: the experiment's, and the next refresh of the card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum RunnerTimer {
    Experiment(IdleTimer),
    Refresh,
}

/// The idle experiment's runner, cheap to copy into callbacks.
#[derive(Clone, Copy)]
pub struct IdleRunner {
    experiment: StoredValue<Option<IdleExperiment>>,
    driver: Driver<ProbeId, RunnerTimer>,
    view: RwSignal<IdleView>,
}

impl IdleRunner {
    /// A runner with nothing running.
    pub fn new() -> IdleRunner {
        IdleRunner {
            experiment: StoredValue::new(None),
            driver: Driver::new(),
            view: RwSignal::new(IdleView::default()),
        }
    }

    /// What the card shows.
    pub fn view(&self) -> ReadSignal<IdleView> {
        self.view.read_only()
    }

    /// Whether an experiment is running.
    pub fn is_running(&self) -> bool {
        self.experiment
            .with_value(|e| e.as_ref().is_some_and(|e| e.phase() != Phase::Done))
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
            self.view.set(IdleView {
                refused: Some(why),
                ..IdleView::default()
            });
            return;
        }
        self.driver.stop_all();
        self.experiment
            .set_value(Some(IdleExperiment::new(settings)));
        self.view.set(IdleView::default());
        self.feed(Input::Start { url });
        self.schedule_refresh();
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
        self.feed(Input::Cancel);
    }

    /// The page became hidden: the verdict will say timers may have been throttled.
    pub fn page_hidden(&self) {
        if self.is_running() {
            self.feed(Input::PageHidden);
        }
    }

    fn feed(&self, input: Input) {
        let now = clock::now();
        // Messages change nothing the card shows at once (the refresh tick redraws the
        // bars): a server that floods the probes costs no redraw per message.
        let redraw = !matches!(input, Input::Message { .. });
        let Some(commands) = self
            .experiment
            .try_update_value(|e| e.as_mut().map(|e| e.handle(now, input)))
            .flatten()
        else {
            return;
        };
        let finished = commands.contains(&Command::Finished);
        for command in commands {
            self.execute(command);
        }
        if redraw || finished {
            self.publish();
        }
    }

    fn execute(&self, command: Command) {
        match command {
            Command::Open {
                probe,
                url,
                protocols,
            } => {
                let runner = *self;
                self.driver
                    .open_probe(probe, &url, &protocols, move |reported| {
                        runner.feed(match reported {
                            Reported::Opened(protocol) => Input::Opened { probe, protocol },
                            Reported::Message(text) => Input::Message { probe, text },
                            Reported::Closed { code, was_clean } => Input::Closed {
                                probe,
                                code,
                                was_clean,
                            },
                        })
                    });
            }
            Command::Send { probe, text } => match self.driver.send_text(probe, &text) {
                Ok(()) | Err(SendError::Gone) => {}
                Err(why) => log_refusal(&why.to_string()),
            },
            Command::Close {
                probe,
                code,
                reason,
            } => {
                let _ = self.driver.close(probe, code, &reason);
                self.driver.forget(probe);
            }
            Command::StartTimer { id, after_ms } => {
                let runner = *self;
                self.driver
                    .start_timer(RunnerTimer::Experiment(id), after_ms, move || {
                        runner.feed(Input::Timer(id))
                    });
            }
            Command::CancelTimer(id) => self.driver.cancel_timer(RunnerTimer::Experiment(id)),
            Command::Finished => {}
        }
    }

    fn schedule_refresh(&self) {
        let runner = *self;
        self.driver
            .repeat(RunnerTimer::Refresh, REFRESH_MS, move || {
                runner.publish();
                runner.is_running()
            });
    }

    fn publish(&self) {
        let now = clock::now();
        let Some(view) = self
            .experiment
            .try_with_value(|e| e.as_ref().map(|e| view_of(e, now)))
            .flatten()
        else {
            return;
        };
        let _ = self.view.try_set(view);
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

/// A socket refusal mid-experiment goes to the browser's console; the verdict reports
/// the probe as closed.
fn log_refusal(why: &str) {
    leptos::logging::warn!("idle experiment: {why}");
}
