//! The one error type at the FFI edge. Each variant is one [`ErrorKind`] (the core's taxonomy,
//! shared with `partage-net`), in the same order, and carries the core's human-readable message.
//!
//! It is a *flat* error on purpose: Kotlin gets `PartageException.InvalidInput` whose `message`
//! is the real text, Swift gets `PartageError.InvalidInput(message:)`, Python an exception whose
//! `str()` is the text. (An enum with an unnamed payload would show as `v1=...` in Kotlin, and a
//! non-flat one with a `message` field does not compile in Kotlin.)
//!
//! The kind as a value: [`ErrorKind`] is exported too, and a flat error crosses the FFI as its
//! variant's position, which is the position of its kind in `ErrorKind` (checked below). So the
//! Kotlin `PartageException.kind` and Swift `PartageError.kind` read the kind with uniffi's own
//! converters (lower the error, lift an `ErrorKind` from the same bytes) instead of a table.

pub use partage::ErrorKind;

/// The core's error kinds, exported as a plain enum (Kotlin `ErrorKind.INVALID_INPUT`, Swift
/// `.invalidInput`, Python `ErrorKind.INVALID_INPUT`). The compiler checks this list against the
/// core's enum.
#[uniffi::remote(Enum)]
pub enum ErrorKind {
    InvalidInput,
    BadTicket,
    NotMember,
    Rejected,
    UnknownLoan,
    NotAllowed,
    InvalidLoan,
    NoIdentity,
    AlreadyInitialised,
    UnknownNeighbourhood,
    AlreadyMember,
    NotAdmin,
    UnknownItem,
    NotOwner,
    StoreNotEmpty,
    CorruptExport,
    Io,
    Network,
    Paused,
    Stopped,
    Busy,
    Storage,
    Internal,
}

/// The stable short name of a kind ("invalid_input", ...): the same as the CLI's `--json` output.
#[uniffi::export]
pub fn error_kind_name(kind: ErrorKind) -> String {
    kind.as_str().to_owned()
}

/// Why a call failed: the variant is the kind to branch on, the message is for people.
/// Keep the variants in the order of [`ErrorKind`] (a test checks it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum PartageError {
    /// Rejected user input (empty title, bad id, out-of-range number). Nothing was written.
    #[error("{0}")]
    InvalidInput(String),
    /// An invite ticket that cannot be used (damaged, tampered with, expired).
    #[error("{0}")]
    BadTicket(String),
    /// A membership proof failed.
    #[error("{0}")]
    NotMember(String),
    /// Data from another device or a backup was refused (bad signature, not a member, ...).
    #[error("{0}")]
    Rejected(String),
    /// No loan with that id is known here.
    #[error("{0}")]
    UnknownLoan(String),
    /// A lending move by the wrong party (only the lender can accept, ...).
    #[error("{0}")]
    NotAllowed(String),
    /// A lending move that the loan's state or dates do not allow (bad date, already booked, ...).
    #[error("{0}")]
    InvalidLoan(String),
    /// The data directory has no identity yet: call `createIdentity` first.
    #[error("{0}")]
    NoIdentity(String),
    #[error("{0}")]
    AlreadyInitialised(String),
    #[error("{0}")]
    UnknownNeighbourhood(String),
    #[error("{0}")]
    AlreadyMember(String),
    #[error("{0}")]
    NotAdmin(String),
    #[error("{0}")]
    UnknownItem(String),
    /// The item (or loan side) belongs to another member.
    #[error("{0}")]
    NotOwner(String),
    #[error("{0}")]
    StoreNotEmpty(String),
    #[error("{0}")]
    CorruptExport(String),
    #[error("{0}")]
    Io(String),
    /// The network could not listen, dial or start.
    #[error("{0}")]
    Network(String),
    /// The network is paused: resume it first.
    #[error("{0}")]
    Paused(String),
    /// The network is not started (or was stopped).
    #[error("{0}")]
    Stopped(String),
    /// The network is busy: try again.
    #[error("{0}")]
    Busy(String),
    /// The local store failed or is damaged.
    #[error("{0}")]
    Storage(String),
    /// A bug or an environment failure (no random numbers, no threads).
    #[error("{0}")]
    Internal(String),
}

