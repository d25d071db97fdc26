//! The blob side of replication: which thumbnails this device lacks, what it serves to a
//! member who asks, and storing what a member sent (checked against the signed items)
//! (ADR 0017).

use super::photos::refs_of;
use super::{Node, State};
use crate::error::Result;
use crate::ids::{MemberId, NeighbourhoodId};
use crate::photo::{BlobHash, BlobKind, HashedBlob, MAX_MEMBER_THUMBNAIL_BYTES, PhotoError};
use std::collections::HashMap;

/// Who refers to a blob, and as what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobUse {
    /// Whether the item shows it as an original or a thumbnail.
    pub kind: BlobKind,
    /// The member whose item shows it (whose budget it counts against).
    pub owner: MemberId,
}

impl Node {
    /// Whether a blob is stored here.
    pub fn has_blob(&self, hash: &BlobHash) -> Result<bool> {
        Ok(self.lock()?.store.blob_sizes()?.contains_key(hash))
    }

    /// Thumbnails that items of `ns` show and this device lacks (at most `max`), so sync can
    /// fetch them right after the documents.
    pub fn missing_thumbnails(&self, ns: &NeighbourhoodId, max: usize) -> Result<Vec<BlobHash>> {
        let st = self.lock()?;
        let stored = st.store.blob_sizes()?;
        let uses = st.blob_uses(ns);
        let mut out: Vec<BlobHash> = uses
            .iter()
            .filter(|(h, u)| u.kind == BlobKind::Thumbnail && !stored.contains_key(*h))
            .map(|(h, _)| *h)
            .collect();
        out.sort();
        out.truncate(max);
        Ok(out)
    }

    /// A blob for a member of `ns` who asked for it: only if an item of `ns` shows it (a hash
    /// from another neighbourhood gets nothing, as if unknown).
    pub fn blob_for_member(&self, ns: &NeighbourhoodId, hash: &BlobHash) -> Result<Option<Vec<u8>>> {
        Ok(self.blobs_for_member(ns, std::slice::from_ref(hash))?.pop().flatten())
    }

    /// [`Node::blob_for_member`] for several blobs at once (one look at the items, one read).
    /// Asked for more than one, it serves thumbnails only (originals come one per request), so
    /// what one request reads stays within 64 thumbnails or one original.
    pub fn blobs_for_member(
        &self,
        ns: &NeighbourhoodId,
        hashes: &[BlobHash],
    ) -> Result<Vec<Option<Vec<u8>>>> {
        let st = self.lock()?;
        let uses = st.blob_uses(ns);
        let serves =
            |h: &BlobHash| uses.get(h).is_some_and(|u| hashes.len() == 1 || u.kind == BlobKind::Thumbnail);
        let served: Vec<BlobHash> = hashes.iter().filter(|h| serves(h)).copied().collect();
        let mut found = st.store.blobs(&served)?.into_iter();
        Ok(hashes.iter().map(|h| if serves(h) { found.next().flatten() } else { None }).collect())
    }

    /// What a blob is in `ns` (`None`: no item of `ns` shows it), so a receiver bounds a
    /// transfer before reading it.
    pub fn blob_use(&self, ns: &NeighbourhoodId, hash: &BlobHash) -> Result<Option<BlobUse>> {
        Ok(self.lock()?.blob_uses(ns).get(hash).copied())
    }

    /// Stores blobs a member sent, in one transaction, after checking each against its hash,
    /// its kind's size bound, the items of `ns` (a blob no signed item shows is refused) and
    /// the owner's thumbnail budget. Returns how many were new. On any refusal nothing is stored.
    /// The transaction is visible at once and made durable with the next durable commit (at
    /// most 8 later, as documents received in a sync round): a crash before that loses blobs
    /// that can be fetched again, never part of one.
    pub fn store_received_blobs(&self, ns: &NeighbourhoodId, blobs: &[(BlobHash, Vec<u8>)]) -> Result<usize> {
        let blobs: Vec<(BlobHash, &[u8])> = blobs.iter().map(|(h, b)| (*h, b.as_slice())).collect();
        self.store_checked_blobs(ns, &blobs, false)
    }

    /// [`Node::store_received_blobs`] for one blob hashed while it came in: checked against
    /// `hash` from the hash it carries (no second pass over its bytes), then handed back.
    pub fn store_received_hashed(
        &self,
        ns: &NeighbourhoodId,
        hash: BlobHash,
        mut blob: HashedBlob,
    ) -> Result<Vec<u8>> {
        if blob.hash() != hash {
            return Err(PhotoError::HashMismatch.into());
        }
        self.store_checked_blobs(ns, &[(hash, blob.as_slice())], true)?;
        Ok(blob.into_bytes())
    }

    /// Stores `blobs` after the checks of [`Node::store_received_blobs`]; `hashed`: each was
    /// already found to match its hash.
    fn store_checked_blobs(
        &self,
        ns: &NeighbourhoodId,
        blobs: &[(BlobHash, &[u8])],
        hashed: bool,
    ) -> Result<usize> {
        let st = self.lock()?;
        let uses = st.blob_uses(ns);
        let stored = st.store.blob_sizes()?;
        let mut thumbs_of: HashMap<MemberId, u64> = HashMap::new();
        for (hash, u) in &uses {
            if u.kind == BlobKind::Thumbnail {
                *thumbs_of.entry(u.owner).or_default() += stored.get(hash).copied().unwrap_or(0);
            }
        }
        let mut fresh = Vec::new();
        for (hash, bytes) in blobs {
            let u = uses.get(hash).ok_or_else(|| PhotoError::Unknown(hash.short()))?;
            if bytes.len() > u.kind.max_bytes() {
                return Err(PhotoError::BlobTooLarge { bytes: bytes.len(), max: u.kind.max_bytes() }.into());
            }
            if !hashed && BlobHash::of(bytes) != *hash {
                return Err(PhotoError::HashMismatch.into());
            }
            if stored.contains_key(hash) || fresh.iter().any(|(h, _, _)| h == hash) {
                continue;
            }
            if u.kind == BlobKind::Thumbnail {
                let used = thumbs_of.entry(u.owner).or_default();
                *used += bytes.len() as u64;
                if *used > MAX_MEMBER_THUMBNAIL_BYTES {
                    return Err(
                        PhotoError::QuotaExceeded { needed: *used, max: MAX_MEMBER_THUMBNAIL_BYTES }.into()
                    );
                }
            }
            fresh.push((*hash, u.kind, bytes));
        }
        if fresh.is_empty() {
            return Ok(0);
        }
        st.store.write_unflushed(|w| {
            for (hash, kind, bytes) in &fresh {
                w.put_blob(hash, *kind, bytes)?;
            }
            Ok(())
        })?;
        Ok(fresh.len())
    }
}

impl State {
    /// Every blob items of `ns` show, with its kind and the owner whose item shows it.
    pub(super) fn blob_uses(&self, ns: &NeighbourhoodId) -> HashMap<BlobHash, BlobUse> {
        let mut out = HashMap::new();
        for item in self.read.all().filter(|i| i.neighbourhood == *ns) {
            for r in refs_of(item) {
                out.insert(r.original, BlobUse { kind: BlobKind::Original, owner: item.owner });
                out.insert(r.thumbnail, BlobUse { kind: BlobKind::Thumbnail, owner: item.owner });
            }
        }
        out
    }
}
