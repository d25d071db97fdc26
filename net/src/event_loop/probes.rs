//! Reachability tests from the loop's side (`crate::autonat`): which peers may test this device,
//! and what their tests found.

use super::EventLoop;
use libp2p::PeerId;
use libp2p_autonat::v2::{client, server};

impl EventLoop {
    /// A verified home node: this device may ask it to dial back (on any of its connections).
    pub(super) fn trust_probe_server(&mut self, peer: PeerId) {
        if self.peers.get(&peer).is_some_and(|e| e.verified && e.offers_relay) {
            self.probe_servers.insert(peer);
        }
    }

    /// A home node tested one of this device's addresses.
    pub(super) fn on_probe(&mut self, event: client::Event) {
        let reached = event.result.is_ok();
        crate::trace!(
            "{} AutoNAT: {} tested {} ({} B sent): {:?}",
            self.local,
            event.server,
            event.tested_addr,
            event.bytes_sent,
            event.result
        );
        if self.probes.record(event.tested_addr, reached) {
            self.dirty = true;
        }
    }

    /// This home node dialed a member back.
    pub(super) fn on_probe_served(&mut self, event: server::Event) {
        crate::trace!(
            "{} AutoNAT: dialed {} back at {}: {:?}",
            self.local,
            event.client,
            event.tested_addr,
            event.result
        );
    }
}
