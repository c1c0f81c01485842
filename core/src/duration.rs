//! Durations as people read them in verdicts and cards: one format everywhere, rounded
//! (not truncated) to what a measurement on a real network can claim.

/// `ms` as seconds: whole seconds from 10 s up, tenths below, and no ".0" on a whole
/// second ("7 s", "6.5 s", "130 s").
pub fn seconds(ms: u64) -> String {
    if ms >= 9_950 {
        return format!("{} s", (ms + 500) / 1000);
    }
    let tenths = (ms + 50) / 100;
    if tenths.is_multiple_of(10) {
        format!("{} s", tenths / 10)
    } else {
        format!("{}.{} s", tenths / 10, tenths % 10)
    }
}

/// A measured timeout that lies between `low` and `high` ms, rounded to a whole
/// second when one lies in that span (give or take 50 ms), else as `seconds(low)`.
/// An idle timeout counted from the last traffic is a lower bound: a proxy may have
/// started its timer earlier (at the open), so "about 7 s" beats "about 6.9 s" when
/// the connection was cut 7.0 s after it opened.
pub fn seconds_between(low: u64, high: u64) -> String {
    let high = high.max(low);
    let whole = (low.saturating_sub(50)).div_ceil(1000) * 1000;
    if whole > 0 && whole <= high + 50 {
        seconds(whole)
    } else {
        seconds(low)
    }
}

/// A duration a person reads at a glance: `seconds` below two minutes, then minutes and
/// seconds ("6 min 12 s", "5 min").
pub fn minutes(ms: u64) -> String {
    if ms < 120_000 {
        return seconds(ms);
    }
    let total = (ms + 500) / 1000;
    match total % 60 {
        0 => format!("{} min", total / 60),
        rest => format!("{} min {rest} s", total / 60),
    }
}

/// A small lateness in milliseconds, a larger one as `seconds` ("3 ms", "1.2 s").
pub fn lateness(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        seconds(ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_durations_read_in_minutes_and_small_lateness_in_milliseconds() {
        assert_eq!(minutes(90_000), "90 s");
        assert_eq!(minutes(372_000), "6 min 12 s");
        assert_eq!(minutes(300_400), "5 min");
        assert_eq!(lateness(3), "3 ms");
        assert_eq!(lateness(59_000), "59 s");
    }

    #[test]
    fn durations_round_to_tenths_below_ten_seconds_and_drop_a_trailing_zero() {
        assert_eq!(seconds(0), "0 s");
        assert_eq!(seconds(6_949), "6.9 s");
        assert_eq!(seconds(6_950), "7 s");
        assert_eq!(seconds(6_000), "6 s");
        assert_eq!(seconds(2_540), "2.5 s");
        assert_eq!(seconds(9_960), "10 s");
        assert_eq!(seconds(60_400), "60 s");
        assert_eq!(seconds(130_000), "130 s");
    }

    #[test]
    fn a_timeout_between_its_last_traffic_and_its_open_is_named_by_the_whole_second() {
        assert_eq!(seconds_between(6_930, 7_000), "7 s");
        assert_eq!(seconds_between(2_990, 3_010), "3 s");
        assert_eq!(seconds_between(3_010, 3_040), "3 s");
        assert_eq!(seconds_between(6_400, 6_500), "6.4 s");
        assert_eq!(seconds_between(59_880, 59_950), "60 s");
        assert_eq!(seconds_between(45_300, 45_400), "45 s");
        assert_eq!(seconds_between(300, 320), "0.3 s");
    }
}
