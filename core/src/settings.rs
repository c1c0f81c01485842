//! The console's settings in the user's terms: the target, the subprotocols, how to
//! reconnect and whether to send a heartbeat. They are checked here (a clear message
//! for each bad value), turned into a `ReconnectPolicy` and a `Heartbeat` for the
//! supervisor, and saved with the page's state.
//!
//! The form shows durations in seconds; `parse_seconds` reads what the user typed.

use serde::{Deserialize, Serialize};

use crate::profile::{Mode, ProfileChoice};
use crate::reconnect_policy::ReconnectPolicy;
use crate::supervisor::Heartbeat;

/// The longest wait, timeout or heartbeat interval a user may choose: one hour.
pub const MAX_SECONDS: f64 = 3600.0;

/// What the user chose. Missing fields of an older saved copy take their defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsoleSettings {
    /// The target URL as typed (empty: the page's own companion endpoint).
    pub target: String,
    /// The subprotocols, comma-separated, as typed.
    pub subprotocols: String,
    /// Whether to reconnect automatically after a drop.
    pub auto_reconnect: bool,
    /// The wait before the first retry, before jitter.
    pub initial_delay_ms: u64,
    /// The longest wait between retries.
    pub max_delay_ms: u64,
    /// Give up when this many reconnections in a row failed, after the first attempt
    /// (`None`: never).
    pub max_attempts: Option<u32>,
    /// Give up on a connection still not open after this long.
    pub connect_timeout_ms: u64,
    /// The backoff resets only after a connection stayed open this long.
    pub stable_after_ms: u64,
    /// Send a heartbeat this often (0: no heartbeat).
    pub heartbeat_every_ms: u64,
    /// Count the connection as half-open when no message arrives this long after a
    /// heartbeat.
    pub heartbeat_deadline_ms: u64,
    /// The heartbeat's text; `{seq}` becomes its number.
    pub heartbeat_payload: String,
    /// Whether secrets in a target's query string are shown (masked by default).
    pub show_secrets: bool,
    /// The application protocol to speak: detected (the default) or chosen by hand.
    pub profile: ProfileChoice,
    /// Under a profile: behave like the real client, or stay silent.
    pub profile_mode: Mode,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        let policy = ReconnectPolicy::recommended();
        ConsoleSettings {
            target: String::new(),
            subprotocols: String::new(),
            auto_reconnect: true,
            initial_delay_ms: policy.initial_delay_ms,
            max_delay_ms: policy.max_delay_ms,
            max_attempts: policy.max_attempts,
            connect_timeout_ms: policy.connect_timeout_ms,
            stable_after_ms: policy.stable_after_ms,
            heartbeat_every_ms: 0,
            heartbeat_deadline_ms: 10_000,
            heartbeat_payload: "ping {seq}".into(),
            show_secrets: false,
            profile: ProfileChoice::Detect,
            profile_mode: Mode::LikeTheClient,
        }
    }
}

impl ConsoleSettings {
    /// Checks the values together; the message says which one is wrong and why.
    pub fn check(&self) -> Result<(), String> {
        if self.initial_delay_ms == 0 {
            return Err("the first wait must be longer than 0 s".into());
        }
        if self.initial_delay_ms > self.max_delay_ms {
            return Err(format!(
                "the first wait ({}) is longer than the longest wait ({})",
                seconds(self.initial_delay_ms),
                seconds(self.max_delay_ms)
            ));
        }
        if self.connect_timeout_ms < 1000 {
            return Err("the connect timeout must be at least 1 s".into());
        }
        if self.max_attempts == Some(0) {
            return Err(
                "at most 0 attempts would never reconnect: turn auto-reconnect off instead".into(),
            );
        }
        if self.heartbeat_every_ms > 0 {
            if self.heartbeat_every_ms < 1000 {
                return Err("a heartbeat more often than once a second floods the server".into());
            }
            if self.heartbeat_deadline_ms == 0 {
                return Err("the heartbeat's answer deadline must be longer than 0 s".into());
            }
            if self.heartbeat_payload.trim().is_empty() {
                return Err("the heartbeat message is empty".into());
            }
        }
        Ok(())
    }

    /// The reconnect policy these settings describe (auto-reconnect off: no retries).
    pub fn policy(&self) -> ReconnectPolicy {
        let mut policy = ReconnectPolicy::recommended();
        policy.initial_delay_ms = self.initial_delay_ms;
        policy.max_delay_ms = self.max_delay_ms.max(self.initial_delay_ms);
        policy.max_attempts = if self.auto_reconnect {
            self.max_attempts
        } else {
            Some(0)
        };
        policy.connect_timeout_ms = self.connect_timeout_ms;
        policy.stable_after_ms = self.stable_after_ms;
        policy
    }

    /// The heartbeat these settings describe, if any.
    pub fn heartbeat(&self) -> Option<Heartbeat> {
        (self.heartbeat_every_ms > 0).then(|| Heartbeat {
            every_ms: self.heartbeat_every_ms,
            deadline_ms: self.heartbeat_deadline_ms,
            payload: self.heartbeat_payload.clone(),
        })
    }
}

/// Reads a duration typed in seconds ("2", "0.5", "2,5") into ms. `what` names the
/// field in the message; an empty field is refused.
pub fn parse_seconds(what: &str, typed: &str) -> Result<u64, String> {
    let text = typed.trim().replace(',', ".");
    if text.is_empty() {
        return Err(format!("{what}: enter a number of seconds"));
    }
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{what}: \"{}\" is not a number of seconds", typed.trim()))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("{what}: must be 0 s or more"));
    }
    if value > MAX_SECONDS {
        return Err(format!("{what}: at most {MAX_SECONDS} s (one hour)"));
    }
    Ok((value * 1000.0).round() as u64)
}

