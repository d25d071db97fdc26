//! What the event loop knows about each peer, and the snapshot it publishes for the handle.

use crate::session::{SessionCmd, SyncOutcome};
use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};
use partage::{DeviceId, MemberId, NeighbourhoodId};
use std::collections::BTreeSet;
use std::time::SystemTime;
use tokio::sync::mpsc;

/// Addresses kept per peer.
pub(crate) const MAX_ADDRS: usize = 8;
/// Recent dial failures kept for reports.
pub(crate) const MAX_DIAL_ERRORS: usize = 16;

/// One peer as seen by the event loop.
#[derive(Default)]
pub(crate) struct PeerEntry {
    pub connections: u32,
    /// Where it can be dialed: the address we dialed, its listen addresses (identify).
    pub addrs: Vec<Multiaddr>,
    pub session: Option<SessionSlot>,
    pub opening: bool,
    pub member: Option<MemberId>,
    pub neighbourhoods: BTreeSet<NeighbourhoodId>,
    pub syncing: bool,
    pub last_synced: Option<SystemTime>,
    pub last_outcome: Option<SyncOutcome>,
    /// Remembered in the store (dialed again after a restart).
    pub remembered: bool,
}

pub(crate) struct SessionSlot {
    pub id: u64,
    pub commands: mpsc::Sender<SessionCmd>,
}

impl PeerEntry {
    /// Adds an address (most recent first), bounded.
    pub fn add_addr(&mut self, addr: Multiaddr) {
        self.addrs.retain(|a| *a != addr);
        self.addrs.insert(0, addr);
        self.addrs.truncate(MAX_ADDRS);
    }
}

/// A peer as reported by [`crate::Network::peers`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    pub peer_id: PeerId,
    /// The peer's device (its libp2p identity).
    pub device: Option<DeviceId>,
    /// The member it proved to be, once it did.
    pub member: Option<MemberId>,
    /// Neighbourhoods it proved membership of (shared with this device).
    pub neighbourhoods: Vec<NeighbourhoodId>,
    pub addrs: Vec<Multiaddr>,
    pub connected: bool,
    /// A sync session is running on the connection.
    pub session: bool,
    /// A sync round is in progress.
    pub syncing: bool,
    pub last_synced: Option<SystemTime>,
    pub last_sync: Option<SyncOutcome>,
    /// Remembered in the store: dialed again after a restart.
    pub remembered: bool,
}

/// What the event loop publishes after every change (read by the handle without a round trip).
#[derive(Clone, Debug, Default)]
pub(crate) struct Snapshot {
    pub listen: Vec<Multiaddr>,
    pub peers: Vec<PeerInfo>,
    pub pending_dials: usize,
    pub dial_errors: Vec<String>,
    pub paused: bool,
}

/// The peer id in a `/p2p/...` component, if any.
pub(crate) fn peer_in(addr: &Multiaddr) -> Option<PeerId> {
    addr.iter().find_map(|p| match p {
        Protocol::P2p(peer) => Some(peer),
        _ => None,
    })
}

/// `addr` with `/p2p/<peer>` at the end (once).
pub(crate) fn with_peer(addr: &Multiaddr, peer: &PeerId) -> Multiaddr {
    if peer_in(addr).is_some() { addr.clone() } else { addr.clone().with(Protocol::P2p(*peer)) }
}

/// Whether an address is worth dialing later (not 0.0.0.0, not a relay).
pub(crate) fn dialable(addr: &Multiaddr) -> bool {
    addr.iter().all(|p| match p {
        Protocol::Ip4(ip) => !ip.is_unspecified(),
        Protocol::Ip6(ip) => !ip.is_unspecified(),
        Protocol::P2pCircuit => false,
        _ => true,
    })
}

/// `template` with the TCP/UDP port of `actual` (a listen address asked with port 0, made
/// concrete).
pub(crate) fn with_port_of(template: &Multiaddr, actual: &Multiaddr) -> Multiaddr {
    let tcp = actual.iter().find_map(|p| if let Protocol::Tcp(port) = p { Some(port) } else { None });
    let udp = actual.iter().find_map(|p| if let Protocol::Udp(port) = p { Some(port) } else { None });
    template
        .iter()
        .map(|p| match p {
            Protocol::Tcp(0) => Protocol::Tcp(tcp.unwrap_or(0)),
            Protocol::Udp(0) => Protocol::Udp(udp.unwrap_or(0)),
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_chosen_by_the_system_are_kept() {
        let asked: Multiaddr = "/ip4/0.0.0.0/tcp/0".parse().unwrap();
        let got: Multiaddr = "/ip4/127.0.0.1/tcp/4100".parse().unwrap();
        assert_eq!(with_port_of(&asked, &got).to_string(), "/ip4/0.0.0.0/tcp/4100");
        let asked: Multiaddr = "/ip4/0.0.0.0/udp/0/quic-v1".parse().unwrap();
        let got: Multiaddr = "/ip4/10.0.0.2/udp/5000/quic-v1".parse().unwrap();
        assert_eq!(with_port_of(&asked, &got).to_string(), "/ip4/0.0.0.0/udp/5000/quic-v1");
    }
}
