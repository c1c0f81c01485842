//! What every experiment shares in the page: core's state machine, fed with what its
//! sockets report and its timers, its commands carried out on the session's one socket
//! driver, and a view refreshed while it runs. An experiment says how its core types map
//! onto that (`Experiment`); its runner keeps only what is its own: its view, and any
//! command of its own (the sleep experiment's Worker). The checks that need nothing of
//! their own share one runner (`check_runner.rs`).

use std::hash::Hash;
use std::rc::Rc;

use leptos::prelude::*;
use wsdoctor_core::Millis;

use super::driver::{Driver, Reported};
use crate::browser::clock;
use crate::browser::socket::SendError;

/// A command of an experiment, as the driver carries it out.
pub enum Step<K, T, C> {
    /// Open socket `key`.
    Open {
        /// Which socket.
        key: K,
        /// The target.
        url: String,
        /// The subprotocols to offer.
        protocols: Vec<String>,
    },
    /// Send text on socket `key`.
    Send {
        /// Which socket.
        key: K,
        /// The text.
        text: String,
    },
    /// Send `bytes` zero bytes as one binary message on socket `key`.
    SendBytes {
        /// Which socket.
        key: K,
        /// How many.
        bytes: usize,
    },
    /// Close socket `key`.
    Close {
        /// Which socket.
        key: K,
        /// The code.
        code: u16,
        /// The reason.
        reason: String,
    },
    /// Start (or restart) timer `id`.
    StartTimer {
        /// Which timer.
        id: T,
        /// After how long.
        after_ms: u64,
    },
    /// Cancel timer `id`.
    CancelTimer(T),
    /// The experiment is over.
    Finished,
    /// A command only this experiment has.
    Own(C),
}

/// How a core experiment plugs into the page.
pub trait Experiment: Sized + 'static {
    /// Its sockets' keys.
    type Key: Copy + Eq + Hash + 'static;
    /// Its timers' names.
    type Timer: Copy + Eq + Hash + 'static;
    /// What it is fed.
    type Input: 'static;
    /// What it asks for.
    type Command: 'static;

    /// Handles one input at `now`.
    fn handle(&mut self, now: Millis, input: Self::Input) -> Vec<Self::Command>;
    /// Whether it is over.
    fn is_done(&self) -> bool;
    /// The input for what socket `key` reported.
    fn reported(key: Self::Key, report: Reported) -> Self::Input;
    /// The input for timer `id` firing.
    fn fired(id: Self::Timer) -> Self::Input;
    /// A command as the driver carries it out.
    fn step(command: Self::Command) -> Step<Self::Key, Self::Timer, Self::Command>;
    /// Whether an input may change what the card shows at once (a flood of messages
    /// costs no redraw each: the refresh tick redraws).
    fn redraws(input: &Self::Input) -> bool;
}

/// The runner's timers: the experiment's, and the view's refresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunnerTimer<T> {
    /// One of the experiment's.
    Experiment(T),
    /// The next refresh of the view.
    Refresh,
}

type Hook<A> = Option<Rc<dyn Fn(A)>>;

struct Hooks<E: Experiment> {
    publish: Hook<()>,
    own: Hook<E::Command>,
}

/// Runs one experiment at a time; cheap to copy into callbacks.
pub struct ExperimentRunner<E: Experiment> {
    experiment: StoredValue<Option<E>, LocalStorage>,
    driver: Driver<E::Key, RunnerTimer<E::Timer>>,
    hooks: StoredValue<Hooks<E>, LocalStorage>,
}

impl<E: Experiment> Clone for ExperimentRunner<E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E: Experiment> Copy for ExperimentRunner<E> {}

impl<E: Experiment> ExperimentRunner<E> {
    /// Nothing running. `publish` redraws the view; `own` carries out the experiment's
    /// own commands (set them with `set_hooks`).
    pub fn new() -> ExperimentRunner<E> {
        ExperimentRunner {
            experiment: StoredValue::new_local(None),
            driver: Driver::new(),
            hooks: StoredValue::new_local(Hooks {
                publish: None,
                own: None,
            }),
        }
    }

