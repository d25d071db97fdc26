//! What the event loop knows about each peer, and the snapshot it publishes for the handle.

use crate::session::{SessionCmd, SyncOutcome};
use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};
use partage::{DeviceId, MemberId, NeighbourhoodId};
#[cfg(feature = "mdns")]
use std::collections::VecDeque;
use std::collections::{BTreeSet, HashSet};
use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::mpsc;

/// Addresses kept per peer.
pub(crate) const MAX_ADDRS: usize = 8;
/// Recent dial failures kept for reports.
pub(crate) const MAX_DIAL_ERRORS: usize = 16;
/// Peers known to the event loop that are neither connected nor remembered (addresses the app
/// gave), at most.
pub(crate) const MAX_LOOSE_PEERS: usize = 256;
/// Addresses without a peer id (tickets, configuration, the app) kept for redials, at most.
pub(crate) const MAX_LOOSE_ADDRS: usize = 64;
/// Automatic redials of an address that never led to a member (a ticket's, one the app gave),
/// at most; after that it is dialed only when the app asks (start, resume, `sync_now`).
/// Remembered members are redialed without a cap (with backoff).
pub(crate) const MAX_REDIAL_ATTEMPTS: u32 = 10;
/// The wait between redials of one target doubles up to this many times the redial interval.
pub(crate) const MAX_BACKOFF_FACTOR: u32 = 16;
/// Peers found by mDNS remembered (to announce each once), at most.
#[cfg(feature = "mdns")]
pub(crate) const MAX_DISCOVERED: usize = 256;
/// Peers blocked at once, at most (the one whose block ends first is let go early).
pub(crate) const MAX_BANNED: usize = 1024;

/// One peer as seen by the event loop.
#[derive(Default)]
pub(crate) struct PeerEntry {
    pub connections: u32,
    /// Where it can be dialed: the address we dialed, its listen addresses (identify).
    pub addrs: Vec<Multiaddr>,
    pub session: Option<SessionSlot>,
    pub opening: bool,
    pub member: Option<MemberId>,
    /// The device it proved to be in its session (its peer id is a transport key: ADR 0016).
    pub device: Option<DeviceId>,
    pub neighbourhoods: BTreeSet<NeighbourhoodId>,
    pub syncing: bool,
    pub last_synced: Option<SystemTime>,
    pub last_outcome: Option<SyncOutcome>,
    /// Remembered in the store (dialed again after a restart).
    pub remembered: bool,
    /// The current session verified the peer's membership of a shared neighbourhood.
    pub verified: bool,
    /// Whether the peer speaks the sync protocol (identify's list, or a refused stream);
    /// `None` until known.
    pub speaks_partage: Option<bool>,
    /// It relays (identify lists the relay hop protocol): a home node (ADR 0019).
    pub offers_relay: bool,
    /// Open connections that go through a relay.
    pub relayed: HashSet<libp2p::swarm::ConnectionId>,
    /// A relayed connection with it was replaced by a direct one (hole punching).
    pub upgraded: bool,
    /// Automatic redials while it is away.
    pub redial: Redial,
    /// Streams this side opened that closed before the peer proved anything, since it last
    /// did (see `EventLoop::on_report`).
    pub closed_unproven: u8,
    /// This device dialed it (at least once): a peer it chose to reach, not a stranger that
    /// came in.
    pub dialed: bool,
}

/// Automatic redials of one target: attempts so far and when the next is due.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Redial {
    pub attempts: u32,
    pub next: Option<Instant>,
}

impl Redial {
    pub fn due(&self, now: Instant) -> bool {
        self.next.is_none_or(|next| next <= now)
    }

    /// Counts a dial; the next one waits `first`, doubled per earlier attempt, at most `max`.
    pub fn attempted(&mut self, now: Instant, first: Duration, max: Duration) {
        self.attempts = self.attempts.saturating_add(1);
        let factor = 1u32 << self.attempts.saturating_sub(1).min(16);
        self.next = Some(now + first.saturating_mul(factor).min(max));
    }

