//! What a session does with each incoming message.

use super::{End, Out, Report, Session};
use crate::digest;
use crate::wire::{DocHash, HelloEntry, Msg, WireBundle};
use partage::events::NetEvent;
use partage::membership::Revocation;
use partage::node::MembershipProof;
use partage::{ChainError, DocBundle, MemberId, NeighbourhoodId, VerifyError};
use std::collections::{HashMap, HashSet};

/// Who is to blame for a failed node call on peer data.
enum Blame {
    /// The data failed verification: the peer sent it.
    Peer,
    /// The neighbourhood is gone here (left meanwhile): nothing to do.
    Gone,
    /// Something broke on this device.
    Local,
}

fn blame(e: &partage::Error) -> Blame {
    match e {
        partage::Error::Rejected(_)
        | partage::Error::Membership(_)
        | partage::Error::Invalid(_)
        | partage::Error::Ticket(_) => Blame::Peer,
        partage::Error::UnknownNeighbourhood(_) => Blame::Gone,
        _ => Blame::Local,
    }
}

/// A document whose owner's membership does not stand here (revoked, not yet confirmed, or
/// admitted beyond an invite's uses): honest peers may still carry it, as they may not know
/// what this device knows, so it is refused without blaming the peer.
fn owner_revoked(e: &partage::Error) -> bool {
    matches!(
        e,
        partage::Error::Rejected(VerifyError::NotMember(
            ChainError::Revoked
                | ChainError::NotConfirmed
                | ChainError::InviteUsedUp { .. }
                | ChainError::InviteClosed
                | ChainError::InviteExpired(_)
        ))
    )
}

