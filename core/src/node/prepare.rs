//! Whole documents of members this device holds nothing of, checked and loaded off the node's
//! lock, several at once (a fresh member's first sync: issue 14). The work done here is what
//! `verify_bundle` does first for such a document, in the same order: the snapshot's inflation
//! walked under its cap, the owner's signatures over its heads checked, and only then
//! automerge's load. The import (`Node::import_prepared_unflushed`) still runs every check that
//! depends on the node's state (membership, revocations, departures) and uses the prepared
//! document only if what it rests on did not change in between; otherwise it starts over.

use super::replication::{DocBundle, DocPayload, MAX_BUNDLE_BYTES, OwnerDevices, load, owner_devices};
use super::{DocKey, Node};
use crate::attest::{Attestation, verify_heads_revoked};
use crate::ids::DeviceId;
use crate::membership::{RevocationSet, verify_chain};
use crate::snapshot;
use crate::store::MemberRecord;
use automerge::AutoCommit;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Documents prepared in one call at most: each loaded document stays in memory until it is
/// imported.
pub const MAX_PREPARED_DOCS: usize = 16;
/// Snapshot bytes prepared in one call at most (a loaded document takes several times its
/// snapshot).
const MAX_PREPARED_BYTES: usize = 16 * 1024 * 1024;

/// A whole document checked and loaded ahead of its import; opaque, made only by
/// [`Node::prepare_whole_documents`].
pub struct PreparedDoc {
    key: DocKey,
    /// The snapshot it was made from (BLAKE3): the import must bring the same bytes.
    fingerprint: [u8; 32],
    trusted: HashSet<DeviceId>,
    revoked: HashSet<DeviceId>,
    doc: Box<AutoCommit>,
    /// The attestations that vouch for its heads.
    used: Vec<Attestation>,
}

impl std::fmt::Debug for PreparedDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedDoc").field("owner", &self.key.1).finish_non_exhaustive()
    }
}

impl PreparedDoc {
    /// The loaded document and its attestations, if it was made from these bytes for this
    /// document with the same trusted and revoked devices as the import finds now.
    pub(super) fn take_if_fits(
        self,
        key: &DocKey,
        bytes: &[u8],
        trusted: &HashSet<DeviceId>,
        revoked: &HashSet<DeviceId>,
    ) -> Option<(Box<AutoCommit>, Vec<Attestation>)> {
        let fits = self.key == *key
            && self.trusted == *trusted
            && self.revoked == *revoked
            && *blake3::hash(bytes).as_bytes() == self.fingerprint;
        fits.then_some((self.doc, self.used))
    }
}

impl Node {
    /// Checks and loads, on the available cores and without holding the node's lock, the
    /// whole documents among `bundles` of members this device holds nothing of; one entry per
    /// bundle, `None` where there is nothing to prepare or a check failed (the import then
    /// does the work itself and reports the failure). At most [`MAX_PREPARED_DOCS`] documents
    /// and 16 MiB of snapshots are prepared per call; the rest get `None`.
    pub fn prepare_whole_documents(&self, bundles: &[&DocBundle]) -> Vec<Option<PreparedDoc>> {
        let mut out: Vec<Option<PreparedDoc>> = bundles.iter().map(|_| None).collect();
        let jobs = self.preparable(bundles);
        if jobs.is_empty() {
            return out;
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(jobs.len());
        let next = AtomicUsize::new(0);
        let work = || {
            let mut done = Vec::new();
            while let Some((i, stored)) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                if let Some(b) = bundles.get(*i) {
                    done.push((*i, prepare(b, stored)));
                }
            }
            done
        };
        let results: Vec<(usize, Option<PreparedDoc>)> = std::thread::scope(|s| {
            let helpers: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
            let mut all = work();
            for helper in helpers {
                // A panic (automerge on a malformed snapshot) leaves that document to the import.
                all.extend(helper.join().unwrap_or_default());
            }
            all
        });
        for (i, prepared) in results {
            if let Some(slot) = out.get_mut(i) {
                *slot = prepared;
            }
        }
        out
    }

    /// [`Node::import_bundle_unflushed`], with the document `prepared` for this bundle by
    /// [`Node::prepare_whole_documents`]: every check that depends on this device's state runs
    /// again, and the prepared document is used only if it was made from these bytes with the
    /// owner's devices as they stand now.
    pub fn import_prepared_unflushed(
        &self,
        bundle: &DocBundle,
        prepared: Option<PreparedDoc>,
    ) -> crate::error::Result<crate::ImportReport> {
        self.import_bundle_with(bundle, super::replication::Flush::Later, prepared)
    }

    /// The bundles worth preparing (a snapshot of a document this device holds nothing of),
    /// with what this device knows of the owner, read under the lock.
    fn preparable(&self, bundles: &[&DocBundle]) -> Vec<(usize, Owner)> {
        let Ok(st) = self.lock() else { return Vec::new() };
        let mut bytes = 0usize;
        let mut jobs = Vec::new();
        for (i, b) in bundles.iter().enumerate() {
            let DocPayload::Snapshot(snapshot) = &b.payload else { continue };
            if jobs.len() >= MAX_PREPARED_DOCS || bytes.saturating_add(snapshot.len()) > MAX_PREPARED_BYTES {
                break;
            }
            let key = (b.neighbourhood, b.owner);
            let held =
                st.docs.contains_key(&key) || !matches!(st.store.doc(&b.neighbourhood, &b.owner), Ok(None));
            let Ok(rec) = st.neighbourhood(&b.neighbourhood) else { continue };
            if held {
                continue;
            }
            bytes += snapshot.len();
            let revoked = RevocationSet::from_revocations(&b.neighbourhood, &rec.revocations);
            jobs.push((i, Owner { record: st.members.get(&key).cloned(), revoked }));
        }
        jobs
    }
}

/// What this device knows of a document's owner when it prepares it: their stored record, and
/// the neighbourhood's revoked members.
struct Owner {
    record: Option<MemberRecord>,
    revoked: RevocationSet,
}

/// What `verify_bundle` does for a whole document of a member this device holds nothing of,
/// up to automerge's load, in the same order; `None` if any check fails. The owner's chain is
/// checked first, so that nothing is loaded for a made-up owner (the import checks it again,
/// with the rest of the membership rules).
fn prepare(b: &DocBundle, owner: &Owner) -> Option<PreparedDoc> {
    let DocPayload::Snapshot(bytes) = &b.payload else { return None };
    if b.payload.size() > MAX_BUNDLE_BYTES {
        return None;
    }
    if verify_chain(&b.owner_chain, &b.neighbourhood, &owner.revoked).ok()? != b.owner {
        return None;
    }
    let OwnerDevices { trusted, revoked, .. } = owner_devices(b, owner.record.as_ref()).ok()?;
    let mut declared = snapshot::inspect(bytes, snapshot::MAX_INFLATED_BYTES).ok()?.heads;
    let used =
        verify_heads_revoked(&b.neighbourhood, &b.owner, &trusted, &revoked, &b.attestations, &declared)
            .ok()?;
    let mut doc = load(bytes).ok()?;
    let mut heads = doc.get_heads();
    heads.sort();
    declared.sort();
    if heads != declared {
        return None;
    }
    Some(PreparedDoc {
        key: (b.neighbourhood, b.owner),
        fingerprint: *blake3::hash(bytes).as_bytes(),
        trusted,
        revoked,
        doc: Box::new(doc),
        used,
    })
}
