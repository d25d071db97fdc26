//! The pure derivation: (borrower sides, lender sides, today) → loan states.
//!
//! Rules, applied to the *facts* present on each side (never to arrival order):
//! - no lender answer: `requested`, or `cancelled` if the borrower cancelled;
//! - declined without an acceptance: `declined` (if two lender devices answered differently,
//!   the acceptance wins);
//! - accepted: a borrower cancel before handover gives `cancelled`; a lender withdrawal before
//!   handover gives `withdrawn`; a handover followed by a cancel counts as handed over only if
//!   the borrower confirmed receipt (physical facts win over intentions);
//! - handed over: `closed` once the lender confirms the return, else `returned` once the
//!   borrower marks it, else `overdue` after the last day, else `handed_over`;
//! - facts that are not allowed from the state reached (a return before any handover, a
//!   handover without acceptance) are ignored.
//!
//! Then per item: loans that book the item are ranked (handed over first, then by acceptance
//! time, then id); a loan overlapping a better-ranked booking is flagged `conflict` and does not
//! hold the booking. A request overlapping a held booking is `waitlisted`.

use super::{BorrowerSide, LenderSide, LoanState};
use crate::clock::{Day, day_of};
use crate::ids::LoanId;

/// The state and booking facts of one loan, before names and titles are attached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Derived {
    /// The loan's state.
    pub state: LoanState,
    /// The last day, accepted extensions included.
    pub until: Day,
    /// The last day asked for by an unanswered extension request (none once the loan is final).
    pub pending_extension: Option<Day>,
    /// Accepted concurrently with an overlapping better-ranked loan: it does not hold the booking.
    pub conflict: bool,
    /// A request overlapping a held booking.
    pub waitlisted: bool,
    /// The borrower confirmed receiving the item after the lender handed it over.
    pub receipt_confirmed: bool,
    /// The lender reported the item as not returned after its last day, and it is overdue or
    /// marked returned only by the borrower.
    pub disputed: bool,
}

/// The last day after applying extensions the lender accepted.
pub fn effective_until(b: &BorrowerSide, l: Option<&LenderSide>) -> Day {
    let accepted = |seq: u32| l.is_some_and(|l| l.extension_answers.iter().any(|&(s, ok)| s == seq && ok));
    b.extensions.iter().filter(|(seq, _)| accepted(*seq)).map(|&(_, until)| until).fold(b.until, Day::max)
}

/// The latest extension request not answered yet.
pub fn pending_extension(b: &BorrowerSide, l: Option<&LenderSide>) -> Option<(u32, Day)> {
    let answered = |seq: u32| l.is_some_and(|l| l.extension_answers.iter().any(|&(s, _)| s == seq));
    b.extensions.iter().copied().filter(|&(seq, _)| !answered(seq)).max_by_key(|&(seq, _)| seq)
}

/// The state of one loan from its facts alone.
pub fn base_state(b: &BorrowerSide, l: Option<&LenderSide>, today: Day) -> LoanState {
    let empty = LenderSide::default();
    let l = l.unwrap_or(&empty);
    if l.accepted_at.is_none() {
        return if b.cancelled_at.is_some() {
            LoanState::Cancelled
        } else if l.declined_at.is_some() {
            LoanState::Declined
        } else {
            LoanState::Requested
        };
    }
    let handed_over = l.handed_over_at.is_some() && (b.cancelled_at.is_none() || b.received_at.is_some());
    if !handed_over {
        return if b.cancelled_at.is_some() {
            LoanState::Cancelled
        } else if l.withdrawn_at.is_some() {
            LoanState::Withdrawn
        } else {
            LoanState::Accepted
        };
    }
    if l.return_confirmed_at.is_some() {
        LoanState::Closed
    } else if b.returned_at.is_some() {
        LoanState::Returned
    } else if today > effective_until(b, Some(l)) {
        LoanState::Overdue
    } else {
        LoanState::HandedOver
    }
}

