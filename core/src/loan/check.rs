//! Range checks on loan records written by peers.
//!
//! A loan record in another member's document was signed by that member, but nothing forces
//! its values to be sane: a hostile member can write any day, any text, any number of
//! extension entries. Every record is checked here when it is read (from a document, or from
//! the store at startup) and refused as a whole if any value is outside what an honest device
//! could have written through the API. The checks depend only on the record itself, never on
//! the local clock or on other documents, so every replica refuses exactly the same records
//! (convergence holds).
//!
//! Bounds (all also hold for honest writes, see `node/loans.rs`):
//! - days (`from`, `until`, extension days): `MIN_DAY..=MAX_DAY`, the range `parse_day`
//!   accepts (1970-01-01 to 9999-12-31), `from <= until`, and a span of at most
//!   [`MAX_LOAN_DAYS`] days (the longest any item can be lent for) including extensions;
//!   an extension's last day must be after the requested last day;
//! - texts (`message`, `answer_message`, `withdraw_reason`, `condition_note`): at most
//!   [`MAX_MESSAGE_CHARS`] characters, as on write;
//! - extension requests and extension answers: at most [`MAX_EXTENSIONS`] per loan, numbered
//!   `1..=MAX_EXTENSIONS`;
//! - timestamps: at most [`MAX_TIME_MS`] (the end of 9999-12-31).

use super::{BorrowerSide, LenderSide, MAX_MESSAGE_CHARS};
use crate::clock::{Day, MAX_DAY, MAX_TIME_MS, MIN_DAY, describe_day, format_date, format_day};
use crate::ids::{LoanId, MemberId};
use crate::model::MAX_LOAN_DAYS;

/// Most extension requests (and answers) one loan can hold.
pub const MAX_EXTENSIONS: usize = 64;
/// Most refusal reasons reported for one document read; the rest are counted in a last line.
pub const MAX_REFUSED_REASONS: usize = 100;

/// Why the borrower's record `b` cannot be a loan, if it cannot.
pub fn check_borrower(b: &BorrowerSide) -> Result<(), String> {
    check_day("first day", b.from)?;
    check_day("last day", b.until)?;
    if b.from > b.until {
        return Err(format!("it ends ({}) before it starts ({})", format_day(b.until), format_day(b.from)));
    }
    check_span("it lasts", b.from, b.until)?;
    if b.lender == b.borrower {
        return Err("the borrower names themself as the lender".into());
    }
    check_text("message", &b.message)?;
    check_time("requested_at", Some(b.requested_at))?;
    check_time("cancelled_at", b.cancelled_at)?;
    check_time("received_at", b.received_at)?;
    check_time("returned_at", b.returned_at)?;
    check_count("extension requests", b.extensions.len())?;
    for &(seq, until) in &b.extensions {
        check_seq("extension request", seq)?;
        let what = format!("last day of extension request {seq}");
        check_day(&what, until)?;
        if until <= b.until {
            return Err(format!(
                "{what} ({}) is not after the loan's last day ({})",
                format_day(until),
                format_day(b.until)
            ));
        }
        check_span(&format!("extension request {seq} makes it last"), b.from, until)?;
    }
    Ok(())
}

/// Why the lender's record `l` cannot be a loan's lender side, if it cannot.
pub fn check_lender(l: &LenderSide) -> Result<(), String> {
    for (field, time) in [
        ("accepted_at", l.accepted_at),
        ("declined_at", l.declined_at),
        ("withdrawn_at", l.withdrawn_at),
        ("handed_over_at", l.handed_over_at),
        ("return_confirmed_at", l.return_confirmed_at),
        ("disputed_at", l.disputed_at),
    ] {
        check_time(field, time)?;
    }
    check_text("answer message", &l.answer_message)?;
    check_text("withdraw reason", &l.withdraw_reason)?;
    check_text("condition note", &l.condition_note)?;
    check_count("extension answers", l.extension_answers.len())?;
    for &(seq, _) in &l.extension_answers {
        check_seq("extension answer", seq)?;
    }
    Ok(())
}

/// Fails if a map of `what` holds more than [`MAX_EXTENSIONS`] entries.
pub(crate) fn check_count(what: &str, count: usize) -> Result<(), String> {
    if count > MAX_EXTENSIONS {
        return Err(format!("it has {count} {what}, more than {MAX_EXTENSIONS}"));
    }
    Ok(())
}

