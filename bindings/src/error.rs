//! The one error type at the FFI edge. Each variant is one stable kind (the same short names
//! as `partage::Error::kind()`), and carries the core's human-readable message.
//!
//! It is a *flat* error on purpose: Kotlin gets `PartageException.InvalidInput` whose `message`
//! is the real text, Swift gets `PartageError.InvalidInput(message:)`, Python an exception whose
//! `str()` is the text. (An enum with an unnamed payload would show as `v1=...` in Kotlin.)

/// Why a call failed: the variant is the kind to branch on, the message is for people.
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
    /// The data directory has no identity yet: call `init` first.
    /// No loan with that id is known here.
    #[error("{0}")]
    UnknownLoan(String),
    /// A lending move by the wrong party (only the lender can accept, ...).
    #[error("{0}")]
    NotAllowed(String),
    /// A lending move that the loan's state or dates do not allow (bad date, already booked, ...).
    #[error("{0}")]
    InvalidLoan(String),
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
    /// The stable short name of this kind (the same strings as `partage::Error::kind()`).
    pub fn kind(&self) -> &'static str {
        match self {
            PartageError::InvalidInput(_) => "invalid_input",
            PartageError::BadTicket(_) => "bad_ticket",
            PartageError::NotMember(_) => "not_member",
            PartageError::Rejected(_) => "rejected",
            PartageError::UnknownLoan(_) => "unknown_loan",
            PartageError::NotAllowed(_) => "not_allowed",
            PartageError::InvalidLoan(_) => "invalid_loan",
            PartageError::NoIdentity(_) => "no_identity",
            PartageError::AlreadyInitialised(_) => "already_initialised",
            PartageError::UnknownNeighbourhood(_) => "unknown_neighbourhood",
            PartageError::AlreadyMember(_) => "already_member",
            PartageError::NotAdmin(_) => "not_admin",
            PartageError::UnknownItem(_) => "unknown_item",
            PartageError::NotOwner(_) => "not_owner",
            PartageError::StoreNotEmpty(_) => "store_not_empty",
            PartageError::CorruptExport(_) => "corrupt_export",
            PartageError::Io(_) => "io",
            PartageError::Network(_) => "network",
            PartageError::Paused(_) => "paused",
            PartageError::Stopped(_) => "stopped",
            PartageError::Busy(_) => "busy",
            PartageError::Storage(_) => "storage",
            PartageError::Internal(_) => "internal",
        }
    }

    /// Builds the variant for a core kind name. A kind this build does not know (a newer core)
    /// becomes `Internal` with the kind named in the message, so nothing is silently dropped.
    pub fn from_kind(kind: &str, message: String) -> PartageError {
        match kind {
            "invalid_input" => PartageError::InvalidInput(message),
            "bad_ticket" => PartageError::BadTicket(message),
            "not_member" => PartageError::NotMember(message),
            "rejected" => PartageError::Rejected(message),
            "unknown_loan" => PartageError::UnknownLoan(message),
            "not_allowed" => PartageError::NotAllowed(message),
            "invalid_loan" => PartageError::InvalidLoan(message),
            "no_identity" => PartageError::NoIdentity(message),
            "already_initialised" => PartageError::AlreadyInitialised(message),
            "unknown_neighbourhood" => PartageError::UnknownNeighbourhood(message),
            "already_member" => PartageError::AlreadyMember(message),
            "not_admin" => PartageError::NotAdmin(message),
            "unknown_item" => PartageError::UnknownItem(message),
            "not_owner" => PartageError::NotOwner(message),
            "store_not_empty" => PartageError::StoreNotEmpty(message),
            "corrupt_export" => PartageError::CorruptExport(message),
            "io" => PartageError::Io(message),
            "network" => PartageError::Network(message),
            "paused" => PartageError::Paused(message),
            "stopped" => PartageError::Stopped(message),
            "busy" => PartageError::Busy(message),
            "storage" => PartageError::Storage(message),
            "internal" => PartageError::Internal(message),
            other => PartageError::Internal(format!("{message} ({other})")),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> PartageError {
        PartageError::InvalidInput(message.into())
    }
}

impl From<partage::Error> for PartageError {
    fn from(e: partage::Error) -> Self {
        PartageError::from_kind(e.kind(), e.to_string())
    }
}

impl From<partage_net::NetError> for PartageError {
    fn from(e: partage_net::NetError) -> Self {
        PartageError::from_kind(e.kind(), e.to_string())
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
        assert_eq!(e.kind(), "invalid_input");
        let e = PartageError::from(partage::Error::from(TicketError::WrongPrefix));
        assert_eq!(e.kind(), "bad_ticket");
        assert_eq!(e.to_string(), "this is not a Partage ticket (it should start with \"partage1\")");
        assert_eq!(PartageError::from(partage::Error::NoIdentity).kind(), "no_identity");
    }

    #[test]
    fn every_kind_round_trips() {
        for kind in [
            "invalid_input",
            "bad_ticket",
            "not_member",
            "rejected",
            "unknown_loan",
            "not_allowed",
            "invalid_loan",
            "no_identity",
            "already_initialised",
            "unknown_neighbourhood",
            "already_member",
            "not_admin",
            "unknown_item",
            "not_owner",
            "store_not_empty",
            "corrupt_export",
            "io",
            "network",
            "paused",
            "stopped",
            "busy",
            "storage",
            "internal",
        ] {
            assert_eq!(PartageError::from_kind(kind, "m".into()).kind(), kind);
        }
        let unknown = PartageError::from_kind("teleport_failed", "no teleporter".into());
        assert_eq!(unknown, PartageError::Internal("no teleporter (teleport_failed)".into()));
    }
}
