//! Runs core's sleep experiment in the page on the shared `ExperimentRunner` (its probe
//! and asking connections and its timers on the session's one driver), with the timer
//! Worker beside them and the page's hidden/visible changes fed in; publishes a view
//! (phase, live numbers, verdict) for the experiment card.

use leptos::prelude::*;
use wsdoctor_core::Millis;
use wsdoctor_core::sleep::{
    Command, Input, PageChange, Phase, SleepConn, SleepExperiment, SleepResult, SleepSettings,
    SleepTimer, SleepVerdict, TimerSample, sleep_verdict,
};
use wsdoctor_core::target::check_target;

use super::driver::Reported;
use super::experiment::{Experiment, ExperimentRunner, Step};
use super::page::page_is_https;
use crate::browser::worker::TimerWorker;
use crate::browser::{clock, lifecycle};

/// How often the card's live numbers refresh while it runs.
const REFRESH_MS: u64 = 500;

/// What the sleep card shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SleepView {
    /// Where it stands (`None`: never started).
    pub phase: Option<Phase>,
    /// The outcome so far (final once done).
    pub result: Option<SleepResult>,
    /// The verdict, once done.
    pub verdict: Option<SleepVerdict>,
    /// Why it did not start.
    pub refused: Option<String>,
    /// Whether the timer Worker could not start (said in the card).
    pub no_worker: Option<String>,
    /// The probe deadline in force, ms (the snippets fill it in).
    pub deadline_ms: u64,
}

/// The sleep experiment's runner, cheap to copy into callbacks.
#[derive(Clone, Copy)]
pub struct SleepRunner {
    runner: ExperimentRunner<SleepExperiment>,
    worker: StoredValue<Option<TimerWorker>, LocalStorage>,
    view: RwSignal<SleepView>,
}

impl SleepRunner {
    /// A runner with nothing running.
    pub fn new() -> SleepRunner {
        let sleep = SleepRunner {
            runner: ExperimentRunner::new(),
            worker: StoredValue::new_local(None),
            view: RwSignal::new(SleepView::default()),
        };
        sleep
            .runner
            .set_hooks(move |()| sleep.publish(), move |command| sleep.own(command));
        sleep
    }

    /// What the card shows.
    pub fn view(&self) -> ReadSignal<SleepView> {
        self.view.read_only()
    }

    /// Whether an experiment is running.
    pub fn is_running(&self) -> bool {
        self.runner.is_running()
    }

    /// Starts against `target`; refuses (in the view) a bad target or settings.
    pub fn start(&self, target: &str, settings: SleepSettings) {
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
        let settings = SleepSettings {
            freeze_observable: lifecycle::supports_freeze(),
            ..settings
        };
        self.worker.set_value(None);
        self.view.set(SleepView::default());
        self.runner.start(
            SleepExperiment::new(settings),
            Input::Start { url },
            REFRESH_MS,
        );
    }

    /// Shows why a run could not start.
    pub fn refuse(&self, why: String) {
        if !self.is_running() {
            self.view.set(SleepView {
                refused: Some(why),
                ..SleepView::default()
            });
        }
    }

    /// Stops the run; nothing is concluded.
    pub fn stop(&self) {
        self.runner.feed(Input::Stop);
    }

    /// The page became hidden or visible, froze, went offline...: fed in while running.
    pub fn page_changed(&self, change: PageChange) {
        if self.is_running() {
            self.runner.feed(Input::Page(change));
        }
    }

    /// The page became visible: fed in with the probe's readyState.
    pub fn page_visible(&self) {
        let socket_open = self.runner.socket_open(SleepConn::Probe);
        self.page_changed(PageChange::Visible { socket_open });
    }

    /// The experiment's own commands: the timer Worker.
    fn own(&self, command: Command) {
        match command {
            Command::StartWorker { every_ms } => {
                let runner = self.runner;
                match TimerWorker::start(every_ms, move |due, fired| {
                    runner.feed(Input::WorkerTick(TimerSample { due, fired }))
                }) {
                    Ok(worker) => self.worker.set_value(Some(worker)),
                    Err(why) => self.view.update(|v| v.no_worker = Some(why)),
                }
            }
            Command::StopWorker => self.worker.set_value(None),
            _ => {}
        }
    }

    fn publish(&self) {
        let now = clock::now();
        let Some((phase, result, done, deadline_ms)) = self.runner.with(|e| {
            (
                e.phase(),
                e.snapshot(now),
                e.result().is_some(),
                e.settings().probe_deadline_ms,
            )
        }) else {
            return;
        };
        let verdict = done.then(|| sleep_verdict(&result));
        let _ = self.view.try_update(|v| {
            v.phase = Some(phase);
            v.deadline_ms = deadline_ms;
            v.verdict = verdict;
            v.result = Some(result);
            v.refused = None;
        });
    }
}

impl Default for SleepRunner {
    fn default() -> Self {
        SleepRunner::new()
    }
}

impl Experiment for SleepExperiment {
    type Key = SleepConn;
    type Timer = SleepTimer;
    type Input = Input;
    type Command = Command;

    fn handle(&mut self, now: Millis, input: Input) -> Vec<Command> {
        SleepExperiment::handle(self, now, input)
    }

    fn is_done(&self) -> bool {
        self.phase() == Phase::Done
    }

    fn reported(conn: SleepConn, report: Reported) -> Input {
        match report {
            Reported::Opened { protocol, .. } => Input::Opened { conn, protocol },
            Reported::Message(text) => Input::Message { conn, text },
            Reported::Binary { .. } => Input::Message { conn, text: None },
            Reported::Closed {
                code, was_clean, ..
            } => Input::Closed {
                conn,
                code,
                was_clean,
            },
        }
    }

    fn fired(id: SleepTimer) -> Input {
        Input::Timer(id)
    }

    fn step(command: Command) -> Step<SleepConn, SleepTimer, Command> {
        match command {
            Command::Open {
                conn,
                url,
                protocols,
            } => Step::Open {
                key: conn,
                url,
                protocols,
            },
            Command::Send { conn, text } => Step::Send { key: conn, text },
            Command::Close { conn, code, reason } => Step::Close {
                key: conn,
                code,
                reason,
            },
            Command::StartTimer { id, after_ms } => Step::StartTimer { id, after_ms },
            Command::CancelTimer(id) => Step::CancelTimer(id),
            Command::Finished => Step::Finished,
            own => Step::Own(own),
        }
    }

    fn redraws(input: &Input) -> bool {
        !matches!(input, Input::WorkerTick(_) | Input::Message { .. })
    }
}