fn check_seq(what: &str, seq: u32) -> Result<(), String> {
    if usize::try_from(seq).is_ok_and(|s| (1..=MAX_EXTENSIONS).contains(&s)) {
        Ok(())
    } else {
        Err(format!("{what} number {seq} is out of range (1 to {MAX_EXTENSIONS})"))
    }
}

fn check_day(what: &str, day: Day) -> Result<(), String> {
    if (MIN_DAY..=MAX_DAY).contains(&day) {
        Ok(())
    } else {
        Err(format!(
            "{what} is out of range: {} (allowed: {} to {})",
            describe_day(day),
            format_day(MIN_DAY),
            format_day(MAX_DAY)
        ))
    }
}

/// `from` and `until` are already in range, so the subtraction cannot overflow.
fn check_span(what: &str, from: Day, until: Day) -> Result<(), String> {
    let days = until.saturating_sub(from).saturating_add(1);
    if days > i64::from(MAX_LOAN_DAYS) {
        return Err(format!("{what} {days} days, more than the {MAX_LOAN_DAYS} any item can be lent for"));
    }
    Ok(())
}

fn check_text(what: &str, text: &str) -> Result<(), String> {
    // Cheap bound first: a string of N bytes has at most N characters.
    if text.len() <= MAX_MESSAGE_CHARS {
        return Ok(());
    }
    let len = text.chars().count();
    if len > MAX_MESSAGE_CHARS {
        return Err(format!("{what} is too long ({len} characters, at most {MAX_MESSAGE_CHARS})"));
    }
    Ok(())
}

fn check_time(field: &str, time: Option<u64>) -> Result<(), String> {
    match time {
        Some(t) if t > MAX_TIME_MS => {
            Err(format!("{field} time {t} is out of range (after {})", format_date(MAX_TIME_MS)))
        }
        _ => Ok(()),
    }
}

/// The reasons records of one document were refused, at most [`MAX_REFUSED_REASONS`] of them.
#[derive(Default)]
pub(crate) struct Refusals {
    reasons: Vec<String>,
    more: usize,
}

impl Refusals {
    /// Records that the record under `key` (a loan id, or `<loan id>.<borrower id>` for a
    /// lender's record) in `owner`'s document was refused because of `problem`.
    pub(crate) fn refuse(&mut self, key: &str, owner: &MemberId, side: &str, problem: &str) {
        if self.reasons.len() >= MAX_REFUSED_REASONS {
            self.more = self.more.saturating_add(1);
            return;
        }
        let loan = key.split('.').next().unwrap_or_default();
        let loan = match loan.parse::<LoanId>() {
            Ok(id) => id.short(),
            Err(_) => {
                let mut shown: String = key.chars().take(20).collect();
                if shown.len() < key.len() {
                    shown.push('…');
                }
                format!("{shown:?}")
            }
        };
        self.reasons.push(format!("loan {loan} from member {} ({side}'s record): {problem}", owner.short()));
    }

