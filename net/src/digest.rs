//! Tags and digests: compact, session-bound fingerprints that only members can compute.
//!
//! Both are keyed by the neighbourhood's shared secret (made by its founder, carried by
//! tickets; not its id, which certificates and tickets show to anyone: ADR 0013) and bound to
//! the pair of peers, so a `Hello` tells a stranger nothing and cannot be replayed elsewhere. A
//! tag is also bound to the peer that sends it: the two sides' tags differ, so a tag sent back
//! to its sender proves nothing.

use libp2p::PeerId;
use partage::DocSummary;

/// Identifies one connection between two peers, the same on both sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionKey([u8; 32]);

impl SessionKey {
    /// The key of the connection between `a` and `b` (the order does not matter).
    pub fn new(a: &PeerId, b: &PeerId) -> Self {
        let (a, b) = (a.to_bytes(), b.to_bytes());
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let mut h = blake3::Hasher::new_derive_key("partage/sync/2 session");
        h.update(&(lo.len() as u32).to_be_bytes());
        h.update(&lo);
        h.update(&hi);
        SessionKey(*h.finalize().as_bytes())
    }
}

/// The tag by which `sender` proves, in this session, that it knows a neighbourhood's `secret`.
/// Each side checks the other's before it says anything more about that neighbourhood.
pub fn tag(session: &SessionKey, secret: &[u8; 32], sender: &PeerId) -> [u8; 32] {
    let sender = sender.to_bytes();
    let mut h = blake3::Hasher::new_keyed(secret);
    h.update(b"partage/sync/2 tag");
    h.update(&session.0);
    h.update(&(sender.len() as u32).to_be_bytes());
    h.update(&sender);
    *h.finalize().as_bytes()
}

/// What `sender` signs with its device key to name its device in this session (ADR 0016):
/// bound to the session and to the side, so a signature is worth nothing on any other
/// connection, nor sent back to its sender.
pub fn binding(session: &SessionKey, sender: &PeerId) -> [u8; 32] {
    let sender = sender.to_bytes();
    let mut h = blake3::Hasher::new_derive_key("partage/sync/3 binding");
    h.update(&session.0);
    h.update(&(sender.len() as u32).to_be_bytes());
    h.update(&sender);
    *h.finalize().as_bytes()
}

/// Hash of a document's heads (sorted, so equal sets give equal hashes).
pub fn heads_hash(heads: &[[u8; 32]]) -> [u8; 32] {
    let mut sorted = heads.to_vec();
    sorted.sort_unstable();
    let mut h = blake3::Hasher::new_derive_key("partage/sync/2 heads");
    for head in &sorted {
        h.update(head);
    }
    *h.finalize().as_bytes()
}

/// Digest of every document a replica holds in the neighbourhood whose shared secret is
/// `secret`: equal on both sides exactly when both hold the same documents at the same heads.
pub fn digest(session: &SessionKey, secret: &[u8; 32], docs: &[DocSummary]) -> [u8; 32] {
    let mut sorted: Vec<&DocSummary> = docs.iter().collect();
    sorted.sort_by_key(|d| d.owner);
    let mut h = blake3::Hasher::new_keyed(secret);
    h.update(b"partage/sync/2 digest");
    h.update(&session.0);
    for d in sorted {
        h.update(&d.owner.0);
        h.update(&heads_hash(&d.heads));
    }
    *h.finalize().as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use partage::MemberId;

    #[test]
    fn session_keys_are_symmetric_and_tags_differ_per_session_sender_and_secret() {
        let (a, b, c) = (PeerId::random(), PeerId::random(), PeerId::random());
        assert_eq!(SessionKey::new(&a, &b), SessionKey::new(&b, &a));
        let ab = SessionKey::new(&a, &b);
        let secret = [3; 32];
        assert_ne!(tag(&ab, &secret, &a), tag(&SessionKey::new(&a, &c), &secret, &a));
        assert_ne!(tag(&ab, &secret, &a), tag(&ab, &[4; 32], &a));
        // The two sides' tags differ: one sent back to its sender proves nothing.
        assert_ne!(tag(&ab, &secret, &a), tag(&ab, &secret, &b));
    }

    #[test]
    fn digests_ignore_order_and_see_every_head() {
        let s = SessionKey::new(&PeerId::random(), &PeerId::random());
        let ns = [1; 32];
        let d1 = DocSummary { owner: MemberId([1; 32]), heads: vec![[1; 32], [2; 32]] };
        let d2 = DocSummary { owner: MemberId([2; 32]), heads: vec![[3; 32]] };
        let d1r = DocSummary { owner: MemberId([1; 32]), heads: vec![[2; 32], [1; 32]] };
        assert_eq!(digest(&s, &ns, &[d1.clone(), d2.clone()]), digest(&s, &ns, &[d2.clone(), d1r]));
        let d2x = DocSummary { owner: MemberId([2; 32]), heads: vec![[4; 32]] };
        assert_ne!(digest(&s, &ns, &[d1.clone(), d2]), digest(&s, &ns, &[d1, d2x]));
    }
}
