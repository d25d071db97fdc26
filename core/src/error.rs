//! The library's error type. Every message is written for the person holding the phone:
//! it says what is wrong and, where it helps, what to do about it.

use crate::clock::format_date;
use crate::ids::{ItemId, MemberId, NeighbourhoodId};

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in Partage, grouped so callers (and the FFI layer) can branch on kind.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// User input was refused before anything was written.
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    /// An invite ticket cannot be used.
    #[error("{0}")]
    Ticket(#[from] TicketError),
    /// A membership proof does not hold.
    #[error("{0}")]
    Membership(#[from] ChainError),
    /// Data from another device or a backup was refused.
    #[error("{0}")]
    Rejected(#[from] VerifyError),
    /// A lending move cannot be made.
    #[error("{0}")]
    Loan(#[from] LoanError),
    /// A sync file (or QR code) that cannot be read or written.
    #[error("{0}")]
    SyncFile(#[from] crate::sync::EnvelopeError),
    /// Apps say how to create one in their own words (the CLI: `partage init --name NAME`).
    #[error("no identity in this data directory yet: create one first")]
    NoIdentity,
    /// The data directory already has an identity; `init` works once only.
    #[error("this data directory already has an identity ({name})")]
    AlreadyInitialised {
        /// The display name of the existing identity.
        name: String,
    },
    /// This node is not a member of that neighbourhood (or never heard of it).
    #[error("unknown neighbourhood {}", .0.short())]
    UnknownNeighbourhood(NeighbourhoodId),
    /// Joining a neighbourhood this identity is already a member of.
    #[error("you are already a member of neighbourhood \"{name}\"")]
    AlreadyMember {
        /// The neighbourhood's name.
        name: String,
    },
    /// An admin-only action (revoking a member) on a device that does not hold the
    /// neighbourhood's root key.
    #[error("only an admin of \"{name}\" can do this")]
    NotAdmin {
        /// The neighbourhood's name.
        name: String,
    },
    /// No item with that id is known here.
    #[error("unknown item {}", .0.short())]
    UnknownItem(ItemId),
    /// Changing or removing an item that belongs to another member.
    #[error("item {} belongs to another member ({owner_name})", .item.short())]
    NotYourItem {
        /// The item.
        item: ItemId,
        /// Its owner.
        owner: MemberId,
        /// Its owner's display name.
        owner_name: String,
    },
    /// Importing an export into a data directory that already holds data.
    #[error("import needs an empty data directory, but this one already has data")]
    StoreNotEmpty,
    /// An export file that cannot be read or restored (the reason is in the message).
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
    /// A file or directory could not be read or written.
    #[error("could not read or write {path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// What the operating system reported.
        source: std::io::Error,
    },
    /// The redb store failed (or the node's state is poisoned by an earlier panic: reopen the
    /// data directory).
    #[error("storage error: {0}")]
    Storage(String),
    #[error(
        "the local store was written by a newer version of Partage (schema {found}, this build knows up to {supported})"
    )]
    /// The store was written by a newer version of Partage; this build does not open it.
    SchemaTooNew {
        /// The store's schema version.
        found: u32,
        /// The newest schema version this build reads.
        supported: u32,
    },
    /// Stored data that does not read back as written.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed: {0}")]
    Random(String),
    #[error(
        "this device was linked to your identity and holds no member key: do this on the device you linked it from"
    )]
    /// The action needs the member key, which a linked device does not hold (revoking devices,
    /// for one).
    NoMemberKey,
    /// Linking a new device to an identity failed.
    #[error("{0}")]
    Link(#[from] LinkError),
    /// A photo cannot be added, stored or fetched.
    #[error("{0}")]
    Photo(#[from] crate::photo::PhotoError),
}

/// Why linking a new device to an identity failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The text does not start with `partagelink1`.
    #[error("this is not a Partage device link code (it should start with \"partagelink1\")")]
    WrongPrefix,
    /// The code does not decode (truncated or mistyped).
    #[error("this device link code is damaged or incomplete (was it copied in full?)")]
    Damaged,
    /// The code is past its expiry.
    #[error("this device link code expired on {}: show a new one on your other device", format_date(*.expired_at_ms))]
    Expired {
        /// When it expired, in milliseconds since the Unix epoch.
        expired_at_ms: u64,
    },
    /// This device shows no link code now (it expired or was used).
    #[error("no device link is waiting on this device (it expired or was used): show a new code")]
    NotOffered,
    /// The device scanning the code is already a device of this identity.
    #[error("this device is already one of yours")]
    AlreadyLinked,
    /// The device was revoked; it cannot be linked again.
    #[error("this device was revoked and cannot be linked again")]
    DeviceRevoked,
    /// The device being linked already has data in its data directory.
    #[error("linking needs a new, empty data directory on the device being linked")]
    NotEmpty,
    /// The other device refused the link (its reason is in the message).
    #[error("the other device refused the link: {0}")]
    Refused(String),
    /// The other device sent a grant for another identity or another device.
    #[error("the other device sent a link for another identity or another device")]
    Mismatch,
    /// What the other device sent does not verify.
    #[error("what the other device sent does not verify: {0}")]
    BadGrant(String),
}

