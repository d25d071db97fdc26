//! Export of all local data to one file (a backup), and import of such a file into an empty
//! data directory; and export of one's own data without secrets ([`data_only`]).
//!
//! A backup is readable JSON, or that JSON encrypted under a passphrase ([`sealed`]); either is
//! written with mode 0600, fsynced, and renamed into place ([`private_file`]). Import tells them
//! apart by the first bytes.
//!
//! Documents travel as automerge snapshots (base64) with the attestations of their heads, and go
//! back in through the same verification as data from a peer: a file that was edited by hand,
//! truncated or forged is refused as a whole and the store stays empty.

use crate::attest::Attestation;
use crate::clock::now_ms;
use crate::error::{Error, Result, ValidationError};
use crate::node::{DocBundle, DocPayload, Node};
use crate::readmodel::ItemView;
use crate::store::{IdentityRecord, MemberRecord, NeighbourhoodRecord};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;
use zeroize::Zeroizing;

pub mod data_only;
pub mod photos;
pub mod private_file;
pub mod sealed;

pub use data_only::{DATA_FORMAT, DataExport, DataOnlySummary};
pub use sealed::KdfParams;

/// The `format` field of a backup file.
pub const FORMAT: &str = "partage-export";
/// The `version` field of backup files this build writes.
pub const VERSION: u32 = 1;
/// Export files larger than this are refused before parsing.
pub const MAX_EXPORT_BYTES: u64 = 512 * 1024 * 1024;
/// Encrypted exports larger than this are refused before reading (the plain bound plus header
/// and tag).
pub const MAX_SEALED_BYTES: u64 = MAX_EXPORT_BYTES + 1024;
/// Longest passphrase accepted for a new export, in characters.
pub const MAX_PASSPHRASE_CHARS: usize = 1024;

/// A backup: everything a device stores, secrets included, as written to an export file (JSON,
/// optionally sealed under a passphrase).
#[derive(Serialize, Deserialize)]
pub struct ExportFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// The file format's version ([`VERSION`]).
    pub version: u32,
    /// When the export was made, in milliseconds since the Unix epoch.
    pub exported_at: u64,
    /// Includes the secret keys: whoever has this file can act as you. Keep it safe.
    pub identity: IdentityRecord,
    /// Every neighbourhood this member belongs to.
    pub neighbourhoods: Vec<NeighbourhoodRecord>,
    /// Every member of those neighbourhoods, as known here.
    pub members: Vec<MemberRecord>,
    /// Every member document stored here (revoked members' excluded), verified again on import.
    pub documents: Vec<ExportedDoc>,
    /// The inventory as readable records. Informational: import rebuilds it from `documents`.
    pub items: Vec<ItemView>,
    /// Photo blobs the items show (ADR 0017); absent in exports made before photos.
    #[serde(default)]
    pub photos: Vec<photos::ExportedBlob>,
}

/// One member document in a backup.
#[derive(Serialize, Deserialize)]
pub struct ExportedDoc {
    /// The neighbourhood.
    pub neighbourhood: crate::NeighbourhoodId,
    /// The document's owner.
    pub owner: crate::MemberId,
    /// Automerge `save()` of the document, base64.
    pub snapshot: String,
    /// The attestations of the document's heads (its owner's devices' signatures).
    pub attestations: Vec<Attestation>,
    /// The admissions that confirm the owner's membership (see `crate::admission`).
    #[serde(default)]
    pub owner_admissions: Vec<crate::admission::Admission>,
}

