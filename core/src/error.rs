//! The library's error type. Every message is written for the person holding the phone:
//! it says what is wrong and, where it helps, what to do about it.

use crate::clock::format_date;
use crate::ids::{ItemId, MemberId, NeighbourhoodId};

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in Partage, grouped so callers (and the FFI layer) can branch on kind.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    #[error("{0}")]
    Ticket(#[from] TicketError),
    #[error("{0}")]
    Membership(#[from] ChainError),
    #[error("{0}")]
    Rejected(#[from] VerifyError),
    #[error("{0}")]
    Loan(#[from] LoanError),
    /// A sync file (or QR code) that cannot be read or written.
    #[error("{0}")]
    SyncFile(#[from] crate::sync::EnvelopeError),
    #[error("no identity in this data directory yet: run `partage init --name NAME` first")]
    NoIdentity,
    #[error("this data directory already has an identity ({name})")]
    AlreadyInitialised { name: String },
    #[error("unknown neighbourhood {}", .0.short())]
    UnknownNeighbourhood(NeighbourhoodId),
    #[error("you are already a member of neighbourhood \"{name}\"")]
    AlreadyMember { name: String },
    #[error("only an admin of \"{name}\" can do this")]
    NotAdmin { name: String },
    #[error("unknown item {}", .0.short())]
    UnknownItem(ItemId),
    #[error("item {} belongs to another member ({owner_name})", .item.short())]
    NotYourItem { item: ItemId, owner: MemberId, owner_name: String },
    #[error("import needs an empty data directory, but this one already has data")]
    StoreNotEmpty,
    #[error("the export file is not usable: {0}")]
    CorruptExport(String),
    #[error("could not read or write {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("storage error: {0}")]
    Storage(String),
    #[error(
        "the local store was written by a newer version of Partage (schema {found}, this build knows up to {supported})"
    )]
    SchemaTooNew { found: u32, supported: u32 },
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("the system random number generator failed: {0}")]
    Random(String),
}

/// Rejections of user input, before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("{field} is empty")]
    Empty { field: &'static str },
    #[error("{field} is too long ({len} characters, at most {max})")]
    TooLong { field: &'static str, len: usize, max: usize },
    #[error("too many {field} ({count}, at most {max})")]
    TooMany { field: &'static str, count: usize, max: usize },
    #[error("unknown category \"{0}\" (use one of: {list})", list = crate::model::Category::names().join(", "))]
    UnknownCategory(String),
    #[error("unknown condition \"{0}\" (use one of: new, good, fair, worn)")]
    UnknownCondition(String),
    #[error("maximum loan length must be between 1 and 365 days, not {0}")]
    LoanDays(u32),
    #[error("\"{0}\" is not a valid id")]
    BadId(String),
    #[error("photo reference \"{0}\" is not a 64-character hex content hash")]
    BadPhotoRef(String),
    #[error("expiry must be between 1 and 365 days, not {0}")]
    ExpiryDays(u32),
    #[error("this device cannot revoke itself; revoke it from another device of yours")]
    RevokeOwnDevice,
    #[error("an invite must admit between 1 and {max} people, not {0}", max = crate::admission::MAX_INVITE_USES)]
    InviteUses(u32),
    #[error("{}", describe_rows(.0))]
    Rows(Vec<RowError>),
    #[error("too many items at once ({count}, at most {max}): split the file")]
    BatchTooLarge { count: usize, max: usize },
}

/// One refused entry of a batch (see `Node::add_items`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Position in the batch, from 0.
    pub index: usize,
    pub error: ValidationError,
}

/// Rows shown in the message at most (all of them are in the error itself).
const ROWS_SHOWN: usize = 5;

fn describe_rows(rows: &[RowError]) -> String {
    let shown: Vec<String> =
        rows.iter().take(ROWS_SHOWN).map(|r| format!("item {}: {}", r.index + 1, r.error)).collect();
    let more = rows.len().saturating_sub(ROWS_SHOWN);
    let tail = if more > 0 { format!("; and {more} more") } else { String::new() };
    format!("{} item(s) are invalid, nothing was added: {}{tail}", rows.len(), shown.join("; "))
}

/// Why an invite ticket cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    #[error("this is not a Partage ticket (it should start with \"partage1\")")]
    WrongPrefix,
    #[error("this ticket is from an unsupported version ({0}); update Partage")]
    UnsupportedVersion(String),
    #[error("this ticket is damaged or incomplete (was it copied in full?)")]
    Damaged,
    #[error("this ticket has been tampered with: {0}")]
    Tampered(&'static str),
    #[error("this ticket expired on {}", format_date(*.expired_at_ms))]
    Expired { expired_at_ms: u64 },
}

/// Every way a membership certificate chain can be wrong. Pure data: see `membership::verify_chain`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("membership proof is empty")]
    Empty,
    #[error("membership proof is too long ({0} certificates)")]
    TooLong(usize),
    #[error("membership proof does not start at this neighbourhood's root")]
    WrongRoot,
    #[error("membership proof is for another neighbourhood")]
    WrongNeighbourhood,
    #[error("membership proof is broken: certificate {0} is not issued by the previous one")]
    BrokenLink(usize),
    #[error("membership proof has a bad signature on certificate {0}")]
    BadSignature(usize),
    #[error("membership proof is malformed: {0}")]
    Malformed(&'static str),
    #[error("the invite used to join expired on {}", format_date(*.0))]
    InviteExpired(u64),
    #[error("membership was revoked by an admin")]
    Revoked,
    #[error(
        "waiting for a member to confirm this membership (a member must see the ticket while it is valid)"
    )]
    NotConfirmed,
    #[error("this invite was already used by as many people as it allows ({uses}); ask for a new one")]
    InviteUsedUp { uses: u32 },
    #[error("this invite was closed by an admin; ask for a new one")]
    InviteClosed,
    #[error("membership proof is for member {}, not {}", .found.short(), .expected.short())]
    WrongMember { expected: MemberId, found: MemberId },
}

