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

/// Longest message on a loan move (a request, an answer, a condition note), in characters.
pub const MAX_MESSAGE_CHARS: usize = 1_000;

/// What the borrower has said about a loan (stored in the borrower's document).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BorrowerSide {
    /// The loan's id, bound to the borrower.
    pub id: LoanId,
    /// Binds `id` to the borrower (see `LoanId::new_bound`): a copy of someone else's loan id
    /// in another document is not read.
    pub id_nonce: crate::ids::IdNonce,
    /// The neighbourhood of the item.
    pub neighbourhood: NeighbourhoodId,
    /// Who borrows (whose document holds this side).
    pub borrower: MemberId,
    /// Who lends: the item's owner.
    pub lender: MemberId,
    /// The item.
    pub item: ItemId,
    /// First day asked for.
    pub from: Day,
    /// Last day asked for (before any extension).
    pub until: Day,
    /// The borrower's message with the request.
    pub message: String,
    /// When the borrower asked, in milliseconds since the Unix epoch.
    pub requested_at: u64,
    /// When the borrower cancelled, if they did (ms since the Unix epoch).
    pub cancelled_at: Option<u64>,
    /// When the borrower confirmed receiving the item (ms since the Unix epoch).
    pub received_at: Option<u64>,
    /// When the borrower marked the item as returned (ms since the Unix epoch).
    pub returned_at: Option<u64>,
    /// Extension requests: (sequence number, requested new last day).
    pub extensions: Vec<(u32, Day)>,
}

/// What the lender has said about a loan (stored in the lender's document).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LenderSide {
    /// When the lender accepted (ms since the Unix epoch).
    pub accepted_at: Option<u64>,
    /// When the lender declined (ms since the Unix epoch).
    pub declined_at: Option<u64>,
    /// The lender's message with the answer.
    pub answer_message: String,
    /// When the lender withdrew an accepted loan before handing the item over (ms since the Unix
    /// epoch).
    pub withdrawn_at: Option<u64>,
    /// The lender's reason for withdrawing.
    pub withdraw_reason: String,
    /// When the lender handed the item over (ms since the Unix epoch).
    pub handed_over_at: Option<u64>,
    /// When the lender confirmed the item came back (ms since the Unix epoch).
    pub return_confirmed_at: Option<u64>,
    /// The lender's note on the item's condition at its return.
    pub condition_note: String,
    /// When the lender reported the item as not returned (ms since the Unix epoch).
    pub disputed_at: Option<u64>,
    /// Answers to extension requests: (sequence number, accepted).
    pub extension_answers: Vec<(u32, bool)>,
}

/// The derived state of a loan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoanState {
    /// Asked for, not answered yet.
    Requested,
    /// Accepted by the lender, not handed over yet.
    Accepted,
    /// Declined by the lender (final).
    Declined,
    /// Cancelled by the borrower before the handover (final).
    Cancelled,
    /// Withdrawn by the lender after accepting, before the handover (final).
    Withdrawn,
    /// The item is with the borrower, within the loan's dates.
    HandedOver,
    /// The borrower marked the item as returned; the lender has not confirmed yet.
    Returned,
    /// The lender confirmed the return (final).
    Closed,
    /// Handed over, past the last day and not returned.
    Overdue,
}

impl LoanState {
    /// The stable snake_case name, the same as its serde form ("handed_over", ...).
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
    /// The loan's id.
    pub id: LoanId,
    /// The neighbourhood of the item.
    pub neighbourhood: NeighbourhoodId,
    /// The item.
    pub item: ItemId,
    /// The item's title, as last known here.
    pub item_title: String,
    /// Who lends.
    pub lender: MemberId,
    /// The lender's display name.
    pub lender_name: String,
    /// Who borrows.
    pub borrower: MemberId,
    /// The borrower's display name.
    pub borrower_name: String,
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day including accepted extensions, `YYYY-MM-DD`.
    pub until: String,
    /// The state derived from both sides and today's date.
    pub state: LoanState,
    /// Accepted concurrently with an overlapping loan of the same item; this one lost and
    /// does not hold the booking. The lender should withdraw one of them.
    pub conflict: bool,
    /// Requested for a period that is already booked: queued until the booking ends.
    pub waitlisted: bool,
    /// The borrower confirmed receiving the item after the lender handed it over.
    pub receipt_confirmed: bool,
    /// The lender reported the item as not returned after its last day, and it is still
    /// overdue or only marked returned by the borrower.
    pub disputed: bool,
    /// A pending extension request: the requested last day.
    pub pending_extension: Option<String>,
    /// The borrower's message with the request.
    pub message: String,
    /// The lender's message with the answer.
    pub answer_message: String,
    /// The lender's note on the item's condition at its return.
    pub condition_note: String,
    /// When the borrower asked, in milliseconds since the Unix epoch.
    pub requested_at: u64,
    /// When the lender accepted or declined.
    pub answered_at: Option<u64>,
    /// The first day as a [`Day`] (not serialized).
    #[serde(skip)]
    pub from_day: Day,
    /// The last day, extensions included, as a [`Day`] (not serialized).
    #[serde(skip)]
    pub until_day: Day,
}

/// Something an app may turn into a local notification. Derived from replicated dates and the
/// device clock; no server involved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reminder {
    /// An accepted loan starts today (for both parties).
    PickupToday {
        /// The loan.
        loan: LoanView,
    },
    /// A borrowed item is due back tomorrow (for both parties).
    DueTomorrow {
        /// The loan.
        loan: LoanView,
    },
    /// A borrowed item is past its last day and not returned (for both parties).
    Overdue {
        /// The loan.
        loan: LoanView,
    },
    /// Someone asked to borrow one of my items.
    NewRequest {
        /// The loan.
        loan: LoanView,
    },
    /// The lender answered my request (accepted or declined) in the last 7 days.
    RequestAnswered {
        /// The loan.
        loan: LoanView,
    },
    /// Two of my devices accepted overlapping loans of one item: withdraw one.
    Conflict {
        /// The loan.
        loan: LoanView,
    },
}

/// Lending history of one member, from loans both parties signed their part of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trust {
    /// The member.
    pub member: MemberId,
    /// Closed loans in which this member lent.
    pub completed_as_lender: u32,
    /// Closed loans in which this member borrowed.
    pub completed_as_borrower: u32,
    /// Borrowed items whose return the lender confirmed on or before the last day.
    pub on_time_returns: u32,
}
