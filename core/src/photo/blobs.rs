//! Photo blobs in the store (ADR 0017): two redb tables beside the documents, so a blob and the
//! item change that refers to it commit in one transaction, and a blob is either wholly there
//! or not at all (redb commits are atomic; a crash loses the transaction, never half of it).

use super::{BlobHash, MAX_ORIGINAL_BYTES, MAX_THUMBNAIL_BYTES};
use crate::error::Result;
use crate::store::{Store, Writer};
use redb::{ReadableDatabase, TableDefinition};
use std::collections::{BTreeSet, HashMap};

/// Key: BLAKE3 hash. Value: the blob's bytes.
const BLOBS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("photo_blobs");
/// Key: BLAKE3 hash. Value: kind (1 byte) ‖ length (u64 big-endian), so sizes and kinds are
/// known without reading blobs.
const BLOB_META: TableDefinition<&[u8], &[u8]> = TableDefinition::new("photo_blob_meta");

/// The largest blob of any kind.
pub const MAX_BLOB_BYTES: usize = MAX_ORIGINAL_BYTES;

/// What a blob is to the item that refers to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlobKind {
    /// The downscaled original.
    Original,
    /// The thumbnail.
    Thumbnail,
}

impl BlobKind {
    /// The most bytes a blob of this kind may have (prepared here or received).
    pub fn max_bytes(self) -> usize {
        match self {
            BlobKind::Original => MAX_ORIGINAL_BYTES,
            BlobKind::Thumbnail => MAX_THUMBNAIL_BYTES,
        }
    }

    fn code(self) -> u8 {
        match self {
            BlobKind::Original => 1,
            BlobKind::Thumbnail => 2,
        }
    }
}

impl Writer<'_> {
    /// Stores a blob (already checked against its hash by the caller). Idempotent.
    pub(crate) fn put_blob(&mut self, hash: &BlobHash, kind: BlobKind, bytes: &[u8]) -> Result<()> {
        let meta = [&[kind.code()][..], &(bytes.len() as u64).to_be_bytes()].concat();
        self.txn.open_table(BLOBS)?.insert(hash.0.as_slice(), bytes)?;
        self.txn.open_table(BLOB_META)?.insert(hash.0.as_slice(), meta.as_slice())?;
        Ok(())
    }

    pub(crate) fn delete_blob(&mut self, hash: &BlobHash) -> Result<()> {
        self.txn.open_table(BLOBS)?.remove(hash.0.as_slice())?;
        self.txn.open_table(BLOB_META)?.remove(hash.0.as_slice())?;
        Ok(())
    }
}

impl Store {
    /// A blob's bytes, if stored here.
    pub fn blob(&self, hash: &BlobHash) -> Result<Option<Vec<u8>>> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(BLOBS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(table.get(hash.0.as_slice())?.map(|v| v.value().to_vec()))
    }

    /// Several blobs in one read transaction, in the order asked (`None`: not stored).
    pub fn blobs(&self, hashes: &[BlobHash]) -> Result<Vec<Option<Vec<u8>>>> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(BLOBS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(vec![None; hashes.len()]),
            Err(e) => return Err(e.into()),
        };
        hashes.iter().map(|h| Ok(table.get(h.0.as_slice())?.map(|v| v.value().to_vec()))).collect()
    }

    /// Every stored blob's length, by hash (from the small table: no blob is read).
    pub fn blob_sizes(&self) -> Result<HashMap<BlobHash, u64>> {
        let mut out = HashMap::new();
        for (key, value) in self.rows(BLOB_META)? {
            let hash = <[u8; 32]>::try_from(key.as_slice()).ok().map(BlobHash);
            let len = value.get(1..9).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_be_bytes);
            if let (Some(hash), Some(len)) = (hash, len) {
                out.insert(hash, len);
            }
        }
        Ok(out)
    }

    /// Hashes of every stored blob.
    pub fn blob_hashes(&self) -> Result<BTreeSet<BlobHash>> {
        Ok(self.blob_sizes()?.into_keys().collect())
    }
}
