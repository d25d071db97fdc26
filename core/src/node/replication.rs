//! Moving documents between replicas: what a peer (or a backup) sends, and the one import path
//! that verifies it before anything is applied or stored.

use super::prepare::PreparedDoc;
use super::{DocKey, Node, State};
use crate::admission::{Admission, MAX_CARRIED_ADMISSIONS, MAX_WITNESSED_PER_DOC};
use crate::attest::{Attestation, trusted_unrevoked, verify_changes_revoked, verify_heads_revoked};
use crate::doc::{Changed, MemberDoc};
use crate::doc_epoch::Departure;
use crate::error::{ChainError, Error, Result, VerifyError};
use crate::events::Event;
use crate::identity::{DeviceCert, DeviceRevocation};
use crate::ids::{DeviceId, ItemId, MemberId, NeighbourhoodId};
use crate::membership::{Chain, Revocation, RevocationSet, verify_chain};
use crate::model::Item;
use crate::snapshot;
use crate::store::MemberRecord;
use automerge::{AutoCommit, Change, ChangeHash};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Concurrent heads a member document may have. The wire carries one attestation per head, so
/// a document with more could not be relayed: it is refused on import, as on the wire, and an
/// honest relay never holds one (a "poisoned" document cannot get it banned).
pub const MAX_DOC_HEADS: usize = 256;
/// Device certificates (and attestations) in one bundle, and devices per member, at most.
pub const MAX_MEMBER_DEVICES: usize = 256;

/// Device revocations read from one bundle at most.
pub const MAX_DEVICE_REVOCATIONS: usize = 256;

/// Largest document payload accepted from outside.
pub const MAX_BUNDLE_BYTES: usize = 64 * 1024 * 1024;

/// A member document (or the part of it a peer lacks), with everything needed to verify it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocBundle {
    /// The neighbourhood.
    pub neighbourhood: NeighbourhoodId,
    /// The document's owner.
    pub owner: MemberId,
    /// The owner's proof of membership.
    pub owner_chain: Chain,
    /// The owner's device certificates (the devices whose signatures count).
    pub devices: Vec<DeviceCert>,
    /// The neighbourhood's member revocations the sender knows.
    pub revocations: Vec<Revocation>,
    /// The admissions that confirm the owner's membership (see `crate::admission`).
    pub owner_admissions: Vec<Admission>,
    /// Devices the owner revoked: their signatures vouch for nothing new.
    pub device_revocations: Vec<DeviceRevocation>,
    /// The document, whole or as the changes the receiver lacks.
    pub payload: DocPayload,
    /// Attestations of the payload's heads (enough: hashes cover ancestors).
    pub attestations: Vec<Attestation>,
}

/// A member document's content in a [`DocBundle`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocPayload {
    /// A whole compacted document (automerge `save()` format): cheapest for a fresh peer.
    Snapshot(Vec<u8>),
    /// Individual changes (automerge change chunks) on top of what the peer has. Decoding is
    /// bounded (see `bounded_changes`): a list of tiny entries cannot multiply into memory.
    Changes(#[serde(deserialize_with = "bounded_changes")] Vec<Vec<u8>>),
}

/// Changes in one payload at most.
pub const MAX_CHANGES_PER_BUNDLE: usize = 100_000;
/// The smallest automerge change chunk (magic, checksum, type, length, and an empty body is
/// already more): anything shorter is not a change, and refusing it while decoding keeps the
/// decoded size of a list within a small factor of its wire size.
pub const MIN_CHANGE_BYTES: usize = 16;

