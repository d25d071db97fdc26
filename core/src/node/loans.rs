//! The lending workflow on the node: every move is validated against the derived state, written
//! as a fact on the mover's own side, signed and committed like any other change.

use super::{Node, State};
use crate::clock::{DAY_MS, Day, format_day, now_ms, parse_day};
use crate::error::{Error, LoanError, Result};
use crate::events::Event;
use crate::ids::{ItemId, LoanId, MemberId, NeighbourhoodId};
use crate::loan::derive::derive_item;
use crate::loan::doc::LenderRecord;
use crate::loan::{BorrowerSide, LenderSide, LoanState, LoanView, MAX_MESSAGE_CHARS, Reminder, Trust};
use std::collections::{BTreeMap, HashMap};

type BorrowKey = (NeighbourhoodId, MemberId, LoanId);
type LendKey = (NeighbourhoodId, MemberId, MemberId, LoanId);

/// Both sides of every loan this device knows, from all member documents.
#[derive(Default)]
pub(super) struct LoanBook {
    borrowing: HashMap<BorrowKey, BorrowerSide>,
    lending: HashMap<LendKey, LenderRecord>,
}

/// Which loans a listing shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoanFilter {
    pub neighbourhood: Option<NeighbourhoodId>,
    pub item: Option<ItemId>,
    /// Only loans where this member is the borrower or the lender.
    pub mine: bool,
}

impl LoanBook {
    pub(super) fn new(borrowing: Vec<BorrowerSide>, lending: Vec<LenderRecord>) -> Self {
        let mut book = LoanBook::default();
        for b in borrowing {
            book.borrowing.insert((b.neighbourhood, b.borrower, b.id), b);
        }
        for l in lending {
            book.lending.insert((l.neighbourhood, l.lender, l.borrower, l.id), l);
        }
        book
    }

    pub(super) fn replace_doc(
        &mut self,
        ns: NeighbourhoodId,
        owner: MemberId,
        b: Vec<BorrowerSide>,
        l: Vec<LenderRecord>,
    ) {
        self.borrowing.retain(|(n, m, _), _| !(*n == ns && *m == owner));
        self.lending.retain(|(n, m, _, _), _| !(*n == ns && *m == owner));
        for side in b {
            self.borrowing.insert((side.neighbourhood, side.borrower, side.id), side);
        }
        for rec in l {
            self.lending.insert((rec.neighbourhood, rec.lender, rec.borrower, rec.id), rec);
        }
    }

    pub(super) fn remove_neighbourhood(&mut self, ns: NeighbourhoodId) {
        self.borrowing.retain(|(n, _, _), _| *n != ns);
        self.lending.retain(|(n, _, _, _), _| *n != ns);
    }

    fn lender_side(&self, b: &BorrowerSide) -> Option<&LenderRecord> {
        self.lending.get(&(b.neighbourhood, b.lender, b.borrower, b.id))
    }
}

impl State {
    /// The node's notion of now: the wall clock, shifted in tests that simulate days passing.
    pub(super) fn now(&self) -> u64 {
        now_ms().saturating_add_signed(self.clock_skew_days * DAY_MS as i64)
    }

    pub(super) fn today(&self) -> Day {
        (self.now() / DAY_MS) as Day
    }

    /// Every loan, derived for `day`, sorted by request time.
    pub(super) fn loan_views(&self, day: Day) -> Vec<LoanView> {
        let mut by_item: BTreeMap<(NeighbourhoodId, ItemId), Vec<&BorrowerSide>> = BTreeMap::new();
        for b in self.loans.borrowing.values() {
            // A request naming someone other than the item's owner as lender is ignored.
            if self
                .read
                .get(&b.item)
                .is_some_and(|i| i.owner != b.lender || i.neighbourhood != b.neighbourhood)
            {
                continue;
            }
            by_item.entry((b.neighbourhood, b.item)).or_default().push(b);
        }
        let mut out = Vec::new();
        for ((ns, item), sides) in by_item {
            let pairs: Vec<_> =
                sides.iter().map(|b| (*b, self.loans.lender_side(b).map(|r| &r.side))).collect();
            let title =
                self.read.get(&item).map(|i| i.title.clone()).unwrap_or_else(|| "(removed item)".into());
            for ((b, l), d) in pairs.iter().zip(derive_item(&pairs, day)) {
                out.push(LoanView {
                    id: b.id,
                    neighbourhood: ns,
                    item,
                    item_title: title.clone(),
                    lender: b.lender,
                    lender_name: self.read.name(&ns, &b.lender),
                    borrower: b.borrower,
                    borrower_name: self.read.name(&ns, &b.borrower),
                    from: format_day(b.from),
                    until: format_day(d.until),
                    state: d.state,
                    conflict: d.conflict,
                    waitlisted: d.waitlisted,
                    receipt_confirmed: d.receipt_confirmed,
                    disputed: d.disputed,
                    pending_extension: d.pending_extension.map(format_day),
                    message: b.message.clone(),
                    answer_message: l.map(|l| l.answer_message.clone()).unwrap_or_default(),
                    condition_note: l.map(|l| l.condition_note.clone()).unwrap_or_default(),
                    requested_at: b.requested_at,
                    answered_at: l.and_then(|l| l.accepted_at.or(l.declined_at)),
                    from_day: b.from,
                    until_day: d.until,
                });
            }
        }
        out.sort_by_key(|v| (v.requested_at, v.id));
        out
    }

