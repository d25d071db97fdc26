//! Peer-to-peer sync for Partage over libp2p.
//!
//! [`Network::start`] takes a [`partage::Node`] and runs one libp2p swarm in one task (TCP and
//! QUIC, Noise, Yamux, identify, ping, optional mDNS, connection limits). Its libp2p identity is
//! a transport key derived from the device secret for the network it is on (ADR 0016): the same
//! on one network, unrelated on the next, so the device cannot be followed from network to
//! network; members learn which device it is inside the encrypted session.
//!
//! Each connection gets one `/partage/sync/3` session (see the `session` module docs in the
//! source): members prove membership per shared neighbourhood before any of its data flows,
//! exchange a digest and then per-document head hashes, and send only the documents that
//! differ, as bundles the core verifies before storing anything. Afterwards local changes are
//! pushed at once. A peer that sends garbage, oversized or forged data is disconnected, blocked
//! for a while, and reported as [`partage::events::NetEvent::PeerMisbehaved`] on the node's
//! event stream, where all network activity is reported.
//!
//! The core crate knows nothing of libp2p (see `docs/adr/0004-network-crate.md`).

#![warn(missing_docs)]

mod accept;
mod autonat;
mod behaviour;
pub mod blob;
mod client;
mod command;
mod config;
pub mod digest;
mod error;
mod event_loop;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod home_hints;
mod identity;
pub mod link;
mod member_blocks;
mod one_frame;
mod peer_set;
mod peers;
mod photos;
mod reach;
pub mod relay;
mod session;
mod transport;
pub mod wire;

pub use autonat::Reachability;
pub use client::{Advertisement, Network, PeerSync, SyncReport};
pub use config::NetConfig;
pub use error::NetError;
pub use identity::{device_of, peer_id_of};
pub use libp2p::{Multiaddr, PeerId};
pub use link::link_device;
pub use peers::{ConnectionPath, PeerInfo};
pub use session::{CHUNK_DEADLINE, SyncOutcome};
pub use transport::transport_peer_id;

/// The sync protocol's name and version (2: tags keyed by each neighbourhood's shared secret and
/// bound to their sender, proofs only after the peer's tag, ADR 0013; 3: proofs carry the
/// device's signature over the session's binding, peer ids are transport keys, ADR 0016).
pub const PROTOCOL: &str = "/partage/sync/3";

fn protocol() -> libp2p::StreamProtocol {
    libp2p::StreamProtocol::new(PROTOCOL)
}

/// A diagnostic line: a `tracing` event (debug level, target `partage_net`) that an installed
/// subscriber receives (the FFI's log hook forwards it to the app), and a line on stderr when
/// `PARTAGE_NET_DEBUG` is set (diagnosing sync in tests). Never put secrets or payloads in it.
macro_rules! trace {
    ($($arg:tt)*) => {{
        ::tracing::debug!(target: "partage_net", $($arg)*);
        if $crate::tracing_on() {
            eprintln!($($arg)*);
        }
    }};
}
pub(crate) use trace;

fn tracing_on() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("PARTAGE_NET_DEBUG").is_some())
}
