//! Runs core's sleep experiment in the page: its probe and asking connections and its
//! timers on the session's one `Driver`, the timer Worker beside them, and the page's
//! hidden/visible changes fed in; publishes a view (phase, live numbers, verdict) for the
//! experiment card.

use leptos::prelude::*;
use wsdoctor_core::Millis;
use wsdoctor_core::sleep::{
    Command, Input, PageChange, Phase, SleepConn, SleepExperiment, SleepResult, SleepSettings,
    SleepTimer, SleepVerdict, TimerSample, sleep_verdict,
};
use wsdoctor_core::target::check_target;

use super::driver::{Driver, Reported};
use super::page::page_is_https;
use crate::browser::socket::SendError;
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

/// The runner's timers: the experiment's, and the card's refresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum RunnerTimer {
    Experiment(SleepTimer),
    Refresh,
}

/// The sleep experiment's runner, cheap to copy into callbacks.
#[derive(Clone, Copy)]
pub struct SleepRunner {
    experiment: StoredValue<Option<SleepExperiment>>,
    driver: Driver<SleepConn, RunnerTimer>,
    worker: StoredValue<Option<TimerWorker>, LocalStorage>,
    view: RwSignal<SleepView>,
}

impl SleepRunner {
    /// A runner with nothing running.
    pub fn new() -> SleepRunner {
        SleepRunner {
            experiment: StoredValue::new(None),
            driver: Driver::new(),
            worker: StoredValue::new_local(None),
            view: RwSignal::new(SleepView::default()),
        }
    }

    /// What the card shows.
    pub fn view(&self) -> ReadSignal<SleepView> {
        self.view.read_only()
    }

    /// Whether an experiment is running.
    pub fn is_running(&self) -> bool {
        self.experiment
            .with_value(|e| e.as_ref().is_some_and(|e| e.phase() != Phase::Done))
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
        self.driver.stop_all();
        self.worker.set_value(None);
        self.experiment
            .set_value(Some(SleepExperiment::new(settings)));
        self.view.set(SleepView::default());
        self.feed(Input::Start { url });
        self.schedule_refresh();
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
        self.feed(Input::Stop);
    }

    /// The page became hidden or visible, froze, went offline...: fed in while running.
    pub fn page_changed(&self, change: PageChange) {
        if self.is_running() {
            self.feed(Input::Page(change));
        }
    }

    /// The page became visible: fed in with the probe's readyState.
    pub fn page_visible(&self) {
        let socket_open = self.driver.is_open(SleepConn::Probe);
        self.page_changed(PageChange::Visible { socket_open });
    }

    fn feed(&self, input: Input) {
        let now = clock::now();
        let redraw = !matches!(input, Input::WorkerTick(_) | Input::Message { .. });
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
                conn,
                url,
                protocols,
            } => {
                let runner = *self;
                self.driver
                    .open_probe(conn, &url, &protocols, move |reported| {
                        runner.feed(match reported {
                            Reported::Opened(protocol) => Input::Opened { conn, protocol },
                            Reported::Message(text) => Input::Message { conn, text },
                            Reported::Closed { code, was_clean } => Input::Closed {
                                conn,
                                code,
                                was_clean,
                            },
                        })
                    });
            }
            Command::Send { conn, text } => match self.driver.send_text(conn, &text) {
                Ok(()) | Err(SendError::Gone) => {}
                Err(why) => leptos::logging::warn!("sleep experiment: {why}"),
            },
            Command::Close { conn, code, reason } => {
                let _ = self.driver.close(conn, code, &reason);
            }
            Command::StartTimer { id, after_ms } => {
                let runner = *self;
                self.driver
                    .start_timer(RunnerTimer::Experiment(id), after_ms, move || {
                        runner.feed(Input::Timer(id))
                    });
            }
            Command::CancelTimer(id) => self.driver.cancel_timer(RunnerTimer::Experiment(id)),
            Command::StartWorker { every_ms } => {
                let runner = *self;
                match TimerWorker::start(every_ms, move |due, fired| {
                    runner.feed(Input::WorkerTick(TimerSample { due, fired }))
                }) {
                    Ok(worker) => self.worker.set_value(Some(worker)),
                    Err(why) => self.view.update(|v| v.no_worker = Some(why)),
                }
            }
            Command::StopWorker => self.worker.set_value(None),
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
        let Some((phase, result, done, deadline_ms)) = self
            .experiment
            .try_with_value(|e| {
                e.as_ref().map(|e| {
                    (
                        e.phase(),
                        e.snapshot(now),
                        e.result().is_some(),
                        e.settings().probe_deadline_ms,
                    )
                })
            })
            .flatten()
        else {
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

    /// The page clock now (for views that draw "so far").
    pub fn now(&self) -> Millis {
        clock::now()
    }
}

impl Default for SleepRunner {
    fn default() -> Self {
        SleepRunner::new()
    }
}