    fn loan_view(&self, id: &LoanId) -> Result<LoanView> {
        let me = self.identity()?.member_id();
        let views = self.loan_views(self.today());
        let mut matching = views.into_iter().filter(|v| v.id == *id);
        let first = matching.next().ok_or(LoanError::UnknownLoan(*id))?;
        // Ids are random; should two ever collide, prefer the one this member takes part in.
        Ok(if first.borrower == me || first.lender == me {
            first
        } else {
            matching.find(|v| v.borrower == me || v.lender == me).unwrap_or(first)
        })
    }
}

fn check_message(text: &str) -> Result<String> {
    let text = text.trim();
    let len = text.chars().count();
    if len > MAX_MESSAGE_CHARS {
        return Err(LoanError::MessageTooLong { len, max: MAX_MESSAGE_CHARS }.into());
    }
    Ok(text.to_owned())
}

fn day(text: &str) -> Result<Day> {
    parse_day(text).ok_or_else(|| LoanError::BadDate(text.chars().take(40).collect()).into())
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
        let days = until - from + 1;
        if days > i64::from(item.max_loan_days) {
            return Err(LoanError::TooLong { days, max: item.max_loan_days, title: item.title }.into());
        }
        let side = BorrowerSide {
            id: LoanId::random()?,
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

    pub fn accept_loan(&self, id: &LoanId, message: &str) -> Result<LoanView> {
        let message = check_message(message)?;
        self.lender_move(id, "accept", &[LoanState::Requested], |st, view, l| {
            booked_check(st, view, view.from_day, view.until_day)?;
            l.accepted_at = Some(st.now());
            l.answer_message = message.clone();
            Ok(())
        })
    }

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
                booked_check(st, view, view.until_day + 1, until)?;
            }
            l.extension_answers.push((seq, accept));
            Ok(())
        })
    }

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
            if let Some(item) = st.read.get(&view.item) {
                let days = until - b.from + 1;
                if days > i64::from(item.max_loan_days) {
                    return Err(LoanError::TooLong {
                        days,
                        max: item.max_loan_days,
                        title: item.title.clone(),
                    }
                    .into());
                }
            }
            let seq = b.extensions.iter().map(|(s, _)| *s).max().unwrap_or(0) + 1;
            b.extensions.push((seq, until));
            Ok(())
        })
    }

    pub fn loan(&self, id: &LoanId) -> Result<LoanView> {
        self.lock()?.loan_view(id)
    }

    /// Loans as they will be derived on `day` (`YYYY-MM-DD`), e.g. for a calendar.
    pub fn loans_on(&self, filter: &LoanFilter, day: &str) -> Result<Vec<LoanView>> {
        let day = self::day(day)?;
        let st = self.lock()?;
        let me = st.identity.as_ref().map(|i| i.member_id());
        Ok(filter_views(st.loan_views(day), filter, me))
    }

    pub fn loans(&self, filter: &LoanFilter) -> Result<Vec<LoanView>> {
        let st = self.lock()?;
        let me = st.identity.as_ref().map(|i| i.member_id());
        Ok(filter_views(st.loan_views(st.today()), filter, me))
    }

    /// What to remind this member of on `day` (default: today).
    pub fn reminders(&self, day: Option<&str>) -> Result<Vec<Reminder>> {
        let st = self.lock()?;
        let day = match day {
            Some(text) => self::day(text)?,
            None => st.today(),
        };
        let me = st.identity()?.member_id();
        let recent = st.now().saturating_sub(7 * DAY_MS);
        let mut out = Vec::new();
        for v in st.loan_views(day) {
            let (lender, borrower) = (v.lender == me, v.borrower == me);
            if !lender && !borrower {
                continue;
            }
            let reminder = match v.state {
                LoanState::Accepted if v.conflict && lender => Some(Reminder::Conflict { loan: v }),
                LoanState::Accepted if v.from_day == day => Some(Reminder::PickupToday { loan: v }),
                LoanState::HandedOver if v.until_day == day + 1 => Some(Reminder::DueTomorrow { loan: v }),
                LoanState::Overdue => Some(Reminder::Overdue { loan: v }),
                LoanState::Requested if lender && !v.waitlisted => Some(Reminder::NewRequest { loan: v }),
                LoanState::Accepted | LoanState::Declined
                    if borrower && v.answered_at.is_some_and(|t| t >= recent) =>
                {
                    Some(Reminder::RequestAnswered { loan: v })
                }
                _ => None,
            };
            out.extend(reminder);
        }
        Ok(out)
    }

    /// Lending history of `member` in `ns`, counted only from closed loans (both parties
    /// signed their part: the borrower's request, the lender's acceptance and return).
    pub fn trust(&self, ns: &NeighbourhoodId, member: &MemberId) -> Result<Trust> {
        let st = self.lock()?;
        st.neighbourhood(ns)?;
        let mut trust =
            Trust { member: *member, completed_as_lender: 0, completed_as_borrower: 0, on_time_returns: 0 };
        for v in st
            .loan_views(st.today())
            .iter()
            .filter(|v| v.neighbourhood == *ns && v.state == LoanState::Closed)
        {
            if v.lender == *member {
                trust.completed_as_lender += 1;
            }
            if v.borrower == *member {
                trust.completed_as_borrower += 1;
                let confirmed = st
                    .loans
                    .lending
                    .get(&(v.neighbourhood, v.lender, v.borrower, v.id))
                    .and_then(|l| l.side.return_confirmed_at);
                if confirmed.is_some_and(|t| (t / DAY_MS) as Day <= v.until_day) {
                    trust.on_time_returns += 1;
                }
            }
        }
        Ok(trust)
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
        let before = st.loan_views(st.today());
        let (ns, me) = (side.neighbourhood, side.borrower);
        let Some(change) = st.doc_mut(&ns, &me)?.put_borrowing(&side)? else {
            return Ok(());
        };
        st.commit_local(ns, &change, |w| w.put_borrowing(&side))?;
        st.loans.borrowing.insert((ns, me, side.id), side);
        self.emit_loan_changes(st, &before);
        Ok(())
    }

    fn write_lender_side(&self, st: &mut State, rec: LenderRecord) -> Result<()> {
        let before = st.loan_views(st.today());
        let (ns, me) = (rec.neighbourhood, rec.lender);
        let Some(change) = st.doc_mut(&ns, &me)?.put_lending(&rec.borrower, &rec.id, &rec.side)? else {
            return Ok(());
        };
        st.commit_local(ns, &change, |w| w.put_lending(&rec))?;
        st.loans.lending.insert((ns, me, rec.borrower, rec.id), rec);
        self.emit_loan_changes(st, &before);
        Ok(())
    }

    /// Emits an event for every loan whose view changed since `before`.
    pub(super) fn emit_loan_changes(&self, st: &State, before: &[LoanView]) {
        let old: HashMap<(MemberId, LoanId), &LoanView> =
            before.iter().map(|v| ((v.borrower, v.id), v)).collect();
        for view in st.loan_views(st.today()) {
            let previous = old.get(&(view.borrower, view.id));
            if previous.is_some_and(|p| **p == view) {
                continue;
            }
            if previous.is_some_and(|p| p.waitlisted)
                && !view.waitlisted
                && view.state == LoanState::Requested
            {
                self.emit(Event::LoanAvailable { loan: view.clone() });
            }
            self.emit(Event::LoanUpdated { previous: previous.map(|p| p.state), loan: view });
        }
    }
}

fn filter_views(views: Vec<LoanView>, filter: &LoanFilter, me: Option<MemberId>) -> Vec<LoanView> {
    views
        .into_iter()
        .filter(|v| filter.neighbourhood.is_none_or(|n| n == v.neighbourhood))
        .filter(|v| filter.item.is_none_or(|i| i == v.item))
        .filter(|v| !filter.mine || me.is_some_and(|m| m == v.borrower || m == v.lender))
        .collect()
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
