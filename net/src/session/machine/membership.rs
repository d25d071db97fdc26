//! Membership phase: `Hello` (tags and digests), `Proof` both ways, `Denied`.
//!
//! Order (ADR 0013): each side's `Hello` carries, per neighbourhood, a tag that proves it knows
//! the neighbourhood's shared secret, bound to this session and to the sender. A side sends its
//! `Proof` (member id, chain, device certificate) for a neighbourhood only once it has received
//! the peer's valid tag for it, and judges (or refuses) a peer's proof only then: before that,
//! a proof is ignored exactly as one for a neighbourhood this device is not in. A proof carries
//! the device's signature over this session's binding (ADR 0016): peer ids are transport keys,
//! and only a proof bound to this very session names the device on the other end.

use super::{Facts, Machine, Out, failed};
use crate::digest;
use crate::session::{End, Report};
use crate::wire::{HelloEntry, Msg, WireProof};
use partage::NeighbourhoodId;
use partage::events::NetEvent;

/// Who is to blame for a failed node call on peer data.
pub(super) enum Blame {
    /// The data failed verification: the peer sent it.
    Peer,
    /// The neighbourhood is gone here (left meanwhile): nothing to do.
    Gone,
    /// Something broke on this device.
    Local,
}

pub(super) fn blame(e: &partage::Error) -> Blame {
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
pub(super) fn owner_revoked(e: &partage::Error) -> bool {
    e.owner_not_standing()
}

pub(super) fn short_reason(e: &partage::Error) -> String {
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

impl Machine {
    /// First step on both sides: learn my neighbourhoods, send `Hello`.
    pub(super) fn start(&mut self, facts: &dyn Facts) -> Result<(), End> {
        self.refresh_tags(facts)?;
        self.begin_round();
        self.hellos_expected = 1;
        self.hello_asked = self.now;
        self.queue_hello(false, facts)
    }

    pub(super) fn refresh_tags(&mut self, facts: &dyn Facts) -> Result<(), End> {
        let secrets = facts.neighbourhood_secrets().map_err(failed)?;
        self.tags = secrets.iter().map(|(ns, s)| (digest::tag(&self.key, s, &self.p.peer), *ns)).collect();
        self.secrets = secrets.into_iter().collect();
        let ids = &self.secrets;
        self.shared.retain(|ns, _| ids.contains_key(ns));
        self.mine.retain(|ns, _| ids.contains_key(ns));
        Ok(())
    }

    pub(super) fn queue_hello(&mut self, reply: bool, facts: &dyn Facts) -> Result<(), End> {
        let mut entries = Vec::with_capacity(self.secrets.len());
        let mine: Vec<(NeighbourhoodId, [u8; 32])> = self.secrets.iter().map(|(n, s)| (*n, *s)).collect();
        for (ns, secret) in mine.into_iter().take(crate::wire::MAX_NEIGHBOURHOODS) {
            let Some(digest) = self.my_digest(&ns, facts)? else { continue };
            // My tag: proves I know the secret, and differs from the one I expect back.
            let tag = digest::tag(&self.key, &secret, &self.p.local);
            entries.push(HelloEntry { tag, digest });
        }
        if reply {
            if self.hellos_expected == 0 {
                self.hello_asked = self.now;
            }
            self.hellos_expected += 1;
        }
        self.outbox.push_back(Out::Msg(Msg::Hello { reply, entries }));
        Ok(())
    }

    /// `Ok(true)` if the peer proved membership of `ns`; `Ok(false)` if I refused it (its
    /// messages may have crossed my refusal: ignored, never applied); misbehaviour otherwise.
    pub(super) fn require_verified(&self, ns: &NeighbourhoodId, what: &str) -> Result<bool, End> {
        match self.shared.get(ns) {
            Some(st) if st.verified() => Ok(true),
            Some(st) if st.denied => Ok(false),
            _ => Err(End::Misbehaved(format!(
                "sent a {what} for a neighbourhood it has not proven membership of"
            ))),
        }
    }

    pub(super) fn on_hello(
        &mut self,
        reply: bool,
        entries: Vec<HelloEntry>,
        facts: &dyn Facts,
    ) -> Result<(), End> {
        if reply && !self.hello_requests.allow(super::limits::HELLOS_PER_WINDOW, self.now) {
            return Err(End::Misbehaved("asked for new rounds faster than the protocol allows".into()));
        }
        if reply {
            // The peer asks for a new round: answer with my current state.
            self.begin_round();
            self.refresh_tags(facts)?;
            self.mine.clear();
            self.queue_hello(false, facts)?;
        } else {
            self.hellos_expected = self.hellos_expected.saturating_sub(1);
        }
        for e in entries {
            let Some(ns) = self.tags.get(&e.tag).copied() else { continue };
            let Some((summaries, mine)) = self.my_summaries(&ns, facts)? else { continue };
            let st = self.shared.entry(ns).or_default();
            st.peer_digest = Some(e.digest);
            if mine == e.digest {
                st.known = Some(summaries.iter().map(|d| (d.owner, d.heads.clone())).collect());
                // Nothing to exchange, but proofs all the same: a connection whose peer never
                // proved membership is let go as a stranger's (and live pushes need them).
            } else {
                st.exchange_wanted = true;
                self.begin_round();
            }
            self.advance(ns, facts)?;
        }
        Ok(())
    }

    /// Moves the exchange of `ns` forward as far as it can go now: my proof, my summary once the
    /// peer is verified, and pushes that waited for its proof.
    pub(super) fn advance(&mut self, ns: NeighbourhoodId, facts: &dyn Facts) -> Result<(), End> {
        let Some(st) = self.shared.get(&ns) else { return Ok(()) };
        if st.closed() {
            return Ok(());
        }
        self.send_proof(ns, facts)?;
        let Some(st) = self.shared.get_mut(&ns) else { return Ok(()) };
        if !st.verified() {
            return Ok(());
        }
        if st.exchange_wanted {
            self.queue_summary(ns, facts)?;
        }
        let Some(st) = self.shared.get_mut(&ns) else { return Ok(()) };
        if st.push_pending {
            st.push_pending = false;
            self.push_check(ns, facts)?;
        }
        Ok(())
    }

    /// Queues my proof of `ns` unless it went out already.
    pub(super) fn send_proof(&mut self, ns: NeighbourhoodId, facts: &dyn Facts) -> Result<(), End> {
        if self.shared.get(&ns).is_none_or(|st| st.proof_sent || st.closed()) {
            return Ok(());
        }
        let proof = match facts.membership_proof(&ns) {
            Ok(p) => p,
            Err(e) => return self.node_failure(e),
        };
        let binding = match self.my_binding {
            Some(sig) => sig,
            None => {
                let sig =
                    facts.sign_session_binding(&digest::binding(&self.key, &self.p.local)).map_err(failed)?;
                self.my_binding = Some(sig);
                sig
            }
        };
        self.outbox.push_back(Out::Msg(Msg::Proof { ns, proof: WireProof::new(proof, binding) }));
        if let Some(st) = self.shared.get_mut(&ns) {
            st.proof_sent = true;
        }
        Ok(())
    }

    /// A node error outside peer data: a neighbourhood left meanwhile is no failure.
    pub(super) fn node_failure(&mut self, e: partage::Error) -> Result<(), End> {
        match e {
            partage::Error::UnknownNeighbourhood(ns) => {
                self.shared.remove(&ns);
                self.mine.remove(&ns);
                Ok(())
            }
            e => Err(failed(e)),
        }
    }

    pub(super) fn on_proof(
        &mut self,
        ns: NeighbourhoodId,
        proof: WireProof,
        facts: &dyn Facts,
    ) -> Result<(), End> {
        let result = self.judge_proof(ns, proof, facts);
        // The reader may hold a large frame until this proof is judged (see `io`).
        let verified = self.shared.values().any(|st| st.verified());
        self.actions.push(super::Action::ProofJudged { verified });
        result
    }

    fn judge_proof(&mut self, ns: NeighbourhoodId, proof: WireProof, facts: &dyn Facts) -> Result<(), End> {
        if !self.shared.contains_key(&ns) {
            // Not one of mine, or the peer has not proven it knows the neighbourhood's secret in
            // this session: say nothing about it (the same answer either way, so a refusal
            // confirms no membership), and spend no verification on it.
            return Ok(());
        }
        let (proof, binding) = proof.into_parts();
        let device = proof.device.device;
        // The device named by the certificate must have signed this session's binding: a proof
        // copied from another connection (or sent back to its sender) names nobody here.
        if !binding.verify(&device, &digest::binding(&self.key, &self.p.peer)) {
            return Err(End::Misbehaved("sent a proof not bound to this session".into()));
        }
        if self.device.is_some_and(|d| d != device) {
            return Err(End::Misbehaved("proved two different devices in one session".into()));
        }
        // It holds that device's key: one device per session from now on.
        self.device = Some(device);
        match facts.verify_peer_membership(&ns, &proof, &device) {
            Ok(member) if self.p.blocks.is_blocked(&member, self.now) => {
                // One of their devices misbehaved a moment ago: a fresh device changes nothing.
                Err(End::Failed(format!("member {} is blocked for misbehaving", member.short())))
            }
            Ok(member) => {
                let st = self.shared.entry(ns).or_default();
                let first = st.peer.is_none();
                st.peer = Some((member, proof));
                st.denied = false;
                if first {
                    self.send_report(Report::Verified {
                        peer: self.p.peer,
                        session: self.p.id,
                        member,
                        device,
                        neighbourhood: ns,
                    });
                    self.report(NetEvent::PeerVerified { peer: self.who(), member, neighbourhood: ns });
                }
                self.advance(ns, facts)
            }
            Err(e) => self.refuse_or_fail(ns, e),
        }
    }

    /// A failed membership check: the peer's fault means a refusal, anything else is mine.
    fn refuse_or_fail(&mut self, ns: NeighbourhoodId, e: partage::Error) -> Result<(), End> {
        match blame(&e) {
            Blame::Peer => {
                self.deny(ns, short_reason(&e));
                Ok(())
            }
            Blame::Gone | Blame::Local => self.node_failure(e),
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
        self.report(NetEvent::PeerRefused { peer: self.who(), neighbourhood: ns, reason });
    }

    pub(super) fn on_denied(&mut self, ns: NeighbourhoodId, reason: String) {
        let Some(st) = self.shared.get_mut(&ns) else { return };
        if !st.proof_sent || st.refused {
            return;
        }
        st.refused = true;
        st.wants.clear();
        self.report(NetEvent::SyncFailed {
            peer: self.who(),
            reason: format!("the peer refused this device's membership of {}: {reason}", ns.short()),
        });
    }

    /// Checks the peer's membership of `ns` again (after revocations arrived).
    pub(super) fn reverify(&mut self, ns: NeighbourhoodId, facts: &dyn Facts) -> Result<(), End> {
        let Some((_, proof)) = self.shared.get(&ns).and_then(|st| st.peer.clone()) else { return Ok(()) };
        match facts.verify_peer_membership(&ns, &proof, &proof.device.device) {
            Ok(_) => Ok(()),
            Err(e) => self.refuse_or_fail(ns, e),
        }
    }
}
