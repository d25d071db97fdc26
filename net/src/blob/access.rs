//! Who may exchange photo blobs: peers with a live sync session that proved membership of the
//! neighbourhood in it. Sessions always exchange proofs, even when the two sides are already in
//! sync, so that is every member connected here; a peer's transport key (ADR 0016) names no
//! device, so nothing else could vouch for it. Filled by the event loop from session reports,
//! emptied when a session ends.

use libp2p::PeerId;
use partage::NeighbourhoodId;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

#[derive(Clone, Default)]
pub(crate) struct BlobAccess {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Members with a live session (proven in it, or remembered and synced), and the
    /// neighbourhoods they proved in it (the only ones they are served or asked for).
    sessions: Mutex<HashMap<PeerId, BTreeSet<NeighbourhoodId>>>,
    /// Woken when a peer's session verifies or syncs (thumbnails may be fetchable now).
    changed: Notify,
}

impl BlobAccess {
    /// `peer`, a member verified in this session or remembered as one, ran a sync round.
    pub(crate) fn synced(&self, peer: PeerId) {
        if let Ok(mut m) = self.inner.sessions.lock() {
            m.entry(peer).or_default();
        }
        self.inner.changed.notify_one();
    }

    /// `peer` proved membership of `ns` in its current session.
    pub(crate) fn grant(&self, peer: PeerId, ns: NeighbourhoodId) {
        if let Ok(mut m) = self.inner.sessions.lock() {
            m.entry(peer).or_default().insert(ns);
        }
        self.inner.changed.notify_one();
    }

    /// `peer`'s session ended: it gets nothing more until it has a session again.
    pub(crate) fn revoke(&self, peer: &PeerId) {
        if let Ok(mut m) = self.inner.sessions.lock() {
            m.remove(peer);
        }
    }

    /// Forgets every session (the swarm they ran on is gone).
    pub(crate) fn clear(&self) {
        if let Ok(mut m) = self.inner.sessions.lock() {
            m.clear();
        }
    }

    /// Whether `peer` has a live session as a member (proven or remembered): strangers are
    /// turned away unread.
    pub(crate) fn has_session(&self, peer: &PeerId) -> bool {
        self.inner.sessions.lock().is_ok_and(|m| m.contains_key(peer))
    }

    /// Whether `peer` proved membership of `ns` in its live session.
    pub(crate) fn allowed(&self, peer: &PeerId, ns: &NeighbourhoodId) -> bool {
        self.inner.sessions.lock().is_ok_and(|m| m.get(peer).is_some_and(|s| s.contains(ns)))
    }

    /// Peers with a session that may exchange blobs of `ns`, in a stable order.
    pub(crate) fn peers_for(&self, ns: &NeighbourhoodId) -> Vec<PeerId> {
        let mut peers: Vec<PeerId> = match self.inner.sessions.lock() {
            Ok(m) => m.iter().filter(|(_, s)| s.contains(ns)).map(|(p, _)| *p).collect(),
            Err(_) => return Vec::new(),
        };
        peers.sort();
        peers
    }

    pub(crate) async fn changed(&self) {
        self.inner.changed.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_neighbourhood_proven_in_the_live_session_opens_its_blobs() {
        let access = BlobAccess::default();
        let (member, remembered, stranger) = (PeerId::random(), PeerId::random(), PeerId::random());
        let (ns, other) = (NeighbourhoodId([1; 32]), NeighbourhoodId([2; 32]));
        access.grant(member, ns);
        // A remembered member whose round ran without a proof: its stream is read (it has a
        // session), but it is served no neighbourhood.
        access.synced(remembered);
        assert!(access.allowed(&member, &ns));
        assert!(!access.allowed(&member, &other), "proven for one neighbourhood, asking of another");
        assert!(access.has_session(&remembered) && !access.allowed(&remembered, &ns));
        assert!(!access.has_session(&stranger) && !access.allowed(&stranger, &ns));
        assert_eq!(access.peers_for(&ns), vec![member]);
        assert!(access.peers_for(&other).is_empty());
        // The session ended: nothing more, until it proves itself again.
        access.revoke(&member);
        assert!(!access.has_session(&member) && !access.allowed(&member, &ns));
        assert!(access.peers_for(&ns).is_empty());
        access.grant(member, ns);
        access.clear();
        assert!(!access.allowed(&member, &ns), "a new swarm starts with no session");
    }
}
