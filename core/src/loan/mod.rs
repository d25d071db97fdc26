//! The lending workflow as a replicated state machine.
//!
//! A loan is two records: the borrower's side lives in the borrower's document, the lender's side
//! in the lender's. Each side only ever *adds* facts (timestamps that are set once). The loan's
//! state is a pure function of both sides and the date ([`derive`](mod@derive)), computed for all loans of
//! an item together so that bookings, conflicts and the waitlist come out the same on every
//! replica whatever order the changes arrived in. See `docs/adr/0005-loan-derivation.md`.

pub mod check;
pub mod derive;
pub mod doc;
mod fields;
pub mod store;

use crate::clock::Day;
use crate::ids::{ItemId, LoanId, MemberId, NeighbourhoodId};
use serde::{Deserialize, Serialize};

pub const MAX_MESSAGE_CHARS: usize = 1_000;

/// What the borrower has said about a loan (stored in the borrower's document).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BorrowerSide {
    pub id: LoanId,
    /// Binds `id` to the borrower (see `LoanId::new_bound`): a copy of someone else's loan id
    /// in another document is not read.
    pub id_nonce: crate::ids::IdNonce,
    pub neighbourhood: NeighbourhoodId,
    pub borrower: MemberId,
    pub lender: MemberId,
    pub item: ItemId,
    pub from: Day,
    pub until: Day,
    pub message: String,
    pub requested_at: u64,
    pub cancelled_at: Option<u64>,
    pub received_at: Option<u64>,
    pub returned_at: Option<u64>,
    /// Extension requests: (sequence number, requested new last day).
    pub extensions: Vec<(u32, Day)>,
}

/// What the lender has said about a loan (stored in the lender's document).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LenderSide {
    pub accepted_at: Option<u64>,
    pub declined_at: Option<u64>,
    pub answer_message: String,
    pub withdrawn_at: Option<u64>,
    pub withdraw_reason: String,
    pub handed_over_at: Option<u64>,
    pub return_confirmed_at: Option<u64>,
    pub condition_note: String,
    pub disputed_at: Option<u64>,
    /// Answers to extension requests: (sequence number, accepted).
    pub extension_answers: Vec<(u32, bool)>,
}

/// The derived state of a loan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

impl LoanState {
    pub fn as_str(self) -> &'static str {
        match self {
            LoanState::Requested => "requested",
            LoanState::Accepted => "accepted",
            LoanState::Declined => "declined",
            LoanState::Cancelled => "cancelled",
            LoanState::Withdrawn => "withdrawn",
            LoanState::HandedOver => "handed_over",
            LoanState::Returned => "returned",
            LoanState::Closed => "closed",
            LoanState::Overdue => "overdue",
        }
    }

    /// No further moves are possible.
    pub fn is_final(self) -> bool {
        matches!(self, LoanState::Declined | LoanState::Cancelled | LoanState::Withdrawn | LoanState::Closed)
    }

    /// The item is out (or promised) for this loan's period.
    pub fn books_item(self) -> bool {
        matches!(self, LoanState::Accepted | LoanState::HandedOver | LoanState::Overdue)
    }
}

impl std::fmt::Display for LoanState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A loan as shown to a user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanView {
    pub id: LoanId,
    pub neighbourhood: NeighbourhoodId,
    pub item: ItemId,
    pub item_title: String,
    pub lender: MemberId,
    pub lender_name: String,
    pub borrower: MemberId,
    pub borrower_name: String,
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day including accepted extensions, `YYYY-MM-DD`.
    pub until: String,
    pub state: LoanState,
    /// Accepted concurrently with an overlapping loan of the same item; this one lost and
    /// does not hold the booking. The lender should withdraw one of them.
    pub conflict: bool,
    /// Requested for a period that is already booked: queued until the booking ends.
    pub waitlisted: bool,
    pub receipt_confirmed: bool,
    pub disputed: bool,
    /// A pending extension request: the requested last day.
    pub pending_extension: Option<String>,
    pub message: String,
    pub answer_message: String,
    pub condition_note: String,
    pub requested_at: u64,
    /// When the lender accepted or declined.
    pub answered_at: Option<u64>,
    #[serde(skip)]
    pub from_day: Day,
    #[serde(skip)]
    pub until_day: Day,
}

/// Something an app may turn into a local notification. Derived from replicated dates and the
/// device clock; no server involved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reminder {
    /// An accepted loan starts today (for both parties).
    PickupToday { loan: LoanView },
    /// A borrowed item is due back tomorrow (for both parties).
    DueTomorrow { loan: LoanView },
    /// A borrowed item is past its last day and not returned (for both parties).
    Overdue { loan: LoanView },
    /// Someone asked to borrow one of my items.
    NewRequest { loan: LoanView },
    /// The lender answered my request (accepted or declined) in the last 7 days.
    RequestAnswered { loan: LoanView },
    /// Two of my devices accepted overlapping loans of one item: withdraw one.
    Conflict { loan: LoanView },
}

/// Lending history of one member, from loans both parties signed their part of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trust {
    pub member: MemberId,
    pub completed_as_lender: u32,
    pub completed_as_borrower: u32,
    /// Borrowed items whose return the lender confirmed on or before the last day.
    pub on_time_returns: u32,
}
