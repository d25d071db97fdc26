//! Membership as members judge it: admissions (see `crate::admission`), witnessing joiners,
//! and dropping whoever no longer stands (revoked, or admitted beyond an invite's uses).

use super::replication::Flush;
use super::{Node, State};
use crate::admission::{Admission, AdmissionBook, Judge, MAX_CARRIED_ADMISSIONS};
use crate::error::{ChainError, Result};
use crate::events::Event;
use crate::ids::{ItemId, MemberId, NeighbourhoodId};
use crate::membership::{CertKind, Chain, RevocationSet};

/// Judgements cached at most (one per member chain; cleared when full).
const STANDING_CACHE_MAX: usize = 16_384;

/// Cached membership judgements: (neighbourhood, hash of the chain) → ((book version,
/// revocation count), verdict).
pub(super) type StandingCache = std::cell::RefCell<
    std::collections::HashMap<
        (NeighbourhoodId, [u8; 32]),
        ((u64, usize), std::result::Result<MemberId, ChainError>),
    >,
>;

impl State {
    /// Runs `f` with the judge of `ns` (its revocations) and its admission book.
    pub(super) fn judged<T>(
        &self,
        ns: &NeighbourhoodId,
        f: impl FnOnce(&Judge<'_>, &AdmissionBook) -> T,
    ) -> Result<T> {
        let rec = self.neighbourhood(ns)?;
        let revoked = RevocationSet::from_revocations(ns, &rec.revocations);
        let judge = Judge { neighbourhood: *ns, revoked: &revoked, revocations: &rec.revocations };
        let empty = AdmissionBook::default();
        Ok(f(&judge, self.admissions.get(ns).unwrap_or(&empty)))
    }

    /// The member `chain` proves, if members' records confirm every invite in it. Cached per
    /// chain until the admission book or the revocations of `ns` change (listings and sync
    /// summaries ask this for every member; the answer costs a few signature checks).
    pub(super) fn confirm(
        &self,
        ns: &NeighbourhoodId,
        chain: &[crate::membership::Cert],
    ) -> Result<MemberId> {
        let facts = (
            self.admissions.get(ns).map_or(0, AdmissionBook::version),
            self.neighbourhood(ns)?.revocations.len(),
        );
        let key = (*ns, *blake3::hash(&crate::store::encode(&chain)?).as_bytes());
        if let Some((seen, verdict)) = self.standing.borrow().get(&key)
            && *seen == facts
        {
            return Ok(verdict.clone()?);
        }
        let verdict = self.judged(ns, |judge, book| judge.confirm(chain, book))?;
        let mut cache = self.standing.borrow_mut();
        if cache.len() >= STANDING_CACHE_MAX {
            cache.clear();
        }
        cache.insert(key, (facts, verdict.clone()));
        Ok(verdict?)
    }

    /// Whether this device's own membership of `ns` is confirmed.
    pub(super) fn confirmed(&self, ns: &NeighbourhoodId) -> bool {
        self.neighbourhood(ns).is_ok_and(|rec| self.confirm(ns, &rec.chain).is_ok())
    }

    /// Adds the trustworthy admissions among `incoming` to the book (and the store); returns
    /// how many were new. An import that flushes at the end of its round learns them unflushed
    /// too: the round's flush (or any later durable write) keeps them, in order.
    pub(super) fn learn_admissions(
        &mut self,
        ns: &NeighbourhoodId,
        incoming: &[Admission],
        flush: Flush,
    ) -> Result<usize> {
        if incoming.is_empty() {
            return Ok(0);
        }
        let mut book = self.admissions.remove(ns).unwrap_or_default();
        let added = self.judged(ns, |judge, _| judge.learn(&mut book, incoming));
        let result = match added {
            Ok(fresh) if fresh.is_empty() => Ok(0),
            Ok(fresh) => {
                let put =
                    |w: &mut crate::store::Writer<'_>| fresh.iter().try_for_each(|a| w.put_admission(a));
                let written = match flush {
                    Flush::Now => self.store.write(put),
                    Flush::Later => self.store.write_unflushed(put),
                };
                written.map(|()| fresh.len())
            }
            Err(e) => Err(e),
        };
        self.admissions.insert(*ns, book);
        result
    }

    /// The admissions a peer needs to confirm `chain`: those of each member in it who came
    /// through an invite, then those of their witnesses, nearest first, at most
    /// [`MAX_CARRIED_ADMISSIONS`].
    pub(super) fn admissions_for(
        &self,
        ns: &NeighbourhoodId,
        chain: &[crate::membership::Cert],
    ) -> Vec<Admission> {
        let Some(book) = self.admissions.get(ns) else { return Vec::new() };
        let mut out: Vec<Admission> = Vec::new();
        let mut queue: Vec<Chain> = vec![chain.to_vec()];
        while let Some(chain) = queue.pop() {
            for pair in chain.windows(2) {
                let [invite, joined] = pair else { continue };
                if invite.kind != CertKind::Invite {
                    continue;
                }
                let Some(a) = book.get(&MemberId(joined.subject)) else { continue };
                if out.len() >= MAX_CARRIED_ADMISSIONS {
                    return out;
                }
                if !out.contains(a) {
                    out.push(a.clone());
                    queue.insert(0, a.witness_chain.clone());
                }
            }
        }
        out
    }
}

impl Node {
    /// Confirms the member `chain` proves, witnessing their redemption here if no member has
    /// yet and this device may (it is confirmed itself, and the invite is still valid by this
    /// device's clock and records). A witnessed admission is written into this member's own
    /// document, from where it spreads.
    pub(super) fn confirm_or_witness(
        &self,
        st: &mut State,
        ns: &NeighbourhoodId,
        chain: &[crate::membership::Cert],
    ) -> Result<MemberId> {
        match st.confirm(ns, chain) {
            Err(crate::Error::Membership(ChainError::NotConfirmed)) => {}
            other => return other,
        }
        let [.., invite, joined] = chain else { return Err(ChainError::NotConfirmed.into()) };
        let member = MemberId(joined.subject);
        if invite.kind != CertKind::Invite || !st.confirmed(ns) {
            return Err(ChainError::NotConfirmed.into());
        }
        // The inviter's own standing must hold before their invite can admit anyone.
        st.confirm(ns, chain.get(..chain.len().saturating_sub(2)).unwrap_or_default())?;
        let now = st.now();
        st.judged(ns, |judge, book| judge.may_admit(invite, &member, now, book))??;
        let identity = st.identity()?.clone();
        let me = identity.member_id();
        let my_chain = st.neighbourhood(ns)?.chain.clone();
        let admission = Admission::issue(
            &identity.device_key,
            my_chain,
            identity.device_cert.clone(),
            invite,
            joined,
            now,
        );
        let change = st.doc_mut(ns, &me)?.put_admission(&admission)?;
        match change {
            Some(change) => st.commit_local(*ns, &change, |w| w.put_admission(&admission))?,
            None => st.store.write(|w| w.put_admission(&admission))?,
        }
        st.admissions.entry(*ns).or_default().insert(admission);
        st.confirm(ns, chain)
    }