fn short_reason(e: &partage::Error) -> String {
    let mut s = e.to_string();
    if s.len() > crate::wire::MAX_REASON {
        let mut cut = crate::wire::MAX_REASON;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

impl Session {
    pub(super) async fn handle(&mut self, msg: Msg, size: usize) -> Result<(), End> {
        match msg {
            Msg::Hello { reply, entries } => self.on_hello(reply, entries).await,
            Msg::Proof { ns, proof } => {
                let result = self.on_proof(ns, proof).await;
                // The reader may hold a large frame until this proof is judged (see `io`).
                self.proofs.send_modify(|p| p.handled = p.handled.saturating_add(1));
                result
            }
            Msg::Denied { ns, reason } => {
                self.on_denied(ns, reason);
                Ok(())
            }
            Msg::Summary { ns, docs, revocations } => self.on_summary(ns, docs, revocations).await,
            Msg::Want { ns, owner, heads } => self.on_want(ns, owner, heads),
            Msg::Bundle { answer, bundle } => self.on_bundle(answer, bundle, size).await,
            Msg::NoChange { ns, owner } => self.on_no_change(ns, owner).await,
            Msg::Ahead { ns, owner, heads } => self.on_ahead(ns, owner, heads).await,
            Msg::Status { ns, digest, ack } => self.on_status(ns, digest, ack).await,
        }
    }

    /// `Ok(true)` if the peer proved membership of `ns`; `Ok(false)` if I refused it (its
    /// messages may have crossed my refusal: ignored, never applied); misbehaviour otherwise.
    fn require_verified(&self, ns: &NeighbourhoodId, what: &str) -> Result<bool, End> {
        match self.shared.get(ns) {
            Some(st) if st.verified() => Ok(true),
            Some(st) if st.denied => Ok(false),
            _ => Err(End::Misbehaved(format!(
                "sent a {what} for a neighbourhood it has not proven membership of"
            ))),
        }
    }

    async fn on_hello(&mut self, reply: bool, entries: Vec<HelloEntry>) -> Result<(), End> {
        if reply && !self.hello_requests.allow(super::limits::HELLOS_PER_WINDOW) {
            return Err(End::Misbehaved("asked for new rounds faster than the protocol allows".into()));
        }
        if reply {
            // The peer asks for a new round: answer with my current state.
            self.begin_round();
            self.refresh_tags().await?;
            self.mine.clear();
            self.queue_hello(false).await?;
        } else {
            self.hellos_expected = self.hellos_expected.saturating_sub(1);
        }
        for e in entries {
            let Some(ns) = self.tags.get(&e.tag).copied() else { continue };
            let Some((summaries, mine)) = self.my_summaries(&ns).await? else { continue };
            let st = self.shared.entry(ns).or_default();
            st.peer_digest = Some(e.digest);
            if mine == e.digest {
                st.known = Some(summaries.iter().map(|d| (d.owner, d.heads.clone())).collect());
                // Nothing to exchange, but proofs all the same: a connection whose peer never
                // proved membership is let go as a stranger's (and live pushes need them).
                self.advance(ns).await?;
            } else {
                st.exchange_wanted = true;
                self.begin_round();
                self.advance(ns).await?;
            }
        }
        Ok(())
    }

    /// Moves the exchange of `ns` forward as far as it can go now: my proof, my summary once the
    /// peer is verified, and pushes that waited for its proof.
    pub(super) async fn advance(&mut self, ns: NeighbourhoodId) -> Result<(), End> {
        let Some(st) = self.shared.get(&ns) else { return Ok(()) };
        if st.closed() {
            return Ok(());
        }
        self.send_proof(ns).await?;
        let Some(st) = self.shared.get_mut(&ns) else { return Ok(()) };
        if !st.verified() {
            return Ok(());
        }
        if st.exchange_wanted {
            self.queue_summary(ns).await?;
        }
        let Some(st) = self.shared.get_mut(&ns) else { return Ok(()) };
        if st.push_pending {
            st.push_pending = false;
            self.push_check(ns).await?;
        }
        Ok(())
    }

    /// Queues my proof of `ns` unless it went out already.
    pub(super) async fn send_proof(&mut self, ns: NeighbourhoodId) -> Result<(), End> {
        if self.shared.get(&ns).is_none_or(|st| st.proof_sent || st.closed()) {
            return Ok(());
        }
        let proof = match self.try_call(move |n| n.membership_proof(&ns)).await? {
            Ok(p) => p,
            Err(e) => return self.node_failure(e),
        };
        self.outbox.push_back(Out::Msg(Msg::Proof { ns, proof }));
        if let Some(st) = self.shared.get_mut(&ns) {
            st.proof_sent = true;
        }
        Ok(())
    }

    /// A node error outside peer data: a neighbourhood left meanwhile is no failure.
    fn node_failure(&mut self, e: partage::Error) -> Result<(), End> {
        match e {
            partage::Error::UnknownNeighbourhood(ns) => {
                self.shared.remove(&ns);
                self.mine.remove(&ns);
                Ok(())
            }
            e => Err(End::Failed(e.to_string())),
        }
    }

    async fn queue_summary(&mut self, ns: NeighbourhoodId) -> Result<(), End> {
        let Some((summaries, mine)) = self.my_summaries(&ns).await? else { return Ok(()) };
        let revocations = match self.try_call(move |n| n.revocations(&ns)).await? {
            Ok(r) => r,
            Err(e) => return self.node_failure(e),
        };
        let Some(st) = self.shared.get_mut(&ns) else { return Ok(()) };
        st.exchange_wanted = false;
        st.last_summary = st.peer_digest.map(|p| (mine, p));
        st.status_since_summary = false;
        let docs = summaries
            .iter()
            .take(crate::wire::MAX_DOCS)
            .map(|d| DocHash { owner: d.owner, heads: digest::heads_hash(&d.heads) })
            .collect();
        let revocations = revocations.into_iter().take(crate::wire::MAX_REVOCATIONS).collect();
        self.outbox.push_back(Out::Msg(Msg::Summary { ns, docs, revocations }));
        self.begin_round();
        Ok(())
    }

    async fn on_proof(&mut self, ns: NeighbourhoodId, proof: MembershipProof) -> Result<(), End> {
        if !self.tags.values().any(|n| *n == ns) {
            // Not one of mine: say nothing about it.
            return Ok(());
        }
        let device = self.p.device;
        let checked = proof.clone();
        let verdict = self.try_call(move |n| n.verify_peer_membership(&ns, &checked, &device)).await?;
        match verdict {
            Ok(member) => {
                self.proofs.send_modify(|p| p.verified = true);
                let st = self.shared.entry(ns).or_default();
                let first = st.peer.is_none();
                st.peer = Some((member, proof));
                st.denied = false;
                if first {
                    self.send_report(Report::Verified {
                        peer: self.p.peer,
                        session: self.p.id,
                        member,
                        neighbourhood: ns,
                    });
                    self.report(NetEvent::PeerVerified { peer: self.p.device, member, neighbourhood: ns });
                }
                self.advance(ns).await
            }
            Err(e) => match blame(&e) {
                Blame::Peer => {
                    self.deny(ns, short_reason(&e));
                    Ok(())
                }
                Blame::Gone | Blame::Local => self.node_failure(e),
            },
        }
    }

    /// Refuses the peer's membership of `ns`: it gets nothing more of it.
    pub(super) fn deny(&mut self, ns: NeighbourhoodId, reason: String) {
        let st = self.shared.entry(ns).or_default();
        st.denied = true;
        st.peer = None;
        st.wants.clear();
        self.outbox.retain(|o| match o {
            Out::Answer { ns: n, .. } | Out::Push { ns: n, .. } => *n != ns,
            Out::Msg(_) => true,
        });
        self.outbox.push_back(Out::Msg(Msg::Denied { ns, reason: reason.clone() }));
        self.report(NetEvent::PeerRefused { peer: self.p.device, neighbourhood: ns, reason });
    }

    fn on_denied(&mut self, ns: NeighbourhoodId, reason: String) {
        let Some(st) = self.shared.get_mut(&ns) else { return };
        if !st.proof_sent || st.refused {
            return;
        }
        st.refused = true;
        st.wants.clear();
        self.report(NetEvent::SyncFailed {
            peer: self.p.device,
            reason: format!("the peer refused this device's membership of {}: {reason}", ns.short()),
        });
    }

    async fn on_summary(
        &mut self,
        ns: NeighbourhoodId,
        docs: Vec<DocHash>,
        revocations: Vec<Revocation>,
    ) -> Result<(), End> {
        if !self.require_verified(&ns, "summary")? {
            return Ok(());
        }
        self.begin_round();
        if !revocations.is_empty() {
            let fresh = match self.try_call(move |n| n.apply_revocations(&ns, &revocations)).await? {
                Ok(n) => n,
                Err(e) => return self.node_failure(e),
            };
            if fresh > 0 {
                self.mine.remove(&ns);
                self.reverify(ns).await?;
                if !self.shared.get(&ns).is_some_and(|st| st.verified()) {
                    return Ok(());
                }
            }
        }
        let Some((summaries, mine)) = self.my_summaries(&ns).await? else { return Ok(()) };
        let my_heads: HashMap<MemberId, Vec<[u8; 32]>> =
            summaries.iter().map(|d| (d.owner, d.heads.clone())).collect();
        let unknown: Vec<MemberId> =
            docs.iter().map(|d| d.owner).filter(|o| !my_heads.contains_key(o)).collect();
        let revoked: HashSet<MemberId> = if unknown.is_empty() {
            HashSet::new()
        } else {
            let found = self
                .try_call(move |n| {
                    let mut out = HashSet::new();
                    for o in unknown {
                        if n.is_revoked(&ns, &o)? {
                            out.insert(o);
                        }
                    }
                    Ok(out)
                })
                .await?;
            match found {
                Ok(r) => r,
                Err(e) => return self.node_failure(e),
            }
        };
        let Some(st) = self.shared.get_mut(&ns) else { return Ok(()) };
        let listed: HashSet<MemberId> = docs.iter().map(|d| d.owner).collect();
        if let Some(known) = &mut st.known {
            known.retain(|owner, _| listed.contains(owner));
        }
        let mut wants = Vec::new();
        for d in &docs {
            match my_heads.get(&d.owner) {
                Some(h) if digest::heads_hash(h) == d.heads => st.peer_has_exactly(d.owner, h.clone()),
                Some(h) => {
                    if st.wants.insert(d.owner) {
                        wants.push(Msg::Want { ns, owner: d.owner, heads: h.clone() });
                    }
                }
                None if revoked.contains(&d.owner) => {}
                None => {
                    if st.wants.insert(d.owner) {
                        wants.push(Msg::Want { ns, owner: d.owner, heads: Vec::new() });
                    }
                }
            }
        }
        if st.known.is_none() {
            st.known = Some(HashMap::new());
        }
        let answer_with_summary = st.peer_digest.map(|p| (mine, p)) != st.last_summary;
        let done = st.wants.is_empty();
        if answer_with_summary {
            st.exchange_wanted = true;
        }
        self.outbox.extend(wants.into_iter().map(Out::Msg));
        if answer_with_summary {
            self.advance(ns).await?;
        }
        if done {
            self.queue_status(ns, false).await?;
        }
        Ok(())
    }

    fn on_want(&mut self, ns: NeighbourhoodId, owner: MemberId, heads: Vec<[u8; 32]>) -> Result<(), End> {
        if !self.require_verified(&ns, "request")? {
            return Ok(());
        }
        if heads.is_empty() {
            // A whole document costs a rebuild: at most one per document I hold, and some slack,
            // per window.
            let docs = self.mine.get(&ns).map_or(crate::wire::MAX_DOCS, |(d, _)| d.len());
            let max = u32::try_from(docs).unwrap_or(u32::MAX).saturating_add(super::limits::FULL_WANTS_SLACK);
            if !self.full_wants.allow(max) {
                return Err(End::Misbehaved(
                    "asked for whole documents faster than the protocol allows".into(),
                ));
            }
        }
        self.begin_round();
        if let Some(st) = self.shared.get_mut(&ns) {
            st.peer_has_exactly(owner, heads.clone());
        }
        let queued = self.outbox.iter_mut().find_map(|o| match o {
            Out::Answer { ns: n, owner: w, have } if *n == ns && *w == owner => Some(have),
            _ => None,
        });
        match queued {
            Some(have) => *have = heads,
            None => self.outbox.push_back(Out::Answer { ns, owner, have: heads }),
        }
        Ok(())
    }

    async fn on_bundle(&mut self, answer: bool, wire: WireBundle, size: usize) -> Result<(), End> {
        let (ns, owner) = (wire.neighbourhood, wire.owner);
        if !self.require_verified(&ns, "document")? {
            return Ok(());
        }
        let Some(bundle) = self.to_doc_bundle(wire).await? else {
            // Changes to a document this device does not hold: ask for all of it.
            if let Some(st) = self.shared.get_mut(&ns)
                && st.wants.insert(owner)
            {
                self.outbox.push_back(Out::Msg(Msg::Want { ns, owner, heads: Vec::new() }));
            }
            return Ok(());
        };
        let heads: Vec<[u8; 32]> = bundle.attestations.iter().map(|a| a.hash).collect();
        let result = self.try_call(move |n| n.import_bundle(&bundle)).await?;
        match result {
            Ok(report) => {
                self.totals.docs_in += 1;
                if let Some(st) = self.shared.get_mut(&ns) {
                    st.peer_has(owner, &heads);
                }
                if report == partage::ImportReport::default() {
                    // Nothing new (a replayed or empty push): no event, my digest is unchanged.
                    return if answer {
                        self.answered(ns, owner).await
                    } else {
                        self.queue_status(ns, true).await
                    };
                }
                self.mine.remove(&ns);
                self.report(NetEvent::DocReceived {
                    peer: self.p.device,
                    neighbourhood: ns,
                    owner,
                    changes: report.new_changes,
                    whole_document: report.whole_document,
                    bytes: size as u64,
                });
            }
            Err(e) if owner_revoked(&e) => {
                self.report(NetEvent::DocRefused {
                    peer: self.p.device,
                    neighbourhood: ns,
                    owner,
                    reason: short_reason(&e),
                });
            }
            Err(e) => match blame(&e) {
                Blame::Peer => {
                    return Err(End::Misbehaved(format!(
                        "sent a document of {} that failed verification: {e}",
                        owner.short()
                    )));
                }
                Blame::Gone | Blame::Local => return self.node_failure(e),
            },
        }
        if answer { self.answered(ns, owner).await } else { self.queue_status(ns, true).await }
    }

    /// Rebuilds the core's bundle; `None` if the chain was left out and this device does not
    /// hold the document.
    async fn to_doc_bundle(&self, w: WireBundle) -> Result<Option<DocBundle>, End> {
        let (ns, owner) = (w.neighbourhood, w.owner);
        let chain = match w.owner_chain {
            Some(chain) => chain,
            None => match self.try_call(move |n| n.member_credentials(&ns, &owner)).await? {
                Ok(Some((chain, _))) => chain,
                Ok(None) | Err(_) => return Ok(None),
            },
        };
        Ok(Some(DocBundle {
            neighbourhood: ns,
            owner,
            owner_chain: chain,
            owner_admissions: w.owner_admissions,
            device_revocations: w.device_revocations,
            devices: w.devices,
            revocations: Vec::new(),
            payload: w.payload,
            attestations: w.attestations,
        }))
    }

    async fn on_no_change(&mut self, ns: NeighbourhoodId, owner: MemberId) -> Result<(), End> {
        if !self.require_verified(&ns, "reply")? {
            return Ok(());
        }
        self.answered(ns, owner).await
    }

    /// The peer lacks some of the heads I asked with. If I have all of its heads, it has
    /// nothing new for me; otherwise (diverged) ask again from the heads of its that I know.
    async fn on_ahead(
        &mut self,
        ns: NeighbourhoodId,
        owner: MemberId,
        heads: Vec<[u8; 32]>,
    ) -> Result<(), End> {
        if !self.require_verified(&ns, "reply")? {
            return Ok(());
        }
        if !self.shared.get(&ns).is_some_and(|st| st.wants.contains(&owner)) {
            return Ok(());
        }
        let theirs = heads.clone();
        let unknown = match self.try_call(move |n| n.unknown_changes(&ns, &owner, &theirs)).await? {
            Ok(u) => u,
            Err(e) => return self.node_failure(e),
        };
        if unknown.is_empty() {
            if let Some(st) = self.shared.get_mut(&ns) {
                st.peer_has_exactly(owner, heads);
            }
            return self.answered(ns, owner).await;
        }
        let common: Vec<[u8; 32]> = heads.into_iter().filter(|h| !unknown.contains(h)).collect();
        self.outbox.push_back(Out::Msg(Msg::Want { ns, owner, heads: common }));
        Ok(())
    }

    /// One of my wants was answered; once all are, the peer learns my digest.
    async fn answered(&mut self, ns: NeighbourhoodId, owner: MemberId) -> Result<(), End> {
        let Some(st) = self.shared.get_mut(&ns) else { return Ok(()) };
        if st.wants.remove(&owner) && st.wants.is_empty() {
            self.queue_status(ns, false).await?;
        }
        Ok(())
    }

    pub(super) async fn queue_status(&mut self, ns: NeighbourhoodId, ack: bool) -> Result<(), End> {
        let Some(digest) = self.my_digest(&ns).await? else { return Ok(()) };
        self.outbox.push_back(Out::Msg(Msg::Status { ns, digest, ack }));
        Ok(())
    }

    async fn on_status(&mut self, ns: NeighbourhoodId, digest: [u8; 32], ack: bool) -> Result<(), End> {
        let Some(st) = self.shared.get_mut(&ns) else { return Ok(()) };
        st.peer_digest = Some(digest);
        if ack {
            st.in_flight = st.in_flight.saturating_sub(1);
        } else {
            st.status_since_summary = true;
        }
        let pushing = self.outbox.iter().any(|o| matches!(o, Out::Push { ns: n, .. } if *n == ns));
        if !st.verified() || st.in_flight > 0 || !st.wants.is_empty() || pushing {
            return Ok(());
        }
        let Some((summaries, mine)) = self.my_summaries(&ns).await? else { return Ok(()) };
        let Some(st) = self.shared.get_mut(&ns) else { return Ok(()) };
        if mine == digest {
            st.known = Some(summaries.iter().map(|d| (d.owner, d.heads.clone())).collect());
        } else if st.last_summary != Some((mine, digest)) {
            st.exchange_wanted = true;
            self.begin_round();
            self.advance(ns).await?;
        }
        Ok(())
    }

    /// Checks the peer's membership of `ns` again (after revocations arrived).
    pub(super) async fn reverify(&mut self, ns: NeighbourhoodId) -> Result<(), End> {
        let Some((_, proof)) = self.shared.get(&ns).and_then(|st| st.peer.clone()) else { return Ok(()) };
        let device = self.p.device;
        match self.try_call(move |n| n.verify_peer_membership(&ns, &proof, &device)).await? {
            Ok(_) => Ok(()),
            Err(e) => match blame(&e) {
                Blame::Peer => {
                    self.deny(ns, short_reason(&e));
                    Ok(())
                }
                Blame::Gone | Blame::Local => self.node_failure(e),
            },
        }
    }
}
