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
    /// Apps say how to create one in their own words (the CLI: `partage init --name NAME`).
    #[error("no identity in this data directory yet: create one first")]
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
    /// An encrypted export was imported without a passphrase (kind `invalid_input`: ask for it).
    #[error("this export is encrypted: give its passphrase")]
    PassphraseRequired,
    /// Decryption failed. The cipher cannot tell a wrong passphrase from a damaged file
    /// (kind `corrupt_export`). Nothing was written.
    #[error("wrong passphrase, or the file was damaged")]
    WrongPassphrase,
    /// A data-only export was given to import (kind `corrupt_export`).
    #[error(
        "this file is a data-only export (your data, without your keys): it is not a backup and cannot be imported"
    )]
    DataOnlyNotABackup,
    /// An encrypted export whose key derivation would cost more than the bounds allow (kind
    /// `corrupt_export`); refused before deriving anything.
    #[error("the export file asks for {0} to unlock, more than Partage allows (a damaged or hostile file?)")]
    UnlockTooCostly(String),
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
    #[error(
        "this device was linked to your identity and holds no member key: do this on the device you linked it from"
    )]
    NoMemberKey,
    #[error("{0}")]
    Link(#[from] LinkError),
    #[error("{0}")]
    Photo(#[from] crate::photo::PhotoError),
}

/// Why linking a new device to an identity failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this is not a Partage device link code (it should start with \"partagelink1\")")]
    WrongPrefix,
    #[error("this device link code is damaged or incomplete (was it copied in full?)")]
    Damaged,
    #[error("this device link code expired on {}: show a new one on your other device", format_date(*.expired_at_ms))]
    Expired { expired_at_ms: u64 },
    #[error("no device link is waiting on this device (it expired or was used): show a new code")]
    NotOffered,
    #[error("this device is already one of yours")]
    AlreadyLinked,
    #[error("this device was revoked and cannot be linked again")]
    DeviceRevoked,
    #[error("linking needs a new, empty data directory on the device being linked")]
    NotEmpty,
    #[error("the other device refused the link: {0}")]
    Refused(String),
    #[error("the other device sent a link for another identity or another device")]
    Mismatch,
    #[error("what the other device sent does not verify: {0}")]
    BadGrant(String),
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
    #[error("photo reference \"{0}\" is not two 64-character hex hashes joined by a dot")]
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
    #[error("key derivation parameters out of bounds: {0}")]
    KdfParams(String),
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
    #[error("this is not a Partage ticket (it should start with \"partage2\")")]
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
    #[error("this member left the neighbourhood")]
    Departed,
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
    #[error(
        "an older version of the document (epoch {epoch}; this device has epoch {here}): its owner rebased it since"
    )]
    OlderEpoch { epoch: u64, here: u64 },
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
    /// confirmed, or admitted beyond an invite's uses), or because the owner rebased it since
    /// (an older epoch, which honest peers still hold until they meet the new one), not because
    /// anything in it is forged:
    /// whoever passes it on may simply not know that yet.
    pub fn owner_not_standing(&self) -> bool {
        matches!(
            self,
            Error::Rejected(
                VerifyError::NotMember(
                    ChainError::Revoked
                        | ChainError::Departed
                        | ChainError::NotConfirmed
                        | ChainError::InviteUsedUp { .. }
                        | ChainError::InviteClosed
                        | ChainError::InviteExpired(_)
                ) | VerifyError::OlderEpoch { .. }
            )
        )
    }

    /// The kind of this error, to branch on (the FFI layer and `--json` output use its name).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Invalid(_) => ErrorKind::InvalidInput,
            Error::Ticket(_) => ErrorKind::BadTicket,
            Error::Membership(_) => ErrorKind::NotMember,
            Error::Rejected(_) => ErrorKind::Rejected,
            Error::Loan(LoanError::UnknownLoan(_)) => ErrorKind::UnknownLoan,
            Error::Loan(LoanError::NotYourMove { .. }) => ErrorKind::NotAllowed,
            Error::Loan(_) => ErrorKind::InvalidLoan,
            Error::SyncFile(crate::sync::EnvelopeError::Encode { .. }) => ErrorKind::Internal,
            Error::SyncFile(_) => ErrorKind::Rejected,
            Error::NoIdentity => ErrorKind::NoIdentity,
            Error::AlreadyInitialised { .. } => ErrorKind::AlreadyInitialised,
            Error::UnknownNeighbourhood(_) => ErrorKind::UnknownNeighbourhood,
            Error::AlreadyMember { .. } => ErrorKind::AlreadyMember,
            Error::NotAdmin { .. } => ErrorKind::NotAdmin,
            Error::UnknownItem(_) => ErrorKind::UnknownItem,
            Error::NotYourItem { .. } => ErrorKind::NotOwner,
            Error::StoreNotEmpty => ErrorKind::StoreNotEmpty,
            Error::CorruptExport(_) => ErrorKind::CorruptExport,
            // Mapped onto existing kinds (docs/adr/0012-encrypted-exports.md): a missing
            // passphrase is missing input; the others are a file that cannot be restored.
            Error::PassphraseRequired => ErrorKind::InvalidInput,
            Error::WrongPassphrase | Error::DataOnlyNotABackup | Error::UnlockTooCostly(_) => {
                ErrorKind::CorruptExport
            }
            Error::Io { .. } => ErrorKind::Io,
            Error::Storage(_) | Error::SchemaTooNew { .. } | Error::Corrupt(_) => ErrorKind::Storage,
            Error::Random(_) => ErrorKind::Internal,
            Error::NoMemberKey => ErrorKind::NotAllowed,
            Error::Link(LinkError::WrongPrefix | LinkError::Damaged | LinkError::Expired { .. }) => {
                ErrorKind::BadTicket
            }
            Error::Link(LinkError::NotEmpty) => ErrorKind::StoreNotEmpty,
            Error::Link(LinkError::Mismatch | LinkError::BadGrant(_)) => ErrorKind::Rejected,
            Error::Link(_) => ErrorKind::NotAllowed,
            Error::Photo(p) => crate::photo::PhotoError::kind(p),
        }
    }
}

