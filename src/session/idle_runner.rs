//! Runs core's idle-timeout experiment in the page: opens its probe sockets, keeps its
//! timers, feeds every socket event and timer back in, and publishes a view (probes,
//! countdown, verdict) for the experiment card.
//!
//! As in the console, a socket or timer is never dropped inside its own callback: what
//! must go waits in a graveyard until the next event from elsewhere.

use std::collections::HashMap;

use leptos::prelude::*;
use wsdoctor_core::Millis;
use wsdoctor_core::idle::{
    Command, IdleExperiment, IdleResult, IdleSettings, IdleTimer, Input, Phase, ProbeId,
    ProbeResult, Snippet, Verdict, snippets, verdict,
};
use wsdoctor_core::target::check_target;

use super::page::page_is_https;
use crate::browser::clock;
use crate::browser::socket::{Socket, SocketEvent};
use crate::browser::timer::Timers;

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

#[derive(Default)]
struct Runtime {
    sockets: HashMap<ProbeId, Socket>,
    timers: Timers<RunnerTimer>,
    graveyard_sockets: Vec<Socket>,
}

/// The idle experiment's runner, cheap to copy into callbacks.
#[derive(Clone, Copy)]
pub struct IdleRunner {
    experiment: StoredValue<Option<IdleExperiment>>,
    runtime: StoredValue<Runtime, LocalStorage>,
    view: RwSignal<IdleView>,
}

impl IdleRunner {
    /// A runner with nothing running.
    pub fn new() -> IdleRunner {
        IdleRunner {
            experiment: StoredValue::new(None),
            runtime: StoredValue::new_local(Runtime::default()),
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
        self.clear_runtime();
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

    fn clear_runtime(&self) {
        self.runtime.update_value(|rt| {
            let sockets: Vec<Socket> = rt.sockets.drain().map(|(_, s)| s).collect();
            rt.graveyard_sockets.extend(sockets);
            rt.timers.cancel_all();
        });
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
                match Socket::open(&url, &protocols, move |event| {
                    runner.on_socket(probe, event)
                }) {
                    Ok(socket) => self.runtime.update_value(|rt| {
                        if let Some(old) = rt.sockets.insert(probe, socket) {
                            rt.graveyard_sockets.push(old);
                        }
                    }),
                    Err(err) => {
                        log_refusal(&err.to_string());
                        self.feed(Input::Closed {
                            probe,
                            code: 1006,
                            was_clean: false,
                        });
                    }
                }
            }
            Command::Send { probe, text } => {
                let sent = self
                    .runtime
                    .with_value(|rt| rt.sockets.get(&probe).map(|socket| socket.send_text(&text)));
                if let Some(Err(why)) = sent {
                    log_refusal(&why);
                }
            }
            Command::Close {
                probe,
                code,
                reason,
            } => self.runtime.update_value(|rt| {
                if let Some(socket) = rt.sockets.remove(&probe) {
                    let _ = socket.close(code, &reason);
                    rt.graveyard_sockets.push(socket);
                }
            }),
            Command::StartTimer { id, after_ms } => {
                let runner = *self;
                self.runtime.update_value(|rt| {
                    rt.timers
                        .start(RunnerTimer::Experiment(id), after_ms, move || {
                            runner.timer_fired(id)
                        })
                });
            }
            Command::CancelTimer(id) => self
                .runtime
                .update_value(|rt| rt.timers.cancel(RunnerTimer::Experiment(id))),
            Command::Finished => {}
        }
    }

    fn bury_leftovers(&self) {
        let _ = self.runtime.try_update_value(|rt| {
            rt.graveyard_sockets.clear();
            rt.timers.bury();
        });
    }

    fn timer_fired(&self, id: IdleTimer) {
        self.bury_leftovers();
        let _ = self
            .runtime
            .try_update_value(|rt| rt.timers.fired(RunnerTimer::Experiment(id)));
        self.feed(Input::Timer(id));
    }

    fn on_socket(&self, probe: ProbeId, event: SocketEvent) {
        self.bury_leftovers();
        let input = match event {
            SocketEvent::Opened { protocol, .. } => Input::Opened { probe, protocol },
            SocketEvent::Text(text) => Input::Message {
                probe,
                text: Some(text),
            },
            SocketEvent::Binary(_) => Input::Message { probe, text: None },
            SocketEvent::Error => return,
            SocketEvent::Closed {
                code, was_clean, ..
            } => {
                let _ = self.runtime.try_update_value(|rt| {
                    if let Some(socket) = rt.sockets.remove(&probe) {
                        rt.graveyard_sockets.push(socket);
                    }
                });
                Input::Closed {
                    probe,
                    code,
                    was_clean,
                }
            }
        };
        self.feed(input);
    }

    fn schedule_refresh(&self) {
        let runner = *self;
        let _ = self.runtime.try_update_value(|rt| {
            rt.timers
                .start(RunnerTimer::Refresh, REFRESH_MS, move || runner.refresh())
        });
    }

    fn refresh(&self) {
        self.bury_leftovers();
        let _ = self
            .runtime
            .try_update_value(|rt| rt.timers.fired(RunnerTimer::Refresh));
        self.publish();
        if self.is_running() {
            self.schedule_refresh();
        }
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
