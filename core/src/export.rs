//! Export of all local data to one readable JSON file (backup, and the user's right to their
//! data), and import of such a file into an empty data directory.
//!
//! Documents travel as automerge snapshots (base64) with the attestations of their heads, and go
//! back in through the same verification as data from a peer: a file that was edited by hand,
//! truncated or forged is refused as a whole and the store stays empty.

use crate::attest::Attestation;
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::node::{DocBundle, DocPayload, Node};
use crate::readmodel::ItemView;
use crate::store::{IdentityRecord, MemberRecord, NeighbourhoodRecord};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const FORMAT: &str = "partage-export";
pub const VERSION: u32 = 1;
/// Export files larger than this are refused before parsing.
pub const MAX_EXPORT_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Serialize, Deserialize)]
pub struct ExportFile {
    pub format: String,
    pub version: u32,
    pub exported_at: u64,
    /// Includes the secret keys: whoever has this file can act as you. Keep it safe.
    pub identity: IdentityRecord,
    pub neighbourhoods: Vec<NeighbourhoodRecord>,
    pub members: Vec<MemberRecord>,
    pub documents: Vec<ExportedDoc>,
    /// The inventory as readable records. Informational: import rebuilds it from `documents`.
    pub items: Vec<ItemView>,
}

#[derive(Serialize, Deserialize)]
pub struct ExportedDoc {
    pub neighbourhood: crate::NeighbourhoodId,
    pub owner: crate::MemberId,
    /// Automerge `save()` of the document, base64.
    pub snapshot: String,
    pub attestations: Vec<Attestation>,
    /// The admissions that confirm the owner's membership (see `crate::admission`).
    #[serde(default)]
    pub owner_admissions: Vec<crate::admission::Admission>,
}

/// Counts of what an export or import moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferSummary {
    pub neighbourhoods: usize,
    pub documents: usize,
    pub items: usize,
}

impl Node {
    /// Everything this device stores, as a JSON value ready to write.
    pub fn export_data(&self) -> Result<ExportFile> {
        let (identity, neighbourhoods, members) = self.export_records()?;
        let mut documents = Vec::new();
        for m in &members {
            if self.is_revoked(&m.neighbourhood, &m.member)? {
                // Refused on import like from any peer: no use keeping it in a backup.
                continue;
            }
            let bundle = self.doc_bundle(&m.neighbourhood, &m.member, &[])?;
            let DocPayload::Snapshot(bytes) = bundle.payload else {
                return Err(Error::Corrupt("expected a snapshot".into()));
            };
            documents.push(ExportedDoc {
                neighbourhood: m.neighbourhood,
                owner: m.member,
                snapshot: STANDARD.encode(bytes),
                attestations: bundle.attestations,
                owner_admissions: bundle.owner_admissions,
            });
        }
        let items = self.list_items(&Default::default())?;
        Ok(ExportFile {
            format: FORMAT.into(),
            version: VERSION,
            exported_at: now_ms(),
            identity,
            neighbourhoods,
            members,
            documents,
            items,
        })
    }

    /// Writes [`Node::export_data`] to `path` (via a temporary file, so a crash leaves no half file).
    pub fn export_to_file(&self, path: &Path) -> Result<TransferSummary> {
        let data = self.export_data()?;
        let summary = TransferSummary {
            neighbourhoods: data.neighbourhoods.len(),
            documents: data.documents.len(),
            items: data.items.len(),
        };
        let json = serde_json::to_vec_pretty(&data).map_err(|e| Error::Corrupt(e.to_string()))?;
        let io = |source| Error::Io { path: path.display().to_string(), source };
        let tmp = path.with_extension("partage-tmp");
        std::fs::write(&tmp, json).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        Ok(summary)
    }

    /// Restores an export into this (empty) data directory.
    pub fn import_from_file(&self, path: &Path) -> Result<TransferSummary> {
        let io = |source| Error::Io { path: path.display().to_string(), source };
        let len = std::fs::metadata(path).map_err(io)?.len();
        if len > MAX_EXPORT_BYTES {
            return Err(Error::CorruptExport(format!("file is {len} bytes, more than any real export")));
        }
        let bytes = std::fs::read(path).map_err(io)?;
        let file: ExportFile =
            serde_json::from_slice(&bytes).map_err(|e| Error::CorruptExport(e.to_string()))?;
        self.import_data(file)
    }

    /// Restores parsed export data; everything is verified before anything is written.
    pub fn import_data(&self, file: ExportFile) -> Result<TransferSummary> {
        if file.format != FORMAT {
            return Err(Error::CorruptExport(format!("not a Partage export (format \"{}\")", file.format)));
        }
        if file.version != VERSION {
            return Err(Error::CorruptExport(format!("unsupported export version {}", file.version)));
        }
        let bad = |e: Error| Error::CorruptExport(e.to_string());
        let identity = file.identity.to_identity().map_err(bad)?;
        let mut bundles = Vec::new();
        for d in &file.documents {
            let member = file
                .members
                .iter()
                .find(|m| m.neighbourhood == d.neighbourhood && m.member == d.owner)
                .ok_or_else(|| {
                    Error::CorruptExport(format!("document of {} has no member record", d.owner.short()))
                })?;
            let revocations = file
                .neighbourhoods
                .iter()
                .find(|n| n.id == d.neighbourhood)
                .map(|n| n.revocations.clone())
                .unwrap_or_default();
            let snapshot = STANDARD
                .decode(&d.snapshot)
                .map_err(|e| Error::CorruptExport(format!("document snapshot: {e}")))?;
            bundles.push(DocBundle {
                neighbourhood: d.neighbourhood,
                owner: d.owner,
                owner_chain: member.chain.clone(),
                owner_admissions: d.owner_admissions.clone(),
                device_revocations: member.revoked_devices.clone(),
                devices: member.devices.clone(),
                revocations,
                payload: DocPayload::Snapshot(snapshot),
                attestations: d.attestations.clone(),
            });
        }
        self.restore(identity, file.neighbourhoods, bundles)
    }
}
