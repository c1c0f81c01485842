//! When to reconnect: exponential backoff with full jitter, a cap, a limit on attempts,
//! a reset only after a connection stayed open for a stable period, and no automatic
//! retry after codes the catalogue marks as final.
//!
//! The schedule is a pure function of the policy and a seed, so the page can preview it.
//! The seed article's policy (1 s doubling to 30 s, no jitter, reset on open, no retry
//! after 1000 only) is kept as a preset to compare with.

use crate::Millis;
use crate::close_code::{self, Reconnect};
use crate::random::SeededRandom;

/// How random each delay is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    /// Exactly the backoff delay: every client that lost the server at once returns at once.
    None,
    /// Uniform between 0 and the backoff delay ("full jitter"): clients spread out.
    Full,
}

/// A reconnection policy.
#[derive(Clone, Debug, PartialEq)]
pub struct ReconnectPolicy {
    /// The delay before the first retry, before jitter.
    pub initial_delay_ms: u64,
    /// The factor between successive delays.
    pub multiplier: f64,
    /// The largest delay.
    pub max_delay_ms: u64,
    /// How random each delay is.
    pub jitter: Jitter,
    /// The attempt count resets only after a connection stayed open this long (0: on open).
    pub stable_after_ms: u64,
    /// Give up when this many reconnections in a row failed, after the first attempt
    /// (`None`: never).
    pub max_attempts: Option<u32>,
    /// Give up on a connection still not open after this long.
    pub connect_timeout_ms: u64,
    /// Whether codes the catalogue marks final (1000, 1008, ...) still lead to a retry.
    pub retry_after_final_codes: bool,
}

impl ReconnectPolicy {
    /// wsdoctor's policy: 1 s doubling to 30 s with full jitter, reset after 10 s open,
    /// at most 20 attempts in a row, 10 s connect timeout, no retry after final codes.
    pub fn recommended() -> ReconnectPolicy {
        ReconnectPolicy {
            initial_delay_ms: 1_000,
            multiplier: 2.0,
            max_delay_ms: 30_000,
            jitter: Jitter::Full,
            stable_after_ms: 10_000,
            max_attempts: Some(20),
            connect_timeout_ms: 10_000,
            retry_after_final_codes: false,
        }
    }

    /// The seed article's client: 1 s doubling to 30 s, no jitter, reset as soon as a
    /// connection opens, no limit, no connect timeout of its own (a browser may sit in
    /// CONNECTING for minutes), no retry after 1000 only.
    pub fn seed_article() -> ReconnectPolicy {
        ReconnectPolicy {
            initial_delay_ms: 1_000,
            multiplier: 2.0,
            max_delay_ms: 30_000,
            jitter: Jitter::None,
            stable_after_ms: 0,
            max_attempts: None,
            connect_timeout_ms: u64::MAX,
            retry_after_final_codes: true,
        }
    }

    /// The backoff delay before jitter for retry number `attempt` (0 = first retry).
    pub fn ceiling_ms(&self, attempt: u32) -> u64 {
        let grown =
            self.initial_delay_ms as f64 * self.multiplier.max(1.0).powi(attempt.min(64) as i32);
        if grown.is_finite() {
            (grown as u64).min(self.max_delay_ms)
        } else {
            self.max_delay_ms
        }
    }

    /// The delay before retry number `attempt`, drawing jitter from `random`.
    pub fn delay_ms(&self, attempt: u32, random: &mut SeededRandom) -> u64 {
        let ceiling = self.ceiling_ms(attempt);
        match self.jitter {
            Jitter::None => ceiling,
            Jitter::Full => random.up_to(ceiling),
        }
    }

