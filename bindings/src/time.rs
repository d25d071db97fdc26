//! Days, durations, instants and counts at the FFI edge, in the types each language expects
//! (`uniffi.toml` maps them):
//!
//! | Rust | wire | Kotlin | Swift | Python |
//! | --- | --- | --- | --- | --- |
//! | [`Day`] | `YYYY-MM-DD` string | `java.time.LocalDate` | `Date` (start of that day, Gregorian, current time zone) | `datetime.date` |
//! | [`TimeSpan`] | `i64` milliseconds | `java.time.Duration` | `Duration` | `datetime.timedelta` |
//! | `SystemTime` (uniffi built-in) | seconds + nanos | `java.time.Instant` | `Date` | `datetime.datetime` |
//!
//! Integers are signed everywhere (`i32`/`i64`: Kotlin `Int`/`Long`, Swift `Int32`/`Int64`, usable
//! from Java); a negative value where a count or amount is expected is an `InvalidInput` error.

use crate::error::PartageError;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A calendar day. Crosses the FFI as `YYYY-MM-DD`; the core checks it (a bad one is an
/// `InvalidInput` error naming it).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Day(pub String);

uniffi::custom_newtype!(Day, String);

impl Day {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Day {
    fn from(text: &str) -> Self {
        Day(text.to_owned())
    }
}

impl From<String> for Day {
    fn from(text: String) -> Self {
        Day(text)
    }
}

/// A length of time. Crosses the FFI as signed milliseconds so that no language needs an
/// unsigned type; a negative one given to a call is an `InvalidInput` error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeSpan(pub i64);

uniffi::custom_newtype!(TimeSpan, i64);

impl TimeSpan {
    /// As a `Duration`, refusing a negative span (`what` names the argument in the message).
    pub(crate) fn to_duration(self, what: &str) -> Result<Duration, PartageError> {
        u64::try_from(self.0)
            .map(Duration::from_millis)
            .map_err(|_| PartageError::invalid(format!("{what} must not be negative (got {} ms)", self.0)))
    }
}

impl From<Duration> for TimeSpan {
    /// Whole milliseconds; one longer than 292 million years reads as the longest.
    fn from(d: Duration) -> Self {
        TimeSpan(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// An instant from milliseconds since the Unix epoch (the core's clock).
pub(crate) fn instant(epoch_ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(epoch_ms)
}

/// A count for the FFI (`i32`); a count beyond `i32::MAX` reads as `i32::MAX`.
pub(crate) fn count(value: usize) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// A `u32` count for the FFI (`i32`), saturating.
pub(crate) fn signed(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// A byte or event total for the FFI (`i64`), saturating.
pub(crate) fn total(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A number the caller gave, which must not be negative (`what` names it in the message).
pub(crate) fn non_negative<T: TryFrom<i64>>(value: i64, what: &str) -> Result<T, PartageError> {
    T::try_from(value).map_err(|_| {
        let why = if value < 0 { "must not be negative" } else { "is too large" };
        PartageError::invalid(format!("{what} {why}, not {value}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_refuse_negatives_and_saturate() {
        assert_eq!(TimeSpan(1500).to_duration("timeout"), Ok(Duration::from_millis(1500)));
        let negative = TimeSpan(-1).to_duration("timeout");
        assert_eq!(
            negative,
            Err(PartageError::InvalidInput("timeout must not be negative (got -1 ms)".into()))
        );
        assert_eq!(TimeSpan::from(Duration::from_secs(2)), TimeSpan(2000));
        assert_eq!(TimeSpan::from(Duration::MAX), TimeSpan(i64::MAX));
    }

    #[test]
    fn counts_and_numbers_stay_signed() {
        assert_eq!(count(usize::MAX), i32::MAX);
        assert_eq!(total(u64::MAX), i64::MAX);
        assert_eq!(non_negative::<u32>(7, "days"), Ok(7));
        let negative = non_negative::<u32>(-7, "days");
        assert_eq!(negative, Err(PartageError::InvalidInput("days must not be negative, not -7".into())));
        let huge = non_negative::<u32>(i64::MAX, "days");
        assert_eq!(huge, Err(PartageError::InvalidInput(format!("days is too large, not {}", i64::MAX))));
        assert_eq!(instant(1_500), UNIX_EPOCH + Duration::from_millis(1_500));
    }
}
