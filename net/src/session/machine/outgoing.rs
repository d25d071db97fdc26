//! Turning queued items into frames: bundles are built only when the writer has room, so a
//! slow peer holds at most one built bundle in memory.

use super::{Action, Facts, Machine, Out};
use crate::session::End;
use crate::wire::{self, Msg, WireBundle};
use partage::events::NetEvent;
use partage::{DocBundle, MemberId, NeighbourhoodId};
use std::collections::HashSet;

/// A built message, and the document it carries (for accounting).
struct Built {
    msg: Msg,
    doc: Option<(NeighbourhoodId, MemberId)>,
}

impl Machine {
    /// Builds the next queued item into a frame (one per call: the writer had room for one).
    pub(super) fn send_next(&mut self, facts: &dyn Facts) -> Result<(), End> {
        let Some(item) = self.outbox.pop_front() else { return Ok(()) };
        let built = match item {
            Out::Msg(msg) => Built { msg, doc: None },
            Out::Answer { ns, owner, have } => match self.peer_ahead(ns, owner, &have, facts)? {
                Some(msg) => Built { msg, doc: None },
                None => match self.build(ns, owner, have, true, facts)? {
                    Some(b) => b,
                    None => Built { msg: Msg::NoChange { ns, owner }, doc: None },
                },
            },
            Out::Push { ns, owner } => {
                let Some(have) = self.push_base(&ns, &owner) else { return Ok(()) };
                match self.build(ns, owner, have, false, facts)? {
                    Some(b) => b,
                    None => return Ok(()),
                }
            }
        };
        crate::trace!("{} -> {} {:?}", self.p.local, self.p.peer, super::short(&built.msg));
        let frame = match wire::encode(&built.msg, self.p.max_frame) {
            Ok(frame) => frame,
            Err(e) => {
                // Too large for the peer's limit: say so locally, and do not leave it waiting.
                self.report(NetEvent::SyncFailed {
                    peer: self.who(),
                    reason: format!("a {} could not be sent: {e}", built.msg.name()),
                });
                match built.msg {
                    Msg::Bundle { answer: true, bundle } => {
                        let msg = Msg::NoChange { ns: bundle.neighbourhood, owner: bundle.owner };
                        wire::encode(&msg, self.p.max_frame).map_err(|e| End::Failed(e.to_string()))?
                    }
                    _ => return Ok(()),
                }
            }
        };
        let len = frame.len() as u64;
        self.totals.bytes_out += len;
        self.totals.messages_out += 1;
        self.actions.push(Action::Send(frame));
        if let Some((ns, owner)) = built.doc {
            self.totals.docs_out += 1;
            self.report(NetEvent::DocSent { peer: self.who(), neighbourhood: ns, owner, bytes: len });
        }
        Ok(())
    }

    /// If the peer asked with heads I do not have, it is ahead (or we diverged): answering with
    /// "everything after the heads I know" could resend the whole document, so tell it my heads
    /// instead (`Ahead`), and let it ask again with those it knows.
    fn peer_ahead(
        &mut self,
        ns: NeighbourhoodId,
        owner: MemberId,
        have: &[[u8; 32]],
        facts: &dyn Facts,
    ) -> Result<Option<Msg>, End> {
        if have.is_empty() {
            return Ok(None);
        }
        let unknown = match facts.unknown_changes(&ns, &owner, have) {
            Ok(u) => u,
            Err(partage::Error::UnknownNeighbourhood(_)) => return Ok(None),
            Err(e) => return Err(End::Failed(e.to_string())),
        };
        if unknown.is_empty() {
            return Ok(None);
        }
        let Some((summaries, _)) = self.my_summaries(&ns, facts)? else { return Ok(None) };
        let heads = summaries.iter().find(|d| d.owner == owner).map(|d| d.heads.clone()).unwrap_or_default();
        Ok(Some(Msg::Ahead { ns, owner, heads }))
    }

    /// What the peer has of `owner`'s document, as the base of a push (`None`: no baseline).
    fn push_base(&self, ns: &NeighbourhoodId, owner: &MemberId) -> Option<Vec<[u8; 32]>> {
        let st = self.shared.get(ns)?;
        if !st.verified() {
            return None;
        }
        let known = st.known.as_ref()?;
        Some(known.get(owner).cloned().unwrap_or_default())
    }

    /// `owner`'s document beyond `have`, as a message; `None` when there is nothing to send.
    fn build(
        &mut self,
        ns: NeighbourhoodId,
        owner: MemberId,
        have: Vec<[u8; 32]>,
        answer: bool,
        facts: &dyn Facts,
    ) -> Result<Option<Built>, End> {
        if !self.shared.get(&ns).is_some_and(|st| st.verified()) {
            return Ok(None);
        }
        // The core's one rule for what a peer lacks (shared with offline files): nothing for an
        // owner this device does not serve, or when the peer's heads are all unknown here (it
        // is ahead: a push would resend everything, so leave it to an exchange).
        let bundle = match facts.bundle_beyond(&ns, &owner, &have) {
            Ok(Some(b)) => b,
            Ok(None) | Err(partage::Error::UnknownNeighbourhood(_)) => return Ok(None),
            Err(e) => return Err(End::Failed(e.to_string())),
        };
        let Some(st) = self.shared.get_mut(&ns) else { return Ok(None) };
        let peer_has_doc = !have.is_empty();
        let wire = to_wire(bundle, peer_has_doc, &mut st.sent_devices);
        let sent: Vec<[u8; 32]> = wire.attestations.iter().map(|a| a.hash).collect();
        st.peer_has(owner, &sent);
        if !answer {
            st.in_flight += 1;
        }
        Ok(Some(Built { msg: Msg::Bundle { answer, bundle: wire }, doc: Some((ns, owner)) }))
    }
}

/// Leaves out what the peer already holds: the owner's chain when it has the document, and
/// device certificates other than the signers' (each sent once per session).
fn to_wire(
    b: DocBundle,
    peer_has_doc: bool,
    sent: &mut HashSet<(MemberId, partage::DeviceId)>,
) -> WireBundle {
    let signers: HashSet<partage::DeviceId> = b.attestations.iter().map(|a| a.device).collect();
    let owner = b.owner;
    let devices: Vec<_> = b
        .devices
        .into_iter()
        .filter(|d| !peer_has_doc || (signers.contains(&d.device) && !sent.contains(&(owner, d.device))))
        .collect();
    for d in &devices {
        sent.insert((owner, d.device));
    }
    WireBundle {
        neighbourhood: b.neighbourhood,
        owner,
        owner_chain: (!peer_has_doc).then_some(b.owner_chain),
        owner_admissions: if peer_has_doc { Vec::new() } else { b.owner_admissions },
        device_revocations: b.device_revocations,
        devices,
        payload: b.payload.into(),
        attestations: b.attestations,
    }
}