/// Deserialises a list of changes, refusing more than [`MAX_CHANGES_PER_BUNDLE`] entries or an
/// entry shorter than [`MIN_CHANGE_BYTES`] as soon as it is met.
fn bounded_changes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
    struct Entry(Vec<u8>);
    impl<'de> Deserialize<'de> for Entry {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Entry;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("an automerge change")
                }
                fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Entry, E> {
                    if v.len() < MIN_CHANGE_BYTES {
                        return Err(E::custom(format!("a change of {} bytes is too short", v.len())));
                    }
                    Ok(Entry(v.to_vec()))
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Entry, A::Error> {
                    let mut out = Vec::new();
                    while let Some(b) = seq.next_element::<u8>()? {
                        out.push(b);
                    }
                    self.visit_bytes(&out)
                }
            }
            d.deserialize_bytes(V)
        }
    }
    struct List;
    impl<'de> serde::de::Visitor<'de> for List {
        type Value = Vec<Vec<u8>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a list of automerge changes")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
            while let Some(Entry(change)) = seq.next_element::<Entry>()? {
                if out.len() >= MAX_CHANGES_PER_BUNDLE {
                    return Err(serde::de::Error::custom(format!(
                        "more than {MAX_CHANGES_PER_BUNDLE} changes in one message"
                    )));
                }
                out.push(change);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(List)
}

impl DocPayload {
    pub(super) fn size(&self) -> usize {
        match self {
            DocPayload::Snapshot(b) => b.len(),
            DocPayload::Changes(cs) => cs.iter().map(Vec::len).sum(),
        }
    }
}

/// Which version of a member document a replica has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocSummary {
    /// The document's owner.
    pub owner: MemberId,
    /// The heads (change hashes) the replica has of it.
    pub heads: Vec<[u8; 32]>,
}

/// What an import changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Individual changes applied (0 when a whole document was adopted as is).
    pub new_changes: usize,
    /// The payload was a whole document this device did not have yet.
    pub whole_document: bool,
    /// Items added or changed.
    pub items_changed: usize,
    /// Items removed.
    pub items_removed: usize,
    /// Loan records of the document refused on read, each with its reason
    /// (see `loan::check`); the rest of the document is imported.
    pub refused_records: Vec<String>,
}

/// A bundle that passed every check, ready to be committed.
pub(super) struct Verified {
    pub(super) key: DocKey,
    pub(super) doc: Incoming,
    pub(super) attestations: Vec<Attestation>,
    pub(super) member: MemberRecord,
    pub(super) revocations: Vec<Revocation>,
}

pub(super) enum Incoming {
    /// No local copy yet, or one of an older epoch (`replaces`): adopt the received document
    /// as is.
    Fresh { doc: Box<AutoCommit>, snapshot: Vec<u8>, replaces: bool },
    /// Apply these changes to the local copy.
    Changes(Vec<Change>),
}

impl Node {
    /// Heads of every member document this device has in `ns`.
    pub fn doc_summaries(&self, ns: &NeighbourhoodId) -> Result<Vec<DocSummary>> {
        let mut st = self.lock()?;
        st.neighbourhood(ns)?;
        st.summaries(ns, |_| true)
    }

