//! The exchange formats' own structs. They mirror the domain types (`DocSummary`, `DocBundle`,
//! `DocPayload`) but are separate on purpose: a field added to a domain type does not change a
//! format unless someone also changes these (and the golden-byte tests in
//! `core/tests/golden_formats.rs` then fail). Every list is bounded on decode (see
//! `bounded`); [`WireSummary::check_limits`] and [`WireBundles::check_limits`] apply the same
//! limits before writing, so nothing is written that a reader would refuse.
//!
//! Signed records carried inside (certificates, device certificates, revocations, admissions,
//! attestations) are formats already, since their signatures cover their contents: they travel
//! as they are, and are pinned by golden bytes too.

pub(crate) mod bounded;

use crate::admission::{Admission, MAX_CARRIED_ADMISSIONS};
use crate::attest::Attestation;
use crate::identity::{DeviceCert, DeviceRevocation};
use crate::ids::{MemberId, NeighbourhoodId};
use crate::membership::{Cert, MAX_CHAIN_LEN, Revocation};
use crate::node::{
    DocBundle, DocPayload, DocSummary, MAX_CHANGES_PER_BUNDLE, MAX_DEVICE_REVOCATIONS, MAX_DOC_HEADS,
    MAX_MEMBER_DEVICES,
};
use bounded::{ChangeBytes, bounded_list};
use serde::{Deserialize, Deserializer, Serialize};

/// Member documents listed in one summary (as in a network summary).
pub const MAX_SUMMARY_DOCS: usize = 4096;
/// Documents carried in one bundle file.
pub const MAX_BUNDLES: usize = MAX_SUMMARY_DOCS;
/// Neighbourhood revocations carried with one document (as in a network summary).
pub const MAX_REVOCATIONS: usize = 4096;

bounded_list! {
    summary_docs: WireDocHeads, MAX_SUMMARY_DOCS, "documents";
    doc_heads: [u8; 32], MAX_DOC_HEADS, "heads of one document";
    bundles: WireDocBundle, MAX_BUNDLES, "documents";
    chain: Cert, MAX_CHAIN_LEN, "membership certificates";
    devices: DeviceCert, MAX_MEMBER_DEVICES, "device certificates";
    revocations: Revocation, MAX_REVOCATIONS, "revocations";
    admissions: Admission, MAX_CARRIED_ADMISSIONS, "admissions";
    device_revocations: DeviceRevocation, MAX_DEVICE_REVOCATIONS, "device revocations";
    attestations: Attestation, MAX_MEMBER_DEVICES, "signatures";
}

/// A list that is too long to be written: which one, and its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverLimit {
    /// Which list, in words ("documents", "revocations", ...).
    pub what: &'static str,
    /// Its limit.
    pub max: usize,
}

fn within(what: &'static str, len: usize, max: usize) -> Result<(), OverLimit> {
    if len > max { Err(OverLimit { what, max }) } else { Ok(()) }
}

/// "These are the documents I have of `neighbourhood`, at these heads."
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireSummary {
    /// The neighbourhood.
    pub neighbourhood: NeighbourhoodId,
    /// Each document and its heads (at most [`MAX_SUMMARY_DOCS`]).
    #[serde(deserialize_with = "summary_docs")]
    pub docs: Vec<WireDocHeads>,
}

/// One member document and the heads (versions) a replica has of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireDocHeads {
    /// The document's owner.
    pub owner: MemberId,
    /// The heads (change hashes) the replica has.
    #[serde(deserialize_with = "doc_heads")]
    pub heads: Vec<[u8; 32]>,
}

/// Member documents (or the parts a peer lacks) of one neighbourhood.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireBundles {
    /// The neighbourhood.
    pub neighbourhood: NeighbourhoodId,
    /// The documents (at most [`MAX_BUNDLES`]).
    #[serde(deserialize_with = "bundles")]
    pub bundles: Vec<WireDocBundle>,
}

/// One member document with everything needed to verify it (mirrors [`DocBundle`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireDocBundle {
    /// The neighbourhood.
    pub neighbourhood: NeighbourhoodId,
    /// The document's owner.
    pub owner: MemberId,
    /// The owner's proof of membership.
    #[serde(deserialize_with = "chain")]
    pub owner_chain: Vec<Cert>,
    /// The owner's device certificates.
    #[serde(deserialize_with = "devices")]
    pub devices: Vec<DeviceCert>,
    /// The neighbourhood's member revocations the sender knows.
    #[serde(deserialize_with = "revocations")]
    pub revocations: Vec<Revocation>,
    /// The admissions that confirm the owner's membership.
    #[serde(deserialize_with = "admissions")]
    pub owner_admissions: Vec<Admission>,
    /// Devices the owner revoked.
    #[serde(deserialize_with = "device_revocations")]
    pub device_revocations: Vec<DeviceRevocation>,
    /// The document, whole or as changes.
    pub payload: WirePayload,
    /// Attestations of the payload's heads.
    #[serde(deserialize_with = "attestations")]
    pub attestations: Vec<Attestation>,
}

/// A document's content (mirrors [`DocPayload`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WirePayload {
    /// A whole compacted document (automerge `save()` format).
    Snapshot(#[serde(with = "bounded::bytes")] Vec<u8>),
    /// Automerge change chunks; each at least `MIN_CHANGE_BYTES`, at most
    /// `MAX_CHANGES_PER_BUNDLE` of them.
    Changes(#[serde(deserialize_with = "changes")] Vec<Vec<u8>>),
}

fn changes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
    let list: Vec<ChangeBytes> = bounded::seq(d, MAX_CHANGES_PER_BUNDLE, "changes")?;
    Ok(list.into_iter().map(|c| c.0).collect())
}

