//! Events for the foreign side: a listener callback interface implemented in Kotlin/Swift/Python
//! and a [`Subscription`] that owns one delivery thread.
//!
//! Order of delivery: one `Snapshot` of the whole state first, then every change in the order
//! the core emitted it. The core stream is subscribed to *before* the snapshot is read, so no
//! change is lost in between; a change may therefore appear both in the snapshot and as the first
//! events after it (apply events as upserts keyed by id). If the listener falls more than the
//! core's buffer behind, it receives `Overflow { missed }` followed by a fresh `Snapshot`.
//!
//! A listener that throws does not break anything: the error is counted
//! ([`Subscription::listener_errors`]) and delivery continues with the next event.

use crate::error::PartageError;
use crate::loans::{Loan, LoanState};
use crate::network::NetworkEvent;
use crate::runtime::runtime;
use crate::types::{Identity, Item, Neighbourhood};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use tokio::sync::Notify;

/// Everything a UI shows, at one moment.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct NodeSnapshot {
    pub identity: Option<Identity>,
    pub neighbourhoods: Vec<Neighbourhood>,
    /// Every item of every neighbourhood, sorted by title.
    pub items: Vec<Item>,
    /// Every loan this device knows, derived for today, oldest request first.
    pub loans: Vec<Loan>,
}

/// One thing that happened, from a local call or from another device.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum NodeEvent {
    /// The whole state: always the first event, and again after an `Overflow`.
    Snapshot {
        snapshot: NodeSnapshot,
    },
    ItemAdded {
        item: Item,
    },
    ItemUpdated {
        item: Item,
    },
    ItemRemoved {
        neighbourhood_id: String,
        item_id: String,
    },
    NeighbourhoodJoined {
        neighbourhood_id: String,
        name: String,
    },
    NeighbourhoodLeft {
        neighbourhood_id: String,
    },
    MemberUpdated {
        neighbourhood_id: String,
        member_id: String,
        name: String,
    },
    MemberRevoked {
        neighbourhood_id: String,
        member_id: String,
    },
    /// A member confirmed this device's ticket: the neighbourhood now syncs.
    MembershipConfirmed {
        neighbourhood_id: String,
    },
    /// A loan was requested or changed state (locally or by the other party).
    LoanUpdated {
        loan: Loan,
        previous: Option<LoanState>,
    },
    /// A waitlisted request's period is free again: the requester can be told.
    LoanAvailable {
        loan: Loan,
    },
    /// Network activity: peers, sync progress, refusals.
    Network {
        event: NetworkEvent,
    },
    /// This listener was too slow and `missed` events were dropped; a `Snapshot` follows.
    Overflow {
        missed: i64,
    },
}

impl NodeEvent {
    /// The foreign form of a core event; `None` for events these bindings do not expose yet.
    fn from_core(e: partage::Event) -> Option<NodeEvent> {
        use partage::Event as E;
        Some(match e {
            E::ItemAdded(v) => NodeEvent::ItemAdded { item: v.into() },
            E::ItemUpdated(v) => NodeEvent::ItemUpdated { item: v.into() },
            E::ItemRemoved { neighbourhood, item } => {
                NodeEvent::ItemRemoved { neighbourhood_id: neighbourhood.to_hex(), item_id: item.to_hex() }
            }
            E::NeighbourhoodJoined { neighbourhood, name } => {
                NodeEvent::NeighbourhoodJoined { neighbourhood_id: neighbourhood.to_hex(), name }
            }
            E::NeighbourhoodLeft { neighbourhood } => {
                NodeEvent::NeighbourhoodLeft { neighbourhood_id: neighbourhood.to_hex() }
            }
            E::MemberUpdated { neighbourhood, member, name } => NodeEvent::MemberUpdated {
                neighbourhood_id: neighbourhood.to_hex(),
                member_id: member.to_hex(),
                name,
            },
            E::MemberRevoked { neighbourhood, member } => NodeEvent::MemberRevoked {
                neighbourhood_id: neighbourhood.to_hex(),
                member_id: member.to_hex(),
            },
            E::MembershipConfirmed { neighbourhood } => {
                NodeEvent::MembershipConfirmed { neighbourhood_id: neighbourhood.to_hex() }
            }
            E::LoanUpdated { loan, previous } => {
                NodeEvent::LoanUpdated { loan: loan.into(), previous: previous.map(Into::into) }
            }
            E::LoanAvailable { loan } => NodeEvent::LoanAvailable { loan: loan.into() },
            E::Network(event) => NodeEvent::Network { event: event.into() },
            E::Overflow { missed } => NodeEvent::Overflow { missed: crate::time::total(missed) },
            #[allow(unreachable_patterns)]
            _ => return None,
        })
    }
}

