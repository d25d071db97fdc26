//! What the protocol machine asks of the node. Calls may take the node's lock and touch the
//! store, so the driver runs each step on a blocking thread.

use partage::identity::DeviceRevocation;
use partage::membership::{Chain, Revocation};
use partage::node::{MembershipProof, PreparedDoc};
use partage::session_binding::BindingSignature;
use partage::{DeviceId, DocBundle, DocSummary, ImportReport, MemberId, NeighbourhoodId, Node, Result};

pub(crate) trait Facts {
    /// The neighbourhoods this device is in, with their shared secrets.
    fn neighbourhood_secrets(&self) -> Result<Vec<(NeighbourhoodId, [u8; 32])>>;
    /// The documents of `ns` this device serves, with their heads.
    fn sync_summaries(&self, ns: &NeighbourhoodId) -> Result<Vec<DocSummary>>;
    fn membership_proof(&self, ns: &NeighbourhoodId) -> Result<MembershipProof>;
    /// This device's signature over a session's binding (see `digest::binding`).
    fn sign_session_binding(&self, binding: &[u8; 32]) -> Result<BindingSignature>;
    /// The member `proof` proves `device` to be, if it holds.
    fn verify_peer_membership(
        &self,
        ns: &NeighbourhoodId,
        proof: &MembershipProof,
        device: &DeviceId,
    ) -> Result<MemberId>;
    fn revocations(&self, ns: &NeighbourhoodId) -> Result<Vec<Revocation>>;
    /// Verifies and stores revocations; how many were new.
    fn apply_revocations(&self, ns: &NeighbourhoodId, incoming: &[Revocation]) -> Result<usize>;
    fn is_revoked(&self, ns: &NeighbourhoodId, member: &MemberId) -> Result<bool>;
    /// Which of `heads` of `owner`'s document this device does not have.
    fn unknown_changes(
        &self,
        ns: &NeighbourhoodId,
        owner: &MemberId,
        heads: &[[u8; 32]],
    ) -> Result<Vec<[u8; 32]>>;
    /// The owner's chain, if this device holds the owner's document.
    fn owner_chain(&self, ns: &NeighbourhoodId, owner: &MemberId) -> Result<Option<Chain>>;
    /// `owner`'s document beyond the peer's heads `have`, if there is anything to send (see
    /// `Node::bundle_beyond`).
    fn bundle_beyond(
        &self,
        ns: &NeighbourhoodId,
        owner: &MemberId,
        have: &[[u8; 32]],
    ) -> Result<Option<DocBundle>>;
    /// Verifies a document from the peer and stores it.
    fn import_bundle(&self, bundle: &DocBundle) -> Result<ImportReport>;
    /// Checks and loads whole documents of members this device holds nothing of, on the
    /// available cores (see `Node::prepare_whole_documents`).
    fn prepare_whole_documents(&self, bundles: &[&DocBundle]) -> Vec<Option<PreparedDoc>>;
    /// The same, without waiting for the disk (see `Node::import_bundle_unflushed`), with the
    /// document prepared for it if any (see `Node::import_prepared_unflushed`): for the answers
    /// of a round, made durable together by `flush` when the round's wants are answered.
    fn import_prepared_unflushed(
        &self,
        bundle: &DocBundle,
        prepared: Option<PreparedDoc>,
    ) -> Result<ImportReport>;
    /// Makes every import so far durable.
    fn flush(&self) -> Result<()>;
    /// Whether a bundle with these heads and device revocations would bring nothing new (see
    /// `Node::holds_everything`).
    fn holds_everything(
        &self,
        ns: &NeighbourhoodId,
        owner: &MemberId,
        heads: &[[u8; 32]],
        device_revocations: &[DeviceRevocation],
    ) -> Result<bool>;
}

impl Facts for Node {
    fn neighbourhood_secrets(&self) -> Result<Vec<(NeighbourhoodId, [u8; 32])>> {
        Node::neighbourhood_secrets(self)
    }

    fn sync_summaries(&self, ns: &NeighbourhoodId) -> Result<Vec<DocSummary>> {
        Node::sync_summaries(self, ns)
    }

    fn membership_proof(&self, ns: &NeighbourhoodId) -> Result<MembershipProof> {
        Node::membership_proof(self, ns)
    }

    fn sign_session_binding(&self, binding: &[u8; 32]) -> Result<BindingSignature> {
        Node::sign_session_binding(self, binding)
    }

    fn verify_peer_membership(
        &self,
        ns: &NeighbourhoodId,
        proof: &MembershipProof,
        device: &DeviceId,
    ) -> Result<MemberId> {
        Node::verify_peer_membership(self, ns, proof, device)
    }

    fn revocations(&self, ns: &NeighbourhoodId) -> Result<Vec<Revocation>> {
        Node::revocations(self, ns)
    }

    fn apply_revocations(&self, ns: &NeighbourhoodId, incoming: &[Revocation]) -> Result<usize> {
        Node::apply_revocations(self, ns, incoming)
    }

    fn is_revoked(&self, ns: &NeighbourhoodId, member: &MemberId) -> Result<bool> {
        Node::is_revoked(self, ns, member)
    }

    fn unknown_changes(
        &self,
        ns: &NeighbourhoodId,
        owner: &MemberId,
        heads: &[[u8; 32]],
    ) -> Result<Vec<[u8; 32]>> {
        Node::unknown_changes(self, ns, owner, heads)
    }

    fn owner_chain(&self, ns: &NeighbourhoodId, owner: &MemberId) -> Result<Option<Chain>> {
        Ok(Node::member_credentials(self, ns, owner)?.map(|(chain, _)| chain))
    }

    fn bundle_beyond(
        &self,
        ns: &NeighbourhoodId,
        owner: &MemberId,
        have: &[[u8; 32]],
    ) -> Result<Option<DocBundle>> {
        Node::bundle_beyond(self, ns, owner, have)
    }

    fn import_bundle(&self, bundle: &DocBundle) -> Result<ImportReport> {
        Node::import_bundle(self, bundle)
    }

    fn prepare_whole_documents(&self, bundles: &[&DocBundle]) -> Vec<Option<PreparedDoc>> {
        Node::prepare_whole_documents(self, bundles)
    }

    fn import_prepared_unflushed(
        &self,
        bundle: &DocBundle,
        prepared: Option<PreparedDoc>,
    ) -> Result<ImportReport> {
        Node::import_prepared_unflushed(self, bundle, prepared)
    }

    fn flush(&self) -> Result<()> {
        Node::flush(self)
    }

    fn holds_everything(
        &self,
        ns: &NeighbourhoodId,
        owner: &MemberId,
        heads: &[[u8; 32]],
        device_revocations: &[DeviceRevocation],
    ) -> Result<bool> {
        Node::holds_everything(self, ns, owner, heads, device_revocations)
    }
}
