//! The event stream: what changed, from a local call or (later) from a peer.
//!
//! A bounded broadcast channel: a subscriber that falls more than [`EVENT_BUFFER`] events behind
//! receives one [`Event::Overflow`] telling how many it missed, then continues with new events.
//! It should then re-read the state it displays.

use crate::ids::{ItemId, MemberId, NeighbourhoodId};
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
    MemberRevoked {
        neighbourhood: NeighbourhoodId,
        member: MemberId,
    },
    /// This subscriber was too slow and `missed` events were dropped for it.
    Overflow {
        missed: u64,
    },
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