    /// A dial the app asked for: not counted, the next automatic one waits `wait`.
    pub fn postpone(&mut self, now: Instant, wait: Duration) {
        self.next = Some(now + wait);
    }
}

/// Peers seen recently, the oldest forgotten beyond `cap` (those found by mDNS).
#[cfg(feature = "mdns")]
pub(crate) struct RecentPeers {
    cap: usize,
    order: VecDeque<PeerId>,
    set: HashSet<PeerId>,
}

#[cfg(feature = "mdns")]
impl RecentPeers {
    pub fn new(cap: usize) -> Self {
        RecentPeers { cap: cap.max(1), order: VecDeque::new(), set: HashSet::new() }
    }

    /// Adds `peer`; `true` if it was not there.
    pub fn insert(&mut self, peer: PeerId) -> bool {
        if !self.set.insert(peer) {
            return false;
        }
        self.order.push_back(peer);
        while self.order.len() > self.cap {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }

    pub fn remove(&mut self, peer: &PeerId) {
        if self.set.remove(peer) {
            self.order.retain(|p| p != peer);
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.set.len()
    }
}

/// An address without a known peer id, redialed with backoff.
pub(crate) struct LooseAddr {
    pub addr: Multiaddr,
    pub redial: Redial,
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
    /// Its transport identity on this network (not its device: ADR 0016).
    pub peer_id: PeerId,
    /// The device it proved to be inside a sync session, once it did.
    pub device: Option<DeviceId>,
    /// The member it proved to be, once it did.
    pub member: Option<MemberId>,
    /// Neighbourhoods it proved membership of (shared with this device).
    pub neighbourhoods: Vec<NeighbourhoodId>,
    /// Addresses known for it.
    pub addrs: Vec<Multiaddr>,
    /// At least one connection with it is open.
    pub connected: bool,
    /// A sync session is running on the connection.
    pub session: bool,
    /// A sync round is in progress.
    pub syncing: bool,
    /// When a sync round with it last finished, by this device's clock.
    pub last_synced: Option<SystemTime>,
    /// What that round achieved.
    pub last_sync: Option<SyncOutcome>,
    /// Remembered in the store: dialed again after a restart.
    pub remembered: bool,
    /// Every open connection with it goes through a home node's relay.
    pub relayed: bool,
    /// A relayed connection with it was upgraded to a direct one by hole punching.
    pub upgraded: bool,
    /// It relays for members (a home node).
    pub home_node: bool,
}

/// How this device reaches a connected peer (ADR 0019).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionPath {
    /// A direct connection (on the LAN, or dialed).
    Direct,
    /// Only through a home node's relay.
    Relayed,
    /// First through a relay, now direct: hole punching worked.
    Upgraded,
}

impl ConnectionPath {
    /// The stable lowercase name: "direct", "relayed" or "upgraded".
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionPath::Direct => "direct",
            ConnectionPath::Relayed => "relayed",
            ConnectionPath::Upgraded => "upgraded",
        }
    }
}

impl PeerInfo {
    /// How the peer is reached now; `None` when it is not connected.
    pub fn path(&self) -> Option<ConnectionPath> {
        match (self.connected, self.relayed, self.upgraded) {
            (false, _, _) => None,
            (true, true, _) => Some(ConnectionPath::Relayed),
            (true, false, true) => Some(ConnectionPath::Upgraded),
            (true, false, false) => Some(ConnectionPath::Direct),
        }
    }
}

/// What the event loop publishes after every change (read by the handle without a round trip).
#[derive(Clone, Debug, Default)]
pub(crate) struct Snapshot {
    /// This node's transport identity on the network it is on now.
    pub local: Option<PeerId>,
    pub listen: Vec<Multiaddr>,
    pub peers: Vec<PeerInfo>,
    pub pending_dials: usize,
    pub dial_errors: Vec<String>,
    pub paused: bool,
    /// A home node's port mapping on the router (UPnP), once known.
    pub port_mapping: Option<String>,
    /// Whether home nodes could dial this device back (AutoNAT).
    pub reachability: crate::Reachability,
}

