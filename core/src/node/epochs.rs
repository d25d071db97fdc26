//! This member's epochs: forgetting removed content, leaving a neighbourhood and erasing what
//! one published, each as a rebased document signed like any change, which peers adopt in
//! place of the old one (see `crate::doc_epoch`). Only the device holding the member key makes
//! epochs, so two devices never make two different epochs of one document.

use super::replication::{Flush, Incoming, Verified};
use super::{Node, State};
use crate::attest::Attestation;
use crate::doc_epoch::Departure;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::NeighbourhoodId;

/// Store rewrites for epochs received from peers, at most one per this.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

impl Node {
    /// Rebases this member's document in `ns` onto a fresh history holding only what it shows
    /// now: removed items and earlier titles and descriptions are gone from this device's store
    /// and, once they sync, from every peer's. Needs the member key.
    pub fn forget_history(&self, ns: &NeighbourhoodId) -> Result<()> {
        let mut st = self.lock()?;
        self.rebase_own(&mut st, ns, Departure::Stays)
    }

    /// Leaves `ns`. On the device holding the member key, it publishes a signed departure: peers
    /// that receive it (at the next sync) drop this member's items, keep of their loans only
    /// what the other party needs, and give this member nothing more; with `erase`, the name
    /// goes too. This device forgets everything else about `ns` at once and keeps only its own
    /// departure to hand on; calling `leave` again forgets that too. On a linked device, and
    /// for a neighbourhood already left, it only forgets this device's copy.
    pub fn leave_neighbourhood(&self, ns: &NeighbourhoodId, erase: bool) -> Result<()> {
        let mut st = self.lock()?;
        st.neighbourhood(ns)?;
        let identity = st.identity()?.clone();
        let me = identity.member_id();
        if identity.member_key.is_none() || st.departed.contains_key(&(*ns, me)) {
            return self.forget_neighbourhood(&mut st, ns);
        }
        let departure = if erase { Departure::Erased } else { Departure::Left };
        self.rebase_own(&mut st, ns, departure)?;
        let items: Vec<_> =
            st.read.all().filter(|i| i.neighbourhood == *ns).map(|i| (i.owner, i.id)).collect();
        st.store.write(|w| {
            w.delete_others_in(ns, &me, &items)?;
            w.delete_loans_in(ns)
        })?;
        st.members.retain(|(n, m), _| n != ns || *m == me);
        st.docs.retain(|(n, m), _| n != ns || *m == me);
        st.heads.retain(|(n, m), _| n != ns || *m == me);
        st.read.remove_neighbourhood(*ns);
        st.loans.remove_neighbourhood(*ns);
        st.admissions.remove(ns);
        st.departed.retain(|(n, m), _| n != ns || *m == me);
        st.standing.borrow_mut().clear();
        self.emit(Event::NeighbourhoodLeft { neighbourhood: *ns });
        Ok(())
    }

    /// The epoch of `owner`'s document in `ns` here (0 before any rebase).
    pub(crate) fn epoch_number(&self, ns: &NeighbourhoodId, owner: &crate::ids::MemberId) -> Result<u64> {
        Ok(self.lock()?.doc_mut(ns, owner)?.epoch().number)
    }

    /// Whether this member left `ns` (its departure still kept here to hand on).
    pub fn has_left(&self, ns: &NeighbourhoodId) -> Result<bool> {
        let st = self.lock()?;
        let me = st.identity()?.member_id();
        Ok(st.departed.contains_key(&(*ns, me)))
    }

    /// Rewrites the store file so that nothing deleted lingers in it (see `store_rewrite`):
    /// at once after this member's own rebase or departure, and at most once a minute for
    /// epochs received from peers (a member rebasing in a loop cannot make every replica
    /// rewrite its store without pause); one left waiting is done by a later import or `flush`.
    pub(super) fn purge(&self, st: &mut State, now: bool) -> Result<()> {
        let due = st.last_purge.is_none_or(|t| t.elapsed() >= PURGE_EVERY);
        if !(now || due) {
            st.purge_pending = true;
            return Ok(());
        }
        st.store.flush()?;
        let fresh = st.store.rewritten(&self.data_dir.join(super::STORE_FILE))?;
        // The old handle goes now: it only still read the old, unlinked file.
        drop(std::mem::replace(&mut st.store, fresh));
        st.last_purge = Some(std::time::Instant::now());
        st.purge_pending = false;
        Ok(())
    }