fn overlaps(a: (Day, Day), b: (Day, Day)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

/// Derives every loan of one item. `loans[i]` is (borrower side, lender side if any).
pub fn derive_item(loans: &[(&BorrowerSide, Option<&LenderSide>)], today: Day) -> Vec<Derived> {
    let mut out: Vec<Derived> = loans
        .iter()
        .map(|&(b, l)| {
            let state = base_state(b, l, today);
            Derived {
                state,
                until: effective_until(b, l),
                pending_extension: if state.is_final() {
                    None
                } else {
                    pending_extension(b, l).map(|(_, d)| d)
                },
                conflict: false,
                waitlisted: false,
                receipt_confirmed: b.received_at.is_some() && l.is_some_and(|l| l.handed_over_at.is_some()),
                disputed: l.is_some_and(|l| l.disputed_at.is_some())
                    && matches!(state, LoanState::Overdue | LoanState::Returned)
                    && l.is_some_and(|l| day_of(l.disputed_at.unwrap_or(0)) > effective_until(b, Some(l))),
            }
        })
        .collect();

    // Rank the loans that want the item; better-ranked ones keep their booking. The index comes
    // last in the key, so equal ranks keep their input order (as a stable sort would).
    let mut booking: Vec<(bool, u64, LoanId, usize)> = loans
        .iter()
        .zip(&out)
        .enumerate()
        .filter(|(_, (_, d))| d.state.books_item())
        .map(|(i, ((b, l), d))| {
            let out_already = !matches!(d.state, LoanState::HandedOver | LoanState::Overdue);
            (out_already, l.and_then(|l| l.accepted_at).unwrap_or(u64::MAX), b.id, i)
        })
        .collect();
    booking.sort_unstable();
    let mut held: Vec<(Day, Day)> = Vec::new();
    for (.., i) in booking {
        let (Some((b, _)), Some(d)) = (loans.get(i), out.get_mut(i)) else { continue };
        let period = (b.from, d.until);
        if held.iter().any(|&h| overlaps(h, period)) {
            d.conflict = true;
        } else {
            held.push(period);
        }
    }
    for ((b, _), d) in loans.iter().zip(out.iter_mut()) {
        if d.state == LoanState::Requested {
            d.waitlisted = held.iter().any(|&h| overlaps(h, (b.from, b.until)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ItemId, MemberId, NeighbourhoodId};

    fn borrower(id: u8, from: Day, until: Day) -> BorrowerSide {
        BorrowerSide {
            id: LoanId([id; 16]),
            id_nonce: [0; 16],
            neighbourhood: NeighbourhoodId([0; 32]),
            borrower: MemberId([id; 32]),
            lender: MemberId([99; 32]),
            item: ItemId([1; 16]),
            from,
            until,
            message: String::new(),
            requested_at: u64::from(id),
            cancelled_at: None,
            received_at: None,
            returned_at: None,
            extensions: vec![],
        }
    }

    fn accepted(at: u64) -> LenderSide {
        LenderSide { accepted_at: Some(at), ..LenderSide::default() }
    }

    #[test]
    fn lifecycle_states() {
        let mut b = borrower(1, 10, 12);
        assert_eq!(base_state(&b, None, 5), LoanState::Requested);
        let mut l = accepted(1);
        assert_eq!(base_state(&b, Some(&l), 5), LoanState::Accepted);
        l.handed_over_at = Some(2);
        assert_eq!(base_state(&b, Some(&l), 11), LoanState::HandedOver);
        assert_eq!(base_state(&b, Some(&l), 13), LoanState::Overdue);
        b.returned_at = Some(3);
        assert_eq!(base_state(&b, Some(&l), 13), LoanState::Returned);
        l.return_confirmed_at = Some(4);
        assert_eq!(base_state(&b, Some(&l), 13), LoanState::Closed);
    }

    #[test]
    fn moves_out_of_order_are_ignored() {
        let mut b = borrower(1, 10, 12);
        b.returned_at = Some(1);
        // A return without handover is not a return.
        assert_eq!(base_state(&b, None, 5), LoanState::Requested);
        // A handover without acceptance is not a handover.
        let l = LenderSide { handed_over_at: Some(1), return_confirmed_at: Some(2), ..LenderSide::default() };
        assert_eq!(base_state(&b, Some(&l), 5), LoanState::Requested);
    }

    #[test]
    fn concurrent_answers_resolve_deterministically() {
        let b = borrower(1, 10, 12);
        let both = LenderSide { accepted_at: Some(1), declined_at: Some(1), ..LenderSide::default() };
        assert_eq!(base_state(&b, Some(&both), 5), LoanState::Accepted);
        let mut cancelled = b.clone();
        cancelled.cancelled_at = Some(2);
        let mut handed = accepted(1);
        handed.handed_over_at = Some(3);
        assert_eq!(base_state(&cancelled, Some(&handed), 5), LoanState::Cancelled);
        cancelled.received_at = Some(4);
        assert_eq!(base_state(&cancelled, Some(&handed), 5), LoanState::HandedOver);
    }

    #[test]
    fn extensions_move_the_last_day_only_when_accepted() {
        let mut b = borrower(1, 10, 12);
        b.extensions = vec![(1, 20)];
        let mut l = accepted(1);
        l.handed_over_at = Some(2);
        assert_eq!(base_state(&b, Some(&l), 15), LoanState::Overdue);
        assert_eq!(pending_extension(&b, Some(&l)), Some((1, 20)));
        l.extension_answers = vec![(1, true)];
        assert_eq!(base_state(&b, Some(&l), 15), LoanState::HandedOver);
        assert_eq!(pending_extension(&b, Some(&l)), None);
    }

    #[test]
    fn overlapping_acceptances_are_flagged_and_later_requests_wait() {
        let a = borrower(1, 10, 15);
        let b = borrower(2, 14, 20);
        let c = borrower(3, 12, 13);
        let d = borrower(4, 30, 31);
        let (la, lb) = (accepted(5), accepted(6));
        let derived = derive_item(&[(&a, Some(&la)), (&b, Some(&lb)), (&c, None), (&d, None)], 1);
        assert!(!derived[0].conflict);
        assert!(derived[1].conflict, "accepted later, overlapping: flagged");
        assert!(derived[2].waitlisted);
        assert!(!derived[3].waitlisted);
        // Same facts in another order: same result per loan.
        let again = derive_item(&[(&d, None), (&c, None), (&b, Some(&lb)), (&a, Some(&la))], 1);
        assert_eq!(again[3], derived[0]);
        assert_eq!(again[2], derived[1]);
        // When the booking is cancelled the queue moves on.
        let mut a_cancelled = a.clone();
        a_cancelled.cancelled_at = Some(9);
        let after = derive_item(&[(&a_cancelled, Some(&la)), (&b, Some(&lb)), (&c, None)], 1);
        assert_eq!(after[0].state, LoanState::Cancelled);
        assert!(!after[1].conflict);
        assert!(!after[2].waitlisted, "12–13 does not overlap b's 14–20");
        let e = borrower(5, 16, 17);
        let with_e = derive_item(&[(&a_cancelled, Some(&la)), (&b, Some(&lb)), (&e, None)], 1);
        assert!(with_e[2].waitlisted, "16–17 overlaps b's booking");
    }
}
