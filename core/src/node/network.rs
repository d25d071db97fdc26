//! What the network layer (crate `partage-net`) needs from a node, and nothing it could use to
//! bypass verification: data still only moves through `doc_bundle` / `import_bundle`.
//!
//! - the device secret, from which the network derives a transport key per network (ADR 0016)
//!   and with which a session's binding is signed (`crate::session_binding`);
//! - membership proofs (this member's chain plus this device's certificate) and their
//!   verification against the neighbourhood's revocations, bound to the peer's device key;
//! - summaries without revoked members, and revocations to exchange with verified members;
//! - known peer addresses, stored so a restarted node redials without rediscovery;
//! - a way to report network activity through the node's event stream.

use super::replication::Flush;
use super::{Node, State};
use crate::admission::{Admission, MAX_CARRIED_ADMISSIONS};
use crate::clock::now_ms;
use crate::error::{ChainError, Error, Result, VerifyError};
use crate::events::{Event, NetEvent};
use crate::identity::DeviceCert;
use crate::ids::{DeviceId, MemberId, NeighbourhoodId};
use crate::membership::{Chain, Revocation, RevocationSet, verify_chain};
use crate::node::DocSummary;
use crate::store::{Writer, decode, encode};
use redb::TableDefinition;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Peers remembered at most; the least recently seen are forgotten first.
pub const MAX_KNOWN_PEERS: usize = 256;
/// Addresses remembered per peer at most.
pub const MAX_ADDRS_PER_PEER: usize = 8;
/// Longest address string stored (a multiaddr is far shorter).
const MAX_ADDR_LEN: usize = 256;

/// Key: device id. Value: [`KnownPeer`].
const PEERS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("net_peers");

/// "I am a member of this neighbourhood, and this device speaks for me."
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipProof {
    /// The member's proof of membership.
    pub chain: Chain,
    /// The member key's certificate for the device presenting the proof.
    pub device: DeviceCert,
    /// Admissions that confirm the chain's members (see `crate::admission`); empty while
    /// this device waits for a member to confirm it.
    pub admissions: Vec<Admission>,
}

/// A peer this device has synced with, and where it was reachable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownPeer {
    /// The peer's device.
    pub device: DeviceId,
    /// Multiaddrs, most recent first.
    pub addrs: Vec<String>,
    /// When this device last met it, in milliseconds since the Unix epoch.
    pub last_seen_ms: u64,
    /// When this device last synced with it, in milliseconds since the Unix epoch.
    pub last_synced_ms: Option<u64>,
}

impl Node {
    /// This device's secret key: the root of its transport keys (one per network, ADR 0016).
    pub fn device_secret(&self) -> Result<[u8; 32]> {
        Ok(self.lock()?.identity()?.device_key.to_bytes())
    }

    /// Ids of every neighbourhood this device is a member of.
    pub fn neighbourhood_ids(&self) -> Result<Vec<NeighbourhoodId>> {
        Ok(self.lock()?.neighbourhoods.keys().copied().collect())
    }

    /// Every neighbourhood this device is a member of, with its shared secret: what the sync
    /// handshake proves knowledge of before any proof of membership goes out (ADR 0013).
    pub fn neighbourhood_secrets(&self) -> Result<Vec<(NeighbourhoodId, [u8; 32])>> {
        Ok(self.lock()?.neighbourhoods.values().map(|rec| (rec.id, rec.secret())).collect())
    }

    /// The shared secret of `ns` (see [`Node::neighbourhood_secrets`]).
    pub fn neighbourhood_secret(&self, ns: &NeighbourhoodId) -> Result<[u8; 32]> {
        Ok(self.lock()?.neighbourhood(ns)?.secret())
    }

    /// This member's proof of membership of `ns`, for a peer.
    pub fn membership_proof(&self, ns: &NeighbourhoodId) -> Result<MembershipProof> {
        let st = self.lock()?;
        let chain = st.neighbourhood(ns)?.chain.clone();
        let admissions = st.admissions_for(ns, &chain);
        Ok(MembershipProof { chain, device: st.identity()?.device_cert.clone(), admissions })
    }