    /// Replaces this member's document in `ns` by its next epoch, stored and read like a
    /// document received whole.
    pub(super) fn rebase_own(
        &self,
        st: &mut State,
        ns: &NeighbourhoodId,
        departure: Departure,
    ) -> Result<()> {
        st.neighbourhood(ns)?;
        let identity = st.identity()?.clone();
        identity.member_key()?;
        let me = identity.member_id();
        let (mut doc, change) = st.doc_mut(ns, &me)?.rebased(identity.device_id(), departure)?;
        let member = st
            .members
            .get(&(*ns, me))
            .cloned()
            .ok_or_else(|| Error::Corrupt(format!("no record of member {}", me.short())))?;
        let snapshot = doc.save();
        let verified = Verified {
            key: (*ns, me),
            doc: Incoming::Fresh { doc: Box::new(doc.doc), snapshot, replaces: true },
            attestations: vec![Attestation::sign(&identity.device_key, ns, &me, &change.hash())],
            member,
            revocations: Vec::new(),
        };
        self.commit_verified(st, verified, Flush::Now)?;
        self.purge(st, true)
    }
}

impl Node {
    /// Commits a local change to this member's document ([`State::commit_local`]). If that
    /// reached a compaction point worth a rebase, the caller rebases with
    /// [`Node::rebase_if_due`] once its read model and loan book show the change.
    pub(super) fn commit_own(
        &self,
        st: &mut State,
        ns: NeighbourhoodId,
        change: &automerge::Change,
        more: impl FnOnce(&mut crate::store::Writer<'_>) -> Result<()>,
    ) -> Result<()> {
        st.commit_local(ns, change, more)
    }

    /// Rebases this member's document in `ns` if a commit reached a compaction point worth a
    /// rebase. Called once the read model and the loan book show the commit: the rebased
    /// document shows the same, so the rebase emits no event (called earlier, it re-announced
    /// the change, or every item of a bulk import). The rebase is an optimisation like
    /// compaction: if it fails, the change is still stored.
    pub(super) fn rebase_if_due(&self, st: &mut State, ns: NeighbourhoodId) {
        if st.rebase_due.remove(&ns) {
            let _ = self.rebase_own(st, &ns, Departure::Stays);
        }
    }
}

impl State {
    /// Whether this member's own document, at a compaction point, is better rebased than
    /// snapshotted (see [`super::AUTO_REBASE_MIN_CHANGES`]).
    pub(super) fn worth_a_rebase(&mut self, ns: &NeighbourhoodId, owner: &crate::ids::MemberId) -> bool {
        let Some(identity) = self.identity.as_ref() else { return false };
        if identity.member_id() != *owner || identity.member_key.is_none() || !self.sole_device(ns, owner) {
            return false;
        }
        if self.departed.contains_key(&(*ns, *owner)) {
            return false;
        }
        self.docs
            .get_mut(&(*ns, *owner))
            .is_some_and(|doc| doc.changes_in_epoch() >= super::AUTO_REBASE_MIN_CHANGES)
    }

    /// Whether this member's own document in `ns` carries a history (operations that no longer
    /// show) of at least [`super::AUTO_REBASE_MIN_OPS`] operations and at least as many as it
    /// shows: a compaction point before the 12,000 operations of others for a document small
    /// enough to be rebased often. Items added are not history: a growing document is not
    /// rebased for growing.
    pub(super) fn own_history_outgrew(&mut self, ns: &NeighbourhoodId, owner: &crate::ids::MemberId) -> bool {
        if self.identity.as_ref().is_none_or(|i| i.member_id() != *owner) {
            return false;
        }
        self.docs.get_mut(&(*ns, *owner)).is_some_and(|doc| doc.history_outgrew(super::AUTO_REBASE_MIN_OPS))
    }

    /// Whether this device is `me`'s only unrevoked device known in `ns`.
    pub(super) fn sole_device(&self, ns: &NeighbourhoodId, me: &crate::ids::MemberId) -> bool {
        let Some(rec) = self.members.get(&(*ns, *me)) else { return true };
        let here = self.identity.as_ref().map(|i| i.device_id());
        rec.devices.iter().all(|c| Some(c.device) == here || rec.device_revoked(&c.device))
    }
}