    pub(crate) fn into_reasons(mut self) -> Vec<String> {
        if self.more > 0 {
            self.reasons.push(format!("… and {} more loan records refused", self.more));
        }
        self.reasons
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::parse_day;
    use crate::ids::{ItemId, NeighbourhoodId};

    fn valid() -> BorrowerSide {
        let from = parse_day("2026-12-01").unwrap();
        BorrowerSide {
            id: LoanId([1; 16]),
            id_nonce: [0; 16],
            neighbourhood: NeighbourhoodId([0; 32]),
            borrower: MemberId([1; 32]),
            lender: MemberId([2; 32]),
            item: ItemId([3; 16]),
            from,
            until: from + 6,
            message: "Merci".into(),
            requested_at: 1_796_083_200_000,
            cancelled_at: None,
            received_at: None,
            returned_at: None,
            extensions: vec![(1, from + 10)],
        }
    }

    fn refused(change: impl FnOnce(&mut BorrowerSide)) -> String {
        let mut b = valid();
        change(&mut b);
        check_borrower(&b).unwrap_err()
    }

    #[test]
    fn honest_records_pass() {
        check_borrower(&valid()).unwrap();
        let mut b = valid();
        b.from = MIN_DAY;
        b.until = MIN_DAY + i64::from(MAX_LOAN_DAYS) - 1;
        b.extensions.clear();
        check_borrower(&b).unwrap();
        b.from = MAX_DAY;
        b.until = MAX_DAY;
        check_borrower(&b).unwrap();
        b.message = "é".repeat(MAX_MESSAGE_CHARS);
        check_borrower(&b).unwrap();
        check_lender(&LenderSide {
            accepted_at: Some(MAX_TIME_MS),
            extension_answers: (1..=64).map(|s| (s, true)).collect(),
            ..LenderSide::default()
        })
        .unwrap();
    }

    #[test]
    fn every_bad_value_is_refused_with_its_reason() {
        assert!(
            refused(|b| b.until = i64::MAX)
                .contains("last day is out of range: day number 9223372036854775807")
        );
        assert!(
            refused(|b| b.from = i64::MIN)
                .contains("first day is out of range: day number -9223372036854775808")
        );
        assert!(refused(|b| b.until = MAX_DAY + 1).contains("last day is out of range: 10000-01-01"));
        assert!(refused(|b| b.from = -1).contains("first day is out of range: 1969-12-31"));
        assert!(refused(|b| b.from = b.until + 1).contains("before it starts"));
        assert!(refused(|b| b.until = b.from + 365).contains("it lasts 366 days, more than the 365"));
        assert!(refused(|b| b.lender = b.borrower).contains("names themself as the lender"));
        assert!(refused(|b| b.message = "x".repeat(1_001)).contains("message is too long (1001 characters"));
        assert!(
            refused(|b| b.requested_at = u64::MAX).contains("requested_at time 18446744073709551615 is out")
        );
        assert!(refused(|b| b.returned_at = Some(MAX_TIME_MS + 1)).contains("returned_at time"));
        assert!(
            refused(|b| b.extensions = (1..=65).map(|s| (s, b.until + 1)).collect())
                .contains("it has 65 extension requests, more than 64")
        );
        assert!(refused(|b| b.extensions = vec![(0, b.until + 1)]).contains("extension request number 0"));
        assert!(refused(|b| b.extensions = vec![(u32::MAX, b.until + 1)]).contains("number 4294967295"));
        assert!(
            refused(|b| b.extensions = vec![(1, i64::MAX)])
                .contains("last day of extension request 1 is out of range")
        );
        assert!(refused(|b| b.extensions = vec![(1, b.until)]).contains("is not after the loan's last day"));
        assert!(
            refused(|b| b.extensions = vec![(2, b.from + 365)])
                .contains("extension request 2 makes it last 366")
        );

        let lender = |change: fn(&mut LenderSide)| {
            let mut l = LenderSide::default();
            change(&mut l);
            check_lender(&l).unwrap_err()
        };
        assert!(lender(|l| l.disputed_at = Some(u64::MAX)).contains("disputed_at time"));
        assert!(
            lender(|l| l.condition_note = "y".repeat(5_000)).contains("condition note is too long (5000")
        );
        assert!(
            lender(|l| l.extension_answers = (1..=100).map(|s| (s, true)).collect())
                .contains("it has 100 extension answers, more than 64")
        );
        assert!(lender(|l| l.extension_answers = vec![(65, false)]).contains("extension answer number 65"));
    }

    #[test]
    fn reasons_are_bounded_and_name_the_loan() {
        let mut r = Refusals::default();
        let owner = MemberId([0x9f; 32]);
        r.refuse(&LoanId([0x1a; 16]).to_hex(), &owner, "borrower", "it is bad");
        r.refuse(&"z".repeat(100_000), &owner, "lender", "bad key");
        for _ in 0..500 {
            r.refuse("k", &owner, "borrower", "again");
        }
        let reasons = r.into_reasons();
        assert_eq!(reasons.len(), MAX_REFUSED_REASONS + 1);
        assert_eq!(reasons[0], "loan 1a1a1a1a from member 9f9f9f9f (borrower's record): it is bad");
        assert!(reasons[1].len() < 200, "{}", reasons[1]);
        assert_eq!(reasons[MAX_REFUSED_REASONS], "… and 402 more loan records refused");
    }
}