/// Counts of what an export or import moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferSummary {
    /// Neighbourhoods.
    pub neighbourhoods: usize,
    /// Member documents.
    pub documents: usize,
    /// Items.
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
            photos: self.export_blobs()?,
        })
    }

    /// Writes [`Node::export_data`] to `path` as readable JSON (it holds the secret keys):
    /// mode 0600 from the start, fsynced, renamed into place (a crash leaves no half file).
    pub fn export_to_file(&self, path: &Path) -> Result<TransferSummary> {
        self.export_with(path, None, KdfParams::DEFAULT)
    }

    /// Like [`Node::export_to_file`], encrypted under `passphrase` (Argon2id with
    /// [`KdfParams::DEFAULT`], XChaCha20-Poly1305). Import needs the same passphrase.
    pub fn export_encrypted(&self, path: &Path, passphrase: &str) -> Result<TransferSummary> {
        self.export_with(path, Some(passphrase), KdfParams::DEFAULT)
    }

    /// [`Node::export_encrypted`] with other KDF parameters (they must be within the bounds an
    /// import accepts). For tests, and for benchmarking a device.
    pub fn export_encrypted_with(
        &self,
        path: &Path,
        passphrase: &str,
        params: KdfParams,
    ) -> Result<TransferSummary> {
        self.export_with(path, Some(passphrase), params)
    }

    fn export_with(
        &self,
        path: &Path,
        passphrase: Option<&str>,
        params: KdfParams,
    ) -> Result<TransferSummary> {
        if let Some(p) = passphrase {
            check_new_passphrase(p)?;
            params.check().map_err(|e| match e {
                Error::UnlockTooCostly(what) => ValidationError::KdfParams(format!("{what} is too much")),
                _ => {
                    ValidationError::KdfParams("at least 1 pass, 1 lane and 8 KiB of memory per lane".into())
                }
            })?;
        }
        let data = self.export_data()?;
        let summary = TransferSummary {
            neighbourhoods: data.neighbourhoods.len(),
            documents: data.documents.len(),
            items: data.items.len(),
        };
        let bytes = match passphrase {
            None => {
                Zeroizing::new(serde_json::to_vec_pretty(&data).map_err(|e| Error::Corrupt(e.to_string()))?)
            }
            Some(p) => {
                let json = serde_json::to_vec(&data).map_err(|e| Error::Corrupt(e.to_string()))?;
                Zeroizing::new(sealed::seal(json, p, params)?)
            }
        };
        private_file::write_private(path, &bytes)?;
        Ok(summary)
    }

    /// Restores an export into this (empty) data directory. An encrypted one needs
    /// [`Node::import_from_file_with_passphrase`] ([`Error::PassphraseRequired`] here).
    pub fn import_from_file(&self, path: &Path) -> Result<TransferSummary> {
        self.import_from_file_with_passphrase(path, None)
    }

    /// Restores a plain or encrypted export into this (empty) data directory. The file is
    /// decrypted and verified completely before anything is written: a missing or wrong
    /// passphrase, a damaged file or a data-only export leaves the store as it was.
    pub fn import_from_file_with_passphrase(
        &self,
        path: &Path,
        passphrase: Option<&str>,
    ) -> Result<TransferSummary> {
        let io = |source| Error::Io { path: path.display().to_string(), source };
        let file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let too_big = || Error::CorruptExport(format!("file is {len} bytes, more than any real export"));
        if len > MAX_SEALED_BYTES {
            return Err(too_big());
        }
        // Read at most the bound whatever the metadata said (a file can grow meanwhile).
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.take(MAX_SEALED_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
        let encrypted = sealed::is_sealed(&bytes);
        let max = if encrypted { MAX_SEALED_BYTES } else { MAX_EXPORT_BYTES };
        if bytes.len() as u64 > max {
            return Err(too_big());
        }
        let json = if encrypted { sealed::open(bytes, passphrase)? } else { Zeroizing::new(bytes) };
        let file: ExportFile = serde_json::from_slice(&json).map_err(|e| {
            if is_data_only(&json) { Error::DataOnlyNotABackup } else { Error::CorruptExport(e.to_string()) }
        })?;
        self.import_data(file)
    }

    /// Restores parsed export data; everything is verified before anything is written.
    pub fn import_data(&self, file: ExportFile) -> Result<TransferSummary> {
        if file.format == DATA_FORMAT {
            return Err(Error::DataOnlyNotABackup);
        }
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
        let blobs = photos::checked_blobs(&file.photos)?;
        let summary = self.restore(identity, file.neighbourhoods, bundles)?;
        self.restore_blobs(blobs)?;
        Ok(summary)
    }
}

/// A new export's passphrase: not empty, not absurdly long.
fn check_new_passphrase(p: &str) -> Result<()> {
    if p.is_empty() {
        return Err(ValidationError::Empty { field: "passphrase" }.into());
    }
    let len = p.chars().count();
    if len > MAX_PASSPHRASE_CHARS {
        return Err(ValidationError::TooLong { field: "passphrase", len, max: MAX_PASSPHRASE_CHARS }.into());
    }
    Ok(())
}

/// Whether `json` is a data-only export (checked only once it failed to parse as a backup).
fn is_data_only(json: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Head {
        format: String,
    }
    serde_json::from_slice::<Head>(json).is_ok_and(|h| h.format == DATA_FORMAT)
}
