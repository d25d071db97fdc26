//! Moving a neighbourhood's documents between two devices as opaque bytes, without a network
//! (a file, a QR sequence, Bluetooth, a test). Three steps:
//! 1. the receiver calls `sync_summary(ns)` and sends the bytes to the sender;
//! 2. the sender calls `sync_bundle(ns, summary)`: only the documents that differ;
//! 3. the receiver calls `apply_sync_bundle(bundle)`: every document is verified (membership,
//!    device certificates, signatures) before anything is stored, exactly as from the network.

use crate::error::PartageError;
use crate::node::Node;
use crate::runtime::blocking;
use crate::types::{ImportReport, parse_neighbourhood};
use partage::{DocBundle, DocPayload, DocSummary, NeighbourhoodId};
use serde::{Deserialize, Serialize};

/// Format version of the byte messages; bumped on any incompatible change.
const WIRE_VERSION: u8 = 1;
/// Largest message accepted (the core refuses any single document over 64 MiB on its own).
const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

#[derive(Serialize, Deserialize)]
struct SummaryMessage {
    version: u8,
    neighbourhood: NeighbourhoodId,
    docs: Vec<DocSummary>,
}

#[derive(Serialize, Deserialize)]
struct BundleMessage {
    version: u8,
    neighbourhood: NeighbourhoodId,
    bundles: Vec<DocBundle>,
}

fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8], what: &str) -> Result<T, PartageError> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(PartageError::Rejected(format!(
            "the {what} is too large ({} bytes, at most {MAX_MESSAGE_BYTES})",
            bytes.len()
        )));
    }
    if bytes.first() != Some(&WIRE_VERSION) {
        return Err(PartageError::Rejected(format!(
            "this is not a Partage {what} of a version this build reads"
        )));
    }
    postcard::from_bytes(bytes).map_err(|e| PartageError::Rejected(format!("the {what} is damaged: {e}")))
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, PartageError> {
    postcard::to_allocvec(value).map_err(|e| PartageError::Internal(format!("cannot encode: {e}")))
}

#[uniffi::export]
impl Node {
    /// What this device has of a neighbourhood (step 1: send these bytes to the other device).
    pub async fn sync_summary(&self, neighbourhood_id: String) -> Result<Vec<u8>, PartageError> {
        let ns = parse_neighbourhood(&neighbourhood_id)?;
        let n = self.core();
        let docs = blocking(move || n.doc_summaries(&ns)).await?;
        encode(&SummaryMessage { version: WIRE_VERSION, neighbourhood: ns, docs })
    }

    /// The documents the other device lacks, given its summary (step 2).
    pub async fn sync_bundle(
        &self,
        neighbourhood_id: String,
        peer_summary: Vec<u8>,
    ) -> Result<Vec<u8>, PartageError> {
        let ns = parse_neighbourhood(&neighbourhood_id)?;
        let peer: SummaryMessage = decode(&peer_summary, "sync summary")?;
        if peer.neighbourhood != ns {
            return Err(PartageError::invalid("the summary is for another neighbourhood"));
        }
        let n = self.core();
        let bundles = blocking(move || {
            let mut bundles = Vec::new();
            for mine in n.doc_summaries(&ns)? {
                let theirs = peer.docs.iter().find(|d| d.owner == mine.owner).map(|d| d.heads.clone());
                if theirs.as_ref() == Some(&mine.heads) {
                    continue;
                }
                let bundle = n.doc_bundle(&ns, &mine.owner, &theirs.unwrap_or_default())?;
                if matches!(&bundle.payload, DocPayload::Changes(c) if c.is_empty()) {
                    continue; // the peer is ahead of us on this document
                }
                bundles.push(bundle);
            }
            Ok(bundles)
        })
        .await?;
        encode(&BundleMessage { version: WIRE_VERSION, neighbourhood: ns, bundles })
    }

    /// Verifies and applies documents from another device (step 3). Stops at the first document
    /// that is refused; the ones before it are kept (each is complete and verified on its own).
    pub async fn apply_sync_bundle(&self, bundle: Vec<u8>) -> Result<ImportReport, PartageError> {
        let n = self.core();
        blocking(move || {
            let message: BundleMessage = match decode(&bundle, "sync bundle") {
                Ok(m) => m,
                Err(e) => return Ok(Err(e)),
            };
            let mut report = ImportReport::default();
            for b in &message.bundles {
                if b.neighbourhood != message.neighbourhood {
                    return Ok(Err(PartageError::Rejected("the bundle mixes neighbourhoods".into())));
                }
                report.add(&n.import_bundle(b)?);
            }
            Ok(Ok(report))
        })
        .await?
    }
}
