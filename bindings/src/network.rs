//! Networking at the FFI edge: start/stop/pause/resume, sync now, peers, and the discovery
//! bridge (this device's advertisement; addresses found by Android NSD or iOS Bonjour).
//! Peers are named by their libp2p peer id (`12D3KooW...`), which is derived from the device key.

use crate::error::PartageError;
use crate::node::Node;
use crate::runtime::runtime;
use crate::types::{count, ms};
use partage::DeviceId;
use partage::events::{NetEvent, SyncStats};
use partage_net::{Multiaddr, NetConfig, Network};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
    /// Discover peers on the LAN with mDNS from Rust (often blocked on phones).
    #[uniffi(default = false)]
    pub mdns: bool,
    /// Established connections at most (default 64).
    #[uniffi(default = None)]
    pub max_connections: Option<u32>,
}

impl TryFrom<NetworkConfig> for NetConfig {
    type Error = PartageError;
    fn try_from(c: NetworkConfig) -> Result<Self, PartageError> {
        let mut config = NetConfig { mdns: c.mdns, ..NetConfig::default() };
        if !c.listen_addresses.is_empty() {
            config.listen = parse_addresses(&c.listen_addresses)?;
        }
        config.peers = parse_addresses(&c.peer_addresses)?;
        if let Some(max) = c.max_connections {
            config.max_connections = max;
        }
        Ok(config)
    }
}

fn parse_addresses(list: &[String]) -> Result<Vec<Multiaddr>, PartageError> {
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
    pub docs_received: u32,
    pub docs_sent: u32,
    pub bytes_received: u64,
    pub bytes_sent: u64,
    pub duration_ms: u64,
}

impl From<partage_net::SyncOutcome> for SyncOutcome {
    fn from(o: partage_net::SyncOutcome) -> Self {
        SyncOutcome {
            converged: o.converged,
            docs_received: count(o.docs_received),
            docs_sent: count(o.docs_sent),
            bytes_received: o.bytes_received,
            bytes_sent: o.bytes_sent,
            duration_ms: millis(o.duration),
        }
    }
}

/// A known or connected peer.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Peer {
    pub peer_id: String,
    pub device_id: Option<String>,
    /// The member it proved to be, once it did.
    pub member_id: Option<String>,
    /// Neighbourhoods (shared with this device) it proved membership of.
    pub neighbourhood_ids: Vec<String>,
    pub addresses: Vec<String>,
    pub connected: bool,
    /// A sync round is in progress.
    pub syncing: bool,
    pub last_synced_at_ms: Option<i64>,
    pub last_sync: Option<SyncOutcome>,
}

impl From<partage_net::PeerInfo> for Peer {
    fn from(p: partage_net::PeerInfo) -> Self {
        Peer {
            peer_id: p.peer_id.to_string(),
            device_id: p.device.map(|d| d.to_hex()),
            member_id: p.member.map(|m| m.to_hex()),
            neighbourhood_ids: p.neighbourhoods.iter().map(|n| n.to_hex()).collect(),
            addresses: p.addrs.iter().map(ToString::to_string).collect(),
            connected: p.connected,
            syncing: p.syncing,
            last_synced_at_ms: p.last_synced.map(epoch_ms),
            last_sync: p.last_sync.map(Into::into),
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
    pub elapsed_ms: u64,
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
            elapsed_ms: millis(r.elapsed),
            complete,
        }
    }
}

/// Network activity (also delivered to event listeners as `NodeEvent.Network`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum NetworkEvent {
    /// Listening on this address.
    Listening {
        address: String,
    },
    /// A peer was found on the LAN (mDNS) or handed in by the app.
    PeerDiscovered {
        peer_id: String,
        address: String,
    },
    PeerConnected {
        peer_id: String,
        address: String,
    },
    PeerDisconnected {
        peer_id: String,
    },
    /// The peer proved membership of a neighbourhood both share.
    PeerVerified {
        peer_id: String,
        member_id: String,
        neighbourhood_id: String,
    },
    /// The peer could not prove membership: it receives nothing of that neighbourhood.
    PeerRefused {
        peer_id: String,
        neighbourhood_id: String,
        reason: String,
    },
    SyncStarted {
        peer_id: String,
    },
    SyncFinished {
        peer_id: String,
        outcome: SyncOutcome,
    },
    DocReceived {
        peer_id: String,
        neighbourhood_id: String,
        owner_id: String,
        changes: u32,
        bytes: u64,
    },
    DocSent {
        peer_id: String,
        neighbourhood_id: String,
        owner_id: String,
        bytes: u64,
    },
    /// A document was refused without blaming the peer (its owner was revoked).
    DocRefused {
        peer_id: String,
        neighbourhood_id: String,
        owner_id: String,
        reason: String,
    },
    /// The peer sent garbage, oversized or forged data and was disconnected.
    PeerMisbehaved {
        peer_id: String,
        reason: String,
    },
    /// Syncing with the peer stopped because of a local problem (storage).
    SyncFailed {
        peer_id: String,
        reason: String,
    },
}

