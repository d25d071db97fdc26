//! Network activity as delivered to listeners (`NodeEvent.Network`).

use super::records::SyncOutcome;
use crate::time::{count, total};
use partage::DeviceId;
use partage::events::{NetEvent, SyncStats};

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
    /// A document (or changes to it) from a peer was verified and stored.
    DocReceived {
        peer_id: String,
        neighbourhood_id: String,
        owner_id: String,
        /// Individual changes applied (0 for a whole document).
        changes: i32,
        /// A whole document this device did not have yet.
        whole_document: bool,
        bytes: i64,
    },
    DocSent {
        peer_id: String,
        neighbourhood_id: String,
        owner_id: String,
        bytes: i64,
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
    /// A new device used the link code this device showed (`offer_device_link`) and is now
    /// one of this member's devices.
    DeviceLinked {
        device_id: String,
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
            NetEvent::DocReceived { peer: p, neighbourhood, owner, changes, whole_document, bytes } => {
                N::DocReceived {
                    peer_id: peer(&p),
                    neighbourhood_id: neighbourhood.to_hex(),
                    owner_id: owner.to_hex(),
                    changes: count(changes),
                    whole_document,
                    bytes: total(bytes),
                }
            }
            NetEvent::DocSent { peer: p, neighbourhood, owner, bytes } => N::DocSent {
                peer_id: peer(&p),
                neighbourhood_id: neighbourhood.to_hex(),
                owner_id: owner.to_hex(),
                bytes: total(bytes),
            },
            NetEvent::DocRefused { peer: p, neighbourhood, owner, reason } => N::DocRefused {
                peer_id: peer(&p),
                neighbourhood_id: neighbourhood.to_hex(),
                owner_id: owner.to_hex(),
                reason,
            },
            NetEvent::PeerMisbehaved { peer: p, reason } => N::PeerMisbehaved { peer_id: peer(&p), reason },
            NetEvent::SyncFailed { peer: p, reason } => N::SyncFailed { peer_id: peer(&p), reason },
            NetEvent::DeviceLinked { device } => N::DeviceLinked { device_id: device.to_hex() },
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
            bytes_received: total(s.bytes_received),
            bytes_sent: total(s.bytes_sent),
            messages_received: None,
            messages_sent: None,
            duration: s.duration.into(),
        },
    }
}
