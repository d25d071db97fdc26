//! The lending workflow at the FFI edge: loan records, filters, reminders, trust, and every move.
//! Days cross the boundary as [`Day`]s (Kotlin `LocalDate`, Swift `Date`), `YYYY-MM-DD` on the
//! wire, exactly as the core takes them.

use crate::error::PartageError;
use crate::node::Node;
use crate::runtime::blocking;
use crate::time::{Day, signed};
use crate::types::{instant, parse_id, parse_item, parse_member, parse_neighbourhood};
use partage::LoanId;
use std::time::SystemTime;

/// The derived state of a loan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum LoanState {
    Requested,
    Accepted,
    Declined,
    Cancelled,
    Withdrawn,
    HandedOver,
    Returned,
    Closed,
    Overdue,
}

impl From<partage::LoanState> for LoanState {
    fn from(s: partage::LoanState) -> Self {
        use partage::LoanState as S;
        match s {
            S::Requested => LoanState::Requested,
            S::Accepted => LoanState::Accepted,
            S::Declined => LoanState::Declined,
            S::Cancelled => LoanState::Cancelled,
            S::Withdrawn => LoanState::Withdrawn,
            S::HandedOver => LoanState::HandedOver,
            S::Returned => LoanState::Returned,
            S::Closed => LoanState::Closed,
            S::Overdue => LoanState::Overdue,
        }
    }
}

/// A loan as shown to a user: both sides joined, state derived for today.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Loan {
    pub id: String,
    pub neighbourhood_id: String,
    pub item_id: String,
    pub item_title: String,
    pub lender_id: String,
    pub lender_name: String,
    pub borrower_id: String,
    pub borrower_name: String,
    /// First day.
    pub from: Day,
    /// Last day including accepted extensions, `YYYY-MM-DD`.
    pub until: Day,
    pub state: LoanState,
    /// Accepted concurrently with an overlapping loan and lost: the lender should withdraw one.
    pub conflict: bool,
    /// Requested for a period already booked: queued until the booking ends.
    pub waitlisted: bool,
    pub receipt_confirmed: bool,
    pub disputed: bool,
    /// The requested new last day of a pending extension.
    pub pending_extension: Option<Day>,
    pub message: String,
    pub answer_message: String,
    pub condition_note: String,
    pub requested_at: SystemTime,
    pub answered_at: Option<SystemTime>,
}

impl From<partage::LoanView> for Loan {
    fn from(v: partage::LoanView) -> Self {
        Loan {
            id: v.id.to_hex(),
            neighbourhood_id: v.neighbourhood.to_hex(),
            item_id: v.item.to_hex(),
            item_title: v.item_title,
            lender_id: v.lender.to_hex(),
            lender_name: v.lender_name,
            borrower_id: v.borrower.to_hex(),
            borrower_name: v.borrower_name,
            from: Day(v.from),
            until: Day(v.until),
            state: v.state.into(),
            conflict: v.conflict,
            waitlisted: v.waitlisted,
            receipt_confirmed: v.receipt_confirmed,
            disputed: v.disputed,
            pending_extension: v.pending_extension.map(Day),
            message: v.message,
            answer_message: v.answer_message,
            condition_note: v.condition_note,
            requested_at: instant(v.requested_at),
            answered_at: v.answered_at.map(instant),
        }
    }
}

/// Which loans a listing shows. The default shows every loan this device knows.
#[derive(Clone, Debug, Default, PartialEq, Eq, uniffi::Record)]
pub struct LoanFilter {
    #[uniffi(default = None)]
    pub neighbourhood_id: Option<String>,
    #[uniffi(default = None)]
    pub item_id: Option<String>,
    /// Only loans where I am the borrower or the lender.
    #[uniffi(default = false)]
    pub mine: bool,
}

impl TryFrom<LoanFilter> for partage::LoanFilter {
    type Error = PartageError;
    fn try_from(f: LoanFilter) -> Result<Self, PartageError> {
        Ok(partage::LoanFilter {
            neighbourhood: f.neighbourhood_id.as_deref().map(parse_neighbourhood).transpose()?,
            item: f.item_id.as_deref().map(parse_item).transpose()?,
            mine: f.mine,
        })
    }
}

/// Something an app may turn into a local notification.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Reminder {
    /// An accepted loan starts today (for both parties).
    PickupToday { loan: Loan },
    /// A borrowed item is due back tomorrow (for both parties).
    DueTomorrow { loan: Loan },
    /// A borrowed item is past its last day and not returned (for both parties).
    Overdue { loan: Loan },
    /// Someone asked to borrow one of my items.
    NewRequest { loan: Loan },
    /// The lender answered my request in the last 7 days.
    RequestAnswered { loan: Loan },
    /// Two of my devices accepted overlapping loans of one item: withdraw one.
    Conflict { loan: Loan },
}

impl From<partage::Reminder> for Reminder {
    fn from(r: partage::Reminder) -> Self {
        use partage::Reminder as R;
        match r {
            R::PickupToday { loan } => Reminder::PickupToday { loan: loan.into() },
            R::DueTomorrow { loan } => Reminder::DueTomorrow { loan: loan.into() },
            R::Overdue { loan } => Reminder::Overdue { loan: loan.into() },
            R::NewRequest { loan } => Reminder::NewRequest { loan: loan.into() },
            R::RequestAnswered { loan } => Reminder::RequestAnswered { loan: loan.into() },
            R::Conflict { loan } => Reminder::Conflict { loan: loan.into() },
        }
    }
}

/// Lending history of one member, from loans both parties signed their part of.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Trust {
    pub member_id: String,
    pub completed_as_lender: i32,
    pub completed_as_borrower: i32,
    pub on_time_returns: i32,
}