fn peer(d: &DeviceId) -> String {
    partage_net::peer_id_of(d).map(|p| p.to_string()).unwrap_or_else(|| d.to_hex())
}

impl From<NetEvent> for NetworkEvent {
    fn from(e: NetEvent) -> Self {
        use NetworkEvent as N;
        match e {
            NetEvent::Listening { addr } => N::Listening { address: addr },
            NetEvent::PeerDiscovered { peer: p, addr } => {
                N::PeerDiscovered { peer_id: peer(&p), address: addr }
            }
            NetEvent::PeerConnected { peer: p, addr } => {
                N::PeerConnected { peer_id: peer(&p), address: addr }
            }
            NetEvent::PeerDisconnected { peer: p } => N::PeerDisconnected { peer_id: peer(&p) },
            NetEvent::PeerVerified { peer: p, member, neighbourhood } => N::PeerVerified {
                peer_id: peer(&p),
                member_id: member.to_hex(),
                neighbourhood_id: neighbourhood.to_hex(),
            },
            NetEvent::PeerRefused { peer: p, neighbourhood, reason } => {
                N::PeerRefused { peer_id: peer(&p), neighbourhood_id: neighbourhood.to_hex(), reason }
            }
            NetEvent::SyncStarted { peer: p } => N::SyncStarted { peer_id: peer(&p) },
            NetEvent::SyncFinished(stats) => sync_finished(stats),
            NetEvent::DocReceived { peer: p, neighbourhood, owner, changes, bytes, .. } => N::DocReceived {
                peer_id: peer(&p),
                neighbourhood_id: neighbourhood.to_hex(),
                owner_id: owner.to_hex(),
                changes: count(changes),
                bytes,
            },
            NetEvent::DocSent { peer: p, neighbourhood, owner, bytes } => N::DocSent {
                peer_id: peer(&p),
                neighbourhood_id: neighbourhood.to_hex(),
                owner_id: owner.to_hex(),
                bytes,
            },
            NetEvent::DocRefused { peer: p, neighbourhood, owner, reason } => N::DocRefused {
                peer_id: peer(&p),
                neighbourhood_id: neighbourhood.to_hex(),
                owner_id: owner.to_hex(),
                reason,
            },
            NetEvent::PeerMisbehaved { peer: p, reason } => N::PeerMisbehaved { peer_id: peer(&p), reason },
            NetEvent::SyncFailed { peer: p, reason } => N::SyncFailed { peer_id: peer(&p), reason },
        }
    }
}