impl PartageError {
    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            PartageError::InvalidInput(_) => ErrorKind::InvalidInput,
            PartageError::BadTicket(_) => ErrorKind::BadTicket,
            PartageError::NotMember(_) => ErrorKind::NotMember,
            PartageError::Rejected(_) => ErrorKind::Rejected,
            PartageError::UnknownLoan(_) => ErrorKind::UnknownLoan,
            PartageError::NotAllowed(_) => ErrorKind::NotAllowed,
            PartageError::InvalidLoan(_) => ErrorKind::InvalidLoan,
            PartageError::NoIdentity(_) => ErrorKind::NoIdentity,
            PartageError::AlreadyInitialised(_) => ErrorKind::AlreadyInitialised,
            PartageError::UnknownNeighbourhood(_) => ErrorKind::UnknownNeighbourhood,
            PartageError::AlreadyMember(_) => ErrorKind::AlreadyMember,
            PartageError::NotAdmin(_) => ErrorKind::NotAdmin,
            PartageError::UnknownItem(_) => ErrorKind::UnknownItem,
            PartageError::NotOwner(_) => ErrorKind::NotOwner,
            PartageError::StoreNotEmpty(_) => ErrorKind::StoreNotEmpty,
            PartageError::CorruptExport(_) => ErrorKind::CorruptExport,
            PartageError::Io(_) => ErrorKind::Io,
            PartageError::Network(_) => ErrorKind::Network,
            PartageError::Paused(_) => ErrorKind::Paused,
            PartageError::Stopped(_) => ErrorKind::Stopped,
            PartageError::Busy(_) => ErrorKind::Busy,
            PartageError::Storage(_) => ErrorKind::Storage,
            PartageError::Internal(_) => ErrorKind::Internal,
        }
    }

    /// The variant for `kind`, carrying `message`.
    pub fn new(kind: ErrorKind, message: String) -> PartageError {
        match kind {
            ErrorKind::InvalidInput => PartageError::InvalidInput(message),
            ErrorKind::BadTicket => PartageError::BadTicket(message),
            ErrorKind::NotMember => PartageError::NotMember(message),
            ErrorKind::Rejected => PartageError::Rejected(message),
            ErrorKind::UnknownLoan => PartageError::UnknownLoan(message),
            ErrorKind::NotAllowed => PartageError::NotAllowed(message),
            ErrorKind::InvalidLoan => PartageError::InvalidLoan(message),
            ErrorKind::NoIdentity => PartageError::NoIdentity(message),
            ErrorKind::AlreadyInitialised => PartageError::AlreadyInitialised(message),
            ErrorKind::UnknownNeighbourhood => PartageError::UnknownNeighbourhood(message),
            ErrorKind::AlreadyMember => PartageError::AlreadyMember(message),
            ErrorKind::NotAdmin => PartageError::NotAdmin(message),
            ErrorKind::UnknownItem => PartageError::UnknownItem(message),
            ErrorKind::NotOwner => PartageError::NotOwner(message),
            ErrorKind::StoreNotEmpty => PartageError::StoreNotEmpty(message),
            ErrorKind::CorruptExport => PartageError::CorruptExport(message),
            ErrorKind::Io => PartageError::Io(message),
            ErrorKind::Network => PartageError::Network(message),
            ErrorKind::Paused => PartageError::Paused(message),
            ErrorKind::Stopped => PartageError::Stopped(message),
            ErrorKind::Busy => PartageError::Busy(message),
            ErrorKind::Storage => PartageError::Storage(message),
            ErrorKind::Internal => PartageError::Internal(message),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> PartageError {
        PartageError::InvalidInput(message.into())
    }
}

impl From<partage::Error> for PartageError {
    fn from(e: partage::Error) -> Self {
        PartageError::new(e.kind(), e.to_string())
    }
}

impl From<partage_net::NetError> for PartageError {
    fn from(e: partage_net::NetError) -> Self {
        PartageError::new(e.kind(), e.to_string())
    }
}

impl From<partage::ValidationError> for PartageError {
    fn from(e: partage::ValidationError) -> Self {
        PartageError::from(partage::Error::from(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use partage::{TicketError, ValidationError};

    #[test]
    fn core_errors_keep_kind_and_message() {
        let e = PartageError::from(partage::Error::from(ValidationError::Empty { field: "title" }));
        assert_eq!(e, PartageError::InvalidInput("title is empty".into()));
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = PartageError::from(partage::Error::from(TicketError::WrongPrefix));
        assert_eq!(e.kind(), ErrorKind::BadTicket);
        assert_eq!(e.to_string(), "this is not a Partage ticket (it should start with \"partage2\")");
        assert_eq!(PartageError::from(partage::Error::NoIdentity).kind(), ErrorKind::NoIdentity);
        assert_eq!(PartageError::from(partage_net::NetError::Paused).kind(), ErrorKind::Paused);
    }

    #[test]
    fn every_kind_round_trips() {
        for kind in ErrorKind::ALL {
            let e = PartageError::new(kind, "m".into());
            assert_eq!(e.kind(), kind);
            assert_eq!(e.to_string(), "m");
            assert_eq!(error_kind_name(kind), kind.as_str());
        }
    }

    /// What the Kotlin and Swift `kind` rely on: a flat error crosses as its variant's position
    /// (then its message), and that position read as an `ErrorKind` is the error's kind.
    #[test]
    fn an_error_on_the_wire_reads_as_its_kind() {
        use uniffi::{Lift, Lower};
        for kind in ErrorKind::ALL {
            let mut buf = Vec::new();
            <PartageError as Lower<crate::UniFfiTag>>::write(PartageError::new(kind, "m".into()), &mut buf);
            let mut bytes = &buf[..4];
            let read = <ErrorKind as Lift<crate::UniFfiTag>>::try_read(&mut bytes).unwrap();
            assert_eq!(read, kind);
        }
    }
}
