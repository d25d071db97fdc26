//! A set of peer ids shared by the event loop (which keeps it) and a gated behaviour (which asks
//! it): the verified members a home node serves, the home nodes a device trusts to probe it.

use libp2p::PeerId;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub(crate) struct PeerSet(Arc<Mutex<HashSet<PeerId>>>);

impl PeerSet {
    pub(crate) fn insert(&self, peer: PeerId) {
        if let Ok(mut set) = self.0.lock() {
            set.insert(peer);
        }
    }

    pub(crate) fn remove(&self, peer: &PeerId) {
        if let Ok(mut set) = self.0.lock() {
            set.remove(peer);
        }
    }

    pub(crate) fn contains(&self, peer: &PeerId) -> bool {
        self.0.lock().is_ok_and(|set| set.contains(peer))
    }
}
