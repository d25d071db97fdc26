//! `/partage/blob/1`: photo blobs between members (ADR 0017). A member asks a peer for blobs by
//! hash, within one neighbourhood. The peer answers only a member who proved membership of that
//! neighbourhood in their sync session, or whose authenticated device its records show as a
//! member's in good standing (`access.rs`), and only with blobs an item of that neighbourhood
//! shows. Thumbnails are fetched right after the documents that show them (`thumbnails.rs`);
//! originals on demand ([`Network::fetch_photo`](crate::Network::fetch_photo)) from any member
//! who has them, verified against BLAKE3 while they stream in.

mod access;
mod fetch;
mod serve;
mod thumbnails;
mod wire;

pub(crate) use access::BlobAccess;
pub use fetch::FetchProgress;
pub(crate) use fetch::Fetcher;
pub(crate) use serve::serve_blobs;
pub(crate) use thumbnails::spawn_thumbnail_fetcher;
pub use wire::{BLOB_PROTOCOL, CHUNK_BYTES, MAX_HASHES_PER_REQUEST};
