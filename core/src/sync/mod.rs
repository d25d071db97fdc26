//! One replication path: deciding which documents differ ([`plan`]), building what a peer
//! lacks (`Node::bundle_beyond`, `Node::bundles_for`), the exchange formats' own structs
//! ([`wire`]) and the one versioned envelope of sync files and QR codes ([`envelope`]), with
//! the offline three-step exchange on top (`Node::offline_summary`, `Node::offline_bundle`,
//! `Node::apply_offline_bundle`). See `docs/adr/0008-one-replication-path.md`.

mod build;
pub mod envelope;
mod offline;
pub mod plan;
pub mod wire;

pub use envelope::{EnvelopeError, Kind};