    /// Checks a peer's proof of membership of `ns`: a valid chain that no revocation known here
    /// cuts, confirmed by members' admissions (this device witnesses a pending joiner's ticket
    /// if it is still valid here), and a certificate by that member for `peer_device`, the key
    /// the transport authenticated. Returns the member.
    pub fn verify_peer_membership(
        &self,
        ns: &NeighbourhoodId,
        proof: &MembershipProof,
        peer_device: &DeviceId,
    ) -> Result<MemberId> {
        let mut st = self.lock()?;
        let revoked = revoked_subjects(&st, ns)?;
        // Cheap checks first: the chain and the device certificate, before anything is stored.
        let member = verify_chain(&proof.chain, ns, &revoked)?;
        let cert = &proof.device;
        if cert.member != member || cert.device != *peer_device || !cert.is_valid() {
            return Err(VerifyError::ForeignDevice.into());
        }
        // Having left, this device only hands on its departure (and takes nothing in): a valid
        // chain is enough, it no longer keeps the admissions that confirm members.
        let me = st.identity()?.member_id();
        if st.departed.contains_key(&(*ns, me)) {
            return Ok(member);
        }
        let device_revoked = st.members.get(&(*ns, member)).is_some_and(|m| m.device_revoked(&cert.device));
        if revoked.contains(&cert.device.0) || device_revoked {
            return Err(ChainError::Revoked.into());
        }
        // A member who left gets nothing more. (A device that left still proves itself and is
        // verified: it hands on its departure, and refuses what it is sent, see `verify_bundle`.)
        if st.departed.contains_key(&(*ns, member)) {
            return Err(ChainError::Departed.into());
        }
        let was_confirmed = st.confirmed(ns);
        let carried = proof.admissions.get(..MAX_CARRIED_ADMISSIONS).unwrap_or(&proof.admissions);
        if st.learn_admissions(ns, carried, Flush::Now)? > 0 {
            self.settle_members(&mut st, ns, was_confirmed)?;
        }
        self.confirm_or_witness(&mut st, ns, &proof.chain)
    }

    /// Like [`Node::doc_summaries`], without the documents of revoked members (which peers that
    /// know the revocation would refuse).
    pub fn sync_summaries(&self, ns: &NeighbourhoodId) -> Result<Vec<DocSummary>> {
        let mut st = self.lock()?;
        let standing: HashSet<MemberId> = st
            .members
            .values()
            .filter(|m| m.neighbourhood == *ns && st.serves_here(ns, m))
            .map(|m| m.member)
            .collect();
        st.summaries(ns, |m| standing.contains(&m.member))
    }

    /// Whether `owner`'s document in `ns` is one [`Node::sync_summaries`] lists (held here, and
    /// its owner's membership stands), without listing every document.
    pub(crate) fn serves(&self, ns: &NeighbourhoodId, owner: &MemberId) -> Result<bool> {
        let st = self.lock()?;
        Ok(st.members.get(&(*ns, *owner)).is_some_and(|m| st.serves_here(ns, m)))
    }

    /// [`Node::sync_summaries`], plus this device's own document while its membership waits
    /// for a member's confirmation: offline, handing that document to a member is how a joiner
    /// gets witnessed (over the network, the membership handshake does it).
    pub(crate) fn served_offline(&self, ns: &NeighbourhoodId) -> Result<Vec<DocSummary>> {
        let mut st = self.lock()?;
        st.neighbourhood(ns)?;
        let me = st.identity()?.member_id();
        let served: HashSet<MemberId> = st
            .members
            .values()
            .filter(|m| m.neighbourhood == *ns)
            .filter(|m| match st.confirm(ns, &m.chain) {
                Ok(_) => true,
                Err(Error::Membership(ChainError::NotConfirmed)) => m.member == me,
                Err(_) => false,
            })
            .map(|m| m.member)
            .collect();
        st.summaries(ns, |m| served.contains(&m.member))
    }

    /// The stored membership chain and device certificates of `owner` in `ns`, if this device
    /// has their document (lets a peer leave them out of the changes it pushes).
    pub fn member_credentials(
        &self,
        ns: &NeighbourhoodId,
        owner: &MemberId,
    ) -> Result<Option<(Chain, Vec<DeviceCert>)>> {
        let st = self.lock()?;
        Ok(st.members.get(&(*ns, *owner)).map(|m| (m.chain.clone(), m.devices.clone())))
    }

    /// Which of `hashes` this device does not have in `owner`'s document of `ns` (all of them
    /// if it does not hold the document). Lets a peer see that the other side is ahead.
    pub fn unknown_changes(
        &self,
        ns: &NeighbourhoodId,
        owner: &MemberId,
        hashes: &[[u8; 32]],
    ) -> Result<Vec<[u8; 32]>> {
        let mut st = self.lock()?;
        if !st.members.contains_key(&(*ns, *owner)) {
            return Ok(hashes.to_vec());
        }
        let doc = st.doc_mut(ns, owner)?;
        Ok(hashes.iter().filter(|h| !doc.has_change(&automerge::ChangeHash(**h))).copied().collect())
    }