    /// Drops the items of every member of `ns` whose membership no longer stands here
    /// (revoked, or admitted beyond an invite's uses), and reports my own confirmation.
    pub(super) fn settle_members(
        &self,
        st: &mut State,
        ns: &NeighbourhoodId,
        was_confirmed: bool,
    ) -> Result<()> {
        let me = st.identity()?.member_id();
        let gone: Vec<MemberId> = st
            .members
            .values()
            .filter(|m| m.neighbourhood == *ns && m.member != me && st.confirm(ns, &m.chain).is_err())
            .map(|m| m.member)
            .collect();
        let items: Vec<_> = if gone.is_empty() {
            Vec::new()
        } else {
            st.read
                .all()
                .filter(|i| i.neighbourhood == *ns && gone.contains(&i.owner))
                .map(|i| (i.owner, i.id))
                .collect()
        };
        if !items.is_empty() {
            // Their photos go with them (unless another item shows the same blob), in the same
            // transaction: not left for the next open's sweep.
            let ids: Vec<ItemId> = items.iter().map(|(_, id)| *id).collect();
            let unused = st.blobs_freed_by_removing(&ids);
            st.store.write(|w| {
                items.iter().try_for_each(|(owner, id)| w.delete_item(owner, id))?;
                unused.iter().try_for_each(|h| w.delete_blob(h))
            })?;
        }
        for (_, id) in &items {
            st.read.remove(*id);
            self.emit(Event::ItemRemoved { neighbourhood: *ns, item: *id });
        }
        for member in gone {
            if st.gone_reported.insert((*ns, member)) {
                self.emit(Event::MemberRevoked { neighbourhood: *ns, member });
            }
        }
        if !was_confirmed && st.confirmed(ns) {
            self.emit(Event::MembershipConfirmed { neighbourhood: *ns });
        }
        Ok(())
    }
}