    /// The document of `owner` in `ns` beyond `have` (the peer's heads; empty for everything).
    pub fn doc_bundle(&self, ns: &NeighbourhoodId, owner: &MemberId, have: &[[u8; 32]]) -> Result<DocBundle> {
        let mut st = self.lock()?;
        let rec = st.neighbourhood(ns)?.clone();
        let member = st
            .members
            .get(&(*ns, *owner))
            .cloned()
            .ok_or_else(|| Error::Corrupt(format!("no record of member {}", owner.short())))?;
        let (payload, heads) = if have.is_empty() {
            match st.current_snapshot(ns, owner)? {
                Some(sent) => sent,
                None => {
                    let doc = st.doc_mut(ns, owner)?;
                    let heads = doc.heads();
                    let snapshot = doc.save();
                    // Compaction for free: the next whole-document bundle (another new member)
                    // is read from the store as is. Failing to store it only loses that.
                    if st.store.write(|w| w.put_snapshot(ns, owner, &snapshot)).is_ok() {
                        st.unsnapshotted.insert((*ns, *owner), 0);
                    }
                    (DocPayload::Snapshot(snapshot), heads)
                }
            }
        } else {
            let doc = st.doc_mut(ns, owner)?;
            let have: Vec<ChangeHash> = have.iter().map(|h| ChangeHash(*h)).collect();
            let changes = doc.changes_since(&have);
            let heads = new_heads(&changes);
            (DocPayload::Changes(changes.iter().map(|c| c.raw_bytes().to_vec()).collect()), heads)
        };
        let wanted: HashSet<[u8; 32]> = heads.iter().map(|h| h.0).collect();
        let attestations = st.store.attestations_of(ns, owner, &wanted)?;
        if attestations.len() < wanted.len() {
            return Err(Error::Corrupt(format!("document of {} has unsigned heads", owner.short())));
        }
        let owner_admissions = st.admissions_for(ns, &member.chain);
        Ok(DocBundle {
            neighbourhood: *ns,
            owner: *owner,
            owner_admissions,
            device_revocations: member.revoked_devices,
            owner_chain: member.chain,
            devices: member.devices,
            revocations: rec.revocations,
            payload,
            attestations,
        })
    }

    /// Verifies and applies a document from outside. Nothing is applied or stored unless the
    /// owner is a member, every device is certified by the owner, and every new change is
    /// covered by a valid attestation.
    pub fn import_bundle(&self, bundle: &DocBundle) -> Result<ImportReport> {
        self.import_bundle_with(bundle, Flush::Now, None)
    }

    /// [`Node::import_bundle`] without waiting for the disk: the document is stored, listed and
    /// reported at once, and becomes durable with the next durable write or [`Node::flush`].
    /// For the documents of a sync round, which the peer sends again if a crash loses them:
    /// one fsync per round instead of one per document.
    pub fn import_bundle_unflushed(&self, bundle: &DocBundle) -> Result<ImportReport> {
        self.import_bundle_with(bundle, Flush::Later, None)
    }

    /// Makes every import so far durable (one fsync if one is pending).
    pub fn flush(&self) -> Result<()> {
        let mut st = self.lock()?;
        st.store.flush()?;
        if st.purge_pending {
            self.purge(&mut st, false)?;
        }
        Ok(())
    }

    pub(super) fn import_bundle_with(
        &self,
        bundle: &DocBundle,
        flush: Flush,
        prepared: Option<PreparedDoc>,
    ) -> Result<ImportReport> {
        let mut st = self.lock()?;
        let ns = bundle.neighbourhood;
        let was_confirmed = st.confirmed(&ns);
        let carried =
            bundle.owner_admissions.get(..MAX_CARRIED_ADMISSIONS).unwrap_or(&bundle.owner_admissions);
        if st.learn_admissions(&ns, carried, flush)? > 0 {
            self.settle_members(&mut st, &ns, was_confirmed)?;
        }
        // The first confirmed member to meet a pending joiner (here, through their document)
        // judges their ticket, with this device's clock and records.
        self.confirm_or_witness(&mut st, &ns, &bundle.owner_chain).map_err(not_member)?;
        let verified = verify_bundle(&mut st, bundle, prepared)?;
        let report = self.commit_verified(&mut st, verified, flush)?;
        if st.purge_pending {
            self.purge(&mut st, false)?;
        }
        Ok(report)
    }

