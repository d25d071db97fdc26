//! Reading loans: both sides of every loan in memory, derived into views on demand; listings,
//! reminders, trust, and the events that report what changed.

use super::{Node, State};
use crate::clock::{DAY_MS, Day, day_of, format_day, now_ms, parse_day, shift_days};
use crate::error::{LoanError, Result};
use crate::events::Event;
use crate::ids::{ItemId, LoanId, MemberId, NeighbourhoodId};
use crate::loan::check::{check_borrower, check_lender};
use crate::loan::derive::derive_item;
use crate::loan::doc::LenderRecord;
use crate::loan::{BorrowerSide, LoanState, LoanView, Reminder, Trust};
use std::collections::{BTreeMap, HashMap};

type BorrowKey = (NeighbourhoodId, MemberId, LoanId);
/// Items whose loans a change may have affected.
pub(super) type ItemSet = std::collections::HashSet<(NeighbourhoodId, ItemId)>;
type LendKey = (NeighbourhoodId, MemberId, MemberId, LoanId);

/// Both sides of every loan this device knows, from all member documents.
#[derive(Default)]
pub(super) struct LoanBook {
    pub(super) borrowing: HashMap<BorrowKey, BorrowerSide>,
    pub(super) lending: HashMap<LendKey, LenderRecord>,
}

/// Which loans a listing shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoanFilter {
    /// Only loans in this neighbourhood.
    pub neighbourhood: Option<NeighbourhoodId>,
    /// Only loans of this item.
    pub item: Option<ItemId>,
    /// Only loans where this member is the borrower or the lender.
    pub mine: bool,
}

impl LoanBook {
    /// The book from stored records. Records were checked when imported; those a store written
    /// by an older version may hold that fail today's checks are left out, as on import.
    pub(super) fn new(borrowing: Vec<BorrowerSide>, lending: Vec<LenderRecord>) -> Self {
        let mut book = LoanBook::default();
        let borrowing = borrowing.into_iter().filter(|b| check_borrower(b).is_ok());
        let lending = lending.into_iter().filter(|l| check_lender(&l.side).is_ok());
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

    /// Items of every loan side that member `owner` holds in `ns`, plus those of `extra` sides.
    pub(super) fn items_of(
        &self,
        ns: NeighbourhoodId,
        owner: MemberId,
        extra_borrowing: &[BorrowerSide],
        extra_lending: &[LenderRecord],
    ) -> ItemSet {
        let mut set: ItemSet = self
            .borrowing
            .values()
            .filter(|b| b.neighbourhood == ns && b.borrower == owner)
            .chain(extra_borrowing)
            .map(|b| (b.neighbourhood, b.item))
            .collect();
        let lent =
            self.lending.values().filter(|l| l.neighbourhood == ns && l.lender == owner).chain(extra_lending);
        for l in lent {
            if let Some(b) = self.borrowing.get(&(l.neighbourhood, l.borrower, l.id)) {
                set.insert((b.neighbourhood, b.item));
            }
        }
        set
    }

    pub(super) fn remove_neighbourhood(&mut self, ns: NeighbourhoodId) {
        self.borrowing.retain(|(n, _, _), _| *n != ns);
        self.lending.retain(|(n, _, _, _), _| *n != ns);
    }

    pub(super) fn lender_side(&self, b: &BorrowerSide) -> Option<&LenderRecord> {
        self.lending.get(&(b.neighbourhood, b.lender, b.borrower, b.id))
    }
}

impl State {
    /// The node's notion of now: the wall clock, shifted in tests that simulate days passing.
    pub(super) fn now(&self) -> u64 {
        shift_days(now_ms(), self.clock_skew_days)
    }

    pub(super) fn today(&self) -> Day {
        day_of(self.now())
    }

    /// Every loan, derived for `day`, sorted by request time.
    pub(super) fn loan_views(&self, day: Day) -> Vec<LoanView> {
        self.loan_views_of(day, None)
    }

    /// The loans of `items` only (all when `None`). Loans are derived per item, so this is
    /// exactly the matching part of [`State::loan_views`], at a fraction of the cost.
    pub(super) fn loan_views_of(&self, day: Day, items: Option<&ItemSet>) -> Vec<LoanView> {
        let mut by_item: BTreeMap<(NeighbourhoodId, ItemId), Vec<&BorrowerSide>> = BTreeMap::new();
        for b in self.loans.borrowing.values() {
            if items.is_some_and(|set| !set.contains(&(b.neighbourhood, b.item))) {
                continue;
            }
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

    pub(super) fn loan_view(&self, id: &LoanId) -> Result<LoanView> {
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

impl Node {
    /// The loan `id` as derived today. Fails with [`LoanError::UnknownLoan`] if it is not known here.
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

    /// Loans matching `filter`, as derived today.
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
                LoanState::HandedOver if day.checked_add(1) == Some(v.until_day) => {
                    Some(Reminder::DueTomorrow { loan: v })
                }
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
                if confirmed.is_some_and(|t| day_of(t) <= v.until_day) {
                    trust.on_time_returns += 1;
                }
            }
        }
        Ok(trust)
    }

    /// Emits an event for every loan of `items` whose view changed since `before` (the views
    /// of the same items, taken before the change).
    pub(super) fn emit_loan_changes(&self, st: &State, items: &ItemSet, before: &[LoanView]) {
        let old: HashMap<(MemberId, LoanId), &LoanView> =
            before.iter().map(|v| ((v.borrower, v.id), v)).collect();
        for view in st.loan_views_of(st.today(), Some(items)) {
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

pub(super) fn day(text: &str) -> Result<Day> {
    parse_day(text).ok_or_else(|| LoanError::BadDate(text.chars().take(40).collect()).into())
}
