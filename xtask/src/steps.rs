//! Timed steps: each prints when it starts, how long it took and the running total, and
//! a summary at the end names every step that failed.

use std::time::{Duration, Instant};

/// A failure, in one sentence a person can act on.
pub type Error = String;

/// The steps of one xtask run and their outcomes.
pub struct Steps {
    started: Instant,
    done: Vec<(String, Duration, bool)>,
}

impl Steps {
    /// Starts the clock for a run.
    pub fn new() -> Steps {
        Steps {
            started: Instant::now(),
            done: Vec::new(),
        }
    }

    /// Runs a step the rest depends on: its failure stops the run.
    pub fn require<T>(
        &mut self,
        name: &str,
        step: impl FnOnce() -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.time(name, step)
            .map_err(|err| format!("step '{name}' failed: {err}"))
    }

    /// Runs a check: its failure is recorded, and the run goes on to the next step.
    /// Returns the step's value when it succeeded.
    pub fn check<T>(&mut self, name: &str, step: impl FnOnce() -> Result<T, Error>) -> Option<T> {
        match self.time(name, step) {
            Ok(value) => Some(value),
            Err(err) => {
                eprintln!("xtask: step '{name}' failed: {err}");
                None
            }
        }
    }

    /// Records a step that could not run because an earlier one failed.
    pub fn skip(&mut self, name: &str, because: &str) {
        eprintln!("\n==> {name}: skipped, {because}");
        self.done.push((name.to_string(), Duration::ZERO, false));
    }

    fn time<T>(&mut self, name: &str, step: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
        eprintln!("\n==> {name}");
        let start = Instant::now();
        let outcome = step();
        let took = start.elapsed();
        let verdict = if outcome.is_ok() { "ok" } else { "FAILED" };
        eprintln!(
            "<== {name}: {verdict} in {} (total {})",
            seconds(took),
            seconds(self.started.elapsed())
        );
        self.done.push((name.to_string(), took, outcome.is_ok()));
        outcome
    }

    /// Prints every step with its time; fails naming the steps that failed.
    pub fn finish(self) -> Result<(), Error> {
        eprintln!("\nSteps:");
        for (name, took, ok) in &self.done {
            let verdict = if *ok { "ok    " } else { "FAILED" };
            eprintln!("  {verdict} {:>9}  {name}", seconds(*took));
        }
        eprintln!("  total  {:>9}", seconds(self.started.elapsed()));
        let failed: Vec<&str> = self
            .done
            .iter()
            .filter(|(_, _, ok)| !ok)
            .map(|(name, _, _)| name.as_str())
            .collect();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(format!("failed step(s): {}", failed.join(", ")))
        }
    }
}

/// A duration as seconds with one decimal, e.g. `12.3 s`.
pub fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}