    /// Whether this device already holds everything a bundle of `owner`'s document with these
    /// `heads` and device revocations would bring (every head, hence its history, and every
    /// revocation's device): importing it would check signatures for nothing. Cheap: hash
    /// lookups only.
    pub fn holds_everything(
        &self,
        ns: &NeighbourhoodId,
        owner: &MemberId,
        heads: &[[u8; 32]],
        device_revocations: &[crate::identity::DeviceRevocation],
    ) -> Result<bool> {
        if heads.is_empty() {
            return Ok(false);
        }
        let mut st = self.lock()?;
        let Some(member) = st.members.get(&(*ns, *owner)) else { return Ok(false) };
        if !device_revocations.iter().all(|r| member.revoked_devices.iter().any(|k| k.device == r.device)) {
            return Ok(false);
        }
        let doc = st.doc_mut(ns, owner)?;
        Ok(heads.iter().all(|h| doc.has_change(&automerge::ChangeHash(*h))))
    }

    /// Whether `member`'s membership of `ns` no longer stands here: cut by a revocation, or
    /// admitted beyond an invite's uses.
    pub fn is_revoked(&self, ns: &NeighbourhoodId, member: &MemberId) -> Result<bool> {
        let st = self.lock()?;
        let revoked = revoked_subjects(&st, ns)?;
        Ok(revoked.contains(&member.0)
            || st.members.get(&(*ns, *member)).is_some_and(|m| st.confirm(ns, &m.chain).is_err()))
    }

    /// Revocations known here for `ns` (sent only to verified members).
    pub fn revocations(&self, ns: &NeighbourhoodId) -> Result<Vec<Revocation>> {
        Ok(self.lock()?.neighbourhood(ns)?.revocations.clone())
    }

    /// Stores the revocations among `incoming` that are new and signed by the neighbourhood's
    /// root, and drops the items of members they cut off (as [`Node::revoke`] does). Returns
    /// how many were new.
    pub fn apply_revocations(&self, ns: &NeighbourhoodId, incoming: &[Revocation]) -> Result<usize> {
        let mut st = self.lock()?;
        let mut rec = st.neighbourhood(ns)?.clone();
        let known: HashSet<[u8; 32]> = rec.revocations.iter().map(|r| r.subject).collect();
        let mut fresh: Vec<Revocation> = Vec::new();
        for r in incoming {
            if r.neighbourhood == *ns && !known.contains(&r.subject) && !fresh.contains(r) && r.is_valid() {
                fresh.push(r.clone());
            }
        }
        if fresh.is_empty() {
            return Ok(0);
        }
        rec.revocations.extend(fresh.iter().cloned());
        self.store_revocations(&mut st, rec)?;
        Ok(fresh.len())
    }

    /// Addresses carried by the tickets this device joined with.
    pub fn ticket_addresses(&self) -> Result<Vec<String>> {
        let st = self.lock()?;
        let mut out: Vec<String> = Vec::new();
        for rec in st.neighbourhoods.values() {
            for a in &rec.known_addrs {
                if !out.contains(a) {
                    out.push(a.clone());
                }
            }
        }
        Ok(out)
    }

    /// Peers remembered from earlier syncs, most recently seen first.
    pub fn known_peers(&self) -> Result<Vec<KnownPeer>> {
        let mut out = stored_peers(&*self.lock()?)?;
        out.sort_by_key(|p| std::cmp::Reverse(p.last_seen_ms));
        Ok(out)
    }

    /// Remembers that `device` was seen at `addrs` (most useful first), and whether a sync with
    /// it just finished. Bounded: [`MAX_ADDRS_PER_PEER`] addresses, [`MAX_KNOWN_PEERS`] peers.
    pub fn remember_peer(&self, device: &DeviceId, addrs: &[String], synced: bool) -> Result<()> {
        let st = self.lock()?;
        let now = now_ms();
        let peers = stored_peers(&st)?;
        let mut rec = peers.iter().find(|p| p.device == *device).cloned().unwrap_or(KnownPeer {
            device: *device,
            addrs: Vec::new(),
            last_seen_ms: now,
            last_synced_ms: None,
        });
        let mut merged: Vec<String> = Vec::new();
        for a in addrs.iter().chain(rec.addrs.iter()) {
            if a.len() <= MAX_ADDR_LEN && !merged.contains(a) && merged.len() < MAX_ADDRS_PER_PEER {
                merged.push(a.clone());
            }
        }
        rec.addrs = merged;
        rec.last_seen_ms = now;
        if synced {
            rec.last_synced_ms = Some(now);
        }
        // Make room by forgetting the peers seen longest ago.
        let mut others: Vec<&KnownPeer> = peers.iter().filter(|p| p.device != *device).collect();
        others.sort_by_key(|p| p.last_seen_ms);
        let excess = (others.len() + 1).saturating_sub(MAX_KNOWN_PEERS);
        let evict: Vec<DeviceId> = others.iter().take(excess).map(|p| p.device).collect();
        st.store.write(|w| {
            for d in &evict {
                w.delete_peer(d)?;
            }
            w.put_peer(&rec)
        })
    }