/// Why a lending move cannot be made. Nothing is written when one of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoanError {
    #[error("unknown loan {}", .0.short())]
    UnknownLoan(crate::ids::LoanId),
    #[error("\"{0}\" is not a date (use YYYY-MM-DD, e.g. 2026-12-01)")]
    BadDate(String),
    #[error("the loan ends ({until}) before it starts ({from})")]
    DatesReversed { from: String, until: String },
    #[error("the loan cannot start in the past ({from})")]
    StartsInPast { from: String },
    #[error("{days} days is longer than the {max} days the owner lends \"{title}\" for")]
    TooLong { days: i64, max: u32, title: String },
    #[error("you cannot borrow your own item")]
    OwnItem,
    #[error("\"{title}\" is paused by its owner and cannot be requested")]
    ItemPaused { title: String },
    #[error("\"{title}\" is already booked from {from} to {until}")]
    AlreadyBooked { title: String, from: String, until: String },
    #[error("only the {role} ({name}) can {action} this loan")]
    NotYourMove { role: &'static str, name: String, action: &'static str },
    #[error("cannot {action} a loan that is {state}")]
    NotNow { action: &'static str, state: crate::loan::LoanState },
    #[error("the new last day ({until}) must be after the current one ({current})")]
    ExtensionNotLater { until: String, current: String },
    #[error("there is no extension request to answer")]
    NoPendingExtension,
    #[error("the lender can report the item as not returned only after its last day ({until})")]
    NotYetDue { until: String },
    #[error("message is too long ({len} characters, at most {max})")]
    MessageTooLong { len: usize, max: usize },
}

/// Why a change from outside (another replica, a backup) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("change {0} is not signed by any device of the document's owner")]
    Unsigned(String),
    #[error("signature on change {0} does not verify")]
    BadSignature(String),
    #[error("device certificate is not signed by the document's owner")]
    ForeignDevice,
    #[error("change {change} is signed by device {device}, which its owner revoked")]
    RevokedDevice { change: String, device: String },
    #[error("owner of the document is not a member: {0}")]
    NotMember(ChainError),
    #[error("the data is not a valid document: {0}")]
    Malformed(String),
    #[error("the message is too large ({size} bytes, at most {max})")]
    TooLarge { size: usize, max: usize },
    #[error("the document contains invalid data: {0}")]
    InvalidContent(String),
    #[error("the document would inflate to more than {max} bytes (a compression bomb?)")]
    InflatesTooMuch { max: usize },
    #[error("the document has {heads} concurrent versions, more than the {max} a document may have")]
    TooManyHeads { heads: usize, max: usize },
    #[error("the document carries too many {what} (at most {max})")]
    TooMany { what: &'static str, max: usize },
}

impl From<redb::Error> for Error {
    fn from(e: redb::Error) -> Self {
        Error::Storage(e.to_string())
    }
}

macro_rules! storage_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self { Error::from(redb::Error::from(e)) }
        }
    )*};
}
storage_from!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

impl Error {
    /// A document refused because its owner's membership does not stand here (revoked, not yet
    /// confirmed, or admitted beyond an invite's uses), not because anything in it is forged:
    /// whoever passes it on may simply not know that yet.
    pub fn owner_not_standing(&self) -> bool {
        matches!(
            self,
            Error::Rejected(VerifyError::NotMember(
                ChainError::Revoked
                    | ChainError::NotConfirmed
                    | ChainError::InviteUsedUp { .. }
                    | ChainError::InviteClosed
                    | ChainError::InviteExpired(_)
            ))
        )
    }

    /// A stable, short name for the error kind, used by the FFI layer and `--json` output.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "invalid_input",
            Error::Ticket(_) => "bad_ticket",
            Error::Membership(_) => "not_member",
            Error::Rejected(_) => "rejected",
            Error::Loan(LoanError::UnknownLoan(_)) => "unknown_loan",
            Error::Loan(LoanError::NotYourMove { .. }) => "not_allowed",
            Error::Loan(_) => "invalid_loan",
            Error::SyncFile(crate::sync::EnvelopeError::Encode { .. }) => "internal",
            Error::SyncFile(_) => "rejected",
            Error::NoIdentity => "no_identity",
            Error::AlreadyInitialised { .. } => "already_initialised",
            Error::UnknownNeighbourhood(_) => "unknown_neighbourhood",
            Error::AlreadyMember { .. } => "already_member",
            Error::NotAdmin { .. } => "not_admin",
            Error::UnknownItem(_) => "unknown_item",
            Error::NotYourItem { .. } => "not_owner",
            Error::StoreNotEmpty => "store_not_empty",
            Error::CorruptExport(_) => "corrupt_export",
            Error::Io { .. } => "io",
            Error::Storage(_) | Error::SchemaTooNew { .. } | Error::Corrupt(_) => "storage",
            Error::Random(_) => "internal",
        }
    }
}
