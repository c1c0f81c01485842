//! Wall-clock times in reports, as UTC timestamps (`2026-11-26T14:05:00Z`). The caller
//! passes the time in (core never reads a clock).

/// `wall_ms` (milliseconds since 1970-01-01 UTC) as `YYYY-MM-DDTHH:MM:SSZ`; times before
/// 1970 or beyond year 9999 are clamped to those ends.
pub fn utc_timestamp(wall_ms: f64) -> String {
    const MAX_SECONDS: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    let seconds = if wall_ms.is_finite() {
        ((wall_ms / 1000.0).floor() as i64).clamp(0, MAX_SECONDS)
    } else {
        0
    };
    let (days, in_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_date(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    )
}

/// The Gregorian date `days` after 1970-01-01 (the proleptic calendar in eras of 400
/// years, each 146,097 days long).
fn civil_date(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468; // days since 0000-03-01
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants_are_written_as_utc() {
        assert_eq!(utc_timestamp(0.0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(951_782_400_000.0), "2000-02-29T00:00:00Z");
        assert_eq!(utc_timestamp(1_795_704_300_999.0), "2026-11-26T14:45:00Z");
        assert_eq!(utc_timestamp(1_704_067_199_000.0), "2023-12-31T23:59:59Z");
    }

    #[test]
    fn nonsense_times_are_clamped_not_panicked_on() {
        assert_eq!(utc_timestamp(-5.0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(f64::NAN), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(f64::MAX), "9999-12-31T23:59:59Z");
    }
}