fn sync_finished(s: SyncStats) -> NetworkEvent {
    NetworkEvent::SyncFinished {
        peer_id: peer(&s.peer),
        outcome: SyncOutcome {
            converged: true,
            docs_received: count(s.docs_received),
            docs_sent: count(s.docs_sent),
            bytes_received: s.bytes_received,
            bytes_sent: s.bytes_sent,
            duration_ms: millis(s.duration),
        },
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn epoch_ms(t: SystemTime) -> i64 {
    ms(t.duration_since(UNIX_EPOCH).map(millis).unwrap_or(0))
}

/// Runs a network future on the bindings' runtime (libp2p needs tokio) and awaits it from any
/// executor.
async fn on_runtime<T, F>(future: F) -> Result<T, PartageError>
where
    F: std::future::Future<Output = Result<T, partage_net::NetError>> + Send + 'static,
    T: Send + 'static,
{
    match runtime()?.spawn(future).await {
        Ok(result) => result.map_err(PartageError::from),
        Err(e) => Err(PartageError::Internal(format!("a network task failed: {e}"))),
    }
}

impl Node {
    /// The running network, or `Stopped`.
    fn network(&self) -> Result<Network, PartageError> {
        self.net_handle().ok_or_else(|| PartageError::Stopped("the network is not started".into()))
    }
}

#[uniffi::export]
impl Node {
    /// Starts the network (the node needs an identity): listens, dials configured, remembered
    /// and ticket addresses, and syncs with every member it meets. Fails with `InvalidInput` if
    /// it is already running.
    pub async fn start_network(&self, config: NetworkConfig) -> Result<(), PartageError> {
        let config = NetConfig::try_from(config)?;
        if self.net_handle().is_some() {
            return Err(PartageError::invalid("the network is already started"));
        }
        let node = (*self.core()).clone();
        let network = on_runtime(Network::start(node, config)).await?;
        if let Some(previous) = self.set_net_handle(Some(network.clone())) {
            // Two concurrent starts: keep the newest, stop the other.
            let _ = on_runtime(async move { previous.stop().await }).await;
        }
        Ok(())
    }

    /// Stops the network: every connection ends. `start_network` may be called again.
    pub async fn stop_network(&self) -> Result<(), PartageError> {
        match self.set_net_handle(None) {
            Some(network) => on_runtime(async move { network.stop().await }).await,
            None => Ok(()),
        }
    }

    /// Disconnects every peer and stops listening, keeping state (the app went to the background).
    pub async fn pause_network(&self) -> Result<(), PartageError> {
        let network = self.network()?;
        on_runtime(async move { network.pause().await }).await
    }

    /// Listens again and redials known peers (the app came back to the foreground).
    pub async fn resume_network(&self) -> Result<(), PartageError> {
        let network = self.network()?;
        on_runtime(async move { network.resume().await }).await
    }

    pub fn is_network_running(&self) -> bool {
        self.net_handle().is_some()
    }

    pub fn is_network_paused(&self) -> bool {
        self.net_handle().is_none_or(|n| n.is_paused())
    }

    /// Dials every known peer and syncs with whoever is reachable, for at most `timeout_ms`
    /// (a short background window on a phone).
    pub async fn sync_now(&self, timeout_ms: u32) -> Result<SyncReport, PartageError> {
        let network = self.network()?;
        let timeout = Duration::from_millis(u64::from(timeout_ms));
        on_runtime(async move { network.sync_now(timeout).await }).await.map(Into::into)
    }

    /// Known and connected peers, connected first.
    pub fn peers(&self) -> Result<Vec<Peer>, PartageError> {
        Ok(self.network()?.peers().into_iter().map(Into::into).collect())
    }

    /// What to advertise for neighbours to dial (waits up to `timeout_ms` for a listen address).
    pub async fn advertisement(&self, timeout_ms: u32) -> Result<Advertisement, PartageError> {
        let network = self.network()?;
        let timeout = Duration::from_millis(u64::from(timeout_ms));
        let ad = on_runtime(async move { network.advertise(timeout).await }).await?;
        Ok(Advertisement {
            peer_id: ad.peer_id.to_string(),
            addresses: ad.addrs.iter().map(ToString::to_string).collect(),
        })
    }

    /// The discovery bridge: addresses the app found itself (Android NSD, iOS Bonjour, a QR
    /// code). They are dialed now and redialed while the peer is away. Returns how many were new.
    pub async fn add_peer_addresses(&self, addresses: Vec<String>) -> Result<u32, PartageError> {
        let addrs = parse_addresses(&addresses)?;
        let network = self.network()?;
        on_runtime(async move { network.add_peer_addresses(addrs).await }).await.map(count)
    }

    /// Dials one address once (not remembered).
    pub async fn dial(&self, address: String) -> Result<(), PartageError> {
        let addr = Network::parse_address(&address)?;
        let network = self.network()?;
        on_runtime(async move { network.dial(addr).await }).await
    }

    /// Stops the network and waits for it, so that the data directory can be reopened at once
    /// after this object is released. Safe to call more than once.
    pub async fn shutdown(&self) -> Result<(), PartageError> {
        self.stop_network().await
    }
}
