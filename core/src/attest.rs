//! Signing and verifying document changes.
//!
//! Each local change is attested: a certified device of the document's owner signs
//! `(neighbourhood, owner, change hash)`. Automerge change hashes cover their dependencies, so a
//! signature on a hash vouches for that change and its whole history. Incoming data is therefore
//! accepted only if every *new head* (a new change that no other new change depends on) carries a
//! valid attestation; see `docs/adr/0002-signed-change-hashes.md`.

use crate::error::VerifyError;
use crate::identity::{DeviceCert, DeviceRevocation, SecretKey, domain, hex_bytes, verify};
use crate::ids::{DeviceId, MemberId, NeighbourhoodId};
use automerge::{Change, ChangeHash};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// "Device `device` of the owner wrote change `hash`."
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    /// The change's hash.
    #[serde(with = "hex_bytes")]
    pub hash: [u8; 32],
    /// The device that signed it.
    pub device: DeviceId,
    /// The device's signature over neighbourhood, owner and `hash`.
    #[serde(with = "hex_bytes")]
    pub sig: [u8; 64],
}

impl Attestation {
    /// Signs change `hash` of `owner`'s document in `neighbourhood` with this device's key.
    pub fn sign(
        device_key: &SecretKey,
        neighbourhood: &NeighbourhoodId,
        owner: &MemberId,
        hash: &ChangeHash,
    ) -> Self {
        let sig = device_key.sign(domain::CHANGE, &[&neighbourhood.0, &owner.0, &hash.0]);
        Attestation { hash: hash.0, device: DeviceId(device_key.public()), sig }
    }

    fn verifies(&self, neighbourhood: &NeighbourhoodId, owner: &MemberId) -> bool {
        verify(&self.device.0, domain::CHANGE, &[&neighbourhood.0, &owner.0, &self.hash], &self.sig)
    }
}

/// The owner's devices known to be genuine (certificate signed by the owner's member key).
pub fn trusted_devices<'a>(
    owner: &MemberId,
    certs: impl IntoIterator<Item = &'a DeviceCert>,
) -> Result<HashSet<DeviceId>, VerifyError> {
    let mut out = HashSet::new();
    for cert in certs {
        if cert.member != *owner || !cert.is_valid() {
            return Err(VerifyError::ForeignDevice);
        }
        out.insert(cert.device);
    }
    Ok(out)
}

/// [`trusted_devices`] without the devices the owner revoked: their attestations no longer
/// vouch for anything new.
pub fn trusted_unrevoked<'a>(
    owner: &MemberId,
    certs: impl IntoIterator<Item = &'a DeviceCert>,
    revoked: &[DeviceRevocation],
) -> Result<(HashSet<DeviceId>, HashSet<DeviceId>), VerifyError> {
    let mut trusted = trusted_devices(owner, certs)?;
    let gone: HashSet<DeviceId> =
        revoked.iter().filter(|r| r.member == *owner && r.is_valid()).map(|r| r.device).collect();
    trusted.retain(|d| !gone.contains(d));
    Ok((trusted, gone))
}

/// Checks that every change in `incoming` that `is_known` does not already cover is vouched for
/// by an attestation from a trusted device. Returns the attestations that were needed, so the
/// caller can store them alongside the changes.
pub fn verify_changes(
    neighbourhood: &NeighbourhoodId,
    owner: &MemberId,
    devices: &HashSet<DeviceId>,
    attestations: &[Attestation],
    incoming: &[Change],
    is_known: impl Fn(&ChangeHash) -> bool,
) -> Result<Vec<Attestation>, VerifyError> {
    verify_changes_revoked(neighbourhood, owner, devices, &HashSet::new(), attestations, incoming, is_known)
}

/// [`verify_changes`], naming a change signed only by a revoked device as such.
pub fn verify_changes_revoked(
    neighbourhood: &NeighbourhoodId,
    owner: &MemberId,
    devices: &HashSet<DeviceId>,
    revoked: &HashSet<DeviceId>,
    attestations: &[Attestation],
    incoming: &[Change],
    is_known: impl Fn(&ChangeHash) -> bool,
) -> Result<Vec<Attestation>, VerifyError> {
    let new: Vec<&Change> = incoming.iter().filter(|c| !is_known(&c.hash())).collect();
    let depended_on: HashSet<ChangeHash> = new.iter().flat_map(|c| c.deps().iter().copied()).collect();
    let heads: Vec<ChangeHash> = new.iter().map(|c| c.hash()).filter(|h| !depended_on.contains(h)).collect();
    verify_heads_revoked(neighbourhood, owner, devices, revoked, attestations, &heads)
}