/// Which remote addresses count as one for the per-address cap: an IPv4 address, or an IPv6
/// /64 (what one host is usually given). Loopback has none: only this machine's own processes
/// come from there, and tests run every node on 127.0.0.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IpGroup {
    V4([u8; 4]),
    V6([u8; 8]),
}

impl IpGroup {
    pub(crate) fn of(addr: &Multiaddr) -> Option<IpGroup> {
        let ip: IpAddr = addr.iter().find_map(|p| match p {
            Protocol::Ip4(ip) => Some(IpAddr::V4(ip)),
            Protocol::Ip6(ip) => Some(IpAddr::V6(ip)),
            _ => None,
        })?;
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        if ip.is_loopback() {
            return None;
        }
        Some(match ip {
            IpAddr::V4(v4) => IpGroup::V4(v4.octets()),
            IpAddr::V6(v6) => {
                let o = v6.octets();
                let mut prefix = [0u8; 8];
                for (p, b) in prefix.iter_mut().zip(o) {
                    *p = b;
                }
                IpGroup::V6(prefix)
            }
        })
    }
}

/// The peer an address reaches: its last `/p2p/...` component, if any.
pub(crate) fn peer_in(addr: &Multiaddr) -> Option<PeerId> {
    // The last one: a relayed address names the relay first and the peer it reaches last.
    addr.iter()
        .filter_map(|p| match p {
            Protocol::P2p(peer) => Some(peer),
            _ => None,
        })
        .last()
}

/// `addr` without the `/p2p/<peer>` at its end (a relayed address keeps its relay's).
pub(crate) fn without_last_peer(addr: &Multiaddr) -> Multiaddr {
    let mut addr = addr.clone();
    if matches!(addr.iter().last(), Some(Protocol::P2p(_))) {
        addr.pop();
    }
    addr
}

/// `addr` with `/p2p/<peer>` at the end (once).
pub(crate) fn with_peer(addr: &Multiaddr, peer: &PeerId) -> Multiaddr {
    if matches!(addr.iter().last(), Some(Protocol::P2p(_))) {
        addr.clone()
    } else {
        addr.clone().with(Protocol::P2p(*peer))
    }
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

    #[test]
    fn ipv6_groups_by_prefix() {
        let a: Multiaddr = "/ip6/2001:db8:1:2::1/tcp/1".parse().unwrap();
        let b: Multiaddr = "/ip6/2001:db8:1:2::ffff/tcp/1".parse().unwrap();
        let c: Multiaddr = "/ip6/2001:db8:1:3::1/tcp/1".parse().unwrap();
        assert_eq!(IpGroup::of(&a), IpGroup::of(&b));
        assert_ne!(IpGroup::of(&a), IpGroup::of(&c));
        assert_eq!(IpGroup::of(&"/ip6/::1/tcp/1".parse().unwrap()), None);
        assert_eq!(IpGroup::of(&"/ip4/127.0.0.1/tcp/1".parse().unwrap()), None);
    }

    #[test]
    fn redials_back_off() {
        let t0 = Instant::now();
        let interval = Duration::from_secs(1);
        let mut r = Redial::default();
        assert!(r.due(t0));
        let mut waits = Vec::new();
        for _ in 0..8 {
            r.attempted(t0, interval, interval * MAX_BACKOFF_FACTOR);
            waits.push(r.next.unwrap().duration_since(t0).as_secs());
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 16, 16, 16]);
        assert!(!r.due(t0));
        assert!(r.due(t0 + Duration::from_secs(16)));
    }

    #[cfg(feature = "mdns")]
    #[test]
    fn recent_peers_forget_the_oldest() {
        let mut set = RecentPeers::new(3);
        let peers: Vec<PeerId> = (0..5).map(|_| PeerId::random()).collect();
        for p in &peers {
            assert!(set.insert(*p));
        }
        assert_eq!(set.len(), 3);
        assert!(!set.insert(peers[4]));
        assert!(set.insert(peers[0]), "the oldest were forgotten");
    }
}
