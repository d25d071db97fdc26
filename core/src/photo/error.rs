//! Why a photo could not be added, read or stored.

/// Photo failures. They map onto existing [`crate::ErrorKind`]s (see `Error::kind`): input the
/// user can change is `invalid_input`, a photo that is nowhere to be had is `network`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    /// The photo file given is larger than accepted.
    #[error("this photo is too large ({bytes} bytes, at most {max})")]
    InputTooLarge {
        /// Its size, in bytes.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// Not a JPEG, PNG or WebP image that decodes.
    #[error("this is not a photo Partage can read (JPEG, PNG or WebP): {0}")]
    Unreadable(String),
    /// The image's dimensions exceed what Partage opens.
    #[error("this image is too large to open ({0}); use a smaller one")]
    TooManyPixels(String),
    /// The item already has the most photos allowed.
    #[error("an item has at most {max} photos; remove one first")]
    TooManyPhotos {
        /// The limit.
        max: usize,
    },
    /// This member's photos in the neighbourhood would exceed their quota.
    #[error(
        "your photos in this neighbourhood would take {needed} bytes, more than the {max} allowed; remove some first"
    )]
    QuotaExceeded {
        /// The bytes the member's photos would take.
        needed: u64,
        /// The quota, in bytes.
        max: u64,
    },
    /// Re-encoding the photo failed.
    #[error("the photo could not be encoded: {0}")]
    Encode(String),
    /// The item does not show that photo (its reference).
    #[error("this item has no photo {0}")]
    NotOnItem(String),
    /// No item here shows that photo (its reference).
    #[error("no item here shows photo {0}")]
    Unknown(String),
    /// The photo is not stored here and no member who has it could be reached.
    #[error("this photo is not on this device yet, and no member who has it could be reached")]
    NotHere,
    /// Text that is not a photo reference.
    #[error("\"{0}\" is not a photo reference (two 64-character hex hashes joined by a dot)")]
    BadReference(String),
    /// A member sent bytes that do not match the photo's hash.
    #[error("a member sent a photo that does not match its hash")]
    HashMismatch,
    /// A member sent a photo larger than allowed.
    #[error("a member sent a photo larger than allowed ({bytes} bytes, at most {max})")]
    BlobTooLarge {
        /// Its size, in bytes.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// The transfer was cancelled.
    #[error("the photo transfer was cancelled")]
    Cancelled,
}

impl PhotoError {
    /// The kind apps branch on: no new kind, so the FFI and its exhaustive switches stay as
    /// they are (as in ADR 0012).
    pub fn kind(&self) -> crate::ErrorKind {
        use crate::ErrorKind;
        match self {
            PhotoError::InputTooLarge { .. }
            | PhotoError::Unreadable(_)
            | PhotoError::TooManyPixels(_)
            | PhotoError::TooManyPhotos { .. }
            | PhotoError::QuotaExceeded { .. }
            | PhotoError::NotOnItem(_)
            | PhotoError::BadReference(_) => ErrorKind::InvalidInput,
            PhotoError::Unknown(_) => ErrorKind::UnknownItem,
            PhotoError::NotHere | PhotoError::Cancelled => ErrorKind::Network,
            PhotoError::HashMismatch | PhotoError::BlobTooLarge { .. } => ErrorKind::Rejected,
            PhotoError::Encode(_) => ErrorKind::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn photo_errors_map_onto_existing_kinds_with_messages_a_person_reads() {
        let too_big = crate::Error::from(PhotoError::InputTooLarge { bytes: 40, max: 32 });
        assert_eq!(too_big.kind(), ErrorKind::InvalidInput);
        assert_eq!(too_big.to_string(), "this photo is too large (40 bytes, at most 32)");
        assert_eq!(crate::Error::from(PhotoError::NotHere).kind(), ErrorKind::Network);
        assert_eq!(crate::Error::from(PhotoError::HashMismatch).kind(), ErrorKind::Rejected);
        assert_eq!(crate::Error::from(PhotoError::Unknown("ab".into())).kind(), ErrorKind::UnknownItem);
        assert!(PhotoError::TooManyPhotos { max: 12 }.to_string().contains("at most 12 photos"));
    }
}