    pub(super) fn commit_verified(&self, st: &mut State, v: Verified, flush: Flush) -> Result<ImportReport> {
        let (ns, owner) = v.key;
        let me = st.identity.as_ref().map(|i| i.device_id());
        let mut replaced = false;
        let (stored_snapshot, new_changes, touched) = match v.doc {
            Incoming::Fresh { doc, snapshot, replaces } => {
                let mut doc = MemberDoc::from_automerge(*doc);
                replaced = replaces;
                if let Some(device) = me {
                    doc.set_device(device);
                }
                st.docs.insert(v.key, doc);
                // Stored whole below: nothing of it waits for compaction.
                st.unsnapshotted.insert(v.key, 0);
                (Some(snapshot), Vec::new(), None)
            }
            Incoming::Changes(changes) => {
                if !st.docs.contains_key(&v.key) && st.store.doc(&ns, &owner)?.is_none() {
                    st.docs.insert(v.key, MemberDoc::load(None, Vec::new())?);
                }
                let doc = st.doc_mut(&ns, &owner)?;
                if let Some(device) = me {
                    doc.set_device(device);
                }
                // Signed changes can still be malformed in ways automerge panics or loops on (found
                // by fuzzing): applied and traced inside a guard; on failure the cached document,
                // which may be half-changed, is dropped and reloaded from the store next time.
                let applied = doc.apply_verified(changes.clone()).and_then(|fresh| {
                    let fresh: HashSet<ChangeHash> = fresh.into_iter().collect();
                    let new: Vec<Change> =
                        changes.into_iter().filter(|c| fresh.contains(&c.hash())).collect();
                    let touched = doc.touched_by(&new)?;
                    Ok((new, touched))
                });
                let (new, touched) = match applied {
                    Ok(done) => done,
                    Err(e) => {
                        st.forget_docs(&[ns], &owner);
                        return Err(e.into());
                    }
                };
                let ops: usize = new.iter().map(Change::len).sum();
                (None, new.iter().map(|c| c.raw_bytes().to_vec()).collect(), Some((touched, ops)))
            }
        };
        if stored_snapshot.is_none()
            && new_changes.is_empty()
            && v.revocations.is_empty()
            && st.members.get(&v.key) == Some(&v.member)
        {
            // Nothing new (a replayed or empty push): nothing to write, no fsync, no event.
            return Ok(ImportReport::default());
        }
        // Re-read only what the new changes touched (everything for a whole new document).
        let doc = st.doc_mut(&ns, &owner)?;
        let (touched, new_ops) = match touched {
            Some((touched, ops)) => (touched, ops),
            None => (Changed { everything: true, ..Changed::default() }, 0),
        };
        let read_loans = touched.everything || touched.loans;
        let shared: &MemberDoc = doc;
        // A large whole document's loans are read beside its items (reads only, joined here).
        let (items_now, loans_read) = std::thread::scope(|s| {
            let read = || (shared.borrowings(ns, owner), shared.lendings(ns, owner));
            let loans = (touched.everything && shared.worth_reading_in_parallel()).then(|| s.spawn(read));
            let items = touched.everything.then(|| shared.items(ns, owner));
            let loans = match loans {
                // A panicked read is done again here, where a sequential read would have raised it.
                Some(handle) => Some(handle.join().unwrap_or_else(|_| read())),
                None => read_loans.then(read),
            };
            (items, loans)
        });
        let some_items: Vec<(ItemId, Option<Item>)> = touched
            .items
            .iter()
            .filter_map(|key| key.parse::<ItemId>().ok())
            .map(|id| (id, doc.item(id, ns, owner)))
            .collect();
        let mut refused_records = Vec::new();
        let loans = loans_read.map(|((borrowing, refused_b), (lending, refused_l))| {
            refused_records = [refused_b, refused_l].concat();
            (borrowing, lending)
        });
        let heads_after: Vec<[u8; 32]> = doc.heads().iter().map(|h| h.0).collect();
        if heads_after.len() > MAX_DOC_HEADS {
            // The document in memory ran ahead of the store: reload it from there next time.
            st.forget_docs(&[ns], &owner);
            return Err(VerifyError::TooManyHeads { heads: heads_after.len(), max: MAX_DOC_HEADS }.into());
        }
        let mut member = v.member;
        let departure = doc.epoch().departure;
        if departure == Departure::Erased {
            member.name = String::new();
        } else if let Some(name) = doc.name() {
            member.name = name;
        }
        // Admissions this owner witnessed; only their own count (they signed them).
        let witnessed: Vec<Admission> = if touched.everything || touched.admissions {
            doc.admissions().into_iter().filter(|a| a.witness_device.member == owner).collect()
        } else {
            Vec::new()
        };
        let (changed, removed) = match items_now {
            Some(items) => st.read.diff_doc(ns, owner, items),
            None => {
                let changed: Vec<Item> = some_items
                    .iter()
                    .filter_map(|(_, i)| i.clone())
                    .filter(|i| st.read.get(&i.id) != Some(i))
                    .collect();
                let removed: Vec<ItemId> = some_items
                    .iter()
                    .filter(|(id, i)| {
                        i.is_none()
                            && st
                                .read
                                .get(id)
                                .is_some_and(|old| old.owner == owner && old.neighbourhood == ns)
                    })
                    .map(|(id, _)| *id)
                    .collect();
                (changed, removed)
            }
        };
        let mut rec = st.neighbourhood(&ns)?.clone();
        let revocations_changed = !v.revocations.is_empty();
        rec.revocations.extend(v.revocations);
        let write = |w: &mut crate::store::Writer<'_>| -> Result<()> {
            if replaced {
                // The older epoch's history goes: its signatures vouch for nothing here now.
                w.clear_attestations(&ns, &owner)?;
            }
            if departure != Departure::Stays {
                w.put_departed(&ns, &owner, departure.code())?;
            }
            match &stored_snapshot {
                Some(snapshot) => w.put_snapshot(&ns, &owner, snapshot)?,
                None => {
                    for bytes in &new_changes {
                        w.append_change(&ns, &owner, bytes)?;
                    }
                }
            }
            for att in &v.attestations {
                w.put_attestation(&ns, &owner, att)?;
            }
            w.put_member(&member)?;
            w.put_heads(&ns, &owner, &heads_after)?;
            if revocations_changed {
                w.put_neighbourhood(&rec)?;
            }
            w.put_items(&changed)?;
            if let Some((borrowing, lending)) = &loans {
                w.replace_loans_of(&ns, &owner, borrowing, lending)?;
            }
            for id in &removed {
                w.delete_item(&owner, id)?;
            }
            Ok(())
        };
        let result = match flush {
            Flush::Now => st.store.write(write),
            Flush::Later => st.store.write_unflushed(write),
        };
        if let Err(e) = result {
            st.forget_docs(&[ns], &owner);
            return Err(e);
        }
        if stored_snapshot.is_none() {
            st.note_change(ns, owner, new_ops);
        }
        st.heads.insert(v.key, heads_after);
        let name_changed = st.members.get(&v.key).is_none_or(|m| m.name != member.name);
        st.read.set_name(ns, owner, member.name.clone());
        st.members.insert(v.key, member.clone());
        // An older epoch's history was dropped: the file must not keep it (see `purge`).
        st.purge_pending |= replaced;
        if departure != Departure::Stays {
            st.departed.insert(v.key, departure);
        }
        st.neighbourhoods.insert(ns, rec);
        if name_changed {
            self.emit(Event::MemberUpdated { neighbourhood: ns, member: owner, name: member.name });
        }
        let report = ImportReport {
            new_changes: new_changes.len(),
            whole_document: stored_snapshot.is_some(),
            items_changed: changed.len(),
            items_removed: removed.len(),
            refused_records,
        };
        self.apply_read_diff(st, ns, changed, removed);
        if revocations_changed {
            let rec = st.neighbourhood(&ns)?.clone();
            self.store_revocations(st, rec)?;
        }
        if !witnessed.is_empty() {
            let was_confirmed = st.confirmed(&ns);
            let witnessed = witnessed.get(..MAX_WITNESSED_PER_DOC).unwrap_or(&witnessed);
            if st.learn_admissions(&ns, witnessed, flush)? > 0 {
                self.settle_members(st, &ns, was_confirmed)?;
            }
        }
        if let Some((borrowing, lending)) = loans {
            // Only loans of items this document's loan records touch can have changed.
            let items = st.loans.items_of(ns, owner, &borrowing, &lending);
            let before = st.loan_views_of(st.today(), Some(&items));
            st.loans.replace_doc(ns, owner, borrowing, lending);
            self.emit_loan_changes(st, &items, &before);
        }
        Ok(report)
    }

    fn apply_read_diff(&self, st: &mut State, ns: NeighbourhoodId, changed: Vec<Item>, removed: Vec<ItemId>) {
        let drops_photos = st.drops_photos(&changed, &removed);
        for item in changed {
            let existed = st.read.get(&item.id).is_some();
            let view = st.read.view(&item);
            st.read.upsert(item);
            self.emit(if existed { Event::ItemUpdated(view) } else { Event::ItemAdded(view) });
        }
        for id in removed {
            st.read.remove(id);
            self.emit(Event::ItemRemoved { neighbourhood: ns, item: id });
        }
        if drops_photos {
            // The documents are stored; blobs left over now are swept again at the next open.
            let _ = st.sweep_photos();
        }
    }
}

