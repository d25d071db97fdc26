//! Transfer phase, receiving side: a document (or changes to it) from the peer, verified by the
//! node before anything is stored.

use super::membership::{Blame, blame, owner_revoked, short_reason};
use super::{Facts, Machine, Out, limits};
use crate::session::End;
use crate::wire::{Msg, WireBundle};
use partage::events::NetEvent;
use partage::node::PreparedDoc;
use partage::{DocBundle, MemberId, NeighbourhoodId};

impl Machine {
    pub(super) fn on_bundle(
        &mut self,
        answer: bool,
        wire: WireBundle,
        size: usize,
        facts: &dyn Facts,
    ) -> Result<(), End> {
        let (ns, owner) = (wire.neighbourhood, wire.owner);
        if !self.require_verified(&ns, "document")? {
            return Ok(());
        }
        // Only a bundle that answers one of my wants is an answer: a peer that labels its pushes
        // as answers does not escape the push limits below (nor make them wait for a flush).
        let answer = answer && self.shared.get(&ns).is_some_and(|st| st.wants.contains(&owner));
        let heads: Vec<[u8; 32]> = wire.attestations.iter().map(|a| a.hash).collect();
        let held = match facts.holds_everything(&ns, &owner, &heads, &wire.device_revocations) {
            Ok(held) => held,
            Err(e) => return self.node_failure(e),
        };
        if held {
            // A replay (relays in a mesh send the same changes to each other): answered without
            // checking a signature, and only floods are cut off.
            if !answer && !self.replays.allow(limits::REPLAYS_PER_WINDOW, self.now) {
                return Err(End::Misbehaved(
                    "pushed changes this device already had, faster than the protocol allows".into(),
                ));
            }
            if let Some(st) = self.shared.get_mut(&ns) {
                st.peer_has(owner, &heads);
            }
            return if answer { self.answered(ns, owner, facts) } else { self.queue_status(ns, true, facts) };
        }
        let Some(bundle) = to_doc_bundle(wire, facts) else {
            // Changes to a document this device does not hold: ask for all of it.
            if let Some(st) = self.shared.get_mut(&ns)
                && st.wants.insert(owner)
            {
                self.outbox.push_back(Out::Msg(Msg::Want { ns, owner, heads: Vec::new() }));
            }
            return Ok(());
        };
        // An answer in a round is made durable with the round's other answers (`answered`); a
        // live push at once.
        let imported = if answer {
            let prepared = self.prepared.remove(&(ns, owner));
            crate::trace!("{} imports {} (prepared: {})", self.p.local, owner.short(), prepared.is_some());
            facts.import_prepared_unflushed(&bundle, prepared)
        } else {
            facts.import_bundle(&bundle)
        };
        match imported {
            Ok(report) => {
                self.totals.docs_in += 1;
                if let Some(st) = self.shared.get_mut(&ns) {
                    st.peer_has(owner, &heads);
                }
                if report == partage::ImportReport::default() {
                    // Nothing new (a replayed or empty push): no event, and my digest is
                    // unchanged. Verifying it still cost signature checks: not too often.
                    if !answer && !self.useless_pushes.allow(limits::USELESS_PUSHES_PER_WINDOW, self.now) {
                        return Err(End::Misbehaved(
                            "pushed changes this device already had, after verifying them, faster than the protocol allows".into(),
                        ));
                    }
                } else {
                    self.mine.remove(&ns);
                    self.report(NetEvent::DocReceived {
                        peer: self.who(),
                        neighbourhood: ns,
                        owner,
                        changes: report.new_changes,
                        whole_document: report.whole_document,
                        bytes: size as u64,
                    });
                }
            }
            Err(e) if owner_revoked(&e) => {
                let reason = short_reason(&e);
                self.report(NetEvent::DocRefused { peer: self.who(), neighbourhood: ns, owner, reason });
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
        if answer { self.answered(ns, owner, facts) } else { self.queue_status(ns, true, facts) }
    }
}

impl Machine {
    /// A whole document the reader prepared for a frame the next step handles (see
    /// `io::prepare_ahead`); dropped with the step if the frame's import does not take it.
    pub(crate) fn offer_prepared(&mut self, key: (NeighbourhoodId, MemberId), doc: PreparedDoc) {
        self.prepared.insert(key, doc);
    }

    /// Frames that arrived together: the whole documents among them that answer my wants are
    /// checked and loaded on the available cores first (`Node::prepare_whole_documents`), then
    /// each frame is handled in order as if it came alone, the import taking its prepared
    /// document. Only documents of a neighbourhood the peer proved membership of.
    pub(super) fn prepare_answers(&mut self, frames: &[(Vec<u8>, usize)], facts: &dyn Facts) {
        if !self.shared.values().any(|st| st.verified()) {
            return;
        }
        let mut bundles = Vec::new();
        for (body, _) in frames {
            let Ok(Msg::Bundle { answer: true, bundle: wire }) = crate::wire::decode(body) else { continue };
            let wanted = self
                .shared
                .get(&wire.neighbourhood)
                .is_some_and(|st| st.verified() && st.wants.contains(&wire.owner));
            let ready = self.prepared.contains_key(&(wire.neighbourhood, wire.owner));
            if !wanted || ready {
                continue;
            }
            bundles.extend(wire.whole_document());
        }
        // One alone gains nothing from being prepared apart.
        if bundles.len() < 2 {
            return;
        }
        let refs: Vec<&DocBundle> = bundles.iter().collect();
        let prepared = facts.prepare_whole_documents(&refs);
        crate::trace!(
            "{} prepared {} of {} whole documents from {}",
            self.p.local,
            prepared.iter().flatten().count(),
            bundles.len(),
            self.p.peer
        );
        for (bundle, prepared) in bundles.iter().zip(prepared) {
            if let Some(prepared) = prepared {
                self.prepared.insert((bundle.neighbourhood, bundle.owner), prepared);
            }
        }
    }
}

/// Rebuilds the core's bundle; `None` if the chain was left out and this device does not hold
/// the document.
fn to_doc_bundle(mut w: WireBundle, facts: &dyn Facts) -> Option<DocBundle> {
    let owner_chain = match w.owner_chain.take() {
        Some(chain) => chain,
        None => facts.owner_chain(&w.neighbourhood, &w.owner).ok().flatten()?,
    };
    Some(w.with_chain(owner_chain))
}
