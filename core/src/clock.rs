//! Wall-clock helpers. Times are milliseconds since the Unix epoch (UTC) everywhere in Partage.
//!
//! Every function here is total: no input (including `i64::MIN`, `i64::MAX` and `u64::MAX`)
//! overflows or panics. Days outside the range [`parse_day`] accepts (years 1970 to 9999) are
//! displayed as "invalid date".

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds in a day.
pub const DAY_MS: u64 = 86_400_000;

/// A calendar day: days since 1970-01-01 (UTC).
pub type Day = i64;

/// The first day [`parse_day`] accepts: 1970-01-01.
pub const MIN_DAY: Day = 0;
/// The last day [`parse_day`] accepts: 9999-12-31.
pub const MAX_DAY: Day = 2_932_896;
/// The last millisecond of [`MAX_DAY`]: no real time is later.
pub const MAX_TIME_MS: u64 = (MAX_DAY as u64 + 1) * DAY_MS - 1;

/// Shown in place of a day outside `MIN_DAY..=MAX_DAY`.
pub const INVALID_DATE: &str = "invalid date";

/// Current time in ms since the epoch; a clock before 1970 reads as 0 rather than failing.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The day a time in ms falls on.
pub fn day_of(ms: u64) -> Day {
    // u64::MAX / DAY_MS is far below i64::MAX, so this never saturates in practice.
    Day::try_from(ms / DAY_MS).unwrap_or(Day::MAX)
}

/// `ms` moved by `days` whole days, saturating at 0 and `u64::MAX`.
pub fn shift_days(ms: u64, days: i64) -> u64 {
    const DAY_MS_I64: i64 = DAY_MS as i64;
    ms.saturating_add_signed(days.saturating_mul(DAY_MS_I64))
}

/// `YYYY-MM-DD` (UTC) for a time in ms, for messages such as "this ticket expired on 2026-12-01";
/// "invalid date" after the year 9999.
pub fn format_date(ms: u64) -> String {
    format_day(day_of(ms))
}

/// Today's date (UTC).
pub fn today() -> Day {
    day_of(now_ms())
}

/// `YYYY-MM-DD` for a day number; "invalid date" outside `MIN_DAY..=MAX_DAY`.
pub fn format_day(day: Day) -> String {
    match civil_from_days(day) {
        Some((y, m, d)) if (MIN_DAY..=MAX_DAY).contains(&day) => format!("{y:04}-{m:02}-{d:02}"),
        _ => INVALID_DATE.to_owned(),
    }
}

/// A day for an error message: `YYYY-MM-DD` even outside the accepted range while the year has
/// at most 6 digits (e.g. "99999-01-01", "1969-12-31"), else "day number N".
pub fn describe_day(day: Day) -> String {
    match civil_from_days(day) {
        Some((y, m, d)) if (-999_999..=999_999).contains(&y) => format!("{y:04}-{m:02}-{d:02}"),
        _ => format!("day number {day}"),
    }
}

/// Parses `YYYY-MM-DD` into a day number; `None` if it is not a real date.
pub fn parse_day(text: &str) -> Option<Day> {
    let mut parts = text.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let day = days_from_civil(y, m, d)?;
    // Round-trip rejects 2026-02-30 and the like.
    (civil_from_days(day) == Some((y, m, d))).then_some(day)
}

/// (year, month, day) to days since the epoch (H. Hinnant's algorithm); `None` on overflow.
fn days_from_civil(y: i64, m: u32, d: u32) -> Option<i64> {
    let y = if m <= 2 { y.checked_sub(1)? } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(m.checked_add(9)? % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era.checked_mul(146_097)?.checked_add(doe)?.checked_sub(719_468)
}

/// Days since the epoch to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm);
/// `None` when the year does not fit.
fn civil_from_days(z: i64) -> Option<(i64, u32, u32)> {
    let z = z.checked_add(719_468)?;
    let era = z.div_euclid(146_097);
    // 0..146_097: every step below stays small.
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = era.checked_mul(400)?.checked_add(yoe)?;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).ok()?;
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).ok()?;
    let y = if m <= 2 { y.checked_add(1)? } else { y };
    Some((y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_dates() {
        assert_eq!(format_date(0), "1970-01-01");
        // 2026-12-01T00:00:00Z
        assert_eq!(format_date(1_796_083_200_000), "2026-12-01");
        assert_eq!(format_date(951_782_400_000), "2000-02-29");
    }

    #[test]
    fn days_round_trip_and_reject_impossible_dates() {
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(parse_day("2026-12-01").map(format_day).as_deref(), Some("2026-12-01"));
        assert_eq!(parse_day("2024-02-29").map(format_day).as_deref(), Some("2024-02-29"));
        for bad in ["2026-02-30", "2026-13-01", "2026-1", "tomorrow", "", "2026-00-10", "2026-01-4294967295"]
        {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn range_constants_match_parse_day() {
        assert_eq!(parse_day("1970-01-01"), Some(MIN_DAY));
        assert_eq!(parse_day("9999-12-31"), Some(MAX_DAY));
        assert_eq!(parse_day("1969-12-31"), None);
        assert_eq!(parse_day("10000-01-01"), None);
        assert_eq!(format_date(MAX_TIME_MS), "9999-12-31");
        assert_eq!(format_date(MAX_TIME_MS + 1), INVALID_DATE);
    }

    #[test]
    fn extreme_days_never_panic_and_show_as_invalid() {
        for day in [i64::MIN, i64::MIN + 1, -719_469, -1, MAX_DAY + 1, i64::MAX - 719_468, i64::MAX] {
            assert_eq!(format_day(day), INVALID_DATE, "{day}");
            assert!(!describe_day(day).is_empty());
        }
        assert_eq!(describe_day(i64::MAX), format!("day number {}", i64::MAX));
        assert_eq!(describe_day(i64::MIN), format!("day number {}", i64::MIN));
        assert_eq!(describe_day(-1), "1969-12-31");
        assert_eq!(describe_day(parse_day("9999-12-31").unwrap() + 1), "10000-01-01");
        assert_eq!(describe_day(36_160_000), "100972-09-19");
        assert_eq!(describe_day(400_000_000), "day number 400000000");
        assert_eq!(format_day(MAX_DAY), "9999-12-31");
        assert_eq!(format_day(MIN_DAY), "1970-01-01");
    }

    #[test]
    fn extreme_times_never_panic() {
        assert_eq!(format_date(u64::MAX), INVALID_DATE);
        assert_eq!(day_of(u64::MAX), i64::try_from(u64::MAX / DAY_MS).unwrap());
        assert_eq!(day_of(0), 0);
        assert_eq!(shift_days(u64::MAX, i64::MAX), u64::MAX);
        assert_eq!(shift_days(0, i64::MIN), 0);
        assert_eq!(shift_days(5, 1), 5 + DAY_MS);
        assert_eq!(shift_days(DAY_MS, -1), 0);
        for ms in [0, 1, DAY_MS - 1, MAX_TIME_MS, u64::MAX - 1, u64::MAX] {
            let _ = format_date(ms);
        }
    }

    #[test]
    fn parse_day_is_total_on_huge_numbers() {
        for text in ["9223372036854775807-01-01", "-9223372036854775808-01-01", "99999999999999999999-1-1"] {
            assert_eq!(parse_day(text), None, "{text}");
        }
    }
}
