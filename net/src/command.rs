//! Requests from the [`crate::Network`] handle to the event loop, each with a oneshot reply.

use crate::error::NetError;
use crate::session::SyncOutcome;
use libp2p::{Multiaddr, PeerId};
use tokio::sync::oneshot;

/// Commands waiting for the event loop, at most.
pub(crate) const COMMAND_QUEUE: usize = 64;

pub(crate) enum Command {
    /// Dial these addresses (those of peers already connected are skipped).
    Dial {
        addrs: Vec<Multiaddr>,
        remember: bool,
        reply: oneshot::Sender<Result<usize, NetError>>,
    },
    /// Dial every known peer that is not connected; replies with how many dials started.
    DialKnown {
        reply: oneshot::Sender<usize>,
    },
    /// Ask every session for a sync round.
    Sync {
        reply: oneshot::Sender<Vec<(PeerId, oneshot::Receiver<SyncOutcome>)>>,
    },
    Pause {
        reply: oneshot::Sender<()>,
    },
    Resume {
        reply: oneshot::Sender<Result<(), NetError>>,
    },
    Stop {
        reply: oneshot::Sender<()>,
    },
}
