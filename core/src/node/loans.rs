//! The lending workflow's moves: each is validated against the derived state, written as a
//! fact on the mover's own side, signed and committed like any other change.

use super::loan_views::ItemSet;
use super::loan_views::day;
use super::{Node, State};
use crate::clock::{Day, format_day};
use crate::error::{Error, LoanError, Result};
use crate::ids::{ItemId, LoanId};
use crate::loan::check::MAX_EXTENSIONS;
use crate::loan::doc::LenderRecord;
use crate::loan::{BorrowerSide, LenderSide, LoanState, LoanView, MAX_MESSAGE_CHARS};
use crate::model::MAX_LOAN_DAYS;

/// The action named when a loan already has [`MAX_EXTENSIONS`] extension requests.
const TOO_MANY_EXTENSIONS: &str = "ask for more than 64 extensions of";
const _: () = assert!(MAX_EXTENSIONS == 64, "update TOO_MANY_EXTENSIONS");

fn check_message(text: &str) -> Result<String> {
    let text = text.trim();
    let len = text.chars().count();
    if len > MAX_MESSAGE_CHARS {
        return Err(LoanError::MessageTooLong { len, max: MAX_MESSAGE_CHARS }.into());
    }
    Ok(text.to_owned())
}

fn overlaps(a: (Day, Day), b: (Day, Day)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

/// Who may make a move.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Borrower,
    Lender,
}

impl Node {
    /// Asks to borrow `item` from `from` to `until` (inclusive, `YYYY-MM-DD`).
    pub fn request_loan(&self, item: &ItemId, from: &str, until: &str, message: &str) -> Result<LoanView> {
        let (from, until) = (day(from)?, day(until)?);
        let message = check_message(message)?;
        let mut st = self.lock()?;
        let me = st.identity()?.member_id();
        let item = st.read.get(item).cloned().ok_or(Error::UnknownItem(*item))?;
        if item.owner == me {
            return Err(LoanError::OwnItem.into());
        }
        if !item.available {
            return Err(LoanError::ItemPaused { title: item.title }.into());
        }
        if until < from {
            return Err(LoanError::DatesReversed { from: format_day(from), until: format_day(until) }.into());
        }
        if from < st.today() {
            return Err(LoanError::StartsInPast { from: format_day(from) }.into());
        }
        // Both days come from `parse_day` (years 1970 to 9999): no overflow.
        let days = until.saturating_sub(from).saturating_add(1);
        if days > i64::from(item.max_loan_days) {
            return Err(LoanError::TooLong { days, max: item.max_loan_days, title: item.title }.into());
        }
        let (id, id_nonce) = LoanId::new_bound(&item.neighbourhood, &me)?;
        let side = BorrowerSide {
            id,
            id_nonce,
            neighbourhood: item.neighbourhood,
            borrower: me,
            lender: item.owner,
            item: item.id,
            from,
            until,
            message,
            requested_at: st.now(),
            cancelled_at: None,
            received_at: None,
            returned_at: None,
            extensions: Vec::new(),
        };
        let id = side.id;
        self.write_borrower_side(&mut st, side)?;
        st.loan_view(&id)
    }

    /// Lender accepts a request, with an optional message. Refused if the dates overlap a loan
    /// already booked ([`LoanError::AlreadyBooked`]).
    pub fn accept_loan(&self, id: &LoanId, message: &str) -> Result<LoanView> {
        let message = check_message(message)?;
        self.lender_move(id, "accept", &[LoanState::Requested], |st, view, l| {
            booked_check(st, view, view.from_day, view.until_day)?;
            l.accepted_at = Some(st.now());
            l.answer_message = message.clone();
            Ok(())
        })
    }

    /// Lender declines a request, with an optional message.
    pub fn decline_loan(&self, id: &LoanId, message: &str) -> Result<LoanView> {
        let message = check_message(message)?;
        self.lender_move(id, "decline", &[LoanState::Requested], |st, _, l| {
            l.declined_at = Some(st.now());
            l.answer_message = message.clone();
            Ok(())
        })
    }

    /// Lender takes back an acceptance before handing the item over.
    pub fn withdraw_loan(&self, id: &LoanId, reason: &str) -> Result<LoanView> {
        let reason = check_message(reason)?;
        self.lender_move(id, "withdraw", &[LoanState::Accepted], |st, _, l| {
            l.withdrawn_at = Some(st.now());
            l.withdraw_reason = reason.clone();
            Ok(())
        })
    }