/// Rejections of user input, before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// A required field is empty.
    #[error("{field} is empty")]
    Empty {
        /// The field's name.
        field: &'static str,
    },
    /// A text field is longer than allowed (lengths in characters).
    #[error("{field} is too long ({len} characters, at most {max})")]
    TooLong {
        /// The field's name.
        field: &'static str,
        /// Its length, in characters.
        len: usize,
        /// The most allowed, in characters.
        max: usize,
    },
    /// A list field has more entries than allowed (tags, photos, ...).
    #[error("too many {field} ({count}, at most {max})")]
    TooMany {
        /// The field's name.
        field: &'static str,
        /// How many entries were given.
        count: usize,
        /// The most allowed.
        max: usize,
    },
    /// A category name that is not one of [`crate::model::Category::names`].
    #[error("unknown category \"{0}\" (use one of: {list})", list = crate::model::Category::names().join(", "))]
    UnknownCategory(String),
    /// A condition name other than new, good, fair or worn.
    #[error("unknown condition \"{0}\" (use one of: new, good, fair, worn)")]
    UnknownCondition(String),
    /// A maximum loan length outside 1 to 365 days.
    #[error("maximum loan length must be between 1 and 365 days, not {0}")]
    LoanDays(u32),
    /// Text that is not a valid id.
    #[error("\"{0}\" is not a valid id")]
    BadId(String),
    /// Text that is not a photo reference (two 64-character hex hashes joined by a dot).
    #[error("photo reference \"{0}\" is not two 64-character hex hashes joined by a dot")]
    BadPhotoRef(String),
    /// An invite expiry outside 1 to 365 days.
    #[error("expiry must be between 1 and 365 days, not {0}")]
    ExpiryDays(u32),
    /// A device asked to revoke itself; another device of the member must do it.
    #[error("this device cannot revoke itself; revoke it from another device of yours")]
    RevokeOwnDevice,
    /// An invite that admits no one or more than [`crate::admission::MAX_INVITE_USES`] people.
    #[error("an invite must admit between 1 and {max} people, not {0}", max = crate::admission::MAX_INVITE_USES)]
    InviteUses(u32),
    /// Entries of a batch that are invalid (every one of them); nothing of the batch was added.
    #[error("{}", describe_rows(.0))]
    Rows(Vec<RowError>),
    /// A batch with more entries than one call takes.
    #[error("too many items at once ({count}, at most {max}): split the file")]
    BatchTooLarge {
        /// How many entries were given.
        count: usize,
        /// The most one batch may hold.
        max: usize,
    },
    /// Key derivation parameters outside the allowed bounds.
    #[error("key derivation parameters out of bounds: {0}")]
    KdfParams(String),
}

/// One refused entry of a batch (see `Node::add_items`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Position in the batch, from 0.
    pub index: usize,
    /// Why it was refused.
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
    /// The text does not start with `partage2`.
    #[error("this is not a Partage ticket (it should start with \"partage2\")")]
    WrongPrefix,
    /// A ticket from a version this build does not read.
    #[error("this ticket is from an unsupported version ({0}); update Partage")]
    UnsupportedVersion(String),
    /// The ticket does not decode (truncated or mistyped).
    #[error("this ticket is damaged or incomplete (was it copied in full?)")]
    Damaged,
    /// The ticket decodes but its signature or contents do not hold.
    #[error("this ticket has been tampered with: {0}")]
    Tampered(&'static str),
    /// The ticket is past its expiry.
    #[error("this ticket expired on {}", format_date(*.expired_at_ms))]
    Expired {
        /// When it expired, in milliseconds since the Unix epoch.
        expired_at_ms: u64,
    },
}