/// Checks that each of `heads` carries a valid attestation by a trusted device. For a whole
/// document this is enough: every change is an ancestor of a head, and hashes cover ancestors.
pub fn verify_heads(
    neighbourhood: &NeighbourhoodId,
    owner: &MemberId,
    devices: &HashSet<DeviceId>,
    attestations: &[Attestation],
    heads: &[ChangeHash],
) -> Result<Vec<Attestation>, VerifyError> {
    verify_heads_revoked(neighbourhood, owner, devices, &HashSet::new(), attestations, heads)
}

/// [`verify_heads`], naming a head signed only by a revoked device as such.
pub fn verify_heads_revoked(
    neighbourhood: &NeighbourhoodId,
    owner: &MemberId,
    devices: &HashSet<DeviceId>,
    revoked: &HashSet<DeviceId>,
    attestations: &[Attestation],
    heads: &[ChangeHash],
) -> Result<Vec<Attestation>, VerifyError> {
    let by_hash: HashMap<[u8; 32], &Attestation> = attestations.iter().map(|a| (a.hash, a)).collect();
    let mut used = Vec::with_capacity(heads.len());
    let mut seen = HashSet::new();
    for head in heads.iter().filter(|h| seen.insert(**h)) {
        let short = hex::encode(&head.0[..4]);
        let att = by_hash.get(&head.0).ok_or_else(|| VerifyError::Unsigned(short.clone()))?;
        if revoked.contains(&att.device) {
            return Err(VerifyError::RevokedDevice { change: short, device: att.device.short() });
        }
        if !devices.contains(&att.device) {
            return Err(VerifyError::Unsigned(short));
        }
        if !att.verifies(neighbourhood, owner) {
            return Err(VerifyError::BadSignature(short));
        }
        used.push((*att).clone());
    }
    Ok(used)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::MemberDoc;
    use crate::identity::Identity;

    fn setup() -> (Identity, NeighbourhoodId, MemberDoc, Vec<(Change, Attestation)>) {
        let id = Identity::generate("Ada".into(), 1).unwrap();
        let ns = NeighbourhoodId([1; 32]);
        let (mut doc, genesis) = MemberDoc::create(id.device_id(), "Ada").unwrap();
        let a0 = Attestation::sign(&id.device_key, &ns, &id.member_id(), &genesis.hash());
        let c1 = doc.set_name("Ada L.").unwrap().unwrap();
        let a1 = Attestation::sign(&id.device_key, &ns, &id.member_id(), &c1.hash());
        (id, ns, doc, vec![(genesis, a0), (c1, a1)])
    }

    #[test]
    fn head_attestation_covers_history() {
        let (id, ns, _, log) = setup();
        let devices = trusted_devices(&id.member_id(), [&id.device_cert]).unwrap();
        let changes: Vec<Change> = log.iter().map(|(c, _)| c.clone()).collect();
        // Only the head is attested: enough, since its hash covers the genesis change.
        let used =
            verify_changes(&ns, &id.member_id(), &devices, &[log[1].1.clone()], &changes, |_| false).unwrap();
        assert_eq!(used, vec![log[1].1.clone()]);
    }

    #[test]
    fn unsigned_foreign_and_tampered_are_rejected() {
        let (id, ns, _, log) = setup();
        let devices = trusted_devices(&id.member_id(), [&id.device_cert]).unwrap();
        let changes: Vec<Change> = log.iter().map(|(c, _)| c.clone()).collect();
        let only_genesis = [log[0].1.clone()];
        assert!(matches!(
            verify_changes(&ns, &id.member_id(), &devices, &only_genesis, &changes, |_| false),
            Err(VerifyError::Unsigned(_))
        ));
        let stranger = Identity::generate("Eve".into(), 1).unwrap();
        let forged = Attestation::sign(&stranger.device_key, &ns, &id.member_id(), &changes[1].hash());
        assert!(matches!(
            verify_changes(&ns, &id.member_id(), &devices, &[forged], &changes, |_| { false }),
            Err(VerifyError::Unsigned(_))
        ));
        let mut bad = log[1].1.clone();
        bad.sig[0] ^= 1;
        assert!(matches!(
            verify_changes(&ns, &id.member_id(), &devices, &[bad], &changes, |_| false),
            Err(VerifyError::BadSignature(_))
        ));
        // A stranger's device certificate cannot be smuggled in as the owner's.
        assert_eq!(
            trusted_devices(&id.member_id(), [&stranger.device_cert]),
            Err(VerifyError::ForeignDevice)
        );
    }
}