/// Which listings an event can change: the one table of it, used by the Kotlin flows and the
/// Swift streams (`observeItems`, `observeLoans`, ...) to decide what to re-read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, uniffi::Record)]
pub struct EventEffects {
    /// An item listing or search (titles, owners' names, membership of the owner included).
    pub items: bool,
    /// A loan listing (with the items' titles and the members' names it shows).
    pub loans: bool,
    /// The list of neighbourhoods, or their counts.
    pub neighbourhoods: bool,
    /// The known and connected peers.
    pub peers: bool,
}

#[uniffi::export]
impl NodeEvent {
    /// Which listings this event can change. (The event is copied across the FFI for the call:
    /// cheap for every event but a `Snapshot`, which happens once per subscription and overflow.)
    pub fn effects(&self) -> EventEffects {
        let (items, loans, neighbourhoods, peers) = match self {
            NodeEvent::Snapshot { .. } => (true, true, true, true),
            NodeEvent::ItemAdded { .. } | NodeEvent::ItemUpdated { .. } | NodeEvent::ItemRemoved { .. } => {
                (true, true, true, false)
            }
            NodeEvent::NeighbourhoodLeft { .. }
            | NodeEvent::MemberUpdated { .. }
            | NodeEvent::MemberRevoked { .. } => (true, true, true, false),
            NodeEvent::NeighbourhoodJoined { .. } | NodeEvent::MembershipConfirmed { .. } => {
                (false, false, true, false)
            }
            NodeEvent::LoanUpdated { .. } | NodeEvent::LoanAvailable { .. } => (false, true, false, false),
            NodeEvent::Network { .. } => (false, false, false, true),
            NodeEvent::Overflow { .. } => (false, false, false, false),
        };
        EventEffects { items, loans, neighbourhoods, peers }
    }
}

/// What a listener may throw. Any exception thrown by a foreign listener arrives here too.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ListenerError {
    #[error("listener failed: {reason}")]
    Failed { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for ListenerError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        ListenerError::Failed { reason: e.reason }
    }
}

/// Implemented by the app: receives events on a background thread, one at a time, in order.
/// Return quickly (hand the event to your UI thread); a slow listener only delays itself.
#[uniffi::export(callback_interface)]
pub trait EventListener: Send + Sync {
    fn on_event(&self, event: NodeEvent) -> Result<(), ListenerError>;
}

struct Shared {
    cancelled: AtomicBool,
    finished: AtomicBool,
    listener_errors: AtomicU64,
    wake: Notify,
}

/// A running event delivery. Stops when cancelled, dropped, or when the node is gone.
#[derive(uniffi::Object)]
pub struct Subscription {
    shared: Arc<Shared>,
}

#[uniffi::export]
impl Subscription {
    /// Stops delivery: no callback starts after this returns (one already running finishes).
    /// Idempotent. (Named `cancel`, not `close`: Kotlin's `AutoCloseable.close()` already frees
    /// the object, which cancels it too.)
    pub fn cancel(&self) {
        self.shared.cancelled.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
    }

    /// Whether events are still being delivered.
    pub fn is_active(&self) -> bool {
        !self.shared.cancelled.load(Ordering::SeqCst) && !self.shared.finished.load(Ordering::SeqCst)
    }

    /// How many times the listener threw (each time delivery went on with the next event).
    pub fn listener_errors(&self) -> i64 {
        crate::time::total(self.shared.listener_errors.load(Ordering::SeqCst))
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.cancel();
    }
}

