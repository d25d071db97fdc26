//! Wall-clock helpers. Times are milliseconds since the Unix epoch (UTC) everywhere in Partage.

use std::time::{SystemTime, UNIX_EPOCH};

pub const DAY_MS: u64 = 86_400_000;

/// Current time in ms since the epoch; a clock before 1970 reads as 0 rather than failing.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// `YYYY-MM-DD` (UTC) for a time in ms, for messages such as "this ticket expired on 2026-12-01".
pub fn format_date(ms: u64) -> String {
    let (y, m, d) = civil_from_days((ms / DAY_MS) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A calendar day: days since 1970-01-01 (UTC).
pub type Day = i64;

/// Today's date (UTC).
pub fn today() -> Day {
    (now_ms() / DAY_MS) as Day
}

/// `YYYY-MM-DD` for a day number.
pub fn format_day(day: Day) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Parses `YYYY-MM-DD` into a day number; `None` if it is not a real date.
pub fn parse_day(text: &str) -> Option<Day> {
    let mut parts = text.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let day = days_from_civil(y, m, d);
    // Round-trip rejects 2026-02-30 and the like.
    (civil_from_days(day) == (y, m, d)).then_some(day)
}

/// (year, month, day) to days since the epoch (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since the epoch to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
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
        for bad in ["2026-02-30", "2026-13-01", "2026-1", "tomorrow", "", "2026-00-10"] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }
}