impl State {
    /// Heads of the documents of the members of `ns` that `keep` accepts, sorted by owner.
    pub(super) fn summaries(
        &mut self,
        ns: &NeighbourhoodId,
        keep: impl Fn(&MemberRecord) -> bool,
    ) -> Result<Vec<DocSummary>> {
        let owners: Vec<MemberId> =
            self.members.values().filter(|m| m.neighbourhood == *ns && keep(m)).map(|m| m.member).collect();
        let mut out = Vec::with_capacity(owners.len());
        for owner in owners {
            out.push(DocSummary { owner, heads: self.heads_of(ns, &owner)? });
        }
        out.sort_by_key(|s| s.owner);
        Ok(out)
    }
}

/// Whether an import waits for the disk before returning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Flush {
    Now,
    Later,
}

/// Changes in `changes` that no other change in the set depends on.
fn new_heads(changes: &[Change]) -> Vec<ChangeHash> {
    let deps: HashSet<ChangeHash> = changes.iter().flat_map(|c| c.deps().iter().copied()).collect();
    changes.iter().map(Change::hash).filter(|h| !deps.contains(h)).collect()
}

/// A membership failure of a document's owner, as a rejection of the document.
fn not_member(e: Error) -> Error {
    match e {
        Error::Membership(c) => VerifyError::NotMember(c).into(),
        e => e,
    }
}