impl WireSummary {
    /// The summary of `docs` in `neighbourhood`.
    pub fn new(neighbourhood: NeighbourhoodId, docs: &[DocSummary]) -> Self {
        WireSummary { neighbourhood, docs: docs.iter().map(WireDocHeads::from).collect() }
    }

    /// The documents, as domain summaries.
    pub fn into_docs(self) -> Vec<DocSummary> {
        self.docs.into_iter().map(DocSummary::from).collect()
    }

    /// Checks every list is within what a reader accepts.
    pub fn check_limits(&self) -> Result<(), OverLimit> {
        within("documents", self.docs.len(), MAX_SUMMARY_DOCS)?;
        self.docs.iter().try_for_each(|d| within("heads of one document", d.heads.len(), MAX_DOC_HEADS))
    }
}

impl WireBundles {
    /// The bundles of `neighbourhood`, in their wire form.
    pub fn new(neighbourhood: NeighbourhoodId, bundles: Vec<DocBundle>) -> Self {
        WireBundles { neighbourhood, bundles: bundles.into_iter().map(WireDocBundle::from).collect() }
    }

    /// Checks every list, in every bundle, is within what a reader accepts.
    pub fn check_limits(&self) -> Result<(), OverLimit> {
        within("documents", self.bundles.len(), MAX_BUNDLES)?;
        self.bundles.iter().try_for_each(WireDocBundle::check_limits)
    }
}

impl WireDocBundle {
    /// Checks every list is within what a reader accepts.
    pub fn check_limits(&self) -> Result<(), OverLimit> {
        within("membership certificates", self.owner_chain.len(), MAX_CHAIN_LEN)?;
        within("device certificates", self.devices.len(), MAX_MEMBER_DEVICES)?;
        within("revocations", self.revocations.len(), MAX_REVOCATIONS)?;
        within("admissions", self.owner_admissions.len(), MAX_CARRIED_ADMISSIONS)?;
        within("device revocations", self.device_revocations.len(), MAX_DEVICE_REVOCATIONS)?;
        within("signatures", self.attestations.len(), MAX_MEMBER_DEVICES)?;
        match &self.payload {
            WirePayload::Snapshot(_) => Ok(()),
            WirePayload::Changes(c) => within("changes", c.len(), MAX_CHANGES_PER_BUNDLE),
        }
    }
}

impl From<&DocSummary> for WireDocHeads {
    fn from(d: &DocSummary) -> Self {
        WireDocHeads { owner: d.owner, heads: d.heads.clone() }
    }
}

impl From<WireDocHeads> for DocSummary {
    fn from(d: WireDocHeads) -> Self {
        DocSummary { owner: d.owner, heads: d.heads }
    }
}

impl From<DocPayload> for WirePayload {
    fn from(p: DocPayload) -> Self {
        match p {
            DocPayload::Snapshot(b) => WirePayload::Snapshot(b),
            DocPayload::Changes(c) => WirePayload::Changes(c),
        }
    }
}

impl From<WirePayload> for DocPayload {
    fn from(p: WirePayload) -> Self {
        match p {
            WirePayload::Snapshot(b) => DocPayload::Snapshot(b),
            WirePayload::Changes(c) => DocPayload::Changes(c),
        }
    }
}

impl From<DocBundle> for WireDocBundle {
    fn from(b: DocBundle) -> Self {
        // Destructured so that a field added to `DocBundle` fails to compile here.
        let DocBundle {
            neighbourhood,
            owner,
            owner_chain,
            devices,
            revocations,
            owner_admissions,
            device_revocations,
            payload,
            attestations,
        } = b;
        WireDocBundle {
            neighbourhood,
            owner,
            owner_chain,
            devices,
            revocations,
            owner_admissions,
            device_revocations,
            payload: payload.into(),
            attestations,
        }
    }
}

impl From<WireDocBundle> for DocBundle {
    fn from(b: WireDocBundle) -> Self {
        let WireDocBundle {
            neighbourhood,
            owner,
            owner_chain,
            devices,
            revocations,
            owner_admissions,
            device_revocations,
            payload,
            attestations,
        } = b;
        DocBundle {
            neighbourhood,
            owner,
            owner_chain,
            devices,
            revocations,
            owner_admissions,
            device_revocations,
            payload: payload.into(),
            attestations,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_round_trips_through_the_domain_type() {
        let docs = vec![DocSummary { owner: MemberId([1; 32]), heads: vec![[2; 32], [3; 32]] }];
        let wire = WireSummary::new(NeighbourhoodId([9; 32]), &docs);
        let bytes = postcard::to_allocvec(&wire).unwrap();
        let back: WireSummary = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back.into_docs(), docs);
    }

    #[test]
    fn limits_are_checked_before_writing() {
        let docs = vec![DocSummary { owner: MemberId([1; 32]), heads: vec![[2; 32]; MAX_DOC_HEADS + 1] }];
        let wire = WireSummary::new(NeighbourhoodId([9; 32]), &docs);
        assert_eq!(wire.check_limits(), Err(OverLimit { what: "heads of one document", max: MAX_DOC_HEADS }));
    }
}