/// Every way a membership certificate chain can be wrong. Pure data: see `membership::verify_chain`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The proof holds no certificate.
    #[error("membership proof is empty")]
    Empty,
    /// The proof holds more certificates than a chain may have (the count).
    #[error("membership proof is too long ({0} certificates)")]
    TooLong(usize),
    /// The first certificate is not issued by the neighbourhood's root key.
    #[error("membership proof does not start at this neighbourhood's root")]
    WrongRoot,
    /// The proof is for another neighbourhood.
    #[error("membership proof is for another neighbourhood")]
    WrongNeighbourhood,
    /// A certificate (its index) is not issued by the key the previous one certifies.
    #[error("membership proof is broken: certificate {0} is not issued by the previous one")]
    BrokenLink(usize),
    /// A certificate's (its index) signature does not verify.
    #[error("membership proof has a bad signature on certificate {0}")]
    BadSignature(usize),
    /// The proof does not decode or is inconsistent.
    #[error("membership proof is malformed: {0}")]
    Malformed(&'static str),
    /// The invite used to join had expired (its expiry, in milliseconds since the Unix epoch).
    #[error("the invite used to join expired on {}", format_date(*.0))]
    InviteExpired(u64),
    /// An admin revoked this membership.
    #[error("membership was revoked by an admin")]
    Revoked,
    #[error(
        "waiting for a member to confirm this membership (a member must see the ticket while it is valid)"
    )]
    /// No member has yet confirmed seeing the ticket while it was valid.
    NotConfirmed,
    /// The invite has admitted as many people as it allows.
    #[error("this invite was already used by as many people as it allows ({uses}); ask for a new one")]
    InviteUsedUp {
        /// How many people the invite admits.
        uses: u32,
    },
    /// An admin closed the invite.
    #[error("this invite was closed by an admin; ask for a new one")]
    InviteClosed,
    /// The proof certifies another member.
    #[error("membership proof is for member {}, not {}", .found.short(), .expected.short())]
    WrongMember {
        /// The member it should certify.
        expected: MemberId,
        /// The member it certifies.
        found: MemberId,
    },
    /// The member left the neighbourhood.
    #[error("this member left the neighbourhood")]
    Departed,
}

/// Why a lending move cannot be made. Nothing is written when one of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoanError {
    /// No loan with that id is known here.
    #[error("unknown loan {}", .0.short())]
    UnknownLoan(crate::ids::LoanId),
    /// Text that is not a `YYYY-MM-DD` date.
    #[error("\"{0}\" is not a date (use YYYY-MM-DD, e.g. 2026-12-01)")]
    BadDate(String),
    /// The last day is before the first.
    #[error("the loan ends ({until}) before it starts ({from})")]
    DatesReversed {
        /// The first day (`YYYY-MM-DD`).
        from: String,
        /// The last day (`YYYY-MM-DD`).
        until: String,
    },
    /// The first day is before today.
    #[error("the loan cannot start in the past ({from})")]
    StartsInPast {
        /// The first day (`YYYY-MM-DD`).
        from: String,
    },
    /// The loan is longer than the item's maximum loan length.
    #[error("{days} days is longer than the {max} days the owner lends \"{title}\" for")]
    TooLong {
        /// The loan's length, in days.
        days: i64,
        /// The item's maximum, in days.
        max: u32,
        /// The item's title.
        title: String,
    },
    /// Requesting a loan of one's own item.
    #[error("you cannot borrow your own item")]
    OwnItem,
    /// The owner has marked the item unavailable.
    #[error("\"{title}\" is paused by its owner and cannot be requested")]
    ItemPaused {
        /// The item's title.
        title: String,
    },
    /// The dates overlap a loan the owner already accepted.
    #[error("\"{title}\" is already booked from {from} to {until}")]
    AlreadyBooked {
        /// The item's title.
        title: String,
        /// The first day of the overlapping loan (`YYYY-MM-DD`).
        from: String,
        /// Its last day (`YYYY-MM-DD`).
        until: String,
    },
    /// The move belongs to the other side of the loan (only the lender accepts, ...).
    #[error("only the {role} ({name}) can {action} this loan")]
    NotYourMove {
        /// The side who may make it ("lender" or "borrower").
        role: &'static str,
        /// That member's display name.
        name: String,
        /// The move ("accept", "cancel", ...).
        action: &'static str,
    },
    /// The loan's state does not allow the move.
    #[error("cannot {action} a loan that is {state}")]
    NotNow {
        /// The move ("accept", "cancel", ...).
        action: &'static str,
        /// The loan's state.
        state: crate::loan::LoanState,
    },
    /// An extension that does not move the last day later.
    #[error("the new last day ({until}) must be after the current one ({current})")]
    ExtensionNotLater {
        /// The requested last day (`YYYY-MM-DD`).
        until: String,
        /// The current last day (`YYYY-MM-DD`).
        current: String,
    },
    /// Answering an extension request when there is none.
    #[error("there is no extension request to answer")]
    NoPendingExtension,
    /// The lender reported the item as not returned before its last day had passed.
    #[error("the lender can report the item as not returned only after its last day ({until})")]
    NotYetDue {
        /// The loan's last day (`YYYY-MM-DD`).
        until: String,
    },
    /// A message attached to a move is longer than allowed.
    #[error("message is too long ({len} characters, at most {max})")]
    MessageTooLong {
        /// Its length, in characters.
        len: usize,
        /// The most allowed, in characters.
        max: usize,
    },
}