impl From<partage::Trust> for Trust {
    fn from(t: partage::Trust) -> Self {
        Trust {
            member_id: t.member.to_hex(),
            completed_as_lender: signed(t.completed_as_lender),
            completed_as_borrower: signed(t.completed_as_borrower),
            on_time_returns: signed(t.on_time_returns),
        }
    }
}

fn parse_loan(text: &str) -> Result<LoanId, PartageError> {
    parse_id(text)
}

/// One lending move: parse the loan id, run the core call on a blocking thread, convert.
macro_rules! loan_move {
    ($self:ident, $loan_id:ident, |$n:ident, $id:ident| $call:expr) => {{
        let $id = parse_loan(&$loan_id)?;
        let $n = $self.core();
        blocking(move || $call).await.map(Loan::from)
    }};
}

#[uniffi::export]
impl Node {
    /// Asks to borrow an item from `from` to `until` (inclusive days).
    pub async fn request_loan(
        &self,
        item_id: String,
        from: Day,
        until: Day,
        message: String,
    ) -> Result<Loan, PartageError> {
        let item = parse_item(&item_id)?;
        let n = self.core();
        blocking(move || n.request_loan(&item, from.as_str(), until.as_str(), &message)).await.map(Loan::from)
    }

    /// Lender: accepts a request (the item is booked for its period).
    pub async fn accept_loan(&self, loan_id: String, message: String) -> Result<Loan, PartageError> {
        loan_move!(self, loan_id, |n, id| n.accept_loan(&id, &message))
    }

    /// Lender: declines a request.
    pub async fn decline_loan(&self, loan_id: String, message: String) -> Result<Loan, PartageError> {
        loan_move!(self, loan_id, |n, id| n.decline_loan(&id, &message))
    }

    /// Lender: takes back an acceptance before handing the item over.
    pub async fn withdraw_loan(&self, loan_id: String, reason: String) -> Result<Loan, PartageError> {
        loan_move!(self, loan_id, |n, id| n.withdraw_loan(&id, &reason))
    }

    /// Lender: the item was handed over.
    pub async fn hand_over(&self, loan_id: String) -> Result<Loan, PartageError> {
        loan_move!(self, loan_id, |n, id| n.hand_over(&id))
    }

    /// Lender: the item is back, optionally noting its condition.
    pub async fn confirm_return(
        &self,
        loan_id: String,
        condition_note: String,
    ) -> Result<Loan, PartageError> {
        loan_move!(self, loan_id, |n, id| n.confirm_return(&id, &condition_note))
    }

    /// Lender: the item was not returned (only after its last day).
    pub async fn report_not_returned(&self, loan_id: String) -> Result<Loan, PartageError> {
        loan_move!(self, loan_id, |n, id| n.report_not_returned(&id))
    }

    /// Lender: answers the pending extension request.
    pub async fn answer_extension(&self, loan_id: String, accept: bool) -> Result<Loan, PartageError> {
        loan_move!(self, loan_id, |n, id| n.answer_extension(&id, accept))
    }

    /// Borrower: cancels a request (before the item is handed over).
    pub async fn cancel_loan(&self, loan_id: String) -> Result<Loan, PartageError> {
        loan_move!(self, loan_id, |n, id| n.cancel_loan(&id))
    }

    /// Borrower: confirms they received the item.
    pub async fn confirm_receipt(&self, loan_id: String) -> Result<Loan, PartageError> {
        loan_move!(self, loan_id, |n, id| n.confirm_receipt(&id))
    }

    /// Borrower: the item was given back.
    pub async fn mark_returned(&self, loan_id: String) -> Result<Loan, PartageError> {
        loan_move!(self, loan_id, |n, id| n.mark_returned(&id))
    }

    /// Borrower: asks to keep the item until `until`.
    pub async fn request_extension(&self, loan_id: String, until: Day) -> Result<Loan, PartageError> {
        loan_move!(self, loan_id, |n, id| n.request_extension(&id, until.as_str()))
    }

    pub async fn loan(&self, loan_id: String) -> Result<Loan, PartageError> {
        loan_move!(self, loan_id, |n, id| n.loan(&id))
    }

    /// Loans matching `filter`, derived for today, oldest request first.
    pub async fn loans(&self, filter: LoanFilter) -> Result<Vec<Loan>, PartageError> {
        let filter = partage::LoanFilter::try_from(filter)?;
        let n = self.core();
        Ok(blocking(move || n.loans(&filter)).await?.into_iter().map(Loan::from).collect())
    }

    /// Loans as they will be on `day`, e.g. for a calendar.
    pub async fn loans_on(&self, filter: LoanFilter, day: Day) -> Result<Vec<Loan>, PartageError> {
        let filter = partage::LoanFilter::try_from(filter)?;
        let n = self.core();
        Ok(blocking(move || n.loans_on(&filter, day.as_str())).await?.into_iter().map(Loan::from).collect())
    }

    /// What to remind this member of on `day` (`null`/`nil` for today).
    pub async fn reminders(&self, day: Option<Day>) -> Result<Vec<Reminder>, PartageError> {
        let n = self.core();
        Ok(blocking(move || n.reminders(day.as_ref().map(Day::as_str)))
            .await?
            .into_iter()
            .map(Reminder::from)
            .collect())
    }

    /// Lending history of a member in a neighbourhood.
    pub async fn trust(&self, neighbourhood_id: String, member_id: String) -> Result<Trust, PartageError> {
        let ns = parse_neighbourhood(&neighbourhood_id)?;
        let member = parse_member(&member_id)?;
        let n = self.core();
        blocking(move || n.trust(&ns, &member)).await.map(Trust::from)
    }
}
