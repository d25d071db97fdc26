//! The event stream: what changed, from a local call or (later) from a peer.
//!
//! A bounded broadcast channel: a subscriber that falls more than [`EVENT_BUFFER`] events behind
//! receives one [`Event::Overflow`] telling how many it missed, then continues with new events.
//! It should then re-read the state it displays.

use crate::ids::{DeviceId, ItemId, MemberId, NeighbourhoodId};
use crate::loan::{LoanState, LoanView};
use crate::readmodel::ItemView;
use tokio::sync::broadcast;

pub const EVENT_BUFFER: usize = 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    ItemAdded(ItemView),
    ItemUpdated(ItemView),
    ItemRemoved {
        neighbourhood: NeighbourhoodId,
        item: ItemId,
    },
    NeighbourhoodJoined {
        neighbourhood: NeighbourhoodId,
        name: String,
    },
    NeighbourhoodLeft {
        neighbourhood: NeighbourhoodId,
    },
    MemberUpdated {
        neighbourhood: NeighbourhoodId,
        member: MemberId,
        name: String,
    },
    /// The member's membership no longer holds (revoked, or admitted through an invite that
    /// turned out to be used up): their items are gone from this device.
    MemberRevoked {
        neighbourhood: NeighbourhoodId,
        member: MemberId,
    },
    /// A member witnessed this device's redemption of its ticket: the neighbourhood now syncs.
    MembershipConfirmed {
        neighbourhood: NeighbourhoodId,
    },
    /// A loan was requested or changed state (locally or by the other party).
    LoanUpdated {
        loan: LoanView,
        previous: Option<LoanState>,
    },
    /// A waitlisted request's period is free again: the requester can be told.
    LoanAvailable {
        loan: LoanView,
    },
    /// This subscriber was too slow and `missed` events were dropped for it.
    Overflow {
        missed: u64,
    },
    /// Network activity (peers, sync progress, refusals), reported by the `partage-net` crate.
    Network(NetEvent),
}

/// What the network layer reports. Peers are named by their device id (also their libp2p
/// identity: the transport authenticated it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetEvent {
    /// Listening on this address: advertise it, with the peer id, for neighbours to dial.
    Listening {
        addr: String,
    },
    /// A peer was found on the LAN (mDNS) or handed in by the app.
    PeerDiscovered {
        peer: DeviceId,
        addr: String,
    },
    PeerConnected {
        peer: DeviceId,
        addr: String,
    },
    PeerDisconnected {
        peer: DeviceId,
    },
    /// The peer proved membership of a neighbourhood both share.
    PeerVerified {
        peer: DeviceId,
        member: MemberId,
        neighbourhood: NeighbourhoodId,
    },
    /// The peer could not prove membership: it receives nothing of that neighbourhood.
    PeerRefused {
        peer: DeviceId,
        neighbourhood: NeighbourhoodId,
        reason: String,
    },
    /// A sync with the peer began (on connection or on request).
    SyncStarted {
        peer: DeviceId,
    },
    /// Both sides hold the same documents of every neighbourhood they share.
    SyncFinished(SyncStats),
    /// A document (or changes to it) from a peer was verified and stored.
    DocReceived {
        peer: DeviceId,
        neighbourhood: NeighbourhoodId,
        owner: MemberId,
        /// Individual changes applied (0 when `whole_document`).
        changes: usize,
        /// A whole document this device did not have yet.
        whole_document: bool,
        bytes: u64,
    },
    /// A document (or changes to it) was sent to a peer.
    DocSent {
        peer: DeviceId,
        neighbourhood: NeighbourhoodId,
        owner: MemberId,
        bytes: u64,
    },
    /// A document from a peer was refused without blaming the peer (its owner was revoked).
    DocRefused {
        peer: DeviceId,
        neighbourhood: NeighbourhoodId,
        owner: MemberId,
        reason: String,
    },
    /// The peer sent garbage, oversized or forged data: nothing of that message was applied and
    /// the peer was disconnected.
    PeerMisbehaved {
        peer: DeviceId,
        reason: String,
    },
    /// Syncing with the peer stopped because of a local problem (storage).
    SyncFailed {
        peer: DeviceId,
        reason: String,
    },
    /// A new device presented the link code shown here and was certified as one of this
    /// member's devices (see `Node::offer_link`).
    DeviceLinked {
        device: DeviceId,
    },
}

/// What one sync with a peer moved, from the moment a difference was seen until both sides
/// held the same documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncStats {
    pub peer: DeviceId,
    pub docs_received: usize,
    pub docs_sent: usize,
    pub bytes_received: u64,
    pub bytes_sent: u64,
    pub duration: std::time::Duration,
}

/// One subscriber's view of the event stream.
pub struct Subscription {
    rx: broadcast::Receiver<Event>,
}

impl Subscription {
    pub(crate) fn new(rx: broadcast::Receiver<Event>) -> Self {
        Subscription { rx }
    }

    /// Waits for the next event; `None` once the node is gone.
    pub async fn recv(&mut self) -> Option<Event> {
        match self.rx.recv().await {
            Ok(e) => Some(e),
            Err(broadcast::error::RecvError::Lagged(missed)) => Some(Event::Overflow { missed }),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }

    /// The next event if one is waiting.
    pub fn try_recv(&mut self) -> Option<Event> {
        match self.rx.try_recv() {
            Ok(e) => Some(e),
            Err(broadcast::error::TryRecvError::Lagged(missed)) => Some(Event::Overflow { missed }),
            Err(_) => None,
        }
    }

    /// Blocking wait for threads outside an async runtime.
    pub fn blocking_recv(&mut self) -> Option<Event> {
        match self.rx.blocking_recv() {
            Ok(e) => Some(e),
            Err(broadcast::error::RecvError::Lagged(missed)) => Some(Event::Overflow { missed }),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}
