//! Tags and digests: compact, session-bound fingerprints that only members can compute.
//!
//! Both are keyed by the neighbourhood id (which only members and ticket holders know) and bound
//! to the pair of peers, so a `Hello` tells a stranger nothing and cannot be replayed elsewhere.

use libp2p::PeerId;
use partage::{DocSummary, NeighbourhoodId};

/// Identifies one connection between two peers, the same on both sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionKey([u8; 32]);

impl SessionKey {
    pub fn new(a: &PeerId, b: &PeerId) -> Self {
        let (a, b) = (a.to_bytes(), b.to_bytes());
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let mut h = blake3::Hasher::new_derive_key("partage/sync/1 session");
        h.update(&(lo.len() as u32).to_be_bytes());
        h.update(&lo);
        h.update(&hi);
        SessionKey(*h.finalize().as_bytes())
    }
}

/// Tag of `ns` in this session: equal on both sides exactly when both know `ns`.
pub fn tag(session: &SessionKey, ns: &NeighbourhoodId) -> [u8; 32] {
    let mut h = blake3::Hasher::new_keyed(&ns.0);
    h.update(b"partage/sync/1 tag");
    h.update(&session.0);
    *h.finalize().as_bytes()
}

/// Hash of a document's heads (sorted, so equal sets give equal hashes).
pub fn heads_hash(heads: &[[u8; 32]]) -> [u8; 32] {
    let mut sorted = heads.to_vec();
    sorted.sort_unstable();
    let mut h = blake3::Hasher::new_derive_key("partage/sync/1 heads");
    for head in &sorted {
        h.update(head);
    }
    *h.finalize().as_bytes()
}

/// Digest of every document a replica holds in `ns`: equal on both sides exactly when both hold
/// the same documents at the same heads.
pub fn digest(session: &SessionKey, ns: &NeighbourhoodId, docs: &[DocSummary]) -> [u8; 32] {
    let mut sorted: Vec<&DocSummary> = docs.iter().collect();
    sorted.sort_by_key(|d| d.owner);
    let mut h = blake3::Hasher::new_keyed(&ns.0);
    h.update(b"partage/sync/1 digest");
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
    fn session_keys_are_symmetric_and_tags_differ_per_session() {
        let (a, b, c) = (PeerId::random(), PeerId::random(), PeerId::random());
        assert_eq!(SessionKey::new(&a, &b), SessionKey::new(&b, &a));
        let ns = NeighbourhoodId([3; 32]);
        assert_ne!(tag(&SessionKey::new(&a, &b), &ns), tag(&SessionKey::new(&a, &c), &ns));
        assert_ne!(
            tag(&SessionKey::new(&a, &b), &ns),
            tag(&SessionKey::new(&a, &b), &NeighbourhoodId([4; 32]))
        );
    }

    #[test]
    fn digests_ignore_order_and_see_every_head() {
        let s = SessionKey::new(&PeerId::random(), &PeerId::random());
        let ns = NeighbourhoodId([1; 32]);
        let d1 = DocSummary { owner: MemberId([1; 32]), heads: vec![[1; 32], [2; 32]] };
        let d2 = DocSummary { owner: MemberId([2; 32]), heads: vec![[3; 32]] };
        let d1r = DocSummary { owner: MemberId([1; 32]), heads: vec![[2; 32], [1; 32]] };
        assert_eq!(digest(&s, &ns, &[d1.clone(), d2.clone()]), digest(&s, &ns, &[d2.clone(), d1r]));
        let d2x = DocSummary { owner: MemberId([2; 32]), heads: vec![[4; 32]] };
        assert_ne!(digest(&s, &ns, &[d1.clone(), d2]), digest(&s, &ns, &[d1, d2x]));
    }
}