impl Subscription {
    /// Starts a delivery thread; `live` counts this node's running delivery threads.
    pub(crate) fn start(
        node: &Arc<partage::Node>,
        listener: Box<dyn EventListener>,
        live: &Arc<AtomicUsize>,
    ) -> Result<Arc<Subscription>, PartageError> {
        let handle = runtime()?.handle().clone();
        let shared = Arc::new(Shared {
            cancelled: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            listener_errors: AtomicU64::new(0),
            wake: Notify::new(),
        });
        // Subscribe before the snapshot is read: nothing can slip between the two.
        let stream = node.subscribe();
        let live = LiveDelivery::new(live);
        let delivery = Delivery {
            node: Arc::downgrade(node),
            stream,
            listener,
            shared: Arc::clone(&shared),
            _live: live,
        };
        std::thread::Builder::new()
            .name("partage-events".into())
            .spawn(move || delivery.run(&handle))
            .map_err(|e| PartageError::Internal(format!("could not start the event thread: {e}")))?;
        Ok(Arc::new(Subscription { shared }))
    }
}

/// The delivery thread's state. It holds the node weakly, so a forgotten subscription never
/// keeps a data directory open.
struct Delivery {
    node: Weak<partage::Node>,
    stream: partage::Subscription,
    listener: Box<dyn EventListener>,
    shared: Arc<Shared>,
    _live: LiveDelivery,
}

/// Counts one delivery thread of a node for as long as it exists (`Node::event_subscriptions`).
struct LiveDelivery(Arc<AtomicUsize>);

impl LiveDelivery {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        LiveDelivery(Arc::clone(count))
    }
}

impl Drop for LiveDelivery {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Delivery {
    fn run(mut self, handle: &tokio::runtime::Handle) {
        if self.send_snapshot() {
            while let Some(event) = self.next(handle) {
                let overflow = matches!(event, partage::Event::Overflow { .. });
                let Some(event) = NodeEvent::from_core(event) else {
                    continue;
                };
                if !self.deliver(event) || (overflow && !self.send_snapshot()) {
                    break;
                }
            }
        }
        self.shared.finished.store(true, Ordering::SeqCst);
    }

    /// The next core event, or `None` once cancelled or the node is gone.
    fn next(&mut self, handle: &tokio::runtime::Handle) -> Option<partage::Event> {
        let shared = Arc::clone(&self.shared);
        let stream = &mut self.stream;
        handle.block_on(async move {
            tokio::select! {
                biased;
                _ = shared.wake.notified() => None,
                event = stream.recv() => event,
            }
        })
    }

    fn send_snapshot(&self) -> bool {
        let Some(node) = self.node.upgrade() else {
            return false;
        };
        match snapshot(&node) {
            Ok(snapshot) => {
                drop(node);
                self.deliver(NodeEvent::Snapshot { snapshot })
            }
            Err(_) => false,
        }
    }

    /// Calls the listener unless cancelled; returns whether delivery should go on.
    fn deliver(&self, event: NodeEvent) -> bool {
        if self.shared.cancelled.load(Ordering::SeqCst) {
            return false;
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| self.listener.on_event(event)));
        if !matches!(outcome, Ok(Ok(()))) {
            self.shared.listener_errors.fetch_add(1, Ordering::SeqCst);
        }
        true
    }
}

fn snapshot(node: &partage::Node) -> Result<NodeSnapshot, partage::Error> {
    Ok(NodeSnapshot {
        identity: node.identity()?.map(Into::into),
        neighbourhoods: node.neighbourhoods()?.into_iter().map(Into::into).collect(),
        items: node.list_items(&partage::ItemFilter::default())?.into_iter().map(Into::into).collect(),
        loans: node.loans(&partage::LoanFilter::default())?.into_iter().map(Into::into).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effects_of_events() {
        let e = NodeEvent::ItemRemoved { neighbourhood_id: "n".into(), item_id: "i".into() };
        assert_eq!(
            e.effects(),
            EventEffects { items: true, loans: true, neighbourhoods: true, peers: false }
        );
        let e = NodeEvent::NeighbourhoodJoined { neighbourhood_id: "n".into(), name: "x".into() };
        assert_eq!(
            e.effects(),
            EventEffects { items: false, loans: false, neighbourhoods: true, peers: false }
        );
        let e = NodeEvent::Overflow { missed: 3 };
        assert_eq!(e.effects(), EventEffects::default());
        let e = NodeEvent::MembershipConfirmed { neighbourhood_id: "n".into() };
        assert!(!e.effects().items && e.effects().neighbourhoods);
    }
}
