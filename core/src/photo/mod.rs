//! Photos of items (ADR 0017): prepared on the owner's device (orientation applied, metadata
//! gone, downscaled, a thumbnail made), addressed by BLAKE3 hash, stored as blobs in the store
//! and referenced from the item by a [`PhotoRef`] (the original's hash and the thumbnail's), which
//! is signed with the rest of the owner's document.

mod blobs;
mod error;
mod hashed;
pub mod inspect;
mod limits;
mod prepare;
mod reference;

pub use blobs::{BlobKind, MAX_BLOB_BYTES};
pub use error::PhotoError;
pub use hashed::HashedBlob;
pub(crate) use limits::check_member_budget;
pub use limits::{
    MAX_DECODE_ALLOC, MAX_INPUT_BYTES, MAX_INPUT_SIDE, MAX_MEMBER_PHOTO_BYTES, MAX_MEMBER_THUMBNAIL_BYTES,
    MAX_ORIGINAL_BYTES, MAX_THUMBNAIL_BYTES, ORIGINAL_SIDE, THUMBNAIL_SIDE,
};
pub use prepare::{Prepared, prepare};
pub use reference::{BlobHash, PhotoRef};
