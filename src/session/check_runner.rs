//! The runner every path check shares when it needs nothing of its own (round trips, the
//! size limit, the close-code lab, the reconnect soak): core's check on the shared
//! `ExperimentRunner`, a Stop, and one view for its card (running, progress, result).
//! Each check says how it reads (`Check`) and how it starts (a `start` on its own
//! `CheckRunner<_>`, in its module).

use leptos::prelude::*;

use super::experiment::{Experiment, ExperimentRunner};

/// How often a check's card refreshes while it runs.
const REFRESH_MS: u64 = 250;

/// What a card reads of its check.
pub trait Check: Experiment {
    /// Its result.
    type Result: Clone + PartialEq + Send + Sync + 'static;
    /// How far it is: done, of how many (0 of 0 when it cannot say).
    fn progress(&self, now: wsdoctor_core::Millis) -> (u64, u64);
    /// Its result: once done (and, for a check that shows figures as it goes, so far).
    fn result(&self) -> Option<Self::Result>;
    /// The input that stops it.
    fn stop() -> Self::Input;
}

/// What a check's card shows.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckView<R> {
    /// Whether it is running.
    pub running: bool,
    /// Done, of how many.
    pub progress: (u64, u64),
    /// The result (final when not running).
    pub result: Option<R>,
}

impl<R> Default for CheckView<R> {
    fn default() -> Self {
        CheckView {
            running: false,
            progress: (0, 0),
            result: None,
        }
    }
}

/// A check's runner, cheap to copy into callbacks.
pub struct CheckRunner<C: Check> {
    runner: ExperimentRunner<C>,
    view: RwSignal<CheckView<C::Result>>,
}

impl<C: Check> Clone for CheckRunner<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C: Check> Copy for CheckRunner<C> {}

impl<C: Check> CheckRunner<C> {
    /// Nothing running.
    pub fn new() -> CheckRunner<C> {
        let check = CheckRunner {
            runner: ExperimentRunner::new(),
            view: RwSignal::new(CheckView::default()),
        };
        check.runner.set_hooks(move |()| check.publish(), |_| {});
        check
    }

    /// What the card shows.
    pub fn view(&self) -> ReadSignal<CheckView<C::Result>> {
        self.view.read_only()
    }

    /// Runs `check` from `first`, unless one is running.
    pub(super) fn run(&self, check: C, first: C::Input) {
        if self.runner.is_running() {
            return;
        }
        self.view.set(CheckView::default());
        self.runner.start(check, first, REFRESH_MS);
    }

    /// Stops a running check (what it found so far is kept).
    pub fn stop(&self) {
        if self.runner.is_running() {
            self.runner.feed(C::stop());
        }
    }

    fn publish(&self) {
        let running = self.runner.is_running();
        let now = crate::browser::clock::now();
        if let Some((progress, result)) = self
            .runner
            .with(|check| (check.progress(now), check.result()))
        {
            let _ = self.view.try_set(CheckView {
                running,
                progress,
                result,
            });
        }
    }
}

impl<C: Check> Default for CheckRunner<C> {
    fn default() -> Self {
        CheckRunner::new()
    }
}
