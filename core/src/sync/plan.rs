//! Which documents differ: pure functions over two replicas' summaries (owner and heads of each
//! member document), shared by the offline files and the network session.

use crate::ids::MemberId;
use crate::node::DocSummary;
use std::collections::{HashMap, HashSet};

/// The documents among `mine` that the peer (`theirs`) does not have at the same heads, each
/// with the peer's heads (empty when it has none of the document), in the order of `mine`.
///
/// Heads compare as sets (order carries no meaning). A document only the peer has is not
/// listed: it is for the peer to send. If the peer lists an owner twice, the first counts.
pub fn to_send(mine: &[DocSummary], theirs: &[DocSummary]) -> Vec<(MemberId, Vec<[u8; 32]>)> {
    let mut peer: HashMap<MemberId, &[[u8; 32]]> = HashMap::with_capacity(theirs.len());
    for d in theirs {
        peer.entry(d.owner).or_insert(d.heads.as_slice());
    }
    mine.iter()
        .filter_map(|d| match peer.get(&d.owner) {
            Some(have) if same_heads(&d.heads, have) => None,
            Some(have) => Some((d.owner, have.to_vec())),
            None => Some((d.owner, Vec::new())),
        })
        .collect()
}

/// Whether two lists of heads name the same versions (as sets).
pub fn same_heads(a: &[[u8; 32]], b: &[[u8; 32]]) -> bool {
    let a: HashSet<&[u8; 32]> = a.iter().collect();
    let b: HashSet<&[u8; 32]> = b.iter().collect();
    a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(owner: u8, heads: &[u8]) -> DocSummary {
        DocSummary { owner: MemberId([owner; 32]), heads: heads.iter().map(|h| [*h; 32]).collect() }
    }

    #[test]
    fn identical_documents_are_not_sent() {
        let mine = [doc(1, &[10]), doc(2, &[20, 21])];
        assert!(to_send(&mine, &mine).is_empty());
    }

    #[test]
    fn a_document_the_peer_lacks_is_sent_from_scratch() {
        let plan = to_send(&[doc(1, &[10]), doc(2, &[20])], &[doc(1, &[10])]);
        assert_eq!(plan, vec![(MemberId([2; 32]), vec![])]);
    }

    #[test]
    fn a_document_at_other_heads_is_sent_beyond_the_peers_heads() {
        let plan = to_send(&[doc(1, &[11])], &[doc(1, &[10])]);
        assert_eq!(plan, vec![(MemberId([1; 32]), vec![[10; 32]])]);
    }

    #[test]
    fn heads_compare_as_sets() {
        assert!(to_send(&[doc(1, &[1, 2])], &[doc(1, &[2, 1])]).is_empty());
        assert!(to_send(&[doc(1, &[1, 2])], &[doc(1, &[2, 1, 1])]).is_empty());
        assert_eq!(to_send(&[doc(1, &[1, 2])], &[doc(1, &[1])]).len(), 1);
    }

    #[test]
    fn documents_only_the_peer_has_are_its_to_send() {
        assert!(to_send(&[], &[doc(1, &[10])]).is_empty());
    }

    #[test]
    fn the_first_of_duplicate_peer_entries_counts_and_order_follows_mine() {
        let plan = to_send(&[doc(3, &[30]), doc(1, &[10])], &[doc(1, &[10]), doc(1, &[9]), doc(3, &[29])]);
        assert_eq!(plan, vec![(MemberId([3; 32]), vec![[29; 32]])]);
    }

    #[test]
    fn an_empty_summary_on_my_side_sends_nothing_and_an_empty_peer_gets_everything() {
        assert!(to_send(&[], &[]).is_empty());
        let plan = to_send(&[doc(1, &[10]), doc(2, &[20])], &[]);
        assert_eq!(plan.iter().map(|(o, h)| (o.0[0], h.len())).collect::<Vec<_>>(), vec![(1, 0), (2, 0)]);
    }
}