/// The one taxonomy of failures, shared by the core, the network layer (`partage-net`) and the
/// FFI (where each kind is one exception class / error case). Its names (`as_str`, and serde)
/// are stable: they appear in `--json` output and are what apps and scripts branch on.
///
/// Adding a kind is a breaking change on purpose: every exhaustive match over it (in Rust, and
/// the `when`/`switch` of the Kotlin and Swift tests) stops compiling until it is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Rejected user input (empty title, bad id, out-of-range number). Nothing was written.
    InvalidInput,
    /// An invite ticket or device link code that cannot be used (damaged, tampered with, expired).
    BadTicket,
    /// A membership proof failed.
    NotMember,
    /// Data from another device or a backup was refused (bad signature, not a member, ...).
    Rejected,
    /// No loan with that id is known here.
    UnknownLoan,
    /// A move this member or device may not make (only the lender can accept, a linked device
    /// cannot revoke devices, a device link that was not offered, ...).
    NotAllowed,
    /// A lending move that the loan's state or dates do not allow (bad date, already booked, ...).
    InvalidLoan,
    /// The data directory has no identity yet.
    NoIdentity,
    AlreadyInitialised,
    UnknownNeighbourhood,
    AlreadyMember,
    NotAdmin,
    UnknownItem,
    /// The item (or loan side) belongs to another member.
    NotOwner,
    StoreNotEmpty,
    CorruptExport,
    Io,
    /// The network could not listen, dial or start (`partage-net`).
    Network,
    /// The network is paused: resume it first (`partage-net`).
    Paused,
    /// The network is not started, or was stopped (`partage-net`).
    Stopped,
    /// The network is busy: try again (`partage-net`).
    Busy,
    /// The local store failed or is damaged.
    Storage,
    /// A bug or an environment failure (no random numbers, no threads).
    Internal,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 23] = [
        ErrorKind::InvalidInput,
        ErrorKind::BadTicket,
        ErrorKind::NotMember,
        ErrorKind::Rejected,
        ErrorKind::UnknownLoan,
        ErrorKind::NotAllowed,
        ErrorKind::InvalidLoan,
        ErrorKind::NoIdentity,
        ErrorKind::AlreadyInitialised,
        ErrorKind::UnknownNeighbourhood,
        ErrorKind::AlreadyMember,
        ErrorKind::NotAdmin,
        ErrorKind::UnknownItem,
        ErrorKind::NotOwner,
        ErrorKind::StoreNotEmpty,
        ErrorKind::CorruptExport,
        ErrorKind::Io,
        ErrorKind::Network,
        ErrorKind::Paused,
        ErrorKind::Stopped,
        ErrorKind::Busy,
        ErrorKind::Storage,
        ErrorKind::Internal,
    ];

    /// The stable short name ("invalid_input", "bad_ticket", ...): the same as its serde form.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::BadTicket => "bad_ticket",
            ErrorKind::NotMember => "not_member",
            ErrorKind::Rejected => "rejected",
            ErrorKind::UnknownLoan => "unknown_loan",
            ErrorKind::NotAllowed => "not_allowed",
            ErrorKind::InvalidLoan => "invalid_loan",
            ErrorKind::NoIdentity => "no_identity",
            ErrorKind::AlreadyInitialised => "already_initialised",
            ErrorKind::UnknownNeighbourhood => "unknown_neighbourhood",
            ErrorKind::AlreadyMember => "already_member",
            ErrorKind::NotAdmin => "not_admin",
            ErrorKind::UnknownItem => "unknown_item",
            ErrorKind::NotOwner => "not_owner",
            ErrorKind::StoreNotEmpty => "store_not_empty",
            ErrorKind::CorruptExport => "corrupt_export",
            ErrorKind::Io => "io",
            ErrorKind::Network => "network",
            ErrorKind::Paused => "paused",
            ErrorKind::Stopped => "stopped",
            ErrorKind::Busy => "busy",
            ErrorKind::Storage => "storage",
            ErrorKind::Internal => "internal",
        }
    }

    /// The kind named `name` (an `as_str` value), if there is one.
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod kind_tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_kind_has_a_distinct_name_that_round_trips_through_serde() {
        let names: HashSet<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), ErrorKind::ALL.len());
        let distinct: HashSet<ErrorKind> = ErrorKind::ALL.into_iter().collect();
        assert_eq!(distinct.len(), ErrorKind::ALL.len());
        for kind in ErrorKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<ErrorKind>(&json).unwrap(), kind);
            assert_eq!(ErrorKind::from_name(kind.as_str()), Some(kind));
            assert_eq!(kind.to_string(), kind.as_str());
        }
        assert_eq!(ErrorKind::from_name("teleport_failed"), None);
    }

    #[test]
    fn all_lists_every_kind_once_in_declaration_order() {
        // An exhaustive match: a new kind fails to compile here until it is added to ALL.
        fn position(kind: ErrorKind) -> usize {
            match kind {
                ErrorKind::InvalidInput => 0,
                ErrorKind::BadTicket => 1,
                ErrorKind::NotMember => 2,
                ErrorKind::Rejected => 3,
                ErrorKind::UnknownLoan => 4,
                ErrorKind::NotAllowed => 5,
                ErrorKind::InvalidLoan => 6,
                ErrorKind::NoIdentity => 7,
                ErrorKind::AlreadyInitialised => 8,
                ErrorKind::UnknownNeighbourhood => 9,
                ErrorKind::AlreadyMember => 10,
                ErrorKind::NotAdmin => 11,
                ErrorKind::UnknownItem => 12,
                ErrorKind::NotOwner => 13,
                ErrorKind::StoreNotEmpty => 14,
                ErrorKind::CorruptExport => 15,
                ErrorKind::Io => 16,
                ErrorKind::Network => 17,
                ErrorKind::Paused => 18,
                ErrorKind::Stopped => 19,
                ErrorKind::Busy => 20,
                ErrorKind::Storage => 21,
                ErrorKind::Internal => 22,
            }
        }
        for (i, kind) in ErrorKind::ALL.into_iter().enumerate() {
            assert_eq!(position(kind), i);
            assert_eq!(kind as usize, i);
        }
    }

    #[test]
    fn core_errors_have_their_kinds() {
        assert_eq!(Error::NoIdentity.kind(), ErrorKind::NoIdentity);
        assert_eq!(Error::from(TicketError::Damaged).kind().as_str(), "bad_ticket");
        assert_eq!(Error::from(ValidationError::Empty { field: "title" }).kind(), ErrorKind::InvalidInput);
        assert_eq!(Error::PassphraseRequired.kind(), ErrorKind::InvalidInput);
        assert_eq!(Error::WrongPassphrase.kind(), ErrorKind::CorruptExport);
        assert_eq!(Error::DataOnlyNotABackup.kind(), ErrorKind::CorruptExport);
        assert_eq!(Error::UnlockTooCostly("4096 MiB of memory".into()).kind(), ErrorKind::CorruptExport);
        assert_eq!(Error::PassphraseRequired.to_string(), "this export is encrypted: give its passphrase");
        assert_eq!(Error::WrongPassphrase.to_string(), "wrong passphrase, or the file was damaged");
    }
}