/// Reads the maximum number of attempts: empty means "never give up".
pub fn parse_max_attempts(typed: &str) -> Result<Option<u32>, String> {
    let text = typed.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(format!(
            "maximum attempts: \"{text}\" is not a whole number of 1 or more (leave it empty for no limit)"
        )),
    }
}

/// A duration in ms as the form shows it, in seconds ("1", "0.5").
pub fn seconds(ms: u64) -> String {
    let s = ms as f64 / 1000.0;
    if ms.is_multiple_of(1000) {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

/// A duration in ms as a form field's value, in seconds without the unit.
pub fn seconds_field(ms: u64) -> String {
    seconds(ms).trim_end_matches(" s").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_recommended_policy_and_no_heartbeat() {
        let settings = ConsoleSettings::default();
        assert_eq!(settings.check(), Ok(()));
        assert_eq!(settings.policy(), ReconnectPolicy::recommended());
        assert_eq!(settings.heartbeat(), None);
    }

    #[test]
    fn auto_reconnect_off_means_no_attempts() {
        let settings = ConsoleSettings {
            auto_reconnect: false,
            ..ConsoleSettings::default()
        };
        assert_eq!(settings.policy().max_attempts, Some(0));
    }

    #[test]
    fn the_knobs_reach_the_policy_and_the_heartbeat() {
        let settings = ConsoleSettings {
            initial_delay_ms: 500,
            max_delay_ms: 8_000,
            max_attempts: None,
            connect_timeout_ms: 3_000,
            stable_after_ms: 0,
            heartbeat_every_ms: 25_000,
            heartbeat_deadline_ms: 5_000,
            heartbeat_payload: "hb {seq}".into(),
            ..ConsoleSettings::default()
        };
        assert_eq!(settings.check(), Ok(()));
        let policy = settings.policy();
        assert_eq!(policy.preview(1, 100).len(), 100, "no limit on attempts");
        assert_eq!(policy.ceiling_ms(0), 500);
        assert_eq!(policy.ceiling_ms(10), 8_000);
        assert_eq!(policy.connect_timeout_ms, 3_000);
        assert_eq!(
            settings.heartbeat(),
            Some(Heartbeat {
                every_ms: 25_000,
                deadline_ms: 5_000,
                payload: "hb {seq}".into()
            })
        );
    }

    #[test]
    fn inconsistent_settings_are_refused_with_the_reason() {
        let cases = [
            (
                ConsoleSettings {
                    initial_delay_ms: 60_000,
                    ..ConsoleSettings::default()
                },
                "the first wait (60 s) is longer than the longest wait (30 s)",
            ),
            (
                ConsoleSettings {
                    initial_delay_ms: 0,
                    ..ConsoleSettings::default()
                },
                "longer than 0 s",
            ),
            (
                ConsoleSettings {
                    connect_timeout_ms: 10,
                    ..ConsoleSettings::default()
                },
                "at least 1 s",
            ),
            (
                ConsoleSettings {
                    max_attempts: Some(0),
                    ..ConsoleSettings::default()
                },
                "turn auto-reconnect off",
            ),
            (
                ConsoleSettings {
                    heartbeat_every_ms: 100,
                    ..ConsoleSettings::default()
                },
                "floods the server",
            ),
            (
                ConsoleSettings {
                    heartbeat_every_ms: 5_000,
                    heartbeat_payload: "  ".into(),
                    ..ConsoleSettings::default()
                },
                "heartbeat message is empty",
            ),
        ];
        for (settings, wanted) in cases {
            let err = settings.check().unwrap_err();
            assert!(err.contains(wanted), "{err} should contain {wanted}");
        }
    }

    #[test]
    fn seconds_are_read_with_a_dot_or_a_comma_and_bad_input_is_named() {
        assert_eq!(parse_seconds("wait", "2"), Ok(2_000));
        assert_eq!(parse_seconds("wait", " 0.5 "), Ok(500));
        assert_eq!(parse_seconds("wait", "2,5"), Ok(2_500));
        assert_eq!(parse_seconds("wait", "0"), Ok(0));
        assert_eq!(
            parse_seconds("first wait", "soon"),
            Err("first wait: \"soon\" is not a number of seconds".into())
        );
        assert!(parse_seconds("wait", "").unwrap_err().contains("enter"));
        assert!(
            parse_seconds("wait", "-1")
                .unwrap_err()
                .contains("0 s or more")
        );
        assert!(
            parse_seconds("wait", "NaN")
                .unwrap_err()
                .contains("0 s or more")
        );
        assert!(
            parse_seconds("wait", "3601")
                .unwrap_err()
                .contains("one hour")
        );
    }

    #[test]
    fn an_empty_maximum_means_no_limit() {
        assert_eq!(parse_max_attempts(""), Ok(None));
        assert_eq!(parse_max_attempts("5"), Ok(Some(5)));
        assert!(parse_max_attempts("0").is_err());
        assert!(parse_max_attempts("many").unwrap_err().contains("\"many\""));
    }

    #[test]
    fn durations_show_in_seconds() {
        assert_eq!(seconds(30_000), "30 s");
        assert_eq!(seconds(1_500), "1.5 s");
        assert_eq!(seconds_field(250), "0.25");
        assert_eq!(seconds_field(10_000), "10");
    }

    #[test]
    fn an_older_saved_copy_without_new_fields_gets_their_defaults() {
        let old = r#"{"target":"wss://example.test/ws","auto_reconnect":false}"#;
        let settings: ConsoleSettings = serde_json::from_str(old).unwrap();
        assert_eq!(settings.target, "wss://example.test/ws");
        assert!(!settings.auto_reconnect);
        assert_eq!(settings.max_delay_ms, 30_000);
    }
}
