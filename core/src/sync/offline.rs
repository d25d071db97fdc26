//! Moving a neighbourhood's documents between two devices as bytes, without a network (a file,
//! a QR sequence, Bluetooth). Three steps:
//! 1. the receiver writes [`Node::offline_summary`] and hands it to the sender;
//! 2. the sender answers with [`Node::offline_bundle`]: only the documents that differ;
//! 3. the receiver calls [`Node::apply_offline_bundle`]: every document is verified
//!    (membership, device certificates, signatures) before anything is stored, exactly as from
//!    the network.

use super::envelope::{self, EnvelopeError, Kind};
use super::wire::{WireBundles, WireSummary};
use crate::error::Result;
use crate::ids::NeighbourhoodId;
use crate::node::{ImportReport, Node};

impl Node {
    /// Step 1: what this device has of `ns`, as a sync summary file.
    pub fn offline_summary(&self, ns: &NeighbourhoodId) -> Result<Vec<u8>> {
        let docs = self.doc_summaries(ns)?;
        Ok(envelope::encode(&WireSummary::new(*ns, &docs))?)
    }

    /// Step 2: the documents of `ns` that the device which wrote `peer_summary` lacks, as a
    /// sync bundle file.
    pub fn offline_bundle(&self, ns: &NeighbourhoodId, peer_summary: &[u8]) -> Result<Vec<u8>> {
        let peer: WireSummary = envelope::decode(peer_summary)?;
        if peer.neighbourhood != *ns {
            return Err(EnvelopeError::OtherNeighbourhood {
                kind: Kind::Summary,
                expected: *ns,
                found: peer.neighbourhood,
            }
            .into());
        }
        let bundles = self.bundles_for(ns, &peer.into_docs())?;
        Ok(envelope::encode(&WireBundles::new(*ns, bundles))?)
    }

    /// Step 3: verifies and applies the documents of a sync bundle file, one report per
    /// document. Stops at the first document that is refused; the ones before it are kept
    /// (each is complete and verified on its own).
    pub fn apply_offline_bundle(&self, bundle: &[u8]) -> Result<Vec<ImportReport>> {
        let wire: WireBundles = envelope::decode(bundle)?;
        let (_, bundles) = wire.into_domain()?;
        let mut reports = Vec::with_capacity(bundles.len());
        for b in &bundles {
            reports.push(self.import_bundle(b)?);
        }
        Ok(reports)
    }
}