/// The owner's devices as this device knows them joined with the bundle's: every certificate
/// listed, the revocations, and which devices' signatures count.
pub(super) struct OwnerDevices {
    pub(super) listed: Vec<DeviceCert>,
    pub(super) revocations: Vec<DeviceRevocation>,
    pub(super) trusted: HashSet<DeviceId>,
    pub(super) revoked: HashSet<DeviceId>,
}

/// Joins the owner's stored device certificates and revocations with the bundle's (bounded).
pub(super) fn owner_devices(b: &DocBundle, stored: Option<&MemberRecord>) -> Result<OwnerDevices> {
    let mut listed: Vec<DeviceCert> = stored.map(|m| m.devices.clone()).unwrap_or_default();
    for cert in &b.devices {
        if !listed.contains(cert) {
            listed.push(cert.clone());
        }
    }
    let mut revocations: Vec<DeviceRevocation> =
        stored.map(|m| m.revoked_devices.clone()).unwrap_or_default();
    for r in b.device_revocations.iter().take(MAX_DEVICE_REVOCATIONS) {
        if r.member == b.owner && r.is_valid() && !revocations.iter().any(|k| k.device == r.device) {
            revocations.push(r.clone());
        }
    }
    if listed.len() > MAX_MEMBER_DEVICES || b.attestations.len() > MAX_MEMBER_DEVICES {
        return Err(VerifyError::TooMany { what: "devices or signatures", max: MAX_MEMBER_DEVICES }.into());
    }
    let (trusted, revoked) = trusted_unrevoked(&b.owner, &listed, &revocations)?;
    Ok(OwnerDevices { listed, revocations, trusted, revoked })
}