    /// Whether a close with `code` (`None`: no close event, e.g. a connect timeout) leads
    /// to an automatic retry, and if not, why.
    pub fn retry_after(&self, code: Option<u16>) -> Result<(), String> {
        let Some(code) = code else { return Ok(()) };
        if self.retry_after_final_codes {
            return if code == 1000 {
                Err("closed normally (1000)".into())
            } else {
                Ok(())
            };
        }
        let info = close_code::info(code);
        match info.reconnect {
            Reconnect::No => Err(format!(
                "{code} {} is final: reconnect by hand once the cause is fixed",
                info.name
            )),
            Reconnect::Yes | Reconnect::Later | Reconnect::Depends => Ok(()),
        }
    }

    /// Whether a connection open for `open_for` has been stable long enough to reset the
    /// attempt count.
    pub fn is_stable(&self, open_for: Millis) -> bool {
        open_for >= self.stable_after_ms as f64
    }

    /// The delays of the first `count` retries for `seed`: what the page previews.
    pub fn preview(&self, seed: u64, count: usize) -> Vec<u64> {
        let mut random = SeededRandom::new(seed);
        let limit = self
            .max_attempts
            .map_or(count, |max| count.min(max as usize));
        (0..limit as u32)
            .map(|attempt| self.delay_ms(attempt, &mut random))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap() {
        let policy = ReconnectPolicy::seed_article();
        assert_eq!(
            policy.preview(0, 7),
            [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]
        );
        assert_eq!(
            policy.ceiling_ms(u32::MAX),
            30_000,
            "no overflow at huge attempts"
        );
    }

    #[test]
    fn full_jitter_stays_under_the_ceiling_and_differs_by_seed() {
        let policy = ReconnectPolicy::recommended();
        let a = policy.preview(1, 10);
        let b = policy.preview(2, 10);
        assert_ne!(a, b);
        for (attempt, delay) in a.iter().enumerate() {
            assert!(*delay <= policy.ceiling_ms(attempt as u32));
        }
        assert_eq!(policy.preview(1, 10), a, "a seed gives the same preview");
    }

    #[test]
    fn the_preview_stops_at_the_maximum_attempts() {
        let mut policy = ReconnectPolicy::recommended();
        policy.max_attempts = Some(3);
        assert_eq!(policy.preview(5, 10).len(), 3);
    }

    #[test]
    fn final_codes_stop_automatic_retries_unless_the_policy_says_otherwise() {
        let ours = ReconnectPolicy::recommended();
        assert!(ours.retry_after(Some(1006)).is_ok());
        assert!(ours.retry_after(Some(1012)).is_ok());
        assert!(ours.retry_after(None).is_ok());
        let refusal = ours.retry_after(Some(1008)).unwrap_err();
        assert!(
            refusal.contains("1008 Policy Violation is final"),
            "{refusal}"
        );
        assert!(ours.retry_after(Some(1000)).is_err());
        let seed = ReconnectPolicy::seed_article();
        assert!(
            seed.retry_after(Some(1008)).is_ok(),
            "the seed policy retries a refused login forever"
        );
        assert!(seed.retry_after(Some(1000)).is_err());
    }

    /// 100 clients lose the server at the same moment (a restart). How many come back in
    /// the busiest 100 ms of their first retry?
    fn busiest_100ms(policy: &ReconnectPolicy) -> usize {
        let mut buckets = std::collections::HashMap::new();
        for client in 0..100u64 {
            let delay = policy.preview(client * 7919 + 1, 1)[0];
            *buckets.entry(delay / 100).or_insert(0usize) += 1;
        }
        buckets.into_values().max().unwrap_or(0)
    }

    #[test]
    fn ours_spreads_a_restart_where_the_seed_policy_returns_all_clients_at_once() {
        assert_eq!(busiest_100ms(&ReconnectPolicy::seed_article()), 100);
        assert!(busiest_100ms(&ReconnectPolicy::recommended()) <= 25);
    }

    #[test]
    fn only_a_stable_connection_resets_the_backoff() {
        let ours = ReconnectPolicy::recommended();
        assert!(
            !ours.is_stable(200.0),
            "a server that accepts and drops at once is not stable"
        );
        assert!(ours.is_stable(10_000.0));
        assert!(ReconnectPolicy::seed_article().is_stable(0.0));
    }
}