/// Why a change from outside (another replica, a backup) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A head change (the first bytes of its hash, in hex) that no attestation covers.
    #[error("change {0} is not signed by any device of the document's owner")]
    Unsigned(String),
    /// A change's signature does not verify (the change, as with `Unsigned`).
    #[error("signature on change {0} does not verify")]
    BadSignature(String),
    /// A device certificate not signed by the document's owner.
    #[error("device certificate is not signed by the document's owner")]
    ForeignDevice,
    /// A change signed by a device its owner revoked.
    #[error("change {change} is signed by device {device}, which its owner revoked")]
    RevokedDevice {
        /// The change's hash (its first bytes, in hex).
        change: String,
        /// The device's id (short form).
        device: String,
    },
    /// The document's owner is not (or no longer) a member.
    #[error("owner of the document is not a member: {0}")]
    NotMember(ChainError),
    /// Bytes that do not decode as a valid document or message.
    #[error("the data is not a valid document: {0}")]
    Malformed(String),
    /// A message larger than allowed.
    #[error("the message is too large ({size} bytes, at most {max})")]
    TooLarge {
        /// Its size, in bytes.
        size: usize,
        /// The most allowed, in bytes.
        max: usize,
    },
    /// A document that decodes but holds data that is not valid.
    #[error("the document contains invalid data: {0}")]
    InvalidContent(String),
    /// Compressed data that would inflate past a bound.
    #[error("the document would inflate to more than {max} bytes (a compression bomb?)")]
    InflatesTooMuch {
        /// The bound, in bytes.
        max: usize,
    },
    /// A document with more concurrent heads than allowed.
    #[error("the document has {heads} concurrent versions, more than the {max} a document may have")]
    TooManyHeads {
        /// How many heads it has.
        heads: usize,
        /// The most allowed.
        max: usize,
    },
    /// A document that carries more of something than allowed.
    #[error("the document carries too many {what} (at most {max})")]
    TooMany {
        /// What there is too much of.
        what: &'static str,
        /// The most allowed.
        max: usize,
    },
    #[error(
        "an older version of the document (epoch {epoch}; this device has epoch {here}): its owner rebased it since"
    )]
    /// A document from before its owner's last rebase.
    OlderEpoch {
        /// The epoch of the document received.
        epoch: u64,
        /// The epoch this device holds.
        here: u64,
    },
}

impl From<redb::Error> for Error {
    fn from(e: redb::Error) -> Self {
        match e {
            redb::Error::DatabaseAlreadyOpen => Error::Storage(
                "this data directory is already open (a node on it is still running in this app or another \
                 process): close that node first"
                    .into(),
            ),
            e => Error::Storage(e.to_string()),
        }
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
    /// The data directory already has an identity.
    AlreadyInitialised,
    /// No neighbourhood with that id is known here.
    UnknownNeighbourhood,
    /// Already a member of that neighbourhood.
    AlreadyMember,
    /// Only an admin of the neighbourhood may do this.
    NotAdmin,
    /// No item with that id is known here.
    UnknownItem,
    /// The item (or loan side) belongs to another member.
    NotOwner,
    /// An import or link needs an empty data directory.
    StoreNotEmpty,
    /// An export file that cannot be restored (damaged, wrong passphrase, data-only, ...).
    CorruptExport,
    /// A file could not be read or written.
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