    /// Lender marks the item as handed over.
    pub fn hand_over(&self, id: &LoanId) -> Result<LoanView> {
        self.lender_move(id, "hand over", &[LoanState::Accepted], |st, view, l| {
            if view.conflict {
                return Err(LoanError::AlreadyBooked {
                    title: view.item_title.clone(),
                    from: view.from.clone(),
                    until: view.until.clone(),
                }
                .into());
            }
            l.handed_over_at = Some(st.now());
            Ok(())
        })
    }

    /// Lender confirms the item is back, optionally noting its condition.
    pub fn confirm_return(&self, id: &LoanId, condition_note: &str) -> Result<LoanView> {
        let note = check_message(condition_note)?;
        let states = [LoanState::Returned, LoanState::HandedOver, LoanState::Overdue];
        self.lender_move(id, "confirm the return of", &states, |st, _, l| {
            l.return_confirmed_at = Some(st.now());
            l.condition_note = note.clone();
            Ok(())
        })
    }

    /// Lender reports the item as not returned (only after its last day).
    pub fn report_not_returned(&self, id: &LoanId) -> Result<LoanView> {
        self.lender_move(id, "report as not returned", &[LoanState::Overdue], |st, _, l| {
            l.disputed_at = Some(st.now());
            Ok(())
        })
    }

    /// Lender answers the pending extension request.
    pub fn answer_extension(&self, id: &LoanId, accept: bool) -> Result<LoanView> {
        let states = [LoanState::Accepted, LoanState::HandedOver, LoanState::Overdue];
        self.lender_move(id, "answer an extension of", &states, |st, view, l| {
            let key = (view.neighbourhood, view.borrower, view.id);
            let b = st.loans.borrowing.get(&key).ok_or(LoanError::UnknownLoan(view.id))?;
            let (seq, until) =
                crate::loan::derive::pending_extension(b, Some(l)).ok_or(LoanError::NoPendingExtension)?;
            if accept {
                booked_check(st, view, view.until_day.saturating_add(1), until)?;
            }
            l.extension_answers.push((seq, accept));
            Ok(())
        })
    }

    /// Borrower cancels a request, or an accepted loan before the handover.
    pub fn cancel_loan(&self, id: &LoanId) -> Result<LoanView> {
        self.borrower_move(id, "cancel", &[LoanState::Requested, LoanState::Accepted], |st, _, b| {
            b.cancelled_at = Some(st.now());
            Ok(())
        })
    }

    /// Borrower confirms they received the item.
    pub fn confirm_receipt(&self, id: &LoanId) -> Result<LoanView> {
        self.borrower_move(
            id,
            "confirm receipt of",
            &[LoanState::HandedOver, LoanState::Overdue],
            |st, v, b| {
                if v.receipt_confirmed {
                    return Err(LoanError::NotNow { action: "confirm receipt of", state: v.state }.into());
                }
                b.received_at = Some(st.now());
                Ok(())
            },
        )
    }

    /// Borrower marks the item as given back.
    pub fn mark_returned(&self, id: &LoanId) -> Result<LoanView> {
        self.borrower_move(id, "return", &[LoanState::HandedOver, LoanState::Overdue], |st, _, b| {
            b.returned_at = Some(st.now());
            Ok(())
        })
    }

    /// Borrower asks to keep the item until `until`.
    pub fn request_extension(&self, id: &LoanId, until: &str) -> Result<LoanView> {
        let until = day(until)?;
        let states = [LoanState::Accepted, LoanState::HandedOver, LoanState::Overdue];
        self.borrower_move(id, "extend", &states, |st, view, b| {
            if until <= view.until_day {
                return Err(LoanError::ExtensionNotLater {
                    until: format_day(until),
                    current: view.until.clone(),
                }
                .into());
            }
            // A removed item's limit is gone: the longest any item can be lent for applies, so
            // the record stays within what peers accept (see `loan::check`).
            let (max, title) = match st.read.get(&view.item) {
                Some(item) => (item.max_loan_days, item.title.clone()),
                None => (MAX_LOAN_DAYS, view.item_title.clone()),
            };
            let days = until.saturating_sub(b.from).saturating_add(1);
            if days > i64::from(max) {
                return Err(LoanError::TooLong { days, max, title }.into());
            }
            // Numbers are unique and at most MAX_EXTENSIONS, so this also bounds the count.
            let seq = b.extensions.iter().map(|(s, _)| *s).max().unwrap_or(0).saturating_add(1);
            if !usize::try_from(seq).is_ok_and(|s| s <= MAX_EXTENSIONS) {
                return Err(LoanError::NotNow { action: TOO_MANY_EXTENSIONS, state: view.state }.into());
            }
            b.extensions.push((seq, until));
            Ok(())
        })
    }