    /// Forgets a remembered peer; `false` if it was not known.
    pub fn forget_peer(&self, device: &DeviceId) -> Result<bool> {
        let st = self.lock()?;
        st.store.write(|w| w.delete_peer(device))
    }

    /// Publishes network activity on this node's event stream.
    pub fn report_network(&self, event: NetEvent) {
        self.emit(Event::Network(event));
    }
}

fn stored_peers(st: &State) -> Result<Vec<KnownPeer>> {
    st.store.rows(PEERS)?.iter().map(|(_, value)| decode(value, "known peer")).collect()
}

fn revoked_subjects(st: &State, ns: &NeighbourhoodId) -> Result<RevocationSet> {
    Ok(RevocationSet::from_revocations(ns, &st.neighbourhood(ns)?.revocations))
}

impl Writer<'_> {
    fn put_peer(&mut self, rec: &KnownPeer) -> Result<()> {
        self.txn.open_table(PEERS)?.insert(rec.device.0.as_slice(), encode(rec)?.as_slice())?;
        Ok(())
    }

    fn delete_peer(&mut self, device: &DeviceId) -> Result<bool> {
        Ok(self.txn.open_table(PEERS)?.remove(device.0.as_slice())?.is_some())
    }
}

impl super::State {
    /// Whether `m`'s document is served in `ns`: its owner's membership stands; or, once this
    /// member left, only this member's own document (its departure, to hand on).
    fn serves_here(&self, ns: &NeighbourhoodId, m: &crate::store::MemberRecord) -> bool {
        let me = self.identity.as_ref().map(|i| i.member_id());
        if let Some(me) = me
            && self.departed.contains_key(&(*ns, me))
        {
            return m.member == me;
        }
        self.confirm(ns, &m.chain).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn node(name: &str) -> (tempfile::TempDir, Node) {
        let dir = tempfile::tempdir().unwrap();
        let node = Node::open(dir.path()).unwrap();
        node.init(name).unwrap();
        (dir, node)
    }

    #[test]
    fn proofs_verify_only_for_the_proving_device() {
        let (_a, alice) = node("Alice");
        let (_b, bob) = node("Bob");
        let ns = alice.create_neighbourhood("Rue").unwrap().id;
        bob.join(&alice.invite(&ns, 1, 1, vec![]).unwrap()).unwrap();
        let proof = bob.membership_proof(&ns).unwrap();
        let bob_device = bob.identity().unwrap().unwrap().device;
        let bob_member = bob.identity().unwrap().unwrap().member;
        assert_eq!(alice.verify_peer_membership(&ns, &proof, &bob_device).unwrap(), bob_member);
        // Replayed by another device: refused.
        let alice_device = alice.identity().unwrap().unwrap().device;
        assert!(alice.verify_peer_membership(&ns, &proof, &alice_device).is_err());
        // Revoked: refused.
        alice.revoke(&ns, &bob_member).unwrap();
        assert!(matches!(
            alice.verify_peer_membership(&ns, &proof, &bob_device),
            Err(Error::Membership(ChainError::Revoked))
        ));
        assert!(alice.is_revoked(&ns, &bob_member).unwrap());
    }

    #[test]
    fn known_peers_are_bounded_and_persisted() {
        let (dir, n) = node("Alice");
        for i in 0..(MAX_KNOWN_PEERS + 3) {
            let mut id = [0u8; 32];
            id[..8].copy_from_slice(&(i as u64).to_be_bytes());
            let addrs: Vec<String> = (0..12).map(|p| format!("/ip4/127.0.0.1/tcp/{p}")).collect();
            n.remember_peer(&DeviceId(id), &addrs, i % 2 == 0).unwrap();
        }
        let peers = n.known_peers().unwrap();
        assert_eq!(peers.len(), MAX_KNOWN_PEERS);
        assert!(peers.iter().all(|p| p.addrs.len() == MAX_ADDRS_PER_PEER));
        drop(n);
        let n = Node::open(dir.path()).unwrap();
        assert_eq!(n.known_peers().unwrap().len(), MAX_KNOWN_PEERS);
        let first = n.known_peers().unwrap()[0].device;
        assert!(n.forget_peer(&first).unwrap());
        assert!(!n.forget_peer(&first).unwrap());
    }
}
