//! How late timers fired while the page was hidden: each timer's due and fired times, on
//! the main thread and in a Worker side by side, summarised for the verdict and the chart.

use serde::{Deserialize, Serialize};

use crate::Millis;

/// One timer: when it was due and when it fired (page clock, ms).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimerSample {
    /// When it was due.
    pub due: Millis,
    /// When it fired.
    pub fired: Millis,
}

impl TimerSample {
    /// How late it fired (never negative).
    pub fn late_ms(&self) -> Millis {
        (self.fired - self.due).max(0.0)
    }
}

/// How one thread's timers behaved during the hidden time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Throttling {
    /// Timers that fired while the page was hidden.
    pub fired_while_hidden: usize,
    /// The typical gap between two of them (median), ms.
    pub typical_gap_ms: Option<u64>,
    /// The longest gap, ms.
    pub longest_gap_ms: Option<u64>,
    /// The latest a timer fired past its due time, ms.
    pub worst_late_ms: Option<u64>,
}

/// Timers of a thread that fired inside one of `hidden` spans (`to: None`: still hidden,
/// up to `now`), summarised.
pub fn throttling(
    samples: &[TimerSample],
    hidden: &[(Millis, Option<Millis>)],
    now: Millis,
) -> Throttling {
    let inside = |t: Millis| {
        hidden
            .iter()
            .any(|(from, to)| t >= *from && t <= to.unwrap_or(now))
    };
    let fired: Vec<&TimerSample> = samples.iter().filter(|s| inside(s.fired)).collect();
    let mut gaps: Vec<u64> = fired
        .windows(2)
        .map(|pair| (pair[1].fired - pair[0].fired).max(0.0) as u64)
        .collect();
    gaps.sort_unstable();
    Throttling {
        fired_while_hidden: fired.len(),
        typical_gap_ms: gaps.get(gaps.len() / 2).copied(),
        longest_gap_ms: gaps.last().copied(),
        worst_late_ms: fired.iter().map(|s| s.late_ms() as u64).max(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(from: Millis, every: Millis, count: usize, late: Millis) -> Vec<TimerSample> {
        (0..count)
            .map(|i| {
                let due = from + every * i as Millis;
                TimerSample {
                    due,
                    fired: due + late,
                }
            })
            .collect()
    }

    #[test]
    fn only_timers_fired_while_hidden_count() {
        let samples = chain(0.0, 1_000.0, 20, 5.0);
        let t = throttling(&samples, &[(5_000.0, Some(9_500.0))], 20_000.0);
        assert_eq!(
            t.fired_while_hidden, 5,
            "fired at 5005, 6005, 7005, 8005, 9005: {t:?}"
        );
        assert_eq!(t.typical_gap_ms, Some(1_000));
        assert_eq!(t.worst_late_ms, Some(5));
    }

    #[test]
    fn a_span_still_open_runs_to_now_and_gaps_show_throttling() {
        let mut samples = chain(0.0, 1_000.0, 5, 0.0);
        samples.push(TimerSample {
            due: 5_000.0,
            fired: 60_000.0,
        });
        samples.push(TimerSample {
            due: 61_000.0,
            fired: 120_000.0,
        });
        let t = throttling(&samples, &[(3_500.0, None)], 130_000.0);
        assert_eq!(t.fired_while_hidden, 3);
        assert_eq!(t.longest_gap_ms, Some(60_000));
        assert_eq!(t.worst_late_ms, Some(59_000));
    }

    #[test]
    fn nothing_hidden_is_nothing_to_say() {
        let t = throttling(&chain(0.0, 1_000.0, 5, 0.0), &[], 10_000.0);
        assert_eq!(t, Throttling::default());
    }
}