/// Every check an incoming document must pass; writes nothing. `prepared`: the same document
/// checked and loaded beforehand (see `prepare`), used only if it still fits.
pub(super) fn verify_bundle(
    st: &mut State,
    b: &DocBundle,
    prepared: Option<PreparedDoc>,
) -> Result<Verified> {
    let size = b.payload.size();
    if size > MAX_BUNDLE_BYTES {
        return Err(VerifyError::TooLarge { size, max: MAX_BUNDLE_BYTES }.into());
    }
    let ns = b.neighbourhood;
    let rec = st.neighbourhood(&ns)?;
    let known_revocations: HashSet<[u8; 32]> = rec.revocations.iter().map(|r| r.subject).collect();
    let new_revocations: Vec<Revocation> = b
        .revocations
        .iter()
        .filter(|r| r.neighbourhood == ns && r.is_valid() && !known_revocations.contains(&r.subject))
        .cloned()
        .collect();
    let revoked = RevocationSet::from_revocations(&ns, rec.revocations.iter().chain(&new_revocations));
    let proven = verify_chain(&b.owner_chain, &ns, &revoked).map_err(VerifyError::NotMember)?;
    // Having left, this device hands on its own departure and takes nothing in.
    let me = st.identity()?.member_id();
    if b.owner != me && st.departed.contains_key(&(ns, me)) {
        return Err(VerifyError::NotMember(ChainError::Departed).into());
    }
    st.confirm(&ns, &b.owner_chain).map_err(not_member)?;
    if proven != b.owner {
        return Err(
            VerifyError::NotMember(ChainError::WrongMember { expected: b.owner, found: proven }).into()
        );
    }
    let key = (ns, b.owner);
    let OwnerDevices { listed: devices_list, revocations: revoked_devices, trusted: devices, revoked } =
        owner_devices(b, st.members.get(&key))?;

    let have_local = st.docs.contains_key(&key) || st.store.doc(&ns, &b.owner)?.is_some();
    let local_epoch = if have_local { st.doc_mut(&ns, &b.owner)?.epoch().number } else { 0 };
    // A whole document already checked and loaded off the lock (`prepare`), on what still holds.
    let ready = match (&b.payload, prepared) {
        (DocPayload::Snapshot(bytes), Some(p)) if !have_local => {
            p.take_if_fits(&key, bytes, &devices, &revoked)
        }
        _ => None,
    };
    // A snapshot is walked (inflation capped) and loaded once, whichever path it takes.
    let route = match (&b.payload, ready) {
        (DocPayload::Snapshot(bytes), Some((doc, used))) => {
            Route::Adopt(Incoming::Fresh { doc, snapshot: bytes.clone(), replaces: false }, used)
        }
        (DocPayload::Snapshot(bytes), None) => {
            let mut declared = snapshot::inspect(bytes, snapshot::MAX_INFLATED_BYTES)?.heads;
            // A whole document for a member this device has none of: its heads' attestations
            // are checked before automerge loads anything (it loads only what the owner signed).
            let used = if have_local {
                None
            } else {
                Some(verify_heads_revoked(&ns, &b.owner, &devices, &revoked, &b.attestations, &declared)?)
            };
            let mut doc = load(bytes)?;
            let epoch = crate::doc_epoch::epoch_of(&doc).number;
            if have_local && epoch == local_epoch {
                // The epoch here: merged change by change, each covered by an attestation.
                Route::Merge(doc.get_changes(&[]))
            } else {
                // No local copy, or one of another epoch (read before the signatures, only to
                // choose the path): the heads' attestations cover every change in it.
                let used = match used {
                    Some(used) => used,
                    None => {
                        verify_heads_revoked(&ns, &b.owner, &devices, &revoked, &b.attestations, &declared)?
                    }
                };
                let mut heads = doc.get_heads();
                heads.sort();
                declared.sort();
                if heads != declared {
                    return Err(VerifyError::Malformed(
                        "the snapshot's content does not match its heads".into(),
                    )
                    .into());
                }
                if epoch < local_epoch {
                    return Err(VerifyError::OlderEpoch { epoch, here: local_epoch }.into());
                }
                Route::Adopt(
                    Incoming::Fresh { doc: Box::new(doc), snapshot: bytes.clone(), replaces: have_local },
                    used,
                )
            }
        }
        (DocPayload::Changes(list), _) => Route::Merge(
            list.iter()
                .map(|bytes| {
                    Change::from_bytes(bytes.clone()).map_err(|e| VerifyError::Malformed(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let (doc, attestations) = match route {
        Route::Adopt(doc, used) => (doc, used),
        Route::Merge(changes) => {
            let known: HashSet<ChangeHash> = if have_local {
                let doc = st.doc_mut(&ns, &b.owner)?;
                changes.iter().map(Change::hash).filter(|h| doc.has_change(h)).collect()
            } else {
                HashSet::new()
            };
            let used =
                verify_changes_revoked(&ns, &b.owner, &devices, &revoked, &b.attestations, &changes, |h| {
                    known.contains(h)
                })?;
            // A first change (no dependencies) that is not this document's: a whole other
            // history, which is a later epoch to adopt in place of this one, or is refused.
            let other_history =
                have_local && changes.iter().any(|c| c.deps().is_empty() && !known.contains(&c.hash()));
            if other_history {
                let mut doc = MemberDoc::load(None, Vec::new())?;
                doc.apply_verified(changes)?;
                let epoch = doc.epoch().number;
                if epoch <= local_epoch {
                    return Err(VerifyError::OlderEpoch { epoch, here: local_epoch }.into());
                }
                let snapshot = doc.save();
                (Incoming::Fresh { doc: Box::new(doc.doc), snapshot, replaces: true }, used)
            } else {
                (Incoming::Changes(changes), used)
            }
        }
    };
    let name = st.members.get(&key).map(|m| m.name.clone()).unwrap_or_else(|| b.owner.short());
    let member = MemberRecord {
        neighbourhood: ns,
        member: b.owner,
        name,
        chain: b.owner_chain.clone(),
        devices: devices_list,
        revoked_devices,
    };
    Ok(Verified { key, doc, attestations, member, revocations: new_revocations })
}

impl State {
    /// The stored snapshot of a document and its heads, when no change was stored after it:
    /// then it is the whole document as it stands, sent without loading or saving it again.
    pub(super) fn current_snapshot(
        &mut self,
        ns: &NeighbourhoodId,
        owner: &MemberId,
    ) -> Result<Option<(DocPayload, Vec<ChangeHash>)>> {
        let Some(crate::store::StoredDoc { snapshot: Some(snapshot), changes }) =
            self.store.doc(ns, owner)?
        else {
            return Ok(None);
        };
        if !changes.is_empty() {
            return Ok(None);
        }
        let Some(heads) = self.heads.get(&(*ns, *owner)) else { return Ok(None) };
        Ok(Some((DocPayload::Snapshot(snapshot), heads.iter().map(|h| ChangeHash(*h)).collect())))
    }
}

/// What an incoming document becomes: adopted whole (with the attestations that vouch for
/// it), or merged change by change.
enum Route {
    Adopt(Incoming, Vec<Attestation>),
    Merge(Vec<Change>),
}

/// Loads a snapshot already walked by `snapshot::inspect`.
pub(super) fn load(bytes: &[u8]) -> Result<AutoCommit> {
    Ok(AutoCommit::load(bytes).map_err(|e| VerifyError::Malformed(e.to_string()))?)
}