    fn borrower_move(
        &self,
        id: &LoanId,
        action: &'static str,
        allowed: &[LoanState],
        apply: impl FnOnce(&State, &LoanView, &mut BorrowerSide) -> Result<()>,
    ) -> Result<LoanView> {
        let mut st = self.lock()?;
        let view = checked_view(&st, id, Role::Borrower, action, allowed)?;
        let key = (view.neighbourhood, view.borrower, view.id);
        let mut side = st.loans.borrowing.get(&key).cloned().ok_or(LoanError::UnknownLoan(*id))?;
        apply(&st, &view, &mut side)?;
        self.write_borrower_side(&mut st, side)?;
        st.loan_view(id)
    }

    fn lender_move(
        &self,
        id: &LoanId,
        action: &'static str,
        allowed: &[LoanState],
        apply: impl FnOnce(&State, &LoanView, &mut LenderSide) -> Result<()>,
    ) -> Result<LoanView> {
        let mut st = self.lock()?;
        let view = checked_view(&st, id, Role::Lender, action, allowed)?;
        let key = (view.neighbourhood, view.lender, view.borrower, view.id);
        let mut rec = st.loans.lending.get(&key).cloned().unwrap_or_else(|| LenderRecord {
            neighbourhood: view.neighbourhood,
            lender: view.lender,
            borrower: view.borrower,
            id: view.id,
            side: LenderSide::default(),
        });
        apply(&st, &view, &mut rec.side)?;
        self.write_lender_side(&mut st, rec)?;
        st.loan_view(id)
    }

    fn write_borrower_side(&self, st: &mut State, side: BorrowerSide) -> Result<()> {
        let items: ItemSet = [(side.neighbourhood, side.item)].into();
        let before = st.loan_views_of(st.today(), Some(&items));
        let (ns, me) = (side.neighbourhood, side.borrower);
        let Some(change) = st.doc_mut(&ns, &me)?.put_borrowing(&side)? else {
            return Ok(());
        };
        self.commit_own(st, ns, &change, |w| w.put_borrowing(&side))?;
        st.loans.borrowing.insert((ns, me, side.id), side);
        self.emit_loan_changes(st, &items, &before);
        self.rebase_if_due(st, ns);
        Ok(())
    }

    fn write_lender_side(&self, st: &mut State, rec: LenderRecord) -> Result<()> {
        let items = st.loans.items_of(rec.neighbourhood, rec.lender, &[], std::slice::from_ref(&rec));
        let before = st.loan_views_of(st.today(), Some(&items));
        let (ns, me) = (rec.neighbourhood, rec.lender);
        let Some(change) = st.doc_mut(&ns, &me)?.put_lending(&rec.borrower, &rec.id, &rec.side)? else {
            return Ok(());
        };
        self.commit_own(st, ns, &change, |w| w.put_lending(&rec))?;
        st.loans.lending.insert((ns, me, rec.borrower, rec.id), rec);
        self.emit_loan_changes(st, &items, &before);
        self.rebase_if_due(st, ns);
        Ok(())
    }
}

/// The loan `id`, if this member plays `role` in it and its state allows the move.
fn checked_view(
    st: &State,
    id: &LoanId,
    role: Role,
    action: &'static str,
    allowed: &[LoanState],
) -> Result<LoanView> {
    let me = st.identity()?.member_id();
    let view = st.loan_view(id)?;
    let (who, name) = match role {
        Role::Borrower => (view.borrower, &view.borrower_name),
        Role::Lender => (view.lender, &view.lender_name),
    };
    if who != me {
        let role = if role == Role::Borrower { "borrower" } else { "lender" };
        return Err(LoanError::NotYourMove { role, name: name.clone(), action }.into());
    }
    if !allowed.contains(&view.state) {
        return Err(LoanError::NotNow { action, state: view.state }.into());
    }
    Ok(view)
}

/// Fails if `[from, until]` overlaps another loan holding a booking of the same item.
fn booked_check(st: &State, view: &LoanView, from: Day, until: Day) -> Result<()> {
    let clash = st.loan_views(st.today()).into_iter().find(|o| {
        o.item == view.item
            && (o.id, o.borrower) != (view.id, view.borrower)
            && o.state.books_item()
            && !o.conflict
            && overlaps((o.from_day, o.until_day), (from, until))
    });
    match clash {
        Some(o) => Err(LoanError::AlreadyBooked { title: o.item_title, from: o.from, until: o.until }.into()),
        None => Ok(()),
    }
}
