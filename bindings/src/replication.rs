//! Moving a neighbourhood's documents between two devices as opaque bytes, without a network
//! (a file, a QR sequence, Bluetooth, a test). Three steps:
//! 1. the receiver calls `sync_summary(ns)` and sends the bytes to the sender;
//! 2. the sender calls `sync_bundle(ns, summary)`: only the documents that differ;
//! 3. the receiver calls `apply_sync_bundle(bundle)`: every document is verified (membership,
//!    device certificates, signatures) before anything is stored, exactly as from the network.
//!
//! The format (one versioned envelope), the choice of documents and the checks all live in the
//! core (`partage::sync`); this file only moves the calls to a blocking thread.

use crate::error::PartageError;
use crate::node::Node;
use crate::runtime::blocking;
use crate::types::{ImportReport, parse_neighbourhood};

#[uniffi::export]
impl Node {
    /// What this device has of a neighbourhood (step 1: send these bytes to the other device).
    pub async fn sync_summary(&self, neighbourhood_id: String) -> Result<Vec<u8>, PartageError> {
        let ns = parse_neighbourhood(&neighbourhood_id)?;
        let n = self.core();
        blocking(move || n.offline_summary(&ns)).await
    }

    /// The documents the other device lacks, given its summary (step 2).
    pub async fn sync_bundle(
        &self,
        neighbourhood_id: String,
        peer_summary: Vec<u8>,
    ) -> Result<Vec<u8>, PartageError> {
        let ns = parse_neighbourhood(&neighbourhood_id)?;
        let n = self.core();
        blocking(move || n.offline_bundle(&ns, &peer_summary)).await
    }

    /// Verifies and applies documents from another device (step 3). Stops at the first document
    /// that is refused; the ones before it are kept (each is complete and verified on its own).
    pub async fn apply_sync_bundle(&self, bundle: Vec<u8>) -> Result<ImportReport, PartageError> {
        let n = self.core();
        let reports = blocking(move || n.apply_offline_bundle(&bundle)).await?;
        let mut report = ImportReport::default();
        for r in &reports {
            report.add(r);
        }
        Ok(report)
    }
}
