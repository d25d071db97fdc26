//! The event stream: what changed, from a local call or (later) from a peer.
//!
//! A bounded broadcast channel: a subscriber that falls more than [`EVENT_BUFFER`] events behind
//! receives one [`Event::Overflow`] telling how many it missed, then continues with new events.
//! It should then re-read the state it displays.

use crate::ids::{DeviceId, ItemId, MemberId, NeighbourhoodId};
use crate::loan::{LoanState, LoanView};
use crate::readmodel::ItemView;
use tokio::sync::broadcast;

/// Events a subscriber may fall behind before it receives [`Event::Overflow`].
pub const EVENT_BUFFER: usize = 1024;

/// Something that changed on this node, from a local call or from a peer (see
/// [`crate::Node::subscribe`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// An item was added (here or by its owner elsewhere).
    ItemAdded(ItemView),
    /// An item changed.
    ItemUpdated(ItemView),
    /// An item was removed (by its owner, or with its owner's membership).
    ItemRemoved {
        /// The neighbourhood.
        neighbourhood: NeighbourhoodId,
        /// The removed item.
        item: ItemId,
    },
    /// This member joined or founded a neighbourhood.
    NeighbourhoodJoined {
        /// The neighbourhood.
        neighbourhood: NeighbourhoodId,
        /// The neighbourhood's name.
        name: String,
    },
    /// This member left a neighbourhood: its data is gone from this device.
    NeighbourhoodLeft {
        /// The neighbourhood.
        neighbourhood: NeighbourhoodId,
    },
    /// A member's display name changed (or became known).
    MemberUpdated {
        /// The neighbourhood.
        neighbourhood: NeighbourhoodId,
        /// The member.
        member: MemberId,
        /// The member's new display name.
        name: String,
    },
    /// The member's membership no longer holds (revoked, or admitted through an invite that
    /// turned out to be used up): their items are gone from this device.
    MemberRevoked {
        /// The neighbourhood.
        neighbourhood: NeighbourhoodId,
        /// The member.
        member: MemberId,
    },
    /// A member witnessed this device's redemption of its ticket: the neighbourhood now syncs.
    MembershipConfirmed {
        /// The neighbourhood.
        neighbourhood: NeighbourhoodId,
    },
    /// A loan was requested or changed state (locally or by the other party).
    LoanUpdated {
        /// The loan as it is now.
        loan: LoanView,
        /// Its state before the change (`None` for a new request).
        previous: Option<LoanState>,
    },
    /// A waitlisted request's period is free again: the requester can be told.
    LoanAvailable {
        /// The loan as it is now.
        loan: LoanView,
    },
    /// This subscriber was too slow and `missed` events were dropped for it.
    Overflow {
        /// How many events were dropped.
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
        /// The address (a multiaddr).
        addr: String,
    },
    /// A peer was found on the LAN (mDNS) or handed in by the app.
    PeerDiscovered {
        /// The peer's device.
        peer: DeviceId,
        /// The address (a multiaddr).
        addr: String,
    },
    /// A first connection to the peer was established (the peer had none open).
    PeerConnected {
        /// The peer's device.
        peer: DeviceId,
        /// The peer's address on this connection.
        addr: String,
    },
    /// The last connection to the peer closed.
    PeerDisconnected {
        /// The peer's device.
        peer: DeviceId,
    },
    /// The peer proved membership of a neighbourhood both share.
    PeerVerified {
        /// The peer's device.
        peer: DeviceId,
        /// The member it proved to be.
        member: MemberId,
        /// The neighbourhood it proved membership of.
        neighbourhood: NeighbourhoodId,
    },
    /// The peer could not prove membership: it receives nothing of that neighbourhood.
    PeerRefused {
        /// The peer's device.
        peer: DeviceId,
        /// The neighbourhood.
        neighbourhood: NeighbourhoodId,
        /// Why, in words.
        reason: String,
    },
    /// A sync with the peer began (on connection or on request).
    SyncStarted {
        /// The peer's device.
        peer: DeviceId,
    },
    /// Both sides hold the same documents of every neighbourhood they share.
    SyncFinished(SyncStats),
    /// A document (or changes to it) from a peer was verified and stored.
    DocReceived {
        /// The peer's device.
        peer: DeviceId,
        /// The neighbourhood.
        neighbourhood: NeighbourhoodId,
        /// The document's owner.
        owner: MemberId,
        /// Individual changes applied (0 when `whole_document`).
        changes: usize,
        /// A whole document this device did not have yet.
        whole_document: bool,
        /// Its size, in bytes.
        bytes: u64,
    },
    /// A document (or changes to it) was sent to a peer.
    DocSent {
        /// The peer's device.
        peer: DeviceId,
        /// The neighbourhood.
        neighbourhood: NeighbourhoodId,
        /// The document's owner.
        owner: MemberId,
        /// Its size, in bytes.
        bytes: u64,
    },
    /// A document from a peer was refused without blaming the peer (its owner was revoked).
    DocRefused {
        /// The peer's device.
        peer: DeviceId,
        /// The neighbourhood.
        neighbourhood: NeighbourhoodId,
        /// The document's owner.
        owner: MemberId,
        /// Why, in words.
        reason: String,
    },
    /// The peer sent garbage, oversized or forged data: nothing of that message was applied and
    /// the peer was disconnected.
    PeerMisbehaved {
        /// The peer's device.
        peer: DeviceId,
        /// Why, in words.
        reason: String,
    },
    /// Syncing with the peer stopped because of a local problem (storage).
    SyncFailed {
        /// The peer's device.
        peer: DeviceId,
        /// Why, in words.
        reason: String,
    },
    /// A new device presented the link code shown here and was certified as one of this
    /// member's devices (see `Node::offer_link`).
    DeviceLinked {
        /// The new device.
        device: DeviceId,
    },
}

/// What one sync with a peer moved, from the moment a difference was seen until both sides
/// held the same documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncStats {
    /// The peer's device.
    pub peer: DeviceId,
    /// Documents received and stored.
    pub docs_received: usize,
    /// Documents sent.
    pub docs_sent: usize,
    /// Bytes received.
    pub bytes_received: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// From the first difference seen until both sides held the same documents.
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
