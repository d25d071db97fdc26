//! Photo blobs in a backup: every blob an item shows, by hash, base64. On import each is checked
//! against its hash before anything is restored, and stored once the documents are in (a blob
//! that no restored item shows is left out, as from a peer).

use crate::error::{Error, Result};
use crate::node::Node;
use crate::photo::BlobHash;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// A photo blob in a backup.
#[derive(Serialize, Deserialize)]
pub struct ExportedBlob {
    /// BLAKE3 of the bytes, hex.
    pub hash: String,
    /// The blob, base64.
    pub data: String,
}

impl Node {
    /// Every stored blob that an item shows.
    pub(crate) fn export_blobs(&self) -> Result<Vec<ExportedBlob>> {
        let mut out = Vec::new();
        for hash in self.shown_blobs()? {
            if let Some(bytes) = self.blob_here(&hash)? {
                out.push(ExportedBlob { hash: hash.to_hex(), data: STANDARD.encode(bytes) });
            }
        }
        Ok(out)
    }
}

/// Decodes and checks every blob of a backup against its hash (before anything is restored).
pub(crate) fn checked_blobs(blobs: &[ExportedBlob]) -> Result<Vec<(BlobHash, Vec<u8>)>> {
    blobs
        .iter()
        .map(|b| {
            let bad = |what: &str| {
                Error::CorruptExport(format!("photo {}: {what}", b.hash.chars().take(16).collect::<String>()))
            };
            let hash = BlobHash::from_hex(&b.hash).ok_or_else(|| bad("not a hash"))?;
            let bytes = STANDARD.decode(&b.data).map_err(|_| bad("not base64"))?;
            if bytes.len() > crate::photo::MAX_BLOB_BYTES {
                return Err(bad("too large"));
            }
            if BlobHash::of(&bytes) != hash {
                return Err(bad("does not match its hash"));
            }
            Ok((hash, bytes))
        })
        .collect()
}