    /// What redraws the view, and what carries out the experiment's own commands.
    pub fn set_hooks(&self, publish: impl Fn(()) + 'static, own: impl Fn(E::Command) + 'static) {
        self.hooks.set_value(Hooks {
            publish: Some(Rc::new(publish)),
            own: Some(Rc::new(own)),
        });
    }

    /// Whether an experiment is running.
    pub fn is_running(&self) -> bool {
        self.experiment
            .try_with_value(|e| e.as_ref().is_some_and(|e| !e.is_done()))
            .unwrap_or(false)
    }

    /// Reads the experiment (`None`: none yet).
    pub fn with<R>(&self, read: impl FnOnce(&E) -> R) -> Option<R> {
        self.experiment
            .try_with_value(|e| e.as_ref().map(read))
            .flatten()
    }

    /// Whether the browser says socket `key` is open.
    pub fn socket_open(&self, key: E::Key) -> bool {
        self.driver.is_open(key)
    }

    /// Starts `experiment` with `first`, letting go of a finished run's sockets and
    /// timers, and refreshes the view every `refresh_ms` while it runs.
    pub fn start(&self, experiment: E, first: E::Input, refresh_ms: u64) {
        self.driver.stop_all();
        self.experiment.set_value(Some(experiment));
        self.feed(first);
        let runner = *self;
        self.driver
            .repeat(RunnerTimer::Refresh, refresh_ms, move || {
                runner.publish();
                runner.is_running()
            });
    }

    /// Hands one input to the experiment and carries out its commands.
    pub fn feed(&self, input: E::Input) {
        let now = clock::now();
        let redraw = E::redraws(&input);
        let Some(commands) = self
            .experiment
            .try_update_value(|e| e.as_mut().map(|e| e.handle(now, input)))
            .flatten()
        else {
            return;
        };
        let mut finished = false;
        for command in commands {
            finished |= self.execute(command);
        }
        if redraw || finished {
            self.publish();
        }
    }

    /// Carries out one command; `true` when the experiment finished.
    fn execute(&self, command: E::Command) -> bool {
        match E::step(command) {
            Step::Open {
                key,
                url,
                protocols,
            } => {
                let runner = *self;
                self.driver
                    .open_probe(key, &url, &protocols, move |report| {
                        runner.feed(E::reported(key, report))
                    });
            }
            Step::Send { key, text } => match self.driver.send_text(key, &text) {
                Ok(()) | Err(SendError::Gone) => {}
                Err(why) => leptos::logging::warn!("experiment: {why}"),
            },
            Step::SendBytes { key, bytes } => {
                match self.driver.send_bytes(key, &vec![0u8; bytes]) {
                    Ok(()) | Err(SendError::Gone) => {}
                    Err(why) => leptos::logging::warn!("experiment: {why}"),
                }
            }
            Step::Close { key, code, reason } => {
                let _ = self.driver.close(key, code, &reason);
                self.driver.forget(key);
            }
            Step::StartTimer { id, after_ms } => {
                let runner = *self;
                self.driver
                    .start_timer(RunnerTimer::Experiment(id), after_ms, move || {
                        runner.feed(E::fired(id))
                    });
            }
            Step::CancelTimer(id) => self.driver.cancel_timer(RunnerTimer::Experiment(id)),
            Step::Finished => return true,
            Step::Own(command) => {
                if let Some(own) = self.hooks.try_with_value(|h| h.own.clone()).flatten() {
                    own(command);
                }
            }
        }
        false
    }

    /// Redraws the view.
    pub fn publish(&self) {
        if let Some(publish) = self.hooks.try_with_value(|h| h.publish.clone()).flatten() {
            publish(());
        }
    }
}

impl<E: Experiment> Default for ExperimentRunner<E> {
    fn default() -> Self {
        ExperimentRunner::new()
    }
}
