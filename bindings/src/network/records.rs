//! Records of the network API: configuration, advertisement, peers, sync reports.

use crate::error::PartageError;
use crate::time::{TimeSpan, count, non_negative, total};
use partage_net::{Multiaddr, NetConfig, Network};
use std::time::SystemTime;

/// How the network runs. The default listens on every interface (TCP and QUIC, ports chosen by
/// the system) with mDNS off: apps on phones feed peers in through `add_peer_addresses` from the
/// platform's own discovery (Android NSD, iOS Bonjour).
#[derive(Clone, Debug, Default, PartialEq, Eq, uniffi::Record)]
pub struct NetworkConfig {
    /// Multiaddrs to listen on, e.g. `/ip4/127.0.0.1/tcp/0`. Empty: every interface.
    #[uniffi(default = [])]
    pub listen_addresses: Vec<String>,
    /// Multiaddrs to dial at start (and whenever the node resumes or syncs).
    #[uniffi(default = [])]
    pub peer_addresses: Vec<String>,
    /// Discover peers on the LAN with mDNS from Rust (often blocked on phones). The Android and
    /// iOS libraries are built without it (the `mdns` feature): there, `true` makes starting
    /// the network fail with a network error.
    #[uniffi(default = false)]
    pub mdns: bool,
    /// Established connections at most (default 64).
    #[uniffi(default = None)]
    pub max_connections: Option<i32>,
    /// Serve as the neighbourhood's home node (an always-on device): relay for verified members
    /// only (ADR 0019). Phones leave it off.
    #[uniffi(default = false)]
    pub home_node: bool,
}

impl TryFrom<NetworkConfig> for NetConfig {
    type Error = PartageError;
    fn try_from(c: NetworkConfig) -> Result<Self, PartageError> {
        let mut config = NetConfig { mdns: c.mdns, home_node: c.home_node, ..NetConfig::default() };
        if !c.listen_addresses.is_empty() {
            config.listen = parse_addresses(&c.listen_addresses)?;
        }
        config.peers = parse_addresses(&c.peer_addresses)?;
        if let Some(max) = c.max_connections {
            config.max_connections = non_negative(max.into(), "max connections")?;
        }
        Ok(config)
    }
}

pub(crate) fn parse_addresses(list: &[String]) -> Result<Vec<Multiaddr>, PartageError> {
    list.iter().map(|a| Network::parse_address(a).map_err(PartageError::from)).collect()
}

/// What to advertise so that neighbours can dial this device: put it in an invite ticket, a QR
/// code, or an NSD/Bonjour service record.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Advertisement {
    pub peer_id: String,
    /// Listen addresses, each ending in `/p2p/<peer id>`.
    pub addresses: Vec<String>,
}

/// What one sync with a peer moved.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SyncOutcome {
    /// Both sides hold the same documents of every neighbourhood they share.
    pub converged: bool,
    pub docs_received: i32,
    pub docs_sent: i32,
    pub bytes_received: i64,
    pub bytes_sent: i64,
    /// Protocol messages each way (`null`/`nil` in `NetworkEvent.SyncFinished`, which does not count them).
    pub messages_received: Option<i32>,
    pub messages_sent: Option<i32>,
    pub duration: TimeSpan,
}

impl From<partage_net::SyncOutcome> for SyncOutcome {
    fn from(o: partage_net::SyncOutcome) -> Self {
        SyncOutcome {
            converged: o.converged,
            docs_received: count(o.docs_received),
            docs_sent: count(o.docs_sent),
            bytes_received: total(o.bytes_received),
            bytes_sent: total(o.bytes_sent),
            messages_received: Some(count(o.messages_received)),
            messages_sent: Some(count(o.messages_sent)),
            duration: o.duration.into(),
        }
    }
}

/// A known or connected peer.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Peer {
    /// Its transport identity on this network (ADR 0016).
    pub peer_id: String,
    /// The device it proved to be in its sync session, once it did.
    pub device_id: Option<String>,
    /// The member it proved to be, once it did.
    pub member_id: Option<String>,
    /// Neighbourhoods (shared with this device) it proved membership of.
    pub neighbourhood_ids: Vec<String>,
    pub addresses: Vec<String>,
    pub connected: bool,
    /// A sync round is in progress.
    pub syncing: bool,
    pub last_synced_at: Option<SystemTime>,
    pub last_sync: Option<SyncOutcome>,
    /// How it is reached now (`null`/`nil` when not connected).
    pub path: Option<ConnectionPath>,
    /// It relays for the neighbourhood's members: a home node (ADR 0019).
    pub home_node: bool,
}

/// How a connected peer is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum ConnectionPath {
    /// Directly (the same LAN, or dialed).
    Direct,
    /// Through a home node's relay only.
    Relayed,
    /// First through a relay, now directly: hole punching worked.
    Upgraded,
}

impl From<partage_net::ConnectionPath> for ConnectionPath {
    fn from(p: partage_net::ConnectionPath) -> Self {
        match p {
            partage_net::ConnectionPath::Direct => ConnectionPath::Direct,
            partage_net::ConnectionPath::Relayed => ConnectionPath::Relayed,
            partage_net::ConnectionPath::Upgraded => ConnectionPath::Upgraded,
        }
    }
}

impl From<partage_net::PeerInfo> for Peer {
    fn from(p: partage_net::PeerInfo) -> Self {
        let path = p.path().map(Into::into);
        Peer {
            peer_id: p.peer_id.to_string(),
            device_id: p.device.map(|d| d.to_hex()),
            member_id: p.member.map(|m| m.to_hex()),
            neighbourhood_ids: p.neighbourhoods.iter().map(|n| n.to_hex()).collect(),
            addresses: p.addrs.iter().map(ToString::to_string).collect(),
            connected: p.connected,
            syncing: p.syncing,
            last_synced_at: p.last_synced,
            last_sync: p.last_sync.map(Into::into),
            path,
            home_node: p.home_node,
        }
    }
}

/// What `sync_now` achieved.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// One entry per peer a session ran with.
    pub peers: Vec<PeerSync>,
    /// Dials that failed (most recent last).
    pub dial_errors: Vec<String>,
    pub elapsed: TimeSpan,
    /// Every peer's round finished and converged.
    pub complete: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct PeerSync {
    pub peer_id: String,
    /// `null`/`nil` if its round did not finish in time.
    pub outcome: Option<SyncOutcome>,
}

impl From<partage_net::SyncReport> for SyncReport {
    fn from(r: partage_net::SyncReport) -> Self {
        let complete = r.complete();
        SyncReport {
            peers: r
                .peers
                .into_iter()
                .map(|p| PeerSync { peer_id: p.peer_id.to_string(), outcome: p.outcome.map(Into::into) })
                .collect(),
            dial_errors: r.dial_errors,
            elapsed: r.elapsed.into(),
            complete,
        }
    }
}

/// What the network is doing right now.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct NetworkStatus {
    /// Started (by the app or by a background sync) and not stopped.
    pub running: bool,
    /// Paused, or not running: nothing listens and no peer is connected.
    pub paused: bool,
    pub connected_peers: i32,
    /// Peers with a sync round in progress.
    pub syncing_peers: i32,
    /// Network calls of this node whose work is still running (a cancelled call leaves this
    /// count as soon as its work has been aborted).
    pub calls_in_flight: i32,
    /// `sync_in_background` calls in progress.
    pub background_syncs: i32,
    /// Whether peers off this network can dial this device, as its verified home nodes found
    /// by dialing it back.
    pub reachability: Reachability,
}

/// Whether this device can be dialed from outside (AutoNAT, through its home nodes).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum Reachability {
    /// No home node has tested an address of this device yet.
    Unknown,
    /// A home node reached these addresses: peers can dial this device there.
    Reachable { addresses: Vec<String> },
    /// No tested address was reachable (a NAT or a firewall): peers off this network reach the
    /// device through a home node's relay.
    NotReachable { tested: Vec<String> },
}

impl From<partage_net::Reachability> for Reachability {
    fn from(r: partage_net::Reachability) -> Self {
        let text = |addrs: Vec<partage_net::Multiaddr>| addrs.iter().map(ToString::to_string).collect();
        match r {
            partage_net::Reachability::Unknown => Reachability::Unknown,
            partage_net::Reachability::Reachable { addresses } => {
                Reachability::Reachable { addresses: text(addresses) }
            }
            partage_net::Reachability::NotReachable { tested } => {
                Reachability::NotReachable { tested: text(tested) }
            }
        }
    }
}
